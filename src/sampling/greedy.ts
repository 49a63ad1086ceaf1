/** Greedy decoding: the most likely token. */

/** Index of the largest of logits[0..n); ties go to the lowest index. O(n). */
export function argmax(logits: Float32Array, n: number = logits.length): number {
  let best = 0;
  let bestLogit = logits[0];
  for (let i = 1; i < n; i++) {
    if (logits[i] > bestLogit) {
      bestLogit = logits[i];
      best = i;
    }
  }
  return best;
}
