/**
 * Read-only zip archive over a `ByteSource`, for the archives `torch.save` writes (PKWARE APPNOTE 6.3).
 *
 * Only the central directory is read up front: the end-of-central-directory record (EOCD) is found by
 * scanning the file's tail, then the zip64 locator and zip64 EOCD if present (torch always writes them,
 * and needs them past 4 GiB), then the directory itself. Each entry's local header is read only when
 * the entry is first read, to find where its data starts. Only STORED (uncompressed) entries can be read.
 *
 * Every count, size and offset is checked against the file before it is used, so a corrupt archive
 * gives a `ModelFormatError` instead of a huge allocation or an out-of-range read.
 */
import { ModelFormatError, UnsupportedError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';

/** End of central directory record: 22 bytes, then a comment of up to 65535 bytes. */
export const ZIP_EOCD = Object.freeze({
  signature: 0x06054b50,
  nBytes: 22,
  diskNumber: 4, // u16
  centralDirectoryDisk: 6, // u16
  nEntriesOnDisk: 8, // u16
  nEntries: 10, // u16, 0xffff → see zip64 EOCD
  centralDirectoryNBytes: 12, // u32, 0xffffffff → see zip64 EOCD
  centralDirectoryOffset: 16, // u32, 0xffffffff → see zip64 EOCD
  commentLength: 20, // u16
  maxCommentLength: 0xffff,
});

/** Zip64 end of central directory locator: 20 bytes, immediately before the EOCD. */
export const ZIP64_LOCATOR = Object.freeze({
  signature: 0x07064b50,
  nBytes: 20,
  eocdDisk: 4, // u32
  eocdOffset: 8, // u64
  nDisks: 16, // u32
});

/** Zip64 end of central directory record: 56 bytes (+ extensible data we skip). */
export const ZIP64_EOCD = Object.freeze({
  signature: 0x06064b50,
  nBytes: 56,
  recordNBytes: 4, // u64, size of the rest of the record (excluding these first 12 bytes)
  diskNumber: 16, // u32
  centralDirectoryDisk: 20, // u32
  nEntriesOnDisk: 24, // u64
  nEntries: 32, // u64
  centralDirectoryNBytes: 40, // u64
  centralDirectoryOffset: 48, // u64
});

/** Central directory file header: 46 bytes, then name, extra field and comment. */
export const ZIP_CENTRAL_HEADER = Object.freeze({
  signature: 0x02014b50,
  nBytes: 46,
  flags: 8, // u16
  method: 10, // u16
  compressedNBytes: 20, // u32, 0xffffffff → zip64 extra
  uncompressedNBytes: 24, // u32, 0xffffffff → zip64 extra
  nameLength: 28, // u16
  extraLength: 30, // u16
  commentLength: 32, // u16
  diskStart: 34, // u16, 0xffff → zip64 extra
  localHeaderOffset: 42, // u32, 0xffffffff → zip64 extra
});

/** Local file header: 30 bytes, then name and extra field, then the entry's data. */
export const ZIP_LOCAL_HEADER = Object.freeze({
  signature: 0x04034b50,
  nBytes: 30,
  nameLength: 26, // u16
  extraLength: 28, // u16
});

/**
 * Zip64 extended information extra field (header id 1). Its body holds, in this order, a u64 for each of
 * uncompressed size, compressed size and local header offset, then a u32 disk number — but only for
 * the fields whose central-header value is saturated (0xffffffff / 0xffff).
 */
export const ZIP64_EXTRA_ID = 0x0001;

export const ZIP_METHOD_STORED = 0;
const ZIP_FLAG_ENCRYPTED = 0x0001;
const U16_SATURATED = 0xffff;
const U32_SATURATED = 0xffffffff;

/** Compression method names, for error messages. */
const METHOD_NAMES: Readonly<Record<number, string>> = { 0: 'stored', 8: 'deflate', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz' };

/** A central directory larger than this is refused (torch's are a few hundred bytes per tensor). */
const MAX_CENTRAL_DIRECTORY_NBYTES = 64 << 20;

const HINT_CORRUPT = 'the file is truncated or corrupt: download or save it again';

export interface ZipEntry {
  readonly name: string;
  /** Compression method (0 = stored, 8 = deflate). */
  readonly method: number;
  /** General-purpose bit flags. */
  readonly flags: number;
  /** Size of the entry's data once uncompressed. */
  readonly nBytes: number;
  /** Size of the entry's data in the archive. */
  readonly compressedNBytes: number;
  readonly localHeaderOffset: number;
}

/** True if `head` (the first bytes of a file) starts like a zip archive. */
export function looksLikeZip(head: Uint8Array): boolean {
  if (head.byteLength < 4) return false;
  const sig = (head[0] | (head[1] << 8) | (head[2] << 16) | (head[3] << 24)) >>> 0;
  return sig === ZIP_LOCAL_HEADER.signature || sig === ZIP_EOCD.signature;
}

export class ZipArchive {
  readonly entries: readonly ZipEntry[];
  private readonly byName: Map<string, ZipEntry>;
  private readonly dataOffsets = new Map<ZipEntry, Promise<number>>();

  private constructor(
    readonly source: ByteSource,
    entries: ZipEntry[],
    /** Where the central directory starts; every entry's data must end before it. */
    private readonly centralDirectoryOffset: number,
  ) {
    this.entries = Object.freeze(entries);
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Reads the central directory of the zip archive in `source`. */
  static async open(source: ByteSource): Promise<ZipArchive> {
    const end = await readEndOfCentralDirectory(source);
    const directory = await source.read(end.centralDirectoryOffset, end.centralDirectoryNBytes);
    const entries = parseCentralDirectory(source.name, directory, end.nEntries);
    return new ZipArchive(source, entries, end.centralDirectoryOffset);
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** Offset in the file of the first byte of a stored entry's data (reads its local header once). */
  dataOffset(entry: ZipEntry): Promise<number> {
    let offset = this.dataOffsets.get(entry);
    if (!offset) {
      offset = this.readDataOffset(entry);
      this.dataOffsets.set(entry, offset);
    }
    return offset;
  }

  /** Reads `length` bytes at `byteOffset` within the data of a stored entry. */
  async read(entry: ZipEntry, byteOffset = 0, length = entry.nBytes - byteOffset): Promise<Uint8Array> {
    if (!Number.isSafeInteger(byteOffset) || !Number.isSafeInteger(length) || byteOffset < 0 || length < 0 || byteOffset + length > entry.nBytes) {
      throw new ModelFormatError(this.source.name, `read of ${length} bytes at ${byteOffset} runs past the end of zip entry \`${entry.name}\` (${entry.nBytes} bytes)`, { hint: HINT_CORRUPT });
    }
    const start = await this.dataOffset(entry);
    return this.source.read(start + byteOffset, length);
  }

  private async readDataOffset(entry: ZipEntry): Promise<number> {
    const file = this.source.name;
    if (entry.flags & ZIP_FLAG_ENCRYPTED) {
      throw new UnsupportedError(`${file}: zip entry \`${entry.name}\` is encrypted`, { hint: 'save the checkpoint again without encryption' });
    }
    if (entry.method !== ZIP_METHOD_STORED) {
      const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
      throw new UnsupportedError(`${file}: zip entry \`${entry.name}\` is compressed (${method}); only stored (uncompressed) entries can be read`, {
        hint: 'torch.save writes uncompressed archives: load and save the checkpoint again with torch.save, or convert it to safetensors, instead of re-zipping it',
      });
    }
    if (entry.compressedNBytes !== entry.nBytes) {
      throw new ModelFormatError(file, `stored zip entry \`${entry.name}\` has compressed size ${entry.compressedNBytes} ≠ size ${entry.nBytes}`, { hint: HINT_CORRUPT });
    }
    const L = ZIP_LOCAL_HEADER;
    if (entry.localHeaderOffset + L.nBytes > this.centralDirectoryOffset) {
      throw new ModelFormatError(file, `local header of zip entry \`${entry.name}\` at ${entry.localHeaderOffset} lies past the central directory`, { hint: HINT_CORRUPT });
    }
    const header = await this.source.read(entry.localHeaderOffset, L.nBytes);
    const dv = viewOf(header);
    if (dv.getUint32(0, true) !== L.signature) {
      throw new ModelFormatError(file, `no local header signature for zip entry \`${entry.name}\` at offset ${entry.localHeaderOffset}`, { hint: HINT_CORRUPT });
    }
    const start = entry.localHeaderOffset + L.nBytes + dv.getUint16(L.nameLength, true) + dv.getUint16(L.extraLength, true);
    if (start + entry.nBytes > this.centralDirectoryOffset) {
      throw new ModelFormatError(file, `data of zip entry \`${entry.name}\` (${entry.nBytes} bytes at ${start}) runs into the central directory at ${this.centralDirectoryOffset}`, { hint: HINT_CORRUPT });
    }
    return start;
  }
}

interface EndOfCentralDirectory {
  nEntries: number;
  centralDirectoryNBytes: number;
  centralDirectoryOffset: number;
}

/** Finds the EOCD (and the zip64 EOCD, if any) and checks the central directory it points to. */
async function readEndOfCentralDirectory(source: ByteSource): Promise<EndOfCentralDirectory> {
  const file = source.name;
  const fail = (message: string): never => {
    throw new ModelFormatError(file, message, { hint: HINT_CORRUPT });
  };
  const E = ZIP_EOCD;
  if (source.size < E.nBytes) fail(`file is ${source.size} bytes, too small for a zip archive`);
  const tailNBytes = Math.min(source.size, E.nBytes + E.maxCommentLength);
  const tailStart = source.size - tailNBytes;
  const tail = await source.read(tailStart, tailNBytes);
  const tv = viewOf(tail);

  // The EOCD is the last signature whose comment ends exactly at the end of the file.
  let at = -1;
  for (let i = tailNBytes - E.nBytes; i >= 0; i--) {
    if (tv.getUint32(i, true) === E.signature && i + E.nBytes + tv.getUint16(i + E.commentLength, true) === tailNBytes) {
      at = i;
      break;
    }
  }
  if (at < 0) fail('no zip end-of-central-directory record found (not a zip archive, or truncated)');
  if (tv.getUint16(at + E.diskNumber, true) !== 0 || tv.getUint16(at + E.centralDirectoryDisk, true) !== 0) {
    throw new UnsupportedError(`${file}: multi-part (split) zip archives are not supported`, { hint: 'join the parts into one file' });
  }
  const eocdOffset = tailStart + at;
  let result: EndOfCentralDirectory = {
    nEntries: tv.getUint16(at + E.nEntries, true),
    centralDirectoryNBytes: tv.getUint32(at + E.centralDirectoryNBytes, true),
    centralDirectoryOffset: tv.getUint32(at + E.centralDirectoryOffset, true),
  };
  let directoryEnd = eocdOffset;

  const locatorOffset = eocdOffset - ZIP64_LOCATOR.nBytes;
  if (locatorOffset >= 0) {
    const locator = await source.read(locatorOffset, ZIP64_LOCATOR.nBytes);
    const lv = viewOf(locator);
    if (lv.getUint32(0, true) === ZIP64_LOCATOR.signature) {
      const Z = ZIP64_EOCD;
      const zip64Offset = readU64(file, lv, ZIP64_LOCATOR.eocdOffset, 'zip64 end-of-central-directory offset');
      if (zip64Offset + Z.nBytes > locatorOffset) fail(`zip64 end-of-central-directory offset ${zip64Offset} lies past its locator at ${locatorOffset}`);
      const zv = viewOf(await source.read(zip64Offset, Z.nBytes));
      if (zv.getUint32(0, true) !== Z.signature) fail(`no zip64 end-of-central-directory record at offset ${zip64Offset}`);
      if (zv.getUint32(Z.diskNumber, true) !== 0 || zv.getUint32(Z.centralDirectoryDisk, true) !== 0) {
        throw new UnsupportedError(`${file}: multi-part (split) zip archives are not supported`, { hint: 'join the parts into one file' });
      }
      result = {
        nEntries: readU64(file, zv, Z.nEntries, 'zip64 entry count'),
        centralDirectoryNBytes: readU64(file, zv, Z.centralDirectoryNBytes, 'zip64 central directory size'),
        centralDirectoryOffset: readU64(file, zv, Z.centralDirectoryOffset, 'zip64 central directory offset'),
      };
      directoryEnd = zip64Offset;
    }
  }

  const { nEntries, centralDirectoryNBytes, centralDirectoryOffset } = result;
  if (centralDirectoryOffset + centralDirectoryNBytes > directoryEnd) {
    fail(`central directory (${centralDirectoryNBytes} bytes at ${centralDirectoryOffset}) runs past its end record at ${directoryEnd}`);
  }
  if (nEntries * ZIP_CENTRAL_HEADER.nBytes > centralDirectoryNBytes) {
    fail(`archive claims ${nEntries} entries but its central directory is only ${centralDirectoryNBytes} bytes`);
  }
  if (centralDirectoryNBytes > MAX_CENTRAL_DIRECTORY_NBYTES) {
    throw new UnsupportedError(`${file}: zip central directory of ${centralDirectoryNBytes} bytes is larger than the ${MAX_CENTRAL_DIRECTORY_NBYTES >> 20} MiB limit`, {
      hint: 'this is not a model checkpoint as torch.save writes it; convert it to safetensors',
    });
  }
  return result;
}

function parseCentralDirectory(file: string, directory: Uint8Array, nEntries: number): ZipEntry[] {
  const fail = (message: string): never => {
    throw new ModelFormatError(file, message, { hint: HINT_CORRUPT });
  };
  const C = ZIP_CENTRAL_HEADER;
  const dv = viewOf(directory);
  const decoder = new TextDecoder('utf-8');
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let pos = 0;
  for (let i = 0; i < nEntries; i++) {
    if (pos + C.nBytes > directory.byteLength) fail(`central directory ends inside entry ${i} of ${nEntries}`);
    if (dv.getUint32(pos, true) !== C.signature) fail(`bad central directory header signature for entry ${i} (offset ${pos} in the directory)`);
    const nameLength = dv.getUint16(pos + C.nameLength, true);
    const extraLength = dv.getUint16(pos + C.extraLength, true);
    const commentLength = dv.getUint16(pos + C.commentLength, true);
    const nameStart = pos + C.nBytes;
    const extraStart = nameStart + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > directory.byteLength) fail(`central directory ends inside the name, extra field or comment of entry ${i}`);
    const name = decoder.decode(directory.subarray(nameStart, extraStart));

    let uncompressedNBytes = dv.getUint32(pos + C.uncompressedNBytes, true);
    let compressedNBytes = dv.getUint32(pos + C.compressedNBytes, true);
    let localHeaderOffset = dv.getUint32(pos + C.localHeaderOffset, true);
    let diskStart = dv.getUint16(pos + C.diskStart, true);
    const needsZip64 = uncompressedNBytes === U32_SATURATED || compressedNBytes === U32_SATURATED || localHeaderOffset === U32_SATURATED || diskStart === U16_SATURATED;
    if (needsZip64) {
      const extra = findExtraField(directory.subarray(extraStart, extraStart + extraLength), ZIP64_EXTRA_ID);
      if (!extra) fail(`zip entry \`${name}\` has saturated sizes or offset but no zip64 extra field`);
      const ev = viewOf(extra!);
      let at = 0;
      const next64 = (what: string): number => {
        if (at + 8 > extra!.byteLength) fail(`zip64 extra field of entry \`${name}\` is too short for its ${what}`);
        const value = readU64(file, ev, at, `zip64 ${what} of entry \`${name}\``);
        at += 8;
        return value;
      };
      if (uncompressedNBytes === U32_SATURATED) uncompressedNBytes = next64('size');
      if (compressedNBytes === U32_SATURATED) compressedNBytes = next64('compressed size');
      if (localHeaderOffset === U32_SATURATED) localHeaderOffset = next64('local header offset');
      if (diskStart === U16_SATURATED) {
        if (at + 4 > extra!.byteLength) fail(`zip64 extra field of entry \`${name}\` is too short for its disk number`);
        diskStart = ev.getUint32(at, true);
      }
    }
    if (diskStart !== 0) {
      throw new UnsupportedError(`${file}: zip entry \`${name}\` starts on disk ${diskStart}; multi-part (split) zip archives are not supported`, { hint: 'join the parts into one file' });
    }
    if (seen.has(name)) fail(`zip entry \`${name}\` appears twice in the central directory`);
    seen.add(name);
    entries.push(Object.freeze({
      name,
      method: dv.getUint16(pos + C.method, true),
      flags: dv.getUint16(pos + C.flags, true),
      nBytes: uncompressedNBytes,
      compressedNBytes,
      localHeaderOffset,
    }));
    pos = next;
  }
  return entries;
}

/** The body of the first extra-field block with header id `id`, or undefined. Blocks: u16 id, u16 size, body. */
function findExtraField(extra: Uint8Array, id: number): Uint8Array | undefined {
  const dv = viewOf(extra);
  let pos = 0;
  while (pos + 4 <= extra.byteLength) {
    const blockId = dv.getUint16(pos, true);
    const size = dv.getUint16(pos + 2, true);
    const body = pos + 4;
    if (body + size > extra.byteLength) return undefined;
    if (blockId === id) return extra.subarray(body, body + size);
    pos = body + size;
  }
  return undefined;
}

function readU64(file: string, dv: DataView, at: number, what: string): number {
  const value = dv.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ModelFormatError(file, `${what} ${value} is larger than any file`, { hint: HINT_CORRUPT });
  }
  return Number(value);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
