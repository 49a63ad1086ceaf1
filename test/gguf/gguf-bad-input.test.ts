import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { LAZY_ARRAY_MIN_ITEMS, readGGUF } from '../../src/gguf/gguf-reader.js';
import { LazyGGUFArray } from '../../src/gguf/gguf-value.js';
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

/** A file whose tokenizer-sized arrays (≥ LAZY_ARRAY_MIN_ITEMS) the reader keeps encoded. */
async function longArrays(tokens: string[]): Promise<Uint8Array> {
  const m = new GGUFMetadata();
  m.setString('general.architecture', 'mamba');
  m.setArray('tokenizer.ggml.tokens', 'string', tokens);
  m.setArray('tokenizer.ggml.token_type', 'int32', tokens.map((_, i) => (i % 7) - 3));
  const sink = new MemorySink();
  await writeGGUF(sink, m, [{ name: 'w', type: ggmlType('F32'), shape: [8], read: async () => new Uint8Array(32) }]);
  return sink.toBytes();
}

const LONG_TOKENS = Array.from({ length: LAZY_ARRAY_MIN_ITEMS + 37 }, (_, i) => ['Ġthe', 'é', '日本', '🙂x', '', `t${i}`][i % 6]);

test('long arrays are kept encoded and decode to the items written, each time afresh', async () => {
  const f = await readGGUF(new MemorySource(await longArrays(LONG_TOKENS), 'long.gguf'));
  const raw = f.metadata.raw('tokenizer.ggml.tokens')!.value;
  assert.ok(raw instanceof LazyGGUFArray);
  assert.equal(raw.length, LONG_TOKENS.length);
  assert.deepEqual(f.metadata.get('tokenizer.ggml.tokens'), LONG_TOKENS);
  assert.notEqual(raw.items, raw.items, 'a fresh array per read: the metadata holds no decoded copy');
  assert.deepEqual(f.metadata.get('tokenizer.ggml.token_type'), LONG_TOKENS.map((_, i) => (i % 7) - 3));
  // written again, the file is the same bytes
  const again = new MemorySink();
  await writeGGUF(again, f.metadata, [{ name: 'w', type: ggmlType('F32'), shape: [8], read: async () => new Uint8Array(32) }]);
  assert.deepEqual(again.toBytes(), await longArrays(LONG_TOKENS));
});

test('the header read grown in place and read again into fresh buffers give the same result', async () => {
  // 5000 tokens of ~300 bytes: a 1.5 MB header, so the first 1 MiB prefix is too short and the read grows
  const tokens = Array.from({ length: 5000 }, (_, i) => `${i}:${'é'.repeat(150)}`);
  const bytes = await longArrays(tokens);
  const a = await readGGUF(new MemorySource(bytes, 'a.gguf'));
  const b = await readGGUF(new MemorySource(bytes, 'b.gguf'), { growInPlace: false });
  assert.deepEqual(a.metadata.get('tokenizer.ggml.tokens'), tokens);
  assert.deepEqual(b.metadata.get('tokenizer.ggml.tokens'), tokens);
  assert.deepEqual(a.tensors, b.tensors);
  assert.ok(a.dataOffset > 1 << 20, `header of ${a.dataOffset} bytes`);
  // truncated inside the long array: the same typed error both ways
  for (const growInPlace of [true, false]) {
    await assert.rejects(readGGUF(new MemorySource(bytes.subarray(0, 1_200_000), 'cut.gguf'), { growInPlace }), ModelFormatError);
  }
});

test('invalid UTF-8 inside a long string array is refused at open, naming the item', async () => {
  const b = await longArrays(LONG_TOKENS);
  // token 1 is "é" (C3 A9): make its lead byte a lone continuation byte
  const at = Buffer.from(b).indexOf(Buffer.from([0xc3, 0xa9]));
  b[at] = 0xa9;
  await rejects(b, /`tokenizer\.ggml\.tokens`\[1\]: invalid UTF-8/);
});

test('seeded fuzz of a long string array: a typed error at open, or items that decode', async () => {
  const base = await longArrays(LONG_TOKENS);
  const start = Buffer.from(base).indexOf(Buffer.from('Ġthe'));
  const rnd = mulberry32(99);
  let valid = 0;
  for (let iter = 0; iter < 300; iter++) {
    const b = base.slice();
    for (let k = 0; k < 3; k++) {
      const at = start - 8 + Math.floor(rnd() * 400);
      b[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : b[at] ^ (1 << Math.floor(rnd() * 8));
    }
    let f;
    try {
      f = await readGGUF(new MemorySource(b, 'fuzz.gguf'));
    } catch (e) {
      assert.ok(e instanceof MambaError, `iteration ${iter}: non-typed error ${(e as Error)?.stack}`);
      continue;
    }
    const items = f.metadata.get('tokenizer.ggml.tokens') as unknown[];
    assert.equal(items.length, LONG_TOKENS.length);
    valid++;
  }
  assert.ok(valid > 0 && valid < 300, `valid=${valid}`);
});
