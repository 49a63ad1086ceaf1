import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileAccessError } from '../errors.js';
import type { ByteSource } from '../io/byte-source.js';
import type { ModelDirectory } from '../model/model-directory.js';
import { FileSource } from './file-source.js';

export class NodeModelDirectory implements ModelDirectory {
  constructor(readonly name: string) {}

  async open(file: string): Promise<ByteSource | undefined> {
    try {
      return await FileSource.open(join(this.name, file));
    } catch (e) {
      if (e instanceof FileAccessError && /no such file/.test(e.message)) return undefined;
      throw e;
    }
  }

  async readText(file: string): Promise<string | undefined> {
    try {
      return await readFile(join(this.name, file), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new FileAccessError(`cannot read ${join(this.name, file)}: ${(e as Error).message}`, { cause: e });
    }
  }
}
