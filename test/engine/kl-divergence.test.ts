import { test } from 'node:test';
import assert from 'node:assert/strict';
import { klDivergence, compareModels } from '../../src/engine/kl-divergence.js';
import { loadModel } from '../../src/node/load-model.js';
import { fixture } from '../helpers/paths.js';

test('KL of hand-made distributions', () => {
  const p = new Float32Array([Math.log(0.5), Math.log(0.5)]);
  const q = new Float32Array([Math.log(0.25), Math.log(0.75)]);
  const want = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
  assert.ok(Math.abs(klDivergence(p, q) - want) < 1e-7);
  assert.equal(klDivergence(p, p), 0);
  // shifting logits by a constant changes nothing
  assert.ok(klDivergence(p, new Float32Array([3 + Math.log(0.5), 3 + Math.log(0.5)])) < 1e-7);
});

test('a model against itself: KL 0, same top token everywhere; against the scalar backend: tiny', async () => {
  const a = await loadModel(fixture('models', 'tiny', 'hf'));
  const b = await loadModel(fixture('models', 'tiny', 'state-spaces'), { backend: 'scalar', tokenizer: a.tokenizer });
  const ids = a.tokenizer.encode('First Citizen:\nBefore we proceed any further, hear me speak.');
  const self = await compareModels(a, a, ids);
  assert.equal(self.meanKl, 0);
  assert.equal(self.top1Agreement, 1);
  const other = await compareModels(a, b, ids);
  assert.ok(other.meanKl < 1e-6, `wasm vs scalar KL ${other.meanKl}`);
  assert.ok(Math.abs(other.meanNll - other.refMeanNll) < 1e-4);
  assert.equal(other.nTokens, ids.length - 1);
});
