import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FileAccessError, UsageError } from '../errors.js';
import { perplexity } from '../engine/perplexity.js';
import { compareModels } from '../engine/kl-divergence.js';
import { BACKEND_NAMES, DEFAULT_BACKEND } from '../engine/mamba-model.js';
import { loadModel } from '../node/load-model.js';
import type { Command } from './command.js';
import { defaultModelPath } from './default-model.js';
import { COMMON_OPTIONS, choiceArg, formatOptions, intArg, parseCommandArgs } from './parse-args.js';
import { createProgress } from './progress.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  file: { type: 'string', short: 'f', valueName: 'TEXT', description: 'text file to score (UTF-8)' },
  ctx: { type: 'string', short: 'c', valueName: 'N', description: 'tokens per chunk (default 512); the state carries over between chunks' },
  'max-tokens': { type: 'string', valueName: 'N', description: 'score only the first N tokens of the file' },
  'reset-each-chunk': { type: 'boolean', description: 'start every chunk from an empty state (its first token is not scored)' },
  backend: { type: 'string', valueName: 'NAME', description: `compute backend: ${BACKEND_NAMES.join(' | ')} (default ${DEFAULT_BACKEND})` },
  'kl-reference': { type: 'string', valueName: 'MODEL', description: 'also report KL-divergence of the next-token distributions against MODEL (e.g. the F32 file this one was quantized from)' },
  threads: { type: 'string', valueName: 'N', description: 'threads of the wasm backend; 0 = one per physical core (the default)' },
  json: { type: 'boolean', description: 'print {"ppl", "mean_nll", "n_tokens"} as JSON (+ "kl" with --kl-reference)' },
  quiet: { type: 'boolean', short: 'q', description: 'no progress bar' },
} as const;

const USAGE = `usage: mamba-ts perplexity [MODEL] --file TEXT [--ctx N] [--max-tokens N] [--reset-each-chunk] [--threads N] [--json]

Mean negative log-likelihood (natural log) of each token of TEXT given the ones before it, and its
perplexity exp(mean NLL). No BOS token is added unless the model's tokenizer says so (add_bos_token).

options:
${formatOptions(OPTIONS)}`;

export const perplexityCommand: Command = {
  name: 'perplexity',
  summary: 'score a text file: mean NLL and perplexity',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('perplexity', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length > 1) throw new UsageError('perplexity takes at most one MODEL');
    if (values.file === undefined) throw new UsageError('perplexity needs --file TEXT', { hint: USAGE.split('\n')[0] });
    const ctx = values.ctx === undefined ? 512 : intArg('--ctx', values.ctx, 1);
    const maxTokens = values['max-tokens'] === undefined ? Infinity : intArg('--max-tokens', values['max-tokens'], 2);
    const file = resolve(io.cwd, values.file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      throw new FileAccessError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const backend = values.backend === undefined ? undefined : choiceArg('--backend', values.backend, BACKEND_NAMES);
    const threads = values.threads === undefined ? 0 : intArg('--threads', values.threads, 0, 1024);
    const model = await loadModel(positionals[0] !== undefined ? resolve(io.cwd, positionals[0]) : defaultModelPath(), { backend, threads });
    // The model (and the reference) are disposed on every path: their worker threads stop.
    let ref: Awaited<ReturnType<typeof loadModel>> | undefined;
    let r;
    let k;
    const t0 = performance.now();
    try {
      let ids = model.tokenizer.encode(text);
      if (ids.length > maxTokens) ids = ids.slice(0, maxTokens);
      if (ids.length < 2) throw new UsageError(`${file}: needs at least 2 tokens to score, has ${ids.length}`);
      if (values['kl-reference'] !== undefined) {
        if (values['reset-each-chunk']) throw new UsageError('--kl-reference scores the whole text as one context: drop --reset-each-chunk');
        ref = await loadModel(resolve(io.cwd, values['kl-reference']), { backend, threads });
        const progress = createProgress(io.stderr, ids.length, { quiet: values.quiet, title: 'kl-divergence' });
        try {
          k = await compareModels(model, ref, ids, { onProgress: (done) => progress.update(done) });
        } finally {
          progress.stop();
        }
      } else {
        const progress = createProgress(io.stderr, ids.length, { quiet: values.quiet, title: 'perplexity' });
        try {
          r = await perplexity(model, ids, { ctx, resetEachChunk: values['reset-each-chunk'], onProgress: (done) => progress.update(done) });
        } finally {
          progress.stop();
        }
      }
    } finally {
      await Promise.all([model.dispose(), ref?.dispose()]);
    }
    if (k) {
      const out = { ppl: Math.exp(k.meanNll), mean_nll: k.meanNll, n_tokens: k.nTokens, kl: { mean: k.meanKl, max: k.maxKl, top1_agreement: k.top1Agreement, ref_ppl: Math.exp(k.refMeanNll), ref_mean_nll: k.refMeanNll } };
      io.stdout.write(values.json ? JSON.stringify(out) + '\n'
        : `perplexity ${out.ppl.toFixed(4)} (reference ${out.kl.ref_ppl.toFixed(4)}) over ${k.nTokens} tokens\nKL-divergence vs reference: mean ${k.meanKl.toFixed(6)} nats/token, max ${k.maxKl.toFixed(4)}; same top token ${(100 * k.top1Agreement).toFixed(2)}%\n`);
      return 0;
    }
    if (!r) throw new Error('perplexity: no result'); // unreachable: one of the two branches ran
    const secs = (performance.now() - t0) / 1000;
    if (values.json) {
      io.stdout.write(JSON.stringify({ ppl: r.ppl, mean_nll: r.meanNll, n_tokens: r.nTokens }) + '\n');
    } else {
      io.stdout.write(`perplexity ${r.ppl.toFixed(4)}  mean NLL ${r.meanNll.toFixed(6)} nats  over ${r.nTokens} tokens (${r.nChunks} chunks of ${ctx}${values['reset-each-chunk'] ? ', reset each chunk' : ''}) in ${secs.toFixed(1)} s\n`);
    }
    return 0;
  },
};
