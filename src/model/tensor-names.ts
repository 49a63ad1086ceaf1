/**
 * The tensors of each architecture: llama.cpp's GGUF name, the checkpoint names it comes from
 * (Hugging Face first, then state-spaces), its shape (outer-first) and how it is stored.
 * Adding an architecture (Mamba-2: `dt_bias`, `norm.weight`) is one more table.
 */
import type { MambaArch, MambaConfig } from './mamba-config.js';

export interface TensorNameRow {
  /** GGUF name; `{bid}` is the block (layer) index. */
  readonly gguf: string;
  /** Source checkpoint names, in lookup order. */
  readonly source: readonly string[];
  /** Shape in GGUF / mamba.ts (outer-first). */
  readonly shape: (c: MambaConfig) => number[];
  /** Whether the model needs it (false: optional, e.g. biases the config turns off). */
  readonly required: (c: MambaConfig) => boolean;
  /** Stored as −exp(x) in GGUF (A_log → A), as llama.cpp does. */
  readonly negExp?: boolean;
  /** Kept in F32 whatever the output type (1-D tensors, conv1d, A, D, biases). */
  readonly keepF32: boolean;
}

const always = () => true;

export const MAMBA1_TENSORS: readonly TensorNameRow[] = [
  // embedding: (nVocab, dModel)
  { gguf: 'token_embd.weight', source: ['backbone.embeddings.weight', 'backbone.embedding.weight'], shape: (c) => [c.nVocab, c.dModel], required: always, keepF32: false },
  // final norm: (dModel)
  { gguf: 'output_norm.weight', source: ['backbone.norm_f.weight'], shape: (c) => [c.dModel], required: always, keepF32: true },
  // lm_head: (nVocab, dModel); absent when tied to the embedding
  { gguf: 'output.weight', source: ['lm_head.weight'], shape: (c) => [c.nVocab, c.dModel], required: (c) => !c.tieEmbeddings, keepF32: false },
  // per block: RMSNorm weight (dModel)
  { gguf: 'blk.{bid}.attn_norm.weight', source: ['backbone.layers.{bid}.norm.weight'], shape: (c) => [c.dModel], required: always, keepF32: true },
  // in_proj: (2·dInner, dModel) [+ bias (2·dInner)]
  { gguf: 'blk.{bid}.ssm_in.weight', source: ['backbone.layers.{bid}.mixer.in_proj.weight'], shape: (c) => [2 * c.dInner, c.dModel], required: always, keepF32: false },
  { gguf: 'blk.{bid}.ssm_in.bias', source: ['backbone.layers.{bid}.mixer.in_proj.bias'], shape: (c) => [2 * c.dInner], required: (c) => c.projBias, keepF32: true },
  // depthwise conv1d: (dInner, 1, dConv) squeezed to (dInner, dConv); bias (dInner)
  { gguf: 'blk.{bid}.ssm_conv1d.weight', source: ['backbone.layers.{bid}.mixer.conv1d.weight'], shape: (c) => [c.dInner, c.dConv], required: always, keepF32: true },
  { gguf: 'blk.{bid}.ssm_conv1d.bias', source: ['backbone.layers.{bid}.mixer.conv1d.bias'], shape: (c) => [c.dInner], required: (c) => c.convBias, keepF32: true },
  // x_proj: (dtRank + 2·dState, dInner)
  { gguf: 'blk.{bid}.ssm_x.weight', source: ['backbone.layers.{bid}.mixer.x_proj.weight'], shape: (c) => [c.dtRank + 2 * c.dState, c.dInner], required: always, keepF32: false },
  // dt_proj: (dInner, dtRank) + bias (dInner)
  { gguf: 'blk.{bid}.ssm_dt.weight', source: ['backbone.layers.{bid}.mixer.dt_proj.weight'], shape: (c) => [c.dInner, c.dtRank], required: always, keepF32: false },
  { gguf: 'blk.{bid}.ssm_dt.bias', source: ['backbone.layers.{bid}.mixer.dt_proj.bias'], shape: (c) => [c.dInner], required: always, keepF32: true },
  // A = −exp(A_log): (dInner, dState)
  { gguf: 'blk.{bid}.ssm_a', source: ['backbone.layers.{bid}.mixer.A_log'], shape: (c) => [c.dInner, c.dState], required: always, negExp: true, keepF32: true },
  // D: (dInner)
  { gguf: 'blk.{bid}.ssm_d', source: ['backbone.layers.{bid}.mixer.D'], shape: (c) => [c.dInner], required: always, keepF32: true },
  // out_proj: (dModel, dInner) [+ bias (dModel)]
  { gguf: 'blk.{bid}.ssm_out.weight', source: ['backbone.layers.{bid}.mixer.out_proj.weight'], shape: (c) => [c.dModel, c.dInner], required: always, keepF32: false },
  { gguf: 'blk.{bid}.ssm_out.bias', source: ['backbone.layers.{bid}.mixer.out_proj.bias'], shape: (c) => [c.dModel], required: (c) => c.projBias, keepF32: true },
];

export const TENSOR_TABLES: Readonly<Record<MambaArch, readonly TensorNameRow[]>> = { mamba: MAMBA1_TENSORS };

/** One concrete tensor of a model: a table row with the block index filled in. */
export interface ExpectedTensor {
  readonly row: TensorNameRow;
  readonly gguf: string;
  readonly source: readonly string[];
  readonly shape: number[];
  readonly required: boolean;
}

/** Every tensor the model can have, in llama.cpp's order (globals first, then block by block). */
export function expectedTensors(c: MambaConfig): ExpectedTensor[] {
  const out: ExpectedTensor[] = [];
  const table = TENSOR_TABLES[c.arch];
  const fill = (s: string, bid: number) => s.replace('{bid}', String(bid));
  for (const row of table.filter((r) => !r.gguf.includes('{bid}'))) {
    out.push({ row, gguf: row.gguf, source: row.source, shape: row.shape(c), required: row.required(c) });
  }
  for (let bid = 0; bid < c.nLayer; bid++) {
    for (const row of table.filter((r) => r.gguf.includes('{bid}'))) {
      out.push({ row, gguf: fill(row.gguf, bid), source: row.source.map((s) => fill(s, bid)), shape: row.shape(c), required: row.required(c) });
    }
  }
  return out;
}
