/**
 * Test models in other weight types, written as GGUF in memory: the matrices of a model re-encoded by
 * the test codecs (kernel-oracles.ts), everything llama.cpp keeps in F32 kept F32. A matrix whose rows are
 * not a multiple of the type's block (32; 256 for Q4_K, Q6_K, TQ1_0, TQ2_0) falls back to F32 (as dt_proj of
 * the tiny fixture). The fixtures' rows are 64 long at most, so the 256-block types get a random model with
 * d_model 256 (`randomModel`).
 */
import { dequantize } from '../../src/ggml/dequantize.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { writeGGUF, type GGUFTensorToWrite } from '../../src/gguf/gguf-writer.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { configToGGUF, DEFAULT_CONTEXT_LENGTH, type MambaConfig } from '../../src/model/mamba-config.js';
import { openGGUFModel, type ModelFile } from '../../src/model/model-file.js';
import { numElements } from '../../src/model/tensor-entry.js';
import { expectedTensors } from '../../src/model/tensor-names.js';
import { QUANT_TRAITS } from '../../src/quant/quant-traits.js';
import type { FileWeightType } from '../../src/wasm/weight-kernels.js';
import { mulberry32 } from '../helpers/prng.js';
import { encodeAs } from './kernel-oracles.js';

/** The type of each matrix: one type for all, or a function of the GGUF name. */
export type TypeChoice = FileWeightType | ((name: string) => FileWeightType);

/** A mix that puts every weight type on the path of one token. */
export const MIXED_TYPES: TypeChoice = (name) => {
  if (name.endsWith('ssm_in.weight')) return name.startsWith('blk.0.') ? 'Q4_0' : 'Q8_0';
  if (name.endsWith('ssm_x.weight')) return name.startsWith('blk.0.') ? 'Q8_0' : 'F16';
  if (name.endsWith('ssm_out.weight')) return name.startsWith('blk.0.') ? 'F16' : 'Q4_0';
  if (name === 'token_embd.weight') return 'Q8_0';
  return 'F32';
};

/** `src` re-encoded (after `edit` changes a tensor's F32 values, when given); `src` is closed. */
export async function retypedModel(src: ModelFile, choice: TypeChoice, label: string, edit?: (name: string, values: Float32Array) => void): Promise<ModelFile> {
  const keepF32 = new Map(expectedTensors(src.config).map((e) => [e.gguf, e.row.keepF32]));
  const tensors: GGUFTensorToWrite[] = src.tensors.map((t) => {
    let type: FileWeightType = keepF32.get(t.name) !== false || t.shape.length < 2 ? 'F32' : typeof choice === 'function' ? choice(t.name) : choice;
    if (t.shape[t.shape.length - 1] % QUANT_TRAITS[type]!.blockSize !== 0) type = 'F32';
    return {
      name: t.name,
      type: ggmlType(type),
      shape: t.shape,
      read: async () => {
        const values = dequantize(await t.read(), t.type, numElements(t.shape));
        edit?.(t.name, values);
        return encodeAs(type, values);
      },
    };
  });
  try {
    return await writeModel(src.config, tensors, label);
  } finally {
    await src.close();
  }
}

async function writeModel(c: MambaConfig, tensors: GGUFTensorToWrite[], label: string): Promise<ModelFile> {
  const meta = new GGUFMetadata();
  meta.setString('general.architecture', c.arch);
  configToGGUF(c, meta);
  const sink = new MemorySink();
  await writeGGUF(sink, meta, tensors);
  return openGGUFModel(new MemorySource(sink.toBytes(), label));
}

/** A Mamba shape whose matrices (all but dt_proj) have rows of a multiple of 256. */
export const K_QUANT_CONFIG: MambaConfig = Object.freeze({
  arch: 'mamba', dModel: 256, nLayer: 2, nVocab: 300, dInner: 512, dState: 16, dConv: 4, dtRank: 16, normEps: 1e-5,
  projBias: false, convBias: true, tieEmbeddings: false, contextLength: DEFAULT_CONTEXT_LENGTH, gateActivation: 'silu',
});

/**
 * A seeded random F32 model of shape `c`, initialised as Mamba is (so activations stay in range over the
 * layers): matrices U(−a, a) with variance 1/nIn, embedding variance 1, norms ≈ 1, A = −(1 … dState)
 * (S4D-real), D = 1, dt_bias = softplus⁻¹(dt) with dt log-uniform in [1e-3, 1e-1].
 */
export async function randomModel(c: MambaConfig, seed: number, label: string): Promise<ModelFile> {
  const rand = mulberry32(seed);
  const u = () => 2 * rand() - 1;
  const values = (name: string, shape: readonly number[]): Float32Array => {
    const n = numElements(shape);
    const nIn = shape[shape.length - 1];
    if (name.endsWith('norm.weight')) return Float32Array.from({ length: n }, () => 1 + 0.1 * u());
    if (name.endsWith('ssm_a')) return Float32Array.from({ length: n }, (_, i) => -(1 + (i % c.dState)));
    if (name.endsWith('ssm_d')) return new Float32Array(n).fill(1);
    if (name.endsWith('ssm_dt.bias')) {
      return Float32Array.from({ length: n }, () => {
        const dt = Math.exp(Math.log(1e-3) + rand() * (Math.log(1e-1) - Math.log(1e-3)));
        return dt + Math.log(-Math.expm1(-dt));
      });
    }
    if (name.endsWith('ssm_conv1d.weight')) return Float32Array.from({ length: n }, () => 0.5 * u());
    if (name.endsWith('.bias')) return Float32Array.from({ length: n }, () => 0.1 * u());
    const a = name === 'token_embd.weight' ? Math.sqrt(3) : Math.sqrt(3 / nIn);
    return Float32Array.from({ length: n }, () => a * u());
  };
  const tensors: GGUFTensorToWrite[] = expectedTensors(c)
    .filter((e) => e.required)
    .map((e) => {
      const data = values(e.gguf, e.shape);
      return { name: e.gguf, type: ggmlType('F32'), shape: e.shape, read: async () => new Uint8Array(data.buffer) };
    });
  return writeModel(c, tensors, label);
}
