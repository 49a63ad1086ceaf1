/**
 * `mamba-ts run`: generate text. Settings come from built-in defaults < model_config.yaml (profile) < flags.
 * One prompt streams to stdout as tokens arrive; several (-i repeated) are decoded as a batch.
 */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { CONFIG_CLI_OPTIONS, GENERATION_CLI_OPTIONS, generationOverridesFromFlags } from '../config/generation-cli-options.js';
import { samplingOptionsOf } from '../config/generation-options.js';
import { loadGenerationSettings } from '../config/load-model-config.js';
import { BACKEND_NAMES, DEFAULT_BACKEND, type GenerateInput, type GenerationEvent, type MambaModel } from '../engine/mamba-model.js';
import type { Sequence } from '../engine/sequence.js';
import { loadModel } from '../node/load-model.js';
import { loadState, saveState } from '../node/state-file-io.js';
import type { Command, CommandIO } from './command.js';
import { COMMON_OPTIONS, choiceArg, formatOptions, parseCommandArgs, type OptionTable } from './parse-args.js';
import { createProgress } from './progress.js';
import { defaultModelPath } from './default-model.js';

const RUN_OPTIONS = {
  ...COMMON_OPTIONS,
  input: { type: 'string', short: 'i', multiple: true, valueName: 'TEXT', description: 'prompt text; repeat for a batch of prompts' },
  'prompt-ids': { type: 'string', valueName: 'IDS', description: 'prompt as token ids, e.g. 1,2,3 (instead of -i)' },
  ...GENERATION_CLI_OPTIONS,
  ...CONFIG_CLI_OPTIONS,
  'save-state': { type: 'string', valueName: 'FILE', description: 'after the run, save the sequence state (context, RNG) to FILE' },
  'load-state': { type: 'string', valueName: 'FILE', description: 'continue from a saved state; a prompt is appended to its context' },
  backend: { type: 'string', valueName: 'NAME', description: `compute backend: ${BACKEND_NAMES.join(' | ')} (default ${DEFAULT_BACKEND})` },
  json: { type: 'boolean', description: 'print one JSON object: tokens, text, prompt_tokens, timings' },
  verbose: { type: 'boolean', short: 'v', multiple: true, description: 'more detail on stderr: -v load and timings, -vv per-token probabilities' },
} as const satisfies OptionTable;

const USAGE = `usage: mamba-ts run [MODEL] [-i TEXT | --prompt-ids 1,2,3] [-n N] [-t TEMP] [-k TOPK] [-p TOPP] [-s SEED]
                    [--min-p X] [--repeat-penalty X] [--stop STR] [--profile NAME] [--config FILE]
                    [--save-state FILE] [--load-state FILE] [--threads N] [-v] [--json]

Generates text. MODEL is a .gguf file or a Hugging Face / state-spaces checkpoint directory (converted in
memory); without it, the model from model_config.yaml (\`model:\`) or the built-in default model is used.

options:
${formatOptions(RUN_OPTIONS)}`;

function parseIds(text: string, nVocab: number): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new UsageError('--prompt-ids needs at least one id, e.g. --prompt-ids 1,2,3');
  return parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n >= nVocab) throw new UsageError(`--prompt-ids: ${JSON.stringify(p)} is not a token id (0..${nVocab - 1})`);
    return n;
  });
}

const ms = (t: number) => Math.round(t * 100) / 100;
const perS = (n: number, t: number) => (t > 0 ? Math.round((n / t) * 1000 * 100) / 100 : 0);

