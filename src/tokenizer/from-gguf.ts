import { utf8TableOf, utf8TableString, type Utf8Table } from '../io/utf8-table.js';
import { BpeTokenizer, type BpeAddedToken } from './bpe-tokenizer.js';
import { GGUF_TOKEN_TYPE, GPT2_PATTERN_PRE_TYPES } from './gguf-token-type.js';
import { JsonFields } from './json-fields.js';
import { TOKEN_KIND, type MergeTable } from './token-table.js';
import type { Tokenizer } from './tokenizer.js';

/**
 * What tokenizerFromGGUF reads: GGUF metadata as plain JS values (strings, numbers or bigints,
 * booleans, arrays of those; token_type may be an Int32Array). The GGUF reader's metadata fits; its
 * `utf8Strings` gives the 100k token and merge strings as the UTF-8 they are in the file, so that no JS
 * string is made for each (without it, they are read with `get` and encoded).
 */
export interface TokenizerMetadata {
  get(key: string): unknown;
  utf8Strings?(key: string): Utf8Table | undefined;
}

const HINT = 'Re-convert the model with `mamba-ts convert`, which embeds the tokenizer as llama.cpp does.';

/** Token types that are BPE vocabulary entries. */
const VOCAB_TYPES: ReadonlySet<number> = new Set([GGUF_TOKEN_TYPE.NORMAL, GGUF_TOKEN_TYPE.UNKNOWN, GGUF_TOKEN_TYPE.BYTE]);

/**
 * A tokenizer from `tokenizer.ggml.*` metadata (model "gpt2": byte-level BPE). Gives the same ids as
 * tokenizerFromJson on the tokenizer.json it was converted from: CONTROL tokens are special added
 * tokens matched in the raw text, USER_DEFINED ones are matched after NFC, the text is NFC-normalized
 * (as the GPT-NeoX tokenizer.json says; GGUF has no key for it), UNUSED rows decode to nothing.
 */
export function tokenizerFromGGUF(meta: TokenizerMetadata, sourceName: string): Tokenizer {
  const fields = new JsonFields(sourceName, HINT);
  const model = fields.string(meta.get('tokenizer.ggml.model'), 'tokenizer.ggml.model');
  if (model !== 'gpt2') {
    fields.fail('tokenizer.ggml.model', `is ${JSON.stringify(model)}; only "gpt2" (byte-level BPE) is supported`,
      'Mamba checkpoints use the GPT-NeoX-20B tokenizer, stored as "gpt2".');
  }
  const pre = fields.optionalString(meta.get('tokenizer.ggml.pre'), 'tokenizer.ggml.pre');
  if (pre !== undefined && !GPT2_PATTERN_PRE_TYPES.includes(pre)) {
    fields.fail('tokenizer.ggml.pre', `is ${JSON.stringify(pre)}, a pre-tokenizer mamba.ts does not implement`,
      `Supported: ${GPT2_PATTERN_PRE_TYPES.join(', ')} (the GPT-2 pattern).`);
  }

  const tokens = readStrings(meta, fields, 'tokenizer.ggml.tokens');
  const types = readTokenTypes(fields, meta.get('tokenizer.ggml.token_type'), tokens.length);
  const merges = readMerges(fields, readStrings(meta, fields, 'tokenizer.ggml.merges', true));

  const kinds = new Uint8Array(tokens.length);
  const addedTokens: BpeAddedToken[] = [];
  for (let id = 0; id < tokens.length; id++) {
    const type = types[id];
    if (VOCAB_TYPES.has(type)) {
      kinds[id] = TOKEN_KIND.VOCAB;
    } else if (type === GGUF_TOKEN_TYPE.CONTROL || type === GGUF_TOKEN_TYPE.USER_DEFINED) {
      kinds[id] = TOKEN_KIND.ADDED;
      const special = type === GGUF_TOKEN_TYPE.CONTROL;
      addedTokens.push({ id, content: utf8TableString(tokens, id), special, normalized: !special, lstrip: false, rstrip: false, singleWord: false });
    } else if (type === GGUF_TOKEN_TYPE.UNUSED) {
      kinds[id] = TOKEN_KIND.UNUSED;
    } else {
      fields.fail(`tokenizer.ggml.token_type[${id}]`, `is ${type}, not a GGUF token type (1..6)`);
    }
  }

  const optionalId = (key: string): number | undefined => {
    const id = fields.optionalId(meta.get(key), key);
    if (id !== undefined && id >= tokens.length) fields.fail(key, `is ${id}, but there are only ${tokens.length} tokens`);
    return id;
  };
  const bosId = optionalId('tokenizer.ggml.bos_token_id');
  const eosId = optionalId('tokenizer.ggml.eos_token_id');
  const addBos = fields.boolean(meta.get('tokenizer.ggml.add_bos_token'), 'tokenizer.ggml.add_bos_token', false);
  const addEos = fields.boolean(meta.get('tokenizer.ggml.add_eos_token'), 'tokenizer.ggml.add_eos_token', false);

  return new BpeTokenizer({
    sourceName,
    vocabSize: tokens.length,
    tokens: { texts: tokens, kinds },
    merges,
    mergesKey: 'tokenizer.ggml.merges',
    addedTokens,
    normalizer: (text) => text.normalize('NFC'),
    addPrefixSpace: false,
    useRegex: true,
    fuseUnk: false,
    ignoreMerges: false,
    template: {
      prefix: addBos && bosId !== undefined ? [bosId] : [],
      suffix: addEos && eosId !== undefined ? [eosId] : [],
    },
    bosId,
    eosId,
    unkId: optionalId('tokenizer.ggml.unknown_token_id'),
    padId: optionalId('tokenizer.ggml.padding_token_id'),
  });
}

