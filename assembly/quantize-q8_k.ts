/**
 * Activation quantization to ggml's block_q8_K (292 bytes per 256 values), the activations the k-quant and
 * ternary dots multiply with, as ggml's quantize_row_q8_K_ref (and our TS codec src/quant/q8_k.ts, byte for byte):
 *
 *   offset 0    f32  d           d = 1 / iscale, iscale = −127 / max, `max` the signed value of largest |x|
 *                                (the first one in the block when several share it)
 *   offset 4    i8   qs[256]     qs = min(127, nearest_int(iscale · x)), nearest_int = round half to even
 *   offset 260  i16  bsums[16]   bsums[g] = Σ qs[16g .. 16g+15]
 *
 * An all-zero block is 292 zero bytes. A block holding a NaN is a NaN d and zero qs and bsums, so every dot with
 * it is NaN (ggml's reference skips NaN in its max, which leaves a finite d and silent garbage). Rounding is
 * ggml's own magic-number nearest_int (round_q: |iscale · x| ≤ 127.x, far below 2^22). Blocks are independent:
 * split a row by offsetting both pointers.
 */
import { hmax_abs_bits, round_q } from './common';

export const QK_K: i32 = 256;
export const Q8_K_BLOCK_BYTES: i32 = 292;
export const Q8_K_QS: i32 = 4;
export const Q8_K_BSUMS: i32 = 260;

/** y (n/256 blocks) ← quantize(x (n)); n a multiple of 256. */
export function quantize_row_q8_k(yPtr: usize, xPtr: usize, n: i32): void {
  const nBlocks = n / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const x = xPtr + (<usize>b << 10);
    const y = yPtr + <usize>b * Q8_K_BLOCK_BYTES;
    // amax = max |x|, then the first element with that magnitude gives the signed max
    let m = i32x4.splat(0);
    for (let j = 0; j < QK_K; j += 4) m = i32x4.max_s(m, f32x4.abs(v128.load(x + (<usize>j << 2))));
    const amax = hmax_abs_bits(m);
    if (amax != amax) {
      memory.fill(y, 0, Q8_K_BLOCK_BYTES);
      store<f32>(y, NaN);
      continue;
    }
    if (amax == 0) {
      memory.fill(y, 0, Q8_K_BLOCK_BYTES);
      continue;
    }
    let maxv: f32 = 0;
    for (let j = 0; j < QK_K; j++) {
      const v = load<f32>(x + (<usize>j << 2));
      if (abs<f32>(v) == amax) {
        maxv = v;
        break;
      }
    }
    const iscale: f32 = <f32>-127 / maxv;
    store<f32>(y, <f32>1 / iscale);
    const s = f32x4.splat(iscale);
    const cap = i32x4.splat(127);
    for (let g = 0; g < QK_K / 16; g++) {
      const xg = x + (<usize>g << 6);
      const q0 = i32x4.min_s(round_q(v128.load(xg), s), cap);
      const q1 = i32x4.min_s(round_q(v128.load(xg, 16), s), cap);
      const q2 = i32x4.min_s(round_q(v128.load(xg, 32), s), cap);
      const q3 = i32x4.min_s(round_q(v128.load(xg, 48), s), cap);
      const q = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
      v128.store(y + Q8_K_QS + (<usize>g << 4), q);
      const p = i32x4.extadd_pairwise_i16x8_s(i16x8.extadd_pairwise_i8x16_s(q));
      const sum = (i32x4.extract_lane(p, 0) + i32x4.extract_lane(p, 1)) + (i32x4.extract_lane(p, 2) + i32x4.extract_lane(p, 3));
      store<i16>(y + Q8_K_BSUMS + (<usize>g << 1), <i16>sum);
    }
  }
}
