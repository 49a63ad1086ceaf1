/**
 * Sampler options, their ranges (one row per option) and defaults. The defaults are llama.cpp's
 * (common/common.h `common_params_sampling`): temp 0.80, top_k 40, top_p 0.95, min_p 0.05,
 * repeat_penalty 1.00 (off), repeat_last_n 64. llama.cpp's default seed is random; ours is fixed so that
 * a run is reproducible unless a seed is given.
 */
import { ConfigError } from '../errors.js';
import { MAX_SEED } from './rng.js';
import { describeLimit, withinLimit, type NumberLimit } from './number-limit.js';

export interface SamplingOptions {
  /** Softmax temperature; 0 (or < 1e-6) = greedy argmax. */
  temperature: number;
  /** Keep the k most likely tokens; 0 = off. */
  topK: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p; 1 = off. */
  topP: number;
  /** Drop tokens less likely than min_p × the most likely one; 0 = off. */
  minP: number;
  /** CTRL-style repetition penalty on tokens among the last `repeatLastN`; 1 = off. */
  repeatPenalty: number;
  /** How many recent tokens the repetition penalty looks at; 0 = off. */
  repeatLastN: number;
  /** RNG seed, an unsigned 32-bit integer. */
  seed: number;
}

/** Below this temperature the sampler is greedy (and draws no random number). */
export const GREEDY_TEMPERATURE = 1e-6;

export const DEFAULT_SAMPLING: Readonly<SamplingOptions> = Object.freeze({
  temperature: 0.8,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.0,
  repeatLastN: 64,
  seed: 0,
});


/** Allowed range of each sampling option. */
export const SAMPLING_LIMITS: { readonly [K in keyof SamplingOptions]: NumberLimit } = Object.freeze({
  temperature: { integer: false, min: 0, max: Infinity },
  topK: { integer: true, min: 0, max: Infinity, off: 0 },
  topP: { integer: false, min: 0, max: 1, off: 1 },
  minP: { integer: false, min: 0, max: 1, off: 0 },
  repeatPenalty: { integer: false, min: 0, minExclusive: true, max: Infinity, off: 1 },
  repeatLastN: { integer: true, min: 0, max: Infinity, off: 0 },
  seed: { integer: true, min: 0, max: MAX_SEED },
});

/** Checks every option against `SAMPLING_LIMITS`; returns the options, or throws ConfigError naming the first bad one. */
export function validateSamplingOptions(options: SamplingOptions): SamplingOptions {
  for (const key of Object.keys(SAMPLING_LIMITS) as (keyof SamplingOptions)[]) {
    const limit = SAMPLING_LIMITS[key];
    const value = options[key];
    if (!withinLimit(limit, value)) {
      throw new ConfigError(`sampling option \`${key}\` must be ${describeLimit(limit)}, got ${typeof value === 'number' ? String(value) : JSON.stringify(value)}`, {
        hint: limit.off === undefined ? undefined : `${limit.off} turns it off`,
      });
    }
  }
  return options;
}
