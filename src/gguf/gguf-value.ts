/**
 * GGUF metadata values (GGUF v3 spec, `gguf_type`). One row per value type: its id, byte size and codec.
 * Values keep their GGUF type so that a file read and written again is identical.
 */
import type { BinaryCursor, BinaryWriter } from '../io/binary-cursor.js';

export type GGUFScalarType =
  | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32'
  | 'bool' | 'string' | 'uint64' | 'int64' | 'float64';
export type GGUFType = GGUFScalarType | 'array';

/** A plain value: numbers for ≤32-bit ints and floats, bigint for 64-bit ints. */
export type GGUFPlain = number | bigint | boolean | string | GGUFArray;

export interface GGUFArray {
  readonly itemType: GGUFType;
  readonly items: GGUFPlain[];
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
  if (typeof v === 'object') return v.items.map(toPlain);
  return v;
}

/** A printable summary of a value, truncating long arrays (for `inspect`). */
export function formatValue(v: GGUFPlain, maxItems = 8): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? v.slice(0, 77) + '...' : v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'object') {
    const shown = v.items.slice(0, maxItems).map((x) => formatValue(x, maxItems));
    const more = v.items.length > maxItems ? `, ... (${v.items.length} items)` : '';
    return `[${shown.join(', ')}${more}]`;
  }
  return String(v);
}
