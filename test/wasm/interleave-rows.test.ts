/**
 * The interleaved load-time forms (src/wasm/interleave-rows.ts): the WASM interleave_rows equals the TS spec
 * and refuses a row count that is not a multiple of the group, and every Q4_0X2 / Q8_0X4 kernel gives the bits
 * of its Q4_0 / Q8_0 twin — plain and prepared matvec, GEMMs, get_rows, dt_proj — on every row range,
 * including ranges that start or end inside a group.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { quantizeQ4_0, quantizeQ8_0 } from './kernel-oracles.js';
import { deinterleaveRows, INTERLEAVED, interleaveRows, type InterleavedType } from '../../src/wasm/interleave-rows.js';
import type { MambaKernels } from '../../src/wasm/kernel-module.js';
import { mulberry32 } from '../helpers/prng.js';
import { exact, KernelHarness } from './kernel-harness.js';

let h: KernelHarness;
before(async () => {
  h = await KernelHarness.create({ pages: 64 });
});

const FORMS = Object.keys(INTERLEAVED) as InterleavedType[];

function weights(type: InterleavedType, rand: () => number, nRows: number, nIn: number): Uint8Array {
  const x = Float32Array.from({ length: nRows * nIn }, () => 2 * rand() - 1);
  return INTERLEAVED[type].plain === 'Q4_0' ? quantizeQ4_0(x) : quantizeQ8_0(x);
}

describe('interleave_rows (WASM) and the TS spec', () => {
  for (const type of FORMS) {
    const { group, blockBytes } = INTERLEAVED[type];
    test(`${type}: the bytes of interleaveRows, which deinterleaveRows undoes; other row counts refused, untouched`, () => {
      const rand = mulberry32(5);
      for (const [nRows, nIn] of [[group, 32], [3 * group, 96], [10 * group, 544]]) {
        h.reset();
        const plain = weights(type, rand, nRows, nIn);
        const ptr = h.put(plain);
        const tmp = h.alloc((group * plain.length) / nRows);
        assert.equal(h.k.interleave_rows(ptr, nRows, nIn / 32, blockBytes, group, tmp), 1);
        const want = interleaveRows(type, plain, nRows, nIn);
        assert.deepEqual(h.bytes(ptr, plain.length), want, `${nRows}×${nIn}`);
        assert.deepEqual(deinterleaveRows(type, want, nRows, nIn), plain);
      }
      h.reset();
      const odd = weights(type, rand, group + 1, 64);
      const ptr = h.put(odd);
      assert.equal(h.k.interleave_rows(ptr, group + 1, 2, blockBytes, group, h.alloc(1024)), 0);
      assert.deepEqual(h.bytes(ptr, odd.length), odd);
    });
  }
});

/** The kernels of a plain type and of its interleaved form, by role. */
const KERNELS: Record<InterleavedType, Record<string, [keyof MambaKernels, keyof MambaKernels]>> = {
  Q4_0X2: {
    matvec: ['matvec_q4_0_q8_0', 'matvec_q4_0x2_q8_0'],
    widenedMatvec: ['matvec_q4_0_q8_0_widened', 'matvec_q4_0x2_q8_0_widened'],
    gemm: ['gemm_q4_0_q8_0', 'gemm_q4_0x2_q8_0'],
    widenedGemm: ['gemm_q4_0_q8_0_widened', 'gemm_q4_0x2_q8_0_widened'],
    dtProj: ['ssm_dt_proj_softplus_q4_0_q8_0', 'ssm_dt_proj_softplus_q4_0x2_q8_0'],
    getRows: ['get_rows_q4_0', 'get_rows_q4_0x2'],
  },
  Q8_0X4: {
    matvec: ['matvec_q8_0_q8_0', 'matvec_q8_0x4_q8_0'],
    widenedMatvec: ['matvec_q8_0_q8_0_widened', 'matvec_q8_0x4_q8_0_widened'],
    gemm: ['gemm_q8_0_q8_0', 'gemm_q8_0x4_q8_0'],
    widenedGemm: ['gemm_q8_0_q8_0_widened', 'gemm_q8_0x4_q8_0_widened'],
    dtProj: ['ssm_dt_proj_softplus_q8_0_q8_0', 'ssm_dt_proj_softplus_q8_0x4_q8_0'],
    getRows: ['get_rows_q8_0', 'get_rows_q8_0x4'],
  },
};

