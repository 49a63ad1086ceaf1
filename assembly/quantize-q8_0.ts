/**
 * Activation quantization to ggml's block_q8_0 (34 bytes per 32 values: f16 d | int8 qs[32]), as ggml's
 * quantize_row_q8_0: d = max|x| / 127, q = round(x / d) with the unrounded 1/d, d stored as F16.
 * Rounding is to nearest, ties to even (f32x4.nearest, as ggml's SIMD paths; its scalar ref uses roundf,
 * which differs only on exact .5 ties). Blocks are independent: a row split by blocks gives the same bytes.
 */
import { f32_to_f16, hmax_abs_bits, round_q } from './common';

export const QK8_0: i32 = 32;
export const Q8_0_BLOCK_BYTES: i32 = 34;

/** y (n/32 blocks) ← quantize(x (n)); n a multiple of 32. */
export function quantize_row_q8_0(yPtr: usize, xPtr: usize, n: i32): void {
  const nBlocks = n / QK8_0;
  for (let b = 0; b < nBlocks; b++) {
    const x = xPtr + (<usize>b << 7);
    const y = yPtr + <usize>b * Q8_0_BLOCK_BYTES;
    const v0 = v128.load(x);
    const v1 = v128.load(x, 16);
    const v2 = v128.load(x, 32);
    const v3 = v128.load(x, 48);
    const v4 = v128.load(x, 64);
    const v5 = v128.load(x, 80);
    const v6 = v128.load(x, 96);
    const v7 = v128.load(x, 112);
    // max |x| on the bits (hmax_abs_bits: a NaN reaches d)
    let m = i32x4.max_s(i32x4.max_s(f32x4.abs(v0), f32x4.abs(v1)), i32x4.max_s(f32x4.abs(v2), f32x4.abs(v3)));
    m = i32x4.max_s(m, i32x4.max_s(i32x4.max_s(f32x4.abs(v4), f32x4.abs(v5)), i32x4.max_s(f32x4.abs(v6), f32x4.abs(v7))));
    const amax = hmax_abs_bits(m);
    const d: f32 = amax / 127;
    const id: f32 = d != 0 ? <f32>1 / d : 0;
    store<u16>(y, <u16>f32_to_f16(d));
    const s = f32x4.splat(id);
    const q0 = round_q(v0, s);
    const q1 = round_q(v1, s);
    const q2 = round_q(v2, s);
    const q3 = round_q(v3, s);
    const q4 = round_q(v4, s);
    const q5 = round_q(v5, s);
    const q6 = round_q(v6, s);
    const q7 = round_q(v7, s);
    v128.store(y, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)), 2);
    v128.store(y, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q4, q5), i16x8.narrow_i32x4_s(q6, q7)), 18);
  }
}
