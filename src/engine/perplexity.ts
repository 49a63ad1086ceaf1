/**
 * Perplexity: the mean negative log-likelihood of each token given the ones before it.
 *
 *   nll_t = −log softmax(logits_{t−1})[id_t]      over all nVocab logits (as transformers), in double
 *   ppl   = exp(mean_t nll_t)
 *
 * Tokens are fed in chunks of `ctx`; the state carries over between chunks (Mamba has no context window)
 * unless `resetEachChunk`, in which case each chunk starts from an empty state and its first token is not
 * predicted.
 */
import type { MambaModel } from './mamba-model.js';
import { checkTokenIds } from './check-token-id.js';
import { nonFiniteLogits } from '../sampling/non-finite-logits.js';

export interface PerplexityOptions {
  /** Tokens per chunk (progress granularity; with resetEachChunk, the context length). */
  ctx: number;
  resetEachChunk?: boolean;
  /** Called after each chunk with the number of tokens done. */
  onProgress?: (done: number, total: number) => void;
}

export interface PerplexityResult {
  ppl: number;
  meanNll: number;
  /** Tokens predicted (the NLL is averaged over these). */
  nTokens: number;
  nChunks: number;
}

/** log Σ exp(x_i), stable, in double. */
export function logSumExp(x: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.exp(x[i] - max);
  return max + Math.log(s);
}

export async function perplexity(model: MambaModel, ids: readonly number[], opts: PerplexityOptions): Promise<PerplexityResult> {
  checkTokenIds(ids, model.config.nVocab);
  const seq = model.newSequence({ temperature: 0 });
  const backend = model.backend;
  let sum = 0;
  let n = 0;
  let nChunks = 0;
  for (let start = 0; start < ids.length; start += opts.ctx) {
    const end = Math.min(ids.length, start + opts.ctx);
    if (opts.resetEachChunk) {
      seq.state.reset();
      seq.hasLogits = false;
    }
    for (let t = start; t < end; t++) {
      if (seq.hasLogits) {
        // nll of ids[t] given everything fed so far
        const nll = logSumExp(seq.logits) - seq.logits[ids[t]];
        if (!(nll < Infinity)) throw nonFiniteLogits(seq.logits, `before token ${t}`);
        sum += nll;
        n++;
      }
      backend.step(ids[t], seq.state, t + 1 < ids.length ? seq.logits : undefined);
      seq.hasLogits = true;
    }
    nChunks++;
    opts.onProgress?.(end, ids.length);
    // let the event loop breathe (progress bars, Ctrl-C) between chunks
    await new Promise((r) => setTimeout(r, 0));
  }
  const meanNll = n > 0 ? sum / n : NaN;
  return { ppl: Math.exp(meanNll), meanNll, nTokens: n, nChunks };
}
