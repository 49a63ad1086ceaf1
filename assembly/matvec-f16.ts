/**
 * F16 weights × F32 activations (ggml would round x to F16 too; we keep it F32). W: (nOut, nIn) IEEE halves.
 * Finite halves are widened exactly to F32 (common.ts; weights hold no inf/NaN), then reduced as in matvec-f32.ts: 16 per step into four
 * accumulators, 4 at a time, then a scalar tail, in a fixed order per row.
 */
import { f16_to_f32_finite, f16x4_to_f32x4_finite, hsum_f32x4 } from './common';

@inline
export function dot_f16_f32(wPtr: usize, xPtr: usize, n: i32): f32 {
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
    a0 = f32x4.add(a0, f32x4.mul(f16x4_to_f32x4_finite(i32x4.extend_low_i16x8_s(h0)), v128.load(x)));
    a1 = f32x4.add(a1, f32x4.mul(f16x4_to_f32x4_finite(i32x4.extend_high_i16x8_s(h0)), v128.load(x, 16)));
    a2 = f32x4.add(a2, f32x4.mul(f16x4_to_f32x4_finite(i32x4.extend_low_i16x8_s(h1)), v128.load(x, 32)));
    a3 = f32x4.add(a3, f32x4.mul(f16x4_to_f32x4_finite(i32x4.extend_high_i16x8_s(h1)), v128.load(x, 48)));
  }
  for (; i + 4 <= n; i += 4) {
    const h = v128.load16x4_s(wPtr + (<usize>i << 1));
    a0 = f32x4.add(a0, f32x4.mul(f16x4_to_f32x4_finite(h), v128.load(xPtr + (<usize>i << 2))));
  }
  let s = hsum_f32x4(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  for (; i < n; i++) s += f16_to_f32_finite(load<u16>(wPtr + (<usize>i << 1))) * load<f32>(xPtr + (<usize>i << 2));
  return s;
}

/** out[r] = W[r, :] · x for r in [rowStart, rowEnd). */
export function matvec_f16_f32(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const rowBytes = <usize>nIn << 1;
  for (let r = rowStart; r < rowEnd; r++) {
    store<f32>(outPtr + (<usize>r << 2), dot_f16_f32(wPtr + <usize>r * rowBytes, xPtr, nIn));
  }
}