describe('interleaved kernels = plain kernels, bit for bit', () => {
  for (const type of FORMS) {
    const { group } = INTERLEAVED[type];
    const kn = KERNELS[type];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const k = (name: keyof MambaKernels) => h.k[name] as (...args: number[]) => number;
    test(`${type}: matvec (plain and prepared), GEMM (plain and prepared), get_rows and dt_proj on row ranges`, () => {
      const rand = mulberry32(9);
      const widen = type === 'Q4_0X2' ? h.k.widen_q8_0_q4_0 : h.k.widen_q8_0;
      const widenedBytes = (nIn: number) => (nIn / 32) * (type === 'Q4_0X2' ? 84 : 68);
      for (const [nRows, nIn] of [[group, 32], [5 * group, 96], [16 * group, 160]]) {
        h.reset();
        const plainBytes = weights(type, rand, nRows, nIn);
        const plain = h.put(plainBytes);
        const grouped = h.put(interleaveRows(type, plainBytes, nRows, nIn));
        const nTok = 6;
        const xRow = (nIn / 32) * 34;
        const x = h.alloc(nTok * xRow);
        for (let t = 0; t < nTok; t++) h.k.quantize_row_q8_0(x + t * xRow, h.put(Float32Array.from({ length: nIn }, () => 3 * (2 * rand() - 1))), nIn);
        const wStride = widenedBytes(nIn);
        const xw = h.alloc(nTok * wStride);
        for (let t = 0; t < nTok; t++) assert.equal(widen(xw + t * wStride, x + t * xRow, nIn), 1);
        const a = h.alloc(4 * Math.max(nRows * nTok, nIn));
        const b = h.alloc(4 * Math.max(nRows * nTok, nIn));
        const ranges = [[0, nRows], [1, nRows], [0, nRows - 1], [1, 2], [nRows - 1, nRows], [Math.min(2, nRows - 1), nRows]];
        for (const [s, e] of ranges) {
          const label = `${nRows}×${nIn} rows [${s}, ${e})`;
          const rows = (p: number) => h.f32(p + 4 * s, e - s);
          for (const role of ['matvec', 'widenedMatvec'] as const) {
            const xin = role === 'matvec' ? x : xw;
            k(kn[role][0])(a, plain, xin, s, e, nIn);
            k(kn[role][1])(b, grouped, xin, s, e, nIn);
            exact(rows(b), rows(a), `${kn[role][1]} ${label}`);
          }
          for (const role of ['gemm', 'widenedGemm'] as const) {
            const [xin, xs] = role === 'gemm' ? [x, xRow] : [xw, wStride];
            k(kn[role][0])(a, plain, xin, s, e, nIn, nTok, 4 * nRows, xs);
            k(kn[role][1])(b, grouped, xin, s, e, nIn, nTok, 4 * nRows, xs);
            for (let t = 0; t < nTok; t++) exact(rows(b + 4 * nRows * t), rows(a + 4 * nRows * t), `${kn[role][1]} ${label} token ${t}`);
          }
          const bias = h.put(Float32Array.from({ length: nRows }, () => 4 * rand() - 3));
          k(kn.dtProj[0])(a, plain, x, bias, s, e, nIn);
          k(kn.dtProj[1])(b, grouped, x, bias, s, e, nIn);
          exact(rows(b), rows(a), `${kn.dtProj[1]} ${label}`);
        }
        for (let r = 0; r < nRows; r++) {
          k(kn.getRows[0])(a, plain, r, nIn);
          k(kn.getRows[1])(b, grouped, r, nIn);
          exact(h.f32(b, nIn), h.f32(a, nIn), `${kn.getRows[1]} ${nRows}×${nIn} row ${r}`);
        }
      }
    });
  }
});
