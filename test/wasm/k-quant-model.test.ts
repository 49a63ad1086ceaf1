/**
 * Published-GGUF weight types on the WASM backend, end to end: Q4_K, Q6_K, TQ1_0, TQ2_0 (and a mix with
 * Q8_0 and F16, so both activation formats run in one token) stay in their block format in wasm memory and
 * give the scalar reference's logits on the same file. The fixtures' rows (≤ 64) are too short for 256-blocks,
 * so the model is random with d_model 256 (quantized-model.ts randomModel); dt_proj (rows of dtRank = 16)
 * falls back to F32 as in llama.cpp's files. Tolerances: tolerances.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ForwardBackend } from '../../src/engine/forward-backend.js';
import { MambaReference } from '../../src/engine/mamba-reference.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { loadWeightsF32 } from '../../src/engine/mamba-weights.js';
import type { ModelFile } from '../../src/model/model-file.js';
import { nodeKernelWorkerFactory } from '../../src/node/worker-pool.js';
import { WasmBackend } from '../../src/wasm/wasm-backend.js';
import { mulberry32 } from '../helpers/prng.js';
import { relativeMaxError } from '../helpers/reference-fixture.js';
import { Q8ActivationReference } from './q8-activation-reference.js';
import { K_QUANT_CONFIG, randomModel, retypedModel, type TypeChoice } from './quantized-model.js';
import { MODEL_TOLERANCES, Q8_ACTIVATION_TOLERANCE, THREADS_AND_CHUNKS_TOLERANCE } from './tolerances.js';

/** Every 256-block type on the path of one token, next to Q8_0 (Q8_0 activations) and F16 (F32 activations). */
const K_MIXED: TypeChoice = (name) => {
  if (name === 'token_embd.weight') return 'Q6_K';
  if (name === 'output.weight') return 'Q4_K';
  const first = name.startsWith('blk.0.');
  if (name.endsWith('ssm_in.weight')) return first ? 'Q4_K' : 'TQ1_0';
  if (name.endsWith('ssm_x.weight')) return first ? 'Q6_K' : 'Q8_0';
  if (name.endsWith('ssm_out.weight')) return first ? 'TQ2_0' : 'F16';
  return 'F32';
};

const CASES: { label: keyof typeof MODEL_TOLERANCES; choice: TypeChoice; expect: string[] }[] = [
  { label: 'Q4_K', choice: 'Q4_K', expect: ['Q4_K'] },
  { label: 'Q6_K', choice: 'Q6_K', expect: ['Q6_K'] },
  { label: 'TQ1_0', choice: 'TQ1_0', expect: ['TQ1_0'] },
  { label: 'TQ2_0', choice: 'TQ2_0', expect: ['TQ2_0'] },
  { label: 'k-mixed', choice: K_MIXED, expect: ['Q4_K', 'Q6_K', 'TQ1_0', 'TQ2_0', 'Q8_0', 'F16'] },
];

/** Two seeded prompts of random ids. */
const rand = mulberry32(2024);
const PROMPTS = [0, 1].map(() => Array.from({ length: 12 }, () => Math.floor(rand() * K_QUANT_CONFIG.nVocab)));

async function kFile(choice: TypeChoice, label: string): Promise<ModelFile> {
  return retypedModel(await randomModel(K_QUANT_CONFIG, 7, 'random-256.gguf'), choice, label);
}

function logitErrors(a: ForwardBackend, b: ForwardBackend): number[] {
  const c = a.config;
  const la = new Float32Array(c.nVocab);
  const lb = new Float32Array(c.nVocab);
  const errors: number[] = [];
  for (const ids of PROMPTS) {
    const sa = new MambaState(c);
    const sb = new MambaState(c);
    for (const id of ids) {
      a.step(id, sa, la);
      b.step(id, sb, lb);
      errors.push(relativeMaxError(lb, la));
    }
  }
  return errors;
}

