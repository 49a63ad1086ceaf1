/**
 * Q4_0X2, the backend's load-time layout of a Q4_0 matrix (the scalar spec of assembly/matvec-q4_0.ts
 * pair_rows_q4_0): rows 2p and 2p + 1 interleaved block by block — block b of row 2p, then block b of row
 * 2p + 1 — so the decode matvec, which reads two rows per pass, reads one stream. The same 18-byte blocks,
 * moved: the kernels on it give the bits of the Q4_0 kernels. The backend pairs a matrix with an even
 * number of rows only (in place, no room for a padding row); for tests, an odd last row is paired with a
 * zero row (d = 0) that no kernel reads.
 *
 *   Q4_0:    row 0: b0 b1 … | row 1: b0 b1 … | …
 *   Q4_0X2:  pair 0: (row 0 b0)(row 1 b0)(row 0 b1)(row 1 b1) … | pair 1: …
 */
import { Q4_0_BLOCK_BYTES, QK4_0 } from '../quant/q4_0.js';

/** Bytes of a Q4_0X2 matrix of nRows rows of nIn values (an odd count padded with one row). */
export function pairedQ4_0Bytes(nRows: number, nIn: number): number {
  return (nRows + (nRows & 1)) * (nIn / QK4_0) * Q4_0_BLOCK_BYTES;
}

/** Q4_0 bytes (nRows × nIn values) → Q4_0X2 bytes (a new array). */
export function pairRowsQ4_0(q4: Uint8Array, nRows: number, nIn: number): Uint8Array {
  const nBlocks = nIn / QK4_0;
  const rowBytes = nBlocks * Q4_0_BLOCK_BYTES;
  if (q4.length !== nRows * rowBytes) throw new RangeError(`${q4.length} bytes are not ${nRows} Q4_0 rows of ${nIn} values`);
  const out = new Uint8Array(pairedQ4_0Bytes(nRows, nIn));
  for (let r = 0; r < nRows; r++) {
    const pair = (r & ~1) * rowBytes;
    const half = (r & 1) * Q4_0_BLOCK_BYTES;
    for (let b = 0; b < nBlocks; b++) {
      const src = r * rowBytes + b * Q4_0_BLOCK_BYTES;
      out.set(q4.subarray(src, src + Q4_0_BLOCK_BYTES), pair + 2 * b * Q4_0_BLOCK_BYTES + half);
    }
  }
  return out;
}

/** The inverse: Q4_0X2 bytes → the nRows × nIn Q4_0 matrix. */
export function unpairRowsQ4_0(paired: Uint8Array, nRows: number, nIn: number): Uint8Array {
  const nBlocks = nIn / QK4_0;
  const rowBytes = nBlocks * Q4_0_BLOCK_BYTES;
  if (paired.length !== pairedQ4_0Bytes(nRows, nIn)) throw new RangeError(`${paired.length} bytes are not ${nRows} Q4_0X2 rows of ${nIn} values`);
  const out = new Uint8Array(nRows * rowBytes);
  for (let r = 0; r < nRows; r++) {
    const pair = (r & ~1) * rowBytes;
    const half = (r & 1) * Q4_0_BLOCK_BYTES;
    for (let b = 0; b < nBlocks; b++) {
      const src = pair + 2 * b * Q4_0_BLOCK_BYTES + half;
      out.set(paired.subarray(src, src + Q4_0_BLOCK_BYTES), r * rowBytes + b * Q4_0_BLOCK_BYTES);
    }
  }
  return out;
}
