import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { readGGUF } from '../../src/gguf/gguf-reader.js';
import { writeGGUF, type GGUFTensorToWrite } from '../../src/gguf/gguf-writer.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';

/** Metadata with every value type, including nested and empty arrays. */
export function everyTypeMetadata(): GGUFMetadata {
  const m = new GGUFMetadata();
  m.set('t.uint8', 'uint8', 255);
  m.set('t.int8', 'int8', -128);
  m.set('t.uint16', 'uint16', 65535);
  m.set('t.int16', 'int16', -32768);
  m.set('t.uint32', 'uint32', 4294967295);
  m.set('t.int32', 'int32', -2147483648);
  m.set('t.float32', 'float32', 1.5);
  m.set('t.bool', 'bool', true);
  m.set('t.string', 'string', 'héllo ✓ 🐍');
  m.set('t.empty_string', 'string', '');
  m.set('t.uint64', 'uint64', 18446744073709551615n);
  m.set('t.int64', 'int64', -9223372036854775808n);
  m.set('t.float64', 'float64', Math.PI);
  m.setArray('t.arr_u8', 'uint8', [0, 1, 255]);
  m.setArray('t.arr_i32', 'int32', [-1, 0, 1]);
  m.setArray('t.arr_f32', 'float32', [0.5, -2]);
  m.setArray('t.arr_bool', 'bool', [true, false]);
  m.setArray('t.arr_str', 'string', ['a', '', 'Ġthe']);
  m.setArray('t.arr_u64', 'uint64', [1n, 2n ** 63n]);
  m.setArray('t.arr_f64', 'float64', [1e300]);
  m.setArray('t.arr_empty', 'int32', []);
  m.setArray('t.nested', 'array', [
    { itemType: 'int16', items: [1, -2] },
    { itemType: 'string', items: ['x'] },
    { itemType: 'array', items: [{ itemType: 'uint8', items: [7] }] },
  ]);
  return m;
}

function tensor(name: string, type: string, shape: number[], bytes: Uint8Array): GGUFTensorToWrite {
  return { name, type: ggmlType(type as 'F32'), shape, read: async () => bytes };
}

function filled(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

async function write(meta: GGUFMetadata, tensors: GGUFTensorToWrite[]): Promise<Uint8Array> {
  const sink = new MemorySink();
  await writeGGUF(sink, meta, tensors);
  return sink.toBytes();
}

const TENSORS = () => [
  tensor('a.f32', 'F32', [3, 5], filled(60, 1)),
  tensor('b.f16', 'F16', [7], filled(14, 2)),
  tensor('c.q8_0', 'Q8_0', [2, 64], filled(2 * 2 * 34, 3)),
  tensor('d.q4_0', 'Q4_0', [1, 32], filled(18, 4)),
  tensor('e.bf16', 'BF16', [2, 1, 3], filled(12, 5)),
];

test('GGUF writer → reader round-trips every metadata value type', async () => {
  const meta = everyTypeMetadata();
  const bytes = await write(meta, TENSORS());
  const f = await readGGUF(new MemorySource(bytes, 'rt.gguf'));
  assert.equal(f.version, 3);
  assert.deepEqual([...f.metadata.keys()], [...meta.keys()]);
  for (const [k, v] of meta.entries()) {
    const got = f.metadata.raw(k)!;
    assert.equal(got.type, v.type, k);
    if (v.type === 'float32') assert.equal(got.value, Math.fround(v.value as number));
    else if (k === 't.arr_f32') assert.deepEqual(got.value, v.value);
    else assert.deepEqual(got.value, v.value, k);
  }
  assert.equal(f.metadata.get('t.string'), 'héllo ✓ 🐍');
  assert.deepEqual(f.metadata.get('t.nested'), [[1, -2], ['x'], [[7]]]);
});

test('GGUF tensors: shapes come back outer-first, offsets aligned, data exact', async () => {
  const tensors = TENSORS();
  const bytes = await write(new GGUFMetadata(), tensors);
  const f = await readGGUF(new MemorySource(bytes, 't.gguf'));
  assert.equal(f.alignment, 32);
  assert.equal(f.dataOffset % 32, 0);
  assert.deepEqual(f.tensors.map((t) => t.name), tensors.map((t) => t.name));
  assert.deepEqual(f.tensors.map((t) => t.shape), tensors.map((t) => t.shape));
  assert.deepEqual(f.tensors.map((t) => t.nBytes), [60, 14, 136, 18, 12]);
  for (const t of f.tensors) assert.equal((t.byteOffset - f.dataOffset) % 32, 0);
  const entries = f.tensorEntries();
  for (let i = 0; i < tensors.length; i++) assert.deepEqual(await entries[i].read(), await tensors[i].read());
  // ggml order on disk: the first tensor's dims are written innermost first (5, 3).
  const dv = new DataView(bytes.buffer);
  const nameLen = 5; // "a.f32"
  const afterCounts = 4 + 4 + 8 + 8;
  const dimsAt = afterCounts + 8 + nameLen + 4;
  assert.equal(Number(dv.getBigUint64(dimsAt, true)), 5);
  assert.equal(Number(dv.getBigUint64(dimsAt + 8, true)), 3);
});

test('GGUF read → write is byte-identical (alignment 64 kept)', async () => {
  const meta = everyTypeMetadata();
  meta.setU32('general.alignment', 64);
  const bytes = await write(meta, TENSORS());
  const f = await readGGUF(new MemorySource(bytes, 'x.gguf'));
  assert.equal(f.alignment, 64);
  const again = await write(
    f.metadata,
    f.tensorEntries().map((t) => ({ name: t.name, type: t.type, shape: t.shape, read: t.read })),
  );
  assert.deepEqual(again, bytes);
});

test('GGUF header larger than the first read is parsed (prefix growth)', async () => {
  const meta = new GGUFMetadata();
  const tokens = Array.from({ length: 60000 }, (_, i) => `token-${i}-${'x'.repeat(i % 40)}`);
  meta.setArray('tokenizer.ggml.tokens', 'string', tokens);
  const bytes = await write(meta, [tensor('w', 'F32', [4], filled(16, 9))]);
  assert.ok(bytes.byteLength > 1 << 21);
  const f = await readGGUF(new MemorySource(bytes, 'big.gguf'));
  assert.deepEqual(f.metadata.get('tokenizer.ggml.tokens'), tokens);
  assert.deepEqual(await f.tensorEntries()[0].read(), filled(16, 9));
});

test('closing a GGUF model releases its header: long metadata arrays throw a typed error afterwards, scalars stay', async () => {
  const { openModel } = await import('../../src/node/open-model.js');
  const { UsageError } = await import('../../src/errors.js');
  const { REPO_ROOT } = await import('../helpers/paths.js');
  const { join } = await import('node:path');
  const file = await openModel(join(REPO_ROOT, 'models', 'stories-m-q8_0.gguf'));
  const tokens = file.metadata.get('tokenizer.ggml.tokens') as string[];
  assert.ok(tokens.length > 1000);
  await file.close();
  assert.equal(file.metadata.get('general.architecture'), 'mamba');
  assert.throws(() => file.metadata.get('tokenizer.ggml.tokens'), (e: unknown) => e instanceof UsageError && /after its model file was closed/.test(e.message) && /before close/.test(e.hint ?? ''));
  await file.close(); // twice: no error
});
