/** chooseBackend: which backend and how many threads, from --backend and --threads. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND_NAMES, chooseBackend, type BackendName } from '../../src/engine/choose-backend.js';
import { UsageError } from '../../src/errors.js';

test('nothing asked: threads when automatic threads > 1, else one-thread wasm', () => {
  assert.deepEqual(chooseBackend(undefined, undefined, 2), { name: 'wasm-threads', threads: 2 });
  assert.deepEqual(chooseBackend(undefined, 0, 4), { name: 'wasm-threads', threads: 4 });
  assert.deepEqual(chooseBackend(undefined, undefined, 1), { name: 'wasm', threads: 1 });
});

test('threads given without a backend: more than one is wasm-threads, one is wasm', () => {
  assert.deepEqual(chooseBackend(undefined, 3, 1), { name: 'wasm-threads', threads: 3 });
  assert.deepEqual(chooseBackend(undefined, 1, 8), { name: 'wasm', threads: 1 });
});

test('a backend asked for is kept; wasm-threads takes the threads given, else the automatic count', () => {
  assert.deepEqual(chooseBackend('wasm-threads', undefined, 2), { name: 'wasm-threads', threads: 2 });
  assert.deepEqual(chooseBackend('wasm-threads', 5, 2), { name: 'wasm-threads', threads: 5 });
  assert.deepEqual(chooseBackend('wasm', undefined, 8), { name: 'wasm', threads: 1 });
  assert.deepEqual(chooseBackend('scalar', 0, 8), { name: 'scalar', threads: 1 });
  assert.deepEqual(chooseBackend('wasm', 1, 8), { name: 'wasm', threads: 1 });
});

test('threads for a one-thread backend, bad counts and unknown names are usage errors that say what to do', () => {
  assert.throws(() => chooseBackend('wasm', 2, 1), (e) => e instanceof UsageError && /2 threads .* wasm backend runs on one thread/.test(e.message) && /wasm-threads/.test(e.hint ?? ''));
  assert.throws(() => chooseBackend('scalar', 4, 1), (e) => e instanceof UsageError && /scalar backend runs on one thread/.test(e.message));
  for (const bad of [-1, 1.5, NaN]) assert.throws(() => chooseBackend(undefined, bad, 1), UsageError);
  assert.throws(() => chooseBackend('gpu' as BackendName, undefined, 1), (e) => e instanceof UsageError && /supported: scalar, wasm, wasm-threads/.test(e.message));
  assert.deepEqual(BACKEND_NAMES, ['scalar', 'wasm', 'wasm-threads']);
});
