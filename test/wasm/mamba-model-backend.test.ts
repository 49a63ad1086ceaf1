/** MambaModel's backend choice: WASM (threaded where the model is wide enough) by default, the scalar reference on request. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BACKEND, MambaModel, type BackendName } from '../../src/engine/mamba-model.js';
import { UsageError } from '../../src/errors.js';
import { openModel } from '../../src/node/open-model.js';
import { nodeKernelWorkerFactory } from '../../src/node/worker-pool.js';
import { fixture } from '../helpers/paths.js';

async function load(backend?: BackendName, threads?: number): Promise<MambaModel> {
  const file = await openModel(fixture('models', 'tiny', 'hf'));
  try {
    return await MambaModel.fromModelFile(file, { ...(backend ? { backend } : {}), threads, autoThreads: 4, workerFactory: nodeKernelWorkerFactory });
  } finally {
    await file.close();
  }
}

async function generate(model: MambaModel, prompt: string, sampling: object): Promise<number[]> {
  for await (const ev of model.generate(prompt, { maxTokens: 16, sampling, stopAtEos: false })) if (ev.type === 'end') return ev.tokens;
  throw new Error('no end event');
}

test('default backend is wasm-threads (Node ≥ 20 has WebAssembly SIMD and shared memory)', async () => {
  assert.equal(DEFAULT_BACKEND, 'wasm-threads');
  // the tiny model (d_inner 128) is too narrow for automatic threads: one thread, no workers
  const auto = await load();
  assert.deepEqual([auto.backend.name, auto.nThreads], ['wasm', 1]);
  const threaded = await load(undefined, 2);
  assert.deepEqual([threaded.backend.name, threaded.nThreads], ['wasm-threads', 2]);
  await threaded.dispose();
  const forced = await load('wasm-threads', 3);
  assert.deepEqual([forced.backend.name, forced.nThreads], ['wasm-threads', 3]);
  await forced.dispose();
  assert.equal((await load('scalar')).backend.name, 'scalar');
  await assert.rejects(load('wasm', 2), (e: unknown) => e instanceof UsageError && /wasm backend runs on one thread/.test(e.message));
});

test('both backends generate the same tokens (greedy and seeded sampling)', async () => {
  const [wasm, scalar] = [await load('wasm'), await load('scalar')];
  for (const sampling of [{ temperature: 0 }, { temperature: 0.8, topK: 0, topP: 1, minP: 0, seed: 3 }]) {
    assert.deepEqual(await generate(wasm, 'First Citizen:', sampling), await generate(scalar, 'First Citizen:', sampling), JSON.stringify(sampling));
  }
});

test('an unknown backend is a usage error', async () => {
  await assert.rejects(load('gpu' as BackendName), (e: unknown) => e instanceof UsageError && /supported: scalar, wasm, wasm-threads/.test(e.message));
});
