/** The tokenizer module's public, platform-neutral API (loading files: ./load-tokenizer.ts, Node only). */
export type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.js';
export { tokenizerFromJson } from './from-tokenizer-json.js';
export type { TokenizerJsonOptions } from './tokenizer-json-spec.js';
export { tokenizerFromGGUF, type TokenizerMetadata } from './from-gguf.js';
export { tokenizerJsonToGGUFFields, type TokenizerGGUFFields } from './gguf-fields.js';
export { GGUF_TOKEN_TYPE, GPT2_PATTERN_PRE_TYPES } from './gguf-token-type.js';
export { StreamingDecoder } from './streaming-decoder.js';
export { BpeTokenizer, type BpeTokenizerSpec, type BpeAddedToken } from './bpe-tokenizer.js';
export { TOKEN_KIND, tokenTableOf, mergeTableOf, type TokenKind, type TokenTable, type MergeTable } from './token-table.js';
export { utf8TableOf, type Utf8Table } from '../io/utf8-table.js';
export { SPECIAL_TOKEN_NAMES, type SpecialTokenOverrides } from './special-token-names.js';
