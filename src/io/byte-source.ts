/**
 * Random-access bytes: a model file on disk, a fetched buffer, or bytes in memory.
 * The core reads models only through this interface (platform-neutral); `src/node/file-source.ts`
 * implements it over a file descriptor so huge files are never read whole.
 */
export interface ByteSource {
  /** File name or label used in error messages. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /** Reads exactly `length` bytes at `offset` (rejects if the range runs past `size`). */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Sequential output: a file being written, or a growing buffer. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(readonly bytes: Uint8Array, readonly name = '<memory>') {
    this.size = bytes.byteLength;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`${this.name}: read [${offset}, ${offset + length}) past end ${this.size}`);
    }
    return this.bytes.subarray(offset, offset + length);
  }
  async close(): Promise<void> {}
}

export class MemorySink implements ByteSink {
  private chunks: Uint8Array[] = [];
  private nBytes = 0;
  async write(bytes: Uint8Array): Promise<void> {
    this.chunks.push(bytes.slice());
    this.nBytes += bytes.byteLength;
  }
  async close(): Promise<void> {}
  /** All bytes written so far, concatenated. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.nBytes);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }
}
