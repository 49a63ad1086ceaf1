/**
 * Q4_0 weights × Q8_0 activations. Nibbles are unpacked to int8 (q − 8); per 32-wide block the int8 products
 * are summed exactly in i32 (i8 → i16 extend, i32x4.dot_i16x8_s: lane k holds the products of x indices
 * {2k, 2k+1} + 8m, m = 0..3), folded into two halves (lanes {0, 2} and {1, 3}), and each half is converted,
 * scaled by d_w · d_x (one f32 product) and added to its own f32 sum, block after block; the two sums are
 * added at the end:
 *
 *   h_i = Σ_b f32(isum_{b,i}) · (d_w,b · d_x,b)   (i = 0, 1; accumulated in f32 in block order);   out = h_0 + h_1
 *
 * Every Q4_0 kernel — matvecs, GEMMs, dt_proj (ssm-dt.ts) — computes each (row, token) as exactly this
 * sequence, whatever it puts in the lanes of a vector (halves of two rows, or of two tokens): prefill and
 * decode, any thread count, give the same bits. Two halves rather than ggml's four lane sums because the
 * GEMM then folds two tokens' sums into one i32x4 (one convert, multiply and add for both) and the matvec two
 * rows': prefill GEMM 0.78× the time. (The planes GEMM, gemm-planes-q8_0.ts, keeps the halves in two vectors
 * of four tokens.) Q8_0 sums one f32 per (row, token) instead (matvec-q8_0.ts); that order measured slower for
 * Q4_0's decode (docs/kernels.md).
 *
 *   block_q4_0: f16 d | u8 qs[16]   (18 bytes)   value j = d · ((qs[j] & 15) − 8), value j+16 = d · ((qs[j] >> 4) − 8)
 */
import { f16_to_f32_finite, fold2_i32x4, fold_i32x4 } from './common';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';

export const QK4_0: i32 = 32;
export const Q4_0_BLOCK_BYTES: i32 = 18;

// Q4_0X2: the backend's load-time layout of a Q4_0 matrix with an even number of rows (interleave_rows): rows
// 2p and 2p + 1 interleaved block by block — block b of row 2p, then block b of row 2p + 1 — so the decode
// matvec, which computes two rows per pass, reads one stream instead of two. The same blocks, the same
// kernels with the `paired` flag (a constant of each export): the same bits. (ggml repacks Q4_0 the same way for
// its ARM/AVX kernels, four or eight rows at a time: block_q4_0x4.)
// Measured before adopting it: the two-row matvec read rows of 864 bytes (nIn 1536, out_proj) at 8–10 GMAC/s
// against 12–13 for rows of 432, from DRAM; interleaved, 12.7.

/** The first block of row r (rows of rowBytes): plain, or in the row pairs of Q4_0X2. */
@inline
export function q4_row(wPtr: usize, r: i32, rowBytes: usize, paired: bool): usize {
  return paired ? wPtr + <usize>(r & ~1) * rowBytes + <usize>((r & 1) * Q4_0_BLOCK_BYTES) : wPtr + <usize>r * rowBytes;
}

/** Bytes from a block of a row to the row's next block. */
@inline
export function q4_step(paired: bool): usize {
  return paired ? <usize>(2 * Q4_0_BLOCK_BYTES) : <usize>Q4_0_BLOCK_BYTES;
}

