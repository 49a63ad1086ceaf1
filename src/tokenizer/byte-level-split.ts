/**
 * The GPT-2 pre-tokenization pattern used by Hugging Face's `ByteLevel` pre-tokenizer (use_regex: true)
 * and by llama.cpp for `tokenizer.ggml.pre` = gpt-2 / mpt / olmo:
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * Hugging Face compiles it with Oniguruma, whose `\s` is Unicode White_Space. JavaScript's `\s`
 * differs in two code points (it adds U+FEFF and lacks U+0085), so `\s` is spelled out below.
 * Every character matches one alternative, so the matches tile the input.
 */

/** Unicode White_Space, as a character-class body (Oniguruma `\s`). */
export const WHITE_SPACE_CLASS = '\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const S = `[${WHITE_SPACE_CLASS}]`;
const NOT_S = `[^${WHITE_SPACE_CLASS}]`;

export const BYTE_LEVEL_SPLIT_SOURCE =
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WHITE_SPACE_CLASS}\\p{L}\\p{N}]+|${S}+(?!${NOT_S})|${S}+`;

/** A fresh global regex (each caller owns its `lastIndex`). */
export function byteLevelSplitRegex(): RegExp {
  return new RegExp(BYTE_LEVEL_SPLIT_SOURCE, 'gu');
}

/** Splits `text` into pre-tokens ("Hello world" → ["Hello", " world"]). For tests and tools. */
export function byteLevelSplit(text: string): string[] {
  return text.match(byteLevelSplitRegex()) ?? [];
}
