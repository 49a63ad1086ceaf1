/**
 * The GEMM kernels (prompt chunks) against the matvecs of the same type: every (row, token) must have the bits
 * of the matvec on that token — across row blocks, register tiles (2 or 4 tokens; on planes 2 rows × 16
 * tokens) and their tails, row ranges, strides wider than a row, unaligned pointers, prepared or plain. The matvecs are checked against f64 oracles in
 * kernels.test.ts, so the GEMMs inherit those tolerances exactly (tolerances.ts: `exact` vs the matvec).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../helpers/prng.js';
import { KernelHarness } from './kernel-harness.js';
import { encodeAs } from './kernel-oracles.js';
import { KERNEL_TOLERANCES } from './tolerances.js';
import { WEIGHT_KERNELS, type WasmWeightType } from '../../src/wasm/weight-kernels.js';

const TYPES = Object.keys(WEIGHT_KERNELS) as WasmWeightType[];
const QUANTIZED = (t: WasmWeightType) => WEIGHT_KERNELS[t].activation !== 'F32';
const Q8_K_INPUT = (t: WasmWeightType) => WEIGHT_KERNELS[t].activation === 'Q8_K';
const N_IN: Record<WasmWeightType, number[]> = {
  F32: [1, 3, 16, 17, 20, 33, 48, 100],
  F16: [1, 3, 16, 17, 20, 33, 48, 100],
  F16R: [1, 3, 16, 17, 20, 33, 48, 100],
  Q8_0: [32, 96, 160],
  Q4_0: [32, 96, 160],
  Q4_0X2: [32, 96, 160],
  Q8_0X4: [32, 96, 160],
  Q4_K: [256, 512],
  Q6_K: [256, 512],
  TQ1_0: [256, 512],
  TQ2_0: [256, 512],
};
/** Token counts: the tiles (2 for F32/F16, 4 for Q8_0/Q4_0) with every tail; on planes also 16 (one full tile) and its tails. */
const N_TOK = [1, 2, 3, 4, 5, 6, 7, 9];
const N_TOK_PLANES = [...N_TOK, 16, 17, 22, 35];
/** 300 rows of ≤ 400 bytes span several 16 KiB row blocks. */
const N_OUT = [1, 7, 300];

function bitsEqual(got: Float32Array, want: Float32Array, label: string): void {
  assert.equal(got.length, want.length, label);
  const a = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const b = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) assert.fail(`${label} [${i}]: ${got[i]} ≠ ${want[i]}`);
}

let h: KernelHarness;
before(async () => {
  h = await KernelHarness.create({ pages: 160 });
});
after(() => {
  if (process.env.MAMBA_TOLERANCE_REPORT) console.log(`gemm_*: bit-equal to the matvecs (tolerance: ${JSON.stringify(KERNEL_TOLERANCES.gemm_f32_f32)})`);
});

