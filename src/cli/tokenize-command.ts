import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { loadTokenizerForModel, loadTokenizerJsonFile } from '../tokenizer/load-tokenizer.js';
import type { Command } from './command.js';
import { COMMON_OPTIONS, formatOptions, parseCommandArgs } from './parse-args.js';

const OPTIONS = {
  ...COMMON_OPTIONS,
  tokenizer: { type: 'string', valueName: 'FILE', description: 'a Hugging Face tokenizer.json (instead of MODEL)' },
  json: { type: 'boolean', description: 'print {"ids": [...], "tokens": [...]}' },
  'no-special': { type: 'boolean', description: 'do not add the BOS/EOS the tokenizer adds by default (GPT-NeoX adds none)' },
} as const;

const USAGE = `usage: mamba-ts tokenize (MODEL | --tokenizer FILE) TEXT [--json]

Prints the token ids of TEXT, one per line: id, a tab, the token's vocabulary string as JSON
("Ġthe" is " the"). TEXT is taken verbatim, spaces and newlines included; put \`--\` before a TEXT
that starts with "-". MODEL is a model directory (with tokenizer.json) or a .gguf file.

options:
${formatOptions(OPTIONS)}`;

export const tokenizeCommand: Command = {
  name: 'tokenize',
  summary: 'show the token ids and token strings of a text',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('tokenize', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    const nExpected = values.tokenizer === undefined ? 2 : 1;
    if (positionals.length !== nExpected) {
      throw new UsageError(
        values.tokenizer === undefined
          ? `tokenize: expected MODEL and TEXT, got ${positionals.length} argument(s)`
          : `tokenize: with --tokenizer, expected only TEXT, got ${positionals.length} argument(s)`,
        { hint: 'quote TEXT as one argument; run `mamba-ts tokenize --help` for usage' },
      );
    }
    const text = positionals[nExpected - 1];
    const tok = values.tokenizer === undefined
      ? await loadTokenizerForModel(resolve(io.cwd, positionals[0]))
      : await loadTokenizerJsonFile(resolve(io.cwd, values.tokenizer));
    const ids = tok.encode(text, { addSpecial: !values['no-special'] });
    const tokens = ids.map((id) => tok.tokenToString(id));
    if (values.json) {
      io.stdout.write(JSON.stringify({ ids, tokens }) + '\n');
    } else {
      io.stdout.write(ids.map((id, i) => `${id}\t${JSON.stringify(tokens[i])}\n`).join(''));
    }
    return 0;
  },
};
