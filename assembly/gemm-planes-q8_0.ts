/**
 * The Q8_0 GEMM of prompt chunks on x prepared as planes: the same bits as dot_q8_0_q8_0 (matvec-q8_0.ts),
 * faster. Each (row, token) is Σ_b f32(isum_b) · (d_w,b · d_x,b), one f32 sum in block order; here a vector
 * holds four tokens (lanes), so a tile of 2 rows × 8 tokens is four i32 block sums and four f32 sums.
 * The block sum needs no horizontal step: i32x4.dot_i16x8_s of a weight pair broadcast to every lane,
 * [w_2k, w_2k+1] × 4, against the same pair of four tokens, [x_t,2k, x_t,2k+1]_{t<4}, gives each token's
 * w_2k·x_t,2k + w_2k+1·x_t,2k+1 in its lane; sixteen such dots make the four exact block sums.
 * (Measured, one thread, 64 tokens: see docs/kernels.md.)
 *
 * Planes (prepare_planes_q8_0), for quad q (tokens 4q..4q+3) of a chunk, block b and pair k < 16:
 *   planes + (q·nBlocks + b)·256 + 16k:            i16x8 [x_t,2k, x_t,2k+1]_{t = 4q..4q+3}
 *   planes + nQuads·nBlocks·256 + (q·nBlocks + b)·16: f32x4 [d_x,t]
 * a missing token of the last quad as token 4q's values (its lanes are not stored). After them, the tile's
 * two weight rows widened to i16 (nIn each) and their scales as f32 (nBlocks each).
 * Q4_0 weights (gemm_q4_0_q8_0_planes) take the same planes: their nibbles − 8 widened to i16 once per row
 * pair, each block's two halves (pairs k even, k odd) summed apart as matvec-q4_0.ts does.
 */
import { f16_to_f32_finite, f16x4_to_f32x4_finite } from './common';
import { q8_row, q8_step, store_i16x32 } from './matvec-q8_0';
import { q4_row, q4_step, Q4_0_BLOCK_BYTES } from './matvec-q4_0';
import { Q8_0_BLOCK_BYTES, QK8_0 } from './quantize-q8_0';
import { store_lanes } from './gemm-common';

/** Bytes prepare_planes_q8_0 and the planes GEMMs use for nTok tokens of nIn values (the caller's buffer). */
export function planes_q8_0_bytes(nIn: i32, nTok: i32): i32 {
  const nBlocks = nIn / QK8_0;
  return ((nTok + 3) >> 2) * nBlocks * (256 + 16) + 2 * (nIn * 2 + nBlocks * 4);
}

/**
 * Q8_0 x (nTok tokens of nIn values, blocks at a stride of xStrideBytes) → planes at dst. Returns 1, or 0 when
 * they do not apply (fewer than 4 tokens: the caller runs the plain GEMM). The scales are widened as widen_q8_0
 * widens them (f16x4_to_f32x4_finite lane by lane = f16_to_f32_finite).
 */
export function prepare_planes_q8_0(dst: usize, xPtr: usize, nIn: i32, nTok: i32, xStrideBytes: i32): i32 {
  if (nTok < 4) return 0;
  const nBlocks = nIn / QK8_0;
  const nQuads = (nTok + 3) >> 2;
  const xs = <usize>xStrideBytes;
  const scales = dst + <usize>(nQuads * nBlocks) * 256;
  for (let q = 0; q < nQuads; q++) {
    const t = 4 * q;
    const x0 = xPtr + <usize>t * xs;
    const x1 = t + 1 < nTok ? x0 + xs : x0;
    const x2 = t + 2 < nTok ? x0 + 2 * xs : x0;
    const x3 = t + 3 < nTok ? x0 + 3 * xs : x0;
    for (let b = 0; b < nBlocks; b++) {
      const o = <usize>b * Q8_0_BLOCK_BYTES;
      let h = v128.load16_splat(x0 + o);
      h = v128.load16_lane(x1 + o, h, 1);
      h = v128.load16_lane(x2 + o, h, 2);
      h = v128.load16_lane(x3 + o, h, 3);
      v128.store(scales + <usize>(q * nBlocks + b) * 16, f16x4_to_f32x4_finite(i32x4.extend_low_i16x8_s(h)));
      const p = dst + <usize>(q * nBlocks + b) * 256;
      for (let half = 0; half < 2; half++) {
        // 16 values of each token → i16: pairs 8·half .. 8·half + 7, four pairs per i16x8 (as i32 lanes)
        const off: u32 = 2 + 16 * half;
        const a = v128.load(x0 + o + off);
        const bq = v128.load(x1 + o + off);
        const c = v128.load(x2 + o + off);
        const d = v128.load(x3 + o + off);
        transpose_store(p + <usize>(half * 128), i16x8.extend_low_i8x16_s(a), i16x8.extend_low_i8x16_s(bq), i16x8.extend_low_i8x16_s(c), i16x8.extend_low_i8x16_s(d));
        transpose_store(p + <usize>(half * 128 + 64), i16x8.extend_high_i8x16_s(a), i16x8.extend_high_i8x16_s(bq), i16x8.extend_high_i8x16_s(c), i16x8.extend_high_i8x16_s(d));
      }
    }
  }
  return 1;
}

