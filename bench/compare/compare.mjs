#!/usr/bin/env node
/**
 * mamba-ts vs llama.cpp (node-llama-cpp 3.21.1, prebuilt CPU build) on the same GGUF files: prompt
 * processing (pp) and decoding (tg) tokens/s, medians of alternating runs, at 1 and 2 threads; plus the
 * memory-bandwidth bound of decoding (bytes read per decoded token ÷ measured copy bandwidth). Writes
 * docs/performance.md (or prints it with --dry-run).
 *
 *   cd bench/compare && npm ci && npm --prefix ../.. run build
 *   UV_THREADPOOL_SIZE=1 node compare.mjs [--models DIR] [--threads 1,2] [-p 128] [-n 128] [--repeat 5] [--dry-run]
 *
 * DIR holds f32.gguf, f16.gguf, q8_0.gguf, q4_0.gguf (default /tmp/mamba-130m-random/gguf; how to make them:
 * docs/performance.md). Run on a quiet machine: the script records the load average before and after.
 *
 * Method: for each file and thread count, the two engines run alternately (llama.cpp, mamba-ts, llama.cpp, …)
 * so drifts in machine load hit both. llama.cpp runs in this process (model loaded once per file; a fresh
 * context per run: contextSize 512, batchSize 512, the whole prompt in one batch, `threads` exact since
 * maxThreads: 0); mamba-ts runs as `mamba-ts bench FILE --threads N -p P -n N -r 1 --json` in a child process,
 * one run per child (its load is not timed in tokens/s). Prompts are P seeded random token ids (Mamba's cost
 * does not depend on which). A decode run is N single-token evaluations with greedy sampling, timed from the
 * first to the last.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

if (process.env.UV_THREADPOOL_SIZE !== '1') {
  // llama.cpp's threads and libuv's pool would otherwise compete for the cores being measured
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, UV_THREADPOOL_SIZE: '1' } });
  process.exit(r.status ?? 1);
}

const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
// seeded random token ids below a vocabulary size: the ones `mamba-ts bench` feeds
const { benchPrompt } = await import('../../dist/src/cli/bench-command.js');

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const { values: opts } = parseArgs({
  options: {
    models: { type: 'string', default: '/tmp/mamba-130m-random/gguf' },
    threads: { type: 'string', default: '1,2' },
    prompt: { type: 'string', short: 'p', default: '128' },
    'n-gen': { type: 'string', short: 'n', default: '128' },
    repeat: { type: 'string', default: '5' },
    types: { type: 'string', default: 'f32,f16,q8_0,q4_0' },
    batch: { type: 'string', default: '4' },
    out: { type: 'string', default: join(root, 'docs', 'performance.md') },
    'dry-run': { type: 'boolean', default: false },
    'json-out': { type: 'string' },
    'from-json': { type: 'string' },
    // bigger shapes made by tools/bench/scale-model.mjs, named PRESET-TYPE.gguf: memory only
    'scale-models': { type: 'string', default: '/tmp/mamba-scaled' },
  },
});
const nPrompt = Number(opts.prompt);
const nGen = Number(opts['n-gen']);
const repeat = Number(opts.repeat);
const threadCounts = opts.threads.split(',').map(Number);
const types = opts.types.split(',');
/** Sequences of the batched-decode cells (0 = none): both engines decode them together, at the most threads. */
const batch = Number(opts.batch);
const BATCH_GEN = 64;

