/**
 * Q4_K weights × Q8_K activations, as ggml's vec_dot_q4_K_q8_K: per 256-weight super-block the integer sums
 *   sumi = Σ_j sc[j] · Σ_{l<32} q4[32j + l] · q8[32j + l]        (exact in i32: ≤ 63·15·127·256 < 2^31)
 *   summ = Σ_j m[j] · (bsums[2j] + bsums[2j + 1])               (the mins, from Q8_K's 16-sums)
 * then, in f32, acc += (dx·d)·sumi − (dx·dmin)·summ, block after block: one fixed order per row.
 *
 *   block_q4_K: f16 d | f16 dmin | u8 scales[12] | u8 qs[128]   (144 bytes)
 *     sub-block j (32 weights) = d·sc[j]·q − dmin·m[j]; 6-bit sc, m packed as in get_scale_min_k4;
 *     qs[32i .. 32i+31]: low nibbles = sub-block 2i, high nibbles = sub-block 2i+1
 */
import { f16_to_f32, f16_to_f32_finite } from './common';
import { Q8_K_BLOCK_BYTES, Q8_K_BSUMS, Q8_K_QS, QK_K } from './quantize-q8_k';

export const Q4_K_BLOCK_BYTES: i32 = 144;

/** ggml get_scale_min_k4: the 6-bit scale (low 8 bits) and min (next 8 bits) of sub-block j. */
@inline
export function scale_min_k4(s: usize, j: i32): i32 {
  if (j < 4) return (<i32>load<u8>(s + j) & 63) | ((<i32>load<u8>(s + j + 4) & 63) << 8);
  const sc = (<i32>load<u8>(s + j + 4) & 0xf) | ((<i32>load<u8>(s + j - 4) >> 6) << 4);
  const m = (<i32>load<u8>(s + j + 4) >> 4) | ((<i32>load<u8>(s + j) >> 6) << 4);
  return sc | (m << 8);
}

/** Σ over 32 lanes: i32x4 of the products of int8 weights a (16) | b (16) with int8 activations at x. */
@inline
function dot32(a: v128, b: v128, x: usize): v128 {
  const x0 = v128.load(x);
  const x1 = v128.load(x, 16);
  return i32x4.add(
    i32x4.add(
      i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(a), i16x8.extend_low_i8x16_s(x0)),
      i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(a), i16x8.extend_high_i8x16_s(x0)),
    ),
    i32x4.add(
      i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(b), i16x8.extend_low_i8x16_s(x1)),
      i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(b), i16x8.extend_high_i8x16_s(x1)),
    ),
  );
}

@inline
export function dot_q4_k_q8_k(wPtr: usize, xPtr: usize, nBlocks: i32): f32 {
  let acc: f32 = 0;
  const mask = i8x16.splat(0x0f);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * Q4_K_BLOCK_BYTES;
    const x = xPtr + <usize>b * Q8_K_BLOCK_BYTES;
    let sumi = i32x4.splat(0);
    let summ: i32 = 0;
    for (let i = 0; i < 4; i++) {
      const q0 = v128.load(w + 16 + (<usize>i << 5));
      const q1 = v128.load(w + 32 + (<usize>i << 5));
      const sm0 = scale_min_k4(w + 4, 2 * i);
      const sm1 = scale_min_k4(w + 4, 2 * i + 1);
      const xi = x + Q8_K_QS + (<usize>i << 6);
      const lo = dot32(v128.and(q0, mask), v128.and(q1, mask), xi);
      const hi = dot32(v128.and(i16x8.shr_u(q0, 4), mask), v128.and(i16x8.shr_u(q1, 4), mask), xi + 32); // i16 shift + mask: one instruction less than i8x16.shr_u
      sumi = i32x4.add(sumi, i32x4.add(i32x4.mul(lo, i32x4.splat(sm0 & 0xff)), i32x4.mul(hi, i32x4.splat(sm1 & 0xff))));
      const bs = x + Q8_K_BSUMS + (<usize>i << 3);
      summ += (sm0 >> 8) * (<i32>load<i16>(bs) + <i32>load<i16>(bs, 2)) + (sm1 >> 8) * (<i32>load<i16>(bs, 4) + <i32>load<i16>(bs, 6));
    }
    const si = (i32x4.extract_lane(sumi, 0) + i32x4.extract_lane(sumi, 1)) + (i32x4.extract_lane(sumi, 2) + i32x4.extract_lane(sumi, 3));
    const dx = load<f32>(x);
    const d: f32 = dx * f16_to_f32_finite(load<u16>(w));
    const dmin: f32 = dx * f16_to_f32_finite(load<u16>(w, 2));
    acc = acc + (d * <f32>si - dmin * <f32>summ);
  }
  return acc;
}

/** out[r] = W[r, :] · x for r in [rowStart, rowEnd); x already quantized (quantize_row_q8_k), nIn % 256 == 0. */
/** Embedding lookup: out (n) f32 ← row `row`, decoded exactly as src/quant/q4_k.ts dequantizeQ4_K. */
export function get_rows_q4_k(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  const nBlocks = n / QK_K;
  const src = wPtr + <usize>row * <usize>nBlocks * Q4_K_BLOCK_BYTES;
  for (let b = 0; b < nBlocks; b++) {
    const w = src + <usize>b * Q4_K_BLOCK_BYTES;
    const d = f16_to_f32(load<u16>(w));
    const dmin = f16_to_f32(load<u16>(w, 2));
    const out = outPtr + (<usize>(b * QK_K) << 2);
    for (let j = 0; j < 8; j++) {
      const sm = scale_min_k4(w + 4, j);
      const d1: f32 = d * <f32>(sm & 0xff);
      const m1: f32 = dmin * <f32>(sm >> 8);
      const q = w + 16 + (<usize>(j >> 1) << 5);
      const shift = (j & 1) << 2;
      for (let l = 0; l < 32; l++) store<f32>(out + (<usize>(32 * j + l) << 2), d1 * <f32>((<i32>load<u8>(q + l) >> shift) & 0xf) - m1);
    }
  }
}
