/** Reads a model fixture written by tools/fixtures/make_models.py: reference.json + logits.f32. */
import { readFileSync } from 'node:fs';
import { fixture } from './paths.js';

export interface ReferencePrompt {
  text: string;
  ids: number[];
  nll: { mean: number; sum: number; n_predicted: number };
  argmax: number[];
  greedy: { n_new: number; ids: number[] };
}

export interface ReferenceFixture {
  name: string;
  prompts: ReferencePrompt[];
  /** Logit rows: (prompt, position) → logits after feeding tokens 0..position of prompt+greedy ids. */
  rows: { prompt: number; position: number; source: string; logits: Float32Array }[];
  nVocab: number;
}

export function loadReference(name: string): ReferenceFixture {
  const ref = JSON.parse(readFileSync(fixture('models', name, 'reference.json'), 'utf8'));
  const raw = readFileSync(fixture('models', name, ref.logits.path));
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const nVocab: number = ref.logits.n_vocab;
  const rows = (ref.logits.rows as { prompt: number; position: number; source: string }[]).map((r, i) => ({
    ...r,
    logits: all.subarray(i * nVocab, (i + 1) * nVocab),
  }));
  return { name, prompts: ref.prompts, rows, nVocab };
}

/** max |a − b| / max(1, max |b|): the error relative to the logit scale. */
export function relativeMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let err = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return err / scale;
}
