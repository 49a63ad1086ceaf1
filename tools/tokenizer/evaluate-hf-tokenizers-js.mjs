#!/usr/bin/env node
// Evaluates the npm package `@huggingface/tokenizers` (tokenizers.js) against the Hugging Face
// `tokenizers` reference fixtures, and times it. This is how the "use it or write our own" decision
// in docs/tokenizer.md was made; the package is not a dependency of mamba.ts.
//
//   mkdir -p /tmp/hfjs && (cd /tmp/hfjs && npm init -y && npm install @huggingface/tokenizers)
//   node tools/tokenizer/evaluate-hf-tokenizers-js.mjs /tmp/hfjs
//
// Prints, per fixture group, how many cases give exactly HF's ids, and the encode throughput.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const moduleDir = process.argv[2];
if (!moduleDir) {
  console.error('usage: evaluate-hf-tokenizers-js.mjs DIR_WITH_node_modules (see the header comment)');
  process.exit(2);
}
const require = createRequire(join(moduleDir, 'package.json'));
const loaded = await import(pathToFileURL(require.resolve('@huggingface/tokenizers')).href);
const Tokenizer = loaded.Tokenizer ?? loaded.default.Tokenizer; // the CommonJS build resolves here

const repo = new URL('../../', import.meta.url);
const shared = new URL('../shared/data/', repo);
const fixtures = new URL('test/fixtures/tokenizer/', repo);
const readJson = (url) => JSON.parse(readFileSync(url, 'utf8'));

const neox = new Tokenizer(readJson(new URL('gpt-neox-20b-tokenizer.json', shared)), {});
const encode = (tok, text, addSpecial = false) => tok.encode(text, { add_special_tokens: addSpecial }).ids;
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

function report(name, results) {
  const failed = results.filter((r) => !r.ok);
  console.log(`${name}: ${results.length - failed.length}/${results.length} exact`);
  for (const f of failed.slice(0, 5)) console.log(`  differs: ${JSON.stringify(f.text.slice(0, 60))}`);
}

const vectors = readJson(new URL('gpt-neox-20b-tokenizer-vectors.json', shared)).cases;
report('gpt-neox-20b vectors', vectors.map((c) => ({ text: c.text, ok: same(encode(neox, c.text), c.ids) })));

const edge = readJson(new URL('gpt-neox-20b-edge-cases.json', fixtures));
report('gpt-neox-20b edge cases', edge.cases.map((c) => ({ text: c.text, ok: same(encode(neox, c.text), c.ids) })));

const manifest = readJson(new URL('gpt-neox-20b-reference.json', fixtures));
for (const entry of manifest.texts) {
  const text = readFileSync(new URL(entry.text, shared), 'utf8');
  const buf = gunzipSync(readFileSync(new URL(entry.ids, fixtures)));
  const want = Array.from(new Uint32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
  const t0 = performance.now();
  const got = encode(neox, text);
  const seconds = (performance.now() - t0) / 1000;
  let firstDiff = -1;
  for (let i = 0; i < Math.max(got.length, want.length); i++) if (got[i] !== want[i]) { firstDiff = i; break; }
  console.log(`${entry.text}: ${firstDiff < 0 ? 'exact' : `differs at id ${firstDiff}`}; ` +
    `${(Buffer.byteLength(text) / 1e6 / seconds).toFixed(2)} MB/s (first run, cold cache)`);
}

const tiny = new Tokenizer(readJson(new URL('tiny-bpe/tokenizer.json', fixtures)), {});
const tinyCases = readJson(new URL('tiny-bpe/cases.json', fixtures)).cases;
report('tiny-bpe without special', tinyCases.map((c) => ({ text: c.text, ok: same(encode(tiny, c.text), c.ids) })));
report('tiny-bpe with special', tinyCases.map((c) => ({ text: c.text, ok: same(encode(tiny, c.text, true), c.idsWithSpecial) })));

for (const [unit, count] of [['a', 100_000], ['a', 1_000_000]]) {
  const t0 = performance.now();
  encode(neox, unit.repeat(count));
  console.log(`${JSON.stringify(unit)} x ${count}: ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}
