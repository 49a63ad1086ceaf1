import { BpeTokenizer, type BpeAddedToken } from './bpe-tokenizer.js';
import { GGUF_TOKEN_TYPE, GPT2_PATTERN_PRE_TYPES } from './gguf-token-type.js';
import { JsonFields } from './json-fields.js';
import type { Tokenizer } from './tokenizer.js';

/**
 * What tokenizerFromGGUF reads: GGUF metadata as plain JS values (strings, numbers or bigints,
 * booleans, arrays of those; token_type may be an Int32Array). The GGUF reader's metadata fits.
 */
export interface TokenizerMetadata {
  get(key: string): unknown;
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

  // Checked in place (no copy, no key string per item: 50k of them would be garbage).
  const tokens = fields.array(meta.get('tokenizer.ggml.tokens'), 'tokenizer.ggml.tokens') as string[];
  for (let i = 0; i < tokens.length; i++) if (typeof tokens[i] !== 'string') fields.string(tokens[i], `tokenizer.ggml.tokens[${i}]`);
  const types = readTokenTypes(fields, meta.get('tokenizer.ggml.token_type'), tokens.length);
  const mergeStrings = fields.array(meta.get('tokenizer.ggml.merges') ?? [], 'tokenizer.ggml.merges');
  const merges = { length: mergeStrings.length, at: (rank: number) => splitMerge(fields, mergeStrings[rank], rank) };

  const vocab = new Map<string, number>();
  const addedTokens: BpeAddedToken[] = [];
  const unusedTokens = new Map<number, string>();
  tokens.forEach((token, id) => {
    const type = types[id];
    if (VOCAB_TYPES.has(type)) {
      if (!vocab.has(token)) vocab.set(token, id);
    } else if (type === GGUF_TOKEN_TYPE.CONTROL || type === GGUF_TOKEN_TYPE.USER_DEFINED) {
      const special = type === GGUF_TOKEN_TYPE.CONTROL;
      addedTokens.push({ id, content: token, special, normalized: !special, lstrip: false, rstrip: false, singleWord: false });
    } else if (type === GGUF_TOKEN_TYPE.UNUSED) {
      unusedTokens.set(id, token);
    } else {
      fields.fail(`tokenizer.ggml.token_type[${id}]`, `is ${type}, not a GGUF token type (1..6)`);
    }
  });

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
    vocab,
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
    unusedTokens,
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

/** "a b" → ["a", "b"], split at the first space after the first character (as llama.cpp does). */
function splitMerge(fields: JsonFields, value: unknown, i: number): [string, string] {
  const key = () => `tokenizer.ggml.merges[${i}]`;
  const merge = typeof value === 'string' ? value : fields.string(value, key());
  const space = merge.indexOf(' ', 1);
  if (space < 0) fields.fail(key(), `must be two tokens separated by a space, got ${JSON.stringify(merge)}`);
  return [merge.slice(0, space), merge.slice(space + 1)];
}
