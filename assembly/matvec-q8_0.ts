/**
 * Q8_0 weights × Q8_0 activations, in the order of ggml's scalar reference (vec_dot_q8_0_q8_0, generic): per
 * 32-wide block the int8 products are summed exactly in i32 (i8 → i16 extend, i32x4.dot_i16x8_s, then the four
 * lanes), the block sum is converted to f32, multiplied by d_w · d_x (one f32 product) and added to one f32
 * sum, block after block:
 *
 *   out = Σ_b f32(isum_b) · (d_w,b · d_x,b)      (accumulated in f32 in block order, from 0)
 *
 * Every Q8_0 kernel — matvecs, GEMMs (gemm-q8_0.ts, gemm-widened.ts, gemm-planes-q8_0.ts), dt_proj — computes
 * each (row, token) as exactly this sequence, whatever it puts in the lanes of a vector (four rows, or four
 * tokens): prefill and decode, any thread count, give the same bits. One f32 sum per (row, token) rather than
 * ggml's SIMD four lane sums because a vector then holds four whole outputs: the decode matvec sums four
 * rows' blocks in one vector, the prompt GEMM four tokens' (measured: decode +8 %, with the layout below).
 *
 * Q8_0X4: the backend's load-time layout of a Q8_0 matrix whose row count is a multiple of 4 (interleave_rows,
 * common.ts): rows 4g … 4g + 3 interleaved block by block, so those four rows are one stream. The same
 * blocks; the kernels take it with the `quad` flag (a constant of each export): the same bits. Four rows in
 * four separate streams measured 0.67–0.71× the one-row matvec (from DRAM); interleaved, 1.08×.
 *
 *   block_q8_0: f16 d | int8 qs[32]   (34 bytes)   value j = d · qs[j]
 */
import { f16_to_f32_finite, f16x4_to_f32x4_finite, hsum_i32x4, sum4_i32x4 } from './common';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';

/** The first block of row r (rows of rowBytes): plain, or in the row quads of Q8_0X4. */
@inline
export function q8_row(wPtr: usize, r: i32, rowBytes: usize, quad: bool): usize {
  return quad ? wPtr + <usize>(r & ~3) * rowBytes + <usize>((r & 3) * Q8_0_BLOCK_BYTES) : wPtr + <usize>r * rowBytes;
}

/** Bytes from a block of a row to the row's next block. */
@inline
export function q8_step(quad: bool): usize {
  return quad ? <usize>(4 * Q8_0_BLOCK_BYTES) : <usize>Q8_0_BLOCK_BYTES;
}

/** The F16 scales of four Q8_0 blocks (at x + t·xs, t = 0..3: four tokens' x, or a quad of Q8_0X4 rows) as f32x4, exact. */
@inline
export function q8_scales4(x: usize, xs: usize): v128 {
  let h = v128.load16_splat(x);
  h = v128.load16_lane(x + xs, h, 1);
  h = v128.load16_lane(x + 2 * xs, h, 2);
  h = v128.load16_lane(x + 3 * xs, h, 3);
  return f16x4_to_f32x4_finite(i32x4.extend_low_i16x8_s(h));
}

/** The exact i32 lane sums of the Q8_0 weight block at w against four i16x8 of x (values 0..31). */
@inline
export function q8_block_lanes(w: usize, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const q0 = v128.load(w, 2);
  const q1 = v128.load(w, 18);
  const s0 = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(q0), x0), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(q0), x1));
  const s1 = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(q1), x2), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(q1), x3));
  return i32x4.add(s0, s1);
}

/** One row (its first block at wPtr, `step` bytes between blocks) against Q8_0 x. */
@inline
export function dot_q8_0_q8_0(wPtr: usize, xPtr: usize, nBlocks: i32, step: usize = Q8_0_BLOCK_BYTES): f32 {
  let acc: f32 = 0;
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * step;
    const x = xPtr + <usize>b * Q8_0_BLOCK_BYTES;
    const q0 = v128.load(x, 2);
    const q1 = v128.load(x, 18);
    const s = q8_block_lanes(w, i16x8.extend_low_i8x16_s(q0), i16x8.extend_high_i8x16_s(q0), i16x8.extend_low_i8x16_s(q1), i16x8.extend_high_i8x16_s(q1));
    const d = f16_to_f32_finite(load<u16>(w)) * f16_to_f32_finite(load<u16>(x));
    acc += <f32>hsum_i32x4(s) * d;
  }
  return acc;
}

/**
 * out[r] = W[r, :] · x for r in [rowStart, rowEnd), one row at a time; x already quantized
 * (quantize_row_q8_0), nIn % 32 == 0. The backend runs the prepared kernels below; this one is their
 * fallback and the reference their bits are tested against.
 */
export function matvec_q8_0_q8_0(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_q8_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, false);
}

/** matvec_q8_0_q8_0 on Q8_0X4 weights: the same bits. */
export function matvec_q8_0x4_q8_0(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_q8_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, true);
}

@inline
function matvec_q8_0(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, quad: bool): void {
  const nBlocks = nIn / QK8_0;
  const rowBytes = <usize>nBlocks * Q8_0_BLOCK_BYTES;
  for (let r = rowStart; r < rowEnd; r++) store<f32>(outPtr + (<usize>r << 2), dot_q8_0_q8_0(q8_row(wPtr, r, rowBytes, quad), xPtr, nBlocks, q8_step(quad)));
}

