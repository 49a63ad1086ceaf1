import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenizerError } from '../../src/errors.js';
import { neoxFromJson } from './tokenizer-fixtures.js';

describe('bad input', () => {
  const tok = neoxFromJson();

  it('encodes lone surrogates as U+FFFD (what UTF-8 can carry); paired surrogates are untouched', () => {
    const replacement = tok.encode('a\ufffdb');
    assert.deepEqual(tok.encode('a\ud800b'), replacement);
    assert.deepEqual(tok.encode('a\udc00b'), replacement);
    assert.deepEqual(tok.encode('\udc00\ud83d'), tok.encode('\ufffd\ufffd'));
    assert.equal(tok.decode(tok.encode('x\ud83d\ude00y')), 'x😀y');
  });

  it('round-trips NUL and other control bytes', () => {
    const text = '\u0000a\u0000\u0000 b\u0001\u001f\u007f\u0000';
    const ids = tok.encode(text);
    assert.ok(ids.includes(177), 'NUL is byte-level "Ā" (177)');
    assert.equal(tok.decode(ids), text);
  });

  it('keeps a leading U+FEFF when decoding (no BOM stripping)', () => {
    assert.equal(tok.decode(tok.encode('\ufeffhello')), '\ufeffhello');
  });

  it('encodes 1 MB of one character in one linear pass (a quadratic BPE would not finish)', { timeout: 60_000 }, () => {
    const ids = tok.encode('z'.repeat(1 << 20));
    assert.equal(tok.decode(ids).length, 1 << 20);
    const spaces = tok.encode(' '.repeat(1 << 20));
    assert.equal(spaces.length, Math.ceil((1 << 20) / 24));
  });

  const badIds: [string, number][] = [
    ['= vocabSize', 50277], ['far out of range', 1e9], ['negative', -1], ['fractional', 1.5], ['NaN', NaN],
  ];
  for (const [what, id] of badIds) {
    it(`decode rejects an id that is ${what} with a TokenizerError`, () => {
      for (const call of [() => tok.decode([12092, id]), () => tok.tokenToBytes(id), () => tok.tokenByteLength(id), () => tok.tokenToString(id)]) {
        assert.throws(call, (e) => e instanceof TokenizerError && /out of range/.test(e.message) && e.code === 'E_TOKENIZER'
          && e.hint !== undefined && /vocabSize/.test(e.hint));
      }
    });
  }

  it('accepts any ArrayLike of ids', () => {
    assert.equal(tok.decode(Int32Array.from([12092, 13, 1533, 2])), 'Hello, world!');
    assert.equal(tok.decode([]), '');
    assert.deepEqual(tok.encode(''), []);
  });
});
