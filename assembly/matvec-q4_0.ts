/**
 * Q4_0 weights × Q8_0 activations, as ggml's vec_dot_q4_0_q8_0: nibbles are unpacked to int8 (q − 8), then
 * the block is reduced exactly as in matvec-q8_0.ts.
 *
 *   block_q4_0: f16 d | u8 qs[16]   (18 bytes)   value j = d · ((qs[j] & 15) − 8), value j+16 = d · ((qs[j] >> 4) − 8)
 */
import { f16_to_f32_finite, hsum_f32x4 } from './common';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';

export const QK4_0: i32 = 32;
export const Q4_0_BLOCK_BYTES: i32 = 18;

@inline
export function dot_q4_0_q8_0(wPtr: usize, xPtr: usize, nBlocks: i32): f32 {
  let acc = f32x4.splat(0);
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * Q4_0_BLOCK_BYTES;
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
    acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(s0, s1)), f32x4.splat(d)));
  }
  return hsum_f32x4(acc);
}

/** dot_q4_0_q8_0 of two weight rows with one x, sharing each x block's load and widening (same bits per row). */
@inline
function dot2_q4_0_q8_0(o: usize, w0Ptr: usize, w1Ptr: usize, xPtr: usize, nBlocks: i32): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  const mask = i8x16.splat(0x0f);
  const eight = i8x16.splat(8);
  for (let b = 0; b < nBlocks; b++) {
    const x = xPtr + <usize>b * Q8_0_BLOCK_BYTES;
    const x0 = v128.load(x, 2);
    const x1 = v128.load(x, 18);
    const x0l = i16x8.extend_low_i8x16_s(x0);
    const x0h = i16x8.extend_high_i8x16_s(x0);
    const x1l = i16x8.extend_low_i8x16_s(x1);
    const x1h = i16x8.extend_high_i8x16_s(x1);
    const dx = f16_to_f32_finite(load<u16>(x));
    const w = w0Ptr + <usize>b * Q4_0_BLOCK_BYTES;
    const v = w1Ptr + <usize>b * Q4_0_BLOCK_BYTES;
    const p = v128.load(w, 2);
    const q = v128.load(v, 2);
    const p0 = i8x16.sub(v128.and(p, mask), eight);
    const p1 = i8x16.sub(v128.and(i16x8.shr_u(p, 4), mask), eight);
    const q0 = i8x16.sub(v128.and(q, mask), eight);
    const q1 = i8x16.sub(v128.and(i16x8.shr_u(q, 4), mask), eight);
    const s0 = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(p0), x0l), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(p0), x0h));
    const s1 = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(p1), x1l), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(p1), x1h));
    const t0 = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(q0), x0l), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(q0), x0h));
    const t1 = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(q1), x1l), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(q1), x1h));
    a0 = f32x4.add(a0, f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(s0, s1)), f32x4.splat(f16_to_f32_finite(load<u16>(w)) * dx)));
    a1 = f32x4.add(a1, f32x4.mul(f32x4.convert_i32x4_s(i32x4.add(t0, t1)), f32x4.splat(f16_to_f32_finite(load<u16>(v)) * dx)));
  }
  store<f32>(o, hsum_f32x4(a0));
  store<f32>(o + 4, hsum_f32x4(a1));
}

/**
 * out[r] = W[r, :] · x for r in [rowStart, rowEnd), two rows at a time; x already quantized
 * (quantize_row_q8_0), nIn % 32 == 0.
 */
