/** `tokenizer.ggml.token_type` values (llama.cpp `llama_token_type`, gguf-py `TokenType`). */
export const GGUF_TOKEN_TYPE = {
  NORMAL: 1,
  UNKNOWN: 2,
  /** Special added tokens (`<|endoftext|>`): matched in raw text, skipped by decode({skipSpecial}). */
  CONTROL: 3,
  /** Non-special added tokens (GPT-NeoX's runs of spaces): matched before BPE. */
  USER_DEFINED: 4,
  /** Rows that only pad the model's embedding: "[PAD50277]". */
  UNUSED: 5,
  BYTE: 6,
} as const;

export type GGUFTokenType = (typeof GGUF_TOKEN_TYPE)[keyof typeof GGUF_TOKEN_TYPE];

/**
 * `tokenizer.ggml.pre` values whose pre-tokenizer is the GPT-2 pattern in llama.cpp (llama-vocab.cpp).
 * convert_hf_to_gguf.py writes "olmo" for the GPT-NeoX-20B tokenizer.json (its hash matches both the
 * mpt-7b and OLMo-1.7 entries; the later "olmo" line wins), and "mpt" for its built-in gpt-neox vocab.
 */
export const GPT2_PATTERN_PRE_TYPES: readonly string[] = ['gpt-2', 'gpt2', 'mpt', 'olmo', 'jais', 'trillion'];

/** What mamba.ts writes: llama.cpp's name for the GPT-NeoX-20B tokenizer. */
export const DEFAULT_GGUF_PRE = 'olmo';