const median = (x) => {
  const s = [...x].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/**
 * Copy bandwidth as STREAM counts it (bytes read + bytes written per second): 256 MiB TypedArray.set, split
 * across 1 or 2 threads, best of 5.
 */
async function copyBandwidth(nThreads) {
  const n = 256 * 2 ** 20;
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const a = new Uint8Array(workerData.n), b = new Uint8Array(workerData.n);
    a.fill(1); b.fill(2);
    const ctl = new Int32Array(workerData.sab);
    let best = Infinity;
    for (let r = 0; r < 6; r++) {
      Atomics.add(ctl, 0, 1); Atomics.notify(ctl, 0);
      while (Atomics.load(ctl, 0) < workerData.nThreads * (r + 1)) {}
      const t0 = performance.now(); b.set(a); const t = performance.now() - t0;
      if (r > 0) best = Math.min(best, t);
    }
    parentPort.postMessage(best);`;
  const { Worker } = await import('node:worker_threads');
  const sab = new SharedArrayBuffer(4);
  const each = n / nThreads;
  const times = await Promise.all(
    Array.from({ length: nThreads }, () => new Promise((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { n: each, sab, nThreads } });
      w.once('message', (t) => { resolve(t); w.terminate(); });
      w.once('error', reject);
    })),
  );
  return (2 * n) / (Math.max(...times) / 1000);
}

/** Bytes one decoded token reads: every tensor once (a tied lm_head reads the embedding) + the state in and out. */
function bytesPerToken(file) {
  const info = JSON.parse(execFileSync(process.execPath, [cli, 'inspect', file, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 }));
  const tensorBytes = info.total_bytes;
  const { dInner, nLayer, dState, dConv } = info.config;
  const stateBytes = 4 * nLayer * dInner * (dConv - 1 + dState);
  return { bytes: tensorBytes + 2 * stateBytes, tensorBytes, stateBytes };
}

function mambaRun(file, threads, p = nPrompt, n = nGen) {
  const out = execFileSync(process.execPath, [cli, 'bench', file, '--threads', String(threads), '-p', String(p), '-n', String(n), '-r', '1', '--json'], { encoding: 'utf8' });
  const j = JSON.parse(out);
  return { pp: j.prompt_tokens_per_s, tg: j.decode_tokens_per_s, threads: j.threads, rss: j.peak_rss_bytes, baseRss: j.baseline_rss_bytes ?? 0, workerRss: j.worker_rss_bytes ?? 0, loadMs: j.load_ms };
}

/**
 * What the model adds to a process already running mamba.ts (model-memory.mjs: the embedded model loaded and run
 * first, at the same thread count; a fresh process per run): peak RSS above that, median of 3 runs.
 */
function mambaAddedMemory(file, threads) {
  const runs = Array.from({ length: 3 }, () => {
    const j = JSON.parse(execFileSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'model-memory.mjs'), file, String(threads), String(nPrompt), String(Math.min(nGen, 64))], { encoding: 'utf8' }));
    return j.peak_rss_bytes - j.baseline_rss_bytes;
  });
  return median(runs);
}

/** mamba-ts decoding `batch` sequences together (bench --batch): total tokens/s. */
function mambaBatchRun(file, threads) {
  const out = execFileSync(process.execPath, [cli, 'bench', file, '--threads', String(threads), '-p', '16', '-n', String(BATCH_GEN), '-r', '1', '--batch', String(batch), '--json'], { encoding: 'utf8' });
  return JSON.parse(out).decode_tokens_per_s;
}

/**
 * llama.cpp decoding `batch` sequences of one context together: node-llama-cpp gathers the concurrent
 * sequences' next tokens into one llama_decode per step. Total tokens/s.
 */
async function llamaBatchRun(model, threads) {
  const ctx = await model.createContext({ contextSize: 512 * batch, batchSize: 512, threads, sequences: batch });
  try {
    const seqs = Array.from({ length: batch }, () => ctx.getSequence());
    const ids = benchPrompt(16, 50000);
    await Promise.all(seqs.map((s) => s.evaluateWithoutGeneratingNewTokens(ids)));
    const t0 = performance.now();
    await Promise.all(seqs.map(async (s) => {
      let n = 0;
      for await (const _ of s.evaluate([ids[ids.length - 1]], { temperature: 0 })) if (++n >= BATCH_GEN) break;
    }));
    return (1000 * batch * BATCH_GEN) / (performance.now() - t0);
  } finally {
    await ctx.dispose();
  }
}

async function llamaRun(model, threads) {
  const ctx = await model.createContext({ contextSize: 512, batchSize: 512, threads, sequences: 1 });
  try {
    const seq = ctx.getSequence();
    const ids = benchPrompt(nPrompt, 50000); // below the GPT-NeoX tokenizer's 50277 tokens
    const t0 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(ids);
    const ppMs = performance.now() - t0;
    let n = 0;
    const t1 = performance.now();
    for await (const _ of seq.evaluate([ids[ids.length - 1]], { temperature: 0 })) {
      if (++n >= nGen) break;
    }
    const tgMs = performance.now() - t1;
    return { pp: (1000 * nPrompt) / ppMs, tg: (1000 * nGen) / tgMs };
  } finally {
    await ctx.dispose();
  }
}

/**
 * llama.cpp's peak RSS above its runtime on `file` (llama-memory.mjs: a fresh process, a speed cell's work at
 * 1 thread — its memory does not depend on the thread count: 210.5 / 211.5 MiB for Q4_0 at 1 / 2).
 */
function llamaMemory(file, p = nPrompt, n = nGen) {
  const out = execFileSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'llama-memory.mjs'), file, '1', String(p), String(n)], { encoding: 'utf8' });
  const j = JSON.parse(out);
  return j.peak_rss_bytes - j.baseline_rss_bytes;
}

/** mamba-ts's per-kernel-family profile of one file, 1 thread (prefill and decode ms per token). */
function profileOf(file) {
  const out = execFileSync(process.execPath, [cli, 'bench', file, '--threads', '1', '-p', String(nPrompt), '-n', String(Math.min(nGen, 64)), '-r', '1', '--profile-ops', '--json'], { encoding: 'utf8' });
  const j = JSON.parse(out);
  const per = (entries, n) => Object.fromEntries(entries.map((e) => [e.op, e.ms / n]));
  return { prefill: per(j.op_profile.prefill, nPrompt), decode: per(j.op_profile.decode, Math.min(nGen, 64)) };
}

async function measure() {
  const llama = await getLlama({ gpu: false, build: 'never', maxThreads: 0, logLevel: LlamaLogLevel.error });
  const loadBefore = loadavg();
  const started = new Date();
  console.error(`load average before: ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`);
  const bandwidth = {};
  for (const t of threadCounts) {
    bandwidth[t] = await copyBandwidth(t);
    console.error(`copy bandwidth (read + write), ${t} thread(s): ${(bandwidth[t] / 1e9).toFixed(2)} GB/s`);
  }
  const rows = [];
  const batchRows = [];
  const profiles = {};
  const llamaRss = {};
  for (const type of types) {
    const file = join(opts.models, `${type}.gguf`);
    if (!existsSync(file)) {
      console.error(`skipping ${type}: ${file} not found`);
      continue;
    }
    const bpt = bytesPerToken(file);
    const model = await llama.loadModel({ modelPath: file });
    try {
      for (const threads of threadCounts) {
        const runs = { llama: [], mamba: [] };
        for (let r = 0; r < repeat; r++) {
          runs.llama.push(await llamaRun(model, threads));
          runs.mamba.push(mambaRun(file, threads));
          console.error(`${type} ${threads}t run ${r + 1}/${repeat}: llama.cpp pp ${fmt(runs.llama.at(-1).pp)} tg ${fmt(runs.llama.at(-1).tg)}; mamba-ts pp ${fmt(runs.mamba.at(-1).pp)} tg ${fmt(runs.mamba.at(-1).tg)}`);
        }
        const m = (engine, k) => median(runs[engine].map((x) => x[k]));
        const addedRss = mambaAddedMemory(file, threads);
        console.error(`${type} ${threads}t: a model added to a running process: ${(addedRss / 2 ** 20).toFixed(1)} MiB`);
        rows.push({
          type, threads, mambaThreads: runs.mamba[0].threads,
          llamaPp: m('llama', 'pp'), mambaPp: m('mamba', 'pp'), llamaTg: m('llama', 'tg'), mambaTg: m('mamba', 'tg'),
          bytesPerToken: bpt.bytes, rss: median(runs.mamba.map((x) => x.rss)), baseRss: median(runs.mamba.map((x) => x.baseRss)), workerRss: median(runs.mamba.map((x) => x.workerRss)),
          fileBytes: statSync(file).size, stateBytes: bpt.stateBytes, addedRss,
          // per alternating pair: robust to the machine drifting during the cell
          pairedPp: median(runs.mamba.map((x, i) => x.pp / runs.llama[i].pp)), pairedTg: median(runs.mamba.map((x, i) => x.tg / runs.llama[i].tg)),
        });
      }
      if (batch > 1) {
        const threads = Math.max(...threadCounts);
        const runs = { llama: [], mamba: [] };
        for (let r = 0; r < repeat; r++) {
          runs.llama.push(await llamaBatchRun(model, threads));
          runs.mamba.push(mambaBatchRun(file, threads));
          console.error(`${type} ${threads}t ${batch} sequences run ${r + 1}/${repeat}: llama.cpp tg ${fmt(runs.llama.at(-1))}; mamba-ts tg ${fmt(runs.mamba.at(-1))}`);
        }
        batchRows.push({ type, threads, batch, llamaTg: median(runs.llama), mambaTg: median(runs.mamba), paired: median(runs.mamba.map((x, i) => x / runs.llama[i])) });
      }
    } finally {
      await model.dispose();
    }
    profiles[type] = profileOf(file);
    llamaRss[type] = llamaMemory(file);
    console.error(`${type}: llama.cpp peak RSS ${(llamaRss[type] / 2 ** 20).toFixed(1)} MiB above its runtime`);
  }
  const scaleRows = [];
  const scaled = existsSync(opts['scale-models']) ? readdirSync(opts['scale-models']).filter((f) => f.endsWith('.gguf')) : [];
  for (const name of scaled) {
    const file = join(opts['scale-models'], name);
    // a short prompt and a few tokens: the peak comes with the first ones
    const runs = threadCounts.map((t) => mambaRun(file, t, 64, 16));
    const llama = llamaMemory(file, 64, 16);
    scaleRows.push({ name: name.replace(/\.gguf$/, ''), fileBytes: statSync(file).size, stateBytes: bytesPerToken(file).stateBytes, runs, llamaRss: llama });
    console.error(`${name}: ${runs.map((r) => `${r.threads}t ${((r.rss - r.baseRss) / 2 ** 20).toFixed(1)} MiB above the runtime`).join(', ')}; llama.cpp ${(llama / 2 ** 20).toFixed(1)} MiB`);
  }
  const loadAfter = loadavg();
  console.error(`load average after: ${loadAfter.map((x) => x.toFixed(2)).join(' ')}`);
  return {
    date: started.toISOString().slice(0, 10), cpu: cpus()[0]?.model ?? 'unknown CPU', nCpus: cpus().length, node: process.version,
    loadBefore, loadAfter, bandwidth, rows, batchRows, profiles, llamaRss, scaleRows, scaleModels: opts['scale-models'], nPrompt, nGen, repeat, models: opts.models,
  };
}

const R = opts['from-json'] ? JSON.parse(readFileSync(opts['from-json'], 'utf8')) : await measure();
if (opts['json-out']) writeFileSync(opts['json-out'], JSON.stringify(R, null, 1));
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const gbs = (n) => `${(n / 1e9).toFixed(1)} GB/s`;
const table = [
  '| file | threads | pp llama.cpp | pp mamba-ts | ratio (paired) | tg llama.cpp | tg mamba-ts | ratio (paired) | tg bound | mamba-ts read rate (% of bound) | bytes / token | mamba-ts peak RSS (above the runtime; of it, the worker threads) |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ...R.rows.map((r) => {
    const bound = R.bandwidth[r.threads] / r.bytesPerToken;
    return `| ${r.type.toUpperCase()} | ${r.threads}${r.mambaThreads !== r.threads ? ` (mamba-ts ${r.mambaThreads})` : ''} | ${fmt(r.llamaPp)} | ${fmt(r.mambaPp)} | ${fmt(r.mambaPp / r.llamaPp, 2)}${r.pairedPp ? ` (${fmt(r.pairedPp, 2)})` : ''} | ${fmt(r.llamaTg)} | ${fmt(r.mambaTg)} | ${fmt(r.mambaTg / r.llamaTg, 2)}${r.pairedTg ? ` (${fmt(r.pairedTg, 2)})` : ''} | ${fmt(bound)} | ${gbs(r.mambaTg * r.bytesPerToken)} (${fmt((100 * r.mambaTg) / bound, 0)} %) | ${mib(r.bytesPerToken)} | ${mib(r.rss)}${r.baseRss ? ` (${mib(r.rss - r.baseRss)}${r.workerRss ? `; ${mib(r.workerRss)}` : ''})` : ''} |`;
  }),
].join('\n');
// The issue's comparison: each engine at its best thread count.
const best = (type, k) => Math.max(...R.rows.filter((r) => r.type === type).map((r) => r[k]));
const bestTable = [
  '| file | pp llama.cpp (best) | pp mamba-ts (best) | ratio | tg llama.cpp (best) | tg mamba-ts (best) | ratio | mamba-ts: a model added to a running process (1 thread / 2) | mamba-ts: the first model of a fresh process (1 thread / 2) | bar: file + 10 % + state | llama.cpp: the first model of a fresh process |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...[...new Set(R.rows.map((r) => r.type))].map((type) => {
    const rows = R.rows.filter((r) => r.type === type);
    const r0 = rows[0];
    const above = rows.map((r) => r.rss - (r.baseRss ?? 0));
    const bar = 1.1 * (r0.fileBytes ?? 0) + (r0.stateBytes ?? 0);
    const added = rows.map((r) => r.addedRss);
    const firstOver = rows.filter((r, i) => above[i] > bar).map((r) => r.threads);
    const verdict = added.some((x) => x === undefined)
      ? (firstOver.length === 0 ? 'met' : 'over')
      : added.every((x) => x <= bar) ? (firstOver.length === 0 ? 'met, both ways' : `met; the first model over at ${firstOver.join(', ')} thread(s)`) : 'over';
    const [lp, mp, lt, mt] = [best(type, 'llamaPp'), best(type, 'mambaPp'), best(type, 'llamaTg'), best(type, 'mambaTg')];
    const firstCell = r0.baseRss ? rows.map((r, i) => `${mib(above[i])}${r.workerRss ? ` (${mib(r.workerRss)} of it the worker)` : ''}`).join(' / ') : '—';
    return `| ${type.toUpperCase()} | ${fmt(lp)} | ${fmt(mp)} | ${fmt(mp / lp, 2)} | ${fmt(lt)} | ${fmt(mt)} | ${fmt(mt / lt, 2)} | ${added.every((x) => x !== undefined) ? added.map(mib).join(' / ') : '—'} | ${firstCell} | ${r0.fileBytes ? `${mib(bar)} (${verdict})` : '—'} | ${R.llamaRss?.[type] ? mib(R.llamaRss[type]) : '—'} |`;
  }),
].join('\n');
const batchRows = R.batchRows ?? [];
const batchTable = [
  '| file | threads | tg llama.cpp, 1 sequence | tg llama.cpp, N together (total) | tg mamba-ts, 1 sequence | tg mamba-ts, N together (total) | ratio (paired) |',
  '|---|---|---|---|---|---|---|',
  ...batchRows.map((b) => {
    const one = R.rows.find((r) => r.type === b.type && r.threads === b.threads);
    return `| ${b.type.toUpperCase()} | ${b.threads} | ${one ? fmt(one.llamaTg) : '—'} | ${fmt(b.llamaTg)} | ${one ? fmt(one.mambaTg) : '—'} | ${fmt(b.mambaTg)} | ${fmt(b.mambaTg / b.llamaTg, 2)} (${fmt(b.paired, 2)}) |`;
  }),
].join('\n');
const batchSection = batchRows.length === 0 ? '' : `## Batched decode: ${batchRows[0].batch} sequences at once

Both engines decode ${batchRows[0].batch} sequences together, ${BATCH_GEN} tokens each after a 16-token prompt; tokens/s count
all of them. mamba-ts: \`stepBatch\` (what \`MambaModel.generate\` does for several prompts, \`run --batch-size\`;
\`mamba-ts bench --batch N\`), each weight read once per step for all the sequences — the F32/F16 matvec per
token over row blocks kept in cache, the Q8_0/Q4_0 planes GEMM from 4 sequences — with each sequence getting
the bits of its own steps. llama.cpp: one context with ${batchRows[0].batch} sequences, node-llama-cpp gathering their
next tokens into one \`llama_decode\`. The 1-sequence columns are the tables' above, at the same thread count.

${batchTable}

`;
const scaleRows = [...(R.scaleRows ?? [])].sort((a, b) => a.fileBytes - b.fileBytes);
const scaleTable = [
  `| model | file | state | bar: file + 10 % + state | mamba-ts above the runtime, ${threadCounts.map((t) => `${t} thread${t > 1 ? 's' : ''}`).join(' / ')} (of it, the worker threads) | mamba-ts, the whole process (Node included) | bar met | llama.cpp above its runtime |`,
  '|---|---|---|---|---|---|---|---|',
  ...scaleRows.map((r) => {
    const bar = 1.1 * r.fileBytes + r.stateBytes;
    const above = r.runs.map((x) => x.rss - x.baseRss);
    const whole = Math.max(...r.runs.map((x) => x.rss));
    const verdict = Math.max(...above) <= bar ? (whole <= bar ? 'yes, even for the whole process' : 'yes') : 'no';
    return `| ${r.name} | ${mib(r.fileBytes)} | ${mib(r.stateBytes)} | ${mib(bar)} | ${r.runs.map((x, i) => `${mib(above[i])}${x.workerRss ? ` (${mib(x.workerRss)})` : ''}`).join(' / ')} | ${mib(whole)} | ${verdict} | ${r.llamaRss ? mib(r.llamaRss) : '—'} |`;
  }),
].join('\n');
const scaleSection = `## Memory at the sizes of the published models

On the 130m files the costs that do not grow with the model (see "Reading the numbers") decide the bar. Bigger
shapes — state-spaces' mamba-370m … 2.8b, d_inner = 2·d_model —
made from the 130m file by \`tools/bench/scale-model.mjs\` (each tensor the 130m one of the same role, tiled: the
values keep their scales, the text means nothing; in \`${R.scaleModels ?? opts['scale-models']}\`), \`mamba-ts bench -p 64 -n 16\`,
peak RSS above the runtime as above, worker threads included:

${scaleRows.length ? scaleTable : `(none measured: make them with \`node tools/bench/scale-model.mjs /tmp/mamba-130m-random/gguf/f32.gguf ${opts['scale-models']}/2.8b-q4_0.gguf --preset 2.8b --type q4_0\`)`}

`;
const FAMILIES = ['ssm_in', 'ssm_out', 'lm_head', 'scan', 'dt_proj', 'conv1d', 'ssm_x', 'quantize', 'rms_norm', 'state_copy', 'get_rows'];
const profTypes = Object.keys(R.profiles);
const profile = [
  `| op | ${profTypes.map((t) => `${t.toUpperCase()} prefill | ${t.toUpperCase()} decode`).join(' | ')} |`,
  `|---|${profTypes.map(() => '---|---').join('|')}|`,
  ...FAMILIES.map((f) => `| ${f} | ${profTypes.map((t) => `${fmt(R.profiles[t].prefill[f] ?? 0, 2)} | ${fmt(R.profiles[t].decode[f] ?? 0, 2)}`).join(' | ')} |`),
  `| **total** | ${profTypes.map((t) => `**${fmt(Object.values(R.profiles[t].prefill).reduce((a, b) => a + b, 0), 2)}** | **${fmt(Object.values(R.profiles[t].decode).reduce((a, b) => a + b, 0), 2)}**`).join(' | ')} |`,
].join('\n');

const doc = `# Performance

mamba-ts (WASM SIMD128 kernels, worker threads, GEMM prefill) against llama.cpp (node-llama-cpp 3.21.1,
prebuilt CPU build, AVX2) on the same GGUF files of a 130m-shaped model. **Generated by
\`bench/compare/compare.mjs\`** on ${R.date}; rerun it to refresh (see the end).

## Setup

- Machine: ${R.cpu}, ${R.nCpus} logical CPUs (a KVM guest: expect a few % of noise between runs); Node ${R.node}.
- Load average (1, 5, 15 min) before: ${R.loadBefore.map((x) => x.toFixed(2)).join(', ')}; after: ${R.loadAfter.map((x) => x.toFixed(2)).join(', ')}
  (during the run, the benchmark's own 1–2 busy threads). Only meaningful when the load before is well below 1.
- Model: the 130m-shaped random Mamba (d_model 768, 24 layers, d_inner 1536, d_state 16, dt_rank 48, vocab
  50280, tied embeddings; \`make_models.py --preset 130m\`, whose weights since 2026-11-29 follow the
  STREAM_ALIGNED rules of docs/quantization.md — the speed depends on the shapes and types only), files in
  \`${R.models}\`. Q8_0 / Q4_0 keep dt_proj F16 (rows of 48 are not a multiple of 32), as llama.cpp's
  quantizer does.
- pp = prompt processing, ${R.nPrompt} tokens in one call (mamba-ts: \`prefill\`, GEMM chunks of 64); tg =
  decoding, ${R.nGen} single-token steps. Medians of ${R.repeat} runs per cell, the two engines alternating.
- tg bound = copy bandwidth ÷ bytes read per decoded token (every tensor once — the tied lm_head reads the
  whole embedding — plus the recurrent state in and out). Copy bandwidth, counted as STREAM does (bytes read +
  bytes written per second; 256 MiB \`TypedArray.set\`, best of 5): ${Object.keys(R.bandwidth).map((t) => `${t} thread${t > 1 ? "s" : ""} ${gbs(R.bandwidth[t])}`).join(", ")}.
  "read rate" = bytes per token × tg of mamba-ts.

## Results (tokens/s; ratio = mamba-ts / llama.cpp)

Each engine at its best thread count (the issue's bar: ratio ≥ 1), and mamba-ts' memory against the bar, file
size + 10 % + one recurrent state, in two cases — each the peak RSS while the model is loaded and run (the cell's
prompt, then steps) minus the RSS just before it was opened:

- **a model added to a running process** (\`model-memory.mjs\`, median of 3 fresh processes): mamba.ts is
  already running the embedded model at the same thread count, so its code is compiled and its worker
  threads run; this is what the model itself costs, and what a process pays for each model it loads;
- **the first model of a fresh process** (\`mamba-ts bench\`: above Node and mamba.ts' code as loaded, the WASM
  kernels compiled): the model plus what the process pays once — V8 compiling and optimizing mamba.ts' JS
  (~3 MiB) and, at 2 threads, starting the worker thread (\`worker_rss_bytes\`, measured in each run before any
  weight is read: a Node worker is a V8 isolate and a Node environment, ~8.6 MiB).

For scale, llama.cpp's peak RSS above its own runtime (the RSS once node-llama-cpp's binding is loaded) doing
the same work in a fresh process (\`llama-memory.mjs\`: its file mapped, its context of 512 tokens, its compute
buffers):

${bestTable}

Every cell (ratio = of the medians; in parentheses, the median of the per-run ratios of the alternating pairs,
which a machine drifting during the cell disturbs less):

${table}

${batchSection}${scaleSection}## Where mamba-ts spends a token (ms per token, 1 thread, \`mamba-ts bench --profile-ops\`)

Profiling times each kernel family with \`performance.now()\` and runs the fused ops (in_proj + conv1d,
dt_proj + scan) apart, so the totals are a little above an unprofiled token.

${profile}

## Reading the numbers

- **Decode** is a matvec per weight matrix per token plus the scan. F32 streams ~500 MB per token: both
  engines sit near the memory bound, mamba-ts' single-row matvecs reading at the bound's rate on one thread
  (~14 GB/s); at 2 threads both read 20–24 GB/s (F32 decode 0.87–1.09 over runs 12–25; a two-row F32
  matvec sharing x loads measured 0.76–0.85×, docs/kernels.md). The F16 matvec
  reads ~11–12 GB/s on one thread, about what one core streams (relaxed SIMD's FMA measured only +5 % there),
  once its weights are no f32 subnormals: F16 matrices are re-encoded at load as F16R (exponent bias 25, the
  same values, src/wasm/f16r.ts), because the exactly widened F16 subnormals — 0.64 % of the 130m in_proj's
  halves — are f32 subnormals, which x86 multiplies through a microcode assist: that matvec took 13.3 ms per
  token instead of 9.9 (since 2026-11-29: F16 decode +13–24 %, paired runs).
  Q8_0 and Q4_0 are instruction-bound: 128-bit WebAssembly SIMD has no u8×i8 dot product, where llama.cpp
  uses 256-bit AVX2 (\`vpmaddubsw\`); the relaxed i8×i7 dot with ggml's sign trick measured 7 % slower than
  our i16 dot, and with Q4_0's nibbles as its 7-bit operand the planes GEMM ran no faster — while Node 20's
  relaxed dot returns twice the product (docs/kernels.md).
  What closed the gap (each with the same bits as before, tested): the matvecs work on x *prepared*
  once per op in each thread's scratch — F16 on x·2^112, so a half widens with i16 shifts and two shuffles and
  no rescale multiply (+25–33 %); Q8_0 / Q4_0 on x widened to i16 once instead of once per row (+19 %) — Q4_0
  splits nibbles with i16 shifts (V8 emulates i8x16 shifts), the scan's \`exp\` rounds by the magic-number
  trick and its gate is vectorized (−26 %), the conv1d step runs four channels at a time (2×), and sequences
  keep their state in WASM memory (no copy in and out per token). Then (2026-11-29): the Q4_0 matvec dots
  nibbles + 8 as u16 lanes and subtracts 8·Σx per lane once (+25–30 % on its matrices), the decode scan step
  runs the prefill chunk scan's unrolled channel body for one token (−40 %), \`exp\` clamps with
  \`f32x4.pmax/pmin\`, the F16 dt_proj runs four rows per horizontal sum on prepared x; and the matrices read
  by several rows at a time are interleaved at load so those rows are one stream (Q4_0 in row pairs: decode
  +5–9 %; Q8_0 in quads, summed in ggml's scalar order — one f32 sum per row — so a vector holds four rows'
  outputs: decode +10 % at 1 thread, +25 % at 2).
- **Prefill** runs in_proj / x_proj / dt_proj / out_proj as GEMMs over chunks of 64 tokens, then the scan over
  the chunk in one call per channel range, each channel's state and A held in registers across the tokens
  (2.5 → 1.8 ms per token on this model; before, one step per token). Since 2026-11-29 the GEMMs run on x
  prepared once per op as *planes*, tokens in the vector lanes (docs/kernels.md): a register tile over rows ×
  tokens (F32/F16 2 × 16, Q8_0 2 × 8, Q4_0 2 × 4) shares each weight load across tokens and each x load
  across rows, while every (row, token) keeps its type's exact order — the F32/F16 dot's four-accumulator
  classes become sixteen passes, the quantized block sums come from dots of a broadcast weight pair against
  four tokens' pairs with no horizontal step. The GEMMs went from ~8–13 to ~15–20 GMAC/s per thread: prefill
  F32 +30 %, F16 +45 %, Q8_0 and Q4_0 +25–35 %, still the same bits as one step per token.
  Around the GEMMs (2026-11-29, later the same day), the element-wise work got cheaper: softplus as
  max(x, 0) + log1p(exp(−|x|)) with a short atanh series (2.0×), the Q8_0 activation quantizer (max on the
  bits, rounding by the magic number: 2.5×), the scan's exp as a base-2 exp of (dt·log2e)·A (~10 % of the
  scan), SiLU's and softplus' exp without selects, and the prompt's conv1d in one call per chunk with each
  channel group's taps and inputs in registers (1.3–1.4×): Q4_0 prefill +10 % at 1 thread (paired, one
  process).
- **Threads**: rows are split across threads (~4 chunks per thread per op, one barrier per op) and the results
  are bit-identical for any thread count. A second thread helps most where compute dominates; on a machine
  whose cores are busy with other work, more threads than free cores is slower than one.
- **Memory**: the weights are read from the file straight into WASM memory (no JS-heap copy; before, F32 peaked
  at 617 MiB). Above the runtime — Node and mamba.ts' code, the JS and the WASM kernels, which \`bench\` compiles
  before its baseline: compiled once per process (~0.5–1.5 MiB) and shared by every model — a model costs its
  WASM memory (the weights, ~1.9 MiB of prompt-chunk activations — normed/out and dt/y share memory — and the
  state) plus a part that does not grow with the model, ~8–10 MiB at one thread for the 130m shape (measured
  by mapping, /proc/self/smaps, Q4_0):
  - opening the file, ~1.5 MiB once it is closed: the 1.7 MiB header (its tokenizer arrays, read into a 2 MiB
    buffer) is given back when the file is closed after loading (a resizable buffer shrunk to 0); V8's heap
    keeps ~1 MiB;
  - V8's young generation growing during the load (~1 MiB), the code TurboFan makes of the hot JS and of the
    kernels (~0.5 MiB), a ~1.5–2 MiB moment while it compiles the forward pass's dispatch (a compile zone,
    freed after: measured with \`--trace-opt\` at the step it happens in; splitting the function moved it,
    not shrank it), and the Node binary's code pages first touched (~1 MiB);
  - **~8.6 MiB per worker thread**: a Node worker is a whole V8 isolate and Node environment (an idle worker
    blocked in \`Atomics.wait\` holds ~30 V8 heap pages: ~6.3 MiB of heap at the least even with
    \`resourceLimits\` at their floor). \`bench\` measures it in each run (\`worker_rss_bytes\`). It is a cost of
    the process, not of each model: the process has one kernel pool, which every model shares
    (docs/kernels.md), so a second model (a draft and a target, two models in a server) adds no worker.

  The bar (file + 10 % + state) leaves 10 % of the file for all of that. A model added to a running process
  — what a model itself costs — meets it for every file at 1 and 2 threads (the 130m Q4_0 file with ~4 MiB to
  spare), and so does the first model of a fresh process from 370m up, worker threads included, and at 2.8b
  the whole process, Node included (section above). The first model of a fresh process on the small 130m
  files is where the costs paid once per process show: the F32 and F16 files meet the bar, the Q8_0 and Q4_0
  ones at one thread only (Q4_0 at the edge), their 10 % (7.6 MiB for Q4_0) being less than one Node worker.
  For scale, llama.cpp through node-llama-cpp, doing the same work, holds far more above its own runtime (last
  column: ~2.6× the Q4_0 file, 1.1× the F32 one — its mapped file plus compute and output buffers that do not
  depend on the weight type; at 2.8b, twice the Q4_0 file). Measured and not adopted: prompt chunks of 32
  tokens instead of 64 save 1.2 MiB but cost 5–7 % of prefill at 2 threads. Building the tokenizer (\`run\`, not \`bench\`) adds ~6–7 MiB and ~90–140 ms for the
  50k-token vocabulary (it is resolved on the file's UTF-8, with no JS string per token: docs/tokenizer.md).

## \`mamba-ts bench\`

\`mamba-ts bench [MODEL] [--threads N] [-p 128] [-n 128] [--repeat R] [--batch B] [--backend scalar|wasm|wasm-threads]
[--prefill-chunk T] [--profile-ops] [--json]\` feeds P seeded random token ids with \`prefill\`, then N
single-token steps (the greedy token fed back), after a warm-up, and reports medians over R runs: prompt and
decode tokens/s, load time, peak RSS (\`process.resourceUsage().maxRSS\`) and the RSS before loading, threads,
backend, model bytes. With \`--batch B\`, B sequences each get the prompt and decode together (one batched
step per token), and the rates count all of them. JSON keys: \`prompt_tokens_per_s\`, \`decode_tokens_per_s\`,
\`load_ms\`, \`peak_rss_bytes\`, \`baseline_rss_bytes\`, \`worker_rss_bytes\`, \`threads\`, \`backend\`, \`batch\`, plus \`model_bytes\`, \`wasm_memory_bytes\`, \`weight_types\`, per-run rates, and \`op_profile\`
with \`--profile-ops\`. \`npm run bench\` runs it on \`/tmp/mamba-130m-random/gguf/f32.gguf\` unless given a model.

## Reproduce

\`\`\`sh
# the 130m-shaped random model (~1 GB written, a few minutes) and its GGUF files
/work/venv/bin/python tools/fixtures/make_models.py --preset 130m --out /tmp/mamba-130m-random
mkdir -p /tmp/mamba-130m-random/gguf && cd /tmp/mamba-130m-random
mamba-ts convert hf gguf/f32.gguf --type f32 && mamba-ts convert hf gguf/f16.gguf --type f16
mamba-ts quantize gguf/f32.gguf gguf/q8_0.gguf --type q8_0 && mamba-ts quantize gguf/f32.gguf gguf/q4_0.gguf --type q4_0

# the bigger shapes of the memory section (tiled from the 130m F32 file; ~6 GB for these six, a few minutes)
for m in 370m-q4_0 370m-q8_0 790m-q4_0 1.4b-q4_0 2.8b-q4_0 2.8b-q8_0; do
  node tools/bench/scale-model.mjs /tmp/mamba-130m-random/gguf/f32.gguf /tmp/mamba-scaled/$m.gguf --preset \${m%-*} --type \${m#*-}
done

# mamba-ts alone
npm run bench -- /tmp/mamba-130m-random/gguf/q8_0.gguf --threads 2 -p 128 -n 128 --repeat 5 --profile-ops

# both engines: this page (~10 minutes on a quiet machine; --json-out FILE keeps the raw numbers,
# --from-json FILE rewrites the page from them)
cd bench/compare && npm ci && UV_THREADPOOL_SIZE=1 node compare.mjs
\`\`\`
`;

if (opts['dry-run']) process.stdout.write(doc);
else {
  writeFileSync(opts.out, doc);
  console.error(`wrote ${opts.out}`);
}
