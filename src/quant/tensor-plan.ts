/**
 * Which type each tensor of a model is written as, llama.cpp's policy:
 *
 *   - F32: 1-D tensors and the `keepF32` rows of model/tensor-names.ts (conv1d, A, D, biases, norms);
 *   - the embedding and the lm_head (`token_embd.weight`, `output.weight`): --keep-output's type if given;
 *     else a mixed recipe's output type for the lm_head (q4_k_m: Q6_K; the embedding when tied);
 *   - every other matrix (ssm_in, ssm_x, ssm_dt, ssm_out, and the above): --type;
 *   - a row length that is not a multiple of the type's block falls back along the type's `fallback` list
 *     (quant-traits.ts) to the first type that fits — never an error. mamba-130m's ssm_dt.weight has rows of 48
 *     (dt_rank): F16 for every quantized type.
 *
 * Tensors are read, converted and encoded one at a time when the writer asks for them (streaming).
 */
import { dequantize } from '../ggml/dequantize.js';
import { ggmlType, type GGMLTypeTraits } from '../ggml/ggml-type.js';
import type { GGUFTensorToWrite } from '../gguf/gguf-writer.js';
import type { ModelFile } from '../model/model-file.js';
import { numElements, shapeString, type TensorEntry } from '../model/tensor-entry.js';
import { expectedTensors } from '../model/tensor-names.js';
import { encodeTensor, type EncodeOptions } from './encode-tensor.js';
import { QUANT_TRAITS } from './quant-traits.js';
import { WEIGHT_TYPES, type KeepOutputName, type WeightTypeName, type WeightTypeRow } from './weight-types.js';

export interface TensorPlanOptions extends EncodeOptions {
  type: WeightTypeName;
  keepOutput?: KeepOutputName;
}

export interface TensorPlan {
  readonly source: TensorEntry;
  /** The type written. */
  readonly type: GGMLTypeTraits;
  /** The type the policy asked for: differs from `type` when the rows did not fit its blocks. */
  readonly wanted: GGMLTypeTraits;
}

/** The tensors --keep-output applies to: the embedding (also the lm_head when tied) and an untied lm_head. */
export const OUTPUT_TENSORS: ReadonlySet<string> = new Set(['token_embd.weight', 'output.weight']);

/** The lm_head: output.weight, or the embedding when it is tied (llama.cpp's `!qs.has_output` rule). */
function isLmHead(model: ModelFile, name: string): boolean {
  return name === 'output.weight' || (name === 'token_embd.weight' && model.config.tieEmbeddings);
}

/** The first of `wanted` and its fallbacks whose block divides the row length. */
export function fittingType(wanted: GGMLTypeTraits, rowLength: number): GGMLTypeTraits {
  if (rowLength % wanted.blockSize === 0) return wanted;
  for (const name of QUANT_TRAITS[wanted.name]?.fallback ?? []) {
    const t = ggmlType(name);
    if (rowLength % t.blockSize === 0) return t;
  }
  return ggmlType('F32');
}

export function planTensors(model: ModelFile, opts: TensorPlanOptions): TensorPlan[] {
  const keepF32 = new Map(expectedTensors(model.config).map((e) => [e.gguf, e.row.keepF32]));
  const row: WeightTypeRow = WEIGHT_TYPES[opts.type];
  const weight = row.type;
  return model.tensors.map((source) => {
    const { name, shape } = source;
    let wanted = weight;
    if ((keepF32.get(name) ?? true) || shape.length < 2) wanted = ggmlType('F32');
    else if (opts.keepOutput !== undefined && OUTPUT_TENSORS.has(name)) wanted = WEIGHT_TYPES[opts.keepOutput].type;
    else if (row.outputType !== undefined && isLmHead(model, name)) wanted = row.outputType;
    return { source, type: fittingType(wanted, shape[shape.length - 1]), wanted };
  });
}

/** The planned tensors as the GGUF writer wants them; each is read and encoded only when written. */
export function tensorsToWrite(plans: readonly TensorPlan[], opts: EncodeOptions = {}): GGUFTensorToWrite[] {
  return plans.map(({ source, type }) => ({
    name: source.name,
    type,
    shape: source.shape,
    read: async () => {
      if (source.type === type) return source.read();
      const values = dequantize(await source.read(), source.type, numElements(source.shape));
      return encodeTensor(source.name, values, source.shape, type, opts);
    },
  }));
}

/** Whether any planned tensor is block-quantized (the file then carries general.quantization_version). */
export function hasQuantizedTensors(plans: readonly TensorPlan[]): boolean {
  return plans.some((p) => p.type.blockSize > 1);
}

/** "Q4_K 72, F16 24, F32 121": tensors per written type, most first. */
export function typeCounts(plans: readonly TensorPlan[]): string {
  const n = new Map<string, number>();
  for (const p of plans) n.set(p.type.name, (n.get(p.type.name) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1]).map(([t, c]) => `${t} ${c}`).join(', ');
}

/**
 * One line per group of fallbacks (block index folded):
 * "blk.*.ssm_dt.weight ×24 [1536, 48]: Q4_K → F16 (rows of 48 are not a multiple of 256)".
 */
export function describeFallbacks(plans: readonly TensorPlan[]): string[] {
  const groups = new Map<string, { count: number; plan: TensorPlan }>();
  for (const p of plans) {
    if (p.type === p.wanted) continue;
    const key = `${p.source.name.replace(/^blk\.\d+\./, 'blk.*.')}|${p.wanted.name}|${p.type.name}|${shapeString(p.source.shape)}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, plan: p });
  }
  return [...groups].map(([key, { count, plan }]) => {
    const row = plan.source.shape[plan.source.shape.length - 1];
    return `${key.split('|')[0]}${count > 1 ? ` ×${count}` : ''} ${shapeString(plan.source.shape)}: ${plan.wanted.name} → ${plan.type.name} (rows of ${row} are not a multiple of ${plan.wanted.blockSize})`;
  });
}

/** Source tensors that are already block-quantized and get a different type: dequantized, then requantized. */
export function requantizedTensors(plans: readonly TensorPlan[]): TensorPlan[] {
  return plans.filter((p) => p.source.type.blockSize > 1 && p.source.type !== p.type);
}