describe('gemm = matvec per token, bit for bit', () => {
  for (const type of TYPES) {
    const row = WEIGHT_KERNELS[type];
    test(`${row.gemm}: tiles and tails, row blocks, row ranges, strides`, () => {
      assert.equal(KERNEL_TOLERANCES[row.gemm].metric, 'exact');
      const rand = mulberry32(101);
      for (const nIn of N_IN[type]) {
        for (const nOut of N_OUT) {
          h.reset();
          const w = Float32Array.from({ length: nOut * nIn }, () => 2 * rand() - 1);
          const wPtr = h.put(encodeAs(type, w, nIn));
          const nToks = row.planes ? N_TOK_PLANES : N_TOK;
          const nTokMax = Math.max(...nToks);
          // token-major activations with a padded stride; for the quantized types, Q8_0 rows
          const xRowBytes = Q8_K_INPUT(type) ? (nIn / 256) * 292 : QUANTIZED(type) ? (nIn / 32) * 34 : 4 * nIn;
          const xStride = xRowBytes + 52;
          const xPtr = h.alloc(nTokMax * xStride);
          for (let t = 0; t < nTokMax; t++) {
            const x = Float32Array.from({ length: nIn }, () => 3 * (2 * rand() - 1));
            const f = h.put(x);
            if (Q8_K_INPUT(type)) h.k.quantize_row_q8_k(xPtr + t * xStride, f, nIn);
            else if (QUANTIZED(type)) h.k.quantize_row_q8_0(xPtr + t * xStride, f, nIn);
            else new Uint8Array(h.memory.buffer, xPtr + t * xStride, 4 * nIn).set(new Uint8Array(x.buffer));
          }
          // the matvec of every token
          const want: Float32Array[] = [];
          const mvPtr = h.alloc(4 * nOut);
          for (let t = 0; t < nTokMax; t++) {
            h.k[row.matvec](mvPtr, wPtr, xPtr + t * xStride, 0, nOut, nIn);
            want.push(h.f32(mvPtr, nOut));
          }
          const outStride = 4 * nOut + 20;
          // the prepared GEMM (decode-path preparation of every token, weight-kernels.ts `prepared.gemm`)
          const prepared = row.prepared;
          if (prepared?.gemm) {
            const stride = prepared.bytes(nIn);
            const xw = h.alloc(nTokMax * stride);
            for (let t = 0; t < nTokMax; t++) assert.equal(h.k[prepared.prepare](xw + t * stride, xPtr + t * xStride, nIn), 1);
            for (const nTok of N_TOK) {
              const outPtr = h.alloc(nTok * outStride);
              h.k[prepared.gemm](outPtr, wPtr, xw, 0, nOut, nIn, nTok, outStride, stride);
              for (let t = 0; t < nTok; t++) bitsEqual(h.f32(outPtr + t * outStride, nOut), want[t], `${prepared.gemm} ${nOut}×${nIn}, ${nTok} tokens, token ${t}`);
              if (nOut > 2) {
                const part = h.alloc(nTok * outStride);
                h.k[prepared.gemm](part, wPtr, xw, 1, nOut - 1, nIn, nTok, outStride, stride);
                for (let t = 0; t < nTok; t++) bitsEqual(h.f32(part + t * outStride, nOut).subarray(1, nOut - 1), want[t].subarray(1, nOut - 1), `${prepared.gemm} rows [1, ${nOut - 1})`);
              }
            }
          }
          // the GEMM on planes (weight-kernels.ts `planes`): x of the chunk prepared once
          const planesRow = row.planes;
          if (planesRow) {
            const planesGemm = planesRow.gemm;
            for (const nTok of nToks) {
              const bytes = planesRow.bytes(nIn, nTok);
              const wasmBytes: number = planesRow.prepare === 'prepare_planes_f32' ? h.k.planes_bytes(nIn, nTok) : h.k.planes_q8_0_bytes(nIn, nTok);
              assert.equal(wasmBytes, bytes, `${planesRow.prepare}: the TS byte count = the kernel's`);
              const planes = h.alloc(bytes + 64);
              const guard = h.bytes(planes + bytes, 64);
              const ok = h.k[planesRow.prepare](planes, xPtr, nIn, nTok, xStride);
              const applies: boolean = nTok >= 4 && (planesRow.prepare !== 'prepare_planes_f32' || nIn % 16 === 0);
              assert.equal(ok, applies ? 1 : 0, `${planesRow.prepare} nIn ${nIn}, ${nTok} tokens`);
              if (ok === 0) continue;
              const label: string = `${planesGemm} ${nOut}×${nIn}, ${nTok} tokens`;
              const outPtr = h.alloc(nTok * outStride);
              h.k[planesGemm](outPtr, wPtr, planes, 0, nOut, nIn, nTok, outStride, 0);
              for (let t = 0; t < nTok; t++) bitsEqual(h.f32(outPtr + t * outStride, nOut), want[t], `${label}, token ${t}`);
              if (nOut > 2) {
                const part = h.alloc((nTok + 1) * outStride);
                const sentinel = h.f32(part, 1)[0];
                h.k[planesGemm](part, wPtr, planes, 1, nOut - 1, nIn, nTok, outStride, 0);
                for (let t = 0; t < nTok; t++) {
                  const got = h.f32(part + t * outStride, nOut);
                  bitsEqual(got.subarray(1, nOut - 1), want[t].subarray(1, nOut - 1), `${label} rows [1, ${nOut - 1}), token ${t}`);
                  assert.ok(Object.is(got[0], sentinel) && Object.is(got[nOut - 1], sentinel), `${label}: rows outside the range untouched`);
                }
                // no token past nTok is written (the last quad's missing lanes)
                assert.ok(h.f32(part + nTok * outStride, nOut).every((v) => Object.is(v, sentinel)), `${label}: nothing written past token ${nTok - 1}`);
              }
              assert.deepEqual(h.bytes(planes + bytes, 64), guard, `${label}: nothing written past the planes' bytes`);
            }
          }
          for (const nTok of N_TOK) {
            const label = `${row.gemm} ${nOut}×${nIn}, ${nTok} tokens`;
            const outPtr = h.alloc(nTok * outStride);
            h.k[row.gemm](outPtr, wPtr, xPtr, 0, nOut, nIn, nTok, outStride, xStride);
            for (let t = 0; t < nTok; t++) bitsEqual(h.f32(outPtr + t * outStride, nOut), want[t], `${label}, token ${t}`);
            if (nOut > 2) {
              // rows [1, nOut − 1): the same bits; rows 0 and nOut − 1 keep the sentinel
              const part = h.alloc(nTok * outStride);
              const sentinel = h.f32(part, 1)[0];
              h.k[row.gemm](part, wPtr, xPtr, 1, nOut - 1, nIn, nTok, outStride, xStride);
              for (let t = 0; t < nTok; t++) {
                const got = h.f32(part + t * outStride, nOut);
                bitsEqual(got.subarray(1, nOut - 1), want[t].subarray(1, nOut - 1), `${row.gemm} rows [1, ${nOut - 1}), token ${t}`);
                assert.ok(Object.is(got[0], sentinel) && Object.is(got[nOut - 1], sentinel), `${row.gemm}: rows outside the range untouched`);
              }
            }
          }
        }
      }
    });
  }
});

