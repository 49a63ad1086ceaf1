/**
 * Loading a tokenizer from disk (Node only: this file and the CLI are the tokenizer's only users of node:fs).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FileAccessError, TokenizerError } from '../errors.js';
import { tokenizerFromJson } from './from-tokenizer-json.js';
import { tokenizerFromGGUF } from './from-gguf.js';
import { readGGUF } from '../gguf/gguf-reader.js';
import { FileSource } from '../node/file-source.js';
import type { Tokenizer } from './tokenizer.js';

const NEOX_HINT = 'state-spaces Mamba checkpoints ship no tokenizer: pass --tokenizer with the GPT-NeoX-20B tokenizer.json.';

/** Reads and parses a Hugging Face tokenizer.json. */
export async function loadTokenizerJsonFile(path: string): Promise<Tokenizer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(`${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, {
      hint: code === 'ENOENT' ? NEOX_HINT : undefined,
      cause: e,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TokenizerError(`${path}: not valid JSON (${(e as Error).message})`, {
      hint: 'A tokenizer.json is the JSON file Hugging Face `tokenizers` saves.',
      cause: e,
    });
  }
  return tokenizerFromJson(json, path);
}

/**
 * The tokenizer of a model: a directory holding tokenizer.json, a tokenizer.json itself, or a .gguf file
 * (its `tokenizer.ggml.*` metadata).
 */
export async function loadTokenizerForModel(path: string): Promise<Tokenizer> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (e) {
    throw new FileAccessError(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, { cause: e });
  }
  if (isDirectory) {
    const file = join(path, 'tokenizer.json');
    const found = await stat(file).then(() => true, () => false);
    if (!found) throw new FileAccessError(`${path}: no tokenizer.json in this directory`, { hint: NEOX_HINT });
    return loadTokenizerJsonFile(file);
  }
  if (path.toLowerCase().endsWith('.json')) return loadTokenizerJsonFile(path);
  if (path.toLowerCase().endsWith('.gguf')) {
    // Only the header is read: the tokenizer is in the metadata.
    const source = await FileSource.open(path);
    try {
      return tokenizerFromGGUF((await readGGUF(source)).metadata, path);
    } finally {
      await source.close();
    }
  }
  throw new TokenizerError(`${path}: not a model directory, a tokenizer.json or a .gguf file`, {
    hint: 'Pass a directory containing tokenizer.json, a .gguf file, or --tokenizer FILE.',
  });
}
