import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ConfigError, UsageError } from '../errors.js';
import { CONVERT_TYPES, convertToGGUF, type ConvertTypeName, type GGUFTokenizerFields } from '../convert/convert-to-gguf.js';
import type { ModelFile } from '../model/model-file.js';
import { openModel } from '../node/open-model.js';
import { tokenizerJsonToGGUFFields } from '../tokenizer/gguf-fields.js';
import type { Command } from './command.js';
import { COMMON_OPTIONS, choiceArg, formatOptions, parseCommandArgs } from './parse-args.js';
import { checkOutputPath, writeModelFile } from './write-model-file.js';
import { QUANT_CLI_OPTIONS, parseQuantOptions, planSummary } from './quantize-command.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  type: { type: 'string', valueName: 'T', description: `weight type: ${Object.keys(CONVERT_TYPES).join(' | ')} (default f16); 1-D tensors, conv1d, A, D stay f32` },
  ...QUANT_CLI_OPTIONS,
  tokenizer: { type: 'string', valueName: 'FILE', description: 'tokenizer.json to embed (default: SRC/tokenizer.json)' },
  name: { type: 'string', valueName: 'NAME', description: 'general.name (default: the source directory name)' },
  force: { type: 'boolean', short: 'f', description: 'overwrite OUT if it exists' },
  quiet: { type: 'boolean', short: 'q', description: 'no progress bar or summary' },
} as const;

const USAGE = `usage: mamba-ts convert SRC OUT.gguf [--type ${Object.keys(CONVERT_TYPES).join('|')}] [--tokenizer tokenizer.json]

Converts a checkpoint to GGUF with llama.cpp's tensor names and metadata keys (llama.cpp reads the result).
SRC is a Hugging Face directory (config.json + model.safetensors), a state-spaces directory
(config.json + pytorch_model.bin), or a GGUF file (to change its type).

options:
${formatOptions(OPTIONS)}`;

async function loadTokenizerFields(model: ModelFile, path: string | undefined): Promise<GGUFTokenizerFields | undefined> {
  if (path !== undefined) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new UsageError(`--tokenizer ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`${path}: invalid JSON (${(e as Error).message})`);
    }
    return tokenizerJsonToGGUFFields(json, model.config.nVocab, path);
  }
  if (model.tokenizerJson !== undefined) return tokenizerJsonToGGUFFields(model.tokenizerJson, model.config.nVocab, `${model.path}/tokenizer.json`);
  return undefined;
}

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a Hugging Face / state-spaces checkpoint to GGUF',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('convert', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError('convert takes SRC and OUT.gguf', { hint: USAGE.split('\n')[0] });
    const src = resolve(io.cwd, positionals[0]);
    const out = resolve(io.cwd, positionals[1]);
    const type = choiceArg('--type', values.type ?? 'f16', Object.keys(CONVERT_TYPES) as ConvertTypeName[]);
    const quant = parseQuantOptions(values, type);
    if (src === out) throw new UsageError('OUT must differ from SRC');
    await checkOutputPath(out, values.force);

    const model = await openModel(src);
    try {
      const tokenizer = await loadTokenizerFields(model, values.tokenizer);
      if (!tokenizer && !model.metadata.has('tokenizer.ggml.model') && !values.quiet) {
        io.stderr.write(
          `warning: no tokenizer found (no ${basename(src)}/tokenizer.json, no --tokenizer): the GGUF will have no vocabulary.\n` +
            `         For state-spaces Mamba models pass --tokenizer with the GPT-NeoX-20B tokenizer.json.\n`,
        );
      }
      await writeModelFile(io, model, out, {
        title: 'convert',
        quiet: values.quiet,
        describe: type,
        summary: planSummary,
        write: (sink, onTensor) =>
          convertToGGUF(model, sink, {
            type,
            ...quant,
            name: values.name ?? (model.format === 'gguf' ? undefined : basename(src)),
            tokenizer,
            onTensor: (i, _n, name) => onTensor(i, name),
          }),
      });
    } finally {
      await model.close();
    }
    return 0;
  },
};
