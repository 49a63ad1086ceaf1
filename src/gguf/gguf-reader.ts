/**
 * GGUF v2/v3 reader (the file format of ggml / llama.cpp).
 *
 *   magic "GGUF" | version u32 | n_tensors u64 | n_kv u64
 *   n_kv × (key: string, type: u32, value)            string = u64 length + UTF-8 bytes
 *   n_tensors × (name: string, n_dims u32, ne: u64[n_dims], type u32, offset u64)
 *   padding to `general.alignment` (default 32) | tensor data (each at `offset` from here)
 *
 * ggml stores dims innermost first (`ne[0]` is the row length). We reverse them here, once, so every
 * shape in mamba.ts is outer-first like PyTorch: `token_embd.weight` is [nVocab, dModel].
 */
import { ModelFormatError } from '../errors.js';
import { ggmlTypeById, tensorBytes, type GGMLTypeTraits } from '../ggml/ggml-type.js';
import { BinaryCursor, NeedMoreBytes, alignUp } from '../io/binary-cursor.js';
import type { ByteSource } from '../io/byte-source.js';
import type { TensorEntry } from '../model/tensor-entry.js';
import { GGUFMetadata } from './gguf-metadata.js';
import { isValidUtf8 } from '../io/is-valid-utf8.js';
import { LazyGGUFArray, valueTypeById, valueTypeByName, type GGUFArray, type GGUFPlain, type GGUFScalarType, type GGUFType } from './gguf-value.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGML_MAX_DIMS = 4;
/** Arrays nested deeper than this are refused (a corrupt file could otherwise recurse without bound). */
const MAX_ARRAY_DEPTH = 8;
const MAX_STRING_BYTES = 1 << 30;
/** Arrays at least this long are kept encoded until read (LazyGGUFArray); shorter ones are decoded at once. */
export const LAZY_ARRAY_MIN_ITEMS = 1024;

export interface GGUFTensorInfo {
  readonly name: string;
  readonly type: GGMLTypeTraits;
  /** Outer-first (PyTorch order). */
  readonly shape: readonly number[];
  /** Absolute byte offset of the data in the file. */
  readonly byteOffset: number;
  readonly nBytes: number;
}

export interface GGUFHeader {
  readonly version: number;
  readonly metadata: GGUFMetadata;
  readonly tensors: readonly GGUFTensorInfo[];
  readonly alignment: number;
  /** Absolute offset of the tensor data section. */
  readonly dataOffset: number;
}

export interface GGUFFile extends GGUFHeader {
  readonly source: ByteSource;
  /** The tensors as lazily-read entries. */
  tensorEntries(): TensorEntry[];
  /**
   * Frees the header buffer (~2 MB for a tokenizer's arrays) now rather than at some later GC: the long
   * metadata arrays (LazyGGUFArray) view it, and reading one afterwards throws. Scalars stay readable.
   */
  release(): void;
}

class HeaderParser {
  constructor(
    private readonly c: BinaryCursor,
    private readonly file: string,
  ) {}

  fail(what: string, hint?: string): never {
    throw new ModelFormatError(this.file, what, { hint });
  }

