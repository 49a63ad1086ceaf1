/**
 * The prepared GEMMs (prompt chunks) of the 32-block types: each token's x widened once per op (Q8_0 weights:
 * widen_q8_0, matvec-q8_0.ts; Q4_0: widen_q8_0_q4_0, matvec-q4_0.ts, which adds 8·Σx lane sums and
 * prescaled scales; token t at xwPtr + t·xwStrideBytes), so the (row, token) inner step is four i16 dots on
 * loaded x — no per-row widening of x. Four tokens share each weight block's unpacking; rows are
 * cache-blocked as in gemm-common.ts. Each (row, token) is reduced exactly as the type's plain GEMM and
 * matvec: the same bits. Q8_0 and Q4_0 differ in how a weight block becomes i16 lanes (Q4_0: its nibbles
 * + 8, the 8·Σx subtracted from the i32 lane sums), where the x scales are, and in the accumulation order:
 * Q8_0 the four tokens' block sums in one f32x4 (matvec-q8_0.ts); Q4_0 two tokens' half sums per f32x4
 * (matvec-q4_0.ts, gemm-q4_0.ts).
 */
import { f16_to_f32_finite, sum4_i32x4 } from './common';
import { gemm_block_rows, store_lanes } from './gemm-common';
import { block2_fma, fold4_d01, fold4_d23, store_tokens4 } from './gemm-q4_0';
import { dot_q4_0_widened, q4_row, q4_scale_bits, q4_step, Q4_0_BLOCK_BYTES } from './matvec-q4_0';
import { dot_q8_0_widened, q8_row, q8_step } from './matvec-q8_0';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';

/**
 * The exact i32 lane sums of one widened x block (at xw; Q4_0: its 8·Σx lane sums at xs) against a weight
 * block in i16 lanes.
 */
@inline
function widened_block_lanes(w0l: v128, w0h: v128, w1l: v128, w1h: v128, xw: usize, xs: usize, q4: bool): v128 {
  const s0 = i32x4.add(i32x4.dot_i16x8_s(w0l, v128.load(xw)), i32x4.dot_i16x8_s(w0h, v128.load(xw, 16)));
  const s1 = i32x4.add(i32x4.dot_i16x8_s(w1l, v128.load(xw, 32)), i32x4.dot_i16x8_s(w1h, v128.load(xw, 48)));
  const s = i32x4.add(s0, s1);
  return q4 ? i32x4.sub(s, v128.load(xs)) : s;
}

