/**
 * The allowed range of one numeric option. The sampler's validation, the model_config.yaml loader and the
 * CLI flag parser all check values against the same `NumberLimit` rows, so they agree on ranges and wording.
 */

export interface NumberLimit {
  readonly integer: boolean;
  /** Smallest allowed value (excluded when `minExclusive`). */
  readonly min: number;
  readonly minExclusive?: boolean;
  /** Largest allowed value (Infinity = unbounded; values must be finite anyway). */
  readonly max: number;
  /** The value that turns the feature off, if any (shown in error hints). */
  readonly off?: number;
}

/** "an integer >= 0", "a number from 0 to 1", "a number > 0". */
export function describeLimit(limit: NumberLimit): string {
  const what = limit.integer ? 'an integer' : 'a number';
  if (limit.max === Infinity) return `${what} ${limit.minExclusive ? '>' : '>='} ${limit.min}`;
  if (limit.minExclusive) return `${what} > ${limit.min} and <= ${limit.max}`;
  return `${what} from ${limit.min} to ${limit.max}`;
}

export function withinLimit(limit: NumberLimit, value: number): boolean {
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (limit.integer && !Number.isSafeInteger(value)) return false;
  if (limit.minExclusive ? value <= limit.min : value < limit.min) return false;
  return value <= limit.max;
}
