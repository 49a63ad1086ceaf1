/**
 * Writes a model as GGUF with llama.cpp's conventions (tensor names, metadata keys, A = −exp(A_log),
 * conv1d squeezed, 1-D tensors / conv1d / A / D / biases kept F32, other matrices as --type with llama.cpp's
 * fallbacks: quant/tensor-plan.ts), streaming one tensor at a time.
 */
import { UsageError } from '../errors.js';
import { GGUFMetadata } from '../gguf/gguf-metadata.js';
import { writeGGUF } from '../gguf/gguf-writer.js';
import type { ByteSink } from '../io/byte-source.js';
import { configToGGUF } from '../model/mamba-config.js';
import type { ModelFile } from '../model/model-file.js';
import { hasQuantizedTensors, planTensors, tensorsToWrite, type TensorPlan, type TensorPlanOptions } from '../quant/tensor-plan.js';
import { GGML_QNT_VERSION, WEIGHT_TYPES, type WeightTypeName } from '../quant/weight-types.js';
import type { TokenizerGGUFFields } from '../tokenizer/gguf-fields.js';

/** Output weight types of `convert` (--type), with their `general.file_type`: the WEIGHT_TYPES table. */
export const CONVERT_TYPES = WEIGHT_TYPES;
export type ConvertTypeName = WeightTypeName;

/** Tokenizer fields as llama.cpp stores a GPT-2-style BPE vocabulary (`tokenizer.ggml.*`). */
export type GGUFTokenizerFields = TokenizerGGUFFields;

export interface ConvertOptions extends TensorPlanOptions {
  /** Weight type of the matrices (tensor-plan.ts decides per tensor, with fallbacks). */
  type: ConvertTypeName;
  /** general.name */
  name?: string;
  tokenizer?: GGUFTokenizerFields;
  onTensor?: (index: number, count: number, name: string, nBytes: number) => void;
}

export function tokenizerToGGUF(t: GGUFTokenizerFields, meta: GGUFMetadata): void {
  meta.setString('tokenizer.ggml.model', t.model);
  meta.setString('tokenizer.ggml.pre', t.pre);
  meta.setArray('tokenizer.ggml.tokens', 'string', t.tokens);
  meta.setArray('tokenizer.ggml.token_type', 'int32', t.tokenTypes);
  meta.setArray('tokenizer.ggml.merges', 'string', t.merges);
  if (t.bosId !== undefined) meta.setU32('tokenizer.ggml.bos_token_id', t.bosId);
  if (t.eosId !== undefined) meta.setU32('tokenizer.ggml.eos_token_id', t.eosId);
  if (t.unkId !== undefined) meta.setU32('tokenizer.ggml.unknown_token_id', t.unkId);
  if (t.padId !== undefined) meta.setU32('tokenizer.ggml.padding_token_id', t.padId);
  if (t.addBos !== undefined) meta.setBool('tokenizer.ggml.add_bos_token', t.addBos);
  if (t.addEos !== undefined) meta.setBool('tokenizer.ggml.add_eos_token', t.addEos);
}

/**
 * Builds the metadata of the output file: general.*, hyperparameters, file type (+ quantization version when
 * `quantized`), tokenizer.
 */
export function buildMetadata(model: ModelFile, opts: ConvertOptions, quantized = false): GGUFMetadata {
  const meta = new GGUFMetadata();
  meta.setString('general.architecture', model.config.arch);
  meta.setString('general.type', 'model');
  const name = opts.name ?? model.metadata.getString('general.name');
  if (name !== undefined) meta.setString('general.name', name);
  configToGGUF(model.config, meta);
  meta.setU32('general.file_type', CONVERT_TYPES[opts.type].fileType);
  if (quantized) meta.setU32('general.quantization_version', GGML_QNT_VERSION);
  if (opts.tokenizer) {
    tokenizerToGGUF(opts.tokenizer, meta);
  } else {
    // A GGUF source keeps its own tokenizer (and any other tokenizer.* keys).
    for (const [key, v] of model.metadata.entries()) if (key.startsWith('tokenizer.')) meta.set(key, v.type, v.value);
  }
  return meta;
}

/** Writes `model` as GGUF to `sink`; resolves to the per-tensor plan it followed (types, fallbacks). */
export async function convertToGGUF(model: ModelFile, sink: ByteSink, opts: ConvertOptions): Promise<TensorPlan[]> {
  if (!Object.hasOwn(CONVERT_TYPES, opts.type)) {
    throw new UsageError(`unknown --type ${JSON.stringify(opts.type)}; supported: ${Object.keys(CONVERT_TYPES).join(', ')}`);
  }
  const plans = planTensors(model, opts);
  const meta = buildMetadata(model, opts, hasQuantizedTensors(plans));
  const tensors = tensorsToWrite(plans, opts);
  await writeGGUF(sink, meta, tensors, {
    onTensor: (i, t, n) => opts.onTensor?.(i, tensors.length, t.name, n),
  });
  return plans;
}