/** Prefill of the first prompt then 3 steps: logits and state as bytes. */
function run(b: WasmBackend, mode: 'prefill' | 'step'): Buffer {
  const state = new MambaState(b.config);
  const logits = new Float32Array(b.config.nVocab);
  const out: Buffer[] = [];
  if (mode === 'prefill') b.prefill(PROMPTS[0], state, logits);
  else for (const id of PROMPTS[0]) b.step(id, state, logits);
  out.push(Buffer.from(logits.buffer.slice(0)));
  for (const id of [3, 99, 250]) {
    b.step(id, state, logits);
    out.push(Buffer.from(logits.buffer.slice(0)));
  }
  out.push(Buffer.from(state.data.buffer.slice(0)));
  return Buffer.concat(out);
}

describe('k-quant and ternary files: WASM = scalar reference on the same bytes', () => {
  for (const { label, choice, expect } of CASES) {
    test(`random d_model 256 as ${label}: logits, weights kept in their block format, prefill = steps`, async () => {
      const file = await kFile(choice, `random-256-${label}.gguf`);
      const types = new Set(file.tensors.map((t) => t.type.name));
      for (const t of expect) assert.ok(types.has(t as never), `the ${label} file has ${t} tensors (${[...types]})`);
      const fileWeightBytes = file.tensors.reduce((n, t) => n + t.nBytes, 0);
      let wasm: WasmBackend, scalar: MambaReference, q8: Q8ActivationReference;
      try {
        [wasm, scalar, q8] = await Promise.all([WasmBackend.create(file), loadWeightsF32(file).then((w) => new MambaReference(file.config, w)), Q8ActivationReference.load(file)]);
      } finally {
        await file.close();
      }
      // every tensor copied as stored: the weights take the file's bytes (+ 64-byte alignment), not F32's
      const weights = wasm.memoryReport.regions.weights;
      assert.ok(weights >= fileWeightBytes && weights < fileWeightBytes + 64 * file.tensors.length, `weights region ${weights} B, tensors in the file ${fileWeightBytes} B`);

      const err = Math.max(...logitErrors(scalar, wasm));
      const errQ8 = logitErrors(q8, wasm);
      const t = Q8_ACTIVATION_TOLERANCE;
      const flips = errQ8.filter((e) => e > t.typical);
      if (process.env.MAMBA_TOLERANCE_REPORT) {
        console.log(`random-256 ${label}: worst relative logit error ${err.toExponential(2)}; vs the Q8-activation oracle ${Math.max(...errQ8).toExponential(2)} (${flips.length} of ${errQ8.length} positions above ${t.typical}); weights ${weights} B`);
      }
      assert.ok(err <= MODEL_TOLERANCES[label], `relative logit error ${err}`);
      assert.ok(Math.max(...errQ8) <= t.flip, `relative logit error vs the Q8-activation oracle ${Math.max(...errQ8)}`);
      assert.ok(flips.length <= t.flipFraction * errQ8.length, `${flips.length} of ${errQ8.length} positions above ${t.typical} vs the Q8-activation oracle`);

      assert.equal(THREADS_AND_CHUNKS_TOLERANCE, 0);
      const want = run(wasm, 'step');
      assert.ok(run(wasm, 'prefill').equals(want), 'prefill (GEMM chunks) = steps, bit for bit');
    });
  }

  test('random d_model 256, mixed 256-block types: 2 and 3 threads give the bytes of one', async () => {
    const file = await kFile(K_MIXED, 'random-256-k-mixed.gguf');
    try {
      const want = run(await WasmBackend.create(file), 'step');
      for (const threads of [2, 3]) {
        const b = await WasmBackend.create(file, { threads, workerFactory: nodeKernelWorkerFactory, prefillChunkTokens: 5 });
        try {
          assert.ok(run(b, 'prefill').equals(want), `${threads} threads, prefill`);
          assert.ok(run(b, 'step').equals(want), `${threads} threads, steps`);
        } finally {
          await b.dispose();
        }
      }
    } finally {
      await file.close();
    }
  });
});
