import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { fixture } from '../helpers/paths.js';
import { loadReference } from '../helpers/reference-fixture.js';
import { withNaNModel } from '../helpers/nan-model.js';

const TINY = fixture('models', 'tiny', 'hf');

async function cli(cwd: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd });
  return { code, stdout, stderr };
}
const json = async (cwd: string, ...argv: string[]) => {
  const r = await cli(cwd, ...argv, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

test('run --prompt-ids -t 0 gives the transformers greedy tokens, in the documented JSON shape', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-run-'));
  const p = loadReference('tiny').prompts[0];
  const out = await json(dir, 'run', TINY, '--prompt-ids', p.ids.join(','), '-n', '16', '-t', '0');
  assert.deepEqual(Object.keys(out).sort(), ['finish_reason', 'prompt_tokens', 'text', 'timings', 'tokens']);
  assert.deepEqual(Object.keys(out.timings).sort(), ['decode_ms', 'decode_tokens_per_s', 'load_ms', 'prompt_ms', 'prompt_tokens_per_s']);
  assert.equal(out.prompt_tokens, p.ids.length);
  // greedy ids up to the first end-of-text (run stops at EOS; the reference does not)
  const eos = p.greedy.ids.indexOf(0);
  assert.deepEqual(out.tokens, eos < 0 ? p.greedy.ids : p.greedy.ids.slice(0, eos + 1));
});

test('-n 12 --save-state, then --load-state -n 12 equals one -n 24 run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-run-'));
  const args = ['run', TINY, '-t', '0.9', '-k', '0', '-p', '1', '--min-p', '0', '-s', '11'];
  const whole = await json(dir, ...args, '-i', 'First Citizen:', '-n', '24');
  const a = await json(dir, ...args, '-i', 'First Citizen:', '-n', '12', '--save-state', 's.state');
  const b = await json(dir, 'run', TINY, '-t', '0.9', '-k', '0', '-p', '1', '--min-p', '0', '--load-state', 's.state', '-n', '12');
  assert.equal(whole.finish_reason, 'length', 'this seed runs the full 24 tokens');
  assert.equal(whole.tokens.length, 24);
  assert.deepEqual([...a.tokens, ...b.tokens], whole.tokens);
  assert.equal(a.text + b.text, whole.text);
  // a mismatched state file is rejected
  writeFileSync(join(dir, 'bad.state'), 'not a state');
  const bad = await cli(dir, 'run', TINY, '--load-state', 'bad.state');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^error: .*bad\.state: .*too short/);
});

test('a model_config.yaml profile applies and flags override it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-run-'));
  writeFileSync(join(dir, 'model_config.yaml'), `profiles:\n  short:\n    max_tokens: 3\n    temperature: 0\n  long:\n    max_tokens: 7\n    temperature: 0\n`);
  assert.equal((await json(dir, 'run', TINY, '-i', 'O', '--profile', 'short')).tokens.length <= 3, true);
  const long = await json(dir, 'run', TINY, '-i', 'O', '--profile', 'long');
  const short = await json(dir, 'run', TINY, '-i', 'O', '--profile', 'long', '-n', '2');
  assert.equal(short.tokens.length, 2);
  assert.deepEqual(short.tokens, long.tokens.slice(0, 2));
  const unknown = await cli(dir, 'run', TINY, '-i', 'O', '--profile', 'nope');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /model_config\.yaml.*profile `nope`|nope/);
  writeFileSync(join(dir, 'bad.yaml'), 'profiles:\n  x:\n    temprature: 1\n');
  const bad = await cli(dir, 'run', TINY, '--config', 'bad.yaml', '--profile', 'x');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /bad\.yaml:3:.*temprature/);
});

test('batch: several -i prompts, one JSON object each, same as single runs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-run-'));
  const opts = ['-n', '6', '-t', '0.8', '-s', '5'];
  const batch = await json(dir, 'run', TINY, '-i', 'A', '-i', 'To be', '-i', 'O', ...opts);
  assert.equal(batch.length, 3);
  for (const [i, p] of ['A', 'To be', 'O'].entries()) {
    assert.deepEqual(batch[i].tokens, (await json(dir, 'run', TINY, '-i', p, ...opts)).tokens);
  }
  const text = await cli(dir, 'run', TINY, '-i', 'A', '-i', 'O', ...opts);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^--- \[0\] "A"\nA/);
});

test('bad flags are usage errors (exit 2)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-run-'));
  for (const argv of [
    ['run', TINY, '-n', 'many'],
    ['run', TINY, '-t', '-1'],
    ['run', TINY, '--top-p', '2'],
    ['run', TINY, '--prompt-ids', '1,x'],
    ['run', TINY, '--prompt-ids', '999999'],
    ['run', TINY, '-i', 'a', '--prompt-ids', '1'],
    ['run', TINY, 'extra', 'words'],
    ['run', TINY, '--frobnicate'],
    ['run', TINY, '-i', 'a', '-i', 'b', '--save-state', 'x'],
  ]) {
    const r = await cli(dir, ...argv);
    assert.equal(r.code, 2, `${argv.join(' ')} → ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, /^error: /);
  }
});

test('--backend scalar and --backend wasm give the same greedy tokens', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-run-'));
  const p = loadReference('tiny').prompts[1];
  const args = ['run', TINY, '--prompt-ids', p.ids.join(','), '-n', '16', '-t', '0'];
  const scalar = await json(dir, ...args, '--backend', 'scalar');
  const wasm = await json(dir, ...args, '--backend', 'wasm');
  assert.deepEqual(wasm.tokens, scalar.tokens);
  assert.ok(scalar.tokens.length > 0);
});

test('no MODEL: the shipped demo model (stories-m) writes a story; no prompt starts from <|endoftext|>', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-run-'));
  const story = await json(dir, 'run', '-i', 'Once upon a time', '-n', '30', '-t', '0');
  assert.equal(story.tokens.length, 30);
  assert.match(story.text, /^[ ,.a-zA-Z'"!?\n-]+$/, 'plain English');
  const free = await json(dir, 'run', '-n', '8', '-s', '3');
  assert.ok(free.prompt_tokens >= 1);
  assert.ok(free.text.length > 0);
});

test('a corrupt (NaN) model: exit 1, the streamed prompt ends its line, the error names the cause and a fix', async () => {
  await withNaNModel(async (dir) => {
    const r = await cli(dir, 'run', dir, '-i', 'Hello', '-n', '4');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'Hello\n');
    assert.match(r.stderr, /^error: the model's logits are not finite: \d+ of 304 are NaN or \+inf \(the first, token \d+, is NaN\)\nhint: .*--backend scalar\n$/);
  });
});
