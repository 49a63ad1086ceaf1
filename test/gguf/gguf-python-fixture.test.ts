/** Reads GGUF files written by the `gguf` Python package (tools/fixtures/make_gguf_fixtures.py). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readGGUF } from '../../src/gguf/gguf-reader.js';
import { writeGGUF } from '../../src/gguf/gguf-writer.js';
import type { GGUFArray, GGUFPlain } from '../../src/gguf/gguf-value.js';
import { dequantize } from '../../src/ggml/dequantize.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { numElements } from '../../src/model/tensor-entry.js';
import { fixture } from '../helpers/paths.js';

interface JsonArray { element_type: string; value: unknown[] }
interface JsonKV { key: string; type: string; element_type?: string; value: unknown }

/** Our value → the fixture's JSON form (type names upper-case, 64-bit ints as strings). */
function toJson(type: string, v: GGUFPlain): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object') {
    const a = v as GGUFArray;
    return a.items.map((x) => (a.itemType === 'array' ? arrayJson(x as GGUFArray) : toJson(a.itemType, x)));
  }
  return v;
}
function arrayJson(a: GGUFArray): JsonArray {
  return { element_type: a.itemType.toUpperCase(), value: toJson('array', a) as unknown[] };
}
function normalize(type: string, v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => normalize(type, x));
  if (typeof v === 'object' && v !== null) {
    const a = v as JsonArray;
    return { element_type: a.element_type, value: normalize(a.element_type, a.value) };
  }
  if (type === 'FLOAT32' && typeof v === 'number') return Math.fround(v); // the JSON holds shortest float32 decimals
  return v;
}

for (const name of ['all-types', 'align-64']) {
  test(`reads ${name}.gguf written by the gguf Python package`, async () => {
    const bytes = new Uint8Array(readFileSync(fixture('gguf', `${name}.gguf`)));
    const want = JSON.parse(readFileSync(fixture('gguf', `${name}.json`), 'utf8'));
    const f = await readGGUF(new MemorySource(bytes, `${name}.gguf`));
    assert.equal(f.version, want.gguf_version);
    assert.equal(f.alignment, want.alignment);
    assert.equal(f.dataOffset, want.tensor_data_offset);
    assert.deepEqual([...f.metadata.keys()], (want.kv as JsonKV[]).map((k) => k.key));
    for (const kv of want.kv as JsonKV[]) {
      const got = f.metadata.raw(kv.key)!;
      assert.equal(got.type.toUpperCase(), kv.type, kv.key);
      if (kv.type === 'ARRAY') {
        assert.equal((got.value as GGUFArray).itemType.toUpperCase(), kv.element_type, kv.key);
        assert.deepEqual(toJson('array', got.value), normalize(kv.element_type!, kv.value), kv.key);
      } else {
        assert.deepEqual(toJson(got.type, got.value), normalize(kv.type, kv.value), kv.key);
      }
    }
    const entries = f.tensorEntries();
    assert.equal(entries.length, want.tensors.length);
    for (let i = 0; i < entries.length; i++) {
      const t = entries[i];
      const w = want.tensors[i];
      assert.equal(t.name, w.name);
      assert.equal(t.type.name, w.type);
      assert.deepEqual(t.shape, w.shape);
      assert.equal(t.nBytes, w.n_bytes);
      const data = await t.read();
      assert.equal(Buffer.from(data).toString('hex'), w.data_hex ?? Buffer.from(data).toString('hex'));
      const values = dequantize(data, t.type, numElements(t.shape));
      // values are shortest float32 decimals; compare as float32 (−0 == 0, NaN as 'nan')
      const norm = (x: unknown) => (typeof x !== 'number' || Number.isNaN(x) ? String(x).toLowerCase() : Math.fround(x) + 0);
      assert.deepEqual(Array.from(values, norm), (w.values as unknown[]).flat(3).map(norm), t.name);
    }
    // and writing what we read gives the same bytes back
    const sink = new MemorySink();
    await writeGGUF(sink, f.metadata, entries);
    assert.deepEqual(sink.toBytes(), bytes);
  });
}
