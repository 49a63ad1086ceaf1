/**
 * The F32 / F16 GEMMs of prompt chunks on x prepared as *planes*: the same bits as dot_f32_f32, faster.
 *
 * dot_f32_f32 (matvec-f32.ts) sums W[r, i]·x[i] into four f32x4 accumulators: lane l of accumulator j holds
 * the partial sum P_c over the elements i ≡ c (mod 16), c = 4j + l, added in increasing i; then
 *   dot = hsum((a0 + a1) + (a2 + a3)) = (S_0 + S_1) + (S_2 + S_3),   S_l = (P_l + P_{4+l}) + (P_{8+l} + P_{12+l}).
 * A register tile over (row, token) would need those four accumulators per pair, and spills. But each P_c is a
 * sum of its own: here a vector holds P_c of four tokens (lanes = tokens), so a tile of 2 rows × 16 tokens is
 * eight accumulators, each element of W is one broadcast load (`v128.load32_splat`) used by four vector
 * multiply-adds, and each x vector serves two rows. The sixteen classes c are sixteen passes over the tile;
 * their P_c vectors are kept in a small buffer and reduced in the order above, lane by lane — so every
 * (row, token) gets the bits of dot_f32_f32, whatever the tile, the row range or the chunk.
 * (Measured, one thread, 64 tokens: 3072×768 and 768×1536 at 15.5–16 GMAC/s against 8.3 for gemm_f32_f32.)
 *
 * Planes: for quad q (tokens 4q..4q+3), class c and k < nIn/16, the vector [x_{4q+u}[16k + c]]_{u<4} at
 *   planes + ((q·16 + c)·K + k)·16,   K = nIn / 16,
 * a missing token of the last quad as 0 (its outputs are not stored). After the planes: the tile's partials,
 * then (F16) its two rows widened to F32. `planes_bytes(nIn, nTok)` is the whole prepared size.
 */
import { f16_to_f32_finite, f16x4_to_f32x4_finite } from './common';
import { store_lanes } from './gemm-common';

/** Bytes of the P_c buffer of one tile: 16 classes × 2 rows × 4 quads of f32x4. */
const PARTIAL_BYTES: i32 = 16 * 8 * 16;

/** Bytes prepare_planes_f32 and the planes GEMMs use for nTok tokens of nIn values (the caller's buffer). */
export function planes_bytes(nIn: i32, nTok: i32): i32 {
  return ((nTok + 3) & ~3) * nIn * 4 + PARTIAL_BYTES + 2 * nIn * 4;
}

/**
 * x (nTok tokens of nIn f32 at a stride of xStrideBytes) → planes at dst. Returns 1, or 0 when the planes
 * do not apply (nIn not a multiple of 16, or fewer than 4 tokens: the caller runs the plain GEMM, same bits).
 */
export function prepare_planes_f32(dst: usize, xPtr: usize, nIn: i32, nTok: i32, xStrideBytes: i32): i32 {
  if ((nIn & 15) != 0 || nTok < 4) return 0;
  const K = nIn >> 4;
  const xs = <usize>xStrideBytes;
  const cs = <usize>K << 4; // bytes per class plane of one quad
  for (let q = 0; 4 * q < nTok; q++) {
    const t = 4 * q;
    // a missing token reads token t's x (any finite values would do: its lane is never stored)
    const x0 = xPtr + <usize>t * xs;
    const x1 = t + 1 < nTok ? x0 + xs : x0;
    const x2 = t + 2 < nTok ? x0 + 2 * xs : x0;
    const x3 = t + 3 < nTok ? x0 + 3 * xs : x0;
    const base = dst + <usize>q * (cs << 4);
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < 4; j++) {
        const o = <usize>(16 * k + 4 * j) << 2;
        const v0 = v128.load(x0 + o);
        const v1 = v128.load(x1 + o);
        const v2 = v128.load(x2 + o);
        const v3 = v128.load(x3 + o);
        // 4×4 transpose: lane l of the four tokens → class 4j + l
        const a = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5);
        const b = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5);
        const c = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
        const d = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
        const p = base + <usize>(4 * j) * cs + (<usize>k << 4);
        v128.store(p, v128.shuffle<f32>(a, b, 0, 1, 4, 5));
        v128.store(p + cs, v128.shuffle<f32>(a, b, 2, 3, 6, 7));
        v128.store(p + 2 * cs, v128.shuffle<f32>(c, d, 0, 1, 4, 5));
        v128.store(p + 3 * cs, v128.shuffle<f32>(c, d, 2, 3, 6, 7));
      }
    }
  }
  return 1;
}

