/**
 * dt_proj and its softplus, fused:   dt = F.softplus(self.dt_proj(dt))      (dInner) ← (dInner, dtRank)·(dtRank)
 * The dots (+ bias) go to dt row by row, then softplus runs over the range 4 at a time (common.ts: vector and
 * scalar twins give the same bits, so any range split does too).
 * One kernel per dt_proj weight type; x is xdbl[0:dtRank] (F32), or its Q8_0 quantization for the
 * quantized types (dtRank % 32 == 0 there). Rows [rowStart, rowEnd) of dt.
 */
import { softplus_range_f32 } from './common';
import { dot_f32_f32 } from './matvec-f32';
import { dot_f16_f32 } from './matvec-f16';
import { dot_q8_0_q8_0 } from './matvec-q8_0';
import { dot_q4_0_q8_0, Q4_0_BLOCK_BYTES } from './matvec-q4_0';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';

export function ssm_dt_proj_softplus_f32_f32(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  for (let d = rowStart; d < rowEnd; d++) {
    const s = dot_f32_f32(wPtr + (<usize>(d * dtRank) << 2), xPtr, dtRank) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

export function ssm_dt_proj_softplus_f16_f32(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  for (let d = rowStart; d < rowEnd; d++) {
    const s = dot_f16_f32(wPtr + (<usize>(d * dtRank) << 1), xPtr, dtRank) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

export function ssm_dt_proj_softplus_q8_0_q8_0(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  const nBlocks = dtRank / QK8_0;
  for (let d = rowStart; d < rowEnd; d++) {
    const s = dot_q8_0_q8_0(wPtr + <usize>(d * nBlocks) * Q8_0_BLOCK_BYTES, xPtr, nBlocks) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

export function ssm_dt_proj_softplus_q4_0_q8_0(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  const nBlocks = dtRank / QK8_0;
  for (let d = rowStart; d < rowEnd; d++) {
    const s = dot_q4_0_q8_0(wPtr + <usize>(d * nBlocks) * Q4_0_BLOCK_BYTES, xPtr, nBlocks) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

/**
 * dt[d] = softplus(dt[d] + bias[d]) for d in [dStart, dEnd): the epilogue when dt_proj runs as a GEMM over a
 * prompt chunk (the dot already in dt). Same operations as the fused kernels above: the same bits.
 */
export function ssm_dt_softplus_f32(dtPtr: usize, biasPtr: usize, dStart: i32, dEnd: i32): void {
  softplus_range_f32(dtPtr, biasPtr, dStart, dEnd);
}
