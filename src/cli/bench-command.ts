/**
 * `mamba-ts bench`: prompt and decode throughput of a backend on a model, like llama-bench's pp/tg: a
 * prompt of P seeded random token ids fed with `prefill`, then N decode steps each producing logits (the
 * greedy token fed back), medians over R runs after a warm-up. Reports load time, peak RSS, model bytes,
 * and with --profile-ops where the time goes per kernel family (a separate, profiled pass).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileAccessError, UsageError } from '../errors.js';
import type { ForwardBackend } from '../engine/forward-backend.js';
import { BACKEND_NAMES, DEFAULT_BACKEND, chooseBackend, type BackendName } from '../engine/choose-backend.js';
import { MambaReference } from '../engine/mamba-reference.js';
import { MambaState } from '../engine/mamba-state.js';
import { loadWeightsF32 } from '../engine/mamba-weights.js';
import { openModel } from '../node/open-model.js';
import { defaultThreadCount, nodeKernelWorkerFactory } from '../node/worker-pool.js';
import { loadKernelModule } from '../wasm/kernel-module.js';
import type { OpProfileEntry } from '../wasm/op-profile.js';
import { defaultThreadsFor, WasmBackend } from '../wasm/wasm-backend.js';
import { WASM_FEATURES } from '../wasm/wasm-features.js';
import type { Command } from './command.js';
import { COMMON_OPTIONS, choiceArg, formatOptions, intArg, parseCommandArgs, type OptionTable } from './parse-args.js';

/** The 130m-shaped random model of docs/performance.md (tools/fixtures/make_models.py --preset 130m, converted). */
export const BENCH_DEFAULT_MODEL = '/tmp/mamba-130m-random/gguf/f32.gguf';

const OPTIONS = {
  ...COMMON_OPTIONS,
  threads: { type: 'string', valueName: 'N', description: 'threads (wasm backend); 0 = one per physical core, capped by the model width (default)' },
  prompt: { type: 'string', short: 'p', valueName: 'P', description: 'prompt tokens fed with prefill (default 128; 0 = skip)' },
  'n-gen': { type: 'string', short: 'n', valueName: 'N', description: 'decode steps (default 128; 0 = skip)' },
  repeat: { type: 'string', short: 'r', valueName: 'R', description: 'measured runs; medians are reported (default 3)' },
  backend: { type: 'string', valueName: 'NAME', description: `compute backend: ${BACKEND_NAMES.join(' | ')} (default ${DEFAULT_BACKEND})` },
  batch: { type: 'string', short: 'b', valueName: 'B', description: 'sequences decoded together (batched steps; each gets the prompt); tokens/s count all of them (default 1)' },
  'prefill-chunk': { type: 'string', valueName: 'T', description: 'prompt tokens per GEMM chunk (wasm; default 64)' },
  'profile-ops': { type: 'boolean', description: 'after the runs, one profiled run: time per kernel family (wasm)' },
  json: { type: 'boolean', description: 'print one JSON object (prompt_tokens_per_s, decode_tokens_per_s, load_ms, peak_rss_bytes, threads, backend, …)' },
} as const satisfies OptionTable;

const USAGE = `usage: mamba-ts bench [MODEL] [--threads N] [-p 128] [-n 128] [--repeat R] [--batch B]
                      [--backend scalar|wasm|wasm-threads] [--prefill-chunk T] [--profile-ops] [--json]

Measures prompt processing (tokens/s of prefill) and decoding (tokens/s of single steps) on MODEL, a .gguf
file or a checkpoint directory; without MODEL, the 130m-shaped random model of docs/performance.md
(${BENCH_DEFAULT_MODEL}). Token ids are seeded random: no tokenizer needed. Run on a quiet machine.

options:
${formatOptions(OPTIONS)}`;