/** Four tokens' 4 pairs each (i32 lanes) → 4 vectors of one pair of the 4 tokens, at p, p + 16, p + 32, p + 48. */
@inline
function transpose_store(p: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  const a = v128.shuffle<i32>(v0, v1, 0, 4, 1, 5);
  const b = v128.shuffle<i32>(v2, v3, 0, 4, 1, 5);
  const c = v128.shuffle<i32>(v0, v1, 2, 6, 3, 7);
  const d = v128.shuffle<i32>(v2, v3, 2, 6, 3, 7);
  v128.store(p, v128.shuffle<i32>(a, b, 0, 1, 4, 5));
  v128.store(p, v128.shuffle<i32>(a, b, 2, 3, 6, 7), 16);
  v128.store(p, v128.shuffle<i32>(c, d, 0, 1, 4, 5), 32);
  v128.store(p, v128.shuffle<i32>(c, d, 2, 3, 6, 7), 48);
}

/** A row's weights (Q8_0, or Q4_0 when `q4`: nibble − 8) → nIn i16 at wide, its scales → nBlocks f32 at ds. */
@inline
function widen_row(wide: usize, ds: usize, w: usize, nBlocks: i32, step: usize, q4: bool): void {
  for (let b = 0; b < nBlocks; b++) {
    const blk = w + <usize>b * step;
    let q0: v128;
    let q1: v128;
    if (q4) {
      const q = v128.load(blk, 2);
      q0 = i8x16.sub(v128.and(q, i8x16.splat(0x0f)), i8x16.splat(8)); // weights 0..15
      q1 = i8x16.sub(v128.and(i16x8.shr_u(q, 4), i8x16.splat(0x0f)), i8x16.splat(8)); // 16..31
    } else {
      q0 = v128.load(blk, 2);
      q1 = v128.load(blk, 18);
    }
    store_i16x32(wide + (<usize>b << 6), q0, q1);
    store<f32>(ds + (<usize>b << 2), f16_to_f32_finite(load<u16>(blk)));
  }
}

/**
 * One tile: widened rows at w0 (and w1 when `two`; scales ds0, ds1) × quads q (and q + 1 when `pair`), every
 * block in order; outputs of row r (r + 1) to out + 4r.
 */
