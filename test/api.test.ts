/** The public API as a user imports it (`mamba-ts/node`): load, generate (streaming), state save/load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mamba from '../src/node/index.js';
import { fixture } from './helpers/paths.js';

test('library: loadModel → generate stream → saveState / loadState', async () => {
  const model = await mamba.loadModel(fixture('models', 'tiny', 'hf'));
  let streamed = '';
  let end: Extract<mamba.GenerationEvent, { type: 'end' }> | undefined;
  for await (const ev of model.generate('To be', { maxTokens: 10, sampling: { temperature: 0.7, seed: 1 }, stopAtEos: false })) {
    if (ev.type === 'token') streamed += ev.text;
    else end = ev;
  }
  assert.ok(end);
  assert.equal(end.tokens.length, 10);
  assert.equal(streamed, end.text);
  const file = join(mkdtempSync(join(tmpdir(), 'mamba-api-')), 'ctx.state');
  await mamba.saveState(model, end.sequence, file);
  const seq = await mamba.loadState(model, file);
  assert.deepEqual(seq.tokens, end.sequence.tokens);
  assert.equal(seq.pendingToken, end.tokens[9]);
  await assert.rejects(mamba.loadState(model, file + '.missing'), mamba.FileAccessError);
});
