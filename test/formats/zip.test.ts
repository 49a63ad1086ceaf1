import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { ModelFormatError, UnsupportedError } from '../../src/errors.js';
import { ZIP64_EOCD, ZIP64_LOCATOR, ZIP_CENTRAL_HEADER, ZIP_EOCD, ZIP_LOCAL_HEADER, ZipArchive, looksLikeZip } from '../../src/formats/zip.js';
import { MemorySource, type ByteSource } from '../../src/io/byte-source.js';

const FIXTURES = new URL('../../../test/fixtures/torch-bin/', import.meta.url);
const GiB = 2 ** 30;

/** Little-endian byte writer for building archives by hand (an oracle independent of src/formats/zip.ts). */
class Writer {
  private bytes: number[] = [];
  u16(v: number): this {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff);
    return this;
  }
  u32(v: number): this {
    return this.u16(v & 0xffff).u16(Math.floor(v / 0x10000) & 0xffff);
  }
  u64(v: number | bigint): this {
    const b = BigInt(v);
    return this.u32(Number(b & 0xffffffffn)).u32(Number(b >> 32n));
  }
  raw(data: Uint8Array | string): this {
    const b = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    for (const x of b) this.bytes.push(x);
    return this;
  }
  get length(): number {
    return this.bytes.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

interface BuildEntry {
  name: string;
  data: Uint8Array;
  method?: number;
  /** Absolute offset of the local header (default: right after the previous entry). */
  at?: number;
  /** Saturate sizes and offset in the central header and give them in a zip64 extra field. */
  zip64Extra?: boolean;
}

interface BuildOptions {
  /** Write the zip64 EOCD + locator, and saturate the classic EOCD fields. */
  zip64?: boolean;
  /** Entry count to claim (default: the real count). */
  claimedEntries?: number | bigint;
  /** Offset of the zip64 EOCD to claim in the locator (default: the real one). */
  claimedZip64Offset?: bigint;
}

interface Segment {
  offset: number;
  bytes: Uint8Array;
}

/** Builds a zip as segments at absolute offsets (gaps are zeros), so archives past 4 GiB cost nothing. */
function buildZip(entries: BuildEntry[], options: BuildOptions = {}): { segments: Segment[]; size: number } {
  const segments: Segment[] = [];
  const central = new Writer();
  let pos = 0;
  for (const e of entries) {
    const at = e.at ?? pos;
    const local = new Writer()
      .u32(0x04034b50).u16(20).u16(0).u16(e.method ?? 0).u16(0).u16(0).u32(0)
      .u32(e.data.length).u32(e.data.length).u16(e.name.length).u16(0)
      .raw(e.name).raw(e.data);
    segments.push({ offset: at, bytes: local.done() });
    pos = at + local.length;
    const extra = e.zip64Extra ? new Writer().u16(1).u16(24).u64(e.data.length).u64(e.data.length).u64(at).done() : new Uint8Array(0);
    const sat = (v: number): number => (e.zip64Extra ? 0xffffffff : v);
    central
      .u32(0x02014b50).u16(45).u16(45).u16(0).u16(e.method ?? 0).u16(0).u16(0).u32(0)
      .u32(sat(e.data.length)).u32(sat(e.data.length)).u16(e.name.length).u16(extra.length).u16(0)
      .u16(0).u16(0).u32(0).u32(sat(at)).raw(e.name).raw(extra);
  }
  const cdOffset = pos;
  const cd = central.done();
  const nEntries = options.claimedEntries ?? entries.length;
  const tail = new Writer().raw(cd);
  if (options.zip64) {
    const zip64Offset = cdOffset + cd.length;
    tail
      .u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0)
      .u64(nEntries).u64(nEntries).u64(cd.length).u64(cdOffset)
      .u32(0x07064b50).u32(0).u64(options.claimedZip64Offset ?? zip64Offset).u32(1)
      .u32(0x06054b50).u16(0).u16(0).u16(0xffff).u16(0xffff).u32(0xffffffff).u32(0xffffffff).u16(0);
  } else {
    const n = Number(nEntries);
    tail.u32(0x06054b50).u16(0).u16(0).u16(n).u16(n).u32(cd.length).u32(cdOffset).u16(0);
  }
  segments.push({ offset: cdOffset, bytes: tail.done() });
  return { segments, size: cdOffset + tail.length };
}