export interface BenchResult {
  model: string;
  backend: BackendName;
  threads: number;
  /** Size of the model file (or the checkpoint's weights as loaded, for a directory). */
  model_bytes: number;
  /** The wasm memory (weights, state, scratch), when the backend is wasm. */
  wasm_memory_bytes?: number;
  weight_types: string[];
  /** The types the wasm kernels compute the matrices in (load-time forms included: F16R, Q4_0X2, Q8_0X4; weight-kernels.ts). */
  kernel_weight_types?: string[];
  load_ms: number;
  n_prompt: number;
  n_gen: number;
  /** Sequences decoded together; the tokens/s count all of them. */
  batch: number;
  repeat: number;
  prefill_chunk_tokens?: number;
  prompt_ms: number;
  decode_ms: number;
  prompt_tokens_per_s: number;
  decode_tokens_per_s: number;
  /** Per run, in order. */
  prompt_tokens_per_s_runs: number[];
  decode_tokens_per_s_runs: number[];
  /** process.resourceUsage().maxRSS, in bytes. */
  peak_rss_bytes: number;
  /** RSS before the model was opened (the Node runtime and mamba.ts' code): peak − baseline is the model's. */
  baseline_rss_bytes: number;
  /**
   * RSS the worker threads added when they started, before any weight was read (0 with one thread): each is
   * a V8 isolate and a Node environment, a cost of the runtime per thread, not of the model.
   */
  worker_rss_bytes: number;
  op_profile?: { prefill: OpProfileEntry[]; decode: OpProfileEntry[] };
}

function median(x: readonly number[]): number {
  if (x.length === 0) return 0;
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** P seeded random token ids below nVocab (an LCG: the same prompt every run and every backend). */
export function benchPrompt(n: number, nVocab: number): number[] {
  let s = 12345;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % nVocab;
  });
}

/**
 * One run: prefill the prompt into each of `batch` sequences, then nGen decode steps of all of them (the greedy
 * token fed back; one batched step per round when the backend has stepBatch). Times in ms.
 */
function runOnce(b: ForwardBackend, prompt: readonly number[], nGen: number, batch = 1): { promptMs: number; decodeMs: number } {
  // As generation does (MambaModel.newSequence): states living in the backend while it has slots.
  const states = Array.from({ length: batch }, () => b.acquireState?.() ?? new MambaState(b.config));
  const logits = states.map(() => new Float32Array(b.config.nVocab));
  const ids = new Int32Array(batch);
  let promptMs = 0;
  if (prompt.length > 0) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) b.prefill(prompt, states[i], logits[i]);
    promptMs = performance.now() - t0;
    for (let i = 0; i < batch; i++) ids[i] = argmax(logits[i]);
  }
  const t1 = performance.now();
  for (let n = 0; n < nGen; n++) {
    if (batch > 1 && b.stepBatch) b.stepBatch(batch, ids, states, logits);
    else for (let i = 0; i < batch; i++) b.step(ids[i], states[i], logits[i]);
    for (let i = 0; i < batch; i++) ids[i] = argmax(logits[i]);
  }
  const decodeMs = performance.now() - t1;
  for (const st of states) b.releaseState?.(st);
  return { promptMs, decodeMs };
}

