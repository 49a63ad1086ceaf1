/** Loading the kernels: feature detection, the shared/plain memory import, a missing module. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { FileAccessError } from '../../src/errors.js';
import { KERNELS_URL, loadKernelModule, withSharedMemoryImport } from '../../src/wasm/kernel-module.js';
import { WASM_FEATURES } from '../../src/wasm/wasm-features.js';
import { WebAssemblyJS } from '../../src/wasm/webassembly-api.js';

test('features are detected once and frozen; Node ≥ 20 has SIMD and shared memory', () => {
  assert.ok(Object.isFrozen(WASM_FEATURES));
  assert.equal(WASM_FEATURES.simd, true);
  assert.equal(WASM_FEATURES.sharedMemory, true);
});

test('the module imports a shared memory; the patched copy a plain one', async () => {
  const bytes = await readFile(KERNELS_URL);
  const wa = WebAssemblyJS!;
  const plainMemory = () => new wa.Memory({ initial: 2, maximum: 2 });
  const sharedMemory = () => new wa.Memory({ initial: 2, maximum: 2, shared: true });
  const shared = await wa.compile(bytes);
  await wa.instantiate(shared, { env: { memory: sharedMemory() } });
  await assert.rejects(wa.instantiate(shared, { env: { memory: plainMemory() } }));
  const plain = await wa.compile(withSharedMemoryImport(bytes, false));
  await wa.instantiate(plain, { env: { memory: plainMemory() } });
  await assert.rejects(wa.instantiate(plain, { env: { memory: sharedMemory() } }));
  const before = new Uint8Array(bytes);
  const roundTrip = withSharedMemoryImport(withSharedMemoryImport(bytes, false), true);
  assert.deepEqual(new Uint8Array(bytes), before, 'the input is not modified');
  assert.deepEqual(roundTrip, before);
  assert.deepEqual(wa.Module.imports(plain), [{ module: 'env', name: 'memory', kind: 'memory' }]);
});

test('a missing module says how to build it', async () => {
  await assert.rejects(
    loadKernelModule({ shared: false, url: new URL('./no-such-dir/mamba-kernels.wasm', KERNELS_URL) }),
    (e: unknown) => e instanceof FileAccessError && /WASM kernels not found/.test(e.message) && /npm run build/.test(e.hint ?? ''),
  );
});
