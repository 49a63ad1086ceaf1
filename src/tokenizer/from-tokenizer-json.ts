import { BpeTokenizer } from './bpe-tokenizer.js';
import type { Tokenizer } from './tokenizer.js';
import { specFromTokenizerJson, type TokenizerJsonOptions } from './tokenizer-json-spec.js';

/**
 * A tokenizer from a parsed Hugging Face tokenizer.json (byte-level BPE: GPT-2, GPT-NeoX, …).
 * `sourceName` (usually the file path) appears in every error; errors are TokenizerError.
 */
export function tokenizerFromJson(json: unknown, sourceName: string, options?: TokenizerJsonOptions): Tokenizer {
  return new BpeTokenizer(specFromTokenizerJson(json, sourceName, options));
}
