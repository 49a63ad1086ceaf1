/** Every backend entry point that takes token ids refuses a bad one with a typed error, before the state changes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MambaReference } from '../../src/engine/mamba-reference.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { loadWeightsF32 } from '../../src/engine/mamba-weights.js';
import { UsageError } from '../../src/errors.js';
import { openModel } from '../../src/node/open-model.js';
import { WasmBackend } from '../../src/wasm/wasm-backend.js';
import { fixture } from '../helpers/paths.js';

const BAD = [-1, 1.5, Number.NaN, 304, 1e9];

test('step, prefill and stepBatch: bad token ids are a UsageError, and the state is untouched', async () => {
  const file = await openModel(fixture('models', 'tiny', 'hf'));
  const wasm = await WasmBackend.create(file, {});
  const ref = new MambaReference(file.config, await loadWeightsF32(file));
  await file.close();
  const nVocab = wasm.config.nVocab;
  assert.equal(nVocab, 304);
  for (const b of [wasm, ref]) {
    const state = new MambaState(b.config);
    b.prefill([1, 2, 3], state);
    const before = Float32Array.from(state.data);
    const logits = new Float32Array(nVocab);
    for (const id of BAD) {
      const isOutOfRange = (e: unknown) => e instanceof UsageError && /out of range \(vocabulary of 304\)/.test(e.message);
      assert.throws(() => b.step(id, state, logits), isOutOfRange, `${b.name} step ${id}`);
      assert.throws(() => b.prefill([5, 6, id], state, logits), isOutOfRange, `${b.name} prefill ${id}`);
      assert.deepEqual(state.data, before, `${b.name}: the state is untouched after ${id}`);
    }
    b.step(nVocab - 1, state, logits); // the last id is fine
  }
  const s1 = wasm.createState();
  const s2 = wasm.createState();
  const l = new Float32Array(nVocab);
  assert.throws(() => wasm.stepBatch(2, [7, 999], [s1, s2], [l, l]), UsageError);
  assert.ok(s1.data.every((v) => v === 0), 'the first sequence was not stepped either');
});

test('MambaModel.feed: a bad id (its backend refuses it) leaves the sequence as it was', async () => {
  const { loadModel } = await import('../../src/node/load-model.js');
  for (const backend of ['wasm', 'scalar'] as const) {
    const model = await loadModel(fixture('models', 'tiny', 'hf'), { backend });
    const seq = model.newSequence();
    model.feed(seq, [1, 2, 3]);
    const state = Float32Array.from(seq.state.data);
    const tokens = [...seq.tokens];
    for (const id of BAD) {
      assert.throws(() => model.feed(seq, [4, id]), (e) => e instanceof UsageError && /out of range/.test(e.message), `${backend} ${id}`);
      assert.deepEqual([...seq.tokens], tokens);
      assert.deepEqual(seq.state.data, state);
    }
    await model.dispose();
  }
});
