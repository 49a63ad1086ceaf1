/**
 * A minimal, safe unpickler: it understands the pickle opcodes `torch.save` emits (protocol 2 by default,
 * 4/5 when asked) and executes nothing. A pickle names Python callables with GLOBAL / STACK_GLOBAL; here
 * each name is looked up in an allow-list given by the caller (`PickleGlobals`), whose entries are plain
 * TypeScript functions. Any other global, and any opcode outside `PICKLE_OPCODES`, is refused with a
 * typed error. Lengths and counts are checked against the bytes that remain before anything is allocated.
 *
 * Values: None → null, bool → boolean, int → number (bigint beyond 2^53), float → number, str → string,
 * bytes → Uint8Array, list → array, tuple → frozen array, dict → `PickleDict`, global → `PickleGlobal`.
 * Allow-listed callables may return their own objects (`PickleExtension`).
 */
import { ModelFormatError, UnsupportedError } from '../errors.js';

/** Opcode bytes, as in CPython's `Lib/pickle.py`. Only these are understood. */
export const PICKLE_OPCODES = Object.freeze({
  MARK: 0x28, // '('  push a mark
  STOP: 0x2e, // '.'  end of pickle
  POP: 0x30, // '0'
  POP_MARK: 0x31, // '1'
  DUP: 0x32, // '2'
  BINFLOAT: 0x47, // 'G'  f64, big-endian
  BININT: 0x4a, // 'J'  i32
  BININT1: 0x4b, // 'K'  u8
  BININT2: 0x4d, // 'M'  u16
  NONE: 0x4e, // 'N'
  BINPERSID: 0x51, // 'Q'  persistent id from the stack
  REDUCE: 0x52, // 'R'  callable(*args)
  BINUNICODE: 0x58, // 'X'  u32 length + utf-8
  EMPTY_LIST: 0x5d, // ']'
  APPEND: 0x61, // 'a'
  BUILD: 0x62, // 'b'  __setstate__ / __dict__.update
  GLOBAL: 0x63, // 'c'  "module\nname\n"
  APPENDS: 0x65, // 'e'
  BINGET: 0x68, // 'h'  u8 memo index
  LONG_BINGET: 0x6a, // 'j'  u32 memo index
  EMPTY_DICT: 0x7d, // '}'
  BINPUT: 0x71, // 'q'  u8 memo index
  LONG_BINPUT: 0x72, // 'r'  u32 memo index
  SETITEM: 0x73, // 's'
  TUPLE: 0x74, // 't'
  SETITEMS: 0x75, // 'u'
  EMPTY_TUPLE: 0x29, // ')'
  SHORT_BINBYTES: 0x43, // 'C'  u8 length
  BINBYTES: 0x42, // 'B'  u32 length
  PROTO: 0x80, // protocol version
  NEWOBJ: 0x81, // cls.__new__(cls, *args)
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a, // u8 length + little-endian two's complement
  LONG4: 0x8b, // u32 length + little-endian two's complement
  SHORT_BINUNICODE: 0x8c, // u8 length + utf-8
  BINUNICODE8: 0x8d, // u64 length + utf-8
  BINBYTES8: 0x8e, // u64 length
  STACK_GLOBAL: 0x93, // module and name from the stack
  MEMOIZE: 0x94, // memo[len(memo)] = top
  FRAME: 0x95, // u64 frame length (framing only; ignored)
});

/** Highest pickle protocol understood. */
export const PICKLE_MAX_PROTOCOL = 5;
/** LONG4 integers longer than this are refused (torch never writes them; decoding is quadratic). */
const MAX_LONG_NBYTES = 1024;

