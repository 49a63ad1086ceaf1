import type { JsonFields } from './json-fields.js';

/** What `encode(text, {addSpecial: true})` puts around the tokens of `text`. */
export interface SpecialTemplate {
  prefix: number[];
  suffix: number[];
}

export const NO_SPECIAL_TOKENS: SpecialTemplate = { prefix: [], suffix: [] };

type PostProcessorFactory = (config: Record<string, unknown>, key: string, fields: JsonFields) => SpecialTemplate;

/** Hugging Face post_processor `type` → the special tokens it adds to a single sequence. */
export const POST_PROCESSORS: Readonly<Record<string, PostProcessorFactory>> = {
  /** Only fixes offsets; adds no tokens (GPT-2, GPT-NeoX). */
  ByteLevel: () => NO_SPECIAL_TOKENS,
  /** `single`: [{SpecialToken: {id: "<|bos|>"}}, {Sequence: {id: "A"}}, …] with `special_tokens[name].ids`. */
  TemplateProcessing: (config, key, fields) => {
    const specials = fields.object(config.special_tokens, `${key}.special_tokens`);
    const template: SpecialTemplate = { prefix: [], suffix: [] };
    let seenSequence = false;
    fields.array(config.single, `${key}.single`).forEach((item, i) => {
      const itemKey = `${key}.single[${i}]`;
      const piece = fields.object(item, itemKey);
      if (piece.Sequence !== undefined) {
        seenSequence = true;
        return;
      }
      const special = fields.object(piece.SpecialToken, `${itemKey}.SpecialToken`);
      const name = fields.string(special.id, `${itemKey}.SpecialToken.id`);
      const entryKey = `${key}.special_tokens[${JSON.stringify(name)}]`;
      const entry = fields.object(specials[name], entryKey);
      const ids = fields.array(entry.ids, `${entryKey}.ids`).map((id, j) => fields.id(id, `${entryKey}.ids[${j}]`));
      (seenSequence ? template.suffix : template.prefix).push(...ids);
    });
    return template;
  },
  /** `cls` $A `sep`, each given as [content, id]. */
  RobertaProcessing: (config, key, fields) => clsSep(config, key, fields),
  BertProcessing: (config, key, fields) => clsSep(config, key, fields),
  /** Applied in order: each later processor wraps what the earlier ones produced. */
  Sequence: (config, key, fields) => fields.array(config.processors, `${key}.processors`).reduce<SpecialTemplate>(
    (inner, step, i) => {
      const outer = postProcessorFromJson(step, `${key}.processors[${i}]`, fields);
      return { prefix: [...outer.prefix, ...inner.prefix], suffix: [...inner.suffix, ...outer.suffix] };
    },
    NO_SPECIAL_TOKENS,
  ),
};

function clsSep(config: Record<string, unknown>, key: string, fields: JsonFields): SpecialTemplate {
  const idOf = (name: 'cls' | 'sep'): number => {
    const pair = fields.array(config[name], `${key}.${name}`);
    return fields.id(pair[1], `${key}.${name}[1]`);
  };
  return { prefix: [idOf('cls')], suffix: [idOf('sep')] };
}

/** The special tokens the post_processor at `key` adds; none for `null`. */
export function postProcessorFromJson(value: unknown, key: string, fields: JsonFields): SpecialTemplate {
  const config = fields.optionalObject(value, key);
  if (config === undefined) return NO_SPECIAL_TOKENS;
  const type = fields.string(config.type, `${key}.type`);
  return fields.choose(POST_PROCESSORS, type, `${key}.type`, 'post-processor')(config, key, fields);
}