/** The shared body; `q4` is a constant at each (inlined) call, so each export keeps only its own unpacking. */
@inline
function gemm_widened(
  outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xwStrideBytes: i32, q4: bool, grouped: bool,
): void {
  const nBlocks = nIn / QK8_0;
  const rowBytes = <usize>nBlocks * <usize>(q4 ? Q4_0_BLOCK_BYTES : Q8_0_BLOCK_BYTES);
  // row pairs (Q4_0X2) or quads (Q8_0X4) when `grouped`: a row's first block and the bytes to its next
  const step = q4 ? q4_step(grouped) : q8_step(grouped);
  const sums = <usize>nBlocks << 6; // Q4_0 only
  const scales = q4 ? sums + (<usize>nBlocks << 4) : sums;
  const os = <usize>outStrideBytes;
  const xs = <usize>xwStrideBytes;
  const mask = i16x8.splat(0x0f);
  const block = gemm_block_rows(rowBytes);
  for (let r0 = rowStart; r0 < rowEnd; r0 += block) {
    const r1 = min(r0 + block, rowEnd);
    let t = 0;
    for (; t + 4 <= nTok; t += 4) {
      const x0 = xwPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) {
        const wr = q4 ? q4_row(wPtr, r, rowBytes, grouped) : q8_row(wPtr, r, rowBytes, grouped);
        let a0 = f32x4.splat(0); // Q8_0: the outputs of tokens t..t+3; Q4_0: the halves of t, t+1
        let a1 = f32x4.splat(0); // Q4_0: the halves of t+2, t+3
        for (let b = 0; b < nBlocks; b++) {
          const w = wr + <usize>b * step;
          let w0l: v128;
          let w0h: v128;
          let w1l: v128;
          let w1h: v128;
          let dw: f32;
          if (q4) {
            // as q4_block_lanes_widened: weights 0..7, 8..15 (+ 8) in the low nibbles of bytes 0..7, 8..15 as u16
            // lanes, 16..23, 24..31 in their high nibbles; the scale's bits with x's scale prescaled by 2^112
            const q = v128.load(w, 2);
            const lo = i16x8.extend_low_i8x16_u(q);
            const hi = i16x8.extend_high_i8x16_u(q);
            w0l = v128.and(lo, mask);
            w0h = v128.and(hi, mask);
            w1l = i16x8.shr_u(lo, 4);
            w1h = i16x8.shr_u(hi, 4);
            dw = q4_scale_bits(w);
          } else {
            const q0 = v128.load(w, 2);
            const q1 = v128.load(w, 18);
            w0l = i16x8.extend_low_i8x16_s(q0);
            w0h = i16x8.extend_high_i8x16_s(q0);
            w1l = i16x8.extend_low_i8x16_s(q1);
            w1h = i16x8.extend_high_i8x16_s(q1);
            dw = f16_to_f32_finite(load<u16>(w));
          }
          const xb = x0 + (<usize>b << 6);
          const db = x0 + scales + (<usize>b << 2);
          let dx = v128.load32_zero(db);
          dx = v128.load32_lane(db + xs, dx, 1);
          dx = v128.load32_lane(db + 2 * xs, dx, 2);
          dx = v128.load32_lane(db + 3 * xs, dx, 3);
          const d = f32x4.mul(f32x4.splat(dw), dx);
          if (q4) {
            const sb = x0 + sums + (<usize>b << 4);
            const l0 = widened_block_lanes(w0l, w0h, w1l, w1h, xb, sb, true);
            const l1 = widened_block_lanes(w0l, w0h, w1l, w1h, xb + xs, sb + xs, true);
            const l2 = widened_block_lanes(w0l, w0h, w1l, w1h, xb + 2 * xs, sb + 2 * xs, true);
            const l3 = widened_block_lanes(w0l, w0h, w1l, w1h, xb + 3 * xs, sb + 3 * xs, true);
            a0 = block2_fma(a0, l0, l1, fold4_d01(d));
            a1 = block2_fma(a1, l2, l3, fold4_d23(d));
          } else {
            // the four tokens' exact block sums in one vector, × [d_w · d_x,t]: matvec-q8_0.ts's order
            const s = sum4_i32x4(
              widened_block_lanes(w0l, w0h, w1l, w1h, xb, 0, false),
              widened_block_lanes(w0l, w0h, w1l, w1h, xb + xs, 0, false),
              widened_block_lanes(w0l, w0h, w1l, w1h, xb + 2 * xs, 0, false),
              widened_block_lanes(w0l, w0h, w1l, w1h, xb + 3 * xs, 0, false),
            );
            a0 = f32x4.add(a0, f32x4.mul(f32x4.convert_i32x4_s(s), d));
          }
        }
        const o = out0 + (<usize>r << 2);
        if (q4) {
          store_tokens4(o, os, a0, a1);
        } else {
          store_lanes(o, os, a0, 0, 4);
        }
      }
    }
    for (; t < nTok; t++) {
      const x0 = xwPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) {
        store<f32>(out0 + (<usize>r << 2), q4 ? dot_q4_0_widened(q4_row(wPtr, r, rowBytes, grouped), x0, nBlocks, step) : dot_q8_0_widened(q8_row(wPtr, r, rowBytes, grouped), x0, nBlocks, step));
      }
    }
  }
}

/** gemm_q8_0_q8_0 on tokens widened by widen_q8_0: the same bits. */
export function gemm_q8_0_q8_0_widened(
  outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xwStrideBytes: i32,
): void {
  gemm_widened(outPtr, wPtr, xwPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xwStrideBytes, false, false);
}

/** gemm_q8_0_q8_0_widened on Q8_0X4 weights (matvec-q8_0.ts): the same bits. */
export function gemm_q8_0x4_q8_0_widened(
  outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xwStrideBytes: i32,
): void {
  gemm_widened(outPtr, wPtr, xwPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xwStrideBytes, false, true);
}

/** gemm_q4_0_q8_0 on tokens prepared by widen_q8_0_q4_0: the same bits. */
export function gemm_q4_0_q8_0_widened(
  outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xwStrideBytes: i32,
): void {
  gemm_widened(outPtr, wPtr, xwPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xwStrideBytes, true, false);
}

/** gemm_q4_0_q8_0_widened on Q4_0X2 weights (matvec-q4_0.ts): the same bits. */
export function gemm_q4_0x2_q8_0_widened(
  outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xwStrideBytes: i32,
): void {
  gemm_widened(outPtr, wPtr, xwPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xwStrideBytes, true, true);
}
