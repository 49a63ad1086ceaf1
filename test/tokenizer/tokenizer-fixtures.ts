/** Fixture loading shared by the tokenizer tests (data written by tools/tokenizer/make-fixtures.py). */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { tokenizerFromGGUF, type TokenizerMetadata } from '../../src/tokenizer/from-gguf.js';
import { tokenizerFromJson } from '../../src/tokenizer/from-tokenizer-json.js';
import { tokenizerJsonToGGUFFields, type TokenizerGGUFFields } from '../../src/tokenizer/gguf-fields.js';
import type { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { SHARED_DATA, fixture } from '../helpers/paths.js';

export const NEOX_JSON_PATH = `${SHARED_DATA}/gpt-neox-20b-tokenizer.json`;
export const TINY_JSON_PATH = fixture('tokenizer', 'tiny-bpe', 'tokenizer.json');
/** Mamba pads the 50,277-id vocabulary to a multiple of 8. */
export const MAMBA_N_VOCAB = 50280;

export interface IdsCase {
  text: string;
  ids: number[];
}
export interface VectorCase extends IdsCase {
  tokens: string[];
  decoded: string;
}
export interface RepeatCase {
  unit: string;
  count: number;
  nIds: number;
  cycle: number[];
  nCycles: number;
  tail: number[];
}
export interface TinyCase extends IdsCase {
  idsWithSpecial: number[];
  decoded: string;
  decodedSkipSpecial: string;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8'));
const cached = <T>(make: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

export const neoxJson = cached(() => readJson(NEOX_JSON_PATH));
export const neoxFromJson = cached((): Tokenizer => tokenizerFromJson(neoxJson(), NEOX_JSON_PATH));
export const neoxFields = cached((): TokenizerGGUFFields => tokenizerJsonToGGUFFields(neoxJson(), MAMBA_N_VOCAB, NEOX_JSON_PATH));
export const neoxFromGGUF = cached((): Tokenizer => tokenizerFromGGUF(fieldsAsMetadata(neoxFields()), 'neox.gguf'));

export const tinyJson = cached(() => readJson(TINY_JSON_PATH));
export const tinyFromJson = cached((): Tokenizer => tokenizerFromJson(tinyJson(), TINY_JSON_PATH));
export const tinyCases = (): TinyCase[] =>
  (readJson(fixture('tokenizer', 'tiny-bpe', 'cases.json')) as { cases: TinyCase[] }).cases;

/** The 30 reference cases from HF tokenizers in shared/data. */
export const neoxVectors = (): VectorCase[] =>
  (readJson(`${SHARED_DATA}/gpt-neox-20b-tokenizer-vectors.json`) as { cases: VectorCase[] }).cases;

export const neoxEdgeCases = cached(() => readJson(fixture('tokenizer', 'gpt-neox-20b-edge-cases.json')) as {
  cases: IdsCase[];
  repeats: RepeatCase[];
});

export function expandRepeat(r: RepeatCase): { text: string; ids: number[] } {
  const ids: number[] = [];
  for (let i = 0; i < r.nCycles; i++) ids.push(...r.cycle);
  ids.push(...r.tail);
  return { text: r.unit.repeat(r.count), ids };
}

export interface ReferenceText {
  name: string;
  text: string;
  ids: Uint32Array;
}

/** Whole text files of shared/data with HF's ids, checked against the sha256 they were made from. */
export function neoxReferenceTexts(): ReferenceText[] {
  const manifest = readJson(fixture('tokenizer', 'gpt-neox-20b-reference.json')) as {
    texts: { text: string; sha256: string; nIds: number; ids: string }[];
  };
  return manifest.texts.map((entry) => {
    const raw = readFileSync(`${SHARED_DATA}/${entry.text}`);
    const sha256 = createHash('sha256').update(raw).digest('hex');
    if (sha256 !== entry.sha256) {
      throw new Error(`${entry.text} changed (sha256 ${sha256}); regenerate with tools/tokenizer/make-fixtures.py`);
    }
    const gz = gunzipSync(readFileSync(fixture('tokenizer', entry.ids)));
    const ids = new Uint32Array(gz.buffer.slice(gz.byteOffset, gz.byteOffset + gz.byteLength));
    if (ids.length !== entry.nIds) throw new Error(`${entry.ids}: ${ids.length} ids, manifest says ${entry.nIds}`);
    return { name: entry.text, text: raw.toString('utf8'), ids };
  });
}

/** GGUF fields as the metadata a GGUF reader returns (plain values under the llama.cpp keys). */
export function fieldsAsMetadata(f: TokenizerGGUFFields, extra: Record<string, unknown> = {}): TokenizerMetadata {
  const entries: Record<string, unknown> = {
    'tokenizer.ggml.model': f.model,
    'tokenizer.ggml.pre': f.pre,
    'tokenizer.ggml.tokens': f.tokens,
    'tokenizer.ggml.token_type': f.tokenTypes,
    'tokenizer.ggml.merges': f.merges,
    'tokenizer.ggml.bos_token_id': f.bosId,
    'tokenizer.ggml.eos_token_id': f.eosId,
    'tokenizer.ggml.unknown_token_id': f.unkId,
    'tokenizer.ggml.padding_token_id': f.padId,
    'tokenizer.ggml.add_bos_token': f.addBos,
    'tokenizer.ggml.add_eos_token': f.addEos,
    ...extra,
  };
  return { get: (key) => entries[key] };
}