/** An object made by an allow-listed callable, e.g. a tensor reference. */
export interface PickleExtension {
  /** What the object is, for error messages, e.g. `torch.Tensor`. */
  readonly pickleType: string;
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleList
  | PickleTuple
  | PickleDict
  | PickleGlobal
  | PickleExtension;
export type PickleList = PickleValue[];
/** Tuples are frozen arrays (lists are not), so APPEND to a tuple is refused. */
export type PickleTuple = readonly PickleValue[];

/** A dict or OrderedDict. BUILD on it (e.g. OrderedDict's `_metadata`) stores the state in `state`. */
export class PickleDict extends Map<PickleValue, PickleValue> {
  state: PickleValue | undefined = undefined;
}

/** What an allow-listed global does. A global without `call` can be referenced but not called. */
export interface PickleGlobalBehaviour {
  /** Called for REDUCE and NEWOBJ with the argument tuple; throws a MambaError on bad arguments. */
  call?(args: PickleTuple): PickleValue;
}

/** Allow-list: `module.name` → behaviour. Nothing outside it can be referenced. */
export type PickleGlobals = ReadonlyMap<string, PickleGlobalBehaviour>;

/** A reference to an allow-listed global, as pushed by GLOBAL / STACK_GLOBAL. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly behaviour: PickleGlobalBehaviour,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export interface UnpickleOptions {
  /** File name for error messages, e.g. `model.bin:archive/data.pkl`. */
  readonly file: string;
  readonly globals: PickleGlobals;
  /** Resolves BINPERSID ids (torch: storages). Without it, persistent ids are an error. */
  readonly persistentLoad?: (pid: PickleValue) => PickleValue;
}

export function isPickleTuple(value: PickleValue): value is PickleTuple {
  return Array.isArray(value) && Object.isFrozen(value);
}

export function isPickleList(value: PickleValue): value is PickleList {
  return Array.isArray(value) && !Object.isFrozen(value);
}

/** Short description of a value's type, for error messages. */
export function pickleTypeName(value: PickleValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'None';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'string') return 'str';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return Object.isFrozen(value) ? `tuple of ${value.length}` : 'list';
  if (value instanceof PickleDict) return 'dict';
  if (value instanceof PickleGlobal) return value.qualifiedName;
  return (value as PickleExtension).pickleType;
}

const HINT_CORRUPT = 'the pickle is truncated or corrupt: save the checkpoint again with torch.save, or convert it to safetensors';
const HINT_SUBSET =
  'mamba.ts reads only the pickle subset torch.save writes for a state dict; save `model.state_dict()` with torch.save, or convert the checkpoint to safetensors';

/** Unpickles `bytes`, calling only the allow-listed `globals`. Throws ModelFormatError / UnsupportedError. */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  return new Unpickler(bytes, options).run();
}

