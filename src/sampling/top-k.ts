/** Top-k: keep the k best candidates. */
import { selectBest } from './candidate-order.js';

/**
 * Keeps the `k` best of the `n` candidates in ids (k <= 0 or k >= n keeps all n, but still sorts them).
 * Returns the new count; ids[0..result) is then sorted best first. O(n·log k) worst case, ≈ O(n) for small k.
 */
export function topK(logits: Float32Array, ids: Int32Array, n: number, k: number): number {
  if (k <= 0 || k > n) k = n;
  selectBest(logits, ids, 0, n, k);
  return k;
}
