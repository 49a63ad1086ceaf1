/**
 * F32 weights × T F32 activation vectors:   out[t, r] = W[r, :] · x[t, :]   r in [rowStart, rowEnd), t < nTok
 * W (nOut, nIn) row-major; token t's x at xPtr + t·xStrideBytes, its outputs at outPtr + t·outStrideBytes
 * (row r at + 4r). Rows are cache-blocked (gemm-common.ts): a block of weights is read from memory once and
 * reused from L1 by every token; each (row, token) is dot_f32_f32 (matvec-f32.ts), so the bits equal
 * matvec_f32_f32's. (A two-token register tile — 8 accumulators — measured ~20% slower than this in V8.)
 * Prompt chunks of 4 tokens or more run gemm_f32_f32_planes (gemm-planes.ts) instead when nIn % 16 == 0.
 */
import { dot_f32_f32 } from './matvec-f32';
import { gemm_block_rows } from './gemm-common';

export function gemm_f32_f32(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  const rowBytes = <usize>nIn << 2;
  const os = <usize>outStrideBytes;
  const xs = <usize>xStrideBytes;
  const block = gemm_block_rows(rowBytes);
  for (let r0 = rowStart; r0 < rowEnd; r0 += block) {
    const r1 = min(r0 + block, rowEnd);
    for (let t = 0; t < nTok; t++) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) store<f32>(out0 + (<usize>r << 2), dot_f32_f32(wPtr + <usize>r * rowBytes, x0, nIn));
    }
  }
}
