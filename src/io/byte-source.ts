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
  /**
   * Reads exactly `length` bytes at `offset` (rejects if the range runs past `size`). With `into` (of
   * `length` bytes) the bytes land there — e.g. straight in WASM memory, with no copy on the JS heap — and
   * `into` is returned.
   */
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
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
  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`${this.name}: read [${offset}, ${offset + length}) past end ${this.size}`);
    }
    const bytes = this.bytes.subarray(offset, offset + length);
    if (!into) return bytes;
    checkInto(into, length, this.name);
    into.set(bytes);
    return into;
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

/** `into` must be exactly the requested length (a programming error otherwise). */
export function checkInto(into: Uint8Array, length: number, name: string): void {
  if (into.byteLength !== length) throw new RangeError(`${name}: read of ${length} bytes into a buffer of ${into.byteLength}`);
}