@inline
function tile(
  outPtr: usize, os: usize, w0: usize, w1: usize, ds0: usize, ds1: usize, planes: usize, scales: usize,
  nBlocks: i32, r: i32, q: i32, nTok: i32, two: bool, pair: bool,
): void {
  const qb = <usize>nBlocks * 256; // bytes per quad of planes
  let a00 = f32x4.splat(0); // row r, quad q
  let a01 = f32x4.splat(0); // row r, quad q + 1
  let a10 = f32x4.splat(0); // row r + 1, quad q
  let a11 = f32x4.splat(0);
  for (let b = 0; b < nBlocks; b++) {
    let i00 = i32x4.splat(0);
    let i01 = i32x4.splat(0);
    let i10 = i32x4.splat(0);
    let i11 = i32x4.splat(0);
    // the 16 pairs (pointers bumped: no per-pair address arithmetic)
    let xa = planes + <usize>q * qb + (<usize>b << 8);
    let xb = xa + qb;
    let wa = w0 + (<usize>b << 6);
    let wb = w1 + (<usize>b << 6);
    const xe = xa + 256;
    for (; xa < xe; xa += 16, xb += 16, wa += 4, wb += 4) {
      const x0 = v128.load(xa);
      const s0 = v128.load32_splat(wa);
      i00 = i32x4.add(i00, i32x4.dot_i16x8_s(s0, x0));
      if (pair) {
        const x1 = v128.load(xb);
        i01 = i32x4.add(i01, i32x4.dot_i16x8_s(s0, x1));
        if (two) {
          const s1 = v128.load32_splat(wb);
          i10 = i32x4.add(i10, i32x4.dot_i16x8_s(s1, x0));
          i11 = i32x4.add(i11, i32x4.dot_i16x8_s(s1, x1));
        }
      } else if (two) {
        i10 = i32x4.add(i10, i32x4.dot_i16x8_s(v128.load32_splat(wb), x0));
      }
    }
    // acc + f32(block sums) · (d_w · d_x,t): matvec-q8_0.ts's order
    const dx0 = v128.load(scales + (<usize>(q * nBlocks + b) << 4));
    const dw0 = v128.load32_splat(ds0 + (<usize>b << 2));
    a00 = f32x4.add(a00, f32x4.mul(f32x4.convert_i32x4_s(i00), f32x4.mul(dw0, dx0)));
    if (pair) {
      const dx1 = v128.load(scales + (<usize>((q + 1) * nBlocks + b) << 4));
      a01 = f32x4.add(a01, f32x4.mul(f32x4.convert_i32x4_s(i01), f32x4.mul(dw0, dx1)));
      if (two) {
        const dw1 = v128.load32_splat(ds1 + (<usize>b << 2));
        a10 = f32x4.add(a10, f32x4.mul(f32x4.convert_i32x4_s(i10), f32x4.mul(dw1, dx0)));
        a11 = f32x4.add(a11, f32x4.mul(f32x4.convert_i32x4_s(i11), f32x4.mul(dw1, dx1)));
      }
    } else if (two) {
      const dw1 = v128.load32_splat(ds1 + (<usize>b << 2));
      a10 = f32x4.add(a10, f32x4.mul(f32x4.convert_i32x4_s(i10), f32x4.mul(dw1, dx0)));
    }
  }
  const o0 = outPtr + (<usize>r << 2);
  store_lanes(o0, os, a00, 4 * q, nTok);
  if (pair) store_lanes(o0, os, a01, 4 * q + 4, nTok);
  if (two) {
    store_lanes(o0 + 4, os, a10, 4 * q, nTok);
    if (pair) store_lanes(o0 + 4, os, a11, 4 * q + 4, nTok);
  }
}

/**
 * The Q4_0 tile, in matvec-q4_0.ts's order (each block's two halves — pairs k even, k odd — summed apart in
 * f32, added at the end): rows r, r + 1 (when `two`) × one quad, the four f32 half sums in registers. (Two
 * quads, with eight i32 half sums, left no register for the f32 sums: 12 % slower with them in memory.)
 */
@inline
function tile_q4(
  outPtr: usize, os: usize, w0: usize, w1: usize, ds0: usize, ds1: usize, planes: usize, scales: usize,
  nBlocks: i32, r: i32, q: i32, nTok: i32, two: bool,
): void {
  const qb = <usize>nBlocks * 256;
  let f00 = f32x4.splat(0);
  let f01 = f32x4.splat(0);
  let f10 = f32x4.splat(0);
  let f11 = f32x4.splat(0);
  for (let b = 0; b < nBlocks; b++) {
    let i00 = i32x4.splat(0);
    let i01 = i32x4.splat(0);
    let i10 = i32x4.splat(0);
    let i11 = i32x4.splat(0);
    let xa = planes + <usize>q * qb + (<usize>b << 8);
    let wa = w0 + (<usize>b << 6);
    let wb = w1 + (<usize>b << 6);
    const xe = xa + 256;
    for (; xa < xe; xa += 32, wa += 8, wb += 8) {
      // pair k (even: half 0) and k + 1 (odd: half 1)
      const x0 = v128.load(xa);
      const x1 = v128.load(xa, 16);
      i00 = i32x4.add(i00, i32x4.dot_i16x8_s(v128.load32_splat(wa), x0));
      i01 = i32x4.add(i01, i32x4.dot_i16x8_s(v128.load32_splat(wa, 4), x1));
      if (two) {
        i10 = i32x4.add(i10, i32x4.dot_i16x8_s(v128.load32_splat(wb), x0));
        i11 = i32x4.add(i11, i32x4.dot_i16x8_s(v128.load32_splat(wb, 4), x1));
      }
    }
    const dx = v128.load(scales + (<usize>(q * nBlocks + b) << 4));
    const d0 = f32x4.mul(v128.load32_splat(ds0 + (<usize>b << 2)), dx);
    f00 = f32x4.add(f00, f32x4.mul(f32x4.convert_i32x4_s(i00), d0));
    f01 = f32x4.add(f01, f32x4.mul(f32x4.convert_i32x4_s(i01), d0));
    if (two) {
      const d1 = f32x4.mul(v128.load32_splat(ds1 + (<usize>b << 2)), dx);
      f10 = f32x4.add(f10, f32x4.mul(f32x4.convert_i32x4_s(i10), d1));
      f11 = f32x4.add(f11, f32x4.mul(f32x4.convert_i32x4_s(i11), d1));
    }
  }
  const o0 = outPtr + (<usize>r << 2);
  store_lanes(o0, os, f32x4.add(f00, f01), 4 * q, nTok);
  if (two) store_lanes(o0 + 4, os, f32x4.add(f10, f11), 4 * q, nTok);
}

