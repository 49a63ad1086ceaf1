import type { BpeAddedToken, BpeTokenizerSpec } from './bpe-tokenizer.js';
import { JsonFields } from './json-fields.js';
import { normalizerFromJson } from './normalizers.js';
import { postProcessorFromJson } from './post-processors.js';
import { resolveSpecialIds, type SpecialTokenOverrides } from './special-token-names.js';
import { TOKEN_KIND, mergeTableOf, tokenTableOf, type TokenKind } from './token-table.js';

export interface TokenizerJsonOptions {
  /** Which tokens are bos/eos/pad/unk (from tokenizer_config.json); see SPECIAL_TOKEN_NAMES otherwise. */
  specialTokens?: SpecialTokenOverrides;
}

interface PreTokenizerSettings {
  addPrefixSpace: boolean;
  useRegex: boolean;
}

type PreTokenizerFactory = (config: Record<string, unknown>, key: string, fields: JsonFields) => PreTokenizerSettings;

/** Supported `pre_tokenizer.type`s. Byte-level BPE needs ByteLevel: it maps bytes to vocabulary symbols. */
const PRE_TOKENIZERS: Readonly<Record<string, PreTokenizerFactory>> = {
  ByteLevel: (config, key, fields) => ({
    addPrefixSpace: fields.boolean(config.add_prefix_space, `${key}.add_prefix_space`, true),
    useRegex: fields.boolean(config.use_regex, `${key}.use_regex`, true),
  }),
};

/** Supported `decoder.type`s. */
const DECODERS: Readonly<Record<string, true>> = { ByteLevel: true };

/**
 * Validates a Hugging Face tokenizer.json (model BPE, ByteLevel pre-tokenizer and decoder) and
 * returns what BpeTokenizer needs. Every error names `sourceName` and the offending key.
 */
export function specFromTokenizerJson(json: unknown, sourceName: string, options: TokenizerJsonOptions = {}): BpeTokenizerSpec {
  const fields = new JsonFields(sourceName);
  const root = fields.object(json, '(root)');
  const model = fields.object(root.model, 'model');

  const modelType = fields.optionalString(model.type, 'model.type') ?? 'BPE';
  if (modelType !== 'BPE') {
    fields.fail('model.type', `is ${JSON.stringify(modelType)}; only BPE models are supported`,
      'mamba.ts reads byte-level BPE tokenizers (GPT-2 / GPT-NeoX family), not WordPiece, Unigram or WordLevel.');
  }
  if (model.dropout !== null && model.dropout !== undefined && model.dropout !== 0) {
    fields.fail('model.dropout', `is ${String(model.dropout)}; BPE dropout makes encoding random`,
      'Set "dropout": null for inference.');
  }
  if (fields.boolean(model.byte_fallback, 'model.byte_fallback', false)) {
    fields.fail('model.byte_fallback', 'is true (SentencePiece-style <0xXX> byte tokens), which is not supported',
      'mamba.ts reads byte-level BPE, where bytes are vocabulary characters; byte_fallback is for SentencePiece-style BPE.');
  }
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const value = fields.optionalString(model[key], `model.${key}`);
    if (value !== undefined && value !== '') {
      fields.fail(`model.${key}`, `is ${JSON.stringify(value)}; subword prefixes/suffixes are not supported`,
        'Byte-level BPE tokenizers have none; this looks like a WordPiece-style BPE.');
    }
  }

  const vocab = readVocab(fields, model.vocab);
  const merges = fields.array(model.merges ?? [], 'model.merges').map((m, i) => readMerge(fields, m, `model.merges[${i}]`));
  const addedTokens = fields.array(root.added_tokens ?? [], 'added_tokens').map((t, i) => readAddedToken(fields, t, `added_tokens[${i}]`));

  const preConfig = fields.object(root.pre_tokenizer, 'pre_tokenizer');
  const preType = fields.string(preConfig.type, 'pre_tokenizer.type');
  const pre = fields.choose(PRE_TOKENIZERS, preType, 'pre_tokenizer.type', 'pre-tokenizer')(preConfig, 'pre_tokenizer', fields);
  const decoder = fields.object(root.decoder, 'decoder');
  fields.choose(DECODERS, fields.string(decoder.type, 'decoder.type'), 'decoder.type', 'decoder');

  const template = postProcessorFromJson(root.post_processor, 'post_processor', fields);
  const unkToken = fields.optionalString(model.unk_token, 'model.unk_token');
  const addedByContent = new Map(addedTokens.map((t) => [t.content, t.id]));
  const special = resolveSpecialIds({
    addedIdOf: (content) => addedByContent.get(content),
    anyIdOf: (content) => addedByContent.get(content) ?? vocab.get(content),
    template,
    modelUnkToken: unkToken,
    overrides: options.specialTokens,
  });

  let maxId = -1;
  for (const id of vocab.values()) maxId = Math.max(maxId, id);
  for (const t of addedTokens) maxId = Math.max(maxId, t.id);
  for (const id of [...template.prefix, ...template.suffix]) {
    if (id > maxId) fields.fail('post_processor', `adds token id ${id}, which no token has`);
  }

  const kinds: TokenKind[] = [...new Array<TokenKind>(vocab.size).fill(TOKEN_KIND.VOCAB), ...addedTokens.map(() => TOKEN_KIND.ADDED)];
  return {
    sourceName,
    vocabSize: maxId + 1,
    tokens: tokenTableOf([...vocab.keys(), ...addedTokens.map((t) => t.content)], [...vocab.values(), ...addedTokens.map((t) => t.id)], kinds),
    merges: mergeTableOf(merges),
    mergesKey: 'model.merges',
    addedTokens,
    normalizer: normalizerFromJson(root.normalizer, 'normalizer', fields),
    addPrefixSpace: pre.addPrefixSpace,
    useRegex: pre.useRegex,
    unkToken,
    fuseUnk: fields.boolean(model.fuse_unk, 'model.fuse_unk', false),
    ignoreMerges: fields.boolean(model.ignore_merges, 'model.ignore_merges', false),
    template,
    ...special,
  };
}

function readVocab(fields: JsonFields, value: unknown): Map<string, number> {
  const entries = fields.object(value, 'model.vocab');
  const vocab = new Map<string, number>();
  for (const token of Object.keys(entries)) {
    vocab.set(token, fields.id(entries[token], `model.vocab[${JSON.stringify(token)}]`));
  }
  return vocab;
}

/** A merge is "a b" (older files) or ["a", "b"] (tokenizers >= 0.20). */
function readMerge(fields: JsonFields, value: unknown, key: string): [string, string] {
  if (typeof value === 'string') {
    const parts = value.split(' ');
    if (parts.length === 2) return [parts[0], parts[1]];
  } else if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
    return [value[0], value[1]];
  }
  return fields.fail(key, `must be a string "a b" (one space) or a pair ["a", "b"], got ${JSON.stringify(value)}`);
}

function readAddedToken(fields: JsonFields, value: unknown, key: string): BpeAddedToken {
  const t = fields.object(value, key);
  const special = fields.boolean(t.special, `${key}.special`, false);
  return {
    id: fields.id(t.id, `${key}.id`),
    content: fields.string(t.content, `${key}.content`),
    special,
    normalized: fields.boolean(t.normalized, `${key}.normalized`, !special),
    lstrip: fields.boolean(t.lstrip, `${key}.lstrip`, false),
    rstrip: fields.boolean(t.rstrip, `${key}.rstrip`, false),
    singleWord: fields.boolean(t.single_word, `${key}.single_word`, false),
  };
}
