/**
 * The codecs of every tensor type mamba.ts reads or writes: one row per type, as ggml's `type_traits`
 * (`from_float_ref` / `to_float`). A row's block constants live next to its codec (q8_0.ts, …) and the tests
 * check them against GGML_TYPES. Adding a quant type = one codec file + one row here.
 *
 * A codec works on whole blocks: `quantize(src, dst)` encodes src.length / blockSize blocks into dst
 * (blockBytes each), `dequantize(src, dst)` decodes dst.length / blockSize blocks.
 */
import type { GGMLTypeName } from '../ggml/ggml-type.js';
import { dequantizeBF16, dequantizeF16, dequantizeF32, quantizeBF16, quantizeF16, quantizeF32 } from './float-codecs.js';
import { QK4_0, Q4_0_BLOCK_BYTES, dequantizeQ4_0, quantizeQ4_0 } from './q4_0.js';
import { Q4_K_BLOCK_BYTES, dequantizeQ4_K, quantizeQ4_K } from './q4_k.js';
import { Q6_K_BLOCK_BYTES, dequantizeQ6_K, quantizeQ6_K } from './q6_k.js';
import { QK8_0, Q8_0_BLOCK_BYTES, dequantizeQ8_0, quantizeQ8_0 } from './q8_0.js';
import { Q8_K_BLOCK_BYTES, dequantizeQ8_K, quantizeQ8_K } from './q8_k.js';
import { QK_K } from './qk-k.js';
import { TQ1_0_BLOCK_BYTES, dequantizeTQ1_0, quantizeTQ1_0 } from './tq1_0.js';
import { TQ2_0_BLOCK_BYTES, dequantizeTQ2_0, quantizeTQ2_0 } from './tq2_0.js';

export type QuantizeBlocks = (src: Float32Array, dst: Uint8Array) => void;
export type DequantizeBlocks = (src: Uint8Array, dst: Float32Array) => void;

export interface QuantTraits {
  readonly name: GGMLTypeName;
  /** Weights per block. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly blockBytes: number;
  readonly quantize: QuantizeBlocks;
  readonly dequantize: DequantizeBlocks;
  /**
   * What `quantize` is byte-identical to: gguf-py's `gguf.quants.quantize` (checked against committed
   * fixtures), or only ggml's C reference algorithm (gguf-py cannot quantize the type).
   */
  readonly quantizeOracle: 'gguf-py' | 'ggml-c';
  /**
   * Types to store a tensor as, in order, when its row length is not a multiple of `blockSize`
   * (llama.cpp's fallback: k-quants and ternary to a 32-block type, then F16).
   */
  readonly fallback: readonly GGMLTypeName[];
}

function row(
  name: GGMLTypeName, blockSize: number, blockBytes: number, quantize: QuantizeBlocks, dequantize: DequantizeBlocks,
  quantizeOracle: QuantTraits['quantizeOracle'], fallback: GGMLTypeName[] = [],
): QuantTraits {
  return Object.freeze({ name, blockSize, blockBytes, quantize, dequantize, quantizeOracle, fallback: Object.freeze(fallback) });
}

export const QUANT_TRAITS: Readonly<Partial<Record<GGMLTypeName, QuantTraits>>> = Object.freeze({
  F32: row('F32', 1, 4, quantizeF32, dequantizeF32, 'gguf-py'),
  F16: row('F16', 1, 2, quantizeF16, dequantizeF16, 'gguf-py'),
  BF16: row('BF16', 1, 2, quantizeBF16, dequantizeBF16, 'gguf-py'),
  Q8_0: row('Q8_0', QK8_0, Q8_0_BLOCK_BYTES, quantizeQ8_0, dequantizeQ8_0, 'gguf-py', ['F16']),
  Q4_0: row('Q4_0', QK4_0, Q4_0_BLOCK_BYTES, quantizeQ4_0, dequantizeQ4_0, 'gguf-py', ['F16']),
  Q4_K: row('Q4_K', QK_K, Q4_K_BLOCK_BYTES, quantizeQ4_K, dequantizeQ4_K, 'ggml-c', ['Q4_0', 'F16']),
  Q6_K: row('Q6_K', QK_K, Q6_K_BLOCK_BYTES, quantizeQ6_K, dequantizeQ6_K, 'ggml-c', ['Q8_0', 'F16']),
  Q8_K: row('Q8_K', QK_K, Q8_K_BLOCK_BYTES, quantizeQ8_K, dequantizeQ8_K, 'ggml-c'), // activations only
  TQ1_0: row('TQ1_0', QK_K, TQ1_0_BLOCK_BYTES, quantizeTQ1_0, dequantizeTQ1_0, 'gguf-py', ['Q4_0', 'F16']),
  TQ2_0: row('TQ2_0', QK_K, TQ2_0_BLOCK_BYTES, quantizeTQ2_0, dequantizeTQ2_0, 'gguf-py', ['Q4_0', 'F16']),
});