/** One row (its first block at wPtr, `step` bytes between blocks) against Q8_0 x. */
@inline
export function dot_q4_0_q8_0(wPtr: usize, xPtr: usize, nBlocks: i32, step: usize = Q4_0_BLOCK_BYTES): f32 {
  let acc = f32x4.splat(0); // lanes 0, 1: the two halves
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * step;
    const x = xPtr + <usize>b * Q8_0_BLOCK_BYTES;
    const q = v128.load(w, 2);
    const w0 = i8x16.sub(v128.and(q, mask), eight); // weights 0..15
    const w1 = i8x16.sub(v128.and(i16x8.shr_u(q, 4), mask), eight); // weights 16..31
    const x0 = v128.load(x, 2);
    const x1 = v128.load(x, 18);
    const s0 = i32x4.add(
      i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w0), i16x8.extend_low_i8x16_s(x0)),
      i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w0), i16x8.extend_high_i8x16_s(x0)),
    );
    const s1 = i32x4.add(
      i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w1), i16x8.extend_low_i8x16_s(x1)),
      i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w1), i16x8.extend_high_i8x16_s(x1)),
    );
    const d = f16_to_f32_finite(load<u16>(w)) * f16_to_f32_finite(load<u16>(x));
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(fold_i32x4(i32x4.add(s0, s1))), f32x4.splat(d)));
  }
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1);
}

/**
 * out[r] = W[r, :] · x for r in [rowStart, rowEnd), one row at a time; x already quantized
 * (quantize_row_q8_0), nIn % 32 == 0. The backend runs the prepared kernel below; this one is its fallback
 * (an x scale that is an F16 inf/NaN) and the reference its bits are tested against.
 */
export function matvec_q4_0_q8_0(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_q4_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, false);
}

/** matvec_q4_0_q8_0 on Q4_0X2 weights: the same bits. */
export function matvec_q4_0x2_q8_0(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_q4_0(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, true);
}

@inline
function matvec_q4_0(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, paired: bool): void {
  const nBlocks = nIn / QK4_0;
  const rowBytes = <usize>nBlocks * Q4_0_BLOCK_BYTES;
  for (let r = rowStart; r < rowEnd; r++) store<f32>(outPtr + (<usize>r << 2), dot_q4_0_q8_0(q4_row(wPtr, r, rowBytes, paired), xPtr, nBlocks, q4_step(paired)));
}

// ---------------------------------------------------------------------------------------------------------
// The prepared path (decode): x widened once per call by widen_q8_0_q4_0, with what lets a weight block skip
// its int8 steps. A byte of qs zero-extended to a u16 lane holds weight j in its low nibble and weight j+16 in
// its high one, so (q & 15) and (q >> 4) are the weights + 8 in i16 lanes, ready for i32x4.dot_i16x8_s — no
// i8 subtract, no sign extension. The + 8 leaves 8·Σx per i32 lane, subtracted from the lane sums; the lanes
// hold the same x indices as in dot_q4_0_q8_0 ({2k, 2k+1} + 8m, m = 0..3), so the i32 lane sums are the
// same integers. The x scale is stored × 2^112, which lets the weight scale's F16 bits be used without the
// rebias multiply: (bits(d_w) · 2^−112) · (d_x · 2^112) is the exact real d_w · d_x, rounded once as before.
// Same integers, same f32 products and order: the bits of matvec_q4_0_q8_0 (tested).
//
//   x prepared: nBlocks × 64 bytes (i16 values 0..31 of each block)
//             | nBlocks × 16 bytes (i32x4: 8 · Σ x[j], j ∈ {2k, 2k+1, 2k+8, 2k+9, 2k+16, 2k+17, 2k+24, 2k+25} in lane k)
//             | nBlocks × f32 (d_x · 2^112)
//
// Measured (one thread, the 130m model's shapes, this and the previous build interleaved in one process,
// best of 31 on a busy machine): ssm_in 24 × 3072×768 5.45 → 4.30 ms, ssm_out 24 × 768×1536 3.27 → 2.81 ms,
// lm_head 50280×768 3.75 → 2.85 ms, against the previous prepared path (x widened, weights unpacked through
// int8: and, sub, sign-extend). Tried and slower: the int8 products summed in i16 (i16x8.extmul_*_i8x16_s on
// raw x, then i32x4.extadd_pairwise_i16x8_s), ssm_in 6.98 against 5.64 ms for the previous path — V8 lowers
// each extmul to two sign extensions and a multiply; one row per x block (5.58 ms) or four (4.87) rather
// than two (4.61); pointers bumped per block rather than b·18 gained ~5 %.

