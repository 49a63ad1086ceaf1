/**
 * Activation quantization to ggml's block_q8_0 (34 bytes per 32 values: f16 d | int8 qs[32]), as ggml's
 * quantize_row_q8_0: d = max|x| / 127, q = round(x / d) with the unrounded 1/d, d stored as F16.
 * Rounding is to nearest, ties to even (f32x4.nearest, as ggml's SIMD paths; its scalar ref uses roundf,
 * which differs only on exact .5 ties). Blocks are independent: a row split by blocks gives the same bytes.
 */
import { f32_to_f16 } from './common';

export const QK8_0: i32 = 32;
export const Q8_0_BLOCK_BYTES: i32 = 34;

/**
 * round(v·s) as i32 lanes for |v·s| ≤ 127: adding 1.5·2^23 rounds to an integer (nearest, ties to even, as
 * f32x4.nearest) and leaves it in the low mantissa bits — 3 instructions on x64 against ~9 for nearest and
 * trunc_sat. (A NaN or inf x makes d NaN or inf; its block's q are then not used as numbers: d·Σq is NaN.)
 */
@inline
export function round_q(v: v128, s: v128): v128 {
  return i32x4.sub(f32x4.add(f32x4.mul(v, s), f32x4.splat(12582912)), i32x4.splat(0x4b400000));
}

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
    // max |x| on the bits: non-negative floats order as their i32 patterns, NaN above inf (so it reaches d)
    let m = i32x4.max_s(i32x4.max_s(f32x4.abs(v0), f32x4.abs(v1)), i32x4.max_s(f32x4.abs(v2), f32x4.abs(v3)));
    m = i32x4.max_s(m, i32x4.max_s(i32x4.max_s(f32x4.abs(v4), f32x4.abs(v5)), i32x4.max_s(f32x4.abs(v6), f32x4.abs(v7))));
    m = i32x4.max_s(m, v128.shuffle<i32>(m, m, 2, 3, 0, 1));
    m = i32x4.max_s(m, v128.shuffle<i32>(m, m, 1, 0, 3, 2));
    const amax = reinterpret<f32>(i32x4.extract_lane(m, 0));
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
