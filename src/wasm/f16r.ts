/**
 * F16R, the WASM backend's in-memory form of an F16 weight matrix (the scalar spec of assembly/f16r.ts).
 *
 * Same layout as an IEEE half — sign, 5 exponent bits, 10 mantissa bits — with exponent bias 25 instead of
 * 15: value = ±2^(e−25)·(1 + m/1024) for e ≥ 1, ±0 for e = m = 0. Every finite half with |h| < 128 has an
 * F16R of the same value, and the F16 subnormals (|h| < 2^−14) become normal numbers (e = 1…10).
 *
 * Why: the kernels widen a half to f32 by placing its bits in an f32 (× 2^112, or with x pre-scaled by 2^112),
 * which leaves an F16 subnormal as an f32 subnormal, and x86 multiplies f32 subnormals through a microcode
 * assist (~100× slower). Trained and random weights hold a few: 0.64 % of the 130m model's in_proj halves,
 * which made its matvec 1.35× slower (13.3 → 9.9 ms per token at one thread once recoded). F16R weights widen
 * the same way, × 2^102, to the same f32 values — so every kernel gives the same bits on them.
 */

/** The largest |h| (bits) with an F16R: exponent 21, all mantissa bits — 127.9375. */
export const F16R_MAX_SOURCE = 0x57ff;

/** The F16R of half `h` (bits), or undefined when it has none (|h| ≥ 128, ±inf, NaN). */
export function f16ToF16r(h: number): number | undefined {
  const sign = h & 0x8000;
  const mag = h & 0x7fff;
  if (mag > F16R_MAX_SOURCE) return undefined;
  if (mag === 0) return h;
  if (mag >= 0x400) return sign | (mag + (10 << 10)); // normal: 2^(E−15) = 2^((E+10)−25)
  // subnormal: m·2^−24 = 2^(p−24)·(1 + f) with p the leading bit of m: exponent p + 1, f's bits left-aligned
  const p = 31 - Math.clz32(mag);
  return sign | ((p + 1) << 10) | ((mag << (10 - p)) & 0x3ff);
}

/** The value of F16R bits `r`. */
export function f16rToF32(r: number): number {
  const sign = r & 0x8000 ? -1 : 1;
  const e = (r >> 10) & 0x1f;
  const m = r & 0x3ff;
  if (e === 0) return sign * m * 2 ** -34; // only ±0 is made; the others would be what the kernels compute
  return sign * (1 + m / 1024) * 2 ** (e - 25);
}
