#!/usr/bin/env node
/**
 * Measures every weight type on one model for docs/quantization.md: quantizes an F32 GGUF to each type
 * (files cached in --work), then per type: file size, bits per weight, perplexity and KL-divergence against
 * the F32 file on a text (`mamba-ts perplexity --kl-reference`), decode tokens/s (`mamba-ts bench`, median).
 * One heavy job at a time: run it on a quiet machine.
 *
 *   npm run build
 *   node tools/quant/measure-types.mjs --model F32.gguf --name stories-m --text ../shared/data/tinystories-valid-head.txt \
 *       [--max-tokens N] [--threads 2] [--types f32,f16,q8_0,…] [--work /tmp/quant-measure] [--out results.json]
 *
 * Extra variants: `tq2_0-absmean`, `tq1_0-absmean` (--ternary-scale absmean), `TYPE-outq8` (--keep-output q8_0),
 * `file:LABEL=PATH` (an existing GGUF measured as is, e.g. a ternary-trained model).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openModel } from '../../dist/src/node/open-model.js';

const { values: o } = parseArgs({
  options: {
    model: { type: 'string' },
    name: { type: 'string' },
    text: { type: 'string' },
    'max-tokens': { type: 'string' },
    threads: { type: 'string', default: '2' },
    types: { type: 'string', default: 'f32,f16,q8_0,q6_k,q4_k,q4_0,tq2_0,tq1_0' },
    work: { type: 'string', default: '/tmp/quant-measure' },
    out: { type: 'string' },
    'bench-n': { type: 'string', default: '64' },
    'bench-repeat': { type: 'string', default: '3' },
    /** Skip the speed runs (perplexity / KL only: may share the machine). */
    'no-bench': { type: 'boolean', default: false },
    /** Only the speed runs, merged into the rows of an existing --out (quality measured before). */
    'bench-only': { type: 'boolean', default: false },
    /** Threads of the perplexity runs (default: --threads). */
    'ppl-threads': { type: 'string' },
  },
});
if (!o.model || !o.name || !o.text) {
  console.error('usage: measure-types.mjs --model F32.gguf --name NAME --text FILE [--max-tokens N] [--types …]');
  process.exit(2);
}
const CLI = resolve(import.meta.dirname, '../../dist/src/cli/main.js');
const cli = (args) => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
mkdirSync(o.work, { recursive: true });

/** The GGUF for a variant: the F32 source itself, a cached quantized copy, or a given file. */
function fileFor(variant) {
  if (variant.startsWith('file:')) return variant.slice(5).split('=')[1];
  if (variant === 'f32') return o.model;
  const out = join(o.work, `${o.name}-${variant}.gguf`);
  if (existsSync(out)) return out;
  const [type, extra] = variant.split('-');
  const args = type === 'f16' ? ['convert', o.model, out, '--type', 'f16'] : ['quantize', o.model, out, '--type', type];
  if (extra === 'absmean') args.push('--ternary-scale', 'absmean');
  if (extra === 'outq8') args.push('--keep-output', 'q8_0');
  const t0 = performance.now();
  cli([...args, '--quiet']);
  console.error(`  made ${out} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

/** Bits per weight over all tensors (llama.cpp's BPW), and the share of weights stored in each type. */
async function weightStats(path) {
  const m = await openModel(path);
  try {
    let bytes = 0;
    let n = 0;
    const types = new Map();
    for (const t of m.tensors) {
      const e = t.shape.reduce((a, d) => a * d, 1);
      bytes += t.nBytes;
      n += e;
      types.set(t.type.name, (types.get(t.type.name) ?? 0) + e);
    }
    const mix = [...types].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${((100 * v) / n).toFixed(0)}%`).join(', ');
    return { bpw: (8 * bytes) / n, mix };
  } finally {
    await m.close();
  }
}

const out = o.out ?? join(o.work, `${o.name}-results.json`);
const prev = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : null;
const results = [];
for (const variant of o.types.split(',')) {
  if (o['bench-only']) {
    const row = prev?.results.find((r) => r.variant === variant);
    if (!row) throw new Error(`--bench-only: no row ${variant} in ${out}`);
    const t0 = performance.now();
    const bench = JSON.parse(cli(['bench', row.file, '--threads', o.threads, '-p', '64', '-n', o['bench-n'], '--repeat', o['bench-repeat'], '--json']));
    Object.assign(row, { decode_tokens_per_s: bench.decode_tokens_per_s, prompt_tokens_per_s: bench.prompt_tokens_per_s, threads: bench.threads, peak_rss_bytes: bench.peak_rss_bytes });
    row.seconds = { ...row.seconds, bench: (performance.now() - t0) / 1000 };
    results.push(row);
    console.error(`${o.name} ${variant}: decode ${bench.decode_tokens_per_s} tok/s, prompt ${bench.prompt_tokens_per_s} tok/s (${bench.threads} threads)`);
    continue;
  }
  console.error(`${o.name} ${variant}`);
  const path = fileFor(variant);
  const label = variant.startsWith('file:') ? variant.slice(5).split('=')[0] : variant;
  const size = statSync(path).size;
  const { bpw, mix } = await weightStats(path);
  const pplArgs = ['perplexity', path, '--file', o.text, '--json', '--quiet', '--threads', o['ppl-threads'] ?? o.threads];
  if (o['max-tokens']) pplArgs.push('--max-tokens', o['max-tokens']);
  if (path !== o.model) pplArgs.push('--kl-reference', o.model);
  let t0 = performance.now();
  const ppl = JSON.parse(cli(pplArgs));
  const pplSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const bench = o['no-bench'] ? {} : JSON.parse(cli(['bench', path, '--threads', o.threads, '-p', '64', '-n', o['bench-n'], '--repeat', o['bench-repeat'], '--json']));
  const row = {
    variant: label,
    file: path,
    file_bytes: size,
    bpw: bpw,
    weight_types: mix,
    ppl: ppl.ppl,
    mean_nll: ppl.mean_nll,
    n_tokens: ppl.n_tokens,
    kl_mean: ppl.kl?.mean ?? 0,
    kl_max: ppl.kl?.max ?? 0,
    top1_agreement: ppl.kl?.top1_agreement ?? 1,
    decode_tokens_per_s: bench.decode_tokens_per_s,
    prompt_tokens_per_s: bench.prompt_tokens_per_s,
    threads: bench.threads,
    peak_rss_bytes: bench.peak_rss_bytes,
    seconds: { perplexity: pplSeconds, bench: (performance.now() - t0) / 1000 },
  };
  results.push(row);
  console.error(`  ${JSON.stringify({ ...row, seconds: undefined, file: undefined })}`);
}

const header = o['bench-only'] ? { ...prev, bench_date: new Date().toISOString() } : { model: o.name, source: o.model, text: o.text, max_tokens: o['max-tokens'] ?? null, date: new Date().toISOString() };
writeFileSync(out, JSON.stringify({ ...header, results }, null, 1) + '\n');
console.error(`wrote ${out}`);

// The markdown table (docs/quantization.md).
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
console.log(`| type | file | bits / weight | weights stored as | perplexity | KL vs F32 (nats/token, mean) | top-1 agreement | decode tok/s (${results[0]?.threads} threads) |`);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.variant} | ${mib(r.file_bytes)} | ${r.bpw.toFixed(2)} | ${r.weight_types} | ${r.ppl.toFixed(3)} | ${r.kl_mean.toExponential(2)} | ${(100 * r.top1_agreement).toFixed(1)} % | ${r.decode_tokens_per_s === undefined ? '—' : r.decode_tokens_per_s.toFixed(1)} |`,
  );
}
