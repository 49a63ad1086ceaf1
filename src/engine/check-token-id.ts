/** Token ids against a vocabulary: the one check every entry point that takes ids runs (typed error, never garbage). */
import { UsageError } from '../errors.js';

/** Throws unless `id` is an integer in [0, nVocab). */
export function checkTokenId(id: number, nVocab: number): void {
  if (!Number.isInteger(id) || id < 0 || id >= nVocab) {
    throw new UsageError(`token id ${id} is out of range (vocabulary of ${nVocab})`, { hint: 'token ids are integers from 0 to the vocabulary size − 1' });
  }
}

/** checkTokenId for the first n ids (default: all). */
export function checkTokenIds(ids: ArrayLike<number>, nVocab: number, n = ids.length): void {
  for (let i = 0; i < n; i++) checkTokenId(ids[i], nVocab);
}
