/**
 * Little-endian reads over a byte prefix of a larger file. Running past the prefix throws `NeedMoreBytes`
 * (the caller reads a longer prefix and parses again); running past the end of the *file* is the
 * caller's `truncated` error. Lengths read from the file are checked against the bytes that remain
 * before anything is allocated, so a corrupt count cannot make us allocate gigabytes.
 */
export class NeedMoreBytes extends Error {
  constructor(readonly needed: number) {
    super(`need ${needed} bytes`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class BinaryCursor {
  private readonly dv: DataView;
  pos = 0;
  constructor(
    readonly bytes: Uint8Array,
    /** Size of the whole file the bytes are a prefix of. */
    readonly fileSize: number = bytes.byteLength,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left in the whole file after the cursor. */
  get remainingInFile(): number {
    return this.fileSize - this.pos;
  }

  ensure(n: number): void {
    if (this.pos + n > this.bytes.byteLength) throw new NeedMoreBytes(this.pos + n);
  }

  u8(): number {
    this.ensure(1);
    return this.dv.getUint8(this.pos++);
  }
  i8(): number {
    this.ensure(1);
    return this.dv.getInt8(this.pos++);
  }
  u16(): number {
    this.ensure(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i16(): number {
    this.ensure(2);
    const v = this.dv.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.ensure(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.ensure(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f32(): number {
    this.ensure(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.ensure(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  u64(): bigint {
    this.ensure(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /**
   * A u64 as a double, without making a BigInt (100k string lengths in a tokenizer header would be 100k BigInts of
   * garbage). Exact below 2^53; larger values come out ≥ 2^53, which every caller refuses as too large anyway.
   */
  u64Number(): number {
    this.ensure(8);
    const lo = this.dv.getUint32(this.pos, true);
    const hi = this.dv.getUint32(this.pos + 4, true);
    this.pos += 8;
    // hi = 0 (every length in a header) returns lo as it is: `0 * 2^32 + lo` would box two doubles per call
    // until V8 optimizes the loop, megabytes of young-generation garbage over a tokenizer's 100k lengths.
    return hi === 0 ? lo : hi * 4294967296 + lo;
  }
  i64(): bigint {
    this.ensure(8);
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** Moves past `n` bytes (checked as a read would be), creating nothing. */
  skip(n: number): void {
    this.ensure(n);
    this.pos += n;
  }
  bytesView(n: number): Uint8Array {
    this.ensure(n);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** Decodes `n` bytes of UTF-8; throws TypeError on invalid UTF-8. */
  utf8(n: number): string {
    return utf8.decode(this.bytesView(n));
  }
}

/** Growable little-endian writer for headers. */
export class BinaryWriter {
  private buf = new Uint8Array(1024);
  private dv = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.byteLength) return;
    let cap = this.buf.byteLength * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.dv.setUint8(this.length, v);
    this.length += 1;
  }
  i8(v: number): void {
    this.reserve(1);
    this.dv.setInt8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2);
    this.dv.setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number): void {
    this.reserve(2);
    this.dv.setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.dv.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.dv.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.dv.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.reserve(8);
    this.dv.setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: bigint | number): void {
    this.reserve(8);
    this.dv.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  i64(v: bigint | number): void {
    this.reserve(8);
    this.dv.setBigInt64(this.length, BigInt(v), true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.byteLength);
    this.buf.set(b, this.length);
    this.length += b.byteLength;
  }
  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Rounds `n` up to a multiple of `alignment`. */
export function alignUp(n: number, alignment: number): number {
  const r = n % alignment;
  return r === 0 ? n : n + alignment - r;
}
