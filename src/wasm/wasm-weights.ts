/**
 * Places a model's weights in the arena. Matrices (embedding, lm_head, in_proj, x_proj, dt_proj, out_proj)
 * keep their file type when it has kernels (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K, TQ1_0, TQ2_0: bytes copied as
 * they are; dt_proj only in a type with a fused dt_proj kernel); other types (BF16) are decoded to F32. Once
 * read, a matrix may take one of the backend's load-time forms (the `relayout` callback of fill): F16 → F16R
 * when its values allow (f16r.ts), Q4_0 → Q4_0X2 and Q8_0 → Q8_0X4 when its row count allows
 * (interleave-rows.ts) — the same values, faster kernels.
 * Vectors, conv1d, A and D are F32 (decoded if stored otherwise). Shapes outer-first.
 */
import { dequantize } from '../ggml/dequantize.js';
import type { MambaConfig } from '../model/mamba-config.js';
import type { ModelFile } from '../model/model-file.js';
import { numElements, type TensorEntry } from '../model/tensor-entry.js';
import type { WasmArena } from './wasm-arena.js';
import type { WasmMemory } from './webassembly-api.js';
import { isWasmWeightType, WEIGHT_KERNELS, type WasmWeightType } from './weight-kernels.js';

/** A weight matrix (nRows, nIn) in wasm memory. */
export interface WasmMatrix {
  readonly name: string;
  /** Final once `fill` has run (F16 may become F16R, Q4_0 Q4_0X2, Q8_0 Q8_0X4). */
  readonly type: WasmWeightType;
  readonly ptr: number;
  readonly nRows: number;
  readonly nIn: number;
}

/** Pointers (byte offsets) of one layer; 0 for an absent bias. */
export interface WasmLayerWeights {
  readonly attnNorm: number; //   (dModel)
  readonly ssmIn: WasmMatrix; //   (2·dInner, dModel)
  readonly ssmInBias: number; //  (2·dInner) | 0
  readonly conv1d: number; //     (dInner, dConv)
  readonly conv1dBias: number; // (dInner) | 0
  readonly ssmX: WasmMatrix; //    (dtRank + 2·dState, dInner)
  readonly ssmDt: WasmMatrix; //   (dInner, dtRank)
  readonly ssmDtBias: number; //  (dInner)
  readonly ssmA: number; //       (dInner, dState)
  readonly ssmD: number; //       (dInner)
  readonly ssmOut: WasmMatrix; //  (dModel, dInner)
  readonly ssmOutBias: number; // (dModel) | 0
}

export interface WasmWeights {
  readonly tokenEmbd: WasmMatrix; // (nVocab, dModel)
  readonly outputNorm: number; //   (dModel)
  /** lm_head (nVocab, dModel): the embedding itself when tied. */
  readonly output: WasmMatrix;
  readonly layers: readonly WasmLayerWeights[];
}

/** Every weight matrix of `w` (the embedding, lm_head — the same object when tied — and each layer's four), in order. */
export function weightMatrices<M>(w: { readonly tokenEmbd: M; readonly output: M; readonly layers: readonly { readonly ssmIn: M; readonly ssmX: M; readonly ssmDt: M; readonly ssmOut: M }[] }): M[] {
  return [w.tokenEmbd, w.output, ...w.layers.flatMap((l) => [l.ssmIn, l.ssmX, l.ssmDt, l.ssmOut])];
}

/** A tensor to copy into the arena once the memory exists. */
interface Placement {
  readonly tensor: TensorEntry;
  readonly ptr: number;
  /** 'copy': bytes as in the file; 'F32': decoded to F32. */
  readonly as: 'copy' | 'F32';
  /** The matrix placed, when the tensor is one (its type may change at fill). */
  readonly matrix?: WasmMatrix & { type: WasmWeightType };
}

/** A matrix in wasm memory → its type from now on (see PlannedWeights.fill). */
export type Relayout = (m: WasmMatrix) => WasmWeightType;

