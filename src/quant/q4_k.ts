/**
 * Q4_K: 256 weights per super-block, 144 bytes; 8 sub-blocks of 32 weights, each with a 6-bit scale and a 6-bit
 * min, x ≈ d·sc[j] · q − dmin·m[j] with q a 4-bit unsigned nibble.
 *
 *   offset 0   f16  d           super-block scale of the sub-block scales
 *   offset 2   f16  dmin        super-block scale of the sub-block mins
 *   offset 4   u8   scales[12]  sc[j], m[j] for j < 8, packed 6 bits each:
 *                                 bytes 0-3:  sc[0..3] in bits 0-5, sc[4..7] bits 4-5 in bits 6-7
 *                                 bytes 4-7:  m[0..3]  in bits 0-5, m[4..7]  bits 4-5 in bits 6-7
 *                                 bytes 8-11: sc[4..7] bits 0-3 in the low nibble, m[4..7] bits 0-3 in the high
 *   offset 16  u8   qs[128]     sub-blocks 2i and 2i+1 share qs[32i .. 32i+31]: low nibbles, then high nibbles
 *
 * Quantize: ggml `quantize_row_q4_K_ref` (what llama.cpp uses without an importance matrix), every float
 * operation in float32 as the C code does without FMA contraction. gguf-py 0.19 cannot quantize Q4_K, so this
 * is checked by round-trip bounds; dequantize is bit-exact with gguf-py `Q4_K.dequantize_blocks`.
 */
import { readF16, writeF16 } from './block-bytes.js';
import { QK_K } from './qk-k.js';
import { nearestInt } from './rounding.js';

export const Q4_K_BLOCK_BYTES = 144;
/** Bytes of packed 6-bit scales and mins (ggml `K_SCALE_SIZE`). */
export const K_SCALE_SIZE = 12;
const D_OFFSET = 0;
const DMIN_OFFSET = 2;
const SCALES_OFFSET = 4;
const QS_OFFSET = 16;
const SUB = 32; // weights per sub-block
const N_SUB = QK_K / SUB;

/** ggml `get_scale_min_k4`: the 6-bit scale and min of sub-block j from the 12 packed bytes at `o`. */
export function scaleMinK4(q: Uint8Array, o: number, j: number): [sc: number, m: number] {
  if (j < 4) return [q[o + j] & 63, q[o + j + 4] & 63];
  return [(q[o + j + 4] & 0xf) | ((q[o + j - 4] >> 6) << 4), (q[o + j + 4] >> 4) | ((q[o + j] >> 6) << 4)];
}

/**
 * ggml `make_qkx2_quants`: fits x ≈ scale·L − min (L in 0..nmax, min ≥ 0) minimizing the weighted squared
 * error over nstep+1 trial scales. Writes L[lOff .. lOff+n), returns [scale, min].
 */
