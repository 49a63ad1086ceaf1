/**
 * GGUF metadata values (GGUF v3 spec, `gguf_type`). One row per value type: its id, byte size and codec.
 * Values keep their GGUF type so that a file read and written again is identical.
 */
import { BinaryCursor, type BinaryWriter } from '../io/binary-cursor.js';
import { UsageError } from '../errors.js';
import type { Utf8Table } from '../io/utf8-table.js';

export type GGUFScalarType =
  | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32'
  | 'bool' | 'string' | 'uint64' | 'int64' | 'float64';
export type GGUFType = GGUFScalarType | 'array';

/** A plain value: numbers for ≤32-bit ints and floats, bigint for 64-bit ints. */
export type GGUFPlain = number | bigint | boolean | string | GGUFArray;

export interface GGUFArray {
  readonly itemType: GGUFType;
  /** The items. A long array read from a file is decoded on each access (see LazyGGUFArray): keep the result. */
  readonly items: GGUFPlain[];
}

/**
 * A long array of a GGUF header (the tokenizer's 50k token strings and merges), kept as its encoded bytes
 * and decoded when `items` is read. Parsing a header would otherwise create ~100k JS strings that a model
 * which never tokenizes (bench, a server fed token ids) does not need, and that grow V8's young generation
 * to its maximum (+17 MiB RSS on a 130m model). The reader has already checked the bytes (lengths, UTF-8),
 * so decoding cannot fail.
 */
export class LazyGGUFArray implements GGUFArray {
  constructor(
    readonly itemType: GGUFType,
    readonly length: number,
    /** The encoded items, without the type and count (readGGUF: a view of the header buffer). */
    private readonly bytes: Uint8Array,
    private readonly decode: (bytes: Uint8Array, length: number) => GGUFPlain[],
  ) {}

  private released = false;

  get items(): GGUFPlain[] {
    this.checkNotReleased();
    return this.decode(this.bytes, this.length);
  }

  /**
   * A string array's items as UTF-8 views of the header: no JS string per item. One pass over the u64
   * lengths (checked when the header was read), two offset tables.
   */
  utf8Table(): Utf8Table {
    this.checkNotReleased();
    if (this.itemType !== 'string') throw new UsageError(`utf8Table() of a GGUF ${this.itemType} array: only string arrays have one`);
    const c = new BinaryCursor(this.bytes);
    const begin = new Int32Array(this.length);
    const end = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const n = c.u64Number();
      begin[i] = c.pos;
      c.skip(n);
      end[i] = c.pos;
    }
    return { length: this.length, bytes: this.bytes, begin, end };
  }

  private checkNotReleased(): void {
    if (this.released) {
      throw new UsageError(`a GGUF metadata array (${this.length} ${this.itemType} items) was read after its model file was closed`, {
        hint: 'closing a model file releases its header (the tokenizer arrays): read metadata arrays before close()',
      });
    }
  }

  /** Called when the header buffer it views is released (the file closed): reading it then throws. */
  release(): void {
    this.released = true;
  }
}

export interface GGUFValue {
  readonly type: GGUFType;
  readonly value: GGUFPlain;
}

interface ValueTypeRow {
  readonly name: GGUFType;
  readonly id: number;
  /** Fixed byte size, or the minimum size (string: its u64 length; array: type + count). */
  readonly minBytes: number;
  read?(c: BinaryCursor): GGUFPlain;
  write?(w: BinaryWriter, v: GGUFPlain): void;
}

function num(v: GGUFPlain): number {
  if (typeof v !== 'number') throw new TypeError(`expected a number, got ${typeof v}`);
  return v;
}

export const GGUF_VALUE_TYPES: readonly ValueTypeRow[] = [
  { name: 'uint8', id: 0, minBytes: 1, read: (c) => c.u8(), write: (w, v) => w.u8(num(v)) },
  { name: 'int8', id: 1, minBytes: 1, read: (c) => c.i8(), write: (w, v) => w.i8(num(v)) },
  { name: 'uint16', id: 2, minBytes: 2, read: (c) => c.u16(), write: (w, v) => w.u16(num(v)) },
  { name: 'int16', id: 3, minBytes: 2, read: (c) => c.i16(), write: (w, v) => w.i16(num(v)) },
  { name: 'uint32', id: 4, minBytes: 4, read: (c) => c.u32(), write: (w, v) => w.u32(num(v)) },
  { name: 'int32', id: 5, minBytes: 4, read: (c) => c.i32(), write: (w, v) => w.i32(num(v)) },
  { name: 'float32', id: 6, minBytes: 4, read: (c) => c.f32(), write: (w, v) => w.f32(num(v)) },
  {
    name: 'bool', id: 7, minBytes: 1,
    read: (c) => c.u8() !== 0,
    write: (w, v) => w.u8(v ? 1 : 0),
  },
  { name: 'string', id: 8, minBytes: 8 },
  { name: 'array', id: 9, minBytes: 12 },
  { name: 'uint64', id: 10, minBytes: 8, read: (c) => c.u64(), write: (w, v) => w.u64(v as bigint) },
  { name: 'int64', id: 11, minBytes: 8, read: (c) => c.i64(), write: (w, v) => w.i64(v as bigint) },
  { name: 'float64', id: 12, minBytes: 8, read: (c) => c.f64(), write: (w, v) => w.f64(num(v)) },
];

const BY_ID = new Map(GGUF_VALUE_TYPES.map((r) => [r.id, r]));
const BY_NAME = new Map(GGUF_VALUE_TYPES.map((r) => [r.name, r]));

export function valueTypeById(id: number): ValueTypeRow | undefined {
  return BY_ID.get(id);
}
export function valueTypeByName(name: GGUFType): ValueTypeRow {
  return BY_NAME.get(name)!;
}

/** Converts a GGUF value to a plain JS value: arrays become JS arrays (recursively). */
export function toPlain(v: GGUFPlain): unknown {
  if (v instanceof LazyGGUFArray) return v.items; // a fresh array of scalars: nothing to copy
  if (typeof v === 'object') return v.items.map(toPlain);
  return v;
}

/** A printable summary of a value, truncating long arrays (for `inspect`). */
export function formatValue(v: GGUFPlain, maxItems = 8): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object') {
    const items = v.items;
    const shown = items.slice(0, maxItems).map((x) => formatValue(x, maxItems));
    const more = items.length > maxItems ? `, ... (${items.length} items)` : '';
    return `[${shown.join(', ')}${more}]`;
  }
  return String(v);
}