/** acc + splat(w) · x, as dot_f32_f32 adds a product (no fused multiply-add). */
@inline
function madd(acc: v128, w: v128, x: v128): v128 {
  return f32x4.add(acc, f32x4.mul(w, x));
}

/** S_l of the tile's output `idx` (row·4 + quad) from the P_c buffer: (P_l + P_{4+l}) + (P_{8+l} + P_{12+l}). */
@inline
function class_sum(part: usize, idx: i32, l: i32): v128 {
  const b = part + (<usize>idx << 4);
  return f32x4.add(
    f32x4.add(v128.load(b + <usize>(l * 128)), v128.load(b + <usize>((4 + l) * 128))),
    f32x4.add(v128.load(b + <usize>((8 + l) * 128)), v128.load(b + <usize>((12 + l) * 128))),
  );
}

/** The four tokens of output `idx` (row r, tokens t..t+3): dot_f32_f32's final order, lanes < nTok − t stored. */
@inline
function store_quad(outPtr: usize, os: usize, part: usize, idx: i32, r: i32, t: i32, nTok: i32): void {
  const s = f32x4.add(f32x4.add(class_sum(part, idx, 0), class_sum(part, idx, 1)), f32x4.add(class_sum(part, idx, 2), class_sum(part, idx, 3)));
  store_lanes(outPtr + (<usize>r << 2), os, s, t, nTok);
}

/**
 * One tile: rows r (and r+1 when `two`, its weights rowBytes after r's, F32 at w0) × quads q.. (four when
 * `four`, else one). For each class c, P_c of every (row, token) of the tile into the buffer, then the outputs.
 */
@inline
function tile(
  outPtr: usize, os: usize, w0: usize, rowBytes: usize, planes: usize, qBytes: usize, part: usize,
  K: i32, r: i32, q: i32, nTok: i32, two: bool, four: bool,
): void {
  for (let c = 0; c < 16; c++) {
    let a00 = f32x4.splat(0);
    let a01 = f32x4.splat(0);
    let a02 = f32x4.splat(0);
    let a03 = f32x4.splat(0);
    let a10 = f32x4.splat(0);
    let a11 = f32x4.splat(0);
    let a12 = f32x4.splat(0);
    let a13 = f32x4.splat(0);
    let xp = planes + <usize>q * qBytes + <usize>(c * K) * 16;
    const xe = xp + (<usize>K << 4);
    let wp = w0 + (<usize>c << 2);
    for (; xp < xe; xp += 16, wp += 64) {
      const x0 = v128.load(xp);
      const s0 = v128.load32_splat(wp);
      a00 = madd(a00, s0, x0);
      if (four) {
        const x1 = v128.load(xp + qBytes);
        const x2 = v128.load(xp + 2 * qBytes);
        const x3 = v128.load(xp + 3 * qBytes);
        a01 = madd(a01, s0, x1);
        a02 = madd(a02, s0, x2);
        a03 = madd(a03, s0, x3);
        if (two) {
          const s1 = v128.load32_splat(wp + rowBytes);
          a10 = madd(a10, s1, x0);
          a11 = madd(a11, s1, x1);
          a12 = madd(a12, s1, x2);
          a13 = madd(a13, s1, x3);
        }
      } else if (two) {
        a10 = madd(a10, v128.load32_splat(wp + rowBytes), x0);
      }
    }
    const p = part + <usize>(c * 128);
    v128.store(p, a00);
    if (four) {
      v128.store(p, a01, 16);
      v128.store(p, a02, 32);
      v128.store(p, a03, 48);
    }
    if (two) {
      v128.store(p, a10, 64);
      if (four) {
        v128.store(p, a11, 80);
        v128.store(p, a12, 96);
        v128.store(p, a13, 112);
      }
    }
  }
  const nq = four ? 4 : 1;
  for (let j = 0; j < nq; j++) {
    store_quad(outPtr, os, part, j, r, 4 * (q + j), nTok);
    if (two) store_quad(outPtr, os, part, 4 + j, r + 1, 4 * (q + j), nTok);
  }
}

