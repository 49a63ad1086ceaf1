import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { readGGUF } from '../../src/gguf/gguf-reader.js';
import { writeGGUF } from '../../src/gguf/gguf-writer.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { MambaError, ModelFormatError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/prng.js';

async function sample(): Promise<Uint8Array> {
  const m = new GGUFMetadata();
  m.setString('general.architecture', 'mamba');
  m.setU32('mamba.block_count', 2);
  m.setArray('tokenizer.ggml.tokens', 'string', ['a', 'b', 'Ġc']);
  m.setArray('nested', 'array', [{ itemType: 'int32', items: [1, 2] }]);
  const sink = new MemorySink();
  await writeGGUF(sink, m, [
    { name: 'w', type: ggmlType('F32'), shape: [2, 8], read: async () => new Uint8Array(64).fill(1) },
    { name: 'q', type: ggmlType('Q8_0'), shape: [32], read: async () => new Uint8Array(34).fill(2) },
  ]);
  return sink.toBytes();
}

async function rejects(bytes: Uint8Array, pattern: RegExp): Promise<void> {
  await assert.rejects(readGGUF(new MemorySource(bytes, 'bad.gguf')), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError, `expected ModelFormatError, got ${String(e)}`);
    assert.match((e as Error).message, /^bad\.gguf: /);
    assert.match((e as Error).message, pattern);
    return true;
  });
}

test('wrong magic names the bytes found', async () => {
  const b = await sample();
  b.set([0x50, 0x4b, 0x03, 0x04]);
  await rejects(b, /not a GGUF file \(magic bytes 50 4b 03 04/);
});

test('unsupported and byte-swapped versions', async () => {
  const b = await sample();
  new DataView(b.buffer).setUint32(4, 1, true);
  await rejects(b, /version 1/);
  new DataView(b.buffer).setUint32(4, 0x03000000, true);
  await rejects(b, /big-endian/);
  new DataView(b.buffer).setUint32(4, 7, true);
  await rejects(b, /unsupported GGUF version 7/);
});

test('absurd counts are refused before allocating', async () => {
  const b = await sample();
  new DataView(b.buffer).setBigUint64(8, 2n ** 40n, true);
  await rejects(b, /tensor count is 1099511627776/);
  const c = await sample();
  new DataView(c.buffer).setBigUint64(16, 2n ** 62n, true);
  await rejects(c, /key\/value count/);
});

test('every truncation of the file is a typed error', async () => {
  const b = await sample();
  // header region byte by byte, then inside the last tensor (its data ends 30 bytes of padding before EOF)
  const cuts = [...Array.from({ length: 240 }, (_, i) => i), b.byteLength - 31, b.byteLength - 40];
  for (const n of cuts) {
    await assert.rejects(readGGUF(new MemorySource(b.subarray(0, n), 'cut.gguf')), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, `cut at ${n}: ${String(e)}`);
      return true;
    });
  }
});

test('tensor data running past EOF is reported with the tensor name', async () => {
  const b = await sample();
  await rejects(b.subarray(0, b.byteLength - 40), /tensor `q` data .* runs past the end of the file/);
});

test('seeded fuzz: mutated files give a typed error or a valid result, never a crash or hang', async () => {
  const base = await sample();
  const rnd = mulberry32(1234);
  let valid = 0;
  for (let iter = 0; iter < 600; iter++) {
    const b = base.slice();
    const nMut = 1 + Math.floor(rnd() * 4);
    for (let k = 0; k < nMut; k++) {
      const at = Math.floor(rnd() * Math.min(b.byteLength, 400));
      b[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : b[at] ^ (1 << Math.floor(rnd() * 8));
    }
    try {
      const f = await readGGUF(new MemorySource(b, 'fuzz.gguf'));
      for (const t of f.tensorEntries()) assert.equal((await t.read()).byteLength, t.nBytes);
      valid++;
    } catch (e) {
      assert.ok(e instanceof MambaError, `iteration ${iter}: non-typed error ${(e as Error)?.stack}`);
    }
  }
  assert.ok(valid > 0 && valid < 600, `valid=${valid}`);
});
