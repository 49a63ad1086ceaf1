import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSafetensors } from '../../src/formats/safetensors.js';
import { MemorySource } from '../../src/io/byte-source.js';
import { MambaError, ModelFormatError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/prng.js';

/** Builds a safetensors file in memory. */
function build(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.byteLength + data.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.byteLength), true);
  out.set(h, 8);
  out.set(data, 8 + h.byteLength);
  return out;
}

const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
const good = () =>
  build(
    {
      __metadata__: { format: 'pt' },
      'a.weight': { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
      'b.bias': { dtype: 'F16', shape: [2], data_offsets: [16, 20] },
      'c.bf': { dtype: 'BF16', shape: [1, 2], data_offsets: [20, 24] },
      'd.ids': { dtype: 'I64', shape: [0], data_offsets: [24, 24] },
    },
    data,
  );

test('safetensors: tensors, dtypes, shapes, metadata', async () => {
  const f = await readSafetensors(new MemorySource(good(), 'm.safetensors'));
  assert.deepEqual(f.metadata, { format: 'pt' });
  assert.deepEqual([...f.tensors.keys()], ['a.weight', 'b.bias', 'c.bf']);
  const a = f.tensors.get('a.weight')!;
  assert.equal(a.type.name, 'F32');
  assert.deepEqual(a.shape, [2, 2]);
  assert.deepEqual(new Float32Array((await a.read()).slice().buffer), new Float32Array([1, 2, 3, 4]));
  assert.equal(f.tensors.get('b.bias')!.type.name, 'F16');
  assert.equal(f.tensors.get('c.bf')!.type.name, 'BF16');
  assert.deepEqual([...f.unsupported], [['d.ids', 'I64']]);
});

test('safetensors: corrupt headers are typed errors naming the file', async () => {
  const cases: [Uint8Array, RegExp][] = [
    [new Uint8Array(4), /too small/],
    [(() => { const b = good(); new DataView(b.buffer).setBigUint64(0, 1n << 40n, true); return b; })(), /header length .* exceeds/],
    [build({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, data), /4 bytes of data for F32 \[2\]/],
    [build({ x: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, data), /runs past the end/],
    [build({ x: { dtype: 'Q9', shape: [1], data_offsets: [0, 4] } }, data), /unknown dtype "Q9"/],
    [build({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, data), /bad shape/],
    [build({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, data), /bad data_offsets/],
    [(() => { const b = good(); b[9] = 0xff; return b; })(), /not valid UTF-8 JSON/],
  ];
  for (const [bytes, re] of cases) {
    await assert.rejects(readSafetensors(new MemorySource(bytes, 'bad.safetensors')), (e: unknown) => {
      assert.ok(e instanceof ModelFormatError, String(e));
      assert.match((e as Error).message, /^bad\.safetensors: /);
      assert.match((e as Error).message, re);
      return true;
    });
  }
});

test('safetensors: seeded fuzz gives typed errors or valid results', async () => {
  const base = good();
  const rnd = mulberry32(99);
  for (let i = 0; i < 400; i++) {
    const b = base.slice();
    for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.byteLength)] = Math.floor(rnd() * 256);
    try {
      const f = await readSafetensors(new MemorySource(b, 'fuzz.safetensors'));
      for (const t of f.tensors.values()) assert.equal((await t.read()).byteLength, t.nBytes);
    } catch (e) {
      assert.ok(e instanceof MambaError, `iteration ${i}: ${(e as Error)?.stack}`);
    }
  }
});
