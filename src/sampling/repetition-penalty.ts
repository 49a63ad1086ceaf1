/**
 * Repetition penalty, CTRL style (Keskar et al. 2019) as llama.cpp's `penalties` sampler applies it: every
 * distinct token among the last `lastN` gets its logit divided by `penalty` when positive and multiplied by
 * it when negative (or zero), once however often it occurs. penalty > 1 discourages repeats.
 */
import { TokenizerError } from '../errors.js';

/**
 * Penalises `logits` (nVocab, by token id) in place. `seen` (nVocab) is zero-filled scratch; it is left
 * zero-filled again. O(min(lastN, recentTokens.length)).
 */
export function applyRepetitionPenalty(
  logits: Float32Array,
  recentTokens: ArrayLike<number>,
  lastN: number,
  penalty: number,
  seen: Uint8Array,
): void {
  if (penalty === 1 || lastN <= 0) return;
  const end = recentTokens.length;
  const start = Math.max(0, end - lastN);
  for (let i = start; i < end; i++) {
    const id = recentTokens[i];
    if (!(id >= 0 && id < logits.length && Number.isInteger(id))) {
      for (let j = start; j < i; j++) seen[recentTokens[j]] = 0;
      throw new TokenizerError(`recent token id ${id} is outside the vocabulary [0, ${logits.length})`);
    }
    if (seen[id] !== 0) continue;
    seen[id] = 1;
    const l = logits[id];
    logits[id] = l <= 0 ? l * penalty : l / penalty;
  }
  for (let i = start; i < end; i++) seen[recentTokens[i]] = 0;
}
