/**
 * Top-p (nucleus, Holtzman et al. 2019), as llama.cpp: the probabilities are the softmax of the current
 * candidates' logits (temperature comes later in the chain); keep the shortest best-first prefix whose
 * probability sum reaches p, including the token that crosses p. p = 0 keeps one token; p >= 1 keeps all.
 */
import { selectBest } from './candidate-order.js';

/** Buckets of the logit histogram used to find the cut without sorting the vocabulary. */
export const TOP_P_BUCKETS = 256;
/** The histogram spans [max − 32, max] (e^−32 ≈ 1e−14 relative probability); lower logits share the last bucket. */
const MAX_SPAN = 32;

/** (TOP_P_BUCKETS) probability mass per bucket: module scratch, so a call allocates nothing. */
const bucketMass = new Float64Array(TOP_P_BUCKETS);

/**
 * `sorted`: ids[0..n) is already sorted best first (after top-k): then it is one walk down the prefix.
 *
 * Otherwise it sorts only what it keeps, in O(n + m'·log m') for m' ≈ m kept tokens:
 *   1. one pass for the max and min logit, one for exp(l − max): the softmax normaliser and a histogram of
 *      probability mass over 256 equal-width logit buckets, best bucket first;
 *   2. walk the buckets to the first one where the mass reaches p: the cut lies inside it;
 *   3. move the candidates of that bucket and the better ones to the front (O(n)) and heapsort just those;
 *   4. walk the sorted prefix to the exact cut.
 * Returns the new count; ids[0..result) is then sorted best first.
 */
export function topP(logits: Float32Array, ids: Int32Array, n: number, sorted: boolean, p: number): number {
  if (p >= 1 || n <= 1) return n;
  let max = -Infinity;
  let min = Infinity;
  for (let i = 0; i < n; i++) {
    const l = logits[ids[i]];
    if (l > max) max = l;
    if (l < min) min = l;
  }
  if (max === -Infinity) return n;
  const span = Math.min(max - min, MAX_SPAN);
  const perLogit = span > 0 ? TOP_P_BUCKETS / span : 0;

  bucketMass.fill(0);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const l = logits[ids[i]];
    const e = Math.exp(l - max);
    sum += e;
    if (!sorted) bucketMass[bucketOf(l, max, perLogit)] += e;
  }
  const target = p * sum;

  let nSorted = n;
  if (!sorted) {
    let cutBucket = TOP_P_BUCKETS - 1;
    let mass = 0;
    for (let b = 0; b < TOP_P_BUCKETS; b++) {
      mass += bucketMass[b];
      if (mass >= target) {
        cutBucket = b;
        break;
      }
    }
    nSorted = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (bucketOf(logits[id], max, perLogit) <= cutBucket) {
        ids[i] = ids[nSorted];
        ids[nSorted++] = id;
      }
    }
    selectBest(logits, ids, 0, nSorted, nSorted);
  }

  let cum = 0;
  for (let i = 0; i < n; i++) {
    if (i === nSorted) {
      // Rounding left the bucket sums and the exact sum a hair apart: sort the rest too.
      selectBest(logits, ids, nSorted, n, n - nSorted);
      nSorted = n;
    }
    cum += Math.exp(logits[ids[i]] - max);
    if (cum >= target) return i + 1;
  }
  return n;
}

/** Bucket 0 holds the best logits; monotonic in the logit, so a bucket prefix is a best-first prefix. */
function bucketOf(logit: number, max: number, perLogit: number): number {
  return Math.min(TOP_P_BUCKETS - 1, Math.floor((max - logit) * perLogit));
}
