import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModel } from '../../src/node/load-model.js';
import type { GenerationEvent, GenerateInput, GenerateOptions, MambaModel } from '../../src/engine/mamba-model.js';
import { ModelFormatError, NumericError } from '../../src/errors.js';
import { fixture } from '../helpers/paths.js';
import { withNaNModel } from '../helpers/nan-model.js';
import { loadReference } from '../helpers/reference-fixture.js';

type End = Extract<GenerationEvent, { type: 'end' }>;

async function run(model: MambaModel, input: GenerateInput | GenerateInput[], opts: GenerateOptions) {
  const events: GenerationEvent[] = [];
  for await (const ev of model.generate(input, opts)) events.push(ev);
  const ends = events.filter((e): e is End => e.type === 'end').sort((a, b) => a.index - b.index);
  const streamed = ends.map((e) => events.filter((x) => x.type === 'token' && x.index === e.index).map((x) => (x as { text: string }).text).join(''));
  return { events, ends, streamed };
}

const SAMPLED = { temperature: 0.9, topK: 0, topP: 1, minP: 0, seed: 7 };

let tiny: MambaModel;
test('load the tiny fixture', async () => {
  tiny = await loadModel(fixture('models', 'tiny', 'hf'));
  assert.equal(tiny.config.nVocab, 304);
});

test('greedy generation equals transformers greedy ids', async () => {
  const ref = loadReference('tiny');
  for (const p of ref.prompts) {
    const { ends, streamed } = await run(tiny, { ids: p.ids }, { maxTokens: p.greedy.n_new, sampling: { temperature: 0 }, stopAtEos: false });
    assert.deepEqual(ends[0].tokens, p.greedy.ids);
    assert.equal(ends[0].finishReason, 'length');
    assert.equal(ends[0].promptTokens, p.ids.length);
    assert.equal(streamed[0], ends[0].text);
  }
});

test('same seed and options → same tokens; another seed → different', async () => {
  const a = await run(tiny, 'MENENIUS:', { maxTokens: 24, sampling: SAMPLED, stopAtEos: false });
  const b = await run(tiny, 'MENENIUS:', { maxTokens: 24, sampling: SAMPLED, stopAtEos: false });
  const c = await run(tiny, 'MENENIUS:', { maxTokens: 24, sampling: { ...SAMPLED, seed: 8 }, stopAtEos: false });
  assert.deepEqual(a.ends[0].tokens, b.ends[0].tokens);
  assert.notDeepEqual(a.ends[0].tokens, c.ends[0].tokens);
});

test('a batch of 3 prompts gives the same tokens as 3 single runs', async () => {
  const prompts = ['First Citizen:', 'O, ', 'What say'];
  const opts = { maxTokens: 12, sampling: SAMPLED, stopAtEos: false };
  const batch = await run(tiny, prompts, opts);
  assert.equal(batch.ends.length, 3);
  // tokens of the three sequences arrive interleaved
  assert.deepEqual(batch.events.slice(0, 3).map((e) => e.index), [0, 1, 2]);
  for (let i = 0; i < 3; i++) {
    const single = await run(tiny, prompts[i], opts);
    assert.deepEqual(batch.ends[i].tokens, single.ends[0].tokens, `prompt ${i}`);
    assert.equal(batch.ends[i].text, single.ends[0].text);
  }
  const chunked = await run(tiny, prompts, { ...opts, batchSize: 2 });
  assert.deepEqual(chunked.ends.map((e) => e.tokens), batch.ends.map((e) => e.tokens));
});

test('save → load → continue equals an uninterrupted run', async () => {
  const opts = { maxTokens: 24, sampling: SAMPLED, stopAtEos: false };
  const whole = await run(tiny, 'First Citizen:', opts);
  const first = await run(tiny, 'First Citizen:', { ...opts, maxTokens: 12 });
  const bytes = tiny.saveState(first.ends[0].sequence);
  const seq = tiny.restoreSequence(bytes, 's.state');
  assert.equal(seq.pendingToken, first.ends[0].tokens[11]);
  const second = await run(tiny, { sequence: seq }, { ...opts, maxTokens: 12 });
  assert.deepEqual([...first.ends[0].tokens, ...second.ends[0].tokens], whole.ends[0].tokens);
  assert.equal(first.ends[0].text + second.ends[0].text, whole.ends[0].text);
  // with a prompt, the prompt is appended to the saved context
  const seq2 = tiny.restoreSequence(bytes, 's.state');
  const cont = await run(tiny, { sequence: seq2, text: ' and' }, { ...opts, maxTokens: 4 });
  assert.equal(cont.ends[0].tokens.length, 4);
  assert.deepEqual(seq2.tokens.slice(0, first.ends[0].sequence.tokens.length), first.ends[0].sequence.tokens);
});

