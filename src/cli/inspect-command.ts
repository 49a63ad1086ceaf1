import { formatValue, type GGUFValue } from '../gguf/gguf-value.js';
import type { ModelFile } from '../model/model-file.js';
import { shapeString } from '../model/tensor-entry.js';
import { openModel } from '../node/open-model.js';
import type { Command } from './command.js';
import { COMMON_OPTIONS, formatOptions, parseCommandArgs } from './parse-args.js';
import { UsageError } from '../errors.js';
import { resolve } from 'node:path';

const OPTIONS = {
  ...COMMON_OPTIONS,
  json: { type: 'boolean', description: 'print one JSON object instead of text' },
} as const;

const USAGE = `usage: mamba-ts inspect MODEL [--json]

Shows a model's architecture, hyperparameters, tokenizer and tensor table.
MODEL is a .gguf file or a Hugging Face / state-spaces checkpoint directory.

options:
${formatOptions(OPTIONS)}`;

export interface TokenizerSummary {
  model: string;
  pre?: string;
  nTokens: number;
  nMerges: number;
  bosId?: number;
  eosId?: number;
}

export function summarizeTokenizer(m: ModelFile): TokenizerSummary | undefined {
  const meta = m.metadata;
  if (meta.has('tokenizer.ggml.model')) {
    const len = (k: string) => {
      const v = meta.get(k);
      return Array.isArray(v) ? v.length : 0;
    };
    return {
      model: meta.getString('tokenizer.ggml.model') ?? '?',
      pre: meta.getString('tokenizer.ggml.pre'),
      nTokens: len('tokenizer.ggml.tokens'),
      nMerges: len('tokenizer.ggml.merges'),
      bosId: meta.getNumber('tokenizer.ggml.bos_token_id'),
      eosId: meta.getNumber('tokenizer.ggml.eos_token_id'),
    };
  }
  const tj = m.tokenizerJson as { model?: { type?: string; vocab?: object; merges?: unknown[] }; added_tokens?: unknown[] } | undefined;
  if (tj && typeof tj === 'object') {
    const vocab = tj.model?.vocab ? Object.keys(tj.model.vocab).length : 0;
    return { model: `tokenizer.json ${tj.model?.type ?? '?'}`, nTokens: vocab, nMerges: Array.isArray(tj.model?.merges) ? tj.model.merges.length : 0 };
  }
  return undefined;
}

function jsonValue(v: GGUFValue): unknown {
  if (typeof v.value === 'bigint') return v.value.toString();
  if (typeof v.value === 'object') {
    const items = v.value.items;
    return items.length > 16
      ? { itemType: v.value.itemType, length: items.length, head: items.slice(0, 8).map((x) => (typeof x === 'bigint' ? x.toString() : typeof x === 'object' ? '[array]' : x)) }
      : items.map((x) => jsonValue({ type: v.value && typeof v.value === 'object' ? v.value.itemType : 'string', value: x }));
  }
  return v.value;
}

export function inspectJson(m: ModelFile): object {
  const tensors = m.tensors.map((t) => ({ name: t.name, type: t.type.name, shape: t.shape, bytes: t.nBytes }));
  return {
    path: m.path,
    format: m.format,
    config: m.config,
    tokenizer: summarizeTokenizer(m) ?? null,
    metadata: Object.fromEntries([...m.metadata.entries()].map(([k, v]) => [k, { type: v.type, value: jsonValue(v) }])),
    tensors,
    total_bytes: tensors.reduce((a, t) => a + t.bytes, 0),
    ignored_tensors: m.ignored,
  };
}

export function inspectText(m: ModelFile): string {
  const c = m.config;
  const lines: string[] = [];
  const total = m.tensors.reduce((a, t) => a + t.nBytes, 0);
  lines.push(`model:      ${m.path} (${m.format === 'gguf' ? 'GGUF' : m.format === 'hf' ? 'Hugging Face checkpoint' : 'state-spaces checkpoint'})`);
  lines.push(`arch:       ${c.arch}`);
  lines.push(
    `hparams:    d_model=${c.dModel} n_layer=${c.nLayer} n_vocab=${c.nVocab} d_inner=${c.dInner} d_state=${c.dState} d_conv=${c.dConv} dt_rank=${c.dtRank} eps=${c.normEps.toPrecision(3)}`,
  );
  lines.push(`            tied_embeddings=${c.tieEmbeddings} conv_bias=${c.convBias} proj_bias=${c.projBias} gate=${c.gateActivation}`);
  const tok = summarizeTokenizer(m);
  lines.push(
    `tokenizer:  ${tok ? `${tok.model}${tok.pre ? ` (pre ${tok.pre})` : ''}, ${tok.nTokens} tokens, ${tok.nMerges} merges${tok.bosId !== undefined ? `, bos ${tok.bosId}` : ''}${tok.eosId !== undefined ? `, eos ${tok.eosId}` : ''}` : 'none'}`,
  );
  lines.push(`size:       ${m.tensors.length} tensors, ${(total / 1e6).toFixed(2)} MB`);
  if (m.format === 'gguf') {
    lines.push('', `metadata (${m.metadata.size} keys):`);
    for (const [k, v] of m.metadata.entries()) lines.push(`  ${k.padEnd(44)} ${v.type.padEnd(8)} ${formatValue(v.value)}`);
  }
  lines.push('', 'tensors:');
  const w = Math.max(...m.tensors.map((t) => t.name.length));
  for (const t of m.tensors) lines.push(`  ${t.name.padEnd(w)}  ${t.type.name.padEnd(5)} ${shapeString(t.shape).padEnd(14)} ${t.nBytes}`);
  if (m.ignored.length) lines.push('', `ignored (${m.ignored.length}): ${m.ignored.join(', ')}`);
  return lines.join('\n') + '\n';
}

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show a model\'s hyperparameters, tokenizer and tensors',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('inspect', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('inspect takes exactly one MODEL', { hint: USAGE.split('\n')[0] });
    const model = await openModel(resolve(io.cwd, positionals[0]), { requireSupportedTypes: false });
    try {
      io.stdout.write(values.json ? JSON.stringify(inspectJson(model), null, 2) + '\n' : inspectText(model));
    } finally {
      await model.close();
    }
    return 0;
  },
};
