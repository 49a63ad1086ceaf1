/**
 * The tokenizer seam: text ⇄ token ids. Implemented by `BpeTokenizer` (byte-level BPE, the
 * GPT-2 / GPT-NeoX family used by every Mamba checkpoint), built by `tokenizerFromJson`
 * (a Hugging Face tokenizer.json) or `tokenizerFromGGUF` (`tokenizer.ggml.*` metadata).
 */
export interface EncodeOptions {
  /**
   * Add the special tokens the tokenizer's post-processor asks for (e.g. a leading BOS).
   * Default true, like Hugging Face `encode(add_special_tokens=True)`; GPT-NeoX adds none.
   */
  addSpecial?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (`<|endoftext|>`, …) from the output. Default false. */
  skipSpecial?: boolean;
}

export interface Tokenizer {
  /** Number of ids, including added tokens (and, from GGUF, padding rows): every valid id is < vocabSize. */
  readonly vocabSize: number;
  readonly bosId?: number;
  readonly eosId?: number;
  readonly padId?: number;
  readonly unkId?: number;
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids → text; bytes that are not valid UTF-8 become U+FFFD. Throws TokenizerError for an id out of range. */
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  /** The bytes a token stands for. The returned array is shared: read it, do not modify it. */
  tokenToBytes(id: number): Uint8Array;
  /** How many bytes a token stands for (0 for a padding row), without keeping a view of them as tokenToBytes does. */
  tokenByteLength(id: number): number;
  /** The raw vocabulary string, e.g. "Ġthe" (byte-level), or an added token's content. */
  tokenToString(id: number): string;
  /** True for special (control) tokens such as `<|endoftext|>`. */
  isSpecial(id: number): boolean;
}
