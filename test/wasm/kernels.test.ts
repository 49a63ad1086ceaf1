/**
 * Conformance of every WASM kernel × weight type against the scalar oracles (kernel-oracles.ts), on odd
 * sizes (tails, one row, one column), unaligned pointers, and row ranges: rows outside the range are left
 * alone and a row's bits do not depend on the range it was computed in (what threads will rely on).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 } from '../helpers/prng.js';
import { exact, KernelHarness } from './kernel-harness.js';
import {
  allHalves, convStepOracle, decodeAs, dtProjOracle, effectiveActivation, encodeAs, ggmlDotQ8_K, matvecOracle,
  quantizeQ8_0, quantizeQ8_KBytes, rmsNormOracle, scanOracle, type OracleResult,
} from './kernel-oracles.js';
import { KERNEL_TOLERANCES, type KernelName } from './tolerances.js';
import { WEIGHT_KERNELS, type FileWeightType, type WasmWeightType } from '../../src/wasm/weight-kernels.js';

const TYPES = Object.keys(WEIGHT_KERNELS) as WasmWeightType[];
const QUANTIZED = (t: WasmWeightType) => WEIGHT_KERNELS[t].activation !== 'F32';
const Q8_K_INPUT = (t: WasmWeightType) => WEIGHT_KERNELS[t].activation === 'Q8_K';
/** Reduction lengths: every tail of the 16/4/1 loops for the float types; block counts for the quantized ones. */
const N_IN: Record<WasmWeightType, number[]> = {
  F32: [1, 2, 3, 4, 5, 7, 15, 16, 17, 20, 31, 33, 100, 257],
  F16: [1, 2, 3, 4, 5, 7, 15, 16, 17, 20, 31, 33, 100, 257],
  F16R: [1, 2, 3, 4, 5, 7, 15, 16, 17, 20, 31, 33, 100, 257],
  Q8_0: [32, 64, 96, 160, 544],
  Q4_0: [32, 64, 96, 160, 544],
  Q4_0X2: [32, 64, 96, 160, 544],
  Q8_0X4: [32, 64, 96, 160, 544],
  Q4_K: [256, 512, 768, 1024],
  Q6_K: [256, 512, 768, 1024],
  TQ1_0: [256, 512, 768, 1024],
  TQ2_0: [256, 512, 768, 1024],
};
const N_OUT = [1, 2, 7, 13];
/** The scale of the row of large weights (F16R holds |w| < 128 only). */
const LARGE = (t: WasmWeightType) => (t === 'F16R' ? 100 : 300);
/** The types that take an F16 subnormal weight (f16r.ts: F16R holds them as normal numbers). */
const HALF_TYPES: readonly WasmWeightType[] = ['F16', 'F16R'];

/** Worst error / tolerance per kernel, printed at the end with MAMBA_TOLERANCE_REPORT=1. */
const worst = new Map<string, number>();

function check(kernel: KernelName, got: ArrayLike<number>, o: OracleResult, label: string): void {
  const t = KERNEL_TOLERANCES[kernel];
  let w = 0;
  for (let i = 0; i < o.want.length; i++) {
    const err = Math.abs(got[i] - o.want[i]);
    if (t.metric === 'exact') {
      assert.ok(Object.is(got[i], o.want[i]) || (Number.isNaN(got[i]) && Number.isNaN(o.want[i])), `${kernel} ${label} [${i}]: ${got[i]} ≠ ${o.want[i]}`);
      continue;
    }
    const ratio = o.scale[i] > 0 ? err / o.scale[i] : err === 0 ? 0 : Infinity;
    assert.ok(ratio <= t.tol, `${kernel} ${label} [${i}]: got ${got[i]}, want ${o.want[i]} (error ${ratio.toExponential(2)} of scale ${o.scale[i]}, tolerance ${t.tol})`);
    w = Math.max(w, ratio);
  }
  worst.set(kernel, Math.max(worst.get(kernel) ?? 0, w));
}

/** Random values: mostly uniform in [−1, 1], some rows scaled up or down, an all-zero 32-block now and then. */
function randomF32(rand: () => number, n: number, opts: { scale?: number; zeroBlock?: boolean } = {}): Float32Array {
  const x = Float32Array.from({ length: n }, () => (2 * rand() - 1) * (opts.scale ?? 1));
  if (opts.zeroBlock && n >= 64) x.fill(0, 32, 64);
  if (opts.zeroBlock && n >= 768) x.fill(0, 256, 512); // a whole 256-block
  return x;
}

/** x (F32 at xPtr) quantized to the activation format of `type` in fresh harness memory; returns its pointer. */
function quantizeInput(type: WasmWeightType, xPtr: number, n: number): number {
  if (Q8_K_INPUT(type)) {
    const p = h.alloc((n / 256) * 292);
    h.k.quantize_row_q8_k(p, xPtr, n);
    return p;
  }
  const p = h.alloc((n / 32) * 34);
  h.k.quantize_row_q8_0(p, xPtr, n);
  return p;
}