/** 2^112 as f32 (see f16_to_f32_finite). */
const RESCALE_112: f32 = reinterpret<f32>(0x77800000);

/**
 * x (Q8_0 blocks of n values) → the layout above at y (84 bytes per block). Returns 0 — use the plain
 * kernel — if some block scale is an F16 inf/NaN (its ×2^112 could overflow), else 1.
 */
export function widen_q8_0_q4_0(yPtr: usize, xPtr: usize, n: i32): i32 {
  const nBlocks = n / QK8_0;
  const sums = yPtr + (<usize>nBlocks << 6);
  const scales = sums + (<usize>nBlocks << 4);
  const eight = i16x8.splat(8);
  for (let b = 0; b < nBlocks; b++) {
    const x = xPtr + <usize>b * Q8_0_BLOCK_BYTES;
    const h = load<u16>(x);
    if ((h & 0x7c00) == 0x7c00) return 0;
    const q0 = v128.load(x, 2);
    const q1 = v128.load(x, 18);
    const x0 = i16x8.extend_low_i8x16_s(q0);
    const x1 = i16x8.extend_high_i8x16_s(q0);
    const x2 = i16x8.extend_low_i8x16_s(q1);
    const x3 = i16x8.extend_high_i8x16_s(q1);
    const y = yPtr + (<usize>b << 6);
    v128.store(y, x0);
    v128.store(y, x1, 16);
    v128.store(y, x2, 32);
    v128.store(y, x3, 48);
    // |Σ| ≤ 4·128 per i16 lane, then pairs × 8 in i32: exact
    v128.store(sums + (<usize>b << 4), i32x4.dot_i16x8_s(i16x8.add(i16x8.add(x0, x1), i16x8.add(x2, x3)), eight));
    store<f32>(scales + (<usize>b << 2), f16_to_f32_finite(h) * RESCALE_112);
  }
  return 1;
}

/**
 * The exact i32 lane sums of dot_q4_0_q8_0 for the block at w, against prepared x (values x0..x3 loaded from
 * the block's 64 bytes, 8·Σx lane sums xs).
 */
@inline
export function q4_block_lanes_widened(w: usize, x0: v128, x1: v128, x2: v128, x3: v128, xs: v128): v128 {
  const m = i16x8.splat(0x0f);
  const q = v128.load(w, 2);
  const lo = i16x8.extend_low_i8x16_u(q); // bytes 0..7: weights 0..7 + 8 (low nibbles), 16..23 + 8 (high)
  const hi = i16x8.extend_high_i8x16_u(q); // bytes 8..15: weights 8..15, 24..31
  const s0 = i32x4.add(i32x4.dot_i16x8_s(v128.and(lo, m), x0), i32x4.dot_i16x8_s(v128.and(hi, m), x1));
  const s1 = i32x4.add(i32x4.dot_i16x8_s(i16x8.shr_u(lo, 4), x2), i32x4.dot_i16x8_s(i16x8.shr_u(hi, 4), x3));
  return i32x4.sub(i32x4.add(s0, s1), xs);
}

/** A Q4_0 block's F16 scale bits placed as an f32 (= d_w · 2^−112 exactly): f16_to_f32_finite without the × 2^112. */
@inline
export function q4_scale_bits(w: usize): f32 {
  return reinterpret<f32>((<u32>(<i32>load<i16>(w)) << 13) & 0x8fffe000);
}

/** q4_scale_bits of four halves, sign-extended in the i32x4 lanes of h. */
@inline
export function q4_scale_bits4(h: v128): v128 {
  return v128.and(i32x4.shl(h, 13), i32x4.splat(0x8fffe000));
}

