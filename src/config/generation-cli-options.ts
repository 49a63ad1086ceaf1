/**
 * The command-line side of `GENERATION_OPTIONS`: one flag per row (plus `--config` and `--profile`), for a
 * command's option table (see cli/parse-args.ts), and the parser from flag strings to settings.
 */
import { UsageError } from '../errors.js';
import type { OptionSpec, OptionTable } from '../cli/parse-args.js';
import { checkOptionValue } from './check-option-value.js';
import { GENERATION_OPTION_ROWS, type GenerationSettings } from './generation-options.js';

export const CONFIG_CLI_OPTIONS = {
  config: { type: 'string', valueName: 'FILE', description: 'model_config.yaml to read (default: ./model_config.yaml if present)' },
  profile: { type: 'string', valueName: 'NAME', description: 'profile of the config file to use (default: its default_profile, else `default`)' },
} as const satisfies OptionTable;

/** `--temp`, `--top-k`, … one per `GENERATION_OPTIONS` row. */
export const GENERATION_CLI_OPTIONS: OptionTable = Object.freeze(
  Object.fromEntries(
    GENERATION_OPTION_ROWS.map((row): [string, OptionSpec] => [
      row.flag,
      {
        type: 'string',
        ...(row.short ? { short: row.short } : {}),
        ...(row.kind === 'string-list' ? { multiple: true } : {}),
        valueName: row.valueName,
        description: row.kind === 'choice' ? `${row.description}: ${row.choices.join(' | ')}` : row.description,
      },
    ]),
  ),
);

/** A number flag's text → number, or NaN (then the range check reports the text). */
function parseNumber(text: string, integer: boolean): number {
  const t = text.trim();
  if (integer ? !/^[+-]?\d+$/.test(t) : t === '') return NaN;
  return Number(t);
}

/**
 * Parsed flag values (keyed by flag name, as util.parseArgs returns them) → settings overrides.
 * Flags not given are left out. A bad value is a UsageError naming the flag and its range.
 */
export function generationOverridesFromFlags(values: Readonly<Record<string, unknown>>): Partial<GenerationSettings> {
  const out: Record<string, unknown> = {};
  for (const row of GENERATION_OPTION_ROWS) {
    const raw = values[row.flag];
    if (raw === undefined) continue;
    const typed = row.kind === 'number' && typeof raw === 'string' ? parseNumber(raw, row.limit.integer) : raw;
    const r = checkOptionValue(row, typed);
    if (!r.ok) {
      const problem = row.kind === 'number' && typeof raw === 'string' ? r.problem.replace(/got .*$/, `got ${JSON.stringify(raw)}`) : r.problem;
      throw new UsageError(`--${row.flag} ${problem}`, { hint: r.hint });
    }
    out[row.field] = r.value;
  }
  return out as Partial<GenerationSettings>;
}
