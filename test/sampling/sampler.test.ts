import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler } from '../../src/sampling/sampler.js';
import type { SamplingOptions } from '../../src/sampling/sampling-options.js';
import { MambaError, NumericError, TokenizerError } from '../../src/errors.js';
import { mulberry32 } from '../helpers/prng.js';

const ALL_ON_NO_FILTERS: Partial<SamplingOptions> = { topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

function logitsOf(probs: number[]): Float32Array {
  return Float32Array.from(probs, (p) => Math.log(p));
}
function randomLogits(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * 8);
}

test('greedy (temperature 0 or < 1e-6) = argmax, ties to the lowest id, and draws no random number', () => {
  for (const temperature of [0, 1e-7]) {
    const s = new Sampler(5, { temperature, seed: 9 });
    const before = s.getState();
    assert.equal(s.sample(Float32Array.from([1, 4, 2, 4, 0]), []), 1);
    assert.equal(s.sample(Float32Array.from([-3, -1, -2, -1, -1]), []), 1);
    assert.equal(s.lastProbability, 1);
    assert.deepEqual(s.getState(), before);
    assert.deepEqual(Array.from(s.probabilities(Float32Array.from([0, 0, 5, 1, 5]), [])), [0, 0, 1, 0, 0]);
  }
});

test('the full chain: top-k → top-p → min-p → temperature, renormalised', () => {
  // top-k 4 keeps .4 .25 .15 .1; top-p .8 over those (÷ .9: .444 .722 .889) keeps 3; min-p .5 (≥ .2) keeps 2;
  // T = 0.5 squares: .16, .0625 → ÷ .2225.
  const s = new Sampler(6, { temperature: 0.5, topK: 4, topP: 0.8, minP: 0.5 });
  const probs = s.probabilities(logitsOf([0.06, 0.25, 0.1, 0.4, 0.15, 0.04]), []);
  const expected = [0, 0.0625 / 0.2225, 0, 0.16 / 0.2225, 0, 0];
  probs.forEach((p, i) => assert.ok(Math.abs(p - expected[i]) < 1e-6, `${i}: ${p} vs ${expected[i]}`));
});

test('same seed and options → same tokens; different seed → different tokens', () => {
  const run = (seed: number, options: Partial<SamplingOptions> = {}) => {
    const s = new Sampler(200, { ...options, seed });
    const recent: number[] = [];
    for (let step = 0; step < 300; step++) recent.push(s.sample(randomLogits(200, step), recent));
    return recent;
  };
  assert.deepEqual(run(5), run(5));
  assert.notDeepEqual(run(5), run(6));
  const penalised = { repeatPenalty: 1.3, temperature: 1.2, topK: 0, topP: 0.9 };
  assert.deepEqual(run(11, penalised), run(11, penalised));
});

test('samplers of one vocabulary size share their work arrays: interleaved, each draws as if alone', () => {
  const optionsA = { repeatPenalty: 1.3, temperature: 1.2, topK: 0, topP: 0.9, seed: 21 };
  const optionsB = { repeatPenalty: 1.1, temperature: 0.7, topK: 20, topP: 1, minP: 0.05, seed: 22 };
  const alone = (options: Partial<SamplingOptions>) => {
    const s = new Sampler(200, options);
    const recent: number[] = [];
    for (let step = 0; step < 200; step++) recent.push(s.sample(randomLogits(200, step), recent));
    return recent;
  };
  const [a, b] = [new Sampler(200, optionsA), new Sampler(200, optionsB)];
  const [ra, rb]: number[][] = [[], []];
  for (let step = 0; step < 200; step++) {
    ra.push(a.sample(randomLogits(200, step), ra));
    b.probabilities(randomLogits(200, 1000 + step), rb); // another sequence's -v output in between
    rb.push(b.sample(randomLogits(200, step), rb));
  }
  assert.deepEqual(ra, alone(optionsA));
  assert.deepEqual(rb, alone(optionsB));
  // a failed call (a bad recent id) leaves the shared arrays clean for the others
  assert.throws(() => b.sample(randomLogits(200, 7), [1, 2, 900]), TokenizerError);
  const c = new Sampler(200, optionsA);
  const rc: number[] = [];
  for (let step = 0; step < 200; step++) rc.push(c.sample(randomLogits(200, step), rc));
  assert.deepEqual(rc, ra);
});

test('getState/setState resume the same stream; setSeed restarts it', () => {
  const logits = randomLogits(50, 3);
  const s = new Sampler(50, { ...ALL_ON_NO_FILTERS, temperature: 1, seed: 1 });
  const first = Array.from({ length: 20 }, () => s.sample(logits, []));
  const saved = s.getState();
  const next = Array.from({ length: 20 }, () => s.sample(logits, []));
  s.setState(saved);
  assert.deepEqual(Array.from({ length: 20 }, () => s.sample(logits, [])), next);
  s.setSeed(1);
  assert.deepEqual(Array.from({ length: 20 }, () => s.sample(logits, [])), first);
});

