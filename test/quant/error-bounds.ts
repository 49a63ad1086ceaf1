/**
 * Round-trip error bounds per type, shared by the codec and model tests: |x − dequantize(quantize(x))|.
 * Q8_0, Q4_0, TQ1_0, TQ2_0 bounds are proved from the algorithm (noted above each); Q4_K and Q6_K search for
 * their scales, so besides the provable "nearest level" property their bound is empirical.
 *
 * Notation per block: amax = max|x|; d = the float32 scale the quantizer computes; dh = the f16 scale stored
 * (|d − dh| ≤ d·2^-11 for a normal half, ≤ 2^-25 for a subnormal one).
 */
import { dequantize } from '../../src/ggml/dequantize.js';
import { ggmlType, type GGMLTypeName } from '../../src/ggml/ggml-type.js';
import { readF16, readI8 } from '../../src/quant/block-bytes.js';
import { scaleMinK4 } from '../../src/quant/q4_k.js';
import { QUANT_TRAITS } from '../../src/quant/quant-traits.js';

const f = Math.fround;

/** |d − dh| bound for an f16-rounded scale d. */
export function halfError(d: number): number {
  return Math.max(Math.abs(d) * 2 ** -11, 2 ** -25);
}

/** A per-block check: returns the error bound for element j of the block (or throws for structural failures). */
export type BlockBound = (x: Float32Array, bytes: Uint8Array) => (j: number) => number;

export const BOUNDS: Partial<Record<GGMLTypeName, BlockBound>> = {
  // q = round(x/d), d = amax/127, |q| ≤ 127: |x − dh·q| ≤ d/2 + 127·|d − dh|  (≤ amax·(1/254 + 2^-11) for normal dh)
  Q8_0(x) {
    const amax = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const d = f(amax / 127);
    return () => d / 2 + 127 * halfError(d) + amax * 2 ** -22;
  },
  // d = max/−8, q = min(15, trunc(x/d + 8.5)): |x − dh·(q−8)| ≤ |d|/2 + 8·|d − dh|, except where x/d > 7.5 (the
  // one level lost to the clip, x of opposite sign to max near −max) where it is ≤ |d| + 8·|d − dh|
  Q4_0(x) {
    let imax = 0;
    for (let j = 1; j < x.length; j++) if (Math.abs(x[j]) > Math.abs(x[imax])) imax = j;
    const d = f(x[imax] / -8);
    const id = d !== 0 ? f(1 / d) : 0;
    return (j) => (f(x[j] * id) > 7.5 ? Math.abs(d) : Math.abs(d) / 2) + 8 * halfError(d) + Math.abs(x[imax]) * 2 ** -22;
  },
  // absmax ternary, d = amax: t = round(x/d) ∈ {−1, 0, 1} ⇒ |x − dh·t| ≤ d/2 + |d − dh|
  TQ1_0: ternaryBound,
  TQ2_0: ternaryBound,
  // Q4_K: each x̂ is the level of its sub-block nearest to x (dl·l − ml, l = 0..15, dl = dh·sc, ml = dminh·m),
  // unless the sub-block scale rounded to 0. The error itself has no closed form (the scales come from a search):
  // empirically ≤ 0.07·(max − min(min, 0)) of the super-block (worst seen 0.053, uniform data), plus what the
  // f16 rounding of the super-block scales can move a level: 15·63·|Δd| + 63·|Δdmin| (matters when they are
  // subnormal halves, i.e. for weights below ~1e-2)
  Q4_K(x, bytes) {
    const dh = readF16(bytes, 0);
    const dminh = readF16(bytes, 2);
    let max = -Infinity;
    let min = Infinity;
    for (const v of x) {
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    const empirical = 0.07 * (max - Math.min(min, 0)) + 15 * 63 * halfError(dh) + 63 * halfError(dminh);
    return (j) => {
      const [sc, m] = scaleMinK4(bytes, 4, j >> 5);
      const dl = f(dh * sc);
      const ml = f(dminh * m);
      let nearest = Infinity;
      if (dl !== 0) for (let l = 0; l < 16; l++) nearest = Math.min(nearest, Math.abs(x[j] - f(f(dl * l) - ml)));
      return Math.min(nearest + (Math.abs(x[j]) + ml + 15 * dl) * 2 ** -22, empirical);
    };
  },
  // Q6_K: each x̂ is the level nearest to x (dl·l, l = −32..31, dl = dh·scales[j]) unless the sub-block scale is 0;
  // empirically ≤ 0.03·amax of the super-block (worst seen 0.022, uniform data), plus 128·32·|Δd| for the f16
  // rounding of d ≈ amax/4096 (a subnormal half whenever amax < 0.25)
  Q6_K(x, bytes) {
    const dh = readF16(bytes, 208);
    const amax = x.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
    const empirical = 0.03 * amax + 128 * 32 * halfError(dh);
    return (j) => {
      const dl = f(dh * readI8(bytes, 192 + (j >> 4)));
      let nearest = Infinity;
      if (dl !== 0) for (let l = -32; l < 32; l++) nearest = Math.min(nearest, Math.abs(x[j] - f(dl * l)));
      return Math.min(nearest + (Math.abs(x[j]) + 32 * Math.abs(dl)) * 2 ** -22, empirical);
    };
  },
};

function ternaryBound(x: Float32Array): (j: number) => number {
  const amax = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return () => amax / 2 + halfError(amax) + amax * 2 ** -22;
}


/**
 * Checks `back` = dequantized `bytes` against the source `values` (rows of whole blocks of `name`); returns a
 * description of the first value out of bounds, or undefined. Types without a bound table row (F32, F16)
 * must be exact / within half-precision rounding.
 */
export function roundTripViolation(name: GGMLTypeName, values: Float32Array, bytes: Uint8Array, back = dequantize(bytes, ggmlType(name), values.length)): string | undefined {
  const bound = BOUNDS[name];
  if (!bound) {
    const tol = name === 'F16' ? (x: number) => Math.abs(x) * 2 ** -11 + 2 ** -25 : name === 'BF16' ? (x: number) => Math.abs(x) * 2 ** -8 : () => 0;
    for (let i = 0; i < values.length; i++) if (!(Math.abs(values[i] - back[i]) <= tol(values[i]))) return `value ${i}: ${back[i]} vs ${values[i]}`;
    return undefined;
  }
  const tr = QUANT_TRAITS[name]!;
  for (let b = 0; b < values.length / tr.blockSize; b++) {
    const x = values.subarray(b * tr.blockSize, (b + 1) * tr.blockSize);
    const limit = bound(x, bytes.subarray(b * tr.blockBytes, (b + 1) * tr.blockBytes));
    for (let j = 0; j < tr.blockSize; j++) {
      const err = Math.abs(x[j] - back[b * tr.blockSize + j]);
      if (!(err <= limit(j))) return `block ${b}, value ${j}: |${x[j]} − ${back[b * tr.blockSize + j]}| = ${err} > ${limit(j)}`;
    }
  }
  return undefined;
}
