import { TokenizerError } from '../errors.js';

/**
 * Typed reads of untrusted JSON: each failure is a TokenizerError naming the file and the key path,
 * e.g. `tokenizer.json: \`model.merges[12]\` must be a string "a b" or a pair ["a", "b"], got 42`.
 */
export class JsonFields {
  constructor(
    readonly sourceName: string,
    private readonly defaultHint = 'Check that the file is a Hugging Face tokenizer.json for a byte-level BPE model.',
  ) {}

  fail(key: string, message: string, hint?: string): never {
    throw new TokenizerError(`${this.sourceName}: \`${key}\` ${message}`, { hint: hint ?? this.defaultHint });
  }

  object(value: unknown, key: string): Record<string, unknown> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(key, `must be an object, got ${describe(value)}`);
    }
    return value as Record<string, unknown>;
  }

  /** An object, or undefined for null / a missing key. */
  optionalObject(value: unknown, key: string): Record<string, unknown> | undefined {
    return value === null || value === undefined ? undefined : this.object(value, key);
  }

  array(value: unknown, key: string): unknown[] {
    if (!Array.isArray(value)) this.fail(key, `must be an array, got ${describe(value)}`);
    return value;
  }

  string(value: unknown, key: string): string {
    if (typeof value !== 'string') this.fail(key, `must be a string, got ${describe(value)}`);
    return value;
  }

  optionalString(value: unknown, key: string): string | undefined {
    return value === null || value === undefined ? undefined : this.string(value, key);
  }

  boolean(value: unknown, key: string, fallback: boolean): boolean {
    if (value === null || value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(key, `must be true or false, got ${describe(value)}`);
    return value;
  }

  /** A non-negative integer id (a bigint, as GGUF u64 values may be read, is accepted). */
  id(value: unknown, key: string): number {
    if (typeof value === 'bigint' && value >= 0n && value <= 0x7fffffffn) return Number(value);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      this.fail(key, `must be a token id (an integer >= 0), got ${describe(value)}`);
    }
    return value;
  }

  optionalId(value: unknown, key: string): number | undefined {
    return value === null || value === undefined ? undefined : this.id(value, key);
  }

  /** `table[name]`, or a failure listing the names that are supported. */
  choose<T>(table: Readonly<Record<string, T>>, name: string, key: string, what: string): T {
    if (!Object.hasOwn(table, name)) {
      this.fail(key, `is ${JSON.stringify(name)}, an unsupported ${what}`,
        `Supported: ${Object.keys(table).join(', ')}. mamba.ts reads byte-level BPE tokenizers (GPT-2 / GPT-NeoX family).`);
    }
    return table[name];
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'object') return ArrayBuffer.isView(value) ? 'a typed array' : 'an object';
  return `${typeof value} ${String(value)}`;
}
