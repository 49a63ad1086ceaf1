/** tokenizerFromJson validates its input: every error is a TokenizerError naming the file and the key. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenizerError } from '../../src/errors.js';
import { tokenizerFromJson } from '../../src/tokenizer/from-tokenizer-json.js';
import { tinyJson } from './tokenizer-fixtures.js';

/** Loosely typed on purpose: each case breaks the JSON in a different place. */
type Json = Record<string, any>;

/** The tiny fixture with one change applied. */
function variant(change: (json: Json) => void): Json {
  const json = structuredClone(tinyJson()) as Json;
  change(json);
  return json;
}

const CASES: [string, unknown, RegExp][] = [
  ['a non-object', [1, 2], /`\(root\)` must be an object, got an array of 2/],
  ['a missing model', variant((j) => delete j.model), /`model` must be an object, got undefined/],
  ['a WordPiece model', variant((j) => { j.model.type = 'WordPiece'; }), /`model\.type` is "WordPiece"; only BPE/],
  ['BPE dropout', variant((j) => { j.model.dropout = 0.1; }), /`model\.dropout` is 0\.1/],
  ['byte_fallback', variant((j) => { j.model.byte_fallback = true; }), /`model\.byte_fallback` is true/],
  ['a subword prefix', variant((j) => { j.model.continuing_subword_prefix = '##'; }), /`model\.continuing_subword_prefix` is "##"/],
  ['a bad vocabulary id', variant((j) => { j.model.vocab.a = 'x'; }), /`model\.vocab\["a"\]` must be a token id/],
  ['a merge of three parts', variant((j) => { j.model.merges[3] = 'a b c'; }), /`model\.merges\[3\]` must be a string "a b" \(one space\) or a pair/],
  ['a merge outside the vocabulary', variant((j) => { j.model.merges[0] = ['Ġ', 'qqq']; }), /`model\.merges\[0\]` "Ġ qqq" uses "qqq", which is not in the vocabulary/],
  ['an added token without content', variant((j) => { delete j.added_tokens[1].content; }), /`added_tokens\[1\]\.content` must be a string/],
  ['a Metaspace pre-tokenizer', variant((j) => { j.pre_tokenizer = { type: 'Metaspace' }; }), /`pre_tokenizer\.type` is "Metaspace", an unsupported pre-tokenizer/],
  ['a missing decoder', variant((j) => { j.decoder = null; }), /`decoder` must be an object, got null/],
  ['an unknown normalizer', variant((j) => { j.normalizer = { type: 'Precompiled' }; }), /`normalizer\.type` is "Precompiled", an unsupported normalizer/],
  ['a template naming a missing token', variant((j) => { delete j.post_processor.special_tokens['<|bos|>']; }), /`post_processor\.special_tokens\["<\|bos\|>"\]` must be an object/],
  ['an unknown unk_token', variant((j) => { j.model.unk_token = '<nope>'; }), /unk_token "<nope>" is not in the vocabulary/],
];

describe('tokenizer.json validation', () => {
  for (const [what, json, message] of CASES) {
    it(`rejects ${what}`, () => {
      assert.throws(() => tokenizerFromJson(json, 'models/tokenizer.json'), (e) => {
        assert.ok(e instanceof TokenizerError, `a TokenizerError, got ${String(e)}`);
        assert.ok(e.message.startsWith('models/tokenizer.json: '), e.message);
        assert.match(e.message, message);
        assert.ok(e.hint && e.hint.length > 10, 'says how to fix it');
        return true;
      });
    });
  }

  it('lists the supported choices in the hint', () => {
    const json = variant((j) => { j.normalizer = { type: 'Precompiled' }; });
    assert.throws(() => tokenizerFromJson(json, 't.json'), (e) => e instanceof TokenizerError && /NFC, NFD, NFKC, NFKD, Lowercase, Sequence/.test(e.hint ?? ''));
  });

  it('accepts optional parts left out: no normalizer, no post-processor, no added tokens', () => {
    const json = variant((j) => {
      j.normalizer = null;
      j.post_processor = null;
      j.added_tokens = [];
      j.model.merges = j.model.merges.map(([a, b]: [string, string]) => `${a} ${b}`);
    });
    const tok = tokenizerFromJson(json, 't.json');
    assert.deepEqual([tok.bosId, tok.eosId, tok.padId, tok.unkId], [undefined, undefined, undefined, undefined]);
    assert.equal(tok.decode(tok.encode('Once upon a time')), 'Once upon a time');
  });
});
