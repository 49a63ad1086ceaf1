import { TokenizerError } from '../errors.js';
import { DEFAULT_GGUF_PRE, GGUF_TOKEN_TYPE } from './gguf-token-type.js';
import { specFromTokenizerJson } from './tokenizer-json-spec.js';
import { TOKEN_KIND, mergePair } from './token-table.js';
import { utf8TableString } from '../io/utf8-table.js';

/** The `tokenizer.ggml.*` values of a GPT-2-style BPE vocabulary, as llama.cpp's convert_hf_to_gguf.py writes them. */
export interface TokenizerGGUFFields {
  /** tokenizer.ggml.model: "gpt2" (byte-level BPE). */
  model: string;
  /** tokenizer.ggml.pre: the pre-tokenizer name; "olmo" = the GPT-2 pattern. */
  pre: string;
  /** tokenizer.ggml.tokens: byte-level strings ("Ġthe"); added tokens as their content; padding "[PAD{id}]".  (nVocab) */
  tokens: string[];
  /** tokenizer.ggml.token_type: GGUF_TOKEN_TYPE values.  (nVocab) */
  tokenTypes: number[];
  /** tokenizer.ggml.merges: "a b", best first. */
  merges: string[];
  bosId?: number;
  eosId?: number;
  unkId?: number;
  padId?: number;
  /** tokenizer.ggml.add_bos_token / add_eos_token: what the post-processor adds around a sequence. */
  addBos?: boolean;
  addEos?: boolean;
}

/** Normalizers a GGUF reader can reproduce: it applies NFC (see tokenizerFromGGUF). */
const GGUF_COMPATIBLE_NORMALIZERS: readonly (string | null)[] = ['NFC', null];

/**
 * The GGUF tokenizer fields for a tokenizer.json, for `convert`. `nVocab` is the model's embedding row
 * count; rows past the tokenizer's ids become "[PAD{i}]" / UNUSED, as in llama.cpp. GGUF cannot carry
 * lstrip / rstrip / single_word on added tokens: they are dropped (GPT-NeoX has none).
 */
export function tokenizerJsonToGGUFFields(json: unknown, nVocab: number, sourceName: string): TokenizerGGUFFields {
  const spec = specFromTokenizerJson(json, sourceName);
  const fail = (message: string, hint: string): never => {
    throw new TokenizerError(`${sourceName}: ${message}`, { hint });
  };
  if (nVocab < spec.vocabSize) {
    fail(`the tokenizer has ${spec.vocabSize} ids but the model's vocabulary has only ${nVocab} rows`,
      'Use the tokenizer the model was trained with.');
  }
  const normalizerType = (json as { normalizer?: { type?: string } | null }).normalizer?.type ?? null;
  if (!GGUF_COMPATIBLE_NORMALIZERS.includes(normalizerType)) {
    fail(`normalizer ${normalizerType} cannot be stored in GGUF (readers apply NFC)`,
      'Only NFC (GPT-NeoX) or no normalizer can be embedded.');
  }
  if (spec.addPrefixSpace) {
    fail('pre_tokenizer.add_prefix_space is true, which GGUF cannot express for gpt2 vocabularies',
      'Set add_prefix_space to false, as in GPT-2 and GPT-NeoX.');
  }

  const tokens = Array.from({ length: nVocab }, (_, i) => `[PAD${i}]`);
  const tokenTypes = new Array<number>(nVocab).fill(GGUF_TOKEN_TYPE.UNUSED);
  const { texts, ids, kinds } = spec.tokens;
  for (let e = 0; e < texts.length; e++) {
    if (kinds[e] !== TOKEN_KIND.VOCAB) continue;
    const id = ids === undefined ? e : ids[e];
    tokens[id] = utf8TableString(texts, e);
    tokenTypes[id] = GGUF_TOKEN_TYPE.NORMAL;
  }
  for (const t of spec.addedTokens) {
    tokens[t.id] = t.content;
    tokenTypes[t.id] = t.special ? GGUF_TOKEN_TYPE.CONTROL : GGUF_TOKEN_TYPE.USER_DEFINED;
  }

  const merges = Array.from({ length: spec.merges.texts.length }, (_, i) => {
    const [a, b] = mergePair(spec.merges, i);
    if (a.includes(' ') || b.includes(' ')) {
      fail(`merge ${i} (${JSON.stringify([a, b])}) contains a space, which GGUF's "a b" merge strings cannot hold`,
        'Byte-level vocabularies write spaces as "Ġ"; this tokenizer is not byte-level.');
    }
    return `${a} ${b}`;
  });

  const { prefix, suffix } = spec.template;
  const addsOnly = (ids: number[], id: number | undefined): boolean => ids.length === 0 || (ids.length === 1 && ids[0] === id);
  if (!addsOnly(prefix, spec.bosId) || !addsOnly(suffix, spec.eosId)) {
    fail(`the post_processor adds [${prefix}] before and [${suffix}] after the text; GGUF can only say "add BOS" / "add EOS"`,
      'Use a post_processor that adds at most BOS before and EOS after the text.');
  }

  return {
    model: 'gpt2',
    pre: DEFAULT_GGUF_PRE,
    tokens,
    tokenTypes,
    merges,
    bosId: spec.bosId,
    eosId: spec.eosId,
    unkId: spec.unkId,
    padId: spec.padId,
    addBos: prefix.length === 1,
    addEos: suffix.length === 1,
  };
}