class Unpickler {
  private readonly dv: DataView;
  private pos = 0;
  private readonly stack: PickleValue[] = [];
  /** Stack heights at each MARK. */
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleValue {
    const OP = PICKLE_OPCODES;
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case OP.PROTO: {
          const version = this.u8();
          if (version > PICKLE_MAX_PROTOCOL) {
            throw new UnsupportedError(`${this.options.file}: pickle protocol ${version} is newer than the highest supported (${PICKLE_MAX_PROTOCOL})`, { hint: HINT_SUBSET });
          }
          break;
        }
        case OP.FRAME:
          this.checkLength(this.u64(), 'frame');
          break;
        case OP.STOP:
          return this.pop();

        case OP.NONE:
          this.stack.push(null);
          break;
        case OP.NEWTRUE:
          this.stack.push(true);
          break;
        case OP.NEWFALSE:
          this.stack.push(false);
          break;
        case OP.BININT:
          this.stack.push(this.dv.getInt32(this.advance(4), true));
          break;
        case OP.BININT1:
          this.stack.push(this.u8());
          break;
        case OP.BININT2:
          this.stack.push(this.dv.getUint16(this.advance(2), true));
          break;
        case OP.LONG1:
          this.stack.push(this.long(this.u8()));
          break;
        case OP.LONG4: {
          const n = this.dv.getInt32(this.advance(4), true);
          if (n < 0 || n > MAX_LONG_NBYTES) {
            throw new ModelFormatError(this.options.file, `LONG4 integer of ${n} bytes at byte ${at} (limit ${MAX_LONG_NBYTES})`, { hint: HINT_CORRUPT });
          }
          this.stack.push(this.long(n));
          break;
        }
        case OP.BINFLOAT:
          this.stack.push(this.dv.getFloat64(this.advance(8), false));
          break;

        case OP.SHORT_BINUNICODE:
          this.stack.push(this.string(this.u8()));
          break;
        case OP.BINUNICODE:
          this.stack.push(this.string(this.u32()));
          break;
        case OP.BINUNICODE8:
          this.stack.push(this.string(this.u64()));
          break;
        case OP.SHORT_BINBYTES:
          this.stack.push(this.bytesOf(this.u8()));
          break;
        case OP.BINBYTES:
          this.stack.push(this.bytesOf(this.u32()));
          break;
        case OP.BINBYTES8:
          this.stack.push(this.bytesOf(this.u64()));
          break;

        case OP.EMPTY_LIST:
          this.stack.push([]);
          break;
        case OP.EMPTY_TUPLE:
          this.stack.push(Object.freeze([]));
          break;
        case OP.EMPTY_DICT:
          this.stack.push(new PickleDict());
          break;
        case OP.MARK:
          this.marks.push(this.stack.length);
          break;
        case OP.TUPLE:
          this.stack.push(Object.freeze(this.popMark(at)));
          break;
        case OP.TUPLE1:
        case OP.TUPLE2:
        case OP.TUPLE3: {
          const n = op - OP.TUPLE1 + 1;
          const items: PickleValue[] = new Array(n);
          for (let i = n - 1; i >= 0; i--) items[i] = this.pop();
          this.stack.push(Object.freeze(items));
          break;
        }
        case OP.APPEND: {
          const item = this.pop();
          this.listOnTop(at).push(item);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark(at);
          const list = this.listOnTop(at);
          for (const item of items) list.push(item);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.dictOnTop(at).set(key, value);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark(at);
          if (items.length % 2 !== 0) this.corrupt(`SETITEMS with an odd number (${items.length}) of keys and values`, at);
          const dict = this.dictOnTop(at);
          for (let i = 0; i < items.length; i += 2) dict.set(items[i], items[i + 1]);
          break;
        }
        case OP.POP:
          this.pop();
          break;
        case OP.POP_MARK:
          this.popMark(at);
          break;
        case OP.DUP:
          this.stack.push(this.top());
          break;

        case OP.BINPUT:
          this.memo.set(this.u8(), this.top());
          break;
        case OP.LONG_BINPUT:
          this.memo.set(this.u32(), this.top());
          break;
        case OP.MEMOIZE:
          this.memo.set(this.memo.size, this.top());
          break;
        case OP.BINGET:
          this.stack.push(this.memoGet(this.u8(), at));
          break;
        case OP.LONG_BINGET:
          this.stack.push(this.memoGet(this.u32(), at));
          break;

        case OP.GLOBAL: {
          const module = this.line();
          const name = this.line();
          this.stack.push(this.global(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.corrupt(`STACK_GLOBAL on ${pickleTypeName(module)} and ${pickleTypeName(name)} instead of two strings`, at);
          this.stack.push(this.global(module as string, name as string));
          break;
        }
        case OP.REDUCE:
        case OP.NEWOBJ: {
          const args = this.pop();
          const callable = this.pop();
          if (!isPickleTuple(args)) this.corrupt(`${op === OP.REDUCE ? 'REDUCE' : 'NEWOBJ'} with ${pickleTypeName(args)} instead of an argument tuple`, at);
          if (!(callable instanceof PickleGlobal) || !callable.behaviour.call) {
            this.corrupt(`${op === OP.REDUCE ? 'REDUCE' : 'NEWOBJ'} calls ${pickleTypeName(callable)}, which is not callable`, at);
          }
          const g = callable as PickleGlobal;
          this.stack.push(g.behaviour.call!(args as PickleTuple));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          const target = this.top();
          if (!(target instanceof PickleDict)) this.corrupt(`BUILD on ${pickleTypeName(target)}`, at);
          (target as PickleDict).state = state;
          break;
        }
        case OP.BINPERSID: {
          const pid = this.pop();
          if (!this.options.persistentLoad) this.corrupt('persistent id, but this pickle is not part of an archive that can resolve it', at);
          this.stack.push(this.options.persistentLoad!(pid));
          break;
        }
        default: {
          const printable = op >= 0x20 && op < 0x7f ? ` ('${String.fromCharCode(op)}')` : '';
          throw new ModelFormatError(this.options.file, `unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}${printable} at byte ${at}`, { hint: HINT_SUBSET });
        }
      }
    }
  }

