/**
 * Scalar oracles for the WASM kernels: plain loops in f64 on the same inputs, each returning the expected
 * outputs and the scale its tolerance is measured against (tolerances.ts). Weights are decoded by the
 * project's reference codec (src/ggml/dequantize.ts), exactly as the scalar backend decodes them; the
 * Mamba step oracles follow src/engine/mamba-reference.ts line by line.
 */
import { QK4_0, QK8_0, Q4_0_BLOCK_BYTES, Q8_0_BLOCK_BYTES, dequantize } from '../../src/ggml/dequantize.js';
import { f16ToF32, f32ToF16 } from '../../src/ggml/f16.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { silu, softplus } from '../../src/engine/reference-ops.js';
import { dequantizeQ8_K, Q8_K_BLOCK_BYTES, quantizeQ8_K } from '../../src/quant/q8_k.js';
import { QK_K } from '../../src/quant/qk-k.js';
import { quantize } from '../../src/quant/quantize.js';
import { QUANT_TRAITS } from '../../src/quant/quant-traits.js';
import { f16ToF16r, f16rToF32 } from '../../src/wasm/f16r.js';
import { deinterleaveRows, interleaveRows } from '../../src/wasm/interleave-rows.js';
import { WEIGHT_KERNELS, type FileWeightType, type WasmWeightType } from '../../src/wasm/weight-kernels.js';

const fr = Math.fround;

export interface OracleResult {
  want: Float64Array;
  scale: Float64Array;
}

/** Round half to even (f32x4.nearest). */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** ggml's quantize_row_q8_0 in f32 arithmetic: d = amax/127, q = round(x · (1/d)) (ties to even), d as F16. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const nBlocks = x.length / QK8_0;
  const out = new Uint8Array(nBlocks * Q8_0_BLOCK_BYTES);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nBlocks; b++) {
    let amax = 0;
    for (let j = 0; j < QK8_0; j++) amax = Math.max(amax, Math.abs(x[b * QK8_0 + j]));
    const d = fr(amax / 127);
    const id = d !== 0 ? fr(1 / d) : 0;
    dv.setUint16(b * Q8_0_BLOCK_BYTES, f32ToF16(d), true);
    for (let j = 0; j < QK8_0; j++) dv.setInt8(b * Q8_0_BLOCK_BYTES + 2 + j, roundHalfEven(fr(x[b * QK8_0 + j] * id)));
  }
  return out;
}

