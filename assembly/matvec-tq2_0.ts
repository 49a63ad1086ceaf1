/**
 * TQ2_0 weights × Q8_K activations, as ggml's vec_dot_tq2_0_q8_K: per 256-weight block the exact integer
 * sum sumi = Σ t · q8 (t = q − 1 ∈ {−1, 0, 1}), then, in f32, acc += f32(sumi) · (d·dx), block after block.
 *
 *   block_tq2_0: u8 qs[64] | f16 d   (66 bytes)   weight 128i + 32n + m = bits 2n..2n+1 of qs[32i + m], minus 1
 */
import { f16_to_f32, f16_to_f32_finite, hsum_i32x4 } from './common';
import { Q8_K_BLOCK_BYTES, Q8_K_QS, QK_K } from './quantize-q8_k';

export const TQ2_0_BLOCK_BYTES: i32 = 66;
const D: i32 = 64;

/** i32x4 partial sums of 16 int8 weights × the 16 int8 activations at x. */
@inline
export function dot16_i8(w: v128, x: usize): v128 {
  const v = v128.load(x);
  return i32x4.add(
    i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w), i16x8.extend_low_i8x16_s(v)),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w), i16x8.extend_high_i8x16_s(v)),
  );
}

@inline
export function dot_tq2_0_q8_k(wPtr: usize, xPtr: usize, nBlocks: i32): f32 {
  let acc: f32 = 0;
  // 2-bit fields: shifted as i16 lanes (i8x16 shifts are emulated) and masked to the field
  const m3 = i8x16.splat(3);
  const one = i8x16.splat(1);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * TQ2_0_BLOCK_BYTES;
    const x = xPtr + <usize>b * Q8_K_BLOCK_BYTES + Q8_K_QS;
    let s0 = i32x4.splat(0);
    let s1 = i32x4.splat(0);
    for (let i = 0; i < 2; i++) {
      const q0 = v128.load(w + (<usize>i << 5));
      const q1 = v128.load(w + (<usize>i << 5), 16);
      const xi = x + (<usize>i << 7);
      s0 = i32x4.add(s0, dot16_i8(i8x16.sub(v128.and(q0, m3), one), xi));
      s1 = i32x4.add(s1, dot16_i8(i8x16.sub(v128.and(q1, m3), one), xi + 16));
      s0 = i32x4.add(s0, dot16_i8(i8x16.sub(v128.and(i16x8.shr_u(q0, 2), m3), one), xi + 32));
      s1 = i32x4.add(s1, dot16_i8(i8x16.sub(v128.and(i16x8.shr_u(q1, 2), m3), one), xi + 48));
      s0 = i32x4.add(s0, dot16_i8(i8x16.sub(v128.and(i16x8.shr_u(q0, 4), m3), one), xi + 64));
      s1 = i32x4.add(s1, dot16_i8(i8x16.sub(v128.and(i16x8.shr_u(q1, 4), m3), one), xi + 80));
      s0 = i32x4.add(s0, dot16_i8(i8x16.sub(v128.and(i16x8.shr_u(q0, 6), m3), one), xi + 96));
      s1 = i32x4.add(s1, dot16_i8(i8x16.sub(v128.and(i16x8.shr_u(q1, 6), m3), one), xi + 112));
    }
    const s = i32x4.add(s0, s1);
    acc = acc + <f32>hsum_i32x4(s) * (f16_to_f32_finite(load<u16>(w, D)) * load<f32>(x - Q8_K_QS));
  }
  return acc;
}

/** out[r] = W[r, :] · x for r in [rowStart, rowEnd); x already quantized (quantize_row_q8_k), nIn % 256 == 0. */
/** Embedding lookup: out (n) f32 ← row `row`, decoded exactly as src/quant/tq2_0.ts dequantizeTQ2_0. */
export function get_rows_tq2_0(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  const nBlocks = n / QK_K;
  const src = wPtr + <usize>row * <usize>nBlocks * TQ2_0_BLOCK_BYTES;
  for (let b = 0; b < nBlocks; b++) {
    const w = src + <usize>b * TQ2_0_BLOCK_BYTES;
    const d = f16_to_f32(load<u16>(w, D));
    const out = outPtr + (<usize>(b * QK_K) << 2);
    for (let j = 0; j < QK_K; j++) {
      const q = (<i32>load<u8>(w + 32 * (j >> 7) + (j & 31)) >> (2 * ((j >> 5) & 3))) & 3;
      store<f32>(out + (<usize>j << 2), d * <f32>(q - 1));
    }
  }
}
