/**
 * TQ1_0 weights × Q8_K activations, as ggml's vec_dot_tq1_0_q8_K: per 256-weight block the exact integer
 * sum sumi = Σ t · q8 (t ∈ {−1, 0, 1}), then, in f32, acc += f32(sumi) · (d·dx), block after block.
 *
 *   block_tq1_0: u8 qs[48] | u8 qh[4] | f16 d   (54 bytes)
 *     qs[m], m < 32: trits n < 5 of weights m + 32n;  qs[32 + m], m < 16: of weights 160 + m + 16n;
 *     qh[m]: trits n < 4 of weights 240 + m + 4n. Trit n of byte q: u = q·3^n mod 256, t = ((3u) >> 8) − 1.
 *
 * In SIMD: u·3 mod 256 is two wrapping i8x16 adds, and t = (u > 85) + (u > 170) − 1 (the same as
 * ((3u) >> 8) − 1 for every byte u), two unsigned compares whose all-ones lanes count as −1.
 */
import { f16_to_f32, f16_to_f32_finite, hsum_i32x4 } from './common';
import { Q8_K_BLOCK_BYTES, Q8_K_QS, QK_K } from './quantize-q8_k';
import { dot16_i8 } from './matvec-tq2_0';

export const TQ1_0_BLOCK_BYTES: i32 = 54;
const QH: i32 = 48;
const D: i32 = 52;

/** Trits (−1, 0, 1 as int8) of the bytes u (each already × 3^n mod 256). */
@inline
function trits(u: v128): v128 {
  return i8x16.sub(i8x16.sub(i8x16.splat(-1), i8x16.gt_u(u, i8x16.splat(85))), i8x16.gt_u(u, i8x16.splat(-86))); // −86 = 170 unsigned
}

@inline
function times3(u: v128): v128 {
  return i8x16.add(i8x16.add(u, u), u);
}

@inline
export function dot_tq1_0_q8_k(wPtr: usize, xPtr: usize, nBlocks: i32): f32 {
  let acc: f32 = 0;
  // qh: lane j = qh[j & 3] · 3^(j >> 2) mod 256 holds the trit of weight 240 + j
  const pow3lo = i16x8.replace_lane(i16x8.splat(1), 4, 3);
  const p0 = i16x8.replace_lane(i16x8.replace_lane(i16x8.replace_lane(pow3lo, 5, 3), 6, 3), 7, 3);
  const p1 = i16x8.replace_lane(i16x8.replace_lane(i16x8.replace_lane(i16x8.replace_lane(i16x8.splat(9), 4, 27), 5, 27), 6, 27), 7, 27);
  const lowByte = i16x8.splat(0xff);
  for (let b = 0; b < nBlocks; b++) {
    const w = wPtr + <usize>b * TQ1_0_BLOCK_BYTES;
    const x = xPtr + <usize>b * Q8_K_BLOCK_BYTES + Q8_K_QS;
    let s0 = i32x4.splat(0);
    let s1 = i32x4.splat(0);
    // qs[0..31]: weights m + 32n, n < 5
    let a = v128.load(w);
    let c = v128.load(w, 16);
    // qs[32..47]: weights 160 + m + 16n
    let e = v128.load(w, 32);
    for (let n = 0; n < 5; n++) {
      s0 = i32x4.add(s0, dot16_i8(trits(a), x + 32 * n));
      s1 = i32x4.add(s1, dot16_i8(trits(c), x + 32 * n + 16));
      s0 = i32x4.add(s0, dot16_i8(trits(e), x + 160 + 16 * n));
      a = times3(a);
      c = times3(c);
      e = times3(e);
    }
    const h = i32x4.splat(load<u32>(w, QH)); // qh[0..3] four times
    const u = i8x16.narrow_i16x8_u(
      v128.and(i16x8.mul(i16x8.extend_low_i8x16_u(h), p0), lowByte),
      v128.and(i16x8.mul(i16x8.extend_high_i8x16_u(h), p1), lowByte),
    );
    s1 = i32x4.add(s1, dot16_i8(trits(u), x + 240));
    const s = i32x4.add(s0, s1);
    acc = acc + <f32>hsum_i32x4(s) * (f16_to_f32_finite(load<u16>(w, D)) * load<f32>(x - Q8_K_QS));
  }
  return acc;
}

/** out[r] = W[r, :] · x for r in [rowStart, rowEnd); x already quantized (quantize_row_q8_k), nIn % 256 == 0. */
/** Embedding lookup: out (n) f32 ← row `row`, decoded exactly as src/quant/tq1_0.ts dequantizeTQ1_0. */
export function get_rows_tq1_0(outPtr: usize, wPtr: usize, row: i32, n: i32): void {
  const nBlocks = n / QK_K;
  const src = wPtr + <usize>row * <usize>nBlocks * TQ1_0_BLOCK_BYTES;
  for (let b = 0; b < nBlocks; b++) {
    const w = src + <usize>b * TQ1_0_BLOCK_BYTES;
    const d = f16_to_f32(load<u16>(w, D));
    const out = outPtr + (<usize>(b * QK_K) << 2);
    // [first weight, bytes, trits, byte offset] groups: qs[0..31], qs[32..47], qh
    decode_group(out, w, d, 0, 32, 5);
    decode_group(out, w + 32, d, 160, 16, 5);
    decode_group(out, w + QH, d, 240, 4, 4);
  }
}

@inline
function decode_group(out: usize, q: usize, d: f32, first: i32, nBytes: i32, nTrits: i32): void {
  let p: i32 = 1;
  for (let n = 0; n < nTrits; n++) {
    for (let m = 0; m < nBytes; m++) {
      const u = (<i32>load<u8>(q + m) * p) & 0xff;
      store<f32>(out + (<usize>(first + m + nBytes * n) << 2), d * <f32>(((u * 3) >> 8) - 1));
    }
    p *= 3;
  }
}
