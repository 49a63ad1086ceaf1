/**
 * The WASM backend against the scalar reference, end to end: logits after every token of the fixture
 * prompts, on F32 fixtures and on the same models re-encoded as F16, Q8_0, Q4_0 and a mix (both backends
 * read the same file: the scalar one dequantizes the same bytes). Tolerances: tolerances.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ForwardBackend } from '../../src/engine/forward-backend.js';
import { MambaReference } from '../../src/engine/mamba-reference.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { loadWeightsF32 } from '../../src/engine/mamba-weights.js';
import { UnsupportedError } from '../../src/errors.js';
import type { ModelFile } from '../../src/model/model-file.js';
import { openModel } from '../../src/node/open-model.js';
import { defaultResidentStates, WasmBackend } from '../../src/wasm/wasm-backend.js';
import { fixture } from '../helpers/paths.js';
import { loadReference, relativeMaxError, type ReferenceFixture } from '../helpers/reference-fixture.js';
import { Q8ActivationReference } from './q8-activation-reference.js';
import { MIXED_TYPES, retypedModel, type TypeChoice } from './quantized-model.js';
import { MODEL_TOLERANCES, Q8_ACTIVATION_TOLERANCE } from './tolerances.js';

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Both backends on one file (the file is closed after loading). */
async function loadBoth(file: ModelFile, opts: { sharedMemory?: boolean } = {}): Promise<{ scalar: MambaReference; wasm: WasmBackend; q8: Q8ActivationReference }> {
  try {
    return { scalar: new MambaReference(file.config, await loadWeightsF32(file)), wasm: await WasmBackend.create(file, opts), q8: await Q8ActivationReference.load(file) };
  } finally {
    await file.close();
  }
}

/** Feeds each prompt + its greedy continuation to both backends; the relative logit error at every position. */
function logitErrors(a: ForwardBackend, b: ForwardBackend, ref: ReferenceFixture): number[] {
  const c = a.config;
  const la = new Float32Array(c.nVocab);
  const lb = new Float32Array(c.nVocab);
  const errors: number[] = [];
  for (const p of ref.prompts) {
    const sa = new MambaState(c);
    const sb = new MambaState(c);
    for (const id of [...p.ids, ...p.greedy.ids]) {
      a.step(id, sa, la);
      b.step(id, sb, lb);
      errors.push(relativeMaxError(lb, la));
    }
  }
  return errors;
}

const worstLogitError = (a: ForwardBackend, b: ForwardBackend, ref: ReferenceFixture) => Math.max(...logitErrors(a, b, ref));

/** Greedy decoding of `nNew` tokens after a prompt, feeding the backend's own choices. */
function greedy(backend: ForwardBackend, ids: readonly number[], nNew: number): number[] {
  const state = new MambaState(backend.config);
  const logits = new Float32Array(backend.config.nVocab);
  backend.prefill(ids, state, logits);
  const out: number[] = [];
  while (out.length < nNew) {
    const id = argmax(logits);
    out.push(id);
    backend.step(id, state, logits);
  }
  return out;
}

const FIXTURES = ['tiny', 'neox-narrow'];

describe('F32 fixtures: WASM = scalar reference', () => {
  for (const name of FIXTURES) {
    test(`${name}: logits within ${MODEL_TOLERANCES.F32}, greedy tokens equal (and equal transformers')`, async () => {
      const ref = loadReference(name);
      const { scalar, wasm } = await loadBoth(await openModel(fixture('models', name, 'hf')));
      const err = worstLogitError(scalar, wasm, ref);
      if (process.env.MAMBA_TOLERANCE_REPORT) console.log(`${name} F32: worst relative logit error ${err.toExponential(2)}`);
      assert.ok(err <= MODEL_TOLERANCES.F32, `relative logit error ${err}`);
      for (const p of ref.prompts) {
        const fast = greedy(wasm, p.ids, p.greedy.n_new);
        assert.deepEqual(fast, greedy(scalar, p.ids, p.greedy.n_new), 'WASM greedy = scalar greedy');
        assert.deepEqual(fast, p.greedy.ids, 'WASM greedy = transformers greedy');
      }
    });
  }
});

const RETYPED: { label: keyof typeof MODEL_TOLERANCES; choice: TypeChoice; fixtures: string[]; expect: string[] }[] = [
  { label: 'F16', choice: 'F16', fixtures: FIXTURES, expect: ['F16'] },
  // neox-narrow's rows (8, 16) are too short for 32-blocks: the quantized files are built from tiny only
  { label: 'Q8_0', choice: 'Q8_0', fixtures: ['tiny'], expect: ['Q8_0'] },
  { label: 'Q4_0', choice: 'Q4_0', fixtures: ['tiny'], expect: ['Q4_0'] },
  { label: 'mixed', choice: MIXED_TYPES, fixtures: ['tiny'], expect: ['F16', 'Q8_0', 'Q4_0'] },
];