describe('ssm_dt_softplus_f32: dt_proj as a GEMM, then bias + softplus', () => {
  for (const type of TYPES) {
    const row = WEIGHT_KERNELS[type];
    const dtProj = row.dtProj;
    if (dtProj === undefined) continue; // the 256-block types: dt_proj is never stored in them
    test(`${row.gemm} + ssm_dt_softplus_f32 = ${dtProj}, bit for bit`, () => {
      const rand = mulberry32(7);
      const dtRank = QUANTIZED(type) ? 64 : 13;
      const dInner = 37;
      const nTok = 5;
      h.reset();
      const wPtr = h.put(encodeAs(type, Float32Array.from({ length: dInner * dtRank }, () => 2 * rand() - 1), dtRank));
      // biases that push some sums past the softplus threshold (20) and some far below
      const bias = Float32Array.from({ length: dInner }, (_, i) => (i % 7 === 0 ? 25 : i % 7 === 1 ? -30 : 2 * rand() - 1));
      const biasPtr = h.put(bias);
      const xRowBytes = QUANTIZED(type) ? (dtRank / 32) * 34 : 4 * dtRank;
      const xPtr = h.alloc(nTok * xRowBytes);
      for (let t = 0; t < nTok; t++) {
        const x = Float32Array.from({ length: dtRank }, () => 2 * rand() - 1);
        const f = h.put(x);
        if (QUANTIZED(type)) h.k.quantize_row_q8_0(xPtr + t * xRowBytes, f, dtRank);
        else new Uint8Array(h.memory.buffer, xPtr + t * xRowBytes, 4 * dtRank).set(new Uint8Array(x.buffer));
      }
      const dtPtr = h.alloc(4 * nTok * dInner);
      h.k[row.gemm](dtPtr, wPtr, xPtr, 0, dInner, dtRank, nTok, 4 * dInner, xRowBytes);
      for (let t = 0; t < nTok; t++) {
        h.k.ssm_dt_softplus_f32(dtPtr + 4 * dInner * t, biasPtr, 0, 20);
        h.k.ssm_dt_softplus_f32(dtPtr + 4 * dInner * t, biasPtr, 20, dInner);
      }
      const fused = h.alloc(4 * dInner);
      for (let t = 0; t < nTok; t++) {
        h.k[dtProj](fused, wPtr, xPtr + t * xRowBytes, biasPtr, 0, dInner, dtRank);
        bitsEqual(h.f32(dtPtr + 4 * dInner * t, dInner), h.f32(fused, dInner), `token ${t}`);
      }
    });
  }
});