test('state from another model, truncated, corrupted or of another version is rejected', async () => {
  const seqBytes = tiny.saveState((await run(tiny, 'Hi', { maxTokens: 2, sampling: SAMPLED })).ends[0].sequence);
  const neox = await loadModel(fixture('models', 'neox-narrow', 'hf'));
  const other = neox.saveState((await run(neox, 'Hi', { maxTokens: 2, sampling: SAMPLED })).ends[0].sequence);
  const cases: [Uint8Array, RegExp][] = [
    [other, /state is for a model with/],
    [seqBytes.subarray(0, seqBytes.length - 3), /expected \d+|checksum/],
    [(() => { const b = seqBytes.slice(); b[b.length - 20] ^= 1; return b; })(), /checksum mismatch/],
    [(() => { const b = seqBytes.slice(); new DataView(b.buffer).setUint32(8, 9, true); return b; })(), /version 9/],
    [(() => { const b = seqBytes.slice(); b[0] = 0x58; return b; })(), /not a mamba\.ts state file/],
    [(() => { const b = seqBytes.slice(); b[12] = b[12] === 0x30 ? 0x31 : 0x30; return b; })(), /different model \(fingerprint/],
    [new Uint8Array(10), /too short/],
  ];
  for (const [bytes, re] of cases) {
    assert.throws(() => tiny.restoreSequence(bytes, 'bad.state'), (e: unknown) => e instanceof ModelFormatError && re.test((e as Error).message), String(re));
  }
});

test('stop strings end the text before the stop string, even across tokens', async () => {
  const free = await run(tiny, 'First Citizen:', { maxTokens: 30, sampling: SAMPLED, stopAtEos: false });
  const text = free.ends[0].text;
  assert.ok(text.length > 12, text);
  const stop = text.slice(6, 9);
  const cut = text.indexOf(stop);
  const stopped = await run(tiny, 'First Citizen:', { maxTokens: 30, sampling: SAMPLED, stopAtEos: false, stop: ['\u0000never', stop] });
  assert.equal(stopped.ends[0].finishReason, 'stop');
  assert.equal(stopped.ends[0].text, text.slice(0, cut));
  assert.equal(stopped.streamed[0], text.slice(0, cut));
});

test('EOS ends a sequence; maxTokens 0 generates nothing; empty prompt starts from <|endoftext|>', async () => {
  const z = await run(tiny, 'Hi', { maxTokens: 0 });
  assert.deepEqual(z.ends[0].tokens, []);
  const e = await run(tiny, '', { maxTokens: 3, sampling: SAMPLED, stopAtEos: false });
  assert.equal(e.ends[0].promptTokens, 1);
  assert.equal(e.ends[0].sequence.tokens[0], 0);
  // force EOS: a model whose sampler can only pick id 0 is awkward to build; instead check no token after EOS
  for (let seed = 0; seed < 40; seed++) {
    const r = await run(tiny, 'A', { maxTokens: 40, sampling: { ...SAMPLED, temperature: 3, seed } });
    const i = r.ends[0].tokens.indexOf(0);
    if (i >= 0) {
      assert.equal(r.ends[0].finishReason, 'eos');
      assert.equal(i, r.ends[0].tokens.length - 1);
      return;
    }
  }
});

test('a NaN weight gives a NumericError at the first sampled token, on every backend, not garbage tokens', async () => {
  await withNaNModel(async (dir) => {
    for (const backend of ['scalar', 'wasm'] as const) {
      const model = await loadModel(dir, { backend });
      try {
        await assert.rejects(run(model, 'First Citizen:', { maxTokens: 4, sampling: { temperature: 0 }, stopAtEos: false }), (e: unknown) => e instanceof NumericError && /not finite/.test(e.message), backend);
      } finally {
        await model.dispose();
      }
    }
  });
});
