/**
 * Writes a model as GGUF with llama.cpp's conventions (tensor names, metadata keys, A = −exp(A_log),
 * conv1d squeezed, 1-D tensors / conv1d / A / D / biases kept F32), streaming one tensor at a time.
 */
import { UsageError } from '../errors.js';
import { dequantize, encodeFloat } from '../ggml/dequantize.js';
import { LLAMA_FTYPE, ggmlType, type GGMLTypeTraits } from '../ggml/ggml-type.js';
import { GGUFMetadata } from '../gguf/gguf-metadata.js';
import { writeGGUF, type GGUFTensorToWrite } from '../gguf/gguf-writer.js';
import type { ByteSink } from '../io/byte-source.js';
import { configToGGUF } from '../model/mamba-config.js';
import type { ModelFile } from '../model/model-file.js';
import { numElements, type TensorEntry } from '../model/tensor-entry.js';
import { expectedTensors } from '../model/tensor-names.js';
import type { TokenizerGGUFFields } from '../tokenizer/gguf-fields.js';

/** Output weight types of `convert`, with their `general.file_type`. One row per type. */
export const CONVERT_TYPES = {
  f32: { type: ggmlType('F32'), fileType: LLAMA_FTYPE.ALL_F32 },
  f16: { type: ggmlType('F16'), fileType: LLAMA_FTYPE.MOSTLY_F16 },
} as const;
export type ConvertTypeName = keyof typeof CONVERT_TYPES;

/** Tokenizer fields as llama.cpp stores a GPT-2-style BPE vocabulary (`tokenizer.ggml.*`). */
export type GGUFTokenizerFields = TokenizerGGUFFields;

export interface ConvertOptions {
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

/** The type a tensor is written as: F32 for the small/sensitive ones, else the requested type. */
export function outputType(keepF32: boolean, shape: readonly number[], requested: GGMLTypeTraits): GGMLTypeTraits {
  if (keepF32 || shape.length < 2) return ggmlType('F32');
  return requested;
}

function retype(src: TensorEntry, type: GGMLTypeTraits): GGUFTensorToWrite {
  if (src.type === type) return { name: src.name, type, shape: src.shape, read: () => src.read() };
  return {
    name: src.name,
    type,
    shape: src.shape,
    read: async () => encodeFloat(dequantize(await src.read(), src.type, numElements(src.shape)), type),
  };
}

/** Builds the metadata of the output file: general.*, hyperparameters, file type, tokenizer. */
export function buildMetadata(model: ModelFile, opts: ConvertOptions): GGUFMetadata {
  const meta = new GGUFMetadata();
  meta.setString('general.architecture', model.config.arch);
  meta.setString('general.type', 'model');
  const name = opts.name ?? model.metadata.getString('general.name');
  if (name !== undefined) meta.setString('general.name', name);
  configToGGUF(model.config, meta);
  meta.setU32('general.file_type', CONVERT_TYPES[opts.type].fileType);
  if (opts.tokenizer) {
    tokenizerToGGUF(opts.tokenizer, meta);
  } else {
    // A GGUF source keeps its own tokenizer (and any other tokenizer.* keys).
    for (const [key, v] of model.metadata.entries()) if (key.startsWith('tokenizer.')) meta.set(key, v.type, v.value);
  }
  return meta;
}

export async function convertToGGUF(model: ModelFile, sink: ByteSink, opts: ConvertOptions): Promise<void> {
  const row = CONVERT_TYPES[opts.type];
  if (!row) throw new UsageError(`unknown --type ${JSON.stringify(opts.type)}; supported: ${Object.keys(CONVERT_TYPES).join(', ')}`);
  const meta = buildMetadata(model, opts);
  const keepF32 = new Map(expectedTensors(model.config).map((e) => [e.gguf, e.row.keepF32]));
  const tensors = model.tensors.map((t) => retype(t, outputType(keepF32.get(t.name) ?? true, t.shape, row.type)));
  await writeGGUF(sink, meta, tensors, {
    onTensor: (i, t, n) => opts.onTensor?.(i, tensors.length, t.name, n),
  });
}
