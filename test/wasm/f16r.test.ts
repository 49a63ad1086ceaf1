/**
 * F16R (src/wasm/f16r.ts): the codec holds every finite half below 128 exactly, the WASM recoder equals it
 * and refuses what it cannot hold, and every F16R kernel gives the bits of its F16 twin on the F16 weights it
 * was made from — subnormal halves included, which is the point of F16R.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { f16ToF32, f32ToF16 } from '../../src/ggml/f16.js';
import { F16R_MAX_SOURCE, f16rToF32, f16ToF16r } from '../../src/wasm/f16r.js';
import { mulberry32 } from '../helpers/prng.js';
import { exact, KernelHarness } from './kernel-harness.js';
import { PLANES_BYTES } from '../../src/wasm/kernel-module.js';

const ALL = Uint16Array.from({ length: 65536 }, (_, i) => i);
const HOLDS = (h: number) => (h & 0x7fff) <= F16R_MAX_SOURCE;

/**
 * F16 halves of a weight matrix: values of a trained-like spread with many subnormals (|w| < 2^−14), exact
 * zeros of both signs, and the largest magnitude F16R holds.
 */
function halfWeights(rand: () => number, n: number): Uint16Array {
  const out = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    const v = r < 0.2 ? (2 * rand() - 1) * 6e-5 : r < 0.22 ? 0 : (2 * rand() - 1) * 0.2;
    out[i] = f32ToF16(v) | (r >= 0.2 && r < 0.21 ? 0x8000 : 0); // some −0
  }
  if (n > 3) out[3] = F16R_MAX_SOURCE;
  return out;
}

describe('F16R codec (TS)', () => {
  test('every finite half with |h| < 128 has an F16R of the same value (±0 kept); the others have none', () => {
    for (const h of ALL) {
      const r = f16ToF16r(h);
      if (!HOLDS(h)) {
        assert.equal(r, undefined, `0x${h.toString(16)}`);
        continue;
      }
      assert.ok(r !== undefined, `0x${h.toString(16)}`);
      assert.ok(Object.is(f16rToF32(r), f16ToF32(h)), `0x${h.toString(16)} → 0x${r.toString(16)}: ${f16rToF32(r)} ≠ ${f16ToF32(h)}`);
      // no F16R made is subnormal: exponent 0 only for ±0
      if ((r & 0x7c00) === 0) assert.equal(r & 0x3ff, 0, `0x${h.toString(16)}`);
    }
    assert.equal(f16ToF32(F16R_MAX_SOURCE), 127.9375);
  });
});

let h: KernelHarness;
before(async () => {
  h = await KernelHarness.create({ pages: 64 });
});

describe('recode_f16_f16r (WASM)', () => {
  test('recodes all the halves F16R holds as the TS codec does (vector body and scalar tail)', () => {
    const src = ALL.filter(HOLDS);
    for (const n of [src.length, src.length - 3]) {
      h.reset();
      const ptr = h.put(src.subarray(0, n));
      assert.equal(h.k.recode_f16_f16r(ptr, n), 1);
      const got = new Uint16Array(h.bytes(ptr, 2 * n).slice().buffer);
      for (let i = 0; i < n; i++) assert.equal(got[i], f16ToF16r(src[i]), `0x${src[i].toString(16)}`);
    }
  });

  test('refuses a matrix with one half it cannot hold (|h| ≥ 128, ±inf, NaN) and leaves it untouched', () => {
    const rand = mulberry32(5);
    for (const bad of [0x5800, 0xd800, 0x7bff, 0x7c00, 0xfc00, 0x7e00]) {
      for (const at of [0, 9, 40, 42]) {
        h.reset();
        const w = halfWeights(rand, 43); // 5 vectors of 8 + a tail of 3
        w[at] = bad;
        const ptr = h.put(w);
        assert.equal(h.k.recode_f16_f16r(ptr, w.length), 0, `0x${bad.toString(16)} at ${at}`);
        exact(new Uint16Array(h.bytes(ptr, 2 * w.length).slice().buffer), w, `untouched (0x${bad.toString(16)} at ${at})`);
      }
    }
  });
});