  /** A u64 count, checked against the bytes left in the file at `minBytesEach` bytes per item. */
  count(what: string, minBytesEach: number): number {
    const n = this.c.u64();
    const left = this.c.remainingInFile;
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || Number(n) * minBytesEach > left) {
      this.fail(
        `${what} is ${n}, but only ${left} bytes remain in the file (at least ${minBytesEach} per item): the file is corrupt or truncated`,
      );
    }
    return Number(n);
  }

  /**
   * A string's u64 byte length, checked against what is left of the file; `index` names an array item. Read as a
   * double: the 100k lengths of a tokenizer make no BigInt each (the exact value is read only for the error).
   */
  stringLength(what: string, index = -1): number {
    const at = this.c.pos;
    const len = this.c.u64Number();
    if (len > Math.min(this.c.remainingInFile, MAX_STRING_BYTES)) {
      this.c.pos = at;
      this.fail(`${what}${index >= 0 ? `[${index}]` : ''}: string length ${this.c.u64()} at byte ${at} runs past the end of the file`);
    }
    return len;
  }

  string(what: string): string {
    const len = this.stringLength(what);
    try {
      return this.c.utf8(len);
    } catch (e) {
      if (e instanceof NeedMoreBytes) throw e;
      this.fail(`${what}: invalid UTF-8 in string at byte ${this.c.pos}`);
    }
  }

  valueType(what: string): GGUFType {
    const id = this.c.u32();
    const row = valueTypeById(id);
    if (!row) this.fail(`${what}: unknown metadata value type ${id} (valid: 0-12)`);
    return row.name;
  }

  value(type: GGUFType, what: string, depth: number): GGUFPlain {
    if (type === 'string') return this.string(what);
    if (type === 'array') {
      if (depth >= MAX_ARRAY_DEPTH) this.fail(`${what}: arrays nested more than ${MAX_ARRAY_DEPTH} deep`);
      const itemType = this.valueType(what);
      const n = this.count(`${what}: array length`, valueTypeByName(itemType).minBytes);
      if (n >= LAZY_ARRAY_MIN_ITEMS && itemType !== 'array') return this.lazyArray(itemType, n, what);
      const items: GGUFPlain[] = new Array(n);
      for (let i = 0; i < n; i++) items[i] = this.value(itemType, what, depth + 1);
      return { itemType, items } satisfies GGUFArray;
    }
    return valueTypeByName(type).read!(this.c);
  }

  /**
   * A long array of scalars or strings: its bytes are checked here (string lengths, UTF-8) without creating the
   * items, which are decoded only when asked for (LazyGGUFArray).
   */
  lazyArray(itemType: GGUFScalarType, n: number, what: string): LazyGGUFArray {
    const c = this.c;
    const start = c.pos;
    if (itemType === 'string') {
      for (let i = 0; i < n; i++) {
        const len = this.stringLength(what, i);
        const at = c.pos;
        c.skip(len);
        if (!isValidUtf8(c.bytes, at, c.pos)) this.fail(`${what}[${i}]: invalid UTF-8 in string at byte ${at}`);
      }
    } else {
      c.skip(n * valueTypeByName(itemType).minBytes);
    }
    // A view, not a copy: the header buffer stays (its size), nothing else is allocated.
    return new LazyGGUFArray(itemType, n, c.bytes.subarray(start, c.pos), decodeItems(itemType));
  }

  parse(): GGUFHeader {
    const c = this.c;
    const magic = c.u32();
    if (magic !== GGUF_MAGIC) {
      const got = Array.from(c.bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      this.fail(`not a GGUF file (magic bytes ${got}, expected 47 47 55 46 "GGUF")`, 'pass a .gguf file, or a model directory with config.json');
    }
    const version = c.u32();
    if (version === 1) this.fail('GGUF version 1 is not supported (it predates 64-bit counts)', 'reconvert the model with a current converter');
    if (version > 0xffff) this.fail(`GGUF version ${version} looks byte-swapped: big-endian GGUF files are not supported`);
    if (version !== 2 && version !== 3) this.fail(`unsupported GGUF version ${version} (supported: 2, 3)`);

    const nTensors = this.count('tensor count', 24);
    const nKV = this.count('metadata key/value count', 12);

    const metadata = new GGUFMetadata(this.file);
    for (let i = 0; i < nKV; i++) {
      const key = this.string(`metadata key #${i}`);
      if (metadata.has(key)) this.fail(`duplicate metadata key \`${key}\``);
      const type = this.valueType(`metadata \`${key}\``);
      metadata.set(key, type, this.value(type, `metadata \`${key}\``, 0));
    }

    let alignment = GGUF_DEFAULT_ALIGNMENT;
    const al = metadata.raw('general.alignment');
    if (al !== undefined) {
      const v = al.value;
      if (al.type !== 'uint32' || typeof v !== 'number' || v === 0 || (v & (v - 1)) !== 0) {
        this.fail(`general.alignment must be a power-of-two uint32, got ${al.type} ${String(v)}`);
      }
      alignment = v;
    }

    const infos: { name: string; type: GGMLTypeTraits; shape: number[]; offset: number }[] = [];
    const names = new Set<string>();
    for (let i = 0; i < nTensors; i++) {
      const name = this.string(`tensor #${i} name`);
      if (names.has(name)) this.fail(`duplicate tensor name \`${name}\``);
      names.add(name);
      const nDims = c.u32();
      if (nDims > GGML_MAX_DIMS) this.fail(`tensor \`${name}\` has ${nDims} dimensions (at most ${GGML_MAX_DIMS})`);
      const ne: number[] = [];
      let nElements = 1;
      for (let d = 0; d < nDims; d++) {
        const v = c.u64();
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`tensor \`${name}\` dimension ${d} is absurd (${v})`);
        ne.push(Number(v));
        nElements *= Number(v);
      }
      if (nElements > Number.MAX_SAFE_INTEGER) this.fail(`tensor \`${name}\` has an absurd element count`);
      const typeId = c.u32();
      const type = ggmlTypeById(typeId);
      if (!type) this.fail(`tensor \`${name}\` has unknown ggml type id ${typeId}`, 'the file may be corrupt or from a newer ggml');
      const offset = c.u64();
      if (offset > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`tensor \`${name}\` data offset is absurd (${offset})`);
      // ggml order (innermost first) → outer-first, the one place this is reversed.
      infos.push({ name, type, shape: ne.reverse(), offset: Number(offset) });
    }

    const dataOffset = alignUp(c.pos, alignment);
    const tensors: GGUFTensorInfo[] = infos.map(({ name, type, shape, offset }) => {
      const nBytes = tensorBytes(type, shape);
      if (nBytes === undefined) {
        this.fail(`tensor \`${name}\` (${type.name}) has row length ${shape[shape.length - 1]}, not a multiple of the block size ${type.blockSize}`);
      }
      if (offset % alignment !== 0) this.fail(`tensor \`${name}\` data offset ${offset} is not aligned to ${alignment}`);
      const byteOffset = dataOffset + offset;
      if (byteOffset + nBytes > c.fileSize) {
        this.fail(
          `tensor \`${name}\` data [${byteOffset}, ${byteOffset + nBytes}) runs past the end of the file (${c.fileSize} bytes)`,
          'the file is truncated: download or convert it again',
        );
      }
      return { name, type, shape, byteOffset, nBytes };
    });
    return { version, metadata, tensors, alignment, dataOffset };
  }
}

