/**
 * Cache blocking shared by the GEMM kernels (gemm-*.ts): a block of weight rows of about GEMM_BLOCK_BYTES
 * stays in L1 while every token of the chunk streams past it, and the tokens go through the register tile of
 * the type (2 or 4 tokens per weight load). Blocking only changes which row is computed when: each
 * (row, token) is reduced in exactly the order of the type's matvec dot, so a GEMM over T tokens gives the
 * bits of T matvecs, whatever the block, the tile or the row range.
 */

/** Weight bytes per row block: well inside a 32–64 KiB L1d, leaving room for the tokens' activations. */
export const GEMM_BLOCK_BYTES: i32 = 16384;

/**
 * Lanes t < nTok − t0 of v (the outputs of tokens t0..t0+3 of one row) to out + (t0 + t)·os: a tile's last
 * quad may hold fewer than four tokens. With t0 = 0, nTok = 4 (constants) it is four plain stores.
 */
@inline
export function store_lanes(out: usize, os: usize, v: v128, t0: i32, nTok: i32): void {
  const o = out + <usize>t0 * os;
  store<f32>(o, f32x4.extract_lane(v, 0));
  if (t0 + 1 < nTok) store<f32>(o + os, f32x4.extract_lane(v, 1));
  if (t0 + 2 < nTok) store<f32>(o + 2 * os, f32x4.extract_lane(v, 2));
  if (t0 + 3 < nTok) store<f32>(o + 3 * os, f32x4.extract_lane(v, 3));
}

/** Rows per cache block for rows of `rowBytes` bytes (at least one). */
@inline
export function gemm_block_rows(rowBytes: usize): i32 {
  const n = <i32>(<usize>GEMM_BLOCK_BYTES / rowBytes);
  return n > 0 ? n : 1;
}
