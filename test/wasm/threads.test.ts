/**
 * Worker threads and GEMM prefill: the WASM backend gives the same bytes (logits and state) for 1–4 threads,
 * for every prefill chunk size, and for prefill vs one step per token — on every weight type. Thread counts
 * are set explicitly; nothing here depends on timing (a hang would be the failure).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { MambaModel } from '../../src/engine/mamba-model.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { UnsupportedError, UsageError } from '../../src/errors.js';
import type { ModelFile } from '../../src/model/model-file.js';
import { loadModel } from '../../src/node/load-model.js';
import { openModel } from '../../src/node/open-model.js';
import { nodeKernelWorkerFactory } from '../../src/node/worker-pool.js';
import { OP, OpRunner } from '../../src/wasm/kernel-ops.js';
import { KernelPool, KernelWorkerError, type KernelPoolLease } from '../../src/wasm/kernel-pool.js';
import { defaultThreadsFor, maxThreadsFor, WasmBackend, type WasmBackendOptions } from '../../src/wasm/wasm-backend.js';
import { fixture, REPO_ROOT } from '../helpers/paths.js';
import { MIXED_TYPES, retypedModel, type TypeChoice } from './quantized-model.js';
import { THREADS_AND_CHUNKS_TOLERANCE } from './tolerances.js';

const TINY = fixture('models', 'tiny', 'hf');
/** 150 tokens: two full chunks of 64 and a partial one (default chunk), and odd tails for the others. */
const IDS = Array.from({ length: 150 }, (_, i) => (i * 37 + 11) % 300);

const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);

async function backend(file: () => Promise<ModelFile>, opts: WasmBackendOptions): Promise<WasmBackend> {
  const f = await file();
  try {
    return await WasmBackend.create(f, { workerFactory: nodeKernelWorkerFactory, ...opts });
  } finally {
    await f.close();
  }
}

/** Prefill of IDS, then 5 steps: every logits vector and the final state, as bytes. */
function run(b: WasmBackend, mode: 'prefill' | 'step'): Buffer {
  const state = new MambaState(b.config);
  const logits = new Float32Array(b.config.nVocab);
  const out: Buffer[] = [];
  if (mode === 'prefill') b.prefill(IDS, state, logits);
  else for (const id of IDS) b.step(id, state, logits);
  out.push(Buffer.from(bytes(logits)));
  for (let i = 0; i < 5; i++) {
    b.step((i * 13) % 300, state, logits);
    out.push(Buffer.from(bytes(logits)));
  }
  out.push(Buffer.from(bytes(state.data)));
  return Buffer.concat(out);
}

const TYPES: { label: string; file: () => Promise<ModelFile> }[] = [
  { label: 'F32', file: () => openModel(TINY) },
  ...(['F16', 'Q8_0', 'Q4_0'] as const).map((t) => ({ label: t, file: async () => retypedModel(await openModel(TINY), t as TypeChoice, `tiny-${t}.gguf`) })),
  { label: 'mixed', file: async () => retypedModel(await openModel(TINY), MIXED_TYPES, 'tiny-mixed.gguf') },
];

describe('threads: the same bytes for 1–4 threads', () => {
  assert.equal(THREADS_AND_CHUNKS_TOLERANCE, 0);
  for (const { label, file } of TYPES) {
    test(`tiny as ${label}: prefill (GEMM chunks) and steps, 1–4 threads, logits and state identical`, async () => {
      // one file for all backends of this type (a retyped file is built once)
      const f = await file();
      const one = await WasmBackend.create(f, {});
      const want = run(one, 'step');
      assert.ok(want.equals(run(one, 'prefill')), 'one thread: prefill = steps');
      for (const threads of [2, 3, 4]) {
        const b = await WasmBackend.create(f, { threads, workerFactory: nodeKernelWorkerFactory });
        try {
          assert.equal(b.nThreads, threads);
          assert.ok(run(b, 'prefill').equals(want), `${threads} threads, prefill`);
          assert.ok(run(b, 'step').equals(want), `${threads} threads, steps`);
        } finally {
          await b.dispose();
        }
      }
      await f.close();
    });
  }

  test('neox-narrow (vocab 50280, widths 8/16): 2 threads asked, capped by the width; same bytes', async () => {
    const path = fixture('models', 'neox-narrow', 'hf');
    const one = await backend(() => openModel(path), { threads: 1 });
    const capped = await backend(() => openModel(path), { threads: 2 });
    assert.equal(capped.nThreads, maxThreadsFor(capped.config));
    assert.ok(run(capped, 'prefill').equals(run(one, 'step')));
    await capped.dispose();
  });
});

