/**
 * F16 weights × F32 activations (ggml would round x to F16 too; we keep it F32). W: (nOut, nIn) IEEE halves.
 * Finite halves are widened exactly to F32 (common.ts; weights hold no inf/NaN), then reduced as in matvec-f32.ts: 16 per step into four
 * accumulators, 4 at a time, then a scalar tail, in a fixed order per row.
 * The F16R kernels (`*_f16r_*`, common.ts) take the backend's subnormal-free re-encoding of F16 weights and
 * give the bits of the F16 kernels on the weights it was made from.
 */
import { f16_to_f32_finite, f16x4_to_f32x4_finite, hsum_f32x4 } from './common';

@inline
export function dot_f16_f32(wPtr: usize, xPtr: usize, n: i32): f32 {
  return dot_f16(wPtr, xPtr, n, false, false);
}

/** dot_f16_f32 of F16R weights (common.ts): the same bits as of the F16 weights they were made from. */
@inline
export function dot_f16r_f32(wPtr: usize, xPtr: usize, n: i32): f32 {
  return dot_f16(wPtr, xPtr, n, false, true);
}

/** out[r] = W[r, :] · x for r in [rowStart, rowEnd). */
export function matvec_f16_f32(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_f16(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, false, false);
}

/** matvec_f16_f32 on F16R weights (the plain path: when f16r_prescale_x refuses x). */
export function matvec_f16r_f32(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_f16(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, false, true);
}

// ---------------------------------------------------------------------------------------------------------
// The prepared path (decode): the same products and order as dot_f16_f32, 25–33% faster (measured, one
// thread: 5.1 → 6.8 GMAC/s on a cached 3072×768 matrix, 4.6 → 5.7 streaming a 50280×768 one).
//
// A finite half h widens to its F32 bits without the exponent rebias — w' = w·2^−112, the 0x8fffe000 mask of
// f16_to_f32_finite — and x is pre-multiplied by 2^112 once per matvec instead (f16_prescale_x), so
// w'·(x·2^112) = w·x exactly, the same rounded product as (w'·2^112)·x. The widening is done on 8 halves with
// i16 shifts and two interleaving shuffles instead of two extends, two shifts, two masks and a multiply.
// x·2^112 must not overflow: f16_prescale_x refuses (returns 0) unless every |x| < 2^15, and the caller
// then runs matvec_f16_f32 on x itself — the same bits either way.
// F16R weights widen to the same bits w·2^−102 (exponent bias 25, and never an f32 subnormal), so the same
// kernel serves them on x·2^102 (f16r_prescale_x); only a subnormal half would make w' a slow f32 subnormal.

/** The prepared x of matvec_f16_f32_prescaled: y = x · 2^112. Returns 1, or 0 (y unusable) if some |x| ≥ 2^15 or is NaN. */
export function f16_prescale_x(yPtr: usize, xPtr: usize, n: i32): i32 {
  return prescale_x(yPtr, xPtr, n, reinterpret<f32>(0x77800000), 32768); // 2^112
}

/**
 * The same for F16R weights (common.ts): their bits without the rebias are w·2^−102, so y = x · 2^102.
 * Returns 1, or 0 if some |x| ≥ 2^25 or is NaN.
 */
export function f16r_prescale_x(yPtr: usize, xPtr: usize, n: i32): i32 {
  return prescale_x(yPtr, xPtr, n, reinterpret<f32>(0x72800000), 33554432); // 2^102, 2^25
}

/** y = x · scale unless some |x| ≥ limit (or NaN): then 0. scale · limit ≤ 2^127, so y never overflows. */
@inline
function prescale_x(yPtr: usize, xPtr: usize, n: i32, scale: f32, limit: f32): i32 {
  let big = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(xPtr + (<usize>i << 2));
    // !(|v| < limit) is true for large values and NaN
    big = v128.or(big, v128.not(f32x4.lt(f32x4.abs(v), f32x4.splat(limit))));
    v128.store(yPtr + (<usize>i << 2), f32x4.mul(v, f32x4.splat(scale)));
  }
  if (v128.any_true(big)) return 0;
  for (; i < n; i++) {
    const v = load<f32>(xPtr + (<usize>i << 2));
    if (!(abs<f32>(v) < limit)) return 0;
    store<f32>(yPtr + (<usize>i << 2), v * scale);
  }
  return 1;
}

