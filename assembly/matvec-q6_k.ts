/**
 * Q6_K weights × Q8_K activations, as ggml's vec_dot_q6_K_q8_K: per 256-weight super-block the integer sum
 *   sumi = Σ_j scales[j] · Σ_{l<16} (q6[16j + l] − 32) · q8[16j + l]     (exact in i32: ≤ 128·32·127·256 < 2^31)
 * computed as Σ_j scales[j] · (Σ q6 · q8 − 32 · bsums[j]) (the − 32 from Q8_K's 16-sums, once per block)
 * then, in f32, acc += (dx·d)·sumi, block after block: one fixed order per row.
 *
 *   block_q6_K: u8 ql[128] | u8 qh[64] | i8 scales[16] | f16 d   (210 bytes)
 *     weight 128h + 32k + l (h < 2, k < 4, l < 32): low 4 bits = nibble k>>1 of ql[64h + 32(k&1) + l],
 *     high 2 bits = bits 2k..2k+1 of qh[32h + l]; sub-block j = weights 16j .. 16j+15
 */
import { f16_to_f32, f16_to_f32_finite } from './common';
import { Q8_K_BLOCK_BYTES, Q8_K_BSUMS, Q8_K_QS, QK_K } from './quantize-q8_k';

export const Q6_K_BLOCK_BYTES: i32 = 210;
const QH: i32 = 128;
const SCALES: i32 = 192;
const D: i32 = 208;

/** i32x4 partial sums of 16 int8 weights × the 16 int8 activations at x. */
@inline
function dot16(w: v128, x: usize): v128 {
  const v = v128.load(x);
  return i32x4.add(
    i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), i16x8.extend_low_i8x16_s(v)),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), i16x8.extend_high_i8x16_s(v)),
  );
}

/** (sub-block sums a, b) · (their scales) added to acc. */
@inline
function scaled(acc: v128, a: v128, b: v128, sc: usize): v128 {
  return i32x4.add(acc, i32x4.add(i32x4.mul(a, i32x4.splat(<i32>load<i8>(sc))), i32x4.mul(b, i32x4.splat(<i32>load<i8>(sc, 1)))));
}

@inline
export function dot_q6_k_q8_k(wPtr: usize, xPtr: usize, nBlocks: i32): f32 {
  let acc: f32 = 0;
  // bytes are shifted as i16 lanes (one instruction; i8x16 shifts are emulated) and masked: the mask drops
  // the bits that crossed from the neighbouring byte
  const m4 = i8x16.splat(0x0f);
  const m2 = i8x16.splat(0x30);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * Q6_K_BLOCK_BYTES;
    const x = xPtr + <usize>b * Q8_K_BLOCK_BYTES + Q8_K_QS;
    let sumi = i32x4.splat(0);
    for (let h = 0; h < 2; h++) {
      const ql = w + (<usize>h << 6);
      const qh = w + QH + (<usize>h << 5);
      const sc = w + SCALES + (<usize>h << 3);
      const xh = x + (<usize>h << 7);
      const l0 = v128.load(ql);
      const l1 = v128.load(ql, 16);
      const l2 = v128.load(ql, 32);
      const l3 = v128.load(ql, 48);
      const h0 = v128.load(qh);
      const h1 = v128.load(qh, 16);
      // k = 0: low nibbles of ql[0..31], qh bits 0-1
      let a = v128.or(v128.and(l0, m4), v128.and(i16x8.shl(h0, 4), m2));
      let c = v128.or(v128.and(l1, m4), v128.and(i16x8.shl(h1, 4), m2));
      sumi = scaled(sumi, dot16(a, xh), dot16(c, xh + 16), sc);
      // k = 1: low nibbles of ql[32..63], qh bits 2-3
      a = v128.or(v128.and(l2, m4), v128.and(i16x8.shl(h0, 2), m2));
      c = v128.or(v128.and(l3, m4), v128.and(i16x8.shl(h1, 2), m2));
      sumi = scaled(sumi, dot16(a, xh + 32), dot16(c, xh + 48), sc + 2);
      // k = 2: high nibbles of ql[0..31], qh bits 4-5
      a = v128.or(v128.and(i16x8.shr_u(l0, 4), m4), v128.and(h0, m2));
      c = v128.or(v128.and(i16x8.shr_u(l1, 4), m4), v128.and(h1, m2));
      sumi = scaled(sumi, dot16(a, xh + 64), dot16(c, xh + 80), sc + 4);
      // k = 3: high nibbles of ql[32..63], qh bits 6-7
      a = v128.or(v128.and(i16x8.shr_u(l2, 4), m4), v128.and(i16x8.shr_u(h0, 2), m2));
      c = v128.or(v128.and(i16x8.shr_u(l3, 4), m4), v128.and(i16x8.shr_u(h1, 2), m2));
      sumi = scaled(sumi, dot16(a, xh + 96), dot16(c, xh + 112), sc + 6);
    }
    // the − 32 of every weight: Σ_j scales[j] · 32 · bsums[j]
    const scales = v128.load(w + SCALES);
    const bs = x - Q8_K_QS + Q8_K_BSUMS;
    const c = i32x4.add(
      i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(scales), v128.load(bs)),
      i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(scales), v128.load(bs, 16)),
    );
    sumi = i32x4.sub(sumi, i32x4.shl(c, 5));
    const si = (i32x4.extract_lane(sumi, 0) + i32x4.extract_lane(sumi, 1)) + (i32x4.extract_lane(sumi, 2) + i32x4.extract_lane(sumi, 3));
    const d: f32 = load<f32>(x - Q8_K_QS) * f16_to_f32_finite(load<u16>(w, D));
    acc = acc + d * <f32>si;
  }
  return acc;
}

/** out[r] = W[r, :] · x for r in [rowStart, rowEnd); x already quantized (quantize_row_q8_k), nIn % 256 == 0. */
/** Embedding lookup: out (n) f32 ← row `row`, decoded exactly as src/quant/q6_k.ts dequantizeQ6_K. */
export function get_rows_q6_k(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  const nBlocks = n / QK_K;
  const src = wPtr + <usize>row * <usize>nBlocks * Q6_K_BLOCK_BYTES;
  for (let b = 0; b < nBlocks; b++) {
    const w = src + <usize>b * Q6_K_BLOCK_BYTES;
    const d = f16_to_f32(load<u16>(w, D));
    const out = outPtr + (<usize>(b * QK_K) << 2);
    for (let i = 0; i < QK_K; i++) {
      const h = i >> 7;
      const k = (i >> 5) & 3;
      const l = i & 31;
      const low = (<i32>load<u8>(w + 64 * h + l + 32 * (k & 1)) >> (4 * (k >> 1))) & 0xf;
      const q = (low | (((<i32>load<u8>(w + QH + 32 * h + l) >> (2 * k)) & 3) << 4)) - 32;
      const ds: f32 = d * <f32>load<i8>(w + SCALES + (i >> 4));
      store<f32>(out + (<usize>i << 2), ds * <f32>q);
    }
  }
}
