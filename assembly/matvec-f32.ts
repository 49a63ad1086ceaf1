/**
 * F32 weights × F32 activations. W: (nOut, nIn) row-major f32; x: (nIn) f32; out: (nOut) f32.
 * Each row is reduced in the same fixed order whatever range it is computed in: 16 floats per step into four
 * f32x4 accumulators, then 4 at a time, summed ((a0 + a1) + (a2 + a3)) → lanes, then a scalar tail.
 */
import { hsum_f32x4 } from './common';

@inline
export function dot_f32_f32(wPtr: usize, xPtr: usize, n: i32): f32 {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const w = wPtr + (<usize>i << 2);
    const x = xPtr + (<usize>i << 2);
    a0 = f32x4.add(a0, f32x4.mul(v128.load(w), v128.load(x)));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(w, 16), v128.load(x, 16)));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(w, 32), v128.load(x, 32)));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(w, 48), v128.load(x, 48)));
  }
  for (; i + 4 <= n; i += 4) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(wPtr + (<usize>i << 2)), v128.load(xPtr + (<usize>i << 2))));
  }
  let s = hsum_f32x4(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += load<f32>(wPtr + (<usize>i << 2)) * load<f32>(xPtr + (<usize>i << 2));
  return s;
}

/** out[r] = W[r, :] · x for r in [rowStart, rowEnd). */
export function matvec_f32_f32(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const rowBytes = <usize>nIn << 2;
  for (let r = rowStart; r < rowEnd; r++) {
    store<f32>(outPtr + (<usize>r << 2), dot_f32_f32(wPtr + <usize>r * rowBytes, xPtr, nIn));
  }
}
