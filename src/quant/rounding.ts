/**
 * The rounding functions of ggml's reference quantizers, on float32 values (Math.fround = one float32 operation:
 * a single double operation on float32 operands rounded once to float32 is the correctly rounded float32 result).
 */

/**
 * ggml `nearest_int(fval)`: adds 1.5·2^23 in float32 and reads the low mantissa bits, i.e. rounds half to even.
 * Valid for |fval| ≤ 4194303, which ggml asserts; every caller here stays within it.
 */
export function nearestInt(fval: number): number {
  return Math.fround(fval + 12582912) - 12582912;
}

/**
 * C `roundf` / `lroundf` and gguf-py's `np_roundf`: round half away from zero. Exact for float32 inputs
 * (x + 0.5 is exact in double for |x| < 2^29).
 */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** torch.round / numpy.round: round half to even (any magnitude). */
export function roundHalfToEven(x: number): number {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

