#!/usr/bin/env node
/**
 * Interoperability check: GGUF files written by `mamba-ts convert` load in llama.cpp (node-llama-cpp,
 * prebuilt) and give the same greedy tokens and the same token ids as mamba-ts and the transformers reference;
 * files written by `mamba-ts quantize` in every type load and decode as ours do.
 *
 *   cd bench/compare && npm ci && npm --prefix ../.. run build && node interop-check.mjs
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const mamba = (...args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const dir = mkdtempSync(join(tmpdir(), 'interop-'));
let failures = 0;

for (const [name, type] of [['tiny', 'f32'], ['tiny', 'f16'], ['neox-narrow', 'f32'], ['neox-narrow', 'f16']]) {
  const ref = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'models', name, 'reference.json'), 'utf8'));
  const gguf = join(dir, `${name}-${type}.gguf`);
  mamba('convert', join(root, 'test', 'fixtures', 'models', name, 'hf'), gguf, '--type', type, '--quiet');
  const model = await llama.loadModel({ modelPath: gguf });
  const ctx = await model.createContext({ contextSize: 256, threads: 1 });
  for (const [i, p] of ref.prompts.entries()) {
    const seq = ctx.getSequence();
    const theirs = [];
    for await (const t of seq.evaluate(p.ids, { temperature: 0 })) {
      theirs.push(t);
      if (theirs.length >= p.greedy.n_new) break;
    }
    seq.dispose();
    const ours = JSON.parse(mamba('run', gguf, '--prompt-ids', p.ids.join(','), '-n', String(p.greedy.n_new), '-t', '0', '--json')).tokens;
    const same = (a, b) => a.length === b.length && a.every((x, k) => x === b[k]);
    const eos = p.greedy.ids.indexOf(0);
    const want = eos < 0 ? p.greedy.ids : p.greedy.ids.slice(0, eos + 1);
    const tokOk = same(model.tokenize(p.text, false), JSON.parse(mamba('tokenize', gguf, p.text, '--json')).ids);
    const ok = same(theirs.slice(0, want.length), want) && same(ours, want) && tokOk;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} ${type} prompt ${i}: llama.cpp greedy ${same(theirs.slice(0, want.length), want) ? '=' : '≠'} reference, mamba-ts ${same(ours, want) ? '=' : '≠'} reference, token ids ${tokOk ? '=' : '≠'}`);
  }
  await ctx.dispose();
  await model.dispose();
}
// Every quantized type we write, on the trained demo model (d_model 256: the 256-blocks fit): llama.cpp loads
// the file and its greedy continuation follows ours. Both engines quantize the activations the same way
// (Q8_0 / Q8_K, as ggml), but sum in different orders, so a near-tie may flip a token late in the run:
// the check asks for the first 16 tokens equal and reports where the two first differ.
const demo = join(root, 'models', 'stories-m-f16.gguf');
const N_NEW = 48;
// The ternary types on the ternary-trained model (the committed TQ2_0 file, and the same trits as TQ1_0).
// Ternarizing the ordinary stories-m after training destroys it (perplexity ~1400, docs/quantization.md):
// its near-flat distributions tie everywhere, so those two files are only required to load (strict = false).
const ternary = join(root, 'models', 'stories-m-ternary-tq2_0.gguf');
const ternaryTq1 = join(dir, 'stories-m-ternary-tq1_0.gguf');
mamba('quantize', ternary, ternaryTq1, '--type', 'tq1_0', '--keep-output', 'q8_0', '--quiet');
const files = [['stories-m-ternary tq2_0', ternary, true], ['stories-m-ternary tq1_0', ternaryTq1, true]];
for (const type of ['q8_0', 'q4_0', 'q6_k', 'q4_k', 'q4_k_m', 'tq2_0', 'tq1_0']) {
  const out = join(dir, `stories-m-${type}.gguf`);
  mamba('quantize', demo, out, '--type', type, '--quiet');
  files.push([`stories-m ${type}`, out, !type.startsWith('tq')]);
}
for (const [label, gguf, strict] of files) {
  const model = await llama.loadModel({ modelPath: gguf });
  const ctx = await model.createContext({ contextSize: 256, threads: 1 });
  const prompt = JSON.parse(mamba('tokenize', gguf, 'Once upon a time', '--json')).ids;
  const seq = ctx.getSequence();
  const theirs = [];
  for await (const t of seq.evaluate(prompt, { temperature: 0 })) {
    theirs.push(t);
    if (theirs.length >= N_NEW) break;
  }
  const ours = JSON.parse(mamba('run', gguf, '--prompt-ids', prompt.join(','), '-n', String(N_NEW), '-t', '0', '--json')).tokens;
  let k = 0;
  while (k < Math.min(ours.length, theirs.length) && ours[k] === theirs[k]) k++;
  const ok = !strict || k >= Math.min(16, ours.length);
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${label}: llama.cpp loads it; greedy tokens equal for ${k === ours.length ? `all ${k}` : `the first ${k} of ${ours.length}`}${strict ? '' : ' (a destroyed model: load only)'}`);
  await ctx.dispose();
  await model.dispose();
}

console.log(failures === 0 ? 'all interop checks passed' : `${failures} interop checks failed`);
process.exitCode = failures === 0 ? 0 : 1;