export interface PlannedWeights {
  readonly weights: WasmWeights;
  /** Bytes the 2-D weights (matrices) take in the arena: what another weight type would change. */
  readonly matrixBytes: number;
  /**
   * Copies every tensor into `memory` (reads the file; one tensor in JS memory at a time). `relayout` is
   * shown each matrix kept as it is, once in memory, and returns its type from then on (its own, or a
   * load-time form it converted it to in place).
   */
  fill(memory: WasmMemory, onTensor?: (name: string) => void, relayout?: Relayout): Promise<void>;
}

export function planWeights(arena: WasmArena, file: ModelFile): PlannedWeights {
  const c: MambaConfig = file.config;
  const placements: Placement[] = [];
  let matrixBytes = 0;
  const tensor = (name: string): TensorEntry => {
    const t = file.tensor(name);
    if (!t) throw new Error(`tensor ${name} missing (the model file was checked when opened)`);
    return t;
  };
  const vector = (name: string): number => {
    const t = tensor(name);
    const ptr = arena.alloc(`weights.${name}`, 4 * numElements(t.shape));
    placements.push({ tensor: t, ptr, as: t.type.name === 'F32' ? 'copy' : 'F32' });
    return ptr;
  };
  const optVector = (name: string): number => (file.tensor(name) ? vector(name) : 0);
  /** `dtProj`: the matrix feeds the fused dt_proj kernel, which the 256-block types do not have. */
  const matrix = (name: string, dtProj = false): WasmMatrix => {
    const t = tensor(name);
    const [nRows, nIn] = t.shape;
    const keep = isWasmWeightType(t.type.name) && (!dtProj || WEIGHT_KERNELS[t.type.name].dtProj !== undefined);
    const type: WasmWeightType = keep ? (t.type.name as WasmWeightType) : 'F32';
    const nBytes = keep ? t.nBytes : 4 * nRows * nIn;
    const ptr = arena.alloc(`weights.${name}`, nBytes);
    matrixBytes += nBytes;
    const m: { -readonly [K in keyof WasmMatrix]: WasmMatrix[K] } = { name, type, ptr, nRows, nIn };
    placements.push({ tensor: t, ptr, as: keep ? 'copy' : 'F32', matrix: m });
    return m;
  };

  const tokenEmbd = matrix('token_embd.weight');
  const outputNorm = vector('output_norm.weight');
  const output = c.tieEmbeddings ? tokenEmbd : matrix('output.weight');
  const layers: WasmLayerWeights[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `blk.${i}.`;
    layers.push({
      attnNorm: vector(p + 'attn_norm.weight'),
      ssmIn: matrix(p + 'ssm_in.weight'),
      ssmInBias: optVector(p + 'ssm_in.bias'),
      conv1d: vector(p + 'ssm_conv1d.weight'),
      conv1dBias: optVector(p + 'ssm_conv1d.bias'),
      ssmX: matrix(p + 'ssm_x.weight'),
      ssmDt: matrix(p + 'ssm_dt.weight', true),
      ssmDtBias: vector(p + 'ssm_dt.bias'),
      ssmA: vector(p + 'ssm_a'),
      ssmD: vector(p + 'ssm_d'),
      ssmOut: matrix(p + 'ssm_out.weight'),
      ssmOutBias: optVector(p + 'ssm_out.bias'),
    });
  }

  return {
    weights: { tokenEmbd, outputNorm, output, layers },
    matrixBytes,
    async fill(memory, onTensor, relayout) {
      for (const { tensor: t, ptr, as, matrix } of placements) {
        if (as === 'copy') {
          // Straight from the file into WASM memory where the format allows (GGUF, safetensors): no JS copy.
          const view = new Uint8Array(memory.buffer, ptr, t.nBytes);
          const bytes = await t.read(view);
          if (bytes !== view) view.set(bytes);
          if (matrix && relayout) matrix.type = relayout(matrix);
        } else {
          new Float32Array(memory.buffer, ptr, numElements(t.shape)).set(dequantize(await t.read(), t.type, numElements(t.shape)));
        }
        onTensor?.(t.name);
      }
    },
  };
}