/** One Q4_0 row (blocks `step` bytes apart) against x prepared by widen_q8_0_q4_0: dot_q4_0_q8_0's bits. */
@inline
export function dot_q4_0_widened(wa: usize, xwPtr: usize, nBlocks: i32, step: usize = Q4_0_BLOCK_BYTES): f32 {
  const sums = xwPtr + (<usize>nBlocks << 6);
  const scales = sums + (<usize>nBlocks << 4);
  let acc = f32x4.splat(0); // lanes 0, 1: the two halves
  for (let b = 0; b < nBlocks; b++) {
    const w = wa + <usize>b * step;
    const x = xwPtr + (<usize>b << 6);
    const s = q4_block_lanes_widened(w, v128.load(x), v128.load(x, 16), v128.load(x, 32), v128.load(x, 48), v128.load(sums + (<usize>b << 4)));
    const d = q4_scale_bits(w) * load<f32>(scales + (<usize>b << 2));
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(fold_i32x4(s)), f32x4.splat(d)));
  }
  return f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1);
}

/**
 * matvec_q4_0_q8_0 on x prepared by widen_q8_0_q4_0 (same bits), two rows per x block: their halves folded
 * into one i32x4 [r h0, r' h0, r h1, r' h1], one convert, one multiply by [d, d', d, d'] and one add per block.
 */
export function matvec_q4_0_q8_0_widened(outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_q4_0_widened(outPtr, wPtr, xwPtr, rowStart, rowEnd, nIn, false);
}

/** matvec_q4_0_q8_0_widened on Q4_0X2 weights (a row pair is one stream): the same bits. */
export function matvec_q4_0x2_q8_0_widened(outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_q4_0_widened(outPtr, wPtr, xwPtr, rowStart, rowEnd, nIn, true);
}

@inline
function matvec_q4_0_widened(outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, paired: bool): void {
  const nBlocks = nIn / QK8_0;
  const rowBytes = <usize>nBlocks * Q4_0_BLOCK_BYTES;
  const sums = xwPtr + (<usize>nBlocks << 6);
  const scales = sums + (<usize>nBlocks << 4);
  // the second row of a pass: the next row, or (Q4_0X2, from an even row) the next block
  const second = paired ? <usize>Q4_0_BLOCK_BYTES : rowBytes;
  const step = q4_step(paired);
  let r = rowStart;
  if (paired && (r & 1) != 0 && r < rowEnd) {
    // a range that starts inside a pair: its odd row alone, then whole pairs
    store<f32>(outPtr + (<usize>r << 2), dot_q4_0_widened(q4_row(wPtr, r, rowBytes, true), xwPtr, nBlocks, step));
    r++;
  }
  for (; r + 2 <= rowEnd; r += 2) {
    let w = q4_row(wPtr, r, rowBytes, paired);
    let xw = xwPtr;
    let acc = f32x4.splat(0);
    for (let xsp = sums; xsp < scales; xsp += 16) {
      const x0 = v128.load(xw);
      const x1 = v128.load(xw, 16);
      const x2 = v128.load(xw, 32);
      const x3 = v128.load(xw, 48);
      const xs = v128.load(xsp);
      const u = fold2_i32x4(q4_block_lanes_widened(w, x0, x1, x2, x3, xs), q4_block_lanes_widened(w + second, x0, x1, x2, x3, xs));
      let h = v128.load16_splat(w);
      h = v128.load16_lane(w + second, h, 1);
      h = v128.load16_lane(w + second, h, 3);
      const d = f32x4.mul(q4_scale_bits4(i32x4.extend_low_i16x8_s(h)), v128.load32_splat(scales + ((xsp - sums) >> 2)));
      acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(u), d));
      w += step;
      xw += 64;
    }
    const o = f32x4.add(acc, v128.shuffle<i32>(acc, acc, 2, 3, 2, 3));
    store<f32>(outPtr + (<usize>r << 2), f32x4.extract_lane(o, 0));
    store<f32>(outPtr + (<usize>r << 2) + 4, f32x4.extract_lane(o, 1));
  }
  if (r < rowEnd) store<f32>(outPtr + (<usize>r << 2), dot_q4_0_widened(q4_row(wPtr, r, rowBytes, paired), xwPtr, nBlocks, step));
}