export const runCommand: Command = {
  name: 'run',
  summary: 'generate text from a prompt',
  usage: USAGE,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const { values, positionals } = parseCommandArgs('run', argv, RUN_OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length > 1) {
      throw new UsageError(`run takes at most one MODEL, got ${positionals.length} arguments`, { hint: 'quote the prompt and pass it with -i "TEXT"' });
    }
    const inputs = values.input ?? [];
    if (inputs.length > 0 && values['prompt-ids'] !== undefined) throw new UsageError('give the prompt either as -i TEXT or as --prompt-ids, not both');
    const { settings } = await loadGenerationSettings({
      configPath: values.config === undefined ? undefined : resolve(io.cwd, values.config),
      profile: values.profile,
      overrides: generationOverridesFromFlags(values),
      cwd: io.cwd,
    });
    const verbosity = values.verbose?.length ?? 0;
    const batched = inputs.length > 1;
    if (batched && (values['save-state'] || values['load-state'])) throw new UsageError('--save-state / --load-state work with one prompt, not a batch');

    const modelPath = positionals[0] !== undefined ? resolve(io.cwd, positionals[0]) : settings.model ?? defaultModelPath();
    const log = (level: number, s: string) => {
      if (verbosity >= level) io.stderr.write(s + '\n');
    };
    const tLoad = performance.now();
    let model: MambaModel;
    {
      let n = 0;
      const progress = createProgress(io.stderr, 0, { quiet: true });
      model = await loadModel(modelPath, { onTensor: () => progress.update(++n), backend: values.backend === undefined ? undefined : choiceArg('--backend', values.backend, BACKEND_NAMES), threads: settings.nThreads });
      progress.stop();
    }
    try {
      const loadMs = performance.now() - tLoad;
      const c = model.config;
      log(1, `model: ${modelPath} (${model.file.format}) d_model=${c.dModel} n_layer=${c.nLayer} n_vocab=${c.nVocab}; backend ${model.backend.name}, threads ${model.nThreads}${settings.nThreads === 0 ? ' (auto)' : settings.nThreads !== model.nThreads ? ` (asked ${settings.nThreads}; capped by the backend and the model's width)` : ''}; loaded in ${ms(loadMs)} ms`);

      const sampling = samplingOptionsOf(settings);
      let loaded: Sequence | undefined;
      if (values['load-state']) {
        const file = resolve(io.cwd, values['load-state']);
        // A seed given on the command line restarts the random stream; otherwise it continues where it was saved.
        loaded = await loadState(model, file, sampling, { keepRng: (values as Record<string, unknown>).seed === undefined });
        log(1, `state: ${file}: ${loaded.tokens.length} tokens of context`);
      }

      let prompts: GenerateInput[];
      if (values['prompt-ids'] !== undefined) prompts = [{ ids: parseIds(values['prompt-ids'], c.nVocab), sequence: loaded }];
      else if (inputs.length > 0) prompts = inputs.map((text) => ({ text, sequence: loaded }));
      else prompts = [{ text: '', sequence: loaded }];

      const stream = !values.json && !batched;
      if (stream && inputs.length === 1) io.stdout.write(inputs[0]);
      const ends: Extract<GenerationEvent, { type: 'end' }>[] = [];
      try {
        for await (const ev of model.generate(prompts, { maxTokens: settings.maxTokens, stop: settings.stop, sampling, batchSize: settings.batchSize })) {
          if (ev.type === 'token') {
            if (stream) io.stdout.write(ev.text);
            if (verbosity >= 2 && ev.id >= 0) {
              io.stderr.write(`[${ev.index}] ${ev.id} ${JSON.stringify(model.tokenizer.tokenToString(ev.id))} p=${ev.probability.toFixed(4)}\n`);
            }
          } else {
            ends.push(ev);
          }
        }
      } catch (e) {
        // end the streamed line, so the error starts on its own line in a terminal
        if (stream) io.stdout.write('\n');
        throw e;
      }
      ends.sort((a, b) => a.index - b.index);
      if (stream) io.stdout.write('\n');

      const promptMs = ends[0]?.promptMs ?? 0;
      const decodeMs = ends.reduce((a, e) => Math.max(a, e.decodeMs), 0);
      const nPrompt = ends.reduce((a, e) => a + e.promptTokens, 0);
      const nGen = ends.reduce((a, e) => a + e.tokens.length, 0);
      const timings = {
        load_ms: ms(loadMs),
        prompt_ms: ms(promptMs),
        decode_ms: ms(decodeMs),
        prompt_tokens_per_s: perS(nPrompt, promptMs),
        decode_tokens_per_s: perS(nGen, decodeMs),
      };
      if (values.json) {
        const objs = ends.map((e) => ({ tokens: e.tokens, text: e.text, prompt_tokens: e.promptTokens, finish_reason: e.finishReason, timings }));
        io.stdout.write(JSON.stringify(objs.length === 1 ? objs[0] : objs) + '\n');
      } else if (batched) {
        for (const e of ends) io.stdout.write(`--- [${e.index}] ${JSON.stringify(inputs[e.index])}\n${inputs[e.index]}${e.text}\n`);
      }
      log(1, `prompt: ${nPrompt} tokens in ${timings.prompt_ms} ms (${timings.prompt_tokens_per_s} tok/s); decode: ${nGen} tokens in ${timings.decode_ms} ms (${timings.decode_tokens_per_s} tok/s)`);

      if (values['save-state']) {
        const file = resolve(io.cwd, values['save-state']);
        await saveState(model, ends[0].sequence, file);
        log(1, `state: saved ${ends[0].sequence.tokens.length} tokens of context to ${file}`);
      }
    } finally {
      await model.dispose(); // stops the worker threads, also when generation fails (idle workers never keep the process alive either)
    }
    return 0;
  },
};
