/**
 * Q4_0 weights × T Q8_0 activation vectors (layout as gemm-f32.ts). Four tokens share each weight block's
 * nibble unpacking and widening; each (row, token) is reduced exactly as dot_q4_0_q8_0 (matvec-q4_0.ts), so
 * the bits equal matvec_q4_0_q8_0's. nIn % 32 == 0.
 */
import { f16_to_f32_finite, hsum_f32x4 } from './common';
import { dot_q4_0_q8_0, Q4_0_BLOCK_BYTES, QK4_0 } from './matvec-q4_0';
import { Q8_0_BLOCK_BYTES } from './quantize-q8_0';
import { q8_block_fma } from './gemm-q8_0';
import { gemm_block_rows } from './gemm-common';

@inline
function dot4_q4_0_q8_0(o: usize, os: usize, wPtr: usize, x: usize, xs: usize, nBlocks: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * Q4_0_BLOCK_BYTES;
    const xb = x + <usize>b * Q8_0_BLOCK_BYTES;
    const q = v128.load(w, 2);
    const q0 = i8x16.sub(v128.and(q, mask), eight); // weights 0..15
    const q1 = i8x16.sub(v128.and(i16x8.shr_u(q, 4), mask), eight); // weights 16..31
    const w0l = i16x8.extend_low_i8x16_s(q0);
    const w0h = i16x8.extend_high_i8x16_s(q0);
    const w1l = i16x8.extend_low_i8x16_s(q1);
    const w1h = i16x8.extend_high_i8x16_s(q1);
    const dw = f16_to_f32_finite(load<u16>(w));
    a0 = q8_block_fma(a0, w0l, w0h, w1l, w1h, dw, xb);
    a1 = q8_block_fma(a1, w0l, w0h, w1l, w1h, dw, xb + xs);
    a2 = q8_block_fma(a2, w0l, w0h, w1l, w1h, dw, xb + 2 * xs);
    a3 = q8_block_fma(a3, w0l, w0h, w1l, w1h, dw, xb + 3 * xs);
  }
  store<f32>(o, hsum_f32x4(a0));
  store<f32>(o + os, hsum_f32x4(a1));
  store<f32>(o + 2 * os, hsum_f32x4(a2));
  store<f32>(o + 3 * os, hsum_f32x4(a3));
}

export function gemm_q4_0_q8_0(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32, scratchPtr: usize,
): void {
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
      for (let r = r0; r < r1; r++) dot4_q4_0_q8_0(out0 + (<usize>r << 2), os, wPtr + <usize>r * rowBytes, x0, xs, nBlocks);
    }
    for (; t < nTok; t++) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) store<f32>(out0 + (<usize>r << 2), dot_q4_0_q8_0(wPtr + <usize>r * rowBytes, x0, nBlocks));
    }
  }
}
