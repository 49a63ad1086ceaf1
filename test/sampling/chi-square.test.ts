/**
 * Goodness of fit: with no filters, draws follow softmax(logits / T). Pearson's chi-square over 8 tokens
 * (7 degrees of freedom) must stay below the 0.999 quantile, χ²₀.₉₉₉(7) = 24.322. The seed is fixed, so the
 * test is deterministic; a negative control (the T = 1 distribution) shows the test can fail.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler } from '../../src/sampling/sampler.js';

const CHI2_999_DF7 = 24.322;
const N_DRAWS = 20_000;
const LOGITS = Float32Array.from([1.0, 0.5, 0.2, 0, -0.3, -0.6, -1.0, -1.5]);

function softmaxAt(temperature: number): number[] {
  const e = Array.from(LOGITS, (l) => Math.exp(l / temperature));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

function chiSquare(counts: number[], probs: number[], n: number): number {
  return counts.reduce((acc, c, i) => acc + (c - n * probs[i]) ** 2 / (n * probs[i]), 0);
}

function drawCounts(temperature: number, seed: number): number[] {
  const s = new Sampler(LOGITS.length, { temperature, topK: 0, topP: 1, minP: 0, repeatPenalty: 1, seed });
  const counts = new Array<number>(LOGITS.length).fill(0);
  for (let i = 0; i < N_DRAWS; i++) counts[s.sample(LOGITS, [])]++;
  return counts;
}

for (const temperature of [0.7, 1.5]) {
  test(`draws at T = ${temperature} follow softmax(logits / T)`, () => {
    const expected = softmaxAt(temperature);
    assert.ok(Math.min(...expected) * N_DRAWS >= 5, 'every expected count >= 5');
    const chi2 = chiSquare(drawCounts(temperature, 2024), expected, N_DRAWS);
    assert.ok(chi2 < CHI2_999_DF7, `χ² = ${chi2.toFixed(2)} >= ${CHI2_999_DF7}`);
  });
}

test('negative control: draws at T = 0.7 do not fit softmax(logits / 1)', () => {
  const chi2 = chiSquare(drawCounts(0.7, 2024), softmaxAt(1), N_DRAWS);
  assert.ok(chi2 > 10 * CHI2_999_DF7, `χ² = ${chi2.toFixed(2)}`);
});
