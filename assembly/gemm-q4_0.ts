/**
 * Q4_0 weights × T Q8_0 activation vectors (layout as gemm-f32.ts). Four tokens share each weight block's
 * nibble unpacking and widening; each (row, token) is reduced exactly as dot_q4_0_q8_0 (matvec-q4_0.ts): per
 * block two tokens' i32 lane sums are folded into one i32x4 of their halves, converted once, multiplied by
 * [d, d', d, d'] and added to an f32x4 of the two tokens' half sums, so the bits equal matvec_q4_0_q8_0's.
 * nIn % 32 == 0.
 */
import { f16_to_f32_finite, fold2_i32x4 } from './common';
import { dot_q4_0_q8_0, q4_row, q4_step, Q4_0_BLOCK_BYTES, QK4_0 } from './matvec-q4_0';
import { Q8_0_BLOCK_BYTES } from './quantize-q8_0';
import { q8_block_lanes_x } from './gemm-q8_0';
import { q8_scales4 } from './matvec-q8_0';
import { gemm_block_rows } from './gemm-common';

/** From d = [d_w · d_x,t] (t = 0..3), the scales of tokens 0, 1 as their halves' lanes: [d0, d1, d0, d1]. */
@inline
export function fold4_d01(d: v128): v128 {
  return v128.shuffle<i32>(d, d, 0, 1, 0, 1);
}

/** [d2, d3, d2, d3] */
@inline
export function fold4_d23(d: v128): v128 {
  return v128.shuffle<i32>(d, d, 2, 3, 2, 3);
}

/** acc + f32(halves of lane sums l, l') · d: lanes [t h0, t' h0, t h1, t' h1]. */
@inline
export function block2_fma(acc: v128, l: v128, l2: v128, d: v128): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(fold2_i32x4(l, l2)), d));
}

/** The four outputs of two half-sum accumulators (h0 + h1 per token) to o, o + os, o + 2·os, o + 3·os. */
@inline
export function store_tokens4(o: usize, os: usize, a01: v128, a23: v128): void {
  const t = f32x4.add(v128.shuffle<i32>(a01, a23, 0, 1, 4, 5), v128.shuffle<i32>(a01, a23, 2, 3, 6, 7));
  store<f32>(o, f32x4.extract_lane(t, 0));
  store<f32>(o + os, f32x4.extract_lane(t, 1));
  store<f32>(o + 2 * os, f32x4.extract_lane(t, 2));
  store<f32>(o + 3 * os, f32x4.extract_lane(t, 3));
}

@inline
function dot4_q4_0_q8_0(o: usize, os: usize, wPtr: usize, x: usize, xs: usize, nBlocks: i32, step: usize): void {
  let a01 = f32x4.splat(0);
  let a23 = f32x4.splat(0);
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * step;
    const xb = x + <usize>b * Q8_0_BLOCK_BYTES;
    const q = v128.load(w, 2);
    const q0 = i8x16.sub(v128.and(q, mask), eight); // weights 0..15
    const q1 = i8x16.sub(v128.and(i16x8.shr_u(q, 4), mask), eight); // weights 16..31
    const w0l = i16x8.extend_low_i8x16_s(q0);
    const w0h = i16x8.extend_high_i8x16_s(q0);
    const w1l = i16x8.extend_low_i8x16_s(q1);
    const w1h = i16x8.extend_high_i8x16_s(q1);
    const d = f32x4.mul(f32x4.splat(f16_to_f32_finite(load<u16>(w))), q8_scales4(xb, xs));
    a01 = block2_fma(a01, q8_block_lanes_x(w0l, w0h, w1l, w1h, xb), q8_block_lanes_x(w0l, w0h, w1l, w1h, xb + xs), fold4_d01(d));
    a23 = block2_fma(a23, q8_block_lanes_x(w0l, w0h, w1l, w1h, xb + 2 * xs), q8_block_lanes_x(w0l, w0h, w1l, w1h, xb + 3 * xs), fold4_d23(d));
  }
  store_tokens4(o, os, a01, a23);
}

export function gemm_q4_0_q8_0(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_q4_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, false);
}

/** gemm_q4_0_q8_0 on Q4_0X2 weights (matvec-q4_0.ts): the same bits. */
export function gemm_q4_0x2_q8_0(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_q4_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, true);
}

@inline
function gemm_q4_0(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32, paired: bool,
): void {
  const step = q4_step(paired);
  const nBlocks = nIn / QK4_0;
  const rowBytes = <usize>nBlocks * Q4_0_BLOCK_BYTES;
  const os = <usize>outStrideBytes;
  const xs = <usize>xStrideBytes;
  const block = gemm_block_rows(rowBytes);
  for (let r0 = rowStart; r0 < rowEnd; r0 += block) {
    const r1 = min(r0 + block, rowEnd);
    let t = 0;
    for (; t + 4 <= nTok; t += 4) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) dot4_q4_0_q8_0(out0 + (<usize>r << 2), os, q4_row(wPtr, r, rowBytes, paired), x0, xs, nBlocks, step);
    }
    for (; t < nTok; t++) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) store<f32>(out0 + (<usize>r << 2), dot_q4_0_q8_0(q4_row(wPtr, r, rowBytes, paired), x0, nBlocks, step));
    }
  }
}