let h: KernelHarness;
before(async () => {
  h = await KernelHarness.create({ pages: 128 });
});
after(() => {
  if (process.env.MAMBA_TOLERANCE_REPORT) for (const [k, v] of worst) console.log(`${k.padEnd(32)} worst ${v.toExponential(2)} (tolerance ${KERNEL_TOLERANCES[k as KernelName].tol})`);
});

describe('matvec', () => {
  for (const type of TYPES) {
    const kernel = WEIGHT_KERNELS[type].matvec;
    test(`${kernel}: every tail, one row, row ranges`, () => {
      const rand = mulberry32(11);
      for (const nIn of N_IN[type]) {
        for (const nOut of N_OUT) {
          h.reset();
          const wF32 = randomF32(rand, nOut * nIn, { zeroBlock: true });
          if (nOut > 1) for (let i = 0; i < nIn; i++) wF32[nIn + i] *= LARGE(type); // a row with large weights
          if (HALF_TYPES.includes(type)) wF32[0] = 3e-7; // an F16 subnormal
          const wBytes = encodeAs(type, wF32, nIn);
          const x = randomF32(rand, nIn, { scale: 2, zeroBlock: true });
          const oracle = matvecOracle(decodeAs(type, wBytes, nOut * nIn, nIn), effectiveActivation(type, x), nOut, nIn);
          const wPtr = h.put(wBytes);
          const xPtr = h.put(x);
          const inPtr = QUANTIZED(type) ? quantizeInput(type, xPtr, nIn) : xPtr;
          const outPtr = h.alloc(4 * nOut);
          h.k[kernel](outPtr, wPtr, inPtr, 0, nOut, nIn);
          const full = h.f32(outPtr, nOut);
          check(kernel, full, oracle, `${nOut}×${nIn}`);
          // the Q8_K-input kernels also have the bits of ggml's integer formula (computed in TS)
          if (Q8_K_INPUT(type)) exact(full, ggmlDotQ8_K(type as FileWeightType, wBytes, h.bytes(inPtr, (nIn / 256) * 292), nOut, nIn), `${kernel} ${nOut}×${nIn} vs ggml's formula`);
          // rows [1, nOut−1) only: the others keep the sentinel, the computed ones are bit-equal
          if (nOut > 2) {
            const part = h.alloc(4 * nOut);
            const sentinel = h.f32(part, nOut);
            h.k[kernel](part, wPtr, inPtr, 1, nOut - 1, nIn);
            const got = h.f32(part, nOut);
            exact([got[0], got[nOut - 1]], [sentinel[0], sentinel[nOut - 1]], `${kernel} rows outside the range`);
            exact(got.subarray(1, nOut - 1), full.subarray(1, nOut - 1), `${kernel} ${nOut}×${nIn} rows [1, ${nOut - 1})`);
          }
        }
      }
    });
  }

  test('matvec_f16_f32 widens every finite half exactly (vector body, 4-wide and scalar tails)', () => {
    const { bits, values } = allHalves();
    const finite = bits.filter((b) => (b & 0x7c00) !== 0x7c00);
    const nIn = 21; // 16 + 4 + 1: every conversion path
    const nOut = Math.floor(finite.length / nIn);
    h.reset();
    const wPtr = h.put(finite.subarray(0, nOut * nIn));
    const outPtr = h.alloc(4 * nOut);
    for (let j = 0; j < nIn; j++) {
      const x = new Float32Array(nIn);
      x[j] = 1;
      const xPtr = h.put(x);
      h.k.matvec_f16_f32(outPtr, wPtr, xPtr, 0, nOut, nIn);
      const got = h.f32(outPtr, nOut);
      for (let r = 0; r < nOut; r++) {
        const want = values[finite[r * nIn + j]];
        // a −0 weight times 1 plus +0 products is +0
        assert.ok(got[r] === want, `half 0x${finite[r * nIn + j].toString(16)}: ${got[r]} ≠ ${want}`);
      }
    }
  });
});