/**
 * Five sequences with different prompts, then four batched steps (some without logits): every sequence's logits
 * and final state, as bytes — from `stepBatch`, or from one `step` per sequence.
 */
function runBatch(b: WasmBackend, batched: boolean): Buffer {
  const c = b.config;
  const n = 5;
  // four states resident in the backend (batched), one in JS memory (stepped alone inside stepBatch)
  const states = Array.from({ length: n }, (_, i) => (batched && i < 4 ? b.createState() : new MambaState(c)));
  const logits = states.map(() => new Float32Array(c.nVocab));
  states.forEach((st, i) => b.prefill(IDS.slice(0, 5 + 7 * i), st, logits[i]));
  const out: Buffer[] = [];
  const tokens = new Int32Array(n);
  for (let round = 0; round < 4; round++) {
    for (let i = 0; i < n; i++) tokens[i] = (round * 31 + i * 17 + 3) % c.nVocab;
    const want = logits.map((l, i) => ((round + i) % 3 === 0 ? undefined : l)); // some sequences skip their logits
    if (batched) b.stepBatch(n, tokens, states, want);
    else for (let i = 0; i < n; i++) b.step(tokens[i], states[i], want[i]);
    for (const l of logits) out.push(Buffer.from(bytes(l)));
  }
  for (const st of states) {
    out.push(Buffer.from(bytes(st.data)));
    b.releaseState(st);
  }
  return Buffer.concat(out);
}

describe('batched steps', () => {
  for (const { label, file } of TYPES) {
    test(`tiny as ${label}: stepBatch gives each sequence the bits of its own steps (1 and 3 threads, groups, a JS state)`, async () => {
      const f = await file();
      const want = runBatch(await WasmBackend.create(f, {}), false);
      // default: the four resident sequences in one step; then groups of 3 (the chunk caps the batch)
      for (const opts of [{}, { threads: 3, prefillChunkTokens: 3, residentStates: 5 }] as WasmBackendOptions[]) {
        const b = await WasmBackend.create(f, { workerFactory: nodeKernelWorkerFactory, ...opts });
        try {
          assert.equal(b.maxBatch, opts.prefillChunkTokens ?? 8);
          assert.ok(runBatch(b, true).equals(want), JSON.stringify(opts));
        } finally {
          await b.dispose();
        }
      }
      await f.close();
    });
  }

  test('neox-narrow (vocab 50280: lm_head in many row blocks per chunk): stepBatch = steps, 2 threads', async () => {
    const path = fixture('models', 'neox-narrow', 'hf');
    const want = runBatch(await backend(() => openModel(path), {}), false);
    const b = await backend(() => openModel(path), { threads: 2 });
    assert.ok(runBatch(b, true).equals(want));
    await b.dispose();
  });

  test('stepBatch: the same state twice is a typed error; wrong counts a RangeError', async () => {
    const b = await backend(() => openModel(TINY), {});
    const st = b.createState();
    const l = new Float32Array(b.config.nVocab);
    assert.throws(() => b.stepBatch(2, [1, 2], [st, st], [l, l]), (e: unknown) => e instanceof UsageError && /same state twice/.test(e.message));
    assert.throws(() => b.stepBatch(3, [1, 2], [st, st], [l, l]), RangeError);
    b.stepBatch(0, [], [], []); // nothing to do
  });
});

describe('GEMM prefill', () => {
  test('every chunk size gives the bits of the step path (1, 2, 3, 7, 64, 200 tokens per chunk)', async () => {
    const want = run(await backend(() => openModel(TINY), { prefillChunkTokens: 1 }), 'step');
    for (const n of [1, 2, 3, 7, 64, 200]) {
      const b = await backend(() => openModel(TINY), { prefillChunkTokens: n, threads: n % 2 === 0 ? 2 : 1 });
      assert.equal(b.prefillChunkTokens, n);
      assert.ok(run(b, 'prefill').equals(want), `chunk ${n}`);
      await b.dispose();
    }
  });

  test('profiling runs the fused ops apart: same bits, every kernel family timed', async () => {
    const b = await backend(() => openModel(TINY), { threads: 2 });
    const want = run(b, 'prefill');
    b.setProfiling(true);
    assert.ok(run(b, 'prefill').equals(want));
    const ops = new Set(b.opProfile().map((e) => e.op));
    for (const op of ['get_rows', 'rms_norm', 'ssm_in', 'conv1d', 'ssm_x', 'dt_proj', 'scan', 'ssm_out', 'lm_head', 'state_copy']) assert.ok(ops.has(op as never), `${op} profiled (${[...ops]})`);
    assert.ok(b.opProfile().every((e) => e.calls > 0 && e.ms >= 0));
    b.setProfiling(false);
    assert.deepEqual(b.opProfile(), []);
    await b.dispose();
  });
});