describe('F16R kernels = F16 kernels on the weights they were made from, bit for bit', () => {
  /** The same halves twice in wasm memory: as F16, and recoded to F16R by the kernel. */
  function twin(w: Uint16Array): { f16: number; f16r: number } {
    const f16 = h.put(w);
    const f16r = h.put(w);
    assert.equal(h.k.recode_f16_f16r(f16r, w.length), 1);
    return { f16, f16r };
  }

  test('matvec (plain and prepared), GEMM, get_rows: tails, row ranges, subnormal weights', () => {
    const rand = mulberry32(41);
    for (const nIn of [1, 3, 4, 17, 21, 48, 100, 257]) {
      for (const nOut of [1, 5, 13]) {
        h.reset();
        const { f16, f16r } = twin(halfWeights(rand, nOut * nIn));
        const nTok = 5;
        const xPtr = h.put(Float32Array.from({ length: nTok * nIn }, () => 3 * (2 * rand() - 1)));
        const a = h.alloc(4 * Math.max(nOut * nTok, nIn));
        const b = h.alloc(4 * Math.max(nOut * nTok, nIn));
        const label = `${nOut}×${nIn}`;

        h.k.matvec_f16_f32(a, f16, xPtr, 0, nOut, nIn);
        h.k.matvec_f16r_f32(b, f16r, xPtr, 0, 2, nIn);
        h.k.matvec_f16r_f32(b, f16r, xPtr, 2, nOut, nIn);
        exact(h.f32(b, nOut), h.f32(a, nOut), `matvec_f16r_f32 ${label}`);

        const p16 = h.alloc(4 * nIn);
        const p16r = h.alloc(4 * nIn);
        assert.equal(h.k.f16_prescale_x(p16, xPtr, nIn), 1);
        assert.equal(h.k.f16r_prescale_x(p16r, xPtr, nIn), 1);
        h.k.matvec_f16_f32_prescaled(a, f16, p16, 0, nOut, nIn);
        h.k.matvec_f16_f32_prescaled(b, f16r, p16r, 0, nOut, nIn);
        exact(h.f32(b, nOut), h.f32(a, nOut), `prepared matvec ${label}`);
        h.k.matvec_f16_f32(a, f16, xPtr, 0, nOut, nIn);
        exact(h.f32(b, nOut), h.f32(a, nOut), `prepared F16R vs plain F16 ${label}`);

        h.k.gemm_f16_f32(a, f16, xPtr, 0, nOut, nIn, nTok, 4 * nOut, 4 * nIn);
        h.k.gemm_f16r_f32(b, f16r, xPtr, 0, nOut, nIn, nTok, 4 * nOut, 4 * nIn);
        exact(h.f32(b, nOut * nTok), h.f32(a, nOut * nTok), `gemm ${label}`);
        // on planes: the widened rows of F16R are the F16 ones
        const planes = h.alloc(PLANES_BYTES(nIn, nTok));
        if (h.k.prepare_planes_f32(planes, xPtr, nIn, nTok, 4 * nIn) === 1) {
          h.k.gemm_f16r_f32_planes(b, f16r, planes, 0, nOut, nIn, nTok, 4 * nOut, 0);
          exact(h.f32(b, nOut * nTok), h.f32(a, nOut * nTok), `gemm on planes ${label}`);
        }

        // two tokens at once (batched steps), on F16 and on F16R: the prepared matvec's bits per token
        for (const [w, prescale] of [[f16, 'f16_prescale_x'], [f16r, 'f16r_prescale_x']] as const) {
          const q0 = h.alloc(4 * nIn);
          const q1 = h.alloc(4 * nIn);
          assert.equal(h.k[prescale](q0, xPtr, nIn), 1);
          assert.equal(h.k[prescale](q1, xPtr + 4 * nIn, nIn), 1);
          const o0 = h.alloc(4 * nOut);
          const o1 = h.alloc(4 * nOut);
          h.k.matvec2_f16_f32_prescaled(o0, o1, w, q0, q1, 0, 1, nIn);
          h.k.matvec2_f16_f32_prescaled(o0, o1, w, q0, q1, 1, nOut, nIn);
          h.k.matvec_f16_f32_prescaled(a, w, q0, 0, nOut, nIn);
          h.k.matvec_f16_f32_prescaled(b, w, q1, 0, nOut, nIn);
          exact(h.f32(o0, nOut), h.f32(a, nOut), `matvec2 token 0 ${prescale} ${label}`);
          exact(h.f32(o1, nOut), h.f32(b, nOut), `matvec2 token 1 ${prescale} ${label}`);
        }

        for (let r = 0; r < nOut; r++) {
          h.k.get_rows_f16(a, f16, r, nIn);
          h.k.get_rows_f16r(b, f16r, r, nIn);
          exact(h.f32(b, nIn), h.f32(a, nIn), `get_rows row ${r} ${label}`);
        }
      }
    }
  });

  test('dt_proj + softplus (plain and prepared, four-row groups)', () => {
    const rand = mulberry32(43);
    for (const dtRank of [1, 3, 4, 17, 48]) {
      for (const dInner of [1, 4, 9]) {
        h.reset();
        const { f16, f16r } = twin(halfWeights(rand, dInner * dtRank));
        const xPtr = h.put(Float32Array.from({ length: dtRank }, () => 2 * (2 * rand() - 1)));
        const bPtr = h.put(Float32Array.from({ length: dInner }, () => 3 * (2 * rand() - 1)));
        const a = h.alloc(4 * dInner);
        const b = h.alloc(4 * dInner);
        const label = `${dInner}×${dtRank}`;
        h.k.ssm_dt_proj_softplus_f16_f32(a, f16, xPtr, bPtr, 0, dInner, dtRank);
        h.k.ssm_dt_proj_softplus_f16r_f32(b, f16r, xPtr, bPtr, 0, dInner, dtRank);
        exact(h.f32(b, dInner), h.f32(a, dInner), `ssm_dt_proj_softplus_f16r_f32 ${label}`);
        const prep = h.alloc(4 * dtRank);
        assert.equal(h.k.f16r_prescale_x(prep, xPtr, dtRank), 1);
        h.k.ssm_dt_proj_softplus_f16_f32_prescaled(b, f16r, prep, bPtr, 0, dInner, dtRank);
        exact(h.f32(b, dInner), h.f32(a, dInner), `prepared dt_proj on F16R ${label}`);
      }
    }
  });

  test('f16r_prescale_x refuses an x whose scaling would overflow (|x| ≥ 2^25) or NaN', () => {
    for (const bad of [2 ** 25, -1e30, Number.NaN, -Infinity]) {
      for (const at of [0, 5, 16]) {
        h.reset();
        const x = new Float32Array(17).fill(0.5);
        x[at] = bad;
        assert.equal(h.k.f16r_prescale_x(h.alloc(4 * 17), h.put(x), 17), 0, `x[${at}] = ${bad}`);
      }
    }
    h.reset();
    // |x| just below 2^25 is taken (2^15 ≤ |x| here: F16's prescale refuses it)
    const x = h.put(new Float32Array(17).fill(33554430));
    assert.equal(h.k.f16r_prescale_x(h.alloc(4 * 17), x, 17), 1);
    assert.equal(h.k.f16_prescale_x(h.alloc(4 * 17), x, 17), 0);
  });
});