describe('prepared matvecs (decode path): the bits of the plain kernel', () => {
  for (const type of TYPES) {
    const row = WEIGHT_KERNELS[type];
    const prepared = row.prepared;
    if (!prepared) continue;
    test(`${prepared.prepare} + ${prepared.matvec} = ${row.matvec}: every tail, row ranges`, () => {
      const rand = mulberry32(23);
      for (const nIn of N_IN[type]) {
        for (const nOut of N_OUT) {
          h.reset();
          const wF32 = randomF32(rand, nOut * nIn, { zeroBlock: true });
          if (nOut > 1) for (let i = 0; i < nIn; i++) wF32[nIn + i] *= LARGE(type);
          if (HALF_TYPES.includes(type)) wF32[0] = 3e-7; // an F16 subnormal
          const wPtr = h.put(encodeAs(type, wF32, nIn));
          const xPtr = h.put(randomF32(rand, nIn, { scale: 2, zeroBlock: true }));
          const inPtr = QUANTIZED(type) ? quantizeInput(type, xPtr, nIn) : xPtr;
          const plain = h.alloc(4 * nOut);
          h.k[row.matvec](plain, wPtr, inPtr, 0, nOut, nIn);
          const prep = h.alloc(prepared.bytes(nIn));
          assert.equal(h.k[prepared.prepare](prep, inPtr, nIn), 1);
          const fast = h.alloc(4 * nOut);
          h.k[prepared.matvec](fast, wPtr, prep, 0, 1, nIn);
          h.k[prepared.matvec](fast, wPtr, prep, 1, nOut, nIn);
          exact(h.f32(fast, nOut), h.f32(plain, nOut), `${prepared.matvec} ${nOut}×${nIn}`);
        }
      }
    });
  }

  test('f16_prescale_x refuses an x whose scaling would overflow (|x| ≥ 2^15) or NaN: the caller runs the plain kernel', () => {
    for (const bad of [32768, -1e30, Number.NaN, Infinity]) {
      for (const at of [0, 5, 16]) {
        h.reset();
        const x = new Float32Array(17).fill(0.5);
        x[at] = bad;
        const xPtr = h.put(x);
        assert.equal(h.k.f16_prescale_x(h.alloc(4 * 17), xPtr, 17), 0, `x[${at}] = ${bad}`);
      }
    }
    h.reset();
    assert.equal(h.k.f16_prescale_x(h.alloc(4 * 17), h.put(new Float32Array(17).fill(32767.9)), 17), 1);
  });

  test('widen_q8_0_q4_0: extreme scales (x: 65504, subnormal; weights: 65504, subnormal) keep the plain bits; an inf/NaN x scale is refused', () => {
    const rand = mulberry32(29);
    const nIn = 128;
    const nOut = 5;
    const scalesX = [0x7bff, 0x0001, 0x03ff, 0xb800]; // max finite, smallest subnormal, largest subnormal, −0.5
    const scalesW = [0x7bff, 0x0001, 0x8200, 0x3c00]; // max finite, subnormals, 1
    h.reset();
    const x = new Uint8Array((nIn / 32) * 34);
    for (let b = 0; b < nIn / 32; b++) {
      x[b * 34] = scalesX[b] & 0xff;
      x[b * 34 + 1] = scalesX[b] >> 8;
      for (let j = 0; j < 32; j++) x[b * 34 + 2 + j] = (b === 0 ? (j & 1 ? -127 : 127) : Math.floor(rand() * 255) - 127) & 0xff;
    }
    const w = new Uint8Array(nOut * (nIn / 32) * 18);
    for (let i = 0; i < w.length; i++) w[i] = Math.floor(rand() * 256);
    for (let r = 0; r < nOut; r++) {
      for (let b = 0; b < nIn / 32; b++) {
        const s = scalesW[(r + b) % 4];
        w[(r * (nIn / 32) + b) * 18] = s & 0xff;
        w[(r * (nIn / 32) + b) * 18 + 1] = s >> 8;
      }
    }
    const xPtr = h.put(x);
    const wPtr = h.put(w);
    const plain = h.alloc(4 * nOut);
    h.k.matvec_q4_0_q8_0(plain, wPtr, xPtr, 0, nOut, nIn);
    const prep = h.alloc(WEIGHT_KERNELS.Q4_0.prepared!.bytes(nIn));
    assert.equal(h.k.widen_q8_0_q4_0(prep, xPtr, nIn), 1);
    const fast = h.alloc(4 * nOut);
    h.k.matvec_q4_0_q8_0_widened(fast, wPtr, prep, 0, nOut, nIn);
    exact(h.f32(fast, nOut), h.f32(plain, nOut), 'matvec_q4_0_q8_0_widened, extreme scales');
    for (const bad of [0x7c00, 0xfc00, 0x7e00]) {
      x[34] = bad & 0xff;
      x[35] = bad >> 8;
      assert.equal(h.k.widen_q8_0_q4_0(prep, h.put(x), nIn), 0, `x scale 0x${bad.toString(16)}`);
    }
  });
});

