import type { ByteSource } from '../io/byte-source.js';

/**
 * A checkpoint directory (Hugging Face or state-spaces layout): config.json plus weight files.
 * The Node implementation is `src/node/node-model-directory.ts`; a browser one could serve fetched files.
 */
export interface ModelDirectory {
  /** Path or label for messages. */
  readonly name: string;
  /** Opens `file` (relative to the directory), or resolves undefined if it does not exist. */
  open(file: string): Promise<ByteSource | undefined>;
  /** Reads `file` as UTF-8 text, or resolves undefined if it does not exist. */
  readText(file: string): Promise<string | undefined>;
}