describe('other weight types: WASM = scalar reference on the same bytes', () => {
  for (const { label, choice, fixtures, expect } of RETYPED) {
    for (const name of fixtures) {
      test(`${name} as ${label}: logits within ${MODEL_TOLERANCES[label]} (scalar), ${Q8_ACTIVATION_TOLERANCE.typical} (scalar with Q8_0 activations)`, async () => {
        const file = await retypedModel(await openModel(fixture('models', name, 'hf')), choice, `${name}-${label}.gguf`);
        const types = new Set(file.tensors.map((t) => t.type.name));
        for (const t of expect) assert.ok(types.has(t as never), `the ${label} file has ${t} tensors (${[...types]})`);
        const { scalar, wasm, q8 } = await loadBoth(file);
        const ref = loadReference(name);
        const err = worstLogitError(scalar, wasm, ref);
        const errQ8 = logitErrors(q8, wasm, ref);
        const t = Q8_ACTIVATION_TOLERANCE;
        const flips = errQ8.filter((e) => e > t.typical);
        if (process.env.MAMBA_TOLERANCE_REPORT) {
          console.log(`${name} ${label}: worst relative logit error ${err.toExponential(2)}; vs the Q8_0-activation oracle ${Math.max(...errQ8).toExponential(2)} (${flips.length} of ${errQ8.length} positions above ${t.typical})`);
        }
        assert.ok(err <= MODEL_TOLERANCES[label], `relative logit error ${err}`);
        assert.ok(Math.max(...errQ8) <= t.flip, `relative logit error vs the Q8_0-activation oracle ${Math.max(...errQ8)}`);
        assert.ok(flips.length <= t.flipFraction * errQ8.length, `${flips.length} of ${errQ8.length} positions above ${t.typical} vs the Q8_0-activation oracle`);
      });
    }
  }
});

/** Two backends of one model give the same logits and state bits on tiny's first prompt, stepped and prefilled. */
function sameBitsStepsAndPrefill(a: WasmBackend, b: WasmBackend): void {
  const ids = loadReference('tiny').prompts[0].ids;
  for (const mode of ['step', 'prefill'] as const) {
    const [x, y] = [a, b].map((backend) => {
      const state = new MambaState(backend.config);
      const logits = new Float32Array(backend.config.nVocab);
      if (mode === 'prefill') backend.prefill(ids, state, logits);
      else for (const id of ids) backend.step(id, state, logits);
      return { logits, state: state.data };
    });
    assert.deepEqual(x.logits, y.logits, mode);
    assert.deepEqual(x.state, y.state, mode);
  }
}

describe('F16 matrices as F16R (src/wasm/f16r.ts)', () => {
  test('recoded where every |w| < 128 (one matrix with a 200 stays F16): the same bits as all F16, steps and prefill', async () => {
    const file = await retypedModel(await openModel(fixture('models', 'tiny', 'hf')), 'F16', 'tiny-F16-edited.gguf', (name, v) => {
      if (name === 'blk.0.ssm_out.weight') v[5] = 200;
      if (name.endsWith('ssm_in.weight') || name === 'token_embd.weight') v.set([3e-7, -1e-6, 6e-5], 1); // F16 subnormals
    });
    const recoded = await WasmBackend.create(file);
    const kept = await WasmBackend.create(file, { recodeF16: false });
    await file.close();
    const types = recoded.matrixTypes();
    assert.equal(types['blk.0.ssm_out.weight'], 'F16');
    assert.equal(types['blk.1.ssm_out.weight'], 'F16R');
    assert.equal(types['token_embd.weight'], 'F16R');
    assert.equal(types['blk.0.ssm_in.weight'], 'F16R');
    assert.deepEqual(new Set(Object.values(kept.matrixTypes())), new Set(['F16']));
    sameBitsStepsAndPrefill(recoded, kept);
  });
});

describe('Q4_0 and Q8_0 matrices interleaved (src/wasm/interleave-rows.ts)', () => {
  for (const [fileType, form, group] of [['Q4_0', 'Q4_0X2', 2], ['Q8_0', 'Q8_0X4', 4]] as const) {
    test(`${fileType} rows in groups of ${group} at load (${form}): the same bits as ${fileType}, steps and prefill`, async () => {
      const file = await retypedModel(await openModel(fixture('models', 'tiny', 'hf')), fileType, `tiny-${form}.gguf`);
      const names = file.tensors.filter((t) => t.type.name === fileType).map((t) => t.name);
      assert.ok(names.length > 0, `the file has ${fileType} matrices`);
      const grouped = await WasmBackend.create(file);
      const kept = await WasmBackend.create(file, { interleaveRows: false });
      await file.close();
      const types = grouped.matrixTypes();
      for (const name of names) assert.equal(types[name], file.tensor(name)!.shape[0] % group === 0 ? form : fileType, name);
      assert.ok(Object.values(types).includes(form));
      assert.ok(!Object.values(kept.matrixTypes()).includes(form));
      sameBitsStepsAndPrefill(grouped, kept);
    });
  }
});

