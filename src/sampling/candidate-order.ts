/**
 * The order every sampling stage uses: higher logit first, ties to the lower token id. It is a strict total
 * order, so which candidates a stage keeps never depends on the algorithm or on the input order.
 *
 * Candidates are token ids in an `Int32Array`; their logits are read from a `Float32Array` indexed by token id.
 */

/** Token `a` ranks before token `b`. */
export function ranksBefore(logits: Float32Array, a: number, b: number): boolean {
  const la = logits[a];
  const lb = logits[b];
  return la > lb || (la === lb && a < b);
}

/**
 * Partial selection: moves the `k` best candidates of ids[from..to) into ids[from..from+k), best first; the
 * others end up in ids[from+k..to) in no particular order. In place, allocation-free.
 *
 * A heap of the k best so far, worst at the root, sits in ids[from..from+k); each later candidate is compared
 * with the root and usually rejected in one comparison. Cost O((to − from)·log k) worst case, close to
 * O(to − from) when k ≪ to − from; then a heapsort of the k winners, O(k·log k).
 */
export function selectBest(logits: Float32Array, ids: Int32Array, from: number, to: number, k: number): void {
  k = Math.min(k, to - from);
  if (k <= 0) return;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(logits, ids, from, k, i);
  for (let j = from + k; j < to; j++) {
    if (ranksBefore(logits, ids[j], ids[from])) {
      const t = ids[j];
      ids[j] = ids[from];
      ids[from] = t;
      siftDown(logits, ids, from, k, 0);
    }
  }
  // Heapsort: move the worst to the end of the shrinking heap, so the front ends up best first.
  for (let end = k - 1; end > 0; end--) {
    const t = ids[from + end];
    ids[from + end] = ids[from];
    ids[from] = t;
    siftDown(logits, ids, from, end, 0);
  }
}

/** Restores the worst-at-root heap property below node `i` of the heap ids[base..base+size). */
function siftDown(logits: Float32Array, ids: Int32Array, base: number, size: number, i: number): void {
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) return;
    let worst = left;
    const right = left + 1;
    if (right < size && ranksBefore(logits, ids[base + left], ids[base + right])) worst = right;
    if (!ranksBefore(logits, ids[base + i], ids[base + worst])) return;
    const t = ids[base + i];
    ids[base + i] = ids[base + worst];
    ids[base + worst] = t;
    i = worst;
  }
}
