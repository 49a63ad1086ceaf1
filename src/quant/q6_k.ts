/**
 * Q6_K: 256 weights per super-block, 210 bytes; 16 sub-blocks of 16 weights, each with an 8-bit signed scale,
 * x ≈ d · scales[j] · (q − 32) with q a 6-bit unsigned value.
 *
 *   offset 0    u8   ql[128]     low 4 bits of q. For half h (weights 128h .. 128h+127), l < 32:
 *                                  ql[64h + l]      low nibble: weight 128h + l,      high nibble: weight 128h + l + 64
 *                                  ql[64h + l + 32] low nibble: weight 128h + l + 32, high nibble: weight 128h + l + 96
 *   offset 128  u8   qh[64]      high 2 bits of q: qh[32h + l] bits 2k..2k+1 belong to weight 128h + l + 32k
 *   offset 192  i8   scales[16]  sub-block j covers weights 16j .. 16j+15
 *   offset 208  f16  d
 *
 * Quantize: ggml `quantize_row_q6_K_ref` with `make_qx_quants(16, 32, x, L, rmse_type = 1)`, every float
 * operation in float32 without FMA contraction. gguf-py 0.19 cannot quantize Q6_K, so this is checked by
 * round-trip bounds; dequantize is bit-exact with gguf-py `Q6_K.dequantize_blocks`.
 */
import { readF16, readI8, writeF16 } from './block-bytes.js';
import { QK_K } from './qk-k.js';
import { nearestInt } from './rounding.js';

export const Q6_K_BLOCK_BYTES = 210;
const QL_OFFSET = 0;
const QH_OFFSET = 128;
const SCALES_OFFSET = 192;
const D_OFFSET = 208;
const SUB = 16; // weights per sub-block
const N_SUB = QK_K / SUB;
/** ggml GROUP_MAX_EPS: below this a group counts as all zero. */
const GROUP_MAX_EPS = Math.fround(1e-15);

/**
 * ggml `make_qx_quants` with rmse_type = 1 (weights x²) and no importance weights: symmetric levels
 * L − nmax in −nmax .. nmax−1, best of 19 trial scales. Writes L[lOff ..) (0 .. 2·nmax−1), returns the scale.
 */
function makeQxQuants(n: number, nmax: number, x: Float32Array, xOff: number, L: Int8Array, lOff: number): number {
  const f = Math.fround;
  let max = 0;
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[xOff + i]);
    if (ax > amax) {
      amax = ax;
      max = x[xOff + i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (let i = 0; i < n; i++) L[lOff + i] = 0;
    return 0;
  }
  let iscale = f(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[xOff + i];
    const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * xi))));
    L[lOff + i] = l + nmax;
    const w = f(xi * xi);
    sumlx = f(sumlx + f(f(w * xi) * l));
    suml2 = f(suml2 + f(f(w * l) * l));
  }
  let scale = suml2 !== 0 ? f(sumlx / suml2) : 0;
  let best = f(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    iscale = f(-f(nmax + f(f(0.1) * is)) / max);
    sumlx = 0;
    suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xOff + i];
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * xi))));
      const w = f(xi * xi);
      sumlx = f(sumlx + f(f(w * xi) * l));
      suml2 = f(suml2 + f(f(w * l) * l));
    }
    if (suml2 > 0 && f(sumlx * sumlx) > f(best * suml2)) {
      for (let i = 0; i < n; i++) {
        L[lOff + i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(f(iscale * x[xOff + i]))));
      }
      scale = f(sumlx / suml2);
      best = f(scale * sumlx);
    }
  }
  return scale;
}

export function quantizeQ6_K(src: Float32Array, dst: Uint8Array): void {
  const f = Math.fround;
  const nBlocks = src.length / QK_K;
  const L = new Int8Array(QK_K);
  const scales = new Float32Array(N_SUB);
  for (let b = 0; b < nBlocks; b++) {
    const x = b * QK_K;
    const o = b * Q6_K_BLOCK_BYTES;
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < N_SUB; ib++) {
      scales[ib] = makeQxQuants(SUB, 32, src, x + SUB * ib, L, SUB * ib);
      const absScale = Math.abs(scales[ib]);
      if (absScale > maxAbsScale) {
        maxAbsScale = absScale;
        maxScale = scales[ib];
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) {
      dst.fill(0, o, o + Q6_K_BLOCK_BYTES); // d = +0 too
      continue;
    }
    const iscale = f(-128 / maxScale);
    writeF16(dst, o + D_OFFSET, f(1 / iscale));
    for (let ib = 0; ib < N_SUB; ib++) dst[o + SCALES_OFFSET + ib] = Math.min(127, nearestInt(f(iscale * scales[ib]))) & 0xff;
    // requantize with the stored scales; a sub-block whose scale is 0 keeps make_qx_quants' levels
    const dAll = readF16(dst, o + D_OFFSET);
    for (let j = 0; j < N_SUB; j++) {
      const d = f(dAll * readI8(dst, o + SCALES_OFFSET + j));
      if (d === 0) continue;
      for (let ii = 0; ii < SUB; ii++) {
        const l = nearestInt(f(src[x + SUB * j + ii] / d));
        L[SUB * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
      }
    }
    for (let j = 0; j < QK_K; j += 128) {
      const ql = o + QL_OFFSET + j / 2;
      const qh = o + QH_OFFSET + j / 4;
      for (let l = 0; l < 32; l++) {
        const q1 = L[j + l] & 0xf;
        const q2 = L[j + l + 32] & 0xf;
        const q3 = L[j + l + 64] & 0xf;
        const q4 = L[j + l + 96] & 0xf;
        dst[ql + l] = q1 | (q3 << 4);
        dst[ql + l + 32] = q2 | (q4 << 4);
        dst[qh + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
      }
    }
  }
}

export function dequantizeQ6_K(src: Uint8Array, dst: Float32Array): void {
  const f = Math.fround;
  const nBlocks = dst.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const o = b * Q6_K_BLOCK_BYTES;
    const d = readF16(src, o + D_OFFSET);
    for (let h = 0; h < 2; h++) {
      const ql = o + QL_OFFSET + 64 * h;
      const qh = o + QH_OFFSET + 32 * h;
      for (let k = 0; k < 4; k++) {
        // weight 128h + 32k + l: ql[l + 32·(k&1)] nibble k>>1, qh[l] bits 2k..2k+1
        for (let l = 0; l < 32; l++) {
          const i = 128 * h + 32 * k + l;
          const low = (src[ql + l + 32 * (k & 1)] >> (4 * (k >> 1))) & 0xf;
          const q = (low | (((src[qh + l] >> (2 * k)) & 3) << 4)) - 32;
          const ds = f(d * readI8(src, o + SCALES_OFFSET + (i >> 4)));
          dst[b * QK_K + i] = ds * q;
        }
      }
    }
  }
}
