/**
 * A BPE vocabulary and its merges as UTF-8 tables (src/io/utf8-table.ts): what BpeTokenizer is built from,
 * whichever file it came from. A GGUF header's arrays are used as they lie in the file; a tokenizer.json's
 * strings are encoded once.
 */
import { utf8Length, utf8TableOf, type Utf8Table } from '../io/utf8-table.js';

/** What a token table entry is. */
export const TOKEN_KIND = {
  /** An entry of the BPE model's vocabulary: merges produce it. */
  VOCAB: 1,
  /** An added token, matched in the text before BPE (BpeTokenizerSpec.addedTokens says how). */
  ADDED: 2,
  /** A row that only pads a model's embedding (GGUF UNUSED, "[PAD50277]"): it decodes to nothing. */
  UNUSED: 3,
} as const;
export type TokenKind = (typeof TOKEN_KIND)[keyof typeof TOKEN_KIND];

/**
 * Every token's string, with its id and kind. An entry later in the table takes over an id an earlier one had
 * (an added token over the vocabulary entry of the same id, as in Hugging Face).
 */
export interface TokenTable {
  readonly texts: Utf8Table;
  /** ids[e]: entry e's token id; without it, entry e is id e (GGUF).  (texts.length) */
  readonly ids?: Int32Array;
  /** kinds[e]: entry e's TOKEN_KIND.  (texts.length) */
  readonly kinds: Uint8Array;
}

/**
 * Merge rules, best first: rank r merges the tokens texts[r][begin, split[r]) and texts[r](split[r], end) —
 * "a b" with the one separator byte at split[r], as GGUF stores them.
 */
export interface MergeTable {
  readonly texts: Utf8Table;
  readonly split: Int32Array;
}

/** A token table from strings, ids and kinds (a tokenizer.json's vocabulary and added tokens). */
export function tokenTableOf(strings: readonly string[], ids: readonly number[], kinds: readonly TokenKind[]): TokenTable {
  return { texts: utf8TableOf(strings), ids: Int32Array.from(ids), kinds: Uint8Array.from(kinds) };
}

/** A merge table from pairs of token strings. */
export function mergeTableOf(pairs: readonly (readonly [string, string])[]): MergeTable {
  const texts = utf8TableOf(pairs.map(([a, b]) => `${a} ${b}`));
  return { texts, split: Int32Array.from(pairs, ([a], r) => texts.begin[r] + utf8Length(a)) };
}

const decoder = new TextDecoder();

/** Merge `rank` as its two token strings (for messages and for writing GGUF). */
export function mergePair(merges: MergeTable, rank: number): [string, string] {
  const { bytes, begin, end } = merges.texts;
  const split = merges.split[rank];
  return [decoder.decode(bytes.subarray(begin[rank], split)), decoder.decode(bytes.subarray(split + 1, end[rank]))];
}
