/**
 * Command-line options are declared once per command as a typed table; the parser (node's
 * util.parseArgs, strict) and the `--help` text both come from it.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestMatch } from '../config/closest-match.js';
import { UsageError } from '../errors.js';

export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
  readonly description: string;
  /** Shown in help: `--type T`. */
  readonly valueName?: string;
}
export type OptionTable = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? (S['multiple'] extends true ? boolean[] : boolean)
  : (S['multiple'] extends true ? string[] : string);
export type ParsedValues<T extends OptionTable> = { [K in keyof T]?: ValueOf<T[K]> };

export interface ParsedArgs<T extends OptionTable> {
  values: ParsedValues<T>;
  positionals: string[];
}

/** Options every command has. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h', description: 'show this help' },
} as const satisfies OptionTable;

export function parseCommandArgs<T extends OptionTable>(command: string, argv: string[], table: T): ParsedArgs<T> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: table as NonNullable<ParseArgsConfig['options']>,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedValues<T>, positionals };
  } catch (e) {
    const msg = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const meant = unknownOption(msg, table);
    throw new UsageError(`${command}: ${msg}`, { hint: `${meant ? `did you mean \`--${meant}\`? ` : ''}run \`mamba-ts ${command} --help\` for usage` });
  }
}

/**
 * The option an unknown `--name` most likely meant: a close spelling (`--topk` → `--top-k`), the one option
 * it begins (`--profile` → `--profile-ops`), or the longest option it extends (`--temperature` → `--temp`).
 */
function unknownOption(message: string, table: OptionTable): string | undefined {
  const name = /^Unknown option '--([^'=]+)/.exec(message)?.[1];
  if (name === undefined) return undefined;
  const names = Object.keys(table).filter((n) => n !== 'help');
  const begun = names.filter((n) => n.startsWith(name));
  const extended = names.filter((n) => n.length >= 3 && name.startsWith(n)).sort((a, b) => b.length - a.length);
  return closestMatch(name, names) ?? (begun.length === 1 ? begun[0] : extended[0]);
}

export function formatOptions(table: OptionTable): string {
  const rows = Object.entries(table).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` ${s.valueName ?? 'VALUE'}` : ''}`;
    return [flag, s.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length)) + 2;
  return rows.map(([f, d]) => `  ${f.padEnd(width)}${d}`).join('\n');
}

/** Parses an integer option value, with a usage error naming the flag. */
export function intArg(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Parses a number option value. */
export function numberArg(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Checks a choice option value against its allowed set. */
export function choiceArg<C extends string>(flag: string, value: string, choices: readonly C[]): C {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as C;
}
