/**
 * Embedding lookup (ggml_get_rows): out (n) f32 ← row `row` of W (nRows, n), decoded from the weight type.
 * Exact: every supported type decodes to F32 without rounding.
 */
import { f16_to_f32, f16_to_f32_finite } from './common';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';
import { q8_row, q8_step } from './matvec-q8_0';
import { q4_row, q4_step, Q4_0_BLOCK_BYTES, QK4_0 } from './matvec-q4_0';

export function get_rows_f32(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  memory.copy(outPtr, wPtr + <usize>row * (<usize>n << 2), <usize>n << 2);
}

export function get_rows_f16(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  const src = wPtr + <usize>row * (<usize>n << 1);
  for (let i = 0; i < n; i++) store<f32>(outPtr + (<usize>i << 2), f16_to_f32(load<u16>(src + (<usize>i << 1))));
}

/** get_rows_f16 of F16R weights (common.ts): the F16 values they were made from. */
export function get_rows_f16r(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  const src = wPtr + <usize>row * (<usize>n << 1);
  for (let i = 0; i < n; i++) store<f32>(outPtr + (<usize>i << 2), f16_to_f32_finite(load<u16>(src + (<usize>i << 1)), true));
}

export function get_rows_q8_0(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  get_rows_q8(outPtr, wPtr, row, n, false);
}

/** get_rows_q8_0 of a Q8_0X4 matrix (matvec-q8_0.ts). */
export function get_rows_q8_0x4(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  get_rows_q8(outPtr, wPtr, row, n, true);
}

@inline
function get_rows_q8(outPtr: usize, wPtr: usize, row: i32, n: i32, quad: bool): void {
  const nBlocks = n / QK8_0;
  const src = q8_row(wPtr, row, <usize>nBlocks * Q8_0_BLOCK_BYTES, quad);
  const step = q8_step(quad);
  for (let b = 0; b < nBlocks; b++) {
    const blk = src + <usize>b * step;
    const d = f16_to_f32(load<u16>(blk));
    const out = outPtr + (<usize>(b * QK8_0) << 2);
    for (let j = 0; j < QK8_0; j++) store<f32>(out + (<usize>j << 2), d * <f32>load<i8>(blk + 2 + <usize>j));
  }
}

export function get_rows_q4_0(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  get_rows_q4(outPtr, wPtr, row, n, false);
}

/** get_rows_q4_0 of a Q4_0X2 matrix (matvec-q4_0.ts). */
export function get_rows_q4_0x2(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  get_rows_q4(outPtr, wPtr, row, n, true);
}

@inline
function get_rows_q4(outPtr: usize, wPtr: usize, row: i32, n: i32, paired: bool): void {
  const nBlocks = n / QK4_0;
  const src = q4_row(wPtr, row, <usize>nBlocks * Q4_0_BLOCK_BYTES, paired);
  const step = q4_step(paired);
  for (let b = 0; b < nBlocks; b++) {
    const blk = src + <usize>b * step;
    const d = f16_to_f32(load<u16>(blk));
    const out = outPtr + (<usize>(b * QK4_0) << 2);
    for (let j = 0; j < QK4_0 / 2; j++) {
      const q = <i32>load<u8>(blk + 2 + <usize>j);
      store<f32>(out + (<usize>j << 2), d * <f32>((q & 0x0f) - 8));
      store<f32>(out + (<usize>(j + QK4_0 / 2) << 2), d * <f32>((q >> 4) - 8));
    }
  }
}
