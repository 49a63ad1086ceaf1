/**
 * A small byte-level BPE trained by tools/tokenizer/make-fixtures.py with HF tokenizers 0.23: merges
 * saved as pairs ["a", "b"], a TemplateProcessing post-processor ("<|bos|> $A <|endoftext|>"), an
 * lstrip special token and a single_word added token. Nothing here is GPT-NeoX.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizerFromJson } from '../../src/tokenizer/from-tokenizer-json.js';
import { tinyCases, tinyFromJson, tinyJson, TINY_JSON_PATH } from './tokenizer-fixtures.js';

describe('tiny byte-level BPE from tokenizer.json', () => {
  const tok = tinyFromJson();

  it('reads pair-style merges, and finds its special ids from the template and the token names', () => {
    const merges = (tinyJson() as { model: { merges: unknown[] } }).model.merges;
    assert.ok(Array.isArray(merges[0]), 'the fixture stores merges as pairs');
    assert.equal(tok.vocabSize, 803);
    assert.deepEqual(
      { bos: tok.bosId, eos: tok.eosId, pad: tok.padId, unk: tok.unkId },
      { bos: 1, eos: 0, pad: 2, unk: 0 },
    );
  });

  it('matches HF ids without special tokens, and with the template tokens (the default)', () => {
    for (const c of tinyCases()) {
      assert.deepEqual(tok.encode(c.text, { addSpecial: false }), c.ids, JSON.stringify(c.text.slice(0, 60)));
      assert.deepEqual(tok.encode(c.text), c.idsWithSpecial, JSON.stringify(c.text.slice(0, 60)));
    }
  });

  it('matches HF decode, with and without special tokens', () => {
    for (const c of tinyCases()) {
      assert.equal(tok.decode(c.idsWithSpecial), c.decoded, JSON.stringify(c.text.slice(0, 60)));
      assert.equal(tok.decode(c.idsWithSpecial, { skipSpecial: true }), c.decodedSkipSpecial, JSON.stringify(c.text.slice(0, 60)));
    }
  });

  it('gives the same ids when the merges are written as "a b" strings', () => {
    const json = structuredClone(tinyJson()) as { model: { merges: [string, string][] | string[] } };
    json.model.merges = (json.model.merges as [string, string][]).map(([a, b]) => `${a} ${b}`);
    const legacy = tokenizerFromJson(json, 'legacy-merges.json');
    for (const c of tinyCases()) assert.deepEqual(legacy.encode(c.text), c.idsWithSpecial);
  });

  it('takes bos/eos/pad from explicit overrides (tokenizer_config.json style)', () => {
    const t = tokenizerFromJson(tinyJson(), TINY_JSON_PATH, { specialTokens: { bos: '<|endoftext|>', pad: null } });
    assert.equal(t.bosId, 0);
    assert.equal(t.eosId, 0);
    assert.equal(t.padId, undefined);
  });
});
