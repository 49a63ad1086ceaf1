#!/usr/bin/env node
/**
 * Interoperability check: GGUF files written by `mamba-ts convert` load in llama.cpp (node-llama-cpp,
 * prebuilt) and give the same greedy tokens and the same token ids as mamba-ts and the transformers reference.
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
console.log(failures === 0 ? 'all interop checks passed' : `${failures} interop checks failed`);
process.exitCode = failures === 0 ? 0 : 1;
