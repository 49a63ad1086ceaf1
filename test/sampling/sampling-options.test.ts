import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SAMPLING, validateSamplingOptions, type SamplingOptions } from '../../src/sampling/sampling-options.js';
import { Sampler } from '../../src/sampling/sampler.js';
import { ConfigError } from '../../src/errors.js';

test('defaults are llama.cpp’s and valid', () => {
  assert.deepEqual(
    { ...DEFAULT_SAMPLING, seed: undefined },
    { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, repeatPenalty: 1, repeatLastN: 64, seed: undefined },
  );
  assert.equal(validateSamplingOptions({ ...DEFAULT_SAMPLING }).topK, 40);
});

test('out-of-range options are ConfigErrors naming the option and its range', () => {
  const cases: { bad: Partial<SamplingOptions>; message: RegExp }[] = [
    { bad: { temperature: -0.1 }, message: /`temperature` must be a number >= 0, got -0.1/ },
    { bad: { temperature: NaN }, message: /`temperature` .* got NaN/ },
    { bad: { temperature: Infinity }, message: /`temperature`/ },
    { bad: { topK: -1 }, message: /`topK` must be an integer >= 0/ },
    { bad: { topK: 2.5 }, message: /`topK` must be an integer/ },
    { bad: { topP: 1.5 }, message: /`topP` must be a number from 0 to 1, got 1.5/ },
    { bad: { minP: -0.01 }, message: /`minP` must be a number from 0 to 1/ },
    { bad: { repeatPenalty: 0 }, message: /`repeatPenalty` must be a number > 0, got 0/ },
    { bad: { repeatLastN: -1 }, message: /`repeatLastN` must be an integer >= 0/ },
    { bad: { seed: 2 ** 32 }, message: /`seed` must be an integer from 0 to 4294967295/ },
    { bad: { seed: '1' as unknown as number }, message: /`seed` .* got "1"/ },
  ];
  for (const c of cases) {
    assert.throws(() => validateSamplingOptions({ ...DEFAULT_SAMPLING, ...c.bad }), (e: unknown) => e instanceof ConfigError && c.message.test(e.message), JSON.stringify(c.bad));
    assert.throws(() => new Sampler(10, c.bad), ConfigError);
  }
  assert.throws(() => validateSamplingOptions({ ...DEFAULT_SAMPLING, topP: 2 }), (e: unknown) => e instanceof ConfigError && e.hint === '1 turns it off');
});
