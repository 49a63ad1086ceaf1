/**
 * The backend's interleaved load-time layouts of the 32-block types (the scalar spec of assembly/common.ts
 * interleave_rows): the rows of a matrix in groups of G, block b of every row of a group adjacent, so a kernel
 * that reads G rows per pass reads one stream. The same blocks, moved: the kernels on them give the bits of
 * the plain type's kernels.
 *
 *   Q4_0X2 (G = 2, 18-byte blocks): the two-row decode matvec of Q4_0 (matvec-q4_0.ts).
 *   Q8_0X4 (G = 4, 34-byte blocks): the four-row decode matvec of Q8_0 (matvec-q8_0.ts).
 *
 *   plain:        row 0: b0 b1 … | row 1: b0 b1 … | …
 *   interleaved:  group 0: (row 0 b0)(row 1 b0)…(row G−1 b0) (row 0 b1)… | group 1: …
 *
 * The backend interleaves a matrix whose row count is a multiple of G only (in place: no room for padding
 * rows). For tests, a matrix of other row counts is padded with zero rows (scale 0) that no kernel reads.
 */
import { Q4_0_BLOCK_BYTES } from '../quant/q4_0.js';
import { Q8_0_BLOCK_BYTES } from '../quant/q8_0.js';

/** The interleaved forms: the plain type, the rows per group and the block bytes. */
export const INTERLEAVED = Object.freeze({
  Q4_0X2: { plain: 'Q4_0', group: 2, blockBytes: Q4_0_BLOCK_BYTES },
  Q8_0X4: { plain: 'Q8_0', group: 4, blockBytes: Q8_0_BLOCK_BYTES },
} as const);
export type InterleavedType = keyof typeof INTERLEAVED;

/** 32 values per block in both types. */
const BLOCK_VALUES = 32;

/** Bytes of the interleaved matrix of nRows rows of nIn values (padded to whole groups). */
export function interleavedBytes(type: InterleavedType, nRows: number, nIn: number): number {
  const { group, blockBytes } = INTERLEAVED[type];
  return Math.ceil(nRows / group) * group * (nIn / BLOCK_VALUES) * blockBytes;
}

/** The byte offset of block b of row r in the interleaved layout. */
function offset(type: InterleavedType, r: number, b: number, nIn: number): number {
  const { group, blockBytes } = INTERLEAVED[type];
  const rowBytes = (nIn / BLOCK_VALUES) * blockBytes;
  return (r - (r % group)) * rowBytes + (b * group + (r % group)) * blockBytes;
}

/** Plain bytes (nRows × nIn values) → the interleaved layout (a new array). */
export function interleaveRows(type: InterleavedType, plain: Uint8Array, nRows: number, nIn: number): Uint8Array {
  const { blockBytes } = INTERLEAVED[type];
  const nBlocks = nIn / BLOCK_VALUES;
  if (plain.length !== nRows * nBlocks * blockBytes) throw new RangeError(`${plain.length} bytes are not ${nRows} rows of ${nIn} values`);
  const out = new Uint8Array(interleavedBytes(type, nRows, nIn));
  for (let r = 0; r < nRows; r++) {
    for (let b = 0; b < nBlocks; b++) {
      const src = (r * nBlocks + b) * blockBytes;
      out.set(plain.subarray(src, src + blockBytes), offset(type, r, b, nIn));
    }
  }
  return out;
}

/** The inverse: interleaved bytes → the nRows × nIn plain matrix. */
export function deinterleaveRows(type: InterleavedType, interleaved: Uint8Array, nRows: number, nIn: number): Uint8Array {
  const { blockBytes } = INTERLEAVED[type];
  const nBlocks = nIn / BLOCK_VALUES;
  if (interleaved.length !== interleavedBytes(type, nRows, nIn)) throw new RangeError(`${interleaved.length} bytes are not ${nRows} ${type} rows of ${nIn} values`);
  const out = new Uint8Array(nRows * nBlocks * blockBytes);
  for (let r = 0; r < nRows; r++) {
    for (let b = 0; b < nBlocks; b++) {
      const src = offset(type, r, b, nIn);
      out.set(interleaved.subarray(src, src + blockBytes), (r * nBlocks + b) * blockBytes);
    }
  }
  return out;
}
