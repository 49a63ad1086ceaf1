/**
 * The UTF-8 tables a tokenizer is built from (no JS string per token): Utf8Table, TokenIndex, merge tables,
 * byte-level decoding of UTF-8, a GGUF string array read in place, and `ignore_merges` whole-word lookups.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/errors.js';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { LAZY_ARRAY_MIN_ITEMS, readGGUF } from '../../src/gguf/gguf-reader.js';
import { LazyGGUFArray } from '../../src/gguf/gguf-value.js';
import { writeGGUF } from '../../src/gguf/gguf-writer.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { utf8Length, utf8TableOf, utf8TableString } from '../../src/io/utf8-table.js';
import { BYTE_TO_CHAR, byteLevelDecode, byteLevelDecodeUtf8 } from '../../src/tokenizer/byte-level.js';
import { tokenizerFromJson } from '../../src/tokenizer/from-tokenizer-json.js';
import { TokenIndex } from '../../src/tokenizer/token-index.js';
import { mergePair, mergeTableOf } from '../../src/tokenizer/token-table.js';
import { tinyJson } from './tokenizer-fixtures.js';

const STRINGS = ['', 'a', 'Ġthe', 'é', '日本', '😀x', '  ', 'ĠĠ'];
const encoder = new TextEncoder();

describe('Utf8Table', () => {
  it('holds each string as its UTF-8, one after another', () => {
    const t = utf8TableOf(STRINGS);
    assert.equal(t.length, STRINGS.length);
    STRINGS.forEach((s, i) => {
      assert.deepEqual(t.bytes.subarray(t.begin[i], t.end[i]), encoder.encode(s));
      assert.equal(utf8TableString(t, i), s);
      assert.equal(utf8Length(s), encoder.encode(s).length, s);
    });
    if (STRINGS.length > 1) assert.equal(t.begin[1], t.end[0]);
  });

  it('counts a lone surrogate as TextEncoder writes it (U+FFFD, 3 bytes)', () => {
    for (const s of ['\ud800', 'a\udc00b', '\ud83d']) assert.equal(utf8Length(s), encoder.encode(s).length, JSON.stringify(s));
    assert.equal(utf8TableString(utf8TableOf(['x\ud800']), 0), 'x\ufffd');
  });

  it('grows its buffer for long strings', () => {
    const long = ['é'.repeat(5000), 'b', '日'.repeat(3000)];
    const t = utf8TableOf(long);
    long.forEach((s, i) => assert.equal(utf8TableString(t, i), s));
  });
});

describe('TokenIndex', () => {
  const texts = utf8TableOf(['Ġ', 't', 'Ġt', 'he', 'Ġthe', 't', '']);
  const ids = [10, 11, 12, 13, 14, 15, 16];
  const index = new TokenIndex(texts, (e) => ids[e], (e) => e !== 3);
  const find = (s: string): number => {
    const b = encoder.encode(s);
    return index.find(b, 0, b.length);
  };

  it('finds a text by its bytes, a repeated text keeping its first entry', () => {
    assert.equal(find('Ġt'), 12);
    assert.equal(find('Ġthe'), 14);
    assert.equal(find('t'), 11);
    assert.equal(find(''), 16);
  });

  it('finds two byte ranges as their concatenation', () => {
    const b = encoder.encode('Ġ the');
    assert.equal(index.findPair(b, 0, 2, 3, 4), 12); // "Ġ" + "t"
    assert.equal(index.findPair(b, 0, 2, 3, b.length), 14); // "Ġ" + "the"
  });

  it('returns -1 for texts it does not hold, and for entries left out', () => {
    assert.equal(find('x'), -1);
    assert.equal(find('he'), -1);
    assert.equal(find('Ġth'), -1);
  });
});

describe('merge tables', () => {
  it('split each merge between its two tokens, which may hold spaces and multi-byte characters', () => {
    const pairs: [string, string][] = [['Ġ', 't'], ['日', '本😀'], ['a b', 'c']];
    const m = mergeTableOf(pairs);
    pairs.forEach((p, r) => {
      assert.deepEqual(mergePair(m, r), p);
      assert.equal(m.texts.bytes[m.split[r]], 0x20);
    });
  });
});

describe('byteLevelDecodeUtf8', () => {
  it('decodes every character of the alphabet as byteLevelDecode does', () => {
    const all = BYTE_TO_CHAR.join('');
    const utf8 = encoder.encode(all);
    const out = new Uint8Array(utf8.length);
    const n = byteLevelDecodeUtf8(utf8, 0, utf8.length, out, 0);
    assert.equal(n, 256);
    assert.deepEqual(out.subarray(0, n), byteLevelDecode(all));
    for (let b = 0; b < 256; b++) assert.equal(out[b], b);
  });

  it('returns -1 for text outside the alphabet (a raw space, CJK, an emoji)', () => {
    for (const s of ['a b', '日', 'Ġ😀', 'ŉ']) {
      const utf8 = encoder.encode(s);
      assert.equal(byteLevelDecodeUtf8(utf8, 0, utf8.length, new Uint8Array(utf8.length), 0), -1, s);
    }
  });
});

describe('GGUF string arrays read as UTF-8 in place', () => {
  it('gives the items of a long array read from a file, and refuses once the file is closed', async () => {
    const items = Array.from({ length: LAZY_ARRAY_MIN_ITEMS + 5 }, (_, i) => `tok${i}${'é'.repeat(i % 4)}`);
    const meta = new GGUFMetadata('t.gguf').setArray('strings', 'string', items).setArray('numbers', 'int32', items.map((_, i) => i));
    const sink = new MemorySink();
    await writeGGUF(sink, meta, []);
    const file = await readGGUF(new MemorySource(sink.toBytes(), 't.gguf'));
    const lazy = file.metadata.raw('strings')?.value;
    assert.ok(lazy instanceof LazyGGUFArray);
    const t = file.metadata.utf8Strings('strings')!;
    assert.equal(t.length, items.length);
    items.forEach((s, i) => assert.equal(utf8TableString(t, i), s));
    assert.equal(file.metadata.utf8Strings('numbers'), undefined);
    assert.equal(file.metadata.utf8Strings('missing'), undefined);
    const numbers = file.metadata.raw('numbers')?.value as LazyGGUFArray;
    assert.throws(() => numbers.utf8Table(), UsageError);
    lazy.release();
    assert.throws(() => lazy.utf8Table(), (e) => e instanceof UsageError && /after its model file was closed/.test(e.message));
  });

  it('encodes a string array built in memory', () => {
    const meta = new GGUFMetadata('m.gguf').setArray('s', 'string', ['a', 'Ġb']);
    assert.deepEqual([0, 1].map((i) => utf8TableString(meta.utf8Strings('s')!, i)), ['a', 'Ġb']);
  });
});

describe('ignore_merges', () => {
  it('emits a pre-token that is a vocabulary entry whole; without it, merges decide', () => {
    const json = structuredClone(tinyJson()) as { model: { vocab: Record<string, number>; ignore_merges?: boolean } };
    const vocab = json.model.vocab;
    const newId = Math.max(...Object.values(vocab)) + 1;
    vocab['Ġzq'] = newId; // no merge makes it
    const merged = tokenizerFromJson(json, 'tiny.json');
    json.model.ignore_merges = true;
    const whole = tokenizerFromJson(json, 'tiny.json');
    assert.deepEqual(whole.encode('a zq', { addSpecial: false }).slice(-1), [newId]);
    assert.ok(!merged.encode('a zq', { addSpecial: false }).includes(newId));
    assert.deepEqual(whole.encode('a zqz', { addSpecial: false }), merged.encode('a zqz', { addSpecial: false }));
  });
});