describe('quantize_row_q8_0', () => {
  test('bit-equal to the codec; ties to even; zero blocks; blocks independent', () => {
    const rand = mulberry32(5);
    for (const n of [32, 64, 320]) {
      h.reset();
      const x = randomF32(rand, n, { scale: 3, zeroBlock: true });
      if (n >= 96) {
        // block 2: max 127 → d = 1, exact halves round to even
        x.set([127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 126.5, -126.5], 64);
      }
      const xPtr = h.put(x);
      const yPtr = h.alloc((n / 32) * 34);
      h.k.quantize_row_q8_0(yPtr, xPtr, n);
      exact(h.bytes(yPtr, (n / 32) * 34), quantizeQ8_0(x), `quantize_row_q8_0 n=${n}`);
      if (n >= 96) {
        const q = h.bytes(yPtr + 2 * 34 + 2, 10);
        exact(Int8Array.from(q), [127, 0, 2, 2, 0, -2, -2, 4, 126, -126], 'ties to even');
        // the last blocks alone (pointer offsets) give the same bytes as the whole row
        const tail = h.alloc(n - 32 * 1);
        h.k.quantize_row_q8_0(tail, xPtr + 4 * 32, n - 32);
        exact(h.bytes(tail, ((n - 32) / 32) * 34), h.bytes(yPtr + 34, ((n - 32) / 32) * 34), 'blocks are independent');
      }
    }
  });

  test('a NaN or inf anywhere in a block reaches its scale d (so the dots with it are not finite); other blocks are untouched', () => {
    const rand = mulberry32(8);
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      for (const at of [0, 5, 31]) {
        h.reset();
        const x = randomF32(rand, 96, { scale: 3 });
        x[32 + at] = bad;
        const yPtr = h.alloc(3 * 34);
        h.k.quantize_row_q8_0(yPtr, h.put(x), 96);
        const d = new DataView(h.bytes(yPtr, 3 * 34).slice().buffer);
        const half = d.getUint16(34, true);
        assert.equal(half & 0x7c00, 0x7c00, `${bad} at ${at}: d is inf or NaN (0x${half.toString(16)})`);
        if (Number.isNaN(bad)) assert.notEqual(half & 0x3ff, 0, `NaN at ${at}: d is NaN`);
        const want = quantizeQ8_0(x);
        exact(h.bytes(yPtr, 34), want.subarray(0, 34), `${bad} at ${at}: block 0`);
        exact(h.bytes(yPtr + 68, 34), want.subarray(68), `${bad} at ${at}: block 2`);
      }
    }
  });
});

describe('quantize_row_q8_k', () => {
  test('byte-identical to quantizeQ8_K: random blocks, zero blocks, ties to even, the signed max, blocks independent', () => {
    const rand = mulberry32(6);
    for (const n of [256, 512, 1536]) {
      h.reset();
      const x = randomF32(rand, n, { scale: 3, zeroBlock: true });
      if (n >= 1536) {
        // block 2: max −127 → iscale = 1, so x rounds as it is: exact halves go to even
        x.fill(0.25, 512, 768);
        x.set([-127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 126.5, -126.5, 125.5], 512);
        // blocks 3 and 4: +a and −a share the largest magnitude; the first one is the signed max
        x[768 + 5] = 7;
        x[768 + 9] = -7;
        x[1024 + 5] = -7;
        x[1024 + 9] = 7;
        x.fill(0, 1280, 1536); // block 5: all zero
      }
      const xPtr = h.put(x);
      const nBytes = (n / 256) * 292;
      const yPtr = h.alloc(nBytes);
      h.k.quantize_row_q8_k(yPtr, xPtr, n);
      const want = quantizeQ8_KBytes(x);
      exact(h.bytes(yPtr, nBytes), want, `quantize_row_q8_k n=${n}`);
      if (n >= 1536) {
        const q = Int8Array.from(h.bytes(yPtr + 2 * 292 + 4, 11));
        exact(q, [-127, 0, 2, 2, 0, -2, -2, 4, 126, -126, 126], 'ties to even');
        const d = (blk: number) => new DataView(h.bytes(yPtr + blk * 292, 4).buffer).getFloat32(0, true);
        assert.ok(d(3) < 0 && d(4) > 0, `d = max / −127 with the first signed max: ${d(3)}, ${d(4)}`);
        exact(h.bytes(yPtr + 5 * 292, 292), new Uint8Array(292), 'an all-zero block is 292 zero bytes');
        // the last blocks alone (pointer offsets) give the same bytes as the whole row
        const tail = h.alloc(nBytes - 292);
        h.k.quantize_row_q8_k(tail, xPtr + 4 * 256, n - 256);
        exact(h.bytes(tail, nBytes - 292), h.bytes(yPtr + 292, nBytes - 292), 'blocks are independent');
      }
    }
  });

  test('a NaN or inf in a block reaches its scale d, and every k-quant / ternary dot with that block is not finite; other blocks are untouched', () => {
    const rand = mulberry32(9);
    const nIn = 768;
    const nOut = 3;
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      for (const at of [0, 77, 255]) {
        h.reset();
        const x = randomF32(rand, nIn, { scale: 3 });
        x[256 + at] = bad;
        const xPtr = h.put(x);
        const yPtr = h.alloc(3 * 292);
        h.k.quantize_row_q8_k(yPtr, xPtr, nIn);
        const got = h.bytes(yPtr, 3 * 292).slice();
        const d = new DataView(got.buffer).getFloat32(292, true);
        assert.ok(Number.isNaN(bad) ? Number.isNaN(d) : !Number.isFinite(d), `${bad} at ${at}: d = ${d}`);
        const want = quantizeQ8_KBytes(x);
        exact(got.subarray(0, 292), want.subarray(0, 292), `${bad} at ${at}: block 0`);
        exact(got.subarray(584), want.subarray(584), `${bad} at ${at}: block 2`);
        // a NaN block is d = NaN, qs = bsums = 0 in both (an inf's own qs byte is meaningless: d is ±inf)
        if (Number.isNaN(bad)) exact(got.subarray(292, 584), want.subarray(292, 584), `NaN at ${at}: block 1 as the codec`);
        for (const type of TYPES.filter(Q8_K_INPUT)) {
          const w = encodeAs(type, randomF32(rand, nOut * nIn), nIn);
          const outPtr = h.alloc(4 * nOut);
          h.k[WEIGHT_KERNELS[type].matvec](outPtr, h.put(w), yPtr, 0, nOut, nIn);
          for (const v of h.f32(outPtr, nOut)) assert.ok(!Number.isFinite(v), `${WEIGHT_KERNELS[type].matvec}, ${bad} at ${at}: ${v}`);
        }
      }
    }
  });
});

