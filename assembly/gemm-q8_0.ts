/**
 * Q8_0 weights × T Q8_0 activation vectors (layout as gemm-f32.ts; token t's blocks at xPtr + t·xStrideBytes).
 * Four tokens share each weight block's load and i8 → i16 widening, and their four exact block sums go in one
 * vector (lanes = tokens), × [d_w · d_x,t], into one f32x4 of the four outputs: each (row, token) is reduced
 * exactly as dot_q8_0_q8_0 (matvec-q8_0.ts), so the bits equal matvec_q8_0_q8_0's. nIn % 32 == 0. The backend
 * runs the faster twins (gemm-widened.ts, gemm-planes-q8_0.ts); this one is their reference.
 */
import { f16_to_f32_finite, sum4_i32x4 } from './common';
import { dot_q8_0_q8_0, q8_row, q8_scales4, q8_step } from './matvec-q8_0';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';
import { gemm_block_rows, store_lanes } from './gemm-common';

/**
 * The exact i32 lane sums of one Q8_0 activation block (at x) against a weight block already widened to i16
 * (w0l, w0h: values 0..15; w1l, w1h: 16..31).
 */
@inline
export function q8_block_lanes_x(w0l: v128, w0h: v128, w1l: v128, w1h: v128, x: usize): v128 {
  const x0 = v128.load(x, 2);
  const x1 = v128.load(x, 18);
  const s0 = i32x4.add(i32x4.dot_i16x8_s(w0l, i16x8.extend_low_i8x16_s(x0)), i32x4.dot_i16x8_s(w0h, i16x8.extend_high_i8x16_s(x0)));
  const s1 = i32x4.add(i32x4.dot_i16x8_s(w1l, i16x8.extend_low_i8x16_s(x1)), i32x4.dot_i16x8_s(w1h, i16x8.extend_high_i8x16_s(x1)));
  return i32x4.add(s0, s1);
}

@inline
function dot4_q8_0_q8_0(o: usize, os: usize, wPtr: usize, x: usize, xs: usize, nBlocks: i32, step: usize): void {
  let acc = f32x4.splat(0); // tokens t..t+3
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * step;
    const xb = x + <usize>b * Q8_0_BLOCK_BYTES;
    const q0 = v128.load(w, 2);
    const q1 = v128.load(w, 18);
    const w0l = i16x8.extend_low_i8x16_s(q0);
    const w0h = i16x8.extend_high_i8x16_s(q0);
    const w1l = i16x8.extend_low_i8x16_s(q1);
    const w1h = i16x8.extend_high_i8x16_s(q1);
    const s = sum4_i32x4(
      q8_block_lanes_x(w0l, w0h, w1l, w1h, xb),
      q8_block_lanes_x(w0l, w0h, w1l, w1h, xb + xs),
      q8_block_lanes_x(w0l, w0h, w1l, w1h, xb + 2 * xs),
      q8_block_lanes_x(w0l, w0h, w1l, w1h, xb + 3 * xs),
    );
    const d = f32x4.mul(f32x4.splat(f16_to_f32_finite(load<u16>(w))), q8_scales4(xb, xs));
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s), d));
  }
  store_lanes(o, os, acc, 0, 4);
}

export function gemm_q8_0_q8_0(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_q8_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, false);
}

/** gemm_q8_0_q8_0 on Q8_0X4 weights (matvec-q8_0.ts): the same bits. */
export function gemm_q8_0x4_q8_0(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_q8_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, true);
}

@inline
function gemm_q8_0(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32, quad: bool,
): void {
  const nBlocks = nIn / QK8_0;
  const rowBytes = <usize>nBlocks * Q8_0_BLOCK_BYTES;
  const step = q8_step(quad);
  const os = <usize>outStrideBytes;
  const xs = <usize>xStrideBytes;
  const block = gemm_block_rows(rowBytes);
  for (let r0 = rowStart; r0 < rowEnd; r0 += block) {
    const r1 = min(r0 + block, rowEnd);
    let t = 0;
    for (; t + 4 <= nTok; t += 4) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) dot4_q8_0_q8_0(out0 + (<usize>r << 2), os, q8_row(wPtr, r, rowBytes, quad), x0, xs, nBlocks, step);
    }
    for (; t < nTok; t++) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) store<f32>(out0 + (<usize>r << 2), dot_q8_0_q8_0(q8_row(wPtr, r, rowBytes, quad), x0, nBlocks, step));
    }
  }
}