test('top-k / top-p / min-p never return an excluded token, and every kept token occurs', () => {
  // Best first: 1 (.3), 3 (.2), 4 (.15), 0 (.12), 6 (.1), 2 (.08), 5 (.05)
  const logits = logitsOf([0.12, 0.3, 0.08, 0.2, 0.15, 0.05, 0.1]);
  const cases: { options: Partial<SamplingOptions>; kept: number[] }[] = [
    { options: { topK: 3, topP: 1, minP: 0 }, kept: [1, 3, 4] },
    { options: { topK: 0, topP: 0.6, minP: 0 }, kept: [1, 3, 4] },
    { options: { topK: 0, topP: 1, minP: 0.45 }, kept: [1, 3, 4] },
    { options: { topK: 2, topP: 1, minP: 0 }, kept: [1, 3] },
    { options: { topK: 0, topP: 0.25, minP: 0 }, kept: [1] },
    { options: { topK: 6, topP: 0.9, minP: 0.3 }, kept: [0, 1, 3, 4, 6] },
  ];
  for (const c of cases) {
    const s = new Sampler(7, { temperature: 1.5, seed: 3, ...c.options });
    const support = Array.from(s.probabilities(logits, []).entries()).filter(([, p]) => p > 0).map(([i]) => i);
    assert.deepEqual(support, c.kept, JSON.stringify(c.options));
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 3000; i++) counts[s.sample(logits, [])]++;
    counts.forEach((count, id) => assert.equal(count > 0, c.kept.includes(id), `${JSON.stringify(c.options)}: token ${id} drawn ${count}×`));
  }
});

test('repetition penalty changes the argmax when it should', () => {
  const cases: { logits: number[]; recent: number[]; penalty: number; lastN?: number; id: number }[] = [
    { logits: [3, 2.5, 0], recent: [0], penalty: 1.1, id: 0 }, // 3/1.1 = 2.73 > 2.5
    { logits: [3, 2.5, 0], recent: [0], penalty: 1.5, id: 1 }, // 3/1.5 = 2 < 2.5
    { logits: [3, 2.5, 0], recent: [0, 1], penalty: 1.5, id: 0 }, // both penalised: 2 > 2.5/1.5 = 1.67
    { logits: [-1, -1.2], recent: [0], penalty: 1.5, id: 1 }, // negative: −1·1.5 = −1.5 < −1.2
    { logits: [3, 2.5, 0], recent: [0, 2, 2, 2], penalty: 1.5, lastN: 3, id: 0 }, // token 0 outside the window
  ];
  for (const c of cases) {
    const s = new Sampler(c.logits.length, { temperature: 0, repeatPenalty: c.penalty, repeatLastN: c.lastN ?? 64 });
    assert.equal(s.sample(Float32Array.from(c.logits), c.recent), c.id, JSON.stringify(c));
  }
});

test('sample does not modify the caller’s logits', () => {
  const logits = randomLogits(100, 8);
  const copy = logits.slice();
  const s = new Sampler(100, { repeatPenalty: 2, temperature: 0.5 });
  s.sample(logits, [1, 2, 3]);
  assert.deepEqual(logits, copy);
});

test('bad arguments are typed errors', () => {
  assert.throws(() => new Sampler(0, {}), MambaError);
  const s = new Sampler(4, { repeatPenalty: 1.2 });
  assert.throws(() => s.sample(new Float32Array(5), []), MambaError);
  assert.throws(() => s.sample(new Float32Array(4), [7]), TokenizerError);
});

test('NaN or +inf logits are a NumericError naming the first such token, greedy or not; −inf (a masked token) is fine', () => {
  for (const temperature of [0, 0.8]) {
    const s = new Sampler(6, { temperature, seed: 3 });
    for (const bad of [Number.NaN, Infinity]) {
      const logits = Float32Array.from([0.5, 1, -2, 0, 3, 1]);
      logits[2] = bad;
      logits[5] = bad;
      assert.throws(() => s.sample(logits, []), (e: unknown) => e instanceof NumericError && e.code === 'E_NUMERIC' && /2 of 6 .*token 2/.test(e.message) && e.hint !== undefined);
      assert.throws(() => s.probabilities(logits, []), NumericError);
    }
    const masked = Float32Array.from([0.5, -Infinity, 3, -Infinity, 1, 0]);
    const id = s.sample(masked, []);
    assert.ok(id !== 1 && id !== 3, `a masked token was drawn: ${id}`);
  }
});
