import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FileSource } from '../../src/node/file-source.js';
import { MemorySource } from '../../src/io/byte-source.js';
import { ModelFormatError } from '../../src/errors.js';
import { WebAssemblyJS } from '../../src/wasm/webassembly-api.js';
import { fixture } from '../helpers/paths.js';

const FILE = fixture('models', 'tiny', 'hf', 'model.safetensors');

test('FileSource reads ranges, and reads straight into a caller buffer (shared WASM memory)', async () => {
  const whole = readFileSync(FILE);
  const src = await FileSource.open(FILE);
  try {
    assert.deepEqual(await src.read(100, 1000), new Uint8Array(whole.subarray(100, 1100)));
    const memory = new WebAssemblyJS!.Memory({ initial: 1, maximum: 1, shared: true });
    const view = new Uint8Array(memory.buffer, 4096, 5000);
    const got = await src.read(7, 5000, view);
    assert.equal(got, view, 'the bytes land in the given buffer');
    assert.deepEqual(new Uint8Array(view), new Uint8Array(whole.subarray(7, 5007)));
    await assert.rejects(src.read(0, 10, new Uint8Array(9)), RangeError);
    await assert.rejects(src.read(whole.length - 5, 10), ModelFormatError);
  } finally {
    await src.close();
  }
});

test('MemorySource honours `into` the same way', async () => {
  const bytes = Uint8Array.from({ length: 64 }, (_, i) => i);
  const src = new MemorySource(bytes);
  const into = new Uint8Array(8);
  assert.equal(await src.read(10, 8, into), into);
  assert.deepEqual([...into], [10, 11, 12, 13, 14, 15, 16, 17]);
});