function readTokenTypes(fields: JsonFields, value: unknown, nTokens: number): ArrayLike<number> {
  if (value === undefined || value === null) return new Array<number>(nTokens).fill(GGUF_TOKEN_TYPE.NORMAL);
  const types = value instanceof Int32Array ? value : fields.array(value, 'tokenizer.ggml.token_type');
  if (types.length !== nTokens) {
    fields.fail('tokenizer.ggml.token_type', `has ${types.length} entries but tokenizer.ggml.tokens has ${nTokens}`);
  }
  for (let i = 0; i < types.length; i++) {
    if (typeof types[i] !== 'number') fields.fail(`tokenizer.ggml.token_type[${i}]`, 'must be a number');
  }
  return types as ArrayLike<number>;
}

/**
 * A string array as UTF-8: the reader's view of the file where the metadata has one, else the plain strings
 * (checked in place: no key string per item, 50k of them would be garbage) encoded. `optional`: a missing
 * key is an empty array.
 */
function readStrings(meta: TokenizerMetadata, fields: JsonFields, key: string, optional = false): Utf8Table {
  const table = meta.utf8Strings?.(key);
  if (table !== undefined) return table;
  const value = meta.get(key);
  const strings = fields.array(optional && (value === undefined || value === null) ? [] : value, key);
  for (let i = 0; i < strings.length; i++) if (typeof strings[i] !== 'string') fields.string(strings[i], `${key}[${i}]`);
  return utf8TableOf(strings as string[]);
}

/** "a b" strings → a merge table, split at the first space after the first character (as llama.cpp does). */
function readMerges(fields: JsonFields, texts: Utf8Table): MergeTable {
  const split = new Int32Array(texts.length);
  const { bytes, begin, end } = texts;
  for (let i = 0; i < texts.length; i++) {
    // Byte 0x20 is never inside a multi-byte character: searching from the second byte is "after the first character".
    let at = begin[i] + 1;
    while (at < end[i] && bytes[at] !== 0x20) at++;
    if (at >= end[i]) {
      fields.fail(`tokenizer.ggml.merges[${i}]`, `must be two tokens separated by a space, got ${JSON.stringify(utf8TableString(texts, i))}`);
    }
    split[i] = at;
  }
  return { texts, split };
}
