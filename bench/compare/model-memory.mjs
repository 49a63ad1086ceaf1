#!/usr/bin/env node
/**
 * What one more model costs a process that already runs mamba.ts, for compare.mjs: the embedded default
 * model (models/stories-m-q8_0.gguf) is loaded first at the same thread count and run (so mamba.ts' JS is
 * compiled and optimized, the kernels compiled, the worker threads running) and stays loaded; then the peak
 * RSS is reset (/proc/self/clear_refs, Linux) and FILE is loaded and run as `mamba-ts bench` runs it (a P-token
 * prompt, N steps, twice). Prints one JSON object: { baseline_rss_bytes, peak_rss_bytes, state_bytes } — the
 * RSS with the first model loaded, and the peak (VmHWM) while FILE was loaded and run.
 *
 * `mamba-ts bench` measures the other case, a model in a fresh process: there the code's compilation and the
 * first worker threads count too.
 *
 *   node model-memory.mjs FILE THREADS P N
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { openModel, nodeKernelWorkerFactory } = await import(join(root, 'dist', 'src', 'node', 'index.js'));
const { WasmBackend } = await import(join(root, 'dist', 'src', 'wasm', 'wasm-backend.js'));
const { benchPrompt } = await import(join(root, 'dist', 'src', 'cli', 'bench-command.js'));

const [file, threads, nPrompt, nGen] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];

/** VmRSS / VmHWM of this process, in bytes. */
const status = (key) => 1024 * Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))[1]);

async function load(path) {
  const f = await openModel(path);
  try {
    return await WasmBackend.create(f, { threads, workerFactory: nodeKernelWorkerFactory });
  } finally {
    await f.close();
  }
}

function run(backend) {
  const c = backend.config;
  const state = backend.acquireState();
  const logits = new Float32Array(c.nVocab);
  const ids = benchPrompt(nPrompt, c.nVocab); // bench's seeded ids (their values do not change the cost)
  for (let r = 0; r < 2; r++) {
    backend.prefill(ids, state, logits);
    for (let i = 0; i < nGen; i++) backend.step(ids[i % ids.length], state, logits);
  }
  backend.releaseState(state);
  return 4 * state.data.length;
}

const first = await load(join(root, 'models', 'stories-m-q8_0.gguf'));
run(first);
writeFileSync('/proc/self/clear_refs', '5'); // VmHWM := VmRSS
const baseline = status('VmRSS');
const model = await load(file);
const stateBytes = run(model);
console.log(JSON.stringify({ baseline_rss_bytes: baseline, peak_rss_bytes: status('VmHWM'), state_bytes: stateBytes, threads: model.nThreads }));
await model.dispose();
await first.dispose();
