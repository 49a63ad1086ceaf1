/**
 * RMSNorm, alone and fused with the residual add that precedes it:
 *   hidden_states = residual + hidden_states; hidden_states = self.norm(hidden_states)
 * out = x · rsqrt(mean(x²) + eps) · weight. The sum of squares is one f32x4 reduction (fixed order) plus a
 * scalar tail; n is dModel, so one caller does the whole vector.
 */
import { hsum_f32x4 } from './common';

@inline
function sum_squares(xPtr: usize, n: i32): f32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(xPtr + (<usize>i << 2));
    acc = f32x4.add(acc, f32x4.mul(v, v));
  }
  let s = hsum_f32x4(acc);
  for (; i < n; i++) {
    const v = load<f32>(xPtr + (<usize>i << 2));
    s += v * v;
  }
  return s;
}

@inline
function scale_by_weight(outPtr: usize, xPtr: usize, wPtr: usize, n: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(outPtr + o, f32x4.mul(f32x4.mul(v128.load(xPtr + o), s), v128.load(wPtr + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(outPtr + o, load<f32>(xPtr + o) * scale * load<f32>(wPtr + o));
  }
}

/** out (n) = rmsnorm(x (n)) · w (n). */
export function rms_norm_f32(outPtr: usize, xPtr: usize, wPtr: usize, n: i32, eps: f32): void {
  const scale: f32 = 1 / Mathf.sqrt(sum_squares(xPtr, n) / <f32>n + eps);
  scale_by_weight(outPtr, xPtr, wPtr, n, scale);
}

/** hidden (n) += delta (n); out (n) = rmsnorm(hidden) · w (n). */
export function add_rms_norm_f32(outPtr: usize, hiddenPtr: usize, deltaPtr: usize, wPtr: usize, n: i32, eps: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(hiddenPtr + o, f32x4.add(v128.load(hiddenPtr + o), v128.load(deltaPtr + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(hiddenPtr + o, load<f32>(hiddenPtr + o) + load<f32>(deltaPtr + o));
  }
  rms_norm_f32(outPtr, hiddenPtr, wPtr, n, eps);
}
