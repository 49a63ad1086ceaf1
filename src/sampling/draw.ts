/** Inverse-CDF draw from a discrete distribution. */

/**
 * Returns the position i < n where the running sum of probs first exceeds u · Σprobs (u uniform in [0, 1)).
 * Normalising by the actual sum makes float rounding in `probs` harmless. O(n); early exit on sorted input.
 */
export function drawIndex(probs: Float32Array, n: number, u: number): number {
  let total = 0;
  for (let i = 0; i < n; i++) total += probs[i];
  const target = u * total;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < n; i++) {
    if (probs[i] <= 0) continue;
    cum += probs[i];
    last = i;
    if (target < cum) return i;
  }
  return last;
}