describe('get_rows', () => {
  for (const type of TYPES) {
    const kernel = WEIGHT_KERNELS[type].getRows;
    test(`${kernel}: exact decode of one row`, () => {
      const rand = mulberry32(3);
      for (const n of Q8_K_INPUT(type) ? [256, 512] : QUANTIZED(type) ? [32, 96] : [1, 7, 64]) {
        h.reset();
        const nRows = 5;
        const bytes = encodeAs(type, randomF32(rand, nRows * n, { scale: 4 }), n);
        const all = decodeAs(type, bytes, nRows * n, n);
        const wPtr = h.put(bytes);
        const outPtr = h.alloc(4 * n);
        for (const row of [0, 3, nRows - 1]) {
          h.k[kernel](outPtr, wPtr, row, n);
          const want = all.subarray(row * n, (row + 1) * n);
          check(kernel, h.f32(outPtr, n), { want: Float64Array.from(want), scale: new Float64Array(n) }, `row ${row} of ${nRows}×${n}`);
        }
      }
    });
  }

  test('get_rows_f16 decodes all 65536 halves exactly (subnormals, ±0, ±inf, NaN)', () => {
    const { bits, values } = allHalves();
    h.reset();
    const wPtr = h.put(bits);
    const outPtr = h.alloc(4 * bits.length);
    h.k.get_rows_f16(outPtr, wPtr, 0, bits.length);
    check('get_rows_f16', h.f32(outPtr, bits.length), { want: Float64Array.from(values), scale: new Float64Array(bits.length) }, 'all halves');
  });
});

describe('rms_norm', () => {
  test('rms_norm_f32 and add_rms_norm_f32 (the residual add exact)', () => {
    const rand = mulberry32(9);
    for (const n of [1, 3, 4, 7, 64, 100, 768]) {
      h.reset();
      const x = randomF32(rand, n, { scale: 5 });
      const delta = randomF32(rand, n);
      const w = randomF32(rand, n, { scale: 2 });
      const eps = 1e-5;
      const xPtr = h.put(x);
      const wPtr = h.put(w);
      const outPtr = h.alloc(4 * n);
      h.k.rms_norm_f32(outPtr, xPtr, wPtr, n, eps);
      check('rms_norm_f32', h.f32(outPtr, n), rmsNormOracle(x, w, eps), `n=${n}`);

      const dPtr = h.put(delta);
      h.k.add_rms_norm_f32(outPtr, xPtr, dPtr, wPtr, n, eps);
      const summed = Float32Array.from(x, (v, i) => v + delta[i]);
      exact(h.f32(xPtr, n), summed, `add_rms_norm_f32 n=${n}: hidden += delta`);
      check('add_rms_norm_f32', h.f32(outPtr, n), rmsNormOracle(summed, w, eps), `n=${n}`);
    }
  });

  test('add_f32 on a range', () => {
    const rand = mulberry32(4);
    for (const n of [1, 5, 9, 64]) {
      h.reset();
      const a = randomF32(rand, n);
      const b = randomF32(rand, n);
      const aPtr = h.put(a);
      const bPtr = h.put(b);
      const start = n > 2 ? 1 : 0;
      const end = n > 2 ? n - 1 : n;
      h.k.add_f32(aPtr, bPtr, start, end);
      const want = Float64Array.from(a, (v, i) => (i >= start && i < end ? Math.fround(v + b[i]) : v));
      check('add_f32', h.f32(aPtr, n), { want, scale: new Float64Array(n) }, `n=${n} [${start}, ${end})`);
    }
  });
});