  private global(module: string, name: string): PickleGlobal {
    const qualifiedName = `${module}.${name}`;
    const behaviour = this.options.globals.get(qualifiedName);
    if (!behaviour) {
      throw new UnsupportedError(
        `${this.options.file}: pickle references \`${qualifiedName}\`, which is not on the allow-list; refused for safety (mamba.ts never runs code from a model file)`,
        { hint: `${HINT_SUBSET}. If you did not make this file, do not open it with torch.load either` },
      );
    }
    return new PickleGlobal(module, name, behaviour);
  }

  private corrupt(message: string, at: number): never {
    throw new ModelFormatError(this.options.file, `${message} (pickle byte ${at})`, { hint: HINT_CORRUPT });
  }

  /** Moves past `n` bytes and returns where they start. */
  private advance(n: number): number {
    const at = this.pos;
    if (n > this.bytes.byteLength - at) {
      throw new ModelFormatError(this.options.file, `pickle ends at byte ${this.bytes.byteLength} before its STOP opcode (needed ${n} more bytes at ${at})`, { hint: HINT_CORRUPT });
    }
    this.pos = at + n;
    return at;
  }

  private checkLength(n: number, what: string): number {
    const left = this.bytes.byteLength - this.pos;
    if (n > left) {
      throw new ModelFormatError(this.options.file, `${what} of ${n} bytes at pickle byte ${this.pos} runs past the end of the pickle (${left} bytes left)`, { hint: HINT_CORRUPT });
    }
    return n;
  }

  private u8(): number {
    return this.bytes[this.advance(1)];
  }
  private u32(): number {
    return this.dv.getUint32(this.advance(4), true);
  }
  private u64(): number {
    const value = this.dv.getBigUint64(this.advance(8), true);
    // Anything past the pickle's own size is caught by checkLength; clamp so the number stays exact.
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }

  private string(n: number): string {
    const at = this.advance(this.checkLength(n, 'string'));
    try {
      return this.utf8.decode(this.bytes.subarray(at, at + n));
    } catch {
      return this.corrupt('string is not valid UTF-8', at);
    }
  }

  private bytesOf(n: number): Uint8Array {
    const at = this.advance(this.checkLength(n, 'bytes object'));
    return this.bytes.slice(at, at + n);
  }

  /** Little-endian two's complement integer of `n` bytes (pickle LONG1 / LONG4). */
  private long(n: number): number | bigint {
    const at = this.advance(this.checkLength(n, 'integer'));
    if (n === 0) return 0;
    let value = 0n;
    for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(this.bytes[at + i]);
    if (this.bytes[at + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
    const small = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
    return small ? Number(value) : value;
  }

  /** A newline-terminated ASCII/UTF-8 line (GLOBAL's module and name). */
  private line(): string {
    const at = this.pos;
    const end = this.bytes.indexOf(0x0a, at);
    if (end < 0) this.corrupt('GLOBAL name without a terminating newline', at);
    this.pos = end + 1;
    try {
      return this.utf8.decode(this.bytes.subarray(at, end));
    } catch {
      return this.corrupt('GLOBAL name is not valid UTF-8', at);
    }
  }

  /** Lowest stack index usable above the innermost MARK. */
  private get floor(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
  }

  private pop(): PickleValue {
    if (this.stack.length <= this.floor) this.corrupt('stack underflow', this.pos - 1);
    return this.stack.pop()!;
  }

  private top(): PickleValue {
    if (this.stack.length <= this.floor) this.corrupt('stack underflow', this.pos - 1);
    return this.stack[this.stack.length - 1];
  }

  /** Pops everything above the innermost MARK, and the mark. */
  private popMark(at: number): PickleValue[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.corrupt('no MARK to pop to', at);
    return this.stack.splice(mark!);
  }

  private listOnTop(at: number): PickleList {
    const list = this.top();
    if (!isPickleList(list)) this.corrupt(`APPEND to ${pickleTypeName(list)} instead of a list`, at);
    return list as PickleList;
  }

  private dictOnTop(at: number): PickleDict {
    const dict = this.top();
    if (!(dict instanceof PickleDict)) this.corrupt(`SETITEM on ${pickleTypeName(dict)} instead of a dict`, at);
    return dict as PickleDict;
  }

  private memoGet(index: number, at: number): PickleValue {
    if (!this.memo.has(index)) this.corrupt(`memo index ${index} read before it was written`, at);
    return this.memo.get(index)!;
  }
}
