/**
 * Scalar reference ops: plain loops, the spec every fast kernel is tested against.
 * Accumulation is in double precision; results are stored as F32.
 */

/** out = W · x (+ bias)   W: (nOut, nIn) row-major, x: (nIn), out: (nOut) */
export function matvec(out: Float32Array, w: Float32Array, x: Float32Array, nOut: number, nIn: number, bias?: Float32Array): void {
  for (let r = 0; r < nOut; r++) {
    let s = 0;
    const o = r * nIn;
    for (let i = 0; i < nIn; i++) s += w[o + i] * x[i];
    out[r] = bias ? s + bias[r] : s;
  }
}

/** out = x · rsqrt(mean(x²) + eps) · weight   (RMSNorm) */
export function rmsnorm(out: Float32Array, x: Float32Array, weight: Float32Array, eps: number): void {
  const n = x.length;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[i] * x[i];
  const scale = 1 / Math.sqrt(ss / n + eps);
  for (let i = 0; i < n; i++) out[i] = x[i] * scale * weight[i];
}

export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** F.softplus(x) with PyTorch's default threshold 20: x above it is returned as is. */
export function softplus(x: number): number {
  return x > 20 ? x : Math.log1p(Math.exp(x));
}
