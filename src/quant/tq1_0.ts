/**
 * TQ1_0 (ternary, 1.6875 bits per weight): 256 weights per block, 54 bytes. x ≈ d · t with t ∈ {−1, 0, +1};
 * five trits per byte as a base-3 fraction of 256 (byte = ⌈q · 256 / 243⌉ for the 5-trit number q, first trit
 * most significant), so trit n is recovered as ((byte · 3^n mod 256) · 3) >> 8.
 *
 *   offset 0   u8   qs[48]   qs[m], m < 32:       trits of weights m + 32n         (n < 5; weights 0 .. 159)
 *                            qs[32 + m], m < 16:  trits of weights 160 + m + 16n   (n < 5; weights 160 .. 239)
 *   offset 48  u8   qh[4]    qh[m]: trits of weights 240 + m + 4n (n < 4; weights 240 .. 255), then a 0 trit
 *   offset 52  f16  d
 *
 * Quantize: ggml `quantize_row_tq1_0_ref`, bit-exact with gguf-py `TQ1_0.quantize_blocks`: d = max|x| of the
 * block (absmax), t = round-half-away(x / d). `packTQ1_0Block` stores trits with any scale (see
 * ternary-absmean.ts).
 */
import { readF16, writeF16 } from './block-bytes.js';
import { QK_K } from './qk-k.js';
import { absmaxTrits } from './tq2_0.js';

export const TQ1_0_BLOCK_BYTES = 54;
const QS_OFFSET = 0;
const QH_OFFSET = 48;
const D_OFFSET = 52;
/** The byte groups: [first weight, bytes, trits per byte, byte offset]. */
const GROUPS = [
  [0, 32, 5, QS_OFFSET],
  [160, 16, 5, QS_OFFSET + 32],
  [240, 4, 4, QH_OFFSET],
] as const;

/** ⌈q · 256 / 243⌉: a 5-trit number 0..242 as a base-3 fraction of a byte. */
function tritsToByte(q: number): number {
  return ((q * 256 + 242) / 243) | 0;
}

/** Packs QK_K trits t[tOff ..] (each −1, 0 or +1) and the scale d as one TQ1_0 block at dst[o ..]. */
export function packTQ1_0Block(t: Int8Array, tOff: number, d: number, dst: Uint8Array, o: number): void {
  for (const [first, nBytes, nTrits, off] of GROUPS) {
    for (let m = 0; m < nBytes; m++) {
      let q = 0;
      for (let n = 0; n < nTrits; n++) q = q * 3 + (t[tOff + first + m + nBytes * n] + 1);
      if (nTrits === 4) q *= 3; // qh: the 4 trits are the most significant ones
      dst[o + off + m] = tritsToByte(q);
    }
  }
  writeF16(dst, o + D_OFFSET, d);
}

export function quantizeTQ1_0(src: Float32Array, dst: Uint8Array): void {
  const t = new Int8Array(QK_K);
  const nBlocks = src.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const d = absmaxTrits(src, b * QK_K, t);
    packTQ1_0Block(t, 0, d, dst, b * TQ1_0_BLOCK_BYTES);
  }
}

const POW3 = [1, 3, 9, 27, 81];

export function dequantizeTQ1_0(src: Uint8Array, dst: Float32Array): void {
  const nBlocks = dst.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const o = b * TQ1_0_BLOCK_BYTES;
    const d = readF16(src, o + D_OFFSET);
    for (const [first, nBytes, nTrits, off] of GROUPS) {
      for (let n = 0; n < nTrits; n++) {
        for (let m = 0; m < nBytes; m++) {
          const q = (src[o + off + m] * POW3[n]) & 0xff; // uint8 wrap-around
          dst[b * QK_K + first + m + nBytes * n] = d * (((q * 3) >> 8) - 1);
        }
      }
    }
  }
}
