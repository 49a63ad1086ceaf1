/**
 * dt_proj and its softplus, fused:   dt = F.softplus(self.dt_proj(dt))      (dInner) ← (dInner, dtRank)·(dtRank)
 * The dots (+ bias) go to dt row by row, then softplus runs over the range 4 at a time (common.ts: vector and
 * scalar twins give the same bits, so any range split does too).
 * One kernel per dt_proj weight type; x is xdbl[0:dtRank] (F32), or its Q8_0 quantization for the
 * quantized types (dtRank % 32 == 0 there). Rows [rowStart, rowEnd) of dt.
 */
import { softplus_range_f32 } from './common';
import { dot_f32_f32 } from './matvec-f32';
import { dot_f16_f32, dot_f16_prescaled, dot_f16_prescaled_lanes, dot_f16r_f32 } from './matvec-f16';
import { dot_q8_0_q8_0, q8_row, q8_step } from './matvec-q8_0';
import { dot_q4_0_q8_0, q4_row, q4_step, Q4_0_BLOCK_BYTES } from './matvec-q4_0';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';

export function ssm_dt_proj_softplus_f32_f32(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  for (let d = rowStart; d < rowEnd; d++) {
    const s = dot_f32_f32(wPtr + (<usize>(d * dtRank) << 2), xPtr, dtRank) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

export function ssm_dt_proj_softplus_f16_f32(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  dt_proj_softplus_f16(dtPtr, wPtr, xPtr, biasPtr, rowStart, rowEnd, dtRank, false);
}

/** ssm_dt_proj_softplus_f16_f32 on F16R weights (common.ts): the same bits. */
export function ssm_dt_proj_softplus_f16r_f32(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  dt_proj_softplus_f16(dtPtr, wPtr, xPtr, biasPtr, rowStart, rowEnd, dtRank, true);
}

@inline
function dt_proj_softplus_f16(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32, rebiased: bool): void {
  for (let d = rowStart; d < rowEnd; d++) {
    const w = wPtr + (<usize>(d * dtRank) << 1);
    const s = (rebiased ? dot_f16r_f32(w, xPtr, dtRank) : dot_f16_f32(w, xPtr, dtRank)) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

/**
 * ssm_dt_proj_softplus_f16_f32 on x prepared by f16_prescale_x (x·2^112, matvec-f16.ts): the same bits; and of
 * ssm_dt_proj_softplus_f16r_f32 on F16R weights with x prepared by f16r_prescale_x (x·2^102).
 * The rows are short (dtRank: 48 for 130m), so what surrounds the dot weighs: four rows at a time share one
 * horizontal sum — their lane vectors transposed, then (l0 + l1) + (l2 + l3) for the four at once, the
 * additions of hsum_f32x4 — and one vector bias add. The softplus then runs over the range as in the plain
 * kernel (fused into the four-row loop it measured slower: 0.88 against 0.66 ms per token).
 */
export function ssm_dt_proj_softplus_f16_f32_prescaled(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  const rowBytes = <usize>dtRank << 1;
  let d = rowStart;
  if ((dtRank & 3) == 0) {
    for (; d + 4 <= rowEnd; d += 4) {
      const w = wPtr + <usize>d * rowBytes;
      const v0 = dot_f16_prescaled_lanes(w, xPtr, dtRank);
      const v1 = dot_f16_prescaled_lanes(w + rowBytes, xPtr, dtRank);
      const v2 = dot_f16_prescaled_lanes(w + 2 * rowBytes, xPtr, dtRank);
      const v3 = dot_f16_prescaled_lanes(w + 3 * rowBytes, xPtr, dtRank);
      const t0 = v128.shuffle<i32>(v0, v1, 0, 4, 1, 5); // v0[0] v1[0] v0[1] v1[1]
      const t1 = v128.shuffle<i32>(v2, v3, 0, 4, 1, 5);
      const t2 = v128.shuffle<i32>(v0, v1, 2, 6, 3, 7); // v0[2] v1[2] v0[3] v1[3]
      const t3 = v128.shuffle<i32>(v2, v3, 2, 6, 3, 7);
      const l0 = v128.shuffle<i64>(t0, t1, 0, 2); // lane 0 of v0..v3
      const l1 = v128.shuffle<i64>(t0, t1, 1, 3);
      const l2 = v128.shuffle<i64>(t2, t3, 0, 2);
      const l3 = v128.shuffle<i64>(t2, t3, 1, 3);
      const o = <usize>d << 2;
      v128.store(dtPtr + o, f32x4.add(f32x4.add(f32x4.add(l0, l1), f32x4.add(l2, l3)), v128.load(biasPtr + o)));
    }
  }
  for (; d < rowEnd; d++) {
    const s = dot_f16_prescaled(wPtr + <usize>d * rowBytes, xPtr, dtRank) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

export function ssm_dt_proj_softplus_q8_0_q8_0(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  dt_proj_softplus_q8(dtPtr, wPtr, xPtr, biasPtr, rowStart, rowEnd, dtRank, false);
}

/** ssm_dt_proj_softplus_q8_0_q8_0 on Q8_0X4 weights (matvec-q8_0.ts): the same bits. */
export function ssm_dt_proj_softplus_q8_0x4_q8_0(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  dt_proj_softplus_q8(dtPtr, wPtr, xPtr, biasPtr, rowStart, rowEnd, dtRank, true);
}

@inline
function dt_proj_softplus_q8(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32, quad: bool): void {
  const nBlocks = dtRank / QK8_0;
  const rowBytes = <usize>nBlocks * Q8_0_BLOCK_BYTES;
  for (let d = rowStart; d < rowEnd; d++) {
    const s = dot_q8_0_q8_0(q8_row(wPtr, d, rowBytes, quad), xPtr, nBlocks, q8_step(quad)) + load<f32>(biasPtr + (<usize>d << 2));
    store<f32>(dtPtr + (<usize>d << 2), s);
  }
  softplus_range_f32(dtPtr, 0, rowStart, rowEnd);
}

export function ssm_dt_proj_softplus_q4_0_q8_0(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  dt_proj_softplus_q4(dtPtr, wPtr, xPtr, biasPtr, rowStart, rowEnd, dtRank, false);
}

/** ssm_dt_proj_softplus_q4_0_q8_0 on Q4_0X2 weights (matvec-q4_0.ts): the same bits. */
export function ssm_dt_proj_softplus_q4_0x2_q8_0(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32): void {
  dt_proj_softplus_q4(dtPtr, wPtr, xPtr, biasPtr, rowStart, rowEnd, dtRank, true);
}

@inline
function dt_proj_softplus_q4(dtPtr: usize, wPtr: usize, xPtr: usize, biasPtr: usize, rowStart: i32, rowEnd: i32, dtRank: i32, paired: bool): void {
  const nBlocks = dtRank / QK8_0;
  const rowBytes = <usize>nBlocks * Q4_0_BLOCK_BYTES;
  for (let d = rowStart; d < rowEnd; d++) {
    const s = dot_q4_0_q8_0(q4_row(wPtr, d, rowBytes, paired), xPtr, nBlocks, q4_step(paired)) + load<f32>(biasPtr + (<usize>d << 2));
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

