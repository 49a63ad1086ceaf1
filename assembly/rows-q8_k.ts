/**
 * matvec and GEMM for the 256-block types against Q8_K activations: one row at a time through the type's
 * block dot (its file: matvec-q4_k.ts, -q6_k, -tq1_0, -tq2_0). One loop for all four; `type` is a constant at
 * each (inlined) use, so every export compiles to its own loop with a direct call to its dot.
 *
 *   matvec: out[r]    = W[r, :] · x       for r in [rowStart, rowEnd)
 *   GEMM:   out[t, r] = W[r, :] · x[t]    for nTok tokens, row by row (a row stays in L1 for all tokens),
 *           bit-equal to the matvec (the same dot per (row, token)).
 */
import { dot_q4_k_q8_k, Q4_K_BLOCK_BYTES } from './matvec-q4_k';
import { dot_q6_k_q8_k, Q6_K_BLOCK_BYTES } from './matvec-q6_k';
import { dot_tq1_0_q8_k, TQ1_0_BLOCK_BYTES } from './matvec-tq1_0';
import { dot_tq2_0_q8_k, TQ2_0_BLOCK_BYTES } from './matvec-tq2_0';
import { QK_K } from './quantize-q8_k';

const Q4_K: i32 = 0;
const Q6_K: i32 = 1;
const TQ1_0: i32 = 2;
const TQ2_0: i32 = 3;

/** The type's dot of one row (nBlocks blocks) with one Q8_K vector. */
@inline
function dot_q8_k(type: i32, wPtr: usize, xPtr: usize, nBlocks: i32): f32 {
  if (type == Q4_K) return dot_q4_k_q8_k(wPtr, xPtr, nBlocks);
  if (type == Q6_K) return dot_q6_k_q8_k(wPtr, xPtr, nBlocks);
  if (type == TQ1_0) return dot_tq1_0_q8_k(wPtr, xPtr, nBlocks);
  return dot_tq2_0_q8_k(wPtr, xPtr, nBlocks);
}

@inline
function row_bytes(type: i32, nBlocks: i32): usize {
  const blockBytes = type == Q4_K ? Q4_K_BLOCK_BYTES : type == Q6_K ? Q6_K_BLOCK_BYTES : type == TQ1_0 ? TQ1_0_BLOCK_BYTES : TQ2_0_BLOCK_BYTES;
  return <usize>nBlocks * <usize>blockBytes;
}

@inline
function matvec_rows(type: i32, outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  const nBlocks = nIn / QK_K;
  const rowBytes = row_bytes(type, nBlocks);
  for (let r = rowStart; r < rowEnd; r++) store<f32>(outPtr + (<usize>r << 2), dot_q8_k(type, wPtr + <usize>r * rowBytes, xPtr, nBlocks));
}

@inline
function gemm_rows(
  type: i32, outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32,
  outStrideBytes: i32, xStrideBytes: i32,
): void {
  const nBlocks = nIn / QK_K;
  const rowBytes = row_bytes(type, nBlocks);
  for (let r = rowStart; r < rowEnd; r++) {
    const w = wPtr + <usize>r * rowBytes;
    for (let t = 0; t < nTok; t++) {
      store<f32>(outPtr + <usize>t * <usize>outStrideBytes + (<usize>r << 2), dot_q8_k(type, w, xPtr + <usize>t * <usize>xStrideBytes, nBlocks));
    }
  }
}

export function matvec_q4_k_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_rows(Q4_K, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn);
}
export function matvec_q6_k_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_rows(Q6_K, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn);
}
export function matvec_tq1_0_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_rows(TQ1_0, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn);
}
export function matvec_tq2_0_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32): void {
  matvec_rows(TQ2_0, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn);
}

// The GEMMs take the same arguments as the other types'.
export function gemm_q4_k_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32, outStrideBytes: i32, xStrideBytes: i32): void {
  gemm_rows(Q4_K, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes);
}
export function gemm_q6_k_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32, outStrideBytes: i32, xStrideBytes: i32): void {
  gemm_rows(Q6_K, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes);
}
export function gemm_tq1_0_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32, outStrideBytes: i32, xStrideBytes: i32): void {
  gemm_rows(TQ1_0, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes);
}
export function gemm_tq2_0_q8_k(outPtr: usize, wPtr: usize, xPtr: usize, rowStart: i32, rowEnd: i32, nIn: i32, nTok: i32, outStrideBytes: i32, xStrideBytes: i32): void {
  gemm_rows(TQ2_0, outPtr, wPtr, xPtr, rowStart, rowEnd, nIn, nTok, outStrideBytes, xStrideBytes);
}
