import type { JsonFields } from './json-fields.js';

/** A tokenizer.json `normalizer`: applied to text before pre-tokenization (not to special tokens). */
export type Normalizer = (text: string) => string;

type NormalizerFactory = (config: Record<string, unknown>, key: string, fields: JsonFields) => Normalizer;

/** Hugging Face normalizer `type` → implementation. Add a row to support another. */
export const NORMALIZERS: Readonly<Record<string, NormalizerFactory>> = {
  NFC: () => (text) => text.normalize('NFC'),
  NFD: () => (text) => text.normalize('NFD'),
  NFKC: () => (text) => text.normalize('NFKC'),
  NFKD: () => (text) => text.normalize('NFKD'),
  Lowercase: () => (text) => text.toLowerCase(),
  Sequence: (config, key, fields) => {
    const steps = fields.array(config.normalizers, `${key}.normalizers`)
      .map((step, i) => normalizerFromJson(step, `${key}.normalizers[${i}]`, fields))
      .filter((step): step is Normalizer => step !== undefined);
    return (text) => steps.reduce((s, step) => step(s), text);
  },
};

/** The normalizer a tokenizer.json describes at `key`; undefined for `null`. */
export function normalizerFromJson(value: unknown, key: string, fields: JsonFields): Normalizer | undefined {
  const config = fields.optionalObject(value, key);
  if (config === undefined) return undefined;
  const type = fields.string(config.type, `${key}.type`);
  return fields.choose(NORMALIZERS, type, `${key}.type`, 'normalizer')(config, key, fields);
}