function profileTable(title: string, entries: readonly OpProfileEntry[], nTokens: number): string {
  const total = entries.reduce((a, e) => a + e.ms, 0);
  const rows = entries.map((e) => `  ${e.op.padEnd(12)} ${e.ms.toFixed(2).padStart(10)} ms ${((100 * e.ms) / (total || 1)).toFixed(1).padStart(6)} %  ${(e.ms / Math.max(1, nTokens)).toFixed(3).padStart(8)} ms/token  ${String(e.calls).padStart(7)} calls`);
  return `${title} (${nTokens} tokens, ${total.toFixed(1)} ms in kernels):\n${rows.join('\n')}\n`;
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'measure prompt and decode tokens/s, load time and memory',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('bench', argv, OPTIONS);
    if (values.help) {
      io.stdout.write(USAGE + '\n');
      return 0;
    }
    if (positionals.length > 1) throw new UsageError(`bench takes at most one MODEL, got ${positionals.length} arguments`);
    const nPrompt = values.prompt === undefined ? 128 : intArg('--prompt', values.prompt, 0, 1 << 20);
    const nGen = values['n-gen'] === undefined ? 128 : intArg('-n', values['n-gen'], 0, 1 << 20);
    const repeat = values.repeat === undefined ? 3 : intArg('--repeat', values.repeat, 1, 1000);
    const threadsAsked = values.threads === undefined ? 0 : intArg('--threads', values.threads, 0, 1024);
    const batch = values.batch === undefined ? 1 : intArg('--batch', values.batch, 1, 1024);
    const prefillChunk = values['prefill-chunk'] === undefined ? undefined : intArg('--prefill-chunk', values['prefill-chunk'], 1, 4096);
    const backendName = values.backend === undefined ? undefined : choiceArg('--backend', values.backend, BACKEND_NAMES);
    if (nPrompt === 0 && nGen === 0) throw new UsageError('nothing to measure: -p 0 and -n 0');
    const path = positionals[0] !== undefined ? resolve(io.cwd, positionals[0]) : BENCH_DEFAULT_MODEL;
    if (positionals[0] === undefined && !existsSync(path)) {
      throw new FileAccessError(`no MODEL given and the default bench model ${path} does not exist`, {
        hint: 'pass a model, or create it as docs/performance.md describes (tools/fixtures/make_models.py --preset 130m, then mamba-ts convert)',
      });
    }

    // The kernels are compiled before the baseline: like Node's and mamba.ts' own code they are the engine's,
    // compiled once per process (~1.6 MiB) and shared by every model it loads.
    // (A failure here is WasmBackend.create's to report, with its hint.)
    if (backendName !== 'scalar' && WASM_FEATURES.simd) await loadKernelModule({ shared: WASM_FEATURES.sharedMemory }).catch(() => undefined);
    const baselineRss = process.memoryUsage.rss();
    let workerRss = 0;
    const t0 = performance.now();
    const file = await openModel(path);
    const weightTypes = [...new Set(file.tensors.filter((t) => t.shape.length === 2).map((t) => t.type.name))];
    let backend: ForwardBackend;
    try {
      const choice = chooseBackend(backendName, threadsAsked, defaultThreadsFor(file.config, defaultThreadCount()));
      if (choice.name !== 'scalar') {
        const onWorkers = (phase: 'starting' | 'ready') => {
          if (phase === 'starting') workerRss = -process.memoryUsage.rss();
          else workerRss += process.memoryUsage.rss();
        };
        backend = await WasmBackend.create(file, { threads: choice.threads, workerFactory: nodeKernelWorkerFactory, prefillChunkTokens: prefillChunk, onWorkers });
      } else {
        backend = new MambaReference(file.config, await loadWeightsF32(file));
      }
    } finally {
      await file.close();
    }
    const loadMs = performance.now() - t0;
    try {
      const wasm = backend instanceof WasmBackend ? backend : undefined;
      if (values['profile-ops'] && !wasm) throw new UsageError('--profile-ops times the wasm kernels: use --backend wasm');
      const c = backend.config;
      const prompt = benchPrompt(nPrompt, c.nVocab);
      // warm-up: compiles the hot paths (and touches every weight page once)
      runOnce(backend, prompt.slice(0, Math.min(nPrompt, 2 * (wasm?.prefillChunkTokens ?? 1) + 1)), Math.min(nGen, 2), batch);
      const promptRates: number[] = [];
      const decodeRates: number[] = [];
      const promptMs: number[] = [];
      const decodeMs: number[] = [];
      for (let r = 0; r < repeat; r++) {
        const t = runOnce(backend, prompt, nGen, batch);
        promptMs.push(t.promptMs);
        decodeMs.push(t.decodeMs);
        if (nPrompt > 0) promptRates.push((1000 * batch * nPrompt) / t.promptMs);
        if (nGen > 0) decodeRates.push((1000 * batch * nGen) / t.decodeMs);
      }
      let opProfile: BenchResult['op_profile'];
      if (values['profile-ops'] && wasm) {
        const state = wasm.acquireState() ?? new MambaState(c);
        const logits = new Float32Array(c.nVocab);
        wasm.setProfiling(true);
        if (nPrompt > 0) wasm.prefill(prompt, state, logits);
        const prefill = wasm.opProfile();
        wasm.setProfiling(true); // reset
        let id = argmax(logits);
        for (let i = 0; i < nGen; i++) {
          wasm.step(id, state, logits);
          id = argmax(logits);
        }
        opProfile = { prefill, decode: wasm.opProfile() };
        wasm.releaseState(state);
        wasm.setProfiling(false);
      }
      const st = statSync(path);
      const result: BenchResult = {
        model: path,
        backend: backend.name as BackendName,
        threads: backend.nThreads ?? 1,
        model_bytes: st.isDirectory() ? 0 : st.size,
        ...(wasm ? { wasm_memory_bytes: wasm.memoryReport.totalBytes } : {}),
        weight_types: weightTypes,
        ...(wasm ? { kernel_weight_types: [...new Set(Object.values(wasm.matrixTypes()))] } : {}),
        load_ms: round(loadMs),
        n_prompt: nPrompt,
        n_gen: nGen,
        batch,
        repeat,
        ...(wasm ? { prefill_chunk_tokens: wasm.prefillChunkTokens } : {}),
        prompt_ms: round(median(promptMs)),
        decode_ms: round(median(decodeMs)),
        prompt_tokens_per_s: round(median(promptRates)),
        decode_tokens_per_s: round(median(decodeRates)),
        prompt_tokens_per_s_runs: promptRates.map((x) => round(x)),
        decode_tokens_per_s_runs: decodeRates.map((x) => round(x)),
        peak_rss_bytes: process.resourceUsage().maxRSS * 1024,
        baseline_rss_bytes: baselineRss,
        worker_rss_bytes: workerRss,
        ...(opProfile ? { op_profile: opProfile } : {}),
      };
      if (values.json) {
        io.stdout.write(JSON.stringify(result) + '\n');
        return 0;
      }
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
      io.stdout.write(
        `model    ${path} (${mib(result.model_bytes)}; ${result.weight_types.join(', ')}) d_model=${c.dModel} n_layer=${c.nLayer} n_vocab=${c.nVocab}\n` +
          `backend  ${result.backend}, ${result.threads} thread${result.threads === 1 ? '' : 's'}${wasm ? `, matrices in ${result.kernel_weight_types!.join(', ')}, prefill chunks of ${wasm.prefillChunkTokens} tokens, wasm memory ${mib(wasm.memoryReport.totalBytes)}` : ''}\n` +
          `load     ${result.load_ms} ms; peak RSS ${mib(result.peak_rss_bytes)} (${mib(result.peak_rss_bytes - result.baseline_rss_bytes)} above the ${mib(result.baseline_rss_bytes)} before loading${workerRss > 0 ? `, of which the worker threads ${mib(workerRss)}` : ''})\n` +
          (nPrompt > 0 ? `prompt   ${result.prompt_tokens_per_s} tokens/s  (pp${nPrompt}${batch > 1 ? ` × ${batch} sequences` : ''}, median of ${repeat}: ${result.prompt_tokens_per_s_runs.join(', ')})\n` : '') +
          (nGen > 0 ? `decode   ${result.decode_tokens_per_s} tokens/s  (tg${nGen}${batch > 1 ? ` × ${batch} sequences${backend.stepBatch ? ', batched' : ', one step each'}` : ''}, median of ${repeat}: ${result.decode_tokens_per_s_runs.join(', ')})\n` : ''),
      );
      if (opProfile) {
        if (nPrompt > 0) io.stdout.write(profileTable('prefill by kernel family', opProfile.prefill, nPrompt));
        if (nGen > 0) io.stdout.write(profileTable('decode by kernel family', opProfile.decode, nGen));
      }
      return 0;
    } finally {
      await backend.dispose?.();
    }
  },
};
