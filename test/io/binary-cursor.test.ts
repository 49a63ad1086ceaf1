/** BinaryCursor's u64 reads: the double path (u64Number) against the BigInt one, at the 2^32 boundary and beyond. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryCursor } from '../../src/io/binary-cursor.js';

test('u64Number equals Number(u64) below 2^53, for lengths with and without a high word', () => {
  const values = [0n, 1n, 255n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 32n + 7n, 2n ** 52n + 3n, 2n ** 53n - 1n];
  const bytes = new Uint8Array(8 * values.length);
  const dv = new DataView(bytes.buffer);
  values.forEach((v, i) => dv.setBigUint64(8 * i, v, true));
  const a = new BinaryCursor(bytes, bytes.length);
  const b = new BinaryCursor(bytes, bytes.length);
  for (const v of values) {
    const n = a.u64Number();
    assert.equal(n, Number(v));
    assert.equal(BigInt(n), b.u64());
  }
  assert.equal(a.pos, bytes.length);
});
