/**
 * Every generation option, declared once. model_config.yaml keys, command-line flags, validation, the
 * documentation table (docs/configuration.md) and the built-in defaults all come from `GENERATION_OPTIONS`:
 * adding an option = one field in `GenerationSettings` + one row here (a missing row does not compile).
 */
import { DEFAULT_SAMPLING, SAMPLING_LIMITS, type SamplingOptions } from '../sampling/sampling-options.js';
import type { NumberLimit } from '../sampling/number-limit.js';

/** Weight types a model can be loaded or converted to (reserved: later issues use it). ggml names, lowercase. */
export const QUANT_TYPES = ['f32', 'f16', 'q8_0', 'q4_0', 'q4_k', 'q4_k_m', 'q6_k', 'tq1_0', 'tq2_0'] as const;
export type QuantTypeName = (typeof QUANT_TYPES)[number];

/** Resolved generation settings: built-in defaults < model_config.yaml `defaults` < profile < flags. */
export interface GenerationSettings {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repeatPenalty: number;
  repeatLastN: number;
  seed: number;
  maxTokens: number;
  batchSize: number;
  /** Generation stops after any of these strings (not included in the output). */
  stop: readonly string[];
  /** Worker threads; 0 = one per physical core. */
  nThreads: number;
  /** Model path (GGUF file or checkpoint directory). */
  model: string | undefined;
  quantType: QuantTypeName | undefined;
  draftModel: string | undefined;
}

interface RowCommon {
  /** model_config.yaml key (snake_case). */
  readonly key: string;
  /** Command-line flag, without `--`. */
  readonly flag: string;
  /** One-letter flag alias. */
  readonly short?: string;
  /** Placeholder in `--help`: `--top-k N`. */
  readonly valueName: string;
  readonly description: string;
}
export interface NumberRow extends RowCommon {
  readonly kind: 'number';
  readonly limit: NumberLimit;
  readonly default: number;
}
/** One string or a list of strings; the flag may repeat. */
export interface StringListRow extends RowCommon {
  readonly kind: 'string-list';
  readonly default: readonly string[];
}
/** A file path; relative paths in model_config.yaml are relative to that file. */
export interface PathRow extends RowCommon {
  readonly kind: 'path';
  readonly default: undefined;
}
export interface ChoiceRow<C extends string = string> extends RowCommon {
  readonly kind: 'choice';
  readonly choices: readonly C[];
  readonly default: C | undefined;
}
export type OptionRow = NumberRow | StringListRow | PathRow | ChoiceRow;

/** The row type that fits a field's type (tuple-wrapped so unions do not distribute). */
type RowFor<T> = [T] extends [number]
  ? NumberRow
  : [T] extends [readonly string[]]
    ? StringListRow
    : [T] extends [QuantTypeName | undefined]
      ? ChoiceRow<QuantTypeName>
      : PathRow;

export type GenerationOptionTable = { readonly [F in keyof GenerationSettings]: RowFor<GenerationSettings[F]> & { readonly field: F } };

function sampling<F extends keyof SamplingOptions & keyof GenerationSettings>(
  field: F,
  key: string,
  flag: string,
  valueName: string,
  description: string,
  short?: string,
): NumberRow & { readonly field: F } {
  return { field, key, flag, short, valueName, description, kind: 'number', limit: SAMPLING_LIMITS[field], default: DEFAULT_SAMPLING[field] };
}

export const GENERATION_OPTIONS: GenerationOptionTable = Object.freeze({
  temperature: sampling('temperature', 'temperature', 'temp', 'T', 'softmax temperature; 0 = greedy (always the most likely token)', 't'),
  topK: sampling('topK', 'top_k', 'top-k', 'N', 'sample from the N most likely tokens; 0 = off', 'k'),
  topP: sampling('topP', 'top_p', 'top-p', 'P', 'sample from the smallest set of tokens whose probability reaches P; 1 = off', 'p'),
  minP: sampling('minP', 'min_p', 'min-p', 'P', 'drop tokens less likely than P × the most likely one; 0 = off'),
  repeatPenalty: sampling('repeatPenalty', 'repeat_penalty', 'repeat-penalty', 'X', 'divide the logits of recently seen tokens by X (> 1 discourages repeats); 1 = off'),
  repeatLastN: sampling('repeatLastN', 'repeat_last_n', 'repeat-last-n', 'N', 'how many recent tokens the repeat penalty looks at; 0 = off'),
  seed: sampling('seed', 'seed', 'seed', 'N', 'random seed: the same seed, settings and prompt give the same text', 's'),
  maxTokens: {
    field: 'maxTokens', key: 'max_tokens', flag: 'max-tokens', short: 'n', valueName: 'N', kind: 'number',
    limit: { integer: true, min: 1, max: Infinity }, default: 256,
    description: 'generate at most N tokens per sequence',
  },
  batchSize: {
    field: 'batchSize', key: 'batch_size', flag: 'batch-size', valueName: 'N', kind: 'number',
    limit: { integer: true, min: 1, max: 4096 }, default: 1,
    description: 'sequences generated together, each step one batched pass for all of them',
  },
  stop: {
    field: 'stop', key: 'stop', flag: 'stop', valueName: 'TEXT', kind: 'string-list', default: [],
    description: 'stop when the output contains TEXT (a string or a list; the flag may repeat)',
  },
  nThreads: {
    field: 'nThreads', key: 'threads', flag: 'threads', valueName: 'N', kind: 'number',
    limit: { integer: true, min: 0, max: 1024 }, default: 0,
    description: 'worker threads; 0 = one per physical core',
  },
  model: {
    field: 'model', key: 'model', flag: 'model', short: 'm', valueName: 'PATH', kind: 'path', default: undefined,
    description: 'model to load: a GGUF file or a Hugging Face / state-spaces directory',
  },
  quantType: {
    field: 'quantType', key: 'quant_type', flag: 'quant-type', valueName: 'TYPE', kind: 'choice', choices: QUANT_TYPES, default: undefined,
    description: 'weight type to quantize to at load time (reserved, not used yet)',
  },
  draftModel: {
    field: 'draftModel', key: 'draft_model', flag: 'draft-model', valueName: 'PATH', kind: 'path', default: undefined,
    description: 'small model for speculative decoding (reserved, not used yet)',
  },
});

/** The rows in table order. */
export const GENERATION_OPTION_ROWS: readonly (OptionRow & { readonly field: keyof GenerationSettings })[] = Object.freeze(
  Object.values(GENERATION_OPTIONS),
);

/** model_config.yaml key → row. */
export function optionByKey(key: string): (OptionRow & { readonly field: keyof GenerationSettings }) | undefined {
  return GENERATION_OPTION_ROWS.find((r) => r.key === key);
}

export const DEFAULT_GENERATION_SETTINGS: Readonly<GenerationSettings> = Object.freeze(
  Object.fromEntries(GENERATION_OPTION_ROWS.map((r) => [r.field, r.default])) as unknown as GenerationSettings,
);

/** The sampler's share of the settings. */
export function samplingOptionsOf(settings: GenerationSettings): SamplingOptions {
  const { temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed } = settings;
  return { temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed };
}
