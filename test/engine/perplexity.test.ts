import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../src/node/load-model.js';
import { perplexity, logSumExp } from '../../src/engine/perplexity.js';
import { runCli } from '../../src/cli/main.js';
import { fixture } from '../helpers/paths.js';
import { loadReference } from '../helpers/reference-fixture.js';
import { withNaNModel } from '../helpers/nan-model.js';

test('logSumExp is stable', () => {
  assert.equal(logSumExp(new Float32Array([1000, 1000])), 1000 + Math.log(2));
  assert.equal(logSumExp(new Float32Array([-Infinity, 0])), 0);
});

for (const name of ['tiny', 'neox-narrow']) {
  test(`perplexity mean NLL equals transformers on ${name} (1e-4 relative)`, async () => {
    const ref = loadReference(name);
    const model = await loadModel(fixture('models', name, 'hf'));
    for (const p of ref.prompts) {
      assert.deepEqual(model.tokenizer.encode(p.text), p.ids, 'tokenizer gives the reference ids');
      for (const ctx of [4, 512]) {
        const r = await perplexity(model, p.ids, { ctx });
        assert.equal(r.nTokens, p.nll.n_predicted);
        assert.ok(Math.abs(r.meanNll - p.nll.mean) / Math.abs(p.nll.mean) < 1e-4, `${r.meanNll} vs ${p.nll.mean}`);
      }
      const reset = await perplexity(model, p.ids, { ctx: 5, resetEachChunk: true });
      assert.equal(reset.nTokens, p.ids.length - Math.ceil(p.ids.length / 5));
    }
  });
}

test('perplexity command: JSON output on a file', async () => {
  const ref = loadReference('tiny');
  const dir = mkdtempSync(join(tmpdir(), 'mamba-ppl-'));
  writeFileSync(join(dir, 'p.txt'), ref.prompts[0].text);
  let out = '';
  let err = '';
  const code = await runCli(['perplexity', fixture('models', 'tiny', 'hf'), '--file', 'p.txt', '--json'], {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    cwd: dir,
  });
  assert.equal(code, 0, err);
  const j = JSON.parse(out);
  assert.deepEqual(Object.keys(j), ['ppl', 'mean_nll', 'n_tokens']);
  assert.ok(Math.abs(j.mean_nll - ref.prompts[0].nll.mean) / ref.prompts[0].nll.mean < 1e-4);
  assert.ok(Math.abs(j.ppl - Math.exp(j.mean_nll)) <= 1e-9 * j.ppl);
  const missing = await runCli(['perplexity', fixture('models', 'tiny', 'hf')], { stdout: { write: () => 0 }, stderr: { write: () => 0 }, cwd: dir });
  assert.equal(missing, 2);
});

test('a NaN weight: the perplexity command exits 1 saying the logits are not finite, with a hint, not "ppl NaN"', async () => {
  await withNaNModel(async (model) => {
    const dir = mkdtempSync(join(tmpdir(), 'mamba-ppl-'));
    writeFileSync(join(dir, 'p.txt'), loadReference('tiny').prompts[0].text);
    let out = '';
    let err = '';
    const code = await runCli(['perplexity', model, '--file', 'p.txt', '--json'], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, cwd: dir });
    assert.equal(code, 1, out);
    assert.match(err, /^error: the model's logits before token 1 are not finite: \d+ of 304 are NaN or \+inf/);
    assert.match(err, /\nhint: /);
    assert.equal(out, '');
  });
});
