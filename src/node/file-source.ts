/** ByteSource / ByteSink over local files (Node). Reads at offsets; never loads a whole file. */
import { open, type FileHandle } from 'node:fs/promises';
import { FileAccessError, ModelFormatError } from '../errors.js';
import { checkInto, type ByteSink, type ByteSource } from '../io/byte-source.js';

function accessError(path: string, e: unknown, doing: string): FileAccessError {
  const code = (e as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such file or directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'EISDIR' ? 'is a directory'
    : code === 'ENOSPC' ? 'no space left on the device'
    : (e as Error).message;
  return new FileAccessError(`cannot ${doing} ${path}: ${why}`, { cause: e });
}

export class FileSource implements ByteSource {
  private constructor(
    private readonly fh: FileHandle,
    readonly name: string,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      throw accessError(path, e, 'open');
    }
    const st = await fh.stat();
    if (st.isDirectory()) {
      await fh.close();
      throw new FileAccessError(`cannot read ${path}: is a directory`);
    }
    return new FileSource(fh, path, st.size);
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new ModelFormatError(this.name, `read of ${length} bytes at ${offset} runs past the end of the file (${this.size} bytes)`, {
        hint: 'the file is truncated',
      });
    }
    if (into) checkInto(into, length, this.name);
    const buf = into ?? new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.fh.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new ModelFormatError(this.name, `unexpected end of file at ${offset + done}`, { hint: 'the file changed or is truncated' });
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/**
 * Writes a file through a temporary name and renames it into place on close, so an interrupted
 * conversion never leaves a half-written file under the final name.
 */
export class FileSink implements ByteSink {
  private constructor(
    private readonly fh: FileHandle,
    private readonly tmpPath: string,
    readonly path: string,
  ) {}
  bytesWritten = 0;

  static async create(path: string): Promise<FileSink> {
    const tmp = `${path}.partial`;
    try {
      return new FileSink(await open(tmp, 'w'), tmp, path);
    } catch (e) {
      throw accessError(path, e, 'create');
    }
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      let done = 0;
      while (done < bytes.byteLength) {
        const { bytesWritten } = await this.fh.write(bytes, done, bytes.byteLength - done);
        done += bytesWritten;
      }
      this.bytesWritten += bytes.byteLength;
    } catch (e) {
      throw accessError(this.path, e, 'write');
    }
  }

  async close(): Promise<void> {
    const { rename } = await import('node:fs/promises');
    await this.fh.close();
    await rename(this.tmpPath, this.path);
  }

  /** Abandons the file (removes the partial output). */
  async abort(): Promise<void> {
    const { rm } = await import('node:fs/promises');
    await this.fh.close().catch(() => undefined);
    await rm(this.tmpPath, { force: true });
  }
}
