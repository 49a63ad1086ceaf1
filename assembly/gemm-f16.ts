/**
 * F16 weights × T F32 activation vectors (layout as gemm-f32.ts), each weight vector widened once per two
 * tokens. (Prompt chunks of 4 tokens or more run gemm_f16_f32_planes, gemm-planes.ts, when nIn % 16 == 0.)
 * Each (row, token) is reduced exactly as dot_f16_f32 (matvec-f16.ts) — whose order is
 * dot_f32_f32's, on exactly widened values — so the bits equal matvec_f16_f32's. gemm_f16r_f32: the same on
 * F16R weights (common.ts).
 */
import { f16_to_f32_finite, f16x4_to_f32x4_finite, hsum_f32x4 } from './common';
import { dot_f16_f32, dot_f16r_f32 } from './matvec-f16';
import { gemm_block_rows } from './gemm-common';

@inline
function dot2_f16_f32(o0: usize, o1: usize, wPtr: usize, x0: usize, x1: usize, n: i32, rebiased: bool): void {
  let a0 = f32x4.splat(0);
  let a1 = f32x4.splat(0);
  let a2 = f32x4.splat(0);
  let a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0);
  let b1 = f32x4.splat(0);
  let b2 = f32x4.splat(0);
  let b3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const w = wPtr + (<usize>i << 1);
    const o = <usize>i << 2;
    const p = x0 + o;
    const q = x1 + o;
    const h0 = v128.load(w);
    const h1 = v128.load(w, 16);
    const w0 = f16x4_to_f32x4_finite(i32x4.extend_low_i16x8_s(h0), rebiased);
    a0 = f32x4.add(a0, f32x4.mul(w0, v128.load(p)));
    b0 = f32x4.add(b0, f32x4.mul(w0, v128.load(q)));
    const w1 = f16x4_to_f32x4_finite(i32x4.extend_high_i16x8_s(h0), rebiased);
    a1 = f32x4.add(a1, f32x4.mul(w1, v128.load(p, 16)));
    b1 = f32x4.add(b1, f32x4.mul(w1, v128.load(q, 16)));
    const w2 = f16x4_to_f32x4_finite(i32x4.extend_low_i16x8_s(h1), rebiased);
    a2 = f32x4.add(a2, f32x4.mul(w2, v128.load(p, 32)));
    b2 = f32x4.add(b2, f32x4.mul(w2, v128.load(q, 32)));
    const w3 = f16x4_to_f32x4_finite(i32x4.extend_high_i16x8_s(h1), rebiased);
    a3 = f32x4.add(a3, f32x4.mul(w3, v128.load(p, 48)));
    b3 = f32x4.add(b3, f32x4.mul(w3, v128.load(q, 48)));
  }
  for (; i + 4 <= n; i += 4) {
    const w0 = f16x4_to_f32x4_finite(v128.load16x4_s(wPtr + (<usize>i << 1)), rebiased);
    const o = <usize>i << 2;
    a0 = f32x4.add(a0, f32x4.mul(w0, v128.load(x0 + o)));
    b0 = f32x4.add(b0, f32x4.mul(w0, v128.load(x1 + o)));
  }
  let s = hsum_f32x4(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  let t = hsum_f32x4(f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3)));
  for (; i < n; i++) {
    const w = f16_to_f32_finite(load<u16>(wPtr + (<usize>i << 1)), rebiased);
    const o = <usize>i << 2;
    s += w * load<f32>(x0 + o);
    t += w * load<f32>(x1 + o);
  }
  store<f32>(o0, s);
  store<f32>(o1, t);
}

export function gemm_f16_f32(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_f16(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, false);
}

export function gemm_f16r_f32(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_f16(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes, true);
}

@inline
function gemm_f16(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32, rebiased: bool,
): void {
  const rowBytes = <usize>nIn << 1;
  const os = <usize>outStrideBytes;
  const xs = <usize>xStrideBytes;
  const block = gemm_block_rows(rowBytes);
  for (let r0 = rowStart; r0 < rowEnd; r0 += block) {
    const r1 = min(r0 + block, rowEnd);
    let t = 0;
    for (; t + 2 <= nTok; t += 2) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) {
        const o = out0 + (<usize>r << 2);
        dot2_f16_f32(o, o + os, wPtr + <usize>r * rowBytes, x0, x0 + xs, nIn, rebiased);
      }
    }
    for (; t < nTok; t++) {
      const x0 = xPtr + <usize>t * xs;
      const out0 = outPtr + <usize>t * os;
      for (let r = r0; r < r1; r++) {
        const w = wPtr + <usize>r * rowBytes;
        store<f32>(out0 + (<usize>r << 2), rebiased ? dot_f16r_f32(w, x0, nIn) : dot_f16_f32(w, x0, nIn));
      }
    }
  }
}
