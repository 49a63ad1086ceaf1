/** The GGUF path: tokenizerJsonToGGUFFields (for `convert`) and tokenizerFromGGUF (for GGUF models). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MambaError, TokenizerError } from '../../src/errors.js';
import { tokenizerToGGUF } from '../../src/convert/convert-to-gguf.js';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { readGGUF } from '../../src/gguf/gguf-reader.js';
import { LazyGGUFArray } from '../../src/gguf/gguf-value.js';
import { writeGGUF } from '../../src/gguf/gguf-writer.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { tokenizerFromGGUF } from '../../src/tokenizer/from-gguf.js';
import { tokenizerJsonToGGUFFields } from '../../src/tokenizer/gguf-fields.js';
import { GGUF_TOKEN_TYPE } from '../../src/tokenizer/gguf-token-type.js';
import { mulberry32 } from '../helpers/prng.js';
import {
  MAMBA_N_VOCAB, fieldsAsMetadata, neoxFields, neoxFromGGUF, neoxFromJson, neoxVectors, tinyCases, tinyJson,
} from './tokenizer-fixtures.js';

describe('tokenizerJsonToGGUFFields (GPT-NeoX-20B, padded to 50,280 rows)', () => {
  const f = neoxFields();

  it('writes llama.cpp\'s model and pre names', () => {
    assert.equal(f.model, 'gpt2');
    assert.equal(f.pre, 'olmo');
  });

  it('stores byte-level vocabulary strings, added tokens as content, and padding rows', () => {
    assert.equal(f.tokens.length, MAMBA_N_VOCAB);
    assert.equal(f.tokenTypes.length, MAMBA_N_VOCAB);
    const rows: [number, string, number][] = [
      [0, '<|endoftext|>', GGUF_TOKEN_TYPE.CONTROL],
      [1, '<|padding|>', GGUF_TOKEN_TYPE.CONTROL],
      [2, '!', GGUF_TOKEN_TYPE.NORMAL],
      [253, 'Ġthe', GGUF_TOKEN_TYPE.NORMAL],
      [50253, f.tokens[50253], GGUF_TOKEN_TYPE.NORMAL],
      [50254, ' '.repeat(24), GGUF_TOKEN_TYPE.USER_DEFINED],
      [50276, '  ', GGUF_TOKEN_TYPE.USER_DEFINED],
      [50277, '[PAD50277]', GGUF_TOKEN_TYPE.UNUSED],
      [50279, '[PAD50279]', GGUF_TOKEN_TYPE.UNUSED],
    ];
    for (const [id, token, type] of rows) {
      assert.equal(f.tokens[id], token, `token ${id}`);
      assert.equal(f.tokenTypes[id], type, `type of ${id}`);
    }
  });

  it('writes merges as "a b" and the special ids; adds no BOS/EOS', () => {
    assert.equal(f.merges.length, 50009);
    assert.deepEqual(f.merges.slice(0, 3), ['Ġ Ġ', 'Ġ t', 'Ġ a']);
    assert.deepEqual([f.bosId, f.eosId, f.unkId, f.padId, f.addBos, f.addEos], [0, 0, 0, 0, false, false]);
  });

  it('rejects a model vocabulary smaller than the tokenizer', () => {
    assert.throws(() => tokenizerJsonToGGUFFields(tinyJson(), 100, 'tiny.json'),
      (e) => e instanceof TokenizerError && /803 ids.*only 100 rows/.test(e.message));
  });
});

describe('tokenizerFromGGUF', () => {
  it('decodes padding rows to nothing and knows every row', () => {
    const tok = neoxFromGGUF();
    assert.equal(tok.vocabSize, MAMBA_N_VOCAB);
    assert.equal(tok.decode([50277, 50279]), '');
    assert.equal(tok.tokenToString(50278), '[PAD50278]');
    assert.equal(tok.decode([12092, 50277, 13]), 'Hello,');
  });

  it('reads what the GGUF writer stores (tokenizerToGGUF → GGUFMetadata.get)', () => {
    const meta = new GGUFMetadata('neox.gguf');
    tokenizerToGGUF(neoxFields(), meta);
    const tok = tokenizerFromGGUF(meta, 'neox.gguf');
    for (const c of neoxVectors()) assert.deepEqual(tok.encode(c.text), c.ids, JSON.stringify(c.text));
  });

  it('reads a GGUF file written and read back, its long arrays kept encoded until the tokenizer asks', async () => {
    const meta = new GGUFMetadata('neox.gguf');
    tokenizerToGGUF(neoxFields(), meta);
    const sink = new MemorySink();
    await writeGGUF(sink, meta, []);
    const file = await readGGUF(new MemorySource(sink.toBytes(), 'neox.gguf'));
    assert.ok(file.metadata.raw('tokenizer.ggml.tokens')?.value instanceof LazyGGUFArray);
    assert.ok(file.metadata.raw('tokenizer.ggml.merges')?.value instanceof LazyGGUFArray);
    const tok = tokenizerFromGGUF(file.metadata, 'neox.gguf');
    for (const c of neoxVectors()) assert.deepEqual(tok.encode(c.text), c.ids, JSON.stringify(c.text));
    const json = neoxFromJson();
    // every token, read from the file's UTF-8 in place, is the bytes and string tokenizer.json gives
    for (let id = 0; id < json.vocabSize; id++) {
      assert.deepEqual(tok.tokenToBytes(id), json.tokenToBytes(id), `bytes of ${id}`);
      assert.equal(tok.tokenToString(id), json.tokenToString(id), `string of ${id}`);
      assert.equal(tok.isSpecial(id), json.isSpecial(id), `special ${id}`);
      assert.equal(tok.tokenByteLength(id), json.tokenToBytes(id).length, `byte length of ${id}`);
    }
    // a padding row of the model's embedding: named, decodes to nothing
    assert.equal(tok.tokenToString(50277), '[PAD50277]');
    assert.equal(tok.tokenToBytes(50277).length, 0);
    assert.equal(tok.tokenByteLength(50277), 0);
  });

  it('accepts token_type as an Int32Array and u64 ids as bigints', () => {
    const f = neoxFields();
    const tok = tokenizerFromGGUF(fieldsAsMetadata(f, {
      'tokenizer.ggml.token_type': Int32Array.from(f.tokenTypes),
      'tokenizer.ggml.eos_token_id': 0n,
    }), 'neox.gguf');
    assert.equal(tok.eosId, 0);
    assert.deepEqual(tok.encode('a  b'), neoxFromJson().encode('a  b'));
  });

  it('gives the same ids as tokenizer.json for a tokenizer that adds BOS and EOS', () => {
    const f = tokenizerJsonToGGUFFields(tinyJson(), 808, 'tiny.json');
    assert.deepEqual([f.bosId, f.eosId, f.addBos, f.addEos], [1, 0, true, true]);
    const tok = tokenizerFromGGUF(fieldsAsMetadata(f), 'tiny.gguf');
    // GGUF has no lstrip / single_word: skip the cases that use <mask> and [WORD].
    const cases = tinyCases().filter((c) => !/<mask>|\[WORD\]/.test(c.text));
    assert.ok(cases.length > 60);
    for (const c of cases) assert.deepEqual(tok.encode(c.text), c.idsWithSpecial, JSON.stringify(c.text.slice(0, 60)));
  });

  const errors: [string, Record<string, unknown>, RegExp][] = [
    ['an unsupported model', { 'tokenizer.ggml.model': 'llama' }, /`tokenizer\.ggml\.model` is "llama"/],
    ['an unsupported pre-tokenizer', { 'tokenizer.ggml.pre': 'qwen2' }, /`tokenizer\.ggml\.pre` is "qwen2"/],
    ['missing tokens', { 'tokenizer.ggml.tokens': undefined }, /`tokenizer\.ggml\.tokens` must be an array/],
    ['a short token_type', { 'tokenizer.ggml.token_type': [1, 1] }, /token_type` has 2 entries but .* has 50280/],
    ['a bad merge', { 'tokenizer.ggml.merges': ['Ġ Ġ', 'Ġt'] }, /`tokenizer\.ggml\.merges\[1\]` must be two tokens/],
    ['a merge outside the vocabulary', { 'tokenizer.ggml.merges': ['Ġ zzzz'] }, /`tokenizer\.ggml\.merges\[0\]` "Ġ zzzz" uses "zzzz"/],
    ['a bos id out of range', { 'tokenizer.ggml.bos_token_id': 60000 }, /bos_token_id` is 60000/],
  ];
  for (const [what, extra, message] of errors) {
    it(`rejects ${what} with a TokenizerError naming the key`, () => {
      assert.throws(() => tokenizerFromGGUF(fieldsAsMetadata(neoxFields(), extra), 'bad.gguf'),
        (e) => e instanceof TokenizerError && e.message.startsWith('bad.gguf: ') && message.test(e.message) && e.hint !== undefined);
    });
  }

  it('seeded fuzz: a mutated tokenizer in a GGUF file gives a typed error or a tokenizer that works', async () => {
    // 1100 rows: the tokens array is long enough to be read in place (LazyGGUFArray), the 541 merges are not
    const meta = new GGUFMetadata('tiny.gguf');
    tokenizerToGGUF(tokenizerJsonToGGUFFields(tinyJson(), 1100, 'tiny.json'), meta);
    const sink = new MemorySink();
    await writeGGUF(sink, meta, []);
    const base = sink.toBytes();
    const from = Buffer.from(base).indexOf(Buffer.from('tokenizer.ggml.tokens'));
    const rnd = mulberry32(7);
    let built = 0;
    for (let iter = 0; iter < 200; iter++) {
      const b = base.slice();
      // one byte: most changes are caught (a length, UTF-8, a token type, a merge's token), some leave a tokenizer
      const at = from + Math.floor(rnd() * (b.length - from));
      b[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : b[at] ^ (1 << Math.floor(rnd() * 8));
      try {
        const file = await readGGUF(new MemorySource(b, 'fuzz.gguf'));
        const tok = tokenizerFromGGUF(file.metadata, 'fuzz.gguf');
        const ids = tok.encode('Hello world, the quick brown fox. <mask> 123');
        assert.equal(typeof tok.decode(ids), 'string');
        for (let id = 0; id < tok.vocabSize; id++) assert.equal(tok.tokenByteLength(id), tok.tokenToBytes(id).length);
        built++;
      } catch (e) {
        assert.ok(e instanceof MambaError, `iteration ${iter}: non-typed error ${(e as Error)?.stack}`);
      }
    }
    assert.ok(built > 0 && built < 200, `built=${built}`);
  });
});
