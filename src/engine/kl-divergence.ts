/**
 * How far a model's next-token distributions are from a reference model's (e.g. a quantized file against
 * its F32 original), over the same tokens:
 *
 *   KL_t = Σ_v P_ref(v) · (log P_ref(v) − log P(v))      P = softmax(logits), all nVocab entries, in double
 *
 * reported as the mean over tokens (nats/token), its maximum, and how often the two argmaxes agree.
 */
import { UsageError } from '../errors.js';
import type { MambaModel } from './mamba-model.js';
import { checkTokenIds } from './check-token-id.js';
import { logSumExp } from './perplexity.js';

export interface KlResult {
  /** Mean KL(P_ref ‖ P) in nats per token. */
  meanKl: number;
  maxKl: number;
  /** Fraction of positions where both models' most likely token is the same. */
  top1Agreement: number;
  /** Mean NLL of the tokens under this model and under the reference. */
  meanNll: number;
  refMeanNll: number;
  nTokens: number;
}

/** KL(P_ref ‖ P) for two logit vectors. */
export function klDivergence(refLogits: Float32Array, logits: Float32Array): number {
  const lzRef = logSumExp(refLogits);
  const lz = logSumExp(logits);
  let kl = 0;
  for (let v = 0; v < refLogits.length; v++) {
    const lpRef = refLogits[v] - lzRef;
    if (lpRef === -Infinity) continue;
    kl += Math.exp(lpRef) * (lpRef - (logits[v] - lz));
  }
  return Math.max(0, kl);
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

export async function compareModels(
  model: MambaModel,
  ref: MambaModel,
  ids: readonly number[],
  opts: { onProgress?: (done: number, total: number) => void } = {},
): Promise<KlResult> {
  if (model.config.nVocab !== ref.config.nVocab) {
    throw new UsageError(`the models have different vocabularies (${model.config.nVocab} and ${ref.config.nVocab} rows)`, { hint: 'compare a model with a quantization of itself' });
  }
  checkTokenIds(ids, model.config.nVocab);
  const a = model.newSequence({ temperature: 0 });
  const b = ref.newSequence({ temperature: 0 });
  let kl = 0;
  let maxKl = 0;
  let agree = 0;
  let nll = 0;
  let refNll = 0;
  let n = 0;
  for (let t = 0; t < ids.length - 1; t++) {
    model.backend.step(ids[t], a.state, a.logits);
    ref.backend.step(ids[t], b.state, b.logits);
    const k = klDivergence(b.logits, a.logits);
    kl += k;
    maxKl = Math.max(maxKl, k);
    if (argmax(a.logits) === argmax(b.logits)) agree++;
    nll += logSumExp(a.logits) - a.logits[ids[t + 1]];
    refNll += logSumExp(b.logits) - b.logits[ids[t + 1]];
    n++;
    if (n % 64 === 0) {
      opts.onProgress?.(t + 1, ids.length);
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  opts.onProgress?.(ids.length, ids.length);
  return { meanKl: kl / n, maxKl, top1Agreement: agree / n, meanNll: nll / n, refMeanNll: refNll / n, nTokens: n };
}