function flatten({ segments, size }: { segments: Segment[]; size: number }): Uint8Array {
  const out = new Uint8Array(size);
  for (const s of segments) out.set(s.bytes, s.offset);
  return out;
}

/** A huge file that is zeros except for a few segments; records every read. */
class SparseSource implements ByteSource {
  readonly name = 'sparse.zip';
  readonly reads: Array<[number, number]> = [];
  constructor(
    private readonly segments: Segment[],
    readonly size: number,
  ) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    assert.ok(offset >= 0 && length >= 0 && offset + length <= this.size, `read [${offset}, ${offset + length}) out of range`);
    this.reads.push([offset, length]);
    const out = new Uint8Array(length);
    for (const s of this.segments) {
      const from = Math.max(offset, s.offset);
      const to = Math.min(offset + length, s.offset + s.bytes.length);
      if (from < to) out.set(s.bytes.subarray(from - s.offset, to - s.offset), from - offset);
    }
    return out;
  }
  async close(): Promise<void> {}
}

const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);
const textOf = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('zip layout constants', () => {
  it('match APPNOTE record sizes', () => {
    assert.equal(ZIP_EOCD.nBytes, 22);
    assert.equal(ZIP64_LOCATOR.nBytes, 20);
    assert.equal(ZIP64_EOCD.nBytes, 56);
    assert.equal(ZIP_CENTRAL_HEADER.nBytes, 46);
    assert.equal(ZIP_LOCAL_HEADER.nBytes, 30);
    assert.equal(ZIP_CENTRAL_HEADER.localHeaderOffset + 4, ZIP_CENTRAL_HEADER.nBytes);
  });
});

describe('ZipArchive on a torch.save archive', () => {
  const bytes = readFileSync(new URL('tensors.bin', FIXTURES));

  it('lists the entries torch writes and reads them', async () => {
    assert.ok(looksLikeZip(bytes));
    // torch writes a zip64 end record + locator even for small files
    const locator = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 22 - 20, 4);
    assert.equal(locator.getUint32(0, true), ZIP64_LOCATOR.signature);
    const zip = await ZipArchive.open(new MemorySource(bytes, 'tensors.bin'));
    const names = zip.entries.map((e) => e.name);
    for (const n of ['tensors/data.pkl', 'tensors/byteorder', 'tensors/version', 'tensors/data/0']) assert.ok(names.includes(n), n);
    assert.equal(textOf(await zip.read(zip.entry('tensors/byteorder')!)), 'little');
    // torch aligns every entry's data to 64 bytes (.storage_alignment)
    for (const e of zip.entries) assert.equal((await zip.dataOffset(e)) % 64, 0, e.name);
    const pkl = await zip.read(zip.entry('tensors/data.pkl')!, 0, 2);
    assert.deepEqual([...pkl], [0x80, 2]); // PROTO 2
  });
});

