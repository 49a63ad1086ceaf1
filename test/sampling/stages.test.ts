/** Each sampling stage on hand-made distributions: exact kept sets and renormalised probabilities. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ranksBefore, selectBest } from '../../src/sampling/candidate-order.js';
import { applyRepetitionPenalty } from '../../src/sampling/repetition-penalty.js';
import { topK } from '../../src/sampling/top-k.js';
import { topP } from '../../src/sampling/top-p.js';
import { minP } from '../../src/sampling/min-p.js';
import { applyTemperature } from '../../src/sampling/temperature.js';
import { softmax } from '../../src/sampling/softmax.js';
import { drawIndex } from '../../src/sampling/draw.js';
import { argmax } from '../../src/sampling/greedy.js';
import { TokenizerError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/prng.js';

/** Logits whose softmax is exactly `probs` (up to float32 rounding). */
function logitsOf(probs: number[]): Float32Array {
  return Float32Array.from(probs, (p) => Math.log(p));
}
function allIds(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
/** Softmax over the kept ids, as plain numbers. */
function renormalised(logits: Float32Array, ids: Int32Array, n: number): number[] {
  const probs = new Float32Array(n);
  softmax(logits, ids, n, probs);
  return Array.from(probs);
}
function assertClose(actual: number[], expected: number[], tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `lengths: ${actual} vs ${expected}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= tol, `[${i}]: ${a} vs ${expected[i]} (${actual} vs ${expected})`));
}
/** Full sort by the candidate order: the oracle for the partial selections. */
function sortedIds(logits: Float32Array, ids: ArrayLike<number>): number[] {
  return Array.from(ids).sort((a, b) => (ranksBefore(logits, a, b) ? -1 : ranksBefore(logits, b, a) ? 1 : 0));
}

// Token id → probability, deliberately not in sorted order: best first is 1, 3, 4, 0, 2.
const SCRAMBLED = [0.1, 0.4, 0.05, 0.3, 0.15];

test('selectBest = the first k of a full sort (random logits with many ties)', () => {
  const rand = mulberry32(1);
  for (const n of [1, 2, 7, 64, 300]) {
    for (const k of [1, 2, 5, 40, 64, 299, 300, 400]) {
      const logits = Float32Array.from({ length: n }, () => Math.floor(rand() * 12) - 6);
      const ids = allIds(n);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [ids[i], ids[j]] = [ids[j], ids[i]];
      }
      const expected = sortedIds(logits, ids);
      selectBest(logits, ids, 0, n, k);
      const kk = Math.min(k, n);
      assert.deepEqual(Array.from(ids.subarray(0, kk)), expected.slice(0, kk), `n=${n} k=${k}`);
      assert.deepEqual(sortedIds(logits, ids), expected, 'the rest is a permutation of the others');
    }
  }
});

test('repetition penalty: positive ÷ p, negative × p, once per distinct token in the last N', () => {
  const cases: { recent: number[]; lastN: number; penalty: number; expected: number[] }[] = [
    { recent: [0, 1, 0, 0], lastN: 64, penalty: 2, expected: [1, -4, 1, 0.5, 0] },
    { recent: [0, 1, 0, 0], lastN: 2, penalty: 2, expected: [1, -2, 1, 0.5, 0] },
    { recent: [4, 3, 2], lastN: 3, penalty: 0.5, expected: [2, -2, 2, 1, 0] },
    { recent: [0, 1], lastN: 0, penalty: 2, expected: [2, -2, 1, 0.5, 0] },
    { recent: [0, 1], lastN: 64, penalty: 1, expected: [2, -2, 1, 0.5, 0] },
    { recent: [], lastN: 64, penalty: 2, expected: [2, -2, 1, 0.5, 0] },
  ];
  for (const c of cases) {
    const logits = Float32Array.from([2, -2, 1, 0.5, 0]);
    const seen = new Uint8Array(5);
    applyRepetitionPenalty(logits, c.recent, c.lastN, c.penalty, seen);
    assert.deepEqual(Array.from(logits), c.expected, JSON.stringify(c));
    assert.ok(seen.every((s) => s === 0), 'scratch left zeroed');
  }
});

test('repetition penalty: a token id outside the vocabulary is a TokenizerError, scratch left zeroed', () => {
  const seen = new Uint8Array(3);
  assert.throws(() => applyRepetitionPenalty(new Float32Array(3), [0, 1, 3], 64, 1.1, seen), TokenizerError);
  assert.throws(() => applyRepetitionPenalty(new Float32Array(3), [-1], 64, 1.1, seen), TokenizerError);
  assert.ok(seen.every((s) => s === 0));
});

test('top-k keeps the k best, sorted, ties to the lower id', () => {
  const cases: { logits: number[]; k: number; kept: number[] }[] = [
    { logits: [1, 5, 3, 5, 2], k: 1, kept: [1] },
    { logits: [1, 5, 3, 5, 2], k: 2, kept: [1, 3] },
    { logits: [1, 5, 3, 5, 2], k: 3, kept: [1, 3, 2] },
    { logits: [1, 5, 3, 5, 2], k: 5, kept: [1, 3, 2, 4, 0] },
    { logits: [1, 5, 3, 5, 2], k: 99, kept: [1, 3, 2, 4, 0] },
    { logits: [0, 0, 0, 0], k: 2, kept: [0, 1] },
  ];
  for (const c of cases) {
    const logits = Float32Array.from(c.logits);
    const ids = allIds(logits.length);
    const n = topK(logits, ids, ids.length, c.k);
    assert.deepEqual(Array.from(ids.subarray(0, n)), c.kept, JSON.stringify(c));
  }
  // Renormalised: the top 3 of SCRAMBLED are 0.4, 0.3, 0.15 → divided by 0.85.
  const logits = logitsOf(SCRAMBLED);
  const ids = allIds(5);
  const n = topK(logits, ids, 5, 3);
  assertClose(renormalised(logits, ids, n), [0.4 / 0.85, 0.3 / 0.85, 0.15 / 0.85]);
});

test('top-p keeps the shortest best-first prefix reaching p (including the crossing token)', () => {
  const cases: { p: number; kept: number[] }[] = [
    { p: 0, kept: [1] },
    { p: 0.39, kept: [1] },
    { p: 0.41, kept: [1, 3] },
    { p: 0.69, kept: [1, 3] },
    { p: 0.71, kept: [1, 3, 4] },
    { p: 0.9, kept: [1, 3, 4, 0] },
    { p: 0.99, kept: [1, 3, 4, 0, 2] },
    { p: 1, kept: [0, 1, 2, 3, 4] }, // off: untouched
  ];
  for (const c of cases) {
    const logits = logitsOf(SCRAMBLED);
    const ids = allIds(5);
    const n = topP(logits, ids, 5, false, c.p);
    assert.deepEqual(Array.from(ids.subarray(0, n)), c.kept, `p=${c.p}`);
  }
  const logits = logitsOf(SCRAMBLED);
  const ids = allIds(5);
  const n = topP(logits, ids, 5, false, 0.71);
  assertClose(renormalised(logits, ids, n), [0.4 / 0.85, 0.3 / 0.85, 0.15 / 0.85]);
});

test('top-p on a large vocabulary (bucketed cut) matches a full sort, with and without a sorted input', () => {
  const rand = mulberry32(2);
  const cases: { n: number; p: number; logit: () => number }[] = [
    { n: 5000, p: 0.9, logit: () => (rand() - 0.5) * 4 },
    { n: 5000, p: 0.5, logit: () => (rand() - 0.5) * 16 },
    { n: 2000, p: 0.999, logit: () => rand() - 0.5 },
    { n: 300, p: 0.3, logit: () => (rand() - 0.5) * 0.2 },
    { n: 1000, p: 0.8, logit: () => Math.floor(rand() * 5) }, // many ties
    { n: 1000, p: 0.95, logit: () => 3 }, // all equal: zero span
    { n: 1000, p: 0.9, logit: () => (rand() < 0.5 ? -1e4 : rand() * 3) }, // masked tokens far below the span
    { n: 1000, p: 0.9, logit: () => (rand() < 0.5 ? -Infinity : rand() * 3) },
    { n: 3000, p: 0.97, logit: () => -Math.log(rand() + 1e-9) * 3 }, // long upper tail
  ];
  for (const { n, p, logit } of cases) {
    const logits = Float32Array.from({ length: n }, logit);
    const sorted = sortedIds(logits, allIds(n));
    let max = -Infinity;
    for (const l of logits) max = Math.max(max, l);
    let sum = 0;
    for (const l of logits) sum += Math.exp(l - max);
    let cum = 0;
    let expectedCount = n;
    for (let i = 0; i < n; i++) {
      cum += Math.exp(logits[sorted[i]] - max) / sum;
      if (cum >= p) {
        expectedCount = i + 1;
        break;
      }
    }
    const ids = allIds(n);
    const kept = topP(logits, ids, n, false, p);
    assert.deepEqual(Array.from(ids.subarray(0, kept)), sorted.slice(0, expectedCount), `n=${n} p=${p}`);
    assert.deepEqual(sortedIds(logits, ids), sorted, 'ids stays a permutation');
    // After top-k the prefix is already sorted: same result.
    const ids2 = allIds(n);
    const k = topK(logits, ids2, n, n);
    assert.equal(topP(logits, ids2, k, true, p), expectedCount);
    assert.deepEqual(Array.from(ids2.subarray(0, expectedCount)), sorted.slice(0, expectedCount));
  }
});

test('min-p keeps tokens with p >= min_p · p_max, in their current order', () => {
  const cases: { p: number; kept: number[] }[] = [
    { p: 0, kept: [0, 1, 2, 3, 4] },
    { p: 0.24, kept: [0, 1, 3, 4] }, // threshold 0.096
    { p: 0.26, kept: [1, 3, 4] }, // threshold 0.104
    { p: 0.5, kept: [1, 3] }, // threshold 0.2
    { p: 0.9, kept: [1] },
    { p: 1, kept: [1] },
  ];
  for (const c of cases) {
    const logits = logitsOf(SCRAMBLED);
    const ids = allIds(5);
    const n = minP(logits, ids, 5, c.p);
    assert.deepEqual(Array.from(ids.subarray(0, n)), c.kept, `p=${c.p}`);
  }
  const logits = logitsOf(SCRAMBLED);
  const ids = allIds(5);
  const n = minP(logits, ids, 5, 0.5);
  assertClose(renormalised(logits, ids, n), [0.4 / 0.7, 0.3 / 0.7]);
});

test('temperature divides only the live candidates', () => {
  const logits = Float32Array.from([2, -1, 4]);
  applyTemperature(logits, Int32Array.from([1, 0]), 2, 0.5);
  assert.deepEqual(Array.from(logits), [4, -2, 4]);
  // softmax(ln p / T) ∝ p^(1/T): T = 0.5 squares the probabilities.
  const l2 = logitsOf([0.5, 0.3, 0.2]);
  const ids = allIds(3);
  applyTemperature(l2, ids, 3, 0.5);
  assertClose(renormalised(l2, ids, 3), [0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38]);
});

test('softmax is by candidate position and sums to 1', () => {
  const logits = logitsOf([0.1, 0.2, 0.7]);
  const probs = new Float32Array(3);
  softmax(logits, Int32Array.from([2, 0, 1]), 3, probs);
  assertClose(Array.from(probs), [0.7, 0.1, 0.2]);
  softmax(Float32Array.from([1000, 1000, -Infinity]), allIds(3), 3, probs);
  assertClose(Array.from(probs), [0.5, 0.5, 0]);
});

test('drawIndex inverts the cumulative distribution and skips zero-probability entries', () => {
  const cases: { probs: number[]; u: number; index: number }[] = [
    { probs: [0.2, 0.5, 0.3], u: 0, index: 0 },
    { probs: [0.2, 0.5, 0.3], u: 0.19, index: 0 },
    { probs: [0.2, 0.5, 0.3], u: 0.21, index: 1 },
    { probs: [0.2, 0.5, 0.3], u: 0.69, index: 1 },
    { probs: [0.2, 0.5, 0.3], u: 0.71, index: 2 },
    { probs: [0.2, 0.5, 0.3], u: 1 - 2 ** -32, index: 2 },
    { probs: [0, 1, 0], u: 0, index: 1 },
    { probs: [0, 1, 0], u: 1 - 2 ** -32, index: 1 },
    { probs: [0.25, 0.25, 0.25, 0.25], u: 0.6, index: 2 },
  ];
  for (const c of cases) assert.equal(drawIndex(Float32Array.from(c.probs), c.probs.length, c.u), c.index, JSON.stringify(c));
});

test('argmax: ties go to the lowest id', () => {
  const cases: { logits: number[]; id: number }[] = [
    { logits: [1, 3, 3, 2], id: 1 },
    { logits: [0, 0, 0], id: 0 },
    { logits: [-5, -1, -1, -3], id: 1 },
    { logits: [-Infinity, -Infinity, 0], id: 2 },
    { logits: [7], id: 0 },
  ];
  for (const c of cases) assert.equal(argmax(Float32Array.from(c.logits)), c.id, JSON.stringify(c));
});
