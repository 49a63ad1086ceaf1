/**
 * F16 weights × T F32 activation vectors (layout as gemm-f32.ts), each weight vector widened once per two
 * tokens. (Prompt chunks of 4 tokens or more run gemm_f16_f32_planes, gemm-planes.ts, when nIn % 16 == 0.)
 * Each (row, token) is reduced exactly as dot_f16_f32 (matvec-f16.ts) — whose order is
 * dot_f32_f32's, on exactly widened values — so the bits equal matvec_f16_f32's. gemm_f16r_f32: the same on
 * F16R weights (common.ts).
 */
import { dot2_f16, dot_f16_f32, dot_f16r_f32 } from './matvec-f16';
import { gemm_block_rows } from './gemm-common';

export function gemm_f16_f32(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_f16(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, false);
}

export function gemm_f16r_f32(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_f16(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, true);
}

@inline
function gemm_f16(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32, rebiased: bool,
): void {
  const rowBytes = <usize>nIn << 1;
  const os = <usize>outStrideBytes;
  const xs = <usize>xStrideBytes;
  const block = gemm_block_rows(rowBytes);
  for (let r0 = rowStart; r0 < rowEnd; r0 += block) {
    const r1 = min(r0 + block, rowEnd);
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) {
        const o = out0 + (<usize>r << 2);
        dot2_f16(o, o + os, wPtr + <usize>r * rowBytes, x0, x0 + xs, nIn, false, rebiased);
      }
    }
    for (; t < nTok; t++) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) {
        const w = wPtr + <usize>r * rowBytes;
        store<f32>(out0 + (<usize>r << 2), rebiased ? dot_f16r_f32(w, x0, nIn) : dot_f16_f32(w, x0, nIn));
      }
    }
  }
}
