/**
 * Test models in other weight types, written as GGUF in memory: the matrices of a model re-encoded by
 * the test codecs (kernel-oracles.ts), everything llama.cpp keeps in F32 kept F32. A matrix whose rows are
 * not a multiple of 32 cannot be Q8_0/Q4_0 and falls back to F32 (as dt_proj of the tiny fixture).
 */
import { dequantize } from '../../src/ggml/dequantize.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { writeGGUF, type GGUFTensorToWrite } from '../../src/gguf/gguf-writer.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { configToGGUF } from '../../src/model/mamba-config.js';
import { openGGUFModel, type ModelFile } from '../../src/model/model-file.js';
import { numElements } from '../../src/model/tensor-entry.js';
import { expectedTensors } from '../../src/model/tensor-names.js';
import type { WasmWeightType } from '../../src/wasm/weight-kernels.js';
import { encodeAs } from './kernel-oracles.js';

/** The type of each matrix: one type for all, or a function of the GGUF name. */
export type TypeChoice = WasmWeightType | ((name: string) => WasmWeightType);

/** A mix that puts every weight type on the path of one token. */
export const MIXED_TYPES: TypeChoice = (name) => {
  if (name.endsWith('ssm_in.weight')) return name.startsWith('blk.0.') ? 'Q4_0' : 'Q8_0';
  if (name.endsWith('ssm_x.weight')) return name.startsWith('blk.0.') ? 'Q8_0' : 'F16';
  if (name.endsWith('ssm_out.weight')) return name.startsWith('blk.0.') ? 'F16' : 'Q4_0';
  if (name === 'token_embd.weight') return 'Q8_0';
  return 'F32';
};

/** `src` re-encoded; `src` is closed. */
export async function retypedModel(src: ModelFile, choice: TypeChoice, label: string): Promise<ModelFile> {
  const keepF32 = new Map(expectedTensors(src.config).map((e) => [e.gguf, e.row.keepF32]));
  const tensors: GGUFTensorToWrite[] = src.tensors.map((t) => {
    let type: WasmWeightType = keepF32.get(t.name) !== false || t.shape.length < 2 ? 'F32' : typeof choice === 'function' ? choice(t.name) : choice;
    if ((type === 'Q8_0' || type === 'Q4_0') && t.shape[t.shape.length - 1] % 32 !== 0) type = 'F32';
    return {
      name: t.name,
      type: ggmlType(type),
      shape: t.shape,
      read: async () => encodeAs(type, dequantize(await t.read(), t.type, numElements(t.shape))),
    };
  });
  const meta = new GGUFMetadata();
  meta.setString('general.architecture', src.config.arch);
  configToGGUF(src.config, meta);
  const sink = new MemorySink();
  try {
    await writeGGUF(sink, meta, tensors);
  } finally {
    await src.close();
  }
  return openGGUFModel(new MemorySource(sink.toBytes(), label));
}
