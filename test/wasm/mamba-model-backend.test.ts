/** MambaModel's backend choice: WASM by default where SIMD exists, the scalar reference on request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BACKEND, MambaModel, type BackendName } from '../../src/engine/mamba-model.js';
import { UsageError } from '../../src/errors.js';
import { openModel } from '../../src/node/open-model.js';
import { fixture } from '../helpers/paths.js';

async function load(backend?: BackendName): Promise<MambaModel> {
  const file = await openModel(fixture('models', 'tiny', 'hf'));
  try {
    return await MambaModel.fromModelFile(file, backend ? { backend } : {});
  } finally {
    await file.close();
  }
}

async function generate(model: MambaModel, prompt: string, sampling: object): Promise<number[]> {
  for await (const ev of model.generate(prompt, { maxTokens: 16, sampling, stopAtEos: false })) if (ev.type === 'end') return ev.tokens;
  throw new Error('no end event');
}

test('default backend is wasm (Node ≥ 20 has WebAssembly SIMD)', async () => {
  assert.equal(DEFAULT_BACKEND, 'wasm');
  assert.equal((await load()).backend.name, 'wasm');
  assert.equal((await load('scalar')).backend.name, 'scalar');
});

test('both backends generate the same tokens (greedy and seeded sampling)', async () => {
  const [wasm, scalar] = [await load('wasm'), await load('scalar')];
  for (const sampling of [{ temperature: 0 }, { temperature: 0.8, topK: 0, topP: 1, minP: 0, seed: 3 }]) {
    assert.deepEqual(await generate(wasm, 'First Citizen:', sampling), await generate(scalar, 'First Citizen:', sampling), JSON.stringify(sampling));
  }
});

test('an unknown backend is a usage error', async () => {
  await assert.rejects(load('gpu' as BackendName), (e: unknown) => e instanceof UsageError && /supported: scalar, wasm/.test(e.message));
});
