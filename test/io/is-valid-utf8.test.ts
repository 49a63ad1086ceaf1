import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidUtf8 } from '../../src/io/is-valid-utf8.js';
import { mulberry32 } from '../helpers/prng.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
function decoderAccepts(b: Uint8Array): boolean {
  try {
    fatal.decode(b);
    return true;
  } catch {
    return false;
  }
}

test('isValidUtf8 agrees with TextDecoder({fatal: true}) on the edge cases', () => {
  const cases: number[][] = [
    [], [0x41], [0x00], [0x7f], [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2, 0x80], [0xdf, 0xbf], [0xc2],
    [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xe0, 0xa0, 0x80], [0xed, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
    [0xee, 0x80, 0x80], [0xef, 0xbb, 0xbf], [0xef, 0xbf, 0xbf], [0xe2, 0x82], [0xf0, 0x8f, 0xbf, 0xbf], [0xf0, 0x90, 0x80, 0x80],
    [0xf4, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff],
    [0xf0, 0x9f, 0x99], [0x41, 0xc3, 0xa9, 0x42], [0xc3, 0x41],
  ];
  for (const c of cases) {
    const b = Uint8Array.from(c);
    assert.equal(isValidUtf8(b, 0, b.length), decoderAccepts(b), `bytes ${c.map((x) => x.toString(16)).join(' ')}`);
  }
});

test('isValidUtf8 agrees with TextDecoder on seeded random byte strings, and respects the range', () => {
  const rnd = mulberry32(7);
  const pool = [0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
  let valid = 0;
  for (let i = 0; i < 20000; i++) {
    const b = Uint8Array.from({ length: Math.floor(rnd() * 7) }, () => pool[Math.floor(rnd() * pool.length)]);
    const ok = decoderAccepts(b);
    if (ok) valid++;
    assert.equal(isValidUtf8(b, 0, b.length), ok, `bytes ${[...b].map((x) => x.toString(16)).join(' ')}`);
    // the same bytes inside a larger buffer, with invalid bytes around them
    const wrapped = new Uint8Array(b.length + 2).fill(0xff);
    wrapped.set(b, 1);
    assert.equal(isValidUtf8(wrapped, 1, 1 + b.length), ok);
  }
  assert.ok(valid > 1000 && valid < 19000, `valid=${valid}`);
});
