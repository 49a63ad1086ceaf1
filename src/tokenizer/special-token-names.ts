import type { SpecialTemplate } from './post-processors.js';

export type SpecialRole = 'bos' | 'eos' | 'unk' | 'pad';

export interface SpecialIds {
  bosId?: number;
  eosId?: number;
  unkId?: number;
  padId?: number;
}

/** Token contents chosen for a role (as in tokenizer_config.json); null = the role has no token. */
export type SpecialTokenOverrides = Partial<Record<SpecialRole, string | null>>;

/**
 * tokenizer.json does not say which token is BOS / EOS / PAD / UNK (transformers keeps that in
 * tokenizer_config.json). Without overrides, each role takes the first of these contents that is an
 * added token. The GPT-2 family uses `<|endoftext|>` for bos, eos and unk; PAD falls back to EOS.
 */
export const SPECIAL_TOKEN_NAMES: Readonly<Record<SpecialRole, readonly string[]>> = {
  bos: ['<|bos|>', '<s>', '<|begin_of_text|>', '<|startoftext|>', '<bos>', '<|endoftext|>'],
  eos: ['<|eos|>', '</s>', '<|end_of_text|>', '<eos>', '<|endoftext|>'],
  unk: ['<unk>', '<|unk|>', '[UNK]', '<|endoftext|>'],
  pad: ['<pad>', '<|pad|>', '[PAD]'],
};

export interface SpecialIdSources {
  /** Id of an added token by content (names are only looked up here: "<s>" may be ordinary BPE text). */
  addedIdOf: (content: string) => number | undefined;
  /** Id of any token by content: added tokens, then the BPE vocabulary. */
  anyIdOf: (content: string) => number | undefined;
  template: SpecialTemplate;
  modelUnkToken?: string;
  overrides?: SpecialTokenOverrides;
}

/**
 * Resolves the special ids: an override wins; else a post-processor that adds exactly one token before
 * (after) the text names BOS (EOS); else the model's unk_token names UNK; else SPECIAL_TOKEN_NAMES.
 */
export function resolveSpecialIds(sources: SpecialIdSources): SpecialIds {
  const { addedIdOf, anyIdOf, template, modelUnkToken, overrides = {} } = sources;
  const byName = (role: SpecialRole): number | undefined => {
    for (const name of SPECIAL_TOKEN_NAMES[role]) {
      const id = addedIdOf(name);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const pick = (role: SpecialRole, fromStructure: number | undefined): number | undefined => {
    const override = overrides[role];
    if (override === null) return undefined;
    if (override !== undefined) return anyIdOf(override);
    return fromStructure ?? byName(role);
  };
  const only = (ids: number[]): number | undefined => (ids.length === 1 ? ids[0] : undefined);
  const eosId = pick('eos', only(template.suffix));
  return {
    bosId: pick('bos', only(template.prefix)),
    eosId,
    unkId: pick('unk', modelUnkToken === undefined ? undefined : anyIdOf(modelUnkToken)),
    padId: overrides.pad === null ? undefined : pick('pad', undefined) ?? eosId,
  };
}
