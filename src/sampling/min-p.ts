/**
 * Min-p (Nguyen et al. 2024), as llama.cpp: keep the candidates whose probability is at least p × the
 * largest one, i.e. logit >= max_logit + ln(p). Computed on the logits before temperature.
 */

/** Keeps qualifying candidates in their current order (a sorted prefix stays sorted). Returns the new count (>= 1). O(n). */
export function minP(logits: Float32Array, ids: Int32Array, n: number, p: number): number {
  if (p <= 0 || n <= 1) return n;
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[ids[i]]);
  const threshold = max + Math.log(p);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    if (logits[id] >= threshold) ids[kept++] = id;
  }
  return kept;
}