export function matvec_q4_0_q8_0(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const nBlocks = nIn / QK4_0;
  const rowBytes = <usize>nBlocks * Q4_0_BLOCK_BYTES;
  let r = rowStart;
  for (; r + 2 <= rowEnd; r += 2) {
    const w = wPtr + <usize>r * rowBytes;
    dot2_q4_0_q8_0(outPtr + (<usize>r << 2), w, w + rowBytes, xPtr, nBlocks);
  }
  if (r < rowEnd) store<f32>(outPtr + (<usize>r << 2), dot_q4_0_q8_0(wPtr + <usize>r * rowBytes, xPtr, nBlocks));
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

/** The exact i32 lane sums of dot_q4_0_q8_0 for the block at w, against prepared x (values at xw, 8·Σx at xs). */
@inline
export function q4_block_widened(w: usize, xw: usize, xs: usize): v128 {
  const m = i16x8.splat(0x0f);
  const q = v128.load(w, 2);
  const lo = i16x8.extend_low_i8x16_u(q); // bytes 0..7: weights 0..7 + 8 (low nibbles), 16..23 + 8 (high)
  const hi = i16x8.extend_high_i8x16_u(q); // bytes 8..15: weights 8..15, 24..31
  const s0 = i32x4.add(i32x4.dot_i16x8_s(v128.and(lo, m), v128.load(xw)), i32x4.dot_i16x8_s(v128.and(hi, m), v128.load(xw, 16)));
  const s1 = i32x4.add(i32x4.dot_i16x8_s(i16x8.shr_u(lo, 4), v128.load(xw, 32)), i32x4.dot_i16x8_s(i16x8.shr_u(hi, 4), v128.load(xw, 48)));
  return i32x4.sub(i32x4.add(s0, s1), v128.load(xs));
}

/** A Q4_0 block's F16 scale bits placed as an f32 (= d_w · 2^−112 exactly): f16_to_f32_finite without the × 2^112. */
@inline
export function q4_scale_bits(w: usize): f32 {
  return reinterpret<f32>((<u32>(<i32>load<i16>(w)) << 13) & 0x8fffe000);
}

/** acc + lanes(block at w) · (d_w · d_x): one block of dot_q4_0_q8_0, on prepared x (dxs = d_x · 2^112). */
@inline
export function q4_block_fma_widened(acc: v128, w: usize, xw: usize, xs: usize, dxs: f32): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(q4_block_widened(w, xw, xs)), f32x4.splat(q4_scale_bits(w) * dxs)));
}

/** One Q4_0 row against x prepared by widen_q8_0_q4_0: dot_q4_0_q8_0's bits. */
@inline
export function dot_q4_0_widened(wa: usize, xwPtr: usize, nBlocks: i32): f32 {
  const sums = xwPtr + (<usize>nBlocks << 6);
  const scales = sums + (<usize>nBlocks << 4);
  let a0 = f32x4.splat(0);
  for (let b = 0; b < nBlocks; b++) {
    a0 = q4_block_fma_widened(a0, wa + <usize>b * Q4_0_BLOCK_BYTES, xwPtr + (<usize>b << 6), sums + (<usize>b << 4), load<f32>(scales + (<usize>b << 2)));
  }
  return hsum_f32x4(a0);
}

/** matvec_q4_0_q8_0 on x prepared by widen_q8_0_q4_0, two rows per x block (same bits). */
export function matvec_q4_0_q8_0_widened(outPtr: usize, wPtr: usize, xwPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const nBlocks = nIn / QK8_0;
  const rowBytes = <usize>nBlocks * Q4_0_BLOCK_BYTES;
  const sums = xwPtr + (<usize>nBlocks << 6);
  const scales = sums + (<usize>nBlocks << 4);
  let r = rowStart;
  for (; r + 2 <= rowEnd; r += 2) {
    let w = wPtr + <usize>r * rowBytes;
    let xw = xwPtr;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    for (let xs = sums; xs < scales; xs += 16) {
      const dxs = load<f32>(scales + ((xs - sums) >> 2));
      a0 = q4_block_fma_widened(a0, w, xw, xs, dxs);
      a1 = q4_block_fma_widened(a1, w + rowBytes, xw, xs, dxs);
      w += Q4_0_BLOCK_BYTES;
      xw += 64;
    }
    store<f32>(outPtr + (<usize>r << 2), hsum_f32x4(a0));
    store<f32>(outPtr + (<usize>r << 2) + 4, hsum_f32x4(a1));
  }
  if (r < rowEnd) store<f32>(outPtr + (<usize>r << 2), dot_q4_0_widened(wPtr + <usize>r * rowBytes, xwPtr, nBlocks));
}
