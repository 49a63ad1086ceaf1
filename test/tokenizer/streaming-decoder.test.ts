import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StreamingDecoder } from '../../src/tokenizer/streaming-decoder.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { mulberry32 } from '../helpers/prng.js';
import { neoxEdgeCases, neoxFromJson, neoxVectors, tinyFromJson } from './tokenizer-fixtures.js';

/** Streams `ids` one at a time; returns every chunk (the last one from flush()). */
function stream(tok: Tokenizer, ids: readonly number[], skipSpecial = false): string[] {
  const decoder = new StreamingDecoder(tok, { skipSpecial });
  const chunks = ids.map((id) => decoder.push(id));
  chunks.push(decoder.flush());
  return chunks;
}

describe('StreamingDecoder', () => {
  const tok = neoxFromJson();

  it('holds back a character split over several tokens until it is complete', () => {
    const ids = tok.encode('emoji 🙂👍🏽 🇩🇪');
    assert.deepEqual(ids, [43208, 8020, 42908, 14931, 228, 224, 14931, 226, 123, 22692, 218, 104, 14931, 218, 105]);
    const chunks = stream(tok, ids);
    assert.deepEqual(chunks.slice(0, 6), ['emo', 'ji', ' 🙂', '', '', '👍'], '👍 is three tokens');
    assert.ok(chunks.every((c) => !c.includes('\ufffd')), 'never emits half a character');
    assert.equal(chunks.join(''), 'emoji 🙂👍🏽 🇩🇪');
  });

  it('tokenToBytes returns one view per token, made once (streaming a token again allocates nothing)', () => {
    for (const id of [0, 12092, 50276]) {
      const a = tok.tokenToBytes(id);
      assert.equal(tok.tokenToBytes(id), a);
      assert.equal(tok.decode([id]), new TextDecoder().decode(a), 'the view holds the token\'s bytes');
    }
  });

  it('streams exactly decode(all ids) on every reference text', () => {
    for (const c of [...neoxVectors(), ...neoxEdgeCases().cases]) {
      const ids = tok.encode(c.text);
      assert.equal(stream(tok, ids).join(''), tok.decode(ids), JSON.stringify(c.text.slice(0, 60)));
    }
  });

  it('streams exactly decode(all ids) on seeded random ids, invalid UTF-8 included', () => {
    const rand = mulberry32(42);
    const byteTokens = [...Array(tok.vocabSize).keys()].filter((id) => tok.tokenToBytes(id).length === 1);
    for (let trial = 0; trial < 300; trial++) {
      const ids = Array.from({ length: 1 + Math.floor(rand() * 12) }, () =>
        rand() < 0.6 ? byteTokens[Math.floor(rand() * byteTokens.length)] : Math.floor(rand() * tok.vocabSize));
      assert.equal(stream(tok, ids).join(''), tok.decode(ids), `ids ${ids}`);
    }
  });

  it('flushes an unfinished character as U+FFFD, like decode', () => {
    const ids = [14931, 226]; // the first two of the three tokens of 👍
    assert.deepEqual(stream(tok, ids), ['', '', '\ufffd']);
    assert.equal(tok.decode(ids), '\ufffd');
  });

  it('skips special tokens on request, matching decode({skipSpecial: true})', () => {
    const tiny = tinyFromJson();
    const ids = tiny.encode('Once upon a time');
    assert.equal(ids[0], tiny.bosId);
    assert.equal(stream(tiny, ids, true).join(''), 'Once upon a time');
    assert.equal(stream(tiny, ids).join(''), tiny.decode(ids));
  });

  it('throws a TokenizerError for an id out of range', () => {
    const decoder = new StreamingDecoder(tok);
    assert.throws(() => decoder.push(tok.vocabSize), { name: 'TokenizerError' });
  });
});
