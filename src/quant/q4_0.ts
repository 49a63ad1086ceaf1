/**
 * Q4_0: 32 weights per block, 18 bytes.
 *
 *   offset 0  f16  d        scale = max / −8, `max` the signed value of largest magnitude
 *   offset 2  u8   qs[16]   weight j (j < 16) is the low nibble of qs[j], weight j + 16 its high nibble
 *                           x ≈ d · (nibble − 8)
 *
 * Quantize: ggml `quantize_row_q4_0_ref`, bit-exact with gguf-py `Q4_0.quantize_blocks` (float32 throughout,
 * nibble = min(15, trunc(x/d + 8.5))). One difference between the two, followed here as gguf-py: for an
 * all-zero block gguf-py takes `max` = x[0], so a block starting with −0.0 stores d = +0 (C stores −0).
 */
import { readF16, writeF16 } from './block-bytes.js';

export const QK4_0 = 32;
export const Q4_0_BLOCK_BYTES = 18;
const D_OFFSET = 0;
const QS_OFFSET = 2;

export function quantizeQ4_0(src: Float32Array, dst: Uint8Array): void {
  const nBlocks = src.length / QK4_0;
  for (let b = 0; b < nBlocks; b++) {
    const x = b * QK4_0;
    const o = b * Q4_0_BLOCK_BYTES;
    // imax = abs(blocks).argmax(axis=-1)  (first index of the largest magnitude); max = blocks[imax]
    let imax = 0;
    for (let j = 1; j < QK4_0; j++) if (Math.abs(src[x + j]) > Math.abs(src[x + imax])) imax = j;
    const d = Math.fround(src[x + imax] / -8);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    writeF16(dst, o + D_OFFSET, d);
    for (let j = 0; j < QK4_0 / 2; j++) {
      // qs = trunc(blocks * id + 8.5).clip(0, 15)
      const lo = Math.min(15, Math.trunc(Math.fround(Math.fround(src[x + j] * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(Math.fround(Math.fround(src[x + j + QK4_0 / 2] * id) + 8.5)));
      dst[o + QS_OFFSET + j] = lo | (hi << 4);
    }
  }
}

export function dequantizeQ4_0(src: Uint8Array, dst: Float32Array): void {
  const nBlocks = dst.length / QK4_0;
  for (let b = 0; b < nBlocks; b++) {
    const o = b * Q4_0_BLOCK_BYTES;
    const d = readF16(src, o + D_OFFSET);
    for (let j = 0; j < QK4_0 / 2; j++) {
      const q = src[o + QS_OFFSET + j];
      dst[b * QK4_0 + j] = d * ((q & 0x0f) - 8);
      dst[b * QK4_0 + j + QK4_0 / 2] = d * ((q >> 4) - 8);
    }
  }
}
