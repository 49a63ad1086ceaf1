/**
 * The GPT-NeoX-20B tokenizer against Hugging Face `tokenizers` 0.23.2, run on both builds of it:
 * from tokenizer.json and from GGUF metadata (as `convert` embeds it). Same suite, same ids.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import {
  MAMBA_N_VOCAB, expandRepeat, neoxEdgeCases, neoxFromGGUF, neoxFromJson, neoxReferenceTexts, neoxVectors,
} from './tokenizer-fixtures.js';

const BUILDS: readonly { name: string; make: () => Tokenizer; vocabSize: number }[] = [
  { name: 'from tokenizer.json', make: neoxFromJson, vocabSize: 50277 },
  { name: 'from GGUF metadata', make: neoxFromGGUF, vocabSize: MAMBA_N_VOCAB },
];

/** Index of the first difference, or -1: a readable failure on 300k-id arrays. */
function firstDifference(got: ArrayLike<number>, want: ArrayLike<number>): number {
  for (let i = 0; i < Math.max(got.length, want.length); i++) if (got[i] !== want[i]) return i;
  return -1;
}

for (const build of BUILDS) {
  describe(`GPT-NeoX-20B tokenizer ${build.name}`, () => {
    const tok = build.make();

    it('has the NeoX special ids: <|endoftext|> (0) is bos = eos = pad = unk', () => {
      assert.equal(tok.vocabSize, build.vocabSize);
      assert.deepEqual([tok.bosId, tok.eosId, tok.padId, tok.unkId], [0, 0, 0, 0]);
      assert.equal(tok.tokenToString(0), '<|endoftext|>');
      assert.equal(tok.tokenToString(50276), '  ');
      assert.equal(tok.isSpecial(0), true);
      assert.equal(tok.isSpecial(50276), false);
    });

    it('matches the 30 reference vectors: ids, token strings, decoded text', () => {
      const vectors = neoxVectors();
      assert.equal(vectors.length, 30);
      for (const c of vectors) {
        const ids = tok.encode(c.text);
        assert.deepEqual(ids, c.ids, JSON.stringify(c.text));
        assert.deepEqual(ids.map((id) => tok.tokenToString(id)), c.tokens, JSON.stringify(c.text));
        assert.equal(tok.decode(ids), c.decoded, JSON.stringify(c.text));
      }
    });

    it('adds no special tokens by default, like HF (post_processor ByteLevel)', () => {
      assert.deepEqual(tok.encode('Hello, world!'), tok.encode('Hello, world!', { addSpecial: false }));
    });

    it('matches HF on edge cases: unicode whitespace, controls, NUL, combining marks, seeded random text', () => {
      for (const c of neoxEdgeCases().cases) {
        assert.deepEqual(tok.encode(c.text), c.ids, JSON.stringify(c.text.slice(0, 80)));
      }
    });

    it('matches HF on long runs of one character (1 MB of "a" is one 1M-symbol BPE word)', { timeout: 60_000 }, () => {
      for (const r of neoxEdgeCases().repeats) {
        const { text, ids } = expandRepeat(r);
        const got = tok.encode(text);
        assert.equal(got.length, r.nIds, `${JSON.stringify(r.unit)} x ${r.count}`);
        assert.equal(firstDifference(got, ids), -1, `${JSON.stringify(r.unit)} x ${r.count}`);
        assert.equal(tok.decode(got), text);
      }
    });

    it('matches HF on the whole of tinystories-valid-head.txt and tinyshakespeare.txt', () => {
      for (const ref of neoxReferenceTexts()) {
        const got = tok.encode(ref.text);
        assert.equal(firstDifference(got, ref.ids), -1, ref.name);
        assert.equal(tok.decode(got), ref.text, `${ref.name} round-trips`);
      }
    });

    it('round-trips decode(encode(x)) == x wherever NFC leaves x unchanged', () => {
      const texts = [...neoxVectors(), ...neoxEdgeCases().cases].map((c) => c.text);
      let nChecked = 0;
      for (const text of texts) {
        if (text.normalize('NFC') !== text) continue;
        assert.equal(tok.decode(tok.encode(text)), text, JSON.stringify(text.slice(0, 80)));
        nChecked++;
      }
      assert.ok(nChecked > 90, `checked ${nChecked} texts`);
    });

    it('decodes skipping special tokens on request', () => {
      const ids = tok.encode('a<|endoftext|>  b<|padding|>');
      assert.deepEqual(ids, [66, 0, 50276, 67, 1]);
      assert.equal(tok.decode(ids), 'a<|endoftext|>  b<|padding|>');
      assert.equal(tok.decode(ids, { skipSpecial: true }), 'a  b');
    });
  });
}
