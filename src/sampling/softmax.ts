/** Softmax over the live candidates. */

/** probs[i] = exp(logits[ids[i]] − max) / Σ, for candidate positions i < n (probs is by position, not id). O(n). */
export function softmax(logits: Float32Array, ids: Int32Array, n: number, probs: Float32Array): void {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[ids[i]]);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(logits[ids[i]] - max);
    probs[i] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let i = 0; i < n; i++) probs[i] *= inv;
}
