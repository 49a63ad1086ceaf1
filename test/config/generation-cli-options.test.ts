import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_CLI_OPTIONS, GENERATION_CLI_OPTIONS, generationOverridesFromFlags } from '../../src/config/generation-cli-options.js';
import { GENERATION_OPTION_ROWS } from '../../src/config/generation-options.js';
import { parseCommandArgs } from '../../src/cli/parse-args.js';
import { UsageError } from '../../src/errors.js';

const TABLE = { ...CONFIG_CLI_OPTIONS, ...GENERATION_CLI_OPTIONS };

test('one flag per option row; short flags are unique', () => {
  assert.deepEqual(Object.keys(GENERATION_CLI_OPTIONS), GENERATION_OPTION_ROWS.map((r) => r.flag));
  const shorts = Object.values(TABLE).flatMap((s) => ('short' in s && s.short ? [s.short] : []));
  assert.equal(new Set(shorts).size, shorts.length);
});

test('flags parse into settings overrides', () => {
  const argv = ['--temp', '0.5', '--top-k', '10', '-n', '32', '--stop', 'a', '--stop', 'b', '-s', '9', '--quant-type', 'Q4_K', '-m', 'x.gguf', '--profile', 'creative'];
  const { values } = parseCommandArgs('generate', argv, TABLE);
  assert.equal(values.profile, 'creative');
  assert.deepEqual(generationOverridesFromFlags(values), {
    temperature: 0.5, topK: 10, maxTokens: 32, stop: ['a', 'b'], seed: 9, quantType: 'q4_k', model: 'x.gguf',
  });
  assert.deepEqual(generationOverridesFromFlags({}), {});
});

test('bad flag values are UsageErrors naming the flag, its range and the text given', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ temp: 'hot' }, /^--temp must be a number >= 0, got "hot"$/],
    [{ temp: '' }, /^--temp must be a number >= 0, got ""$/],
    [{ 'top-k': '2.5' }, /^--top-k must be an integer >= 0, got "2.5"$/],
    [{ 'top-p': '1.5' }, /^--top-p must be a number from 0 to 1, got "1.5"$/],
    [{ 'max-tokens': '0' }, /^--max-tokens must be an integer >= 1, got "0"$/],
    [{ seed: '-1' }, /^--seed must be an integer from 0 to 4294967295/],
    [{ 'quant-type': 'q5_k' }, /^--quant-type must be one of f32, f16/],
    [{ stop: [''] }, /^--stop must not contain an empty string/],
  ];
  for (const [values, message] of cases) {
    assert.throws(() => generationOverridesFromFlags(values), (e: unknown) => e instanceof UsageError && message.test(e.message), JSON.stringify(values));
  }
});
