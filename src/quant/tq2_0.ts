/**
 * TQ2_0 (ternary, 2 bits per weight): 256 weights per block, 66 bytes. x ≈ d · t with t ∈ {−1, 0, +1}.
 *
 *   offset 0   u8   qs[64]   t + 1 in 2 bits: weight 128i + 32n + m is bits 2n..2n+1 of qs[32i + m]
 *                            (i < 2, n < 4, m < 32)
 *   offset 64  f16  d
 *
 * Quantize: ggml `quantize_row_tq2_0_ref`, bit-exact with gguf-py `TQ2_0.quantize_blocks`: d = max|x| of the
 * block (absmax), t = round-half-away(x / d). `packTQ2_0Block` stores trits with any scale (see
 * ternary-absmean.ts).
 */
import { readF16, writeF16 } from './block-bytes.js';
import { QK_K } from './qk-k.js';
import { roundHalfAwayFromZero } from './rounding.js';

export const TQ2_0_BLOCK_BYTES = 66;
const QS_OFFSET = 0;
const D_OFFSET = 64;

/** Packs QK_K trits t[tOff ..] (each −1, 0 or +1) and the scale d as one TQ2_0 block at dst[o ..]. */
export function packTQ2_0Block(t: Int8Array, tOff: number, d: number, dst: Uint8Array, o: number): void {
  for (let i = 0; i < QK_K / 128; i++) {
    for (let m = 0; m < 32; m++) {
      let q = 0;
      for (let n = 0; n < 4; n++) q |= (t[tOff + 128 * i + 32 * n + m] + 1) << (2 * n);
      dst[o + QS_OFFSET + 32 * i + m] = q;
    }
  }
  writeF16(dst, o + D_OFFSET, d);
}

/** Per-block absmax trits of src[x .. x+QK_K) into t[0 .. QK_K); returns d = max|x| (float32). */
export function absmaxTrits(src: Float32Array, x: number, t: Int8Array): number {
  let amax = 0;
  for (let j = 0; j < QK_K; j++) amax = Math.max(amax, Math.abs(src[x + j]));
  const id = amax !== 0 ? Math.fround(1 / amax) : 0;
  for (let j = 0; j < QK_K; j++) t[j] = roundHalfAwayFromZero(Math.fround(src[x + j] * id));
  return amax;
}

export function quantizeTQ2_0(src: Float32Array, dst: Uint8Array): void {
  const t = new Int8Array(QK_K);
  const nBlocks = src.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const d = absmaxTrits(src, b * QK_K, t);
    packTQ2_0Block(t, 0, d, dst, b * TQ2_0_BLOCK_BYTES);
  }
}

export function dequantizeTQ2_0(src: Uint8Array, dst: Float32Array): void {
  const nBlocks = dst.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const o = b * TQ2_0_BLOCK_BYTES;
    const d = readF16(src, o + D_OFFSET);
    for (let i = 0; i < QK_K / 128; i++) {
      for (let n = 0; n < 4; n++) {
        for (let m = 0; m < 32; m++) {
          const q = (src[o + QS_OFFSET + 32 * i + m] >> (2 * n)) & 3;
          dst[b * QK_K + 128 * i + 32 * n + m] = d * (q - 1);
        }
      }
    }
  }
}
