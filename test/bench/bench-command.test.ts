/** `mamba-ts bench`: the documented JSON keys, thread counts, backends, the op profile. Never checks speed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../../src/cli/main.js';
import { fixture } from '../helpers/paths.js';

const TINY = fixture('models', 'tiny', 'hf');

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: process.cwd() });
  return { code, stdout, stderr };
}

test('bench --json: the documented keys, for wasm (1 thread), wasm-threads (2) and scalar', async () => {
  for (const [backend, threads] of [['wasm', '1'], ['wasm-threads', '2'], ['scalar', '1']] as const) {
    const r = await cli('bench', TINY, '-p', '9', '-n', '3', '--repeat', '2', '--backend', backend, '--threads', threads, '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    for (const k of ['prompt_tokens_per_s', 'decode_tokens_per_s', 'load_ms', 'peak_rss_bytes', 'baseline_rss_bytes', 'worker_rss_bytes', 'threads', 'backend', 'model_bytes']) assert.ok(k in out, `${k} in ${r.stdout}`);
    // a worker thread is a V8 isolate: it always costs some RSS; one thread has none to count
    if (threads === '2') assert.ok(out.worker_rss_bytes > 0, `worker_rss_bytes ${out.worker_rss_bytes}`);
    else assert.equal(out.worker_rss_bytes, 0);
    assert.equal(out.backend, backend);
    assert.equal(out.threads, Number(threads));
    assert.ok(out.prompt_tokens_per_s > 0 && out.decode_tokens_per_s > 0 && out.peak_rss_bytes > 0);
    assert.equal(out.prompt_tokens_per_s_runs.length, 2);
    assert.equal(out.n_prompt, 9);
    assert.equal(out.n_gen, 3);
    assert.deepEqual(out.weight_types, ['F32']);
  }
});

test('bench --profile-ops: a per-kernel-family table for prefill and decode; wasm only', async () => {
  const r = await cli('bench', TINY, '-p', '5', '-n', '2', '-r', '1', '--threads', '2', '--profile-ops');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /prefill by kernel family/);
  assert.match(r.stdout, /decode by kernel family \(2 tokens/);
  for (const op of ['ssm_in', 'conv1d', 'ssm_x', 'dt_proj', 'scan', 'ssm_out', 'lm_head']) assert.match(r.stdout, new RegExp(`\\b${op}\\b`));
  const j = JSON.parse((await cli('bench', TINY, '-p', '5', '-n', '2', '-r', '1', '--profile-ops', '--json')).stdout);
  assert.ok(j.op_profile.decode.some((e: { op: string; calls: number }) => e.op === 'lm_head' && e.calls === 2));
  const s = await cli('bench', TINY, '-p', '5', '-n', '2', '--backend', 'scalar', '--profile-ops');
  assert.equal(s.code, 2);
  assert.match(s.stderr, /--profile-ops/);
});

test('bench usage errors name the flag', async () => {
  assert.match((await cli('bench', TINY, '-p', '0', '-n', '0')).stderr, /nothing to measure/);
  assert.match((await cli('bench', TINY, '--repeat', '0')).stderr, /--repeat/);
  assert.equal((await cli('bench', '--help')).code, 0);
});

test('bench --batch: B sequences decoded together (wasm: batched steps; scalar: one step each)', async () => {
  for (const backend of ['wasm', 'scalar']) {
    const r = await cli('bench', TINY, '-p', '5', '-n', '3', '-r', '1', '--batch', '3', '--backend', backend, '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.batch, 3);
    assert.ok(out.decode_tokens_per_s > 0 && out.prompt_tokens_per_s > 0);
  }
  assert.match((await cli('bench', TINY, '-p', '5', '-n', '3', '-r', '1', '-b', '2')).stdout, /tg3 × 2 sequences, batched/);
  assert.match((await cli('bench', TINY, '--batch', '0')).stderr, /--batch/);
});