// ---------------------------------------------------------------------------------------------------------
// The prepared path (decode): x's blocks widened to i16 once per matvec (widen_q8_0) instead of once per row,
// the x scales decoded to f32 once. Same integer sums, same scales, same order: the bits of matvec_q8_0_q8_0.
//
//   widened x: nBlocks × 64 bytes (i16 values 0..31 of each block), then nBlocks × f32 d.

/** 32 int8 values (q0: 0..15, q1: 16..31) → 32 i16 at y (64 bytes). */
@inline
export function store_i16x32(y: usize, q0: v128, q1: v128): void {
  v128.store(y, i16x8.extend_low_i8x16_s(q0));
  v128.store(y, i16x8.extend_high_i8x16_s(q0), 16);
  v128.store(y, i16x8.extend_low_i8x16_s(q1), 32);
  v128.store(y, i16x8.extend_high_i8x16_s(q1), 48);
}

/** x (Q8_0 blocks of n values) → the widened layout above at y (68 bytes per block). Returns 1 (always usable). */
export function widen_q8_0(yPtr: usize, xPtr: usize, n: i32): i32 {
  const nBlocks = n / QK8_0;
  const scales = yPtr + (<usize>nBlocks << 6);
  for (let b = 0; b < nBlocks; b++) {
    const x = xPtr + <usize>b * Q8_0_BLOCK_BYTES;
    store_i16x32(yPtr + (<usize>b << 6), v128.load(x, 2), v128.load(x, 18));
    store<f32>(scales + (<usize>b << 2), f16_to_f32_finite(load<u16>(x)));
  }
  return 1;
}

/** One row (blocks `step` bytes apart) against widened x: dot_q8_0_q8_0's bits. */
@inline
export function dot_q8_0_widened(wPtr: usize, xwPtr: usize, nBlocks: i32, step: usize = Q8_0_BLOCK_BYTES): f32 {
  const scales = xwPtr + (<usize>nBlocks << 6);
  let acc: f32 = 0;
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * step;
    const x = xwPtr + (<usize>b << 6);
    const s = q8_block_lanes(w, v128.load(x), v128.load(x, 16), v128.load(x, 32), v128.load(x, 48));
    const d = f16_to_f32_finite(load<u16>(w)) * load<f32>(scales + (<usize>b << 2));
    acc += <f32>hsum_i32x4(s) * d;
  }
  return acc;
}

/** matvec_q8_0_q8_0 on x prepared by widen_q8_0 (same bits), one row at a time (one stream). */
export function matvec_q8_0_q8_0_widened(outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const nBlocks = nIn / QK8_0;
  const rowBytes = <usize>nBlocks * Q8_0_BLOCK_BYTES;
  for (let r = rowStart; r < rowEnd; r++) store<f32>(outPtr + (<usize>r << 2), dot_q8_0_widened(wPtr + <usize>r * rowBytes, xwPtr, nBlocks));
}

/**
 * The same on Q8_0X4 weights: each whole quad of rows in one pass — one stream, its four block sums in one
 * vector (sum4_i32x4), one convert, multiply by [d_w,r · d_x] and add for the four rows; rows of a quad the
 * range cuts alone.
 */
export function matvec_q8_0x4_q8_0_widened(outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const nBlocks = nIn / QK8_0;
  const rowBytes = <usize>nBlocks * Q8_0_BLOCK_BYTES;
  const scales = xwPtr + (<usize>nBlocks << 6);
  const step = q8_step(true);
  let r = rowStart;
  for (; r < rowEnd && (r & 3) != 0; r++) store<f32>(outPtr + (<usize>r << 2), dot_q8_0_widened(q8_row(wPtr, r, rowBytes, true), xwPtr, nBlocks, step));
  for (; r + 4 <= rowEnd; r += 4) {
    let w = wPtr + <usize>r * rowBytes;
    let xw = xwPtr;
    let acc = f32x4.splat(0);
    for (let xsp = scales; xsp < scales + (<usize>nBlocks << 2); xsp += 4) {
      const x0 = v128.load(xw);
      const x1 = v128.load(xw, 16);
      const x2 = v128.load(xw, 32);
      const x3 = v128.load(xw, 48);
      const s = sum4_i32x4(
        q8_block_lanes(w, x0, x1, x2, x3),
        q8_block_lanes(w + Q8_0_BLOCK_BYTES, x0, x1, x2, x3),
        q8_block_lanes(w + 2 * Q8_0_BLOCK_BYTES, x0, x1, x2, x3),
        q8_block_lanes(w + 3 * Q8_0_BLOCK_BYTES, x0, x1, x2, x3),
      );
      const d = f32x4.mul(q8_scales4(w, Q8_0_BLOCK_BYTES), v128.load32_splat(xsp));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(s), d));
      w += step;
      xw += 64;
    }
    v128.store(outPtr + (<usize>r << 2), acc);
  }
  for (; r < rowEnd; r++) store<f32>(outPtr + (<usize>r << 2), dot_q8_0_widened(q8_row(wPtr, r, rowBytes, true), xwPtr, nBlocks, step));
}

