/**
 * An ordered key → typed value map, as stored in a GGUF header, with typed getters whose errors name the
 * file and the key.
 */
import { ConfigError } from '../errors.js';
import { utf8TableOf, type Utf8Table } from '../io/utf8-table.js';
import { LazyGGUFArray, toPlain, type GGUFPlain, type GGUFType, type GGUFValue } from './gguf-value.js';

export class GGUFMetadata {
  private readonly map = new Map<string, GGUFValue>();

  constructor(readonly sourceName = '<gguf>') {}

  get size(): number {
    return this.map.size;
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  entries(): IterableIterator<[string, GGUFValue]> {
    return this.map.entries();
  }
  raw(key: string): GGUFValue | undefined {
    return this.map.get(key);
  }

  /** The value as plain JS (arrays as JS arrays), or undefined. */
  get(key: string): unknown {
    const v = this.map.get(key);
    return v === undefined ? undefined : toPlain(v.value);
  }

  /**
   * A string array's items as UTF-8 (Utf8Table): a long array read from a file without creating a JS string per
   * item. Undefined when the key is missing or is not an array of strings.
   */
  utf8Strings(key: string): Utf8Table | undefined {
    const v = this.map.get(key)?.value;
    if (v instanceof LazyGGUFArray) return v.itemType === 'string' ? v.utf8Table() : undefined;
    if (typeof v !== 'object' || v.itemType !== 'string') return undefined;
    return utf8TableOf(v.items as string[]);
  }

  set(key: string, type: GGUFType, value: GGUFPlain): this {
    this.map.set(key, { type, value });
    return this;
  }
  setString(key: string, value: string): this {
    return this.set(key, 'string', value);
  }
  setU32(key: string, value: number): this {
    return this.set(key, 'uint32', value);
  }
  setF32(key: string, value: number): this {
    return this.set(key, 'float32', value);
  }
  setBool(key: string, value: boolean): this {
    return this.set(key, 'bool', value);
  }
  setArray(key: string, itemType: GGUFType, items: GGUFPlain[]): this {
    return this.set(key, 'array', { itemType, items });
  }
  delete(key: string): boolean {
    return this.map.delete(key);
  }

  /** A number (any integer or float type; 64-bit ints must fit in a double exactly). */
  getNumber(key: string): number | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v.value === 'number') return v.value;
    if (typeof v.value === 'bigint' && v.value <= BigInt(Number.MAX_SAFE_INTEGER) && v.value >= -BigInt(Number.MAX_SAFE_INTEGER)) {
      return Number(v.value);
    }
    throw new ConfigError(`${this.sourceName}: metadata key \`${key}\` is ${v.type}, expected a number`);
  }
  requireNumber(key: string): number {
    const n = this.getNumber(key);
    if (n === undefined) throw new ConfigError(`${this.sourceName}: required metadata key \`${key}\` is missing`);
    return n;
  }
  getString(key: string): string | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v.value !== 'string') {
      throw new ConfigError(`${this.sourceName}: metadata key \`${key}\` is ${v.type}, expected a string`);
    }
    return v.value;
  }
  requireString(key: string): string {
    const s = this.getString(key);
    if (s === undefined) throw new ConfigError(`${this.sourceName}: required metadata key \`${key}\` is missing`);
    return s;
  }
  getBool(key: string): boolean | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v.value !== 'boolean') {
      throw new ConfigError(`${this.sourceName}: metadata key \`${key}\` is ${v.type}, expected a bool`);
    }
    return v.value;
  }
}