describe('SiLU: vector and scalar twins', () => {
  test('SiLU through the conv (dConv 4, taps [0, 0, 0, 1], zero state: s = x): the same bits 4-wide and alone; ≤ 4 ulp from x / (1 + exp(−x)) in f64 (|result| ≥ 2^−100)', () => {
    h.reset();
    const rand = mulberry32(19);
    const special = [-Infinity, -1000, -104, -89, -88.4, -88, -87.4, -50, -20, -1, -1e-30, -0, 0, 1e-30, 0.5, 1, 20, 87, 88, 89, 1000, Infinity];
    const x = Float32Array.from([...special, ...Array.from({ length: 4001 }, () => 80 * rand() - 50)]);
    const n = x.length;
    const w = h.put(Float32Array.from({ length: 4 * n }, (_, i) => (i % 4 === 3 ? 1 : 0)));
    const vec = h.put(x);
    h.k.ssm_conv1d_step_silu_f32(vec, h.put(new Float32Array(3 * n)), w, 0, 0, n, 4);
    const one = h.put(x);
    const state = h.put(new Float32Array(3 * n));
    for (let i = 0; i < n; i++) h.k.ssm_conv1d_step_silu_f32(one, state, w, 0, i, i + 1, 4); // each alone: the scalar loop
    bitsEqual(h.f32(one, n), h.f32(vec, n), 'one at a time vs 4-wide');
    const got = h.f32(vec, n);
    for (let i = 0; i < n; i++) {
      const v = x[i];
      if (v === -Infinity) {
        // torch: −inf · sigmoid(−inf) = NaN; here −inf / (1 + 3.4e38): not finite either way
        assert.ok(!Number.isFinite(got[i]), `silu(-inf) = ${got[i]}`);
        continue;
      }
      const want = v / (1 + Math.exp(-v));
      if (Math.abs(want) < 2 ** -100) {
        // x < −66: a value as negligible (below −88.4, x / (1 + exp_sat(88.4)) = x · 2.9e−39)
        assert.ok(Math.abs(got[i]) < 2 ** -100, `silu(${v}) = ${got[i]}, want ${want}`);
        continue;
      }
      if (!Number.isFinite(want)) {
        assert.equal(got[i], want, `silu(${v})`);
        continue;
      }
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
      assert.ok(Math.abs(got[i] - want) <= 4 * ulp, `silu(${v}) = ${got[i]}, want ${want} (${(Math.abs(got[i] - want) / ulp).toFixed(1)} ulp)`);
    }
  });
});

describe('softplus: vector body and scalar tail are twins', () => {
  test('ssm_dt_softplus_f32 gives each element the same bits 4-wide and alone; ≤ 4 ulp from log1p(exp(x)) in f64 (normal results)', () => {
    h.reset();
    const rand = mulberry32(17);
    const special = [-Infinity, -200, -88, -87.4, -87.3, -30, -20, -1, -1e-8, -0, 0, 1e-30, 1e-8, 0.5, 1, 10, 15, 16.6, 16.7, 19.99, 20, 20.0001, 50, 88.3, 88.4, 100, Infinity];
    const x = Float32Array.from([...special, ...Array.from({ length: 4000 }, () => 60 * rand() - 40)]);
    const n = x.length;
    const zero = h.put(new Float32Array(n));
    const vec = h.put(x);
    h.k.ssm_dt_softplus_f32(vec, zero, 0, n);
    const one = h.put(x);
    for (let i = 0; i < n; i++) h.k.ssm_dt_softplus_f32(one, zero, i, i + 1);
    bitsEqual(h.f32(one, n), h.f32(vec, n), 'one at a time vs 4-wide');
    const got = h.f32(vec, n);
    for (let i = 0; i < n; i++) {
      const v = x[i];
      const want = v > 20 ? v : Math.log1p(Math.exp(v));
      if (!Number.isFinite(want)) {
        assert.equal(got[i], want, `softplus(${v})`);
        continue;
      }
      if (Math.abs(want) < 2 ** -126) {
        // exp saturates to 0 below −87.34 (common.ts): results under the smallest normal are flushed
        assert.ok(Math.abs(got[i] - want) < 2 ** -126, `softplus(${v}) = ${got[i]}, want ${want}`);
        continue;
      }
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
      assert.ok(Math.abs(got[i] - want) <= 4 * ulp, `softplus(${v}) = ${got[i]}, want ${want} (${(Math.abs(got[i] - want) / ulp).toFixed(1)} ulp)`);
    }
  });
});
