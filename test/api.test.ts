/** The public API as a user imports it (`mamba-ts/node`): load, generate (streaming), state save/load. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mamba from '../src/node/index.js';
import { fixture, REPO_ROOT } from './helpers/paths.js';

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

test('library: a WasmBackend with worker threads from the exported Node factory', async () => {
  const file = await mamba.openModel(fixture('models', 'tiny', 'hf'));
  const one = await mamba.WasmBackend.create(file);
  const two = await mamba.WasmBackend.create(file, { threads: 2, workerFactory: mamba.nodeKernelWorkerFactory });
  await file.close();
  try {
    assert.equal(two.nThreads, 2);
    assert.ok(mamba.defaultThreadCount() >= 1);
    const a = new Float32Array(one.config.nVocab);
    const b = new Float32Array(two.config.nVocab);
    one.prefill([1, 2, 3], new mamba.MambaState(one.config), a);
    two.prefill([1, 2, 3], new mamba.MambaState(two.config), b);
    assert.deepEqual(b, a, 'threads give the same bits');
  } finally {
    await one.dispose();
    await two.dispose();
  }
});

test("README's table of errors lists every exported MambaError class with its code, and nothing else", () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\| `(\w+Error)` \| `(E_\w+)` \|/gm)].map((m) => [m[1], m[2]]);
  const api = mamba as unknown as Record<string, unknown>;
  const exported = Object.keys(api).filter((k) => typeof api[k] === 'function' && (api[k] as { prototype: unknown }).prototype instanceof mamba.MambaError);
  assert.deepEqual(rows.map((r) => r[0]).sort(), exported.sort());
  for (const [name, code] of rows) {
    const e = new (api[name] as new (a: string, b: string) => mamba.MambaError)('x', 'y');
    assert.equal(e.code, code, name);
    assert.equal(e.name, name);
  }
});