describe('state, prefill and memory', () => {
  test('a wasm-resident state, a copied state, prefill and a plain memory give the same bits', async () => {
    const ids = loadReference('tiny').prompts[0].ids;
    const file = await openModel(fixture('models', 'tiny', 'hf'));
    const wasm = await WasmBackend.create(file, { residentStates: 1 });
    const plain = await WasmBackend.create(file, { sharedMemory: false });
    await file.close();
    assert.equal(wasm.memoryReport.shared, true);
    assert.equal(plain.memoryReport.shared, false);
    const n = wasm.config.nVocab;
    const run = (b: WasmBackend, state: MambaState, mode: 'step' | 'prefill') => {
      const logits = new Float32Array(n);
      if (mode === 'prefill') b.prefill(ids, state, logits);
      else for (const id of ids) b.step(id, state, logits);
      return { logits, state: state.data.slice() };
    };
    const resident = wasm.createState();
    assert.equal(resident.data.buffer, wasm.memory.buffer);
    const a = run(wasm, resident, 'step');
    const b = run(wasm, new MambaState(wasm.config), 'step');
    const c = run(wasm, new MambaState(wasm.config), 'prefill');
    const d = run(plain, new MambaState(plain.config), 'prefill');
    for (const [label, x] of [['copied state', b], ['prefill', c], ['plain memory', d]] as const) {
      assert.deepEqual(x.logits, a.logits, label);
      assert.deepEqual(x.state, a.state, label);
    }
    assert.throws(() => wasm.createState(), (e: unknown) => e instanceof UnsupportedError && /residentStates/.test(e.hint ?? ''));
    assert.throws(() => wasm.step(0, new MambaState({ ...wasm.config, nLayer: 1 }), new Float32Array(n)), RangeError);
  });

  test('resident state slots: acquired zeroed until none is free, released slots come back', async () => {
    const file = await openModel(fixture('models', 'tiny', 'hf'));
    const wasm = await WasmBackend.create(file, { residentStates: 2 });
    await file.close();
    const a = wasm.acquireState()!;
    const b = wasm.acquireState()!;
    assert.ok(a && b && a.data.byteOffset !== b.data.byteOffset);
    assert.equal(wasm.acquireState(), undefined, 'both slots taken');
    const logits = new Float32Array(wasm.config.nVocab);
    wasm.step(3, a, logits);
    assert.ok(a.data.some((v) => v !== 0));
    wasm.releaseState(a);
    wasm.releaseState(new MambaState(wasm.config)); // not a slot: ignored
    const c = wasm.acquireState()!;
    assert.equal(c.data.byteOffset, a.data.byteOffset, 'the released slot is reused');
    assert.ok(c.data.every((v) => v === 0), 'and zeroed');
    assert.equal(wasm.acquireState(), undefined);
    wasm.releaseState(b);
    wasm.releaseState(c);
    await wasm.dispose();
  });

  test('stepping without logits advances the state the same way', async () => {
    const file = await openModel(fixture('models', 'tiny', 'hf'));
    const { scalar, wasm } = await loadBoth(file);
    const ids = [5, 17, 42, 100];
    const [s1, s2] = [new MambaState(wasm.config), new MambaState(wasm.config)];
    for (const id of ids) wasm.step(id, s1);
    for (const id of ids) scalar.step(id, s2);
    let err = 0;
    for (let i = 0; i < s1.data.length; i++) err = Math.max(err, Math.abs(s1.data[i] - s2.data[i]) / Math.max(1, Math.abs(s2.data[i])));
    assert.ok(err < 1e-5, `state error ${err}`);
  });

  test('the memory report adds up', async () => {
    const file = await openModel(fixture('models', 'neox-narrow', 'hf'));
    const wasm = await WasmBackend.create(file);
    await file.close();
    const r = wasm.memoryReport;
    const sum = Object.values(r.regions).reduce((x, y) => x + y, 0);
    assert.ok(sum <= r.totalBytes && r.totalBytes - sum < 65536 + 64 * 200, JSON.stringify(r));
    assert.equal(r.regions.logits, 4 * wasm.config.nVocab * wasm.maxBatch); // a row per sequence of a batched step
    assert.equal(wasm.maxBatch, 8); // the resident slots
    assert.equal(r.regions.state, 9 * 4 * MambaState.nFloats(wasm.config)); // working slot + eight resident (the default)
    // the default slots: 8 up to 64 MiB of states, fewer for big states, never none
    assert.equal(defaultResidentStates(2.67 * 2 ** 20), 8); // 130m
    assert.equal(defaultResidentStates(4 * 64 * 5120 * 19), 2); // 2.8b: 24.9 MB
    assert.equal(defaultResidentStates(100 * 2 ** 20), 1);
  });
});