describe('Mamba step kernels', () => {
  test('ssm_scan_chunk_f32 = one ssm_scan_step_f32 per token, bit for bit (dState 16 in registers, others), both gates, channel ranges', () => {
    const rand = mulberry32(43);
    for (const gateRelu of [0, 1]) {
      for (const dState of [16, 5]) {
        for (const [dInner, nTok] of [[6, 3], [9, 1], [13, 7]]) {
          h.reset();
          const zOff = 4 * dInner;
          const xs = 8 * dInner + 12; // x then z per token, padded
          const bStride = 4 * (3 + 2 * dState) + 8; // dtRank 3 in front of B, padded
          const xz = randomF32(rand, (nTok * xs) / 4, { scale: 2 });
          const dt = Float32Array.from({ length: nTok * dInner }, () => Math.log1p(Math.exp(4 * rand() - 3)));
          const bc = randomF32(rand, (nTok * bStride) / 4, { scale: 2 });
          const A = Float32Array.from({ length: dInner * dState }, () => -Math.exp(3 * rand() - 1));
          const D = randomF32(rand, dInner);
          const state = randomF32(rand, dInner * dState, { scale: 4 });
          const [xzPtr, dtPtr, bcPtr, aPtr, dPtr] = [xz, dt, bc, A, D].map((v) => h.put(v));
          const bPtr = bcPtr + 12;
          // the steps
          const s1 = h.put(state);
          const y1 = h.alloc(4 * nTok * dInner);
          for (let t = 0; t < nTok; t++) {
            const x = xzPtr + t * xs;
            const b = bPtr + t * bStride;
            h.k.ssm_scan_step_f32(y1 + 4 * t * dInner, s1, x, dtPtr + 4 * t * dInner, aPtr, b, b + 4 * dState, dPtr, x + zOff, 0, dInner, dState, gateRelu);
          }
          // the chunk, in two channel ranges
          const s2 = h.put(state);
          const y2 = h.alloc(4 * nTok * dInner);
          const mid = Math.min(dInner, 5);
          for (const [d0, d1] of [[0, mid], [mid, dInner]]) {
            h.k.ssm_scan_chunk_f32(y2, 4 * dInner, s2, xzPtr, xs, zOff, dtPtr, 4 * dInner, aPtr, bPtr, bStride, 4 * dState, dPtr, d0, d1, dState, nTok, gateRelu);
          }
          const label = `gate ${gateRelu ? 'relu' : 'silu'}, dState ${dState}, dInner ${dInner}, ${nTok} tokens`;
          exact(h.f32(y2, nTok * dInner), h.f32(y1, nTok * dInner), `${label}: y`);
          exact(h.f32(s2, dInner * dState), h.f32(s1, dInner * dState), `${label}: state`);
        }
      }
    }
  });

  test('ssm_conv1d_chunk_silu_f32 = a step per token, bit for bit: dConv 1, 3, 4; channel tails and ranges; 1–7 tokens; with and without bias', () => {
    const rand = mulberry32(23);
    for (const dConv of [1, 3, 4]) {
      for (const dInner of [3, 9, 16, 21]) {
        for (const nTok of [1, 2, 7]) {
          for (const withBias of [true, false]) {
            h.reset();
            const xStride = 2 * dInner + 3; // floats: x, then z, then padding (as xz with a stride)
            const x = randomF32(rand, nTok * xStride, { scale: 2 });
            const state = randomF32(rand, dInner * (dConv - 1), { scale: 2 });
            const wPtr = h.put(randomF32(rand, dInner * dConv, { scale: 0.7 }));
            const bPtr = withBias ? h.put(randomF32(rand, dInner, { scale: 0.5 })) : 0;
            const label = `dConv ${dConv}, dInner ${dInner}, ${nTok} tokens, bias ${withBias}`;
            // the reference: one step per token
            const xs = h.put(x);
            const ss = h.put(state);
            for (let t = 0; t < nTok; t++) h.k.ssm_conv1d_step_silu_f32(xs + 4 * t * xStride, ss, wPtr, bPtr, 0, dInner, dConv);
            // the chunk in two channel ranges (split at 5: a group of four, then a tail)
            const xc = h.put(x);
            const sc = h.put(state);
            const mid = Math.min(5, dInner);
            h.k.ssm_conv1d_chunk_silu_f32(xc, 4 * xStride, sc, wPtr, bPtr, 0, mid, dConv, nTok);
            h.k.ssm_conv1d_chunk_silu_f32(xc, 4 * xStride, sc, wPtr, bPtr, mid, dInner, dConv, nTok);
            exact(h.f32(xc, nTok * xStride), h.f32(xs, nTok * xStride), `${label}: x`);
            exact(h.f32(sc, state.length), h.f32(ss, state.length), `${label}: state`);
          }
        }
      }
    }
  });

  test('ssm_conv1d_step_silu_f32: dConv 1, 2, 4; with and without bias; channel ranges', () => {
    const rand = mulberry32(21);
    for (const dConv of [1, 2, 4]) {
      for (const dInner of [1, 5, 8, 33]) {
        for (const withBias of [true, false]) {
          h.reset();
          const x = randomF32(rand, dInner, { scale: 3 });
          const state = randomF32(rand, dInner * (dConv - 1), { scale: 3 });
          const w = randomF32(rand, dInner * dConv);
          const bias = withBias ? randomF32(rand, dInner) : undefined;
          const o = convStepOracle(x, state, w, bias, dInner, dConv);
          const wPtr = h.put(w);
          const bPtr = bias ? h.put(bias) : 0;
          const run = (d0: number, d1: number, xPtr: number, sPtr: number) => h.k.ssm_conv1d_step_silu_f32(xPtr, sPtr, wPtr, bPtr, d0, d1, dConv);
          const label = `dConv ${dConv}, dInner ${dInner}, bias ${withBias}`;
          const xPtr = h.put(x);
          const sPtr = h.put(state);
          run(0, dInner, xPtr, sPtr);
          const full = h.f32(xPtr, dInner);
          check('ssm_conv1d_step_silu_f32', full, o, label);
          exact(h.f32(sPtr, state.length), o.state, `${label}: state shift`);
          // the same channels in two ranges: the same bits
          const x2 = h.put(x);
          const s2 = h.put(state);
          const mid = dInner >> 1;
          run(0, mid, x2, s2);
          run(mid, dInner, x2, s2);
          exact(h.f32(x2, dInner), full, `${label}: split at ${mid}`);
          // and at 1: the four-channel path and the scalar one meet at other channels
          const x3 = h.put(x);
          const s3 = h.put(state);
          run(0, Math.min(1, dInner), x3, s3);
          run(Math.min(1, dInner), dInner, x3, s3);
          exact(h.f32(x3, dInner), full, `${label}: split at 1`);
          exact(h.f32(s3, state.length), o.state, `${label}: split at 1, state`);
        }
      }
    }
  });

  for (const type of TYPES) {
    const kernel = WEIGHT_KERNELS[type].dtProj;
    if (kernel === undefined) continue; // the 256-block types: dt_proj is never stored in them (weight-kernels.ts)
    test(`${kernel}: softplus threshold, tails, row ranges`, () => {
      const rand = mulberry32(31);
      for (const dtRank of QUANTIZED(type) ? [32, 64] : [1, 3, 4, 17, 48]) {
        h.reset();
        const dInner = 9;
        const wBytes = encodeAs(type, randomF32(rand, dInner * dtRank, { scale: 0.5 }), dtRank);
        const x = randomF32(rand, dtRank, { scale: 2 });
        const bias = randomF32(rand, dInner, { scale: 3 });
        bias[0] = 25; // above the threshold: softplus(s) = s
        bias[1] = -30; // far below: log1p(exp(s)) tiny
        bias[2] = 20; // around the threshold
        const o = dtProjOracle(decodeAs(type, wBytes, dInner * dtRank, dtRank), effectiveActivation(type, x), bias, dInner, dtRank);
        const wPtr = h.put(wBytes);
        const xPtr = h.put(x);
        let inPtr = xPtr;
        if (QUANTIZED(type)) {
          inPtr = h.alloc((dtRank / 32) * 34);
          h.k.quantize_row_q8_0(inPtr, xPtr, dtRank);
        }
        const bPtr = h.put(bias);
        const dtPtr = h.alloc(4 * dInner);
        h.k[kernel](dtPtr, wPtr, inPtr, bPtr, 0, dInner, dtRank);
        const full = h.f32(dtPtr, dInner);
        check(kernel, full, o, `dtRank ${dtRank}`);
        const part = h.alloc(4 * dInner);
        h.k[kernel](part, wPtr, inPtr, bPtr, 2, 7, dtRank);
        exact(h.f32(part, dInner).subarray(2, 7), full.subarray(2, 7), `${kernel}: rows [2, 7)`);
      }
    });
  }

  for (const type of TYPES) {
    const row = WEIGHT_KERNELS[type];
    const prepared = row.prepared;
    const fastKernel = prepared?.dtProj;
    const plainKernel = row.dtProj;
    if (!prepared || !fastKernel || !plainKernel) continue;
    test(`${prepared.prepare} + ${fastKernel} = ${plainKernel}: four-row groups, tails, row ranges`, () => {
      const rand = mulberry32(37);
      for (const dtRank of [1, 3, 4, 16, 17, 48, 52]) {
        for (const dInner of [1, 4, 9, 13]) {
          h.reset();
          const wPtr = h.put(encodeAs(type, randomF32(rand, dInner * dtRank, { scale: 0.5 }), dtRank));
          const xPtr = h.put(randomF32(rand, dtRank, { scale: 2 }));
          const bias = randomF32(rand, dInner, { scale: 3 });
          bias[0] = 25;
          if (dInner > 2) bias[2] = -30;
          const bPtr = h.put(bias);
          const plain = h.alloc(4 * dInner);
          h.k[plainKernel](plain, wPtr, xPtr, bPtr, 0, dInner, dtRank);
          const prep = h.alloc(prepared.bytes(dtRank));
          assert.equal(h.k[prepared.prepare](prep, xPtr, dtRank), 1);
          const fast = h.alloc(4 * dInner);
          h.k[fastKernel](fast, wPtr, prep, bPtr, 0, dInner, dtRank);
          exact(h.f32(fast, dInner), h.f32(plain, dInner), `${fastKernel} ${dInner}×${dtRank}`);
          // ranges that start and end off the four-row groups
          const part = h.alloc(4 * dInner);
          for (const [s, e] of [[1, dInner], [0, Math.min(dInner, 3)], [Math.min(1, dInner), Math.max(1, dInner - 1)]]) {
            h.k[fastKernel](part, wPtr, prep, bPtr, s, e, dtRank);
            exact(h.f32(part, dInner).subarray(s, e), h.f32(plain, dInner).subarray(s, e), `${fastKernel} ${dInner}×${dtRank} rows [${s}, ${e})`);
          }
        }
      }
    });
  }

  test('ssm_scan_step_f32: dState tails, exp underflow, D skip, SiLU and ReLU gate, channel ranges', () => {
    const rand = mulberry32(41);
    for (const gateRelu of [0, 1])
    for (const dState of [1, 3, 4, 5, 16, 19]) {
      for (const dInner of [1, 6]) {
        h.reset();
        const state = randomF32(rand, dInner * dState, { scale: 4 });
        const x = randomF32(rand, dInner, { scale: 2 });
        const dt = Float32Array.from({ length: dInner }, () => Math.log1p(Math.exp(4 * rand() - 3)));
        const A = Float32Array.from({ length: dInner * dState }, () => -Math.exp(3 * rand() - 1));
        if (dInner > 1) A[dState] = -1e4; // channel 1, n 0: exp(dt·A) underflows to 0
        const B = randomF32(rand, dState, { scale: 2 });
        const C = randomF32(rand, dState, { scale: 2 });
        const D = randomF32(rand, dInner);
        const z = randomF32(rand, dInner, { scale: 4 });
        const o = scanOracle(state, x, dt, A, B, C, D, z, dInner, dState, gateRelu === 1);
        const ptrs = [x, dt, A, B, C, D, z].map((a) => h.put(a));
        const [xPtr, dtPtr, aPtr, bPtr, cPtr, dPtr, zPtr] = ptrs;
        const run = (yPtr: number, sPtr: number, d0: number, d1: number) => h.k.ssm_scan_step_f32(yPtr, sPtr, xPtr, dtPtr, aPtr, bPtr, cPtr, dPtr, zPtr, d0, d1, dState, gateRelu);
        const label = `${gateRelu ? 'relu' : 'silu'} gate, dInner ${dInner}, dState ${dState}`;
        const sPtr = h.put(state);
        const yPtr = h.alloc(4 * dInner);
        run(yPtr, sPtr, 0, dInner);
        check('ssm_scan_step_f32', h.f32(yPtr, dInner), o, `${label}: y`);
        check('ssm_scan_step_f32', h.f32(sPtr, dInner * dState), { want: o.state, scale: o.stateScale }, `${label}: state`);
        const s2 = h.put(state);
        const y2 = h.alloc(4 * dInner);
        run(y2, s2, 0, 1);
        run(y2, s2, 1, dInner);
        exact(h.f32(y2, dInner), h.f32(yPtr, dInner), `${label}: split y`);
        exact(h.f32(s2, dInner * dState), h.f32(sPtr, dInner * dState), `${label}: split state`);
      }
    }
  });
});

test('a shared memory runs the same kernels with the same bits', async () => {
  const shared = await KernelHarness.create({ shared: true, pages: 4 });
  const rand = mulberry32(8);
  const w = randomF32(rand, 3 * 64);
  const x = randomF32(rand, 64);
  const run = (hh: KernelHarness) => {
    hh.reset();
    const wPtr = hh.put(w);
    const xPtr = hh.put(x);
    const outPtr = hh.alloc(12);
    hh.k.matvec_f32_f32(outPtr, wPtr, xPtr, 0, 3, 64);
    return hh.f32(outPtr, 3);
  };
  assert.ok(shared.memory.buffer instanceof SharedArrayBuffer);
  exact(run(shared), run(h), 'shared vs plain memory');
});