/** ggml's quantize_row_q4_0_ref: d = (signed value of max |x|) / −8, q = min(15, trunc(x/d + 8.5)). */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  const nBlocks = x.length / QK4_0;
  const out = new Uint8Array(nBlocks * Q4_0_BLOCK_BYTES);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nBlocks; b++) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK4_0; j++) {
      const v = x[b * QK4_0 + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fr(max / -8);
    const id = d !== 0 ? fr(1 / d) : 0;
    dv.setUint16(b * Q4_0_BLOCK_BYTES, f32ToF16(d), true);
    for (let j = 0; j < QK4_0 / 2; j++) {
      const q0 = Math.min(15, Math.trunc(fr(fr(x[b * QK4_0 + j] * id) + 8.5)));
      const q1 = Math.min(15, Math.trunc(fr(fr(x[b * QK4_0 + QK4_0 / 2 + j] * id) + 8.5)));
      out[b * Q4_0_BLOCK_BYTES + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

/**
 * F32 values → bytes of `type` (the quantized types need length % 32, or % 256 for the k-quants and ternary, == 0).
 * Q4_0X2 and Q8_0X4 interleave rows, so they need the row length `nIn` (zero rows pad the last group).
 */
export function encodeAs(type: WasmWeightType, x: Float32Array, nIn?: number): Uint8Array {
  switch (type) {
    case 'F32':
      return new Uint8Array(x.slice().buffer);
    case 'F16': {
      const out = new Uint8Array(2 * x.length);
      const dv = new DataView(out.buffer);
      for (let i = 0; i < x.length; i++) dv.setUint16(2 * i, f32ToF16(x[i]), true);
      return out;
    }
    case 'F16R': {
      // the F16 encoding, re-encoded as the backend does at load (src/wasm/f16r.ts); needs |x| < 128
      const out = encodeAs('F16', x);
      const u16 = new Uint16Array(out.buffer);
      for (let i = 0; i < u16.length; i++) {
        const r = f16ToF16r(u16[i]);
        if (r === undefined) throw new RangeError(`F16R holds |x| < 128 only, not ${x[i]}`);
        u16[i] = r;
      }
      return out;
    }
    case 'Q8_0':
      return quantizeQ8_0(x);
    case 'Q4_0':
      return quantizeQ4_0(x);
    case 'Q4_0X2':
    case 'Q8_0X4': {
      if (nIn === undefined) throw new RangeError(`${type} needs the row length`);
      return interleaveRows(type, type === 'Q4_0X2' ? quantizeQ4_0(x) : quantizeQ8_0(x), x.length / nIn, nIn);
    }
    default:
      return quantize(x, ggmlType(type)); // the project's codecs (src/quant), as `mamba-ts quantize` writes
  }
}

/** Bytes of `type` → n F32 values (Q4_0X2, Q8_0X4: rows of nIn). */
export function decodeAs(type: WasmWeightType, bytes: Uint8Array, n: number, nIn?: number): Float32Array {
  if (type === 'F16R') return Float32Array.from(new Uint16Array(bytes.buffer, bytes.byteOffset, n), f16rToF32);
  if (type === 'Q4_0X2' || type === 'Q8_0X4') {
    if (nIn === undefined) throw new RangeError(`${type} needs the row length`);
    return dequantize(deinterleaveRows(type, bytes, n / nIn, nIn), ggmlType(type === 'Q4_0X2' ? 'Q4_0' : 'Q8_0'), n);
  }
  return dequantize(bytes, ggmlType(type), n);
}

/** x quantized to Q8_K (the TS codec, ggml's quantize_row_q8_K_ref). */
export function quantizeQ8_KBytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / QK_K) * Q8_K_BLOCK_BYTES);
  quantizeQ8_K(x, out);
  return out;
}

/** The activation a matvec of this weight type sees: x itself, or x quantized to Q8_0 / Q8_K and decoded. */
export function effectiveActivation(type: WasmWeightType, x: Float32Array): Float32Array {
  switch (WEIGHT_KERNELS[type].activation) {
    case 'F32':
      return x;
    case 'Q8_0':
      return decodeAs('Q8_0', quantizeQ8_0(x), x.length);
    case 'Q8_K': {
      const out = new Float32Array(x.length);
      dequantizeQ8_K(quantizeQ8_KBytes(x), out);
      return out;
    }
  }
}

/** Byte offsets of the F16 scales in a block of the Q8_K-activation types: [d, dmin (Q4_K only)]. */
const K_SCALE_OFFSETS: Partial<Record<FileWeightType, readonly number[]>> = { Q4_K: [0, 2], Q6_K: [208], TQ1_0: [52], TQ2_0: [64] };

/**
 * Integer levels of a k-quant / ternary matrix: the codec's decode of a copy whose block scales are set to
 * (d = 1, dmin = 0), i.e. sc·q (Q4_K), scale·(q − 32) (Q6_K), the trits (TQ1_0, TQ2_0) — exact small integers;
 * and for Q4_K (d = 0, dmin = 1): −m of each weight's sub-block.
 */
function integerLevels(type: FileWeightType, w: Uint8Array, n: number, d: number, dmin: number): Float32Array {
  const tr = QUANT_TRAITS[type]!;
  const offs = K_SCALE_OFFSETS[type]!;
  const copy = w.slice();
  const dv = new DataView(copy.buffer);
  for (let b = 0; b < copy.length / tr.blockBytes; b++) {
    dv.setUint16(b * tr.blockBytes + offs[0], f32ToF16(d), true);
    if (offs.length > 1) dv.setUint16(b * tr.blockBytes + offs[1], f32ToF16(dmin), true);
  }
  return decodeAs(type, copy, n);
}

/**
 * ggml's vec_dot_<type>_q8_K as our kernels compute it, in TS with every float operation rounded to f32:
 * per 256-block the exact integer sums sumi = Σ level·q8 (and for Q4_K summ = Σ m·q8, which the kernel takes
 * from Q8_K's bsums), then acc += (dx·d)·sumi − (dx·dmin)·summ (Q4_K), acc += (dx·d)·sumi (Q6_K),
 * acc += sumi·(d·dx) (TQ1_0, TQ2_0), block after block. The kernels must match it bit for bit.
 */
export function ggmlDotQ8_K(type: FileWeightType, w: Uint8Array, xq: Uint8Array, nOut: number, nIn: number): Float32Array {
  const tr = QUANT_TRAITS[type]!;
  const offs = K_SCALE_OFFSETS[type]!;
  const levels = integerLevels(type, w, nOut * nIn, 1, 0);
  const mins = type === 'Q4_K' ? integerLevels(type, w, nOut * nIn, 0, 1) : undefined;
  const xv = new DataView(xq.buffer, xq.byteOffset, xq.byteLength);
  const wv = new DataView(w.buffer, w.byteOffset, w.byteLength);
  const nBlocks = nIn / QK_K;
  const out = new Float32Array(nOut);
  for (let r = 0; r < nOut; r++) {
    let acc = 0;
    for (let b = 0; b < nBlocks; b++) {
      const wb = (r * nBlocks + b) * tr.blockBytes;
      const dx = xv.getFloat32(b * Q8_K_BLOCK_BYTES, true);
      let sumi = 0;
      let summ = 0;
      for (let j = 0; j < QK_K; j++) {
        const q8 = xv.getInt8(b * Q8_K_BLOCK_BYTES + 4 + j);
        const i = r * nIn + b * QK_K + j;
        sumi += levels[i] * q8;
        if (mins) summ += -mins[i] * q8;
      }
      const d = f16ToF32(wv.getUint16(wb + offs[0], true));
      if (type === 'Q4_K') {
        const dmin = f16ToF32(wv.getUint16(wb + offs[1], true));
        acc = fr(acc + fr(fr(fr(dx * d) * fr(sumi)) - fr(fr(dx * dmin) * fr(summ))));
      } else if (type === 'Q6_K') acc = fr(acc + fr(fr(dx * d) * fr(sumi)));
      else acc = fr(acc + fr(fr(sumi) * fr(d * dx)));
    }
    out[r] = acc;
  }
  return out;
}

/** out = W · x (+ bias) over rows [0, nOut); scale = Σ|w·x| (+ |bias|). */
export function matvecOracle(w: Float32Array, x: Float32Array, nOut: number, nIn: number, bias?: Float32Array): OracleResult {
  const want = new Float64Array(nOut);
  const scale = new Float64Array(nOut);
  for (let r = 0; r < nOut; r++) {
    let s = bias ? bias[r] : 0;
    let a = bias ? Math.abs(bias[r]) : 0;
    for (let i = 0; i < nIn; i++) {
      s += w[r * nIn + i] * x[i];
      a += Math.abs(w[r * nIn + i] * x[i]);
    }
    want[r] = s;
    scale[r] = a;
  }
  return { want, scale };
}

/** out = x · rsqrt(mean(x²) + eps) · w; scale = |out| (+ a tiny floor). */
export function rmsNormOracle(x: Float32Array, w: Float32Array, eps: number): OracleResult {
  let ss = 0;
  for (let i = 0; i < x.length; i++) ss += x[i] * x[i];
  const k = 1 / Math.sqrt(ss / x.length + fr(eps));
  const want = Float64Array.from(x, (v, i) => v * k * w[i]);
  return { want, scale: want.map((v) => Math.abs(v) + 1e-30) };
}

/** Conv step (mamba-reference.ts mixerStep): returns the SiLU outputs (scale: Σ|terms|) and the new state. */
export function convStepOracle(x: Float32Array, state: Float32Array, w: Float32Array, bias: Float32Array | undefined, dInner: number, dConv: number): OracleResult & { state: Float32Array } {
  const k = dConv - 1;
  const want = new Float64Array(dInner);
  const scale = new Float64Array(dInner);
  const st = state.slice();
  for (let d = 0; d < dInner; d++) {
    let s = bias ? bias[d] : 0;
    let a = bias ? Math.abs(bias[d]) : 0;
    for (let j = 0; j < k; j++) {
      s += st[d * k + j] * w[d * dConv + j];
      a += Math.abs(st[d * k + j] * w[d * dConv + j]);
    }
    s += x[d] * w[d * dConv + k];
    a += Math.abs(x[d] * w[d * dConv + k]);
    for (let j = 0; j < k - 1; j++) st[d * k + j] = st[d * k + j + 1];
    if (k > 0) st[d * k + k - 1] = x[d];
    want[d] = silu(s);
    scale[d] = a + Math.abs(want[d]);
  }
  return { want, scale, state: st };
}

/** dt = softplus(W·x + bias) (W, x: the decoded weights and the activation the kernel sees). */
export function dtProjOracle(w: Float32Array, x: Float32Array, bias: Float32Array, dInner: number, dtRank: number): OracleResult {
  const m = matvecOracle(w, x, dInner, dtRank, bias);
  const want = m.want.map((s) => softplus(s));
  return { want, scale: m.scale.map((a, i) => a + Math.abs(want[i])) };
}

/**
 * Scan step: new state h (dInner, dState) and y (dInner). scale(h) = |h·dA|·(1 + |dt·A|) + |x·dt·B|
 * (exp's relative error grows with its argument's rounding); scale(y) = (Σ scale(h)·|C| + |D·x|)·|silu z| + |y|.
 */
export function scanOracle(
  state: Float32Array, x: Float32Array, dt: Float32Array, A: Float32Array, B: Float32Array, C: Float32Array,
  D: Float32Array, z: Float32Array, dInner: number, dState: number, gateRelu = false,
): OracleResult & { state: Float64Array; stateScale: Float64Array } {
  const h = new Float64Array(dInner * dState);
  const hs = new Float64Array(dInner * dState);
  const want = new Float64Array(dInner);
  const scale = new Float64Array(dInner);
  for (let d = 0; d < dInner; d++) {
    let acc = 0;
    let accScale = 0;
    for (let n = 0; n < dState; n++) {
      const i = d * dState + n;
      const dA = Math.exp(dt[d] * A[i]);
      h[i] = state[i] * dA + x[d] * dt[d] * B[n];
      hs[i] = Math.abs(state[i] * dA) * (1 + Math.abs(dt[d] * A[i])) + Math.abs(x[d] * dt[d] * B[n]);
      acc += h[i] * C[n];
      accScale += hs[i] * Math.abs(C[n]);
    }
    const g = gateRelu ? Math.max(z[d], 0) : silu(z[d]);
    want[d] = (acc + D[d] * x[d]) * g;
    scale[d] = (accScale + Math.abs(D[d] * x[d])) * Math.abs(g) + Math.abs(want[d]);
  }
  return { want, scale, state: h, stateScale: hs };
}

/** All 65536 F16 bit patterns decoded by the reference codec. */
export function allHalves(): { bits: Uint16Array; values: Float32Array } {
  const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
  return { bits, values: Float32Array.from(bits, (h) => f16ToF32(h)) };
}