describe('one kernel pool per process', () => {
  const pool = KernelPool.of(nodeKernelWorkerFactory);

  test('two models at once (3 and 2 threads) share 2 workers; each keeps its bits; detaching frees the threads', async () => {
    const fa = await openModel(TINY);
    const fb = await retypedModel(await openModel(TINY), 'Q8_0', 'tiny-Q8_0.gguf');
    const wantA = run(await WasmBackend.create(fa, {}), 'step');
    const wantB = run(await WasmBackend.create(fb, {}), 'step');
    assert.equal(pool.nModels, 0);
    const a = await WasmBackend.create(fa, { threads: 3, workerFactory: nodeKernelWorkerFactory });
    const b = await WasmBackend.create(fb, { threads: 2, workerFactory: nodeKernelWorkerFactory });
    assert.deepEqual([pool.nModels, pool.nWorkers, a.nThreads, b.nThreads], [2, 2, 3, 2]);
    // their ops interleave on the same workers
    assert.ok(run(a, 'prefill').equals(wantA));
    assert.ok(run(b, 'prefill').equals(wantB));
    assert.ok(run(a, 'step').equals(wantA));
    await a.dispose();
    assert.deepEqual([pool.nModels, pool.nWorkers], [1, 1], 'the 3-thread model gone, the pool shrinks to what the other needs');
    assert.ok(run(b, 'prefill').equals(wantB));
    assert.throws(() => run(a, 'step'), KernelWorkerError);
    await b.dispose();
    assert.deepEqual([pool.nModels, pool.nWorkers], [0, 0], 'no model, no thread');
    await fa.close();
    await fb.close();
  });

  test('a model computes while another attaches and detaches (its ops run between the restarts): same bits', async () => {
    const f = await openModel(TINY);
    const want = run(await WasmBackend.create(f, {}), 'step');
    const a = await WasmBackend.create(f, { threads: 2, workerFactory: nodeKernelWorkerFactory });
    let attaching = true;
    const other = (async () => {
      for (let i = 0; i < 3; i++) {
        const b = await WasmBackend.create(f, { threads: 2 + (i % 3), workerFactory: nodeKernelWorkerFactory });
        await b.dispose();
      }
      attaching = false;
    })();
    let rounds = 0;
    while (attaching || rounds < 2) {
      assert.ok(run(a, rounds % 2 ? 'step' : 'prefill').equals(want), `round ${rounds}`);
      rounds++;
      await new Promise((r) => setImmediate(r));
    }
    await other;
    assert.deepEqual([pool.nModels, pool.nWorkers], [1, 1]);
    await a.dispose();
    await f.close();
  });

  test('models attached concurrently are attached one after the other; all compute', async () => {
    const f = await openModel(TINY);
    const want = run(await WasmBackend.create(f, {}), 'step');
    const models = await Promise.all([2, 4, 3].map((threads) => WasmBackend.create(f, { threads, workerFactory: nodeKernelWorkerFactory })));
    assert.deepEqual([pool.nModels, pool.nWorkers], [3, 3]);
    for (const m of models) assert.ok(run(m, 'prefill').equals(want), `${m.nThreads} threads`);
    await Promise.all(models.map((m) => m.dispose()));
    assert.deepEqual([pool.nModels, pool.nWorkers], [0, 0]);
    await f.close();
  });

  test('a worker that fails to start: a typed error, and the models attached before keep computing', async () => {
    const f = await openModel(TINY);
    const want = run(await WasmBackend.create(f, {}), 'step');
    const a = await WasmBackend.create(f, { threads: 2, workerFactory: nodeKernelWorkerFactory });
    // a kernel module that instantiates on the main thread but not in a worker: bytes the worker never gets
    const failing: typeof nodeKernelWorkerFactory = (i) => {
      const w = nodeKernelWorkerFactory(i);
      return { ...w, postMessage: (m) => w.postMessage({ ...m, models: m.models.map((x) => ({ ...x, module: undefined as never })) }) };
    };
    await assert.rejects(WasmBackend.create(f, { threads: 2, workerFactory: failing }), (e: unknown) => e instanceof KernelWorkerError && /failed to start/.test(e.message));
    assert.equal(KernelPool.of(failing).nWorkers, 0);
    assert.ok(run(a, 'prefill').equals(want));
    await a.dispose();
    await f.close();
  });

  test('more threads than a pool runs: a typed error', async () => {
    const f = await openModel(TINY);
    const one = await WasmBackend.create(f, {});
    const runner = (one as unknown as { runner: OpRunner }).runner;
    await assert.rejects(pool.attach({ module: undefined as never, memory: one.memory, nThreads: 1000, runner }), UsageError);
    await assert.rejects(pool.attach({ module: undefined as never, memory: one.memory, nThreads: 2, runner }), /pool's argument words/);
    await f.close();
  });
});

describe('pool lifecycle', () => {
  test('thread counts: capped by the model width; the default follows the cores', async () => {
    const f = await openModel(TINY);
    const c = f.config;
    await f.close();
    assert.equal(maxThreadsFor(c), Math.floor(c.dInner / 32));
    assert.equal(defaultThreadsFor(c, 64), 1, 'tiny (dInner 128) is too narrow for threads by default');
    assert.equal(defaultThreadsFor({ ...c, dInner: 1536 }, 2), 2);
    assert.equal(defaultThreadsFor({ ...c, dInner: 1536 }, 64), 6);
    assert.equal(defaultThreadsFor(c, 1), 1);
  });

  test('onWorkers: starting, then ready, before any weight is read; never with one thread', async () => {
    for (const threads of [1, 3]) {
      const events: string[] = [];
      const b = await backend(() => openModel(TINY), { threads, onWorkers: (phase) => events.push(phase), onTensor: () => events.push('tensor') });
      assert.equal(b.nThreads, threads);
      const expected = threads === 1 ? [] : ['starting', 'ready'];
      assert.deepEqual(events.filter((e) => e !== 'tensor'), expected);
      assert.ok(events.lastIndexOf('tensor') > 0 && events.slice(0, expected.length).every((e) => e !== 'tensor'), events.join(' '));
      await b.dispose();
    }
  });

  test('threads without a worker factory: a typed error', async () => {
    const f = await openModel(TINY);
    await assert.rejects(WasmBackend.create(f, { threads: 2 }), (e: unknown) => e instanceof UnsupportedError && /workerFactory/.test(e.hint ?? ''));
    await assert.rejects(WasmBackend.create(f, { threads: 2, sharedMemory: false, workerFactory: nodeKernelWorkerFactory }), UnsupportedError);
    await f.close();
  });

  test('a failing op surfaces as an error on the caller; the pool keeps working; dispose stops it', async () => {
    const b = await backend(() => openModel(TINY), { threads: 3 });
    const want = run(b, 'step');
    const internals = b as unknown as { pool: KernelPoolLease; runner: OpRunner };
    assert.throws(() => internals.pool.run(99, 100, 1), /unknown kernel op 99/);
    assert.ok(run(b, 'step').equals(want), 'the pool still computes after a failed op');
    await b.dispose();
    await b.dispose(); // idempotent
    assert.throws(() => internals.pool.run(OP.LINEAR, 10, 1), KernelWorkerError);
  });

  test('the 15-bit dispatch generation wraps around (40000 ops) and the pool still gives the same bits', async () => {
    const b = await backend(() => openModel(TINY), { threads: 2 });
    const want = run(b, 'step');
    const internals = b as unknown as { pool: KernelPoolLease; runner: OpRunner; s: { normed: number; hidden: number }; layers: { attnNorm: number }[] };
    const a = internals.runner.args;
    const aF32 = new Float32Array(a.buffer, a.byteOffset, a.length);
    for (let i = 0; i < 40000; i++) {
      a[0] = internals.s.normed;
      a[1] = internals.s.hidden;
      a[2] = 0;
      a[3] = internals.layers[0].attnNorm;
      a[4] = b.config.dModel;
      aF32[5] = b.config.normEps;
      internals.pool.run(OP.RMS_NORM, 2, 1);
    }
    assert.ok(run(b, 'step').equals(want));
    await b.dispose();
  });

  test('loadModel({ threads }) → MambaModel: same tokens as one thread; dispose', async () => {
    const gen = async (threads: number) => {
      const m = await loadModel(TINY, { threads });
      assert.equal(m.nThreads, threads);
      let tokens: number[] = [];
      for await (const ev of m.generate('First Citizen:', { maxTokens: 12, sampling: { temperature: 0.8, seed: 5, topK: 0, topP: 1, minP: 0 }, stopAtEos: false })) {
        if (ev.type === 'end') tokens = ev.tokens;
      }
      await m.dispose();
      return tokens;
    };
    assert.deepEqual(await gen(2), await gen(1));
    assert.ok(MambaModel.prototype.dispose);
  });

  test('the CLI with --threads 2 exits by itself (workers never keep the process alive)', async () => {
    const cli = `${REPO_ROOT}/dist/src/cli/main.js`;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, 'run', TINY, '-i', 'Hi', '-n', '4', '-t', '0', '--threads', '2', '-v']);
    assert.match(stderr, /threads 2/);
    assert.ok(stdout.startsWith('Hi'));
  });
});