/** Rows r (and r+1 when `two`) × every quad: tiles of four quads, then the quads left one at a time. */
@inline
function row_tiles(outPtr: usize, os: usize, w0: usize, rowBytes: usize, planes: usize, part: usize, K: i32, r: i32, nTok: i32, two: bool): void {
  const qBytes = <usize>K << 8; // 16 classes × K vectors
  const nq = (nTok + 3) >> 2;
  let q = 0;
  for (; q + 4 <= nq; q += 4) tile(outPtr, os, w0, rowBytes, planes, qBytes, part, K, r, q, nTok, two, true);
  for (; q < nq; q++) tile(outPtr, os, w0, rowBytes, planes, qBytes, part, K, r, q, nTok, two, false);
}

/**
 * The shared body: rows two at a time (the F16 ones widened to F32 after the partials first; F16R with its
 * rescale), an odd last row alone.
 */
@inline
function gemm_planes(
  outPtr: usize, wPtr: usize, planes: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, f16: bool, rebiased: bool,
): void {
  const K = nIn >> 4;
  const os = <usize>outStrideBytes;
  const part = planes + <usize>((nTok + 3) & ~3) * (<usize>nIn << 2);
  const wide = part + <usize>PARTIAL_BYTES;
  const f32RowBytes = <usize>nIn << 2;
  const rowBytes = f16 ? <usize>nIn << 1 : f32RowBytes;
  let r = rowStart;
  for (; r < rowEnd; r += 2) {
    const two = r + 1 < rowEnd;
    let w0 = wPtr + <usize>r * rowBytes;
    if (f16) {
      widen_f16(wide, w0, two ? 2 * nIn : nIn, rebiased);
      w0 = wide;
    }
    if (two) row_tiles(outPtr, os, w0, f32RowBytes, planes, part, K, r, nTok, true);
    else row_tiles(outPtr, os, w0, f32RowBytes, planes, part, K, r, nTok, false);
  }
}

/** n halves at src → n floats at dst, exactly (finite halves; F16R rescaled to its true values). */
@inline
function widen_f16(dst: usize, src: usize, n: i32, rebiased: bool): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const h = v128.load(src + (<usize>i << 1));
    v128.store(dst + (<usize>i << 2), f16x4_to_f32x4_finite(i32x4.extend_low_i16x8_s(h), rebiased));
    v128.store(dst + (<usize>i << 2), f16x4_to_f32x4_finite(i32x4.extend_high_i16x8_s(h), rebiased), 16);
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), f16_to_f32_finite(load<u16>(src + (<usize>i << 1)), rebiased));
}

/**
 * out[t, r] = W[r, :] · x[t, :] on planes made by prepare_planes_f32 (at xPtr; the GEMM signature's
 * xStrideBytes is not used): the bits of gemm_f32_f32 / matvec_f32_f32.
 */
export function gemm_f32_f32_planes(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_planes(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, false, false);
}

/** The same for F16 weights, each row pair widened once: the bits of gemm_f16_f32 / matvec_f16_f32. */
export function gemm_f16_f32_planes(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_planes(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, true, false);
}

/** The same for F16R weights (common.ts): the bits of gemm_f16_f32 on the F16 weights they were made from. */
export function gemm_f16r_f32_planes(
  outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  gemm_planes(outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, true, true);
}