/** Rows r (and r + 1 when `two`) × every quad: two quads per tile, then the last one alone. */
@inline
function row_tiles(outPtr: usize, os: usize, w0: usize, w1: usize, ds0: usize, ds1: usize, planes: usize, scales: usize, nBlocks: i32, r: i32, nTok: i32, two: bool, q4: bool): void {
  const nQuads = (nTok + 3) >> 2;
  let q = 0;
  if (q4) {
    for (; q < nQuads; q++) tile_q4(outPtr, os, w0, w1, ds0, ds1, planes, scales, nBlocks, r, q, nTok, two);
    return;
  }
  for (; q + 2 <= nQuads; q += 2) tile(outPtr, os, w0, w1, ds0, ds1, planes, scales, nBlocks, r, q, nTok, two, true);
  if (q < nQuads) tile(outPtr, os, w0, w1, ds0, ds1, planes, scales, nBlocks, r, q, nTok, two, false);
}

/** The shared body: Q8_0 weights (Q8_0X4 when `grouped`), or Q4_0 when `q4` (Q4_0X2 when `grouped`). */
@inline
function gemm_planes_q8(
  outPtr: usize, wPtr: usize, planes: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, q4: bool, grouped: bool,
): void {
  const nBlocks = nIn / QK8_0;
  const nQuads = (nTok + 3) >> 2;
  const rowBytes = <usize>nBlocks * <usize>(q4 ? Q4_0_BLOCK_BYTES : Q8_0_BLOCK_BYTES);
  const step = q4 ? q4_step(grouped) : q8_step(grouped);
  const os = <usize>outStrideBytes;
  const scales = planes + <usize>(nQuads * nBlocks) * 256;
  const w0 = scales + <usize>(nQuads * nBlocks) * 16;
  const w1 = w0 + (<usize>nIn << 1);
  const ds0 = w1 + (<usize>nIn << 1);
  const ds1 = ds0 + (<usize>nBlocks << 2);
  for (let r = rowStart; r < rowEnd; r += 2) {
    const two = r + 1 < rowEnd;
    widen_row(w0, ds0, q4 ? q4_row(wPtr, r, rowBytes, grouped) : q8_row(wPtr, r, rowBytes, grouped), nBlocks, step, q4);
    if (two) {
      widen_row(w1, ds1, q4 ? q4_row(wPtr, r + 1, rowBytes, grouped) : q8_row(wPtr, r + 1, rowBytes, grouped), nBlocks, step, q4);
      row_tiles(outPtr, os, w0, w1, ds0, ds1, planes, scales, nBlocks, r, nTok, true, q4);
    } else {
      row_tiles(outPtr, os, w0, w1, ds0, ds1, planes, scales, nBlocks, r, nTok, false, q4);
    }
  }
}

/**
 * out[t, r] = W[r, :] · x[t, :] on planes made by prepare_planes_q8_0 (at xPtr; xStrideBytes not used): the bits
 * of gemm_q8_0_q8_0 / matvec_q8_0_q8_0.
 */
export function gemm_q8_0_q8_0_planes(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_planes_q8(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, false, false);
}

/** The same on Q8_0X4 weights (matvec-q8_0.ts). */
export function gemm_q8_0x4_q8_0_planes(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_planes_q8(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, false, true);
}

/** The same on Q4_0 weights, in matvec-q4_0.ts's order (two halves per block): the bits of gemm_q4_0_q8_0. */
export function gemm_q4_0_q8_0_planes(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_planes_q8(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, true, false);
}

/** The same on Q4_0X2 weights (matvec-q4_0.ts). */
export function gemm_q4_0x2_q8_0_planes(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_planes_q8(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, true, true);
}
