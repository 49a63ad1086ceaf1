/**
 * F16 → F16R in place (common.ts: the F16 layout with exponent bias 25, in which every F16 subnormal is a
 * normal number, so widened weights are never f32 subnormals). The scalar spec is src/wasm/f16r.ts.
 */

/** The largest |h| an F16R holds: exponent field 21 (→ 31 in F16R), all mantissa bits: 127.9375. */
const F16R_MAX_SOURCE: u32 = 0x57ff;

/** One half → F16R. |h| ≤ F16R_MAX_SOURCE. */
@inline
function f16_to_f16r(h: u32): u32 {
  const sign = h & 0x8000;
  const mag = h & 0x7fff;
  if (mag == 0) return h; // ±0
  if (mag >= 0x400) return sign | (mag + (10 << 10)); // normal: exponent + 10
  // subnormal m·2^−24 with leading bit p: 2^(p−24)·1.f → exponent field p + 1 (bias 25), f left-aligned
  const p = 31 - <u32>clz(mag);
  return sign | ((p + 1) << 10) | ((mag << (10 - p)) & 0x3ff);
}

/**
 * Re-encodes n halves at ptr as F16R when every one is finite with |h| < 128 and returns 1; else leaves them
 * as they are and returns 0 (the matrix then stays F16). Two passes: the check, then the recoding.
 */
export function recode_f16_f16r(ptr: usize, n: i32): i32 {
  const magMask = i16x8.splat(0x7fff);
  let mx = i16x8.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) mx = i16x8.max_u(mx, v128.and(v128.load(ptr + (<usize>i << 1)), magMask));
  if (v128.any_true(i16x8.gt_u(mx, i16x8.splat(<i16>F16R_MAX_SOURCE)))) return 0;
  for (; i < n; i++) if ((<u32>load<u16>(ptr + (<usize>i << 1)) & 0x7fff) > F16R_MAX_SOURCE) return 0;

  const expMask = i16x8.splat(0x7c00);
  const zero = i16x8.splat(0);
  const bias = i16x8.splat(10 << 10);
  for (i = 0; i + 8 <= n; i += 8) {
    const p = ptr + (<usize>i << 1);
    const h = v128.load(p);
    const mag = v128.and(h, magMask);
    const isZero = i16x8.eq(mag, zero);
    const isSub = v128.andnot(i16x8.eq(v128.and(h, expMask), zero), isZero);
    if (v128.any_true(isSub)) {
      for (let j = 0; j < 8; j++) {
        const q = p + (<usize>j << 1);
        store<u16>(q, <u16>f16_to_f16r(load<u16>(q)));
      }
    } else {
      v128.store(p, i16x8.add(h, v128.andnot(bias, isZero))); // normals: exponent + 10; ±0 stays
    }
  }
  for (; i < n; i++) {
    const q = ptr + (<usize>i << 1);
    store<u16>(q, <u16>f16_to_f16r(load<u16>(q)));
  }
  return 1;
}