/** Decodes `n` items of `itemType` (already checked by HeaderParser.lazyArray). */
function decodeItems(itemType: GGUFScalarType): (bytes: Uint8Array, n: number) => GGUFPlain[] {
  const read = valueTypeByName(itemType).read;
  return (bytes, n) => {
    const c = new BinaryCursor(bytes);
    const items: GGUFPlain[] = new Array(n);
    if (read === undefined) for (let i = 0; i < n; i++) items[i] = c.utf8(c.u64Number()); // strings
    else for (let i = 0; i < n; i++) items[i] = read(c);
    return items;
  };
}

/** Parses a GGUF header from a prefix of the file. Throws NeedMoreBytes when the prefix is too short. */
export function parseGGUFHeader(bytes: Uint8Array, fileSize: number, fileName: string): GGUFHeader {
  return new HeaderParser(new BinaryCursor(bytes, fileSize), fileName).parse();
}

/** ES2024 resizable ArrayBuffer (Node 20, current browsers). Where the option is unknown it is a fixed buffer. */
type GrowableBuffer = ArrayBuffer & { readonly resizable?: boolean; readonly maxByteLength?: number; resize?(byteLength: number): void };
/**
 * Largest header grown in place. A larger one (absurd, but legal) is read into a fresh buffer per attempt, as
 * it is where resizable buffers are missing (older browsers) or with `growInPlace: false` (tests).
 */
const GROW_IN_PLACE_MAX_BYTES = 1 << 30;

/**
 * Reads the header of a GGUF file (reading only as much of the file as the header needs). The prefix grows
 * in place — one resizable buffer, each attempt reading only the new bytes — so a 2 MB tokenizer header does
 * not leave a 1 MB and a 2 MB read behind as garbage; the long arrays keep views of it (LazyGGUFArray).
 */
export async function readGGUF(source: ByteSource, opts: { growInPlace?: boolean } = {}): Promise<GGUFFile> {
  if (source.size < 24) throw new ModelFormatError(source.name, `file is ${source.size} bytes, too small for a GGUF header`, { hint: 'the file is truncated or not a GGUF file' });
  let prefix = Math.min(source.size, 1 << 20);
  const buffer = new (ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => GrowableBuffer)(
    prefix, { maxByteLength: Math.max(prefix, Math.min(source.size, GROW_IN_PLACE_MAX_BYTES)) },
  );
  let have = 0;
  for (;;) {
    let bytes: Uint8Array;
    if ((opts.growInPlace ?? true) && buffer.resizable && buffer.resize && prefix <= (buffer.maxByteLength ?? 0)) {
      if (buffer.byteLength < prefix) buffer.resize(prefix);
      await source.read(have, prefix - have, new Uint8Array(buffer, have, prefix - have));
      have = prefix;
      bytes = new Uint8Array(buffer, 0, prefix);
    } else {
      bytes = await source.read(0, prefix);
    }
    try {
      const header = parseGGUFHeader(bytes, source.size, source.name);
      const grown = bytes.buffer === buffer;
      return {
        ...header,
        source,
        release: () => {
          for (const [, v] of header.metadata.entries()) if (v.value instanceof LazyGGUFArray) v.value.release();
          // a resizable buffer gives its pages back at once when shrunk (V8 decommits them)
          if (grown && buffer.resize) buffer.resize(0);
        },
        tensorEntries: () =>
          header.tensors.map((t) => ({
            name: t.name,
            type: t.type,
            shape: t.shape,
            nBytes: t.nBytes,
            read: (into?: Uint8Array) => source.read(t.byteOffset, t.nBytes, into),
          })),
      };
    } catch (e) {
      if (!(e instanceof NeedMoreBytes)) throw e;
      if (prefix >= source.size) {
        throw new ModelFormatError(source.name, `header is truncated (needs ${e.needed} bytes, file has ${source.size})`, {
          hint: 'the file is incomplete: download or convert it again',
        });
      }
      prefix = Math.min(source.size, Math.max(prefix * 2, e.needed));
    }
  }
}