function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xOff: number, weights: Float32Array,
  L: Uint8Array, lOff: number, Laux: Uint8Array, rmin: number, rdelta: number, nstep: number,
): [scale: number, min: number] {
  const f = Math.fround;
  let min = x[xOff];
  let max = x[xOff];
  let sumW = weights[0];
  let sumX = f(sumW * x[xOff]);
  for (let i = 1; i < n; i++) {
    const xi = x[xOff + i];
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i];
    sumW = f(sumW + w);
    sumX = f(sumX + f(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lOff + i] = 0;
    return [0, -min];
  }
  let iscale = f(nmax / f(max - min));
  let scale = f(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = nearestInt(f(iscale * f(x[xOff + i] - min)));
    L[lOff + i] = Math.max(0, Math.min(nmax, l));
    const diff = f(f(f(scale * L[lOff + i]) + min) - x[xOff + i]);
    bestError = f(bestError + f(weights[i] * f(diff * diff)));
  }
  if (nstep < 1) return [scale, -min];
  // note: `min` (and so max − min) moves whenever a trial improves on the best error, as in ggml
  for (let is = 0; is <= nstep; is++) {
    iscale = f(f(f(rmin + f(rdelta * is)) + nmax) / f(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[xOff + i];
      const l = Math.max(0, Math.min(nmax, nearestInt(f(iscale * f(xi - min)))));
      Laux[i] = l;
      const wl = f(weights[i] * l);
      sumL = f(sumL + wl);
      sumL2 = f(sumL2 + f(wl * l));
      sumXL = f(sumXL + f(wl * xi));
    }
    const D = f(f(sumW * sumL2) - f(sumL * sumL));
    if (D > 0) {
      let thisScale = f(f(f(sumW * sumXL) - f(sumX * sumL)) / D);
      let thisMin = f(f(f(sumL2 * sumX) - f(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        const diff = f(f(f(thisScale * Laux[i]) + thisMin) - x[xOff + i]);
        curError = f(curError + f(weights[i] * f(diff * diff)));
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lOff + i] = Laux[i];
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  return [scale, -min];
}

export function quantizeQ4_K(src: Float32Array, dst: Uint8Array): void {
  const f = Math.fround;
  const nBlocks = src.length / QK_K;
  const L = new Uint8Array(QK_K);
  const Laux = new Uint8Array(SUB);
  const weights = new Float32Array(SUB);
  const mins = new Float32Array(N_SUB);
  const scales = new Float32Array(N_SUB);
  for (let b = 0; b < nBlocks; b++) {
    const x = b * QK_K;
    const o = b * Q4_K_BLOCK_BYTES;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < N_SUB; j++) {
      // weights[l] = av_x + |x[l]|, av_x = sqrt(Σx²/32)
      let sumX2 = 0;
      for (let l = 0; l < SUB; l++) sumX2 = f(sumX2 + f(src[x + SUB * j + l] * src[x + SUB * j + l]));
      const avX = f(Math.sqrt(f(sumX2 / SUB)));
      for (let l = 0; l < SUB; l++) weights[l] = f(avX + Math.abs(src[x + SUB * j + l]));
      const [scale, min] = makeQkx2Quants(SUB, 15, src, x + SUB * j, weights, L, SUB * j, Laux, -1, f(0.1), 20);
      scales[j] = scale;
      mins[j] = min;
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    // 6-bit sub-block scales and mins relative to the largest of each
    const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
    const s = o + SCALES_OFFSET;
    for (let k = 0; k < K_SCALE_SIZE; k++) dst[s + k] = 0;
    for (let j = 0; j < N_SUB; j++) {
      const ls = Math.min(63, nearestInt(f(invScale * scales[j])) & 0xff); // uint8_t then MIN(63, ·)
      const lm = Math.min(63, nearestInt(f(invMin * mins[j])) & 0xff);
      if (j < 4) {
        dst[s + j] = ls;
        dst[s + j + 4] = lm;
      } else {
        dst[s + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        dst[s + j - 4] |= (ls >> 4) << 6;
        dst[s + j] |= (lm >> 4) << 6;
      }
    }
    writeF16(dst, o + D_OFFSET, f(maxScale / 63));
    writeF16(dst, o + DMIN_OFFSET, f(maxMin / 63));
    // requantize every weight with the stored (rounded) scales; a sub-block whose scale rounds to 0 keeps
    // the levels make_qkx2_quants chose
    const dAll = readF16(dst, o + D_OFFSET);
    const dminAll = readF16(dst, o + DMIN_OFFSET);
    for (let j = 0; j < N_SUB; j++) {
      const [sc, m] = scaleMinK4(dst, s, j);
      const d = f(dAll * sc);
      if (d === 0) continue;
      const dm = f(dminAll * m);
      for (let ii = 0; ii < SUB; ii++) {
        const l = nearestInt(f(f(src[x + SUB * j + ii] + dm) / d));
        L[SUB * j + ii] = Math.max(0, Math.min(15, l));
      }
    }
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) dst[o + QS_OFFSET + j / 2 + l] = L[j + l] | (L[j + l + 32] << 4);
    }
  }
}

export function dequantizeQ4_K(src: Uint8Array, dst: Float32Array): void {
  const f = Math.fround;
  const nBlocks = dst.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const o = b * Q4_K_BLOCK_BYTES;
    const d = readF16(src, o + D_OFFSET);
    const dmin = readF16(src, o + DMIN_OFFSET);
    for (let j = 0; j < N_SUB; j++) {
      const [sc, m] = scaleMinK4(src, o + SCALES_OFFSET, j);
      const d1 = f(d * sc);
      const m1 = f(dmin * m);
      // sub-block j: nibbles (j odd: high, even: low) of qs[32·⌊j/2⌋ ..]
      const q = o + QS_OFFSET + SUB * (j >> 1);
      const shift = (j & 1) * 4;
      for (let l = 0; l < SUB; l++) dst[b * QK_K + SUB * j + l] = f(d1 * ((src[q + l] >> shift) & 0xf)) - m1;
    }
  }
}
