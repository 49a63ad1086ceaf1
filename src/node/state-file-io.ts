/** Saving and loading a sequence's state to and from a file (Node). */
import { readFile, writeFile } from 'node:fs/promises';
import { FileAccessError } from '../errors.js';
import type { MambaModel } from '../engine/mamba-model.js';
import type { Sequence } from '../engine/sequence.js';
import type { SamplingOptions } from '../sampling/sampling-options.js';

export async function saveState(model: MambaModel, seq: Sequence, path: string): Promise<void> {
  try {
    await writeFile(path, model.saveState(seq));
  } catch (e) {
    throw new FileAccessError(`cannot write state file ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** A sequence continuing from a state file; the random stream continues unless `keepRng` is false. */
export async function loadState(model: MambaModel, path: string, sampling: Partial<SamplingOptions> = {}, opts: { keepRng?: boolean } = {}): Promise<Sequence> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(`cannot read state file ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
  }
  return model.restoreSequence(bytes, path, sampling, opts);
}
