import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/sampling/rng.js';
import { ConfigError } from '../../src/errors.js';

test('xoshiro128** reference outputs from state {1, 2, 3, 4}', () => {
  // By hand from xoshiro128starstar.c: rotl(s1·5, 7)·9 with s1 = 2, then 0, then 1029.
  const rng = new Rng();
  rng.setState([1, 2, 3, 4]);
  assert.deepEqual([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()], [11520, 0, 5927040]);
});

test('same seed → same stream; different seeds → different streams', () => {
  const draw = (seed: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: 16 }, () => rng.nextUint32());
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  assert.notDeepEqual(draw(0), draw(1));
});

test('next() is in [0, 1) with a mean near 1/2', () => {
  const rng = new Rng(123);
  let sum = 0;
  for (let i = 0; i < 100_000; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.005);
});

test('getState/setState resume the exact stream; seed() restarts it', () => {
  const rng = new Rng(42);
  for (let i = 0; i < 10; i++) rng.next();
  const saved = rng.getState();
  const a = Array.from({ length: 8 }, () => rng.next());
  rng.setState(saved);
  assert.deepEqual(Array.from({ length: 8 }, () => rng.next()), a);
  rng.seed(42);
  const fresh = new Rng(42);
  assert.deepEqual(rng.getState(), fresh.getState());
});

test('bad seeds and states are ConfigErrors', () => {
  for (const seed of [-1, 1.5, 2 ** 32, NaN]) assert.throws(() => new Rng(seed), ConfigError);
  const rng = new Rng();
  for (const state of [[0, 0, 0, 0], [1, 2, 3], [1, 2, 3, 2 ** 32], [1, 2, 3, -1]]) assert.throws(() => rng.setState(state), ConfigError);
});