/** F32 bits of halves 0..3 and 4..7 of h without the rebias (lo = h << 13, hi = sign | exponent | mantissa top). */
@inline
function halves_lo(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(lo, hi, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23);
}
@inline
function halves_hi(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(lo, hi, 8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

/** The lanes of dot_f16_prescaled before its horizontal sum, for n % 4 == 0 (no scalar tail). */
@inline
export function dot_f16_prescaled_lanes(wPtr: usize, xPtr: usize, n: i32): v128 {
  return dot_f16_lanes(wPtr, xPtr, n, true, false);
}

@inline
export function dot_f16_prescaled(wPtr: usize, xPtr: usize, n: i32): f32 {
  return dot_f16(wPtr, xPtr, n, true, false);
}

// ---------------------------------------------------------------------------------------------------------
// The one dot both paths share; `prescaled` and `rebiased` are constants at every (inlined) call, so each
// path compiles to its own loop with only its widening in it.

/**
 * Halves 0..3 (`high` false) or 4..7 of h as f32: their values (of F16R halves when `rebiased`), or when
 * `prescaled` their F32 bits without the rebias (halves_lo/hi of h << 13 and the sign-extended h >> 3).
 */
@inline
function widen_f16x4(h: v128, high: bool, prescaled: bool, rebiased: bool): v128 {
  if (prescaled) {
    const l = i16x8.shl(h, 13);
    const g = v128.and(i16x8.shr_s(h, 3), i16x8.splat(<i16>0x8fff));
    return high ? halves_hi(l, g) : halves_lo(l, g);
  }
  return f16x4_to_f32x4_finite(high ? i32x4.extend_high_i16x8_s(h) : i32x4.extend_low_i16x8_s(h), rebiased);
}

/**
 * W[0:n]·x for n % 4 == 0, before the horizontal sum: 16 per step into four accumulators, then 4 at a time,
 * returning (a0 + a1) + (a2 + a3). Plain: halves widened to their F32 values (F16R halves when `rebiased`);
 * prescaled: to their F32 bits without the rebias (w·2^−112, or w·2^−102 for F16R), for x·2^112 (x·2^102) —
 * the same products either way.
 */
@inline
function dot_f16_lanes(wPtr: usize, xPtr: usize, n: i32, prescaled: bool, rebiased: bool): v128 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const w = wPtr + (<usize>i << 1);
    const x = xPtr + (<usize>i << 2);
    const h0 = v128.load(w);
    const h1 = v128.load(w, 16);
    const w0 = widen_f16x4(h0, false, prescaled, rebiased);
    const w1 = widen_f16x4(h0, true, prescaled, rebiased);
    const w2 = widen_f16x4(h1, false, prescaled, rebiased);
    const w3 = widen_f16x4(h1, true, prescaled, rebiased);
    a0 = f32x4.add(a0, f32x4.mul(w0, v128.load(x)));
    a1 = f32x4.add(a1, f32x4.mul(w1, v128.load(x, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w2, v128.load(x, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w3, v128.load(x, 48)));
  }
  for (; i + 4 <= n; i += 4) {
    const w = wPtr + (<usize>i << 1);
    const w0 = prescaled ? widen_f16x4(v128.load64_zero(w), false, true, false) : f16x4_to_f32x4_finite(v128.load16x4_s(w), rebiased);
    a0 = f32x4.add(a0, f32x4.mul(w0, v128.load(xPtr + (<usize>i << 2))));
  }
  return f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
}

/** dot_f16_lanes, its horizontal sum, then the scalar tail (n % 4 elements) in order. */
@inline
function dot_f16(wPtr: usize, xPtr: usize, n: i32, prescaled: bool, rebiased: bool): f32 {
  const n4 = n & ~3;
  let s = hsum_f32x4(dot_f16_lanes(wPtr, xPtr, n4, prescaled, rebiased));
  for (let i = n4; i < n; i++) {
    const h = load<u16>(wPtr + (<usize>i << 1));
    const w: f32 = prescaled ? reinterpret<f32>((<u32>(<i32><i16>h) << 13) & 0x8fffe000) : f16_to_f32_finite(h, rebiased);
    s += w * load<f32>(xPtr + (<usize>i << 2));
  }
  return s;
}

/** matvec_f16_f32 on x prepared by f16_prescale_x (same bits); on F16R weights with x from f16r_prescale_x too. */
export function matvec_f16_f32_prescaled(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_f16(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, true, false);
}

/** The row loop of the three F16 matvecs; `prescaled` and `rebiased` as in dot_f16 (constants: inlined). */
@inline
function matvec_f16(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, prescaled: bool, rebiased: bool): void {
  const rowBytes = <usize>nIn << 1;
  for (let r = rowStart; r < rowEnd; r++) {
    store<f32>(outPtr + (<usize>r << 2), dot_f16(wPtr + <usize>r * rowBytes, xPtr, nIn, prescaled, rebiased));
  }
}

/**
 * matvec_f16_f32_prescaled for two tokens at once (a batched step): the bits of matvec_f16_f32_prescaled on
 * each token's x (dot2_f16). On F16R weights with x from f16r_prescale_x as well.
 */
export function matvec2_f16_f32_prescaled(out0: usize, out1: usize, wPtr: usize, x0: usize, x1: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const rowBytes = <usize>nIn << 1;
  for (let r = rowStart; r < rowEnd; r++) {
    const o = <usize>r << 2;
    dot2_f16(out0 + o, out1 + o, wPtr + <usize>r * rowBytes, x0, x1, nIn, true, false);
  }
}

/**
 * W[0:n]·x0 → o0 and W[0:n]·x1 → o1, each half widened once for both: for each token the operations of
 * dot_f16 in its order (four accumulators by 16, then by 4, the horizontal sum, the scalar tail) — its bits.
 * `prescaled` and `rebiased` as in dot_f16 (constants at every inlined call).
 */
@inline
export function dot2_f16(o0: usize, o1: usize, wPtr: usize, x0: usize, x1: usize, n: i32, prescaled: bool, rebiased: bool): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let b2 = f32x4.splat(0);
  let b3 = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i + 16 <= n4; i += 16) {
    const w = wPtr + (<usize>i << 1);
    const h0 = v128.load(w);
    const h1 = v128.load(w, 16);
    const w0 = widen_f16x4(h0, false, prescaled, rebiased);
    const w1 = widen_f16x4(h0, true, prescaled, rebiased);
    const w2 = widen_f16x4(h1, false, prescaled, rebiased);
    const w3 = widen_f16x4(h1, true, prescaled, rebiased);
    const p = x0 + (<usize>i << 2);
    const q = x1 + (<usize>i << 2);
    a0 = f32x4.add(a0, f32x4.mul(w0, v128.load(p)));
    b0 = f32x4.add(b0, f32x4.mul(w0, v128.load(q)));
    a1 = f32x4.add(a1, f32x4.mul(w1, v128.load(p, 16)));
    b1 = f32x4.add(b1, f32x4.mul(w1, v128.load(q, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w2, v128.load(p, 32)));
    b2 = f32x4.add(b2, f32x4.mul(w2, v128.load(q, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w3, v128.load(p, 48)));
    b3 = f32x4.add(b3, f32x4.mul(w3, v128.load(q, 48)));
  }
  for (; i + 4 <= n4; i += 4) {
    const w = wPtr + (<usize>i << 1);
    const w0 = prescaled ? widen_f16x4(v128.load64_zero(w), false, true, false) : f16x4_to_f32x4_finite(v128.load16x4_s(w), rebiased);
    a0 = f32x4.add(a0, f32x4.mul(w0, v128.load(x0 + (<usize>i << 2))));
    b0 = f32x4.add(b0, f32x4.mul(w0, v128.load(x1 + (<usize>i << 2))));
  }
  let s = hsum_f32x4(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  let t = hsum_f32x4(f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3)));
  for (; i < n; i++) {
    const h = load<u16>(wPtr + (<usize>i << 1));
    const w: f32 = prescaled ? reinterpret<f32>((<u32>(<i32><i16>h) << 13) & 0x8fffe000) : f16_to_f32_finite(h, rebiased);
    s += w * load<f32>(x0 + (<usize>i << 2));
    t += w * load<f32>(x1 + (<usize>i << 2));
  }
  store<f32>(o0, s);
  store<f32>(o1, t);
}