describe('ZipArchive on hand-built archives', () => {
  it('reads a plain (non-zip64) archive, including slices of an entry', async () => {
    const zip = await ZipArchive.open(new MemorySource(flatten(buildZip([
      { name: 'a/x', data: bytesOf('hello world') },
      { name: 'a/y', data: bytesOf('') },
    ]))));
    assert.deepEqual(zip.entries.map((e) => [e.name, e.nBytes]), [['a/x', 11], ['a/y', 0]]);
    assert.equal(textOf(await zip.read(zip.entry('a/x')!, 6, 5)), 'world');
    assert.equal((await zip.read(zip.entry('a/y')!)).length, 0);
    await assert.rejects(zip.read(zip.entry('a/x')!, 6, 6), ModelFormatError);
  });

  it('reads zip64 extra fields and a zip64 end record, with an entry past 4 GiB, lazily', async () => {
    const farAt = 5 * GiB + 3;
    const built = buildZip([
      { name: 'archive/data/0', data: bytesOf('near'), zip64Extra: true },
      { name: 'archive/data/1', data: bytesOf('far away'), at: farAt, zip64Extra: true },
    ], { zip64: true });
    const source = new SparseSource(built.segments, built.size);
    const zip = await ZipArchive.open(source);
    const far = zip.entry('archive/data/1')!;
    assert.equal(far.localHeaderOffset, farAt);
    assert.equal(far.nBytes, 8);
    // Opening read only the tail, the zip64 records and the central directory: no local header yet.
    const readsLocalHeader = ([offset, length]: [number, number]): boolean => offset === farAt && length === 30;
    assert.ok(!source.reads.some(readsLocalHeader), JSON.stringify(source.reads));
    assert.equal(textOf(await zip.read(far)), 'far away');
    assert.ok(source.reads.some(readsLocalHeader));
    assert.equal(textOf(await zip.read(zip.entry('archive/data/0')!)), 'near');
    assert.equal(await zip.dataOffset(far), farAt + 30 + 'archive/data/1'.length);
  });

  it('refuses a claimed 2^40 entries without allocating', async () => {
    const built = buildZip([{ name: 'x', data: bytesOf('1') }], { zip64: true, claimedEntries: 2n ** 40n });
    await assert.rejects(ZipArchive.open(new MemorySource(flatten(built), 'huge.zip')), (err: unknown) => {
      assert.ok(err instanceof ModelFormatError);
      assert.match(err.message, /^huge\.zip: archive claims 1099511627776 entries/);
      return true;
    });
  });

  it('refuses 64-bit offsets beyond any file', async () => {
    const built = buildZip([{ name: 'x', data: bytesOf('1') }], { zip64: true, claimedZip64Offset: 2n ** 60n });
    await assert.rejects(ZipArchive.open(new MemorySource(flatten(built))), /larger than any file/);
  });

  it('refuses a missing end record and a central directory past the end', async () => {
    await assert.rejects(ZipArchive.open(new MemorySource(new Uint8Array(100))), ModelFormatError);
    await assert.rejects(ZipArchive.open(new MemorySource(new Uint8Array(3))), ModelFormatError);
    const bytes = flatten(buildZip([{ name: 'x', data: bytesOf('abc') }]));
    const dv = new DataView(bytes.buffer);
    dv.setUint32(bytes.length - 22 + ZIP_EOCD.centralDirectoryOffset, 0x7fff0000, true);
    await assert.rejects(ZipArchive.open(new MemorySource(bytes)), /runs past its end record/);
  });

  it('refuses saturated sizes without a zip64 extra field', async () => {
    const bytes = flatten(buildZip([{ name: 'x', data: bytesOf('abc') }]));
    const cdStart = 30 + 1 + 3;
    new DataView(bytes.buffer).setUint32(cdStart + ZIP_CENTRAL_HEADER.uncompressedNBytes, 0xffffffff, true);
    await assert.rejects(ZipArchive.open(new MemorySource(bytes)), /no zip64 extra field/);
  });

  it('refuses duplicate names', async () => {
    const built = buildZip([{ name: 'x', data: bytesOf('a') }, { name: 'x', data: bytesOf('b') }]);
    await assert.rejects(ZipArchive.open(new MemorySource(flatten(built))), /appears twice/);
  });

  it('refuses to read compressed entries, with a typed error, but reads the others', async () => {
    const zip = await ZipArchive.open(new MemorySource(flatten(buildZip([
      { name: 'deflated', data: bytesOf('xx'), method: 8 },
      { name: 'stored', data: bytesOf('ok') },
    ]))));
    await assert.rejects(zip.read(zip.entry('deflated')!), (err: unknown) => {
      assert.ok(err instanceof UnsupportedError);
      assert.match(err.message, /`deflated` is compressed \(deflate\)/);
      return true;
    });
    assert.equal(textOf(await zip.read(zip.entry('stored')!)), 'ok');
  });

  it('refuses a bad local header and data that runs into the central directory', async () => {
    const bytes = flatten(buildZip([{ name: 'x', data: bytesOf('abc') }]));
    const broken = bytes.slice();
    broken[0] = 0; // local header signature
    let zip = await ZipArchive.open(new MemorySource(broken));
    await assert.rejects(zip.read(zip.entry('x')!), /no local header signature/);
    const longName = bytes.slice();
    new DataView(longName.buffer).setUint16(ZIP_LOCAL_HEADER.nameLength, 200, true);
    zip = await ZipArchive.open(new MemorySource(longName));
    await assert.rejects(zip.read(zip.entry('x')!), /runs into the central directory/);
  });
});
