/**
 * Checks one option value against its `GENERATION_OPTIONS` row. The model_config.yaml loader and the
 * command-line parser share it, so both say the same thing about the same bad value; each prefixes where
 * the value came from (`model_config.yaml:7: \`top_p\`` or `--top-p`).
 */
import { describeLimit, withinLimit } from '../sampling/number-limit.js';
import type { OptionRow } from './generation-options.js';

export type CheckResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly problem: string; readonly hint?: string };

/** `1.5`, `"abc"`, `true`, `nothing`, `a list`, `a map`: how a bad value is quoted in messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return String(value);
}

function fail(problem: string, hint?: string): CheckResult {
  return { ok: false, problem, hint };
}

/** A `stop` entry: a non-empty string. */
export function checkStopString(value: unknown): CheckResult {
  if (typeof value === 'string' && value.length > 0) return { ok: true, value };
  if (value === '') return fail('must not contain an empty string', 'an empty stop string would stop at once');
  return fail(`entries must be strings, got ${describeValue(value)}`, 'quote it: stop: "42"');
}

/** Checks `value` (already typed: a number for number rows) and returns it normalised (choices lower-cased, one stop string → a list). */
export function checkOptionValue(row: OptionRow, value: unknown): CheckResult {
  switch (row.kind) {
    case 'number': {
      if (typeof value !== 'number') {
        const quoted = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
        return fail(`must be ${describeLimit(row.limit)}, got ${quoted ? 'the string ' : ''}${describeValue(value)}`, quoted ? 'remove the quotes' : undefined);
      }
      if (!withinLimit(row.limit, value)) {
        return fail(`must be ${describeLimit(row.limit)}, got ${describeValue(value)}`, row.limit.off === undefined ? undefined : `${row.limit.off} turns it off`);
      }
      return { ok: true, value };
    }
    case 'string-list': {
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list)) return fail(`must be a string or a list of strings, got ${describeValue(value)}`);
      for (const item of list) {
        const r = checkStopString(item);
        if (!r.ok) return r;
      }
      return { ok: true, value: Object.freeze([...list]) };
    }
    case 'path':
      if (typeof value !== 'string' || value === '') return fail(`must be a file path, got ${describeValue(value)}`);
      return { ok: true, value };
    case 'choice': {
      const lower = typeof value === 'string' ? value.toLowerCase() : undefined;
      if (lower === undefined || !row.choices.includes(lower)) {
        return fail(`must be one of ${row.choices.join(', ')}, got ${describeValue(value)}`);
      }
      return { ok: true, value: lower };
    }
  }
}
