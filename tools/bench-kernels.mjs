#!/usr/bin/env node
/**
 * Quick micro-benchmark of the WASM kernels (one thread): memory bandwidth of the F32/F16 matvec (GB/s of
 * weights streamed) and the integer dot throughput of the Q8_0/Q4_0 matvecs (GMAC/s), on matrices larger
 * than the caches; the k-quant and ternary matvecs (Q8_K activations) too. Optionally the time per token of a model (`--model FILE.gguf`). A few seconds in all.
 *
 *   npm run build && node tools/bench-kernels.mjs [--rows 4096] [--cols 4096] [--reps 5] [--model m.gguf]
 */
import { parseArgs } from 'node:util';
import { instantiateKernels, loadKernelModule } from '../dist/src/wasm/kernel-module.js';
import { KERNEL_RESERVED_BYTES } from '../dist/src/wasm/wasm-arena.js';

const { values: opts } = parseArgs({
  options: { rows: { type: 'string', default: '4096' }, cols: { type: 'string', default: '4096' }, reps: { type: 'string', default: '5' }, model: { type: 'string' } },
});
const nOut = Number(opts.rows);
const nIn = Number(opts.cols);
const reps = Number(opts.reps);

const TYPES = [
  { type: 'F32', kernel: 'matvec_f32_f32', rowBytes: 4 * nIn, quantize: null },
  { type: 'F16', kernel: 'matvec_f16_f32', rowBytes: 2 * nIn, quantize: null },
  { type: 'Q8_0', kernel: 'matvec_q8_0_q8_0', rowBytes: (nIn / 32) * 34, quantize: 'quantize_row_q8_0' },
  { type: 'Q4_0', kernel: 'matvec_q4_0_q8_0', rowBytes: (nIn / 32) * 18, quantize: 'quantize_row_q8_0' },
  // nIn % 256 == 0
  { type: 'Q4_K', kernel: 'matvec_q4_k_q8_k', rowBytes: (nIn / 256) * 144, quantize: 'quantize_row_q8_k' },
  { type: 'Q6_K', kernel: 'matvec_q6_k_q8_k', rowBytes: (nIn / 256) * 210, quantize: 'quantize_row_q8_k' },
  { type: 'TQ1_0', kernel: 'matvec_tq1_0_q8_k', rowBytes: (nIn / 256) * 54, quantize: 'quantize_row_q8_k' },
  { type: 'TQ2_0', kernel: 'matvec_tq2_0_q8_k', rowBytes: (nIn / 256) * 66, quantize: 'quantize_row_q8_k' },
];

const maxBytes = Math.max(...TYPES.map((t) => t.rowBytes)) * nOut;
const total = KERNEL_RESERVED_BYTES + maxBytes + 4 * nIn + (nIn / 256) * 292 + 4 * nOut + 1024;
const pages = Math.ceil(total / 65536);
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
const k = await instantiateKernels(await loadKernelModule({ shared: false }), memory);
const wPtr = KERNEL_RESERVED_BYTES;
const xPtr = wPtr + maxBytes;
const xqPtr = xPtr + 4 * nIn;
const outPtr = xqPtr + (nIn / 256) * 292 + 64;

// Weights: random bytes with sane F16 scales / halves (no inf/NaN); x: uniform [-1, 1].
let seed = 1;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const w = new Uint8Array(memory.buffer, wPtr, maxBytes);
for (let i = 0; i < w.length; i++) w[i] = (rand() * 256) & 0x3b; // keeps F16 exponents small, Q scales finite
const x = new Float32Array(memory.buffer, xPtr, nIn);
for (let i = 0; i < nIn; i++) x[i] = 2 * rand() - 1;

function time(fn) {
  fn(); // warm-up
  const t = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return Math.min(...t);
}

console.log(`matvec ${nOut}×${nIn}, best of ${reps}, one thread`);
for (const t of TYPES) {
  const ms = time(() => {
    if (t.quantize) k[t.quantize](xqPtr, xPtr, nIn);
    k[t.kernel](outPtr, wPtr, t.quantize ? xqPtr : xPtr, 0, nOut, nIn);
  });
  const gbs = (t.rowBytes * nOut) / (ms * 1e6);
  const gmacs = (nOut * nIn) / (ms * 1e6);
  console.log(`${t.kernel.padEnd(18)} ${ms.toFixed(2).padStart(7)} ms  ${gbs.toFixed(2).padStart(6)} GB/s of weights  ${gmacs.toFixed(2).padStart(6)} GMAC/s`);
}

if (opts.model) {
  const { openModel } = await import('../dist/src/node/open-model.js');
  const { WasmBackend } = await import('../dist/src/wasm/wasm-backend.js');
  const file = await openModel(opts.model);
  const backend = await WasmBackend.create(file);
  await file.close();
  const state = backend.createState();
  const logits = new Float32Array(backend.config.nVocab);
  const n = 8;
  backend.step(1, state, logits);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) backend.step((i * 97) % backend.config.nVocab, state, logits);
  const ms = (performance.now() - t0) / n;
  const mb = backend.memoryReport.regions.weights / 2 ** 20;
  console.log(`${opts.model}: ${ms.toFixed(1)} ms/token (${(1000 / ms).toFixed(1)} tokens/s), weights ${mb.toFixed(0)} MiB, wasm memory ${(backend.memoryReport.totalBytes / 2 ** 20).toFixed(0)} MiB`);
}
