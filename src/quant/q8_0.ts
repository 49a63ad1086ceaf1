/**
 * Q8_0: 32 weights per block, 34 bytes.
 *
 *   offset 0  f16  d        scale = max|x| / 127
 *   offset 2  i8   qs[32]   x ≈ d · qs[j]
 *
 * Quantize: ggml `quantize_row_q8_0_ref`, bit-exact with gguf-py `Q8_0.quantize_blocks`
 * (float32 throughout, round half away from zero).
 */
import { readF16, readI8, writeF16 } from './block-bytes.js';
import { roundHalfAwayFromZero } from './rounding.js';

export const QK8_0 = 32;
export const Q8_0_BLOCK_BYTES = 34;
const D_OFFSET = 0;
const QS_OFFSET = 2;

export function quantizeQ8_0(src: Float32Array, dst: Uint8Array): void {
  const nBlocks = src.length / QK8_0;
  for (let b = 0; b < nBlocks; b++) {
    const x = b * QK8_0;
    const o = b * Q8_0_BLOCK_BYTES;
    // d = abs(blocks).max(axis=1, keepdims=True) / 127
    let amax = 0;
    for (let j = 0; j < QK8_0; j++) amax = Math.max(amax, Math.abs(src[x + j]));
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    writeF16(dst, o + D_OFFSET, d);
    // qs = np_roundf(blocks * id)
    for (let j = 0; j < QK8_0; j++) dst[o + QS_OFFSET + j] = roundHalfAwayFromZero(Math.fround(src[x + j] * id)) & 0xff;
  }
}

export function dequantizeQ8_0(src: Uint8Array, dst: Float32Array): void {
  const nBlocks = dst.length / QK8_0;
  for (let b = 0; b < nBlocks; b++) {
    const o = b * Q8_0_BLOCK_BYTES;
    const d = readF16(src, o + D_OFFSET);
    for (let j = 0; j < QK8_0; j++) dst[b * QK8_0 + j] = d * readI8(src, o + QS_OFFSET + j);
  }
}
