#!/usr/bin/env node
// Tokenizer throughput on one core (not a test: timings depend on the machine).
//
//   npm run build && node tools/tokenizer/bench.mjs [--long] [--gguf MODEL.gguf]
//
// --gguf first opens MODEL.gguf and builds its embedded tokenizer, printing the time and the RSS each step
// adds (measured before anything else, so the rest of the script does not pollute it).
// Prints load time, encode / decode MB/s on English text (first pass with an empty word cache, then
// a second pass), and the time to encode long runs of one character at 1 MB and 10 MB: a linear
// implementation takes ~10x longer for 10x the input, a quadratic one ~100x. --long adds 10 MB runs
// of every character (a few seconds each).
import { readFileSync } from 'node:fs';
import { tokenizerFromJson } from '../../dist/src/tokenizer/from-tokenizer-json.js';

const repo = new URL('../../', import.meta.url);
const shared = new URL('../shared/data/', repo);
const long = process.argv.includes('--long');

const MB = 1e6;
const seconds = (t0) => (performance.now() - t0) / 1000;
const fmt = (x, digits = 2) => x.toFixed(digits);

const ggufAt = process.argv.indexOf('--gguf');
if (ggufAt >= 0) {
  const { openModel } = await import('../../dist/src/node/index.js');
  const { tokenizerForModel } = await import('../../dist/src/tokenizer/model-tokenizer.js');
  const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const rss0 = process.memoryUsage.rss();
  let t0 = performance.now();
  const model = await openModel(process.argv[ggufAt + 1]);
  const openMs = performance.now() - t0;
  const rss1 = process.memoryUsage.rss();
  t0 = performance.now();
  const ggufTok = tokenizerForModel(model);
  const buildMs = performance.now() - t0;
  const rss2 = process.memoryUsage.rss();
  console.log(`${process.argv[ggufAt + 1]}: open ${fmt(openMs, 0)} ms (+${mib(rss1 - rss0)} RSS), ` +
    `tokenizer (${ggufTok.vocabSize} tokens) ${fmt(buildMs, 0)} ms (+${mib(rss2 - rss1)} RSS)\n`);
  await model.close();
}

const loadStart = performance.now();
const json = JSON.parse(readFileSync(new URL('gpt-neox-20b-tokenizer.json', shared), 'utf8'));
const tokenizerFile = 'gpt-neox-20b-tokenizer.json';
let tok = tokenizerFromJson(json, tokenizerFile);
console.log(`load ${tokenizerFile}: ${fmt(seconds(loadStart) * 1000, 0)} ms (JSON.parse + build)`);

console.log('\nencode, English text (MB of UTF-8 per second):');
for (const name of ['tinystories-valid-head.txt', 'tinyshakespeare.txt', 'gutenberg-alices-adventures-in-wonderland.txt', 'gutenberg-blue-fairy-book.txt']) {
  const text = readFileSync(new URL(name, shared), 'utf8');
  const nBytes = Buffer.byteLength(text);
  tok = tokenizerFromJson(json, tokenizerFile); // empty word cache
  let t0 = performance.now();
  const ids = tok.encode(text);
  const cold = nBytes / MB / seconds(t0);
  t0 = performance.now();
  tok.encode(text);
  const warm = nBytes / MB / seconds(t0);
  t0 = performance.now();
  const back = tok.decode(ids);
  const decode = nBytes / MB / seconds(t0);
  const roundTrip = back === text ? 'round-trips' : 'DOES NOT ROUND-TRIP';
  console.log(`  ${name.padEnd(48)} ${fmt(nBytes / MB)} MB, ${ids.length} ids: encode ${fmt(cold)} MB/s first pass, ` +
    `${fmt(warm)} MB/s second; decode ${fmt(decode, 1)} MB/s; ${roundTrip}`);
}

console.log('\nlong runs of one character (one pre-token, or one run of added space tokens):');
const units = long ? ['a', ' ', '\n', '7', 'é', '😀', '!'] : ['a', ' ', 'é'];
for (const unit of units) {
  const row = [];
  for (const nBytes of [MB, 10 * MB]) {
    const text = unit.repeat(Math.round(nBytes / Buffer.byteLength(unit)));
    tok = tokenizerFromJson(json, tokenizerFile);
    const t0 = performance.now();
    const ids = tok.encode(text);
    row.push({ nBytes, s: seconds(t0), nIds: ids.length });
  }
  const [small, big] = row;
  console.log(`  ${JSON.stringify(unit).padEnd(6)} 1 MB: ${fmt(small.s)} s (${small.nIds} ids); ` +
    `10 MB: ${fmt(big.s)} s (${big.nIds} ids); ratio ${fmt(big.s / small.s, 1)}x`);
}
