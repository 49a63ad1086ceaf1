/**
 * Q4_0X2 (src/wasm/pair-rows-q4_0.ts): the WASM pairing equals the TS spec and refuses an odd row count, and
 * every Q4_0X2 kernel gives the bits of its Q4_0 twin — plain and prepared matvec, GEMMs, get_rows, dt_proj —
 * on every row range, including ranges that start or end inside a pair.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeQ4_0 } from './kernel-oracles.js';
import { pairRowsQ4_0, unpairRowsQ4_0 } from '../../src/wasm/pair-rows-q4_0.js';
import { mulberry32 } from '../helpers/prng.js';
import { exact, KernelHarness } from './kernel-harness.js';

let h: KernelHarness;
before(async () => {
  h = await KernelHarness.create({ pages: 64 });
});

function weights(rand: () => number, nRows: number, nIn: number): Uint8Array {
  return quantizeQ4_0(Float32Array.from({ length: nRows * nIn }, () => 2 * rand() - 1));
}

describe('pair_rows_q4_0 (WASM) and the TS spec', () => {
  test('the same bytes as pairRowsQ4_0, which unpairRowsQ4_0 undoes; an odd row count is refused, untouched', () => {
    const rand = mulberry32(5);
    for (const [nRows, nIn] of [[2, 32], [6, 96], [40, 544]]) {
      h.reset();
      const q4 = weights(rand, nRows, nIn);
      const ptr = h.put(q4);
      const tmp = h.alloc(2 * q4.length / nRows);
      assert.equal(h.k.pair_rows_q4_0(ptr, nRows, nIn / 32, tmp), 1);
      const paired = pairRowsQ4_0(q4, nRows, nIn);
      assert.deepEqual(h.bytes(ptr, q4.length), paired, `${nRows}×${nIn}`);
      assert.deepEqual(unpairRowsQ4_0(paired, nRows, nIn), q4);
    }
    h.reset();
    const odd = weights(rand, 3, 64);
    const ptr = h.put(odd);
    assert.equal(h.k.pair_rows_q4_0(ptr, 3, 2, h.alloc(256)), 0);
    assert.deepEqual(h.bytes(ptr, odd.length), odd);
  });
});

describe('Q4_0X2 kernels = Q4_0 kernels, bit for bit', () => {
  test('matvec (plain and prepared), GEMM (plain and prepared), get_rows and dt_proj on row ranges', () => {
    const rand = mulberry32(9);
    for (const [nRows, nIn] of [[2, 32], [10, 96], [64, 160]]) {
      h.reset();
      const q4 = weights(rand, nRows, nIn);
      const plain = h.put(q4);
      const paired = h.put(pairRowsQ4_0(q4, nRows, nIn));
      const nTok = 6;
      const xRow = (nIn / 32) * 34;
      const x = h.alloc(nTok * xRow);
      for (let t = 0; t < nTok; t++) h.k.quantize_row_q8_0(x + t * xRow, h.put(Float32Array.from({ length: nIn }, () => 3 * (2 * rand() - 1))), nIn);
      const wStride = (nIn / 32) * 84;
      const xw = h.alloc(nTok * wStride);
      for (let t = 0; t < nTok; t++) assert.equal(h.k.widen_q8_0_q4_0(xw + t * wStride, x + t * xRow, nIn), 1);
      const a = h.alloc(4 * Math.max(nRows * nTok, nIn));
      const b = h.alloc(4 * Math.max(nRows * nTok, nIn));
      const ranges = [[0, nRows], [1, nRows], [0, nRows - 1], [1, 2], [nRows - 1, nRows]];
      for (const [s, e] of ranges) {
        const label = `${nRows}×${nIn} rows [${s}, ${e})`;
        const rows = (p: number) => h.f32(p + 4 * s, e - s);
        h.k.matvec_q4_0_q8_0(a, plain, x, s, e, nIn);
        h.k.matvec_q4_0x2_q8_0(b, paired, x, s, e, nIn);
        exact(rows(b), rows(a), `matvec ${label}`);
        h.k.matvec_q4_0_q8_0_widened(a, plain, xw, s, e, nIn);
        h.k.matvec_q4_0x2_q8_0_widened(b, paired, xw, s, e, nIn);
        exact(rows(b), rows(a), `prepared matvec ${label}`);
        h.k.gemm_q4_0_q8_0(a, plain, x, s, e, nIn, nTok, 4 * nRows, xRow);
        h.k.gemm_q4_0x2_q8_0(b, paired, x, s, e, nIn, nTok, 4 * nRows, xRow);
        for (let t = 0; t < nTok; t++) exact(rows(b + 4 * nRows * t), rows(a + 4 * nRows * t), `GEMM ${label} token ${t}`);
        h.k.gemm_q4_0_q8_0_widened(a, plain, xw, s, e, nIn, nTok, 4 * nRows, wStride);
        h.k.gemm_q4_0x2_q8_0_widened(b, paired, xw, s, e, nIn, nTok, 4 * nRows, wStride);
        for (let t = 0; t < nTok; t++) exact(rows(b + 4 * nRows * t), rows(a + 4 * nRows * t), `prepared GEMM ${label} token ${t}`);
        const bias = h.put(Float32Array.from({ length: nRows }, () => 4 * rand() - 3));
        h.k.ssm_dt_proj_softplus_q4_0_q8_0(a, plain, x, bias, s, e, nIn);
        h.k.ssm_dt_proj_softplus_q4_0x2_q8_0(b, paired, x, bias, s, e, nIn);
        exact(rows(b), rows(a), `dt_proj ${label}`);
      }
      for (let r = 0; r < nRows; r++) {
        h.k.get_rows_q4_0(a, plain, r, nIn);
        h.k.get_rows_q4_0x2(b, paired, r, nIn);
        exact(h.f32(b, nIn), h.f32(a, nIn), `get_rows ${nRows}×${nIn} row ${r}`);
      }
    }
  });
});
