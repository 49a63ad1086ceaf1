/** Temperature: logits / T for the live candidates (T > 0; the sampler handles T ≈ 0 as greedy). */

/** Divides the logits of ids[0..n) by `temperature`, in place. O(n). */
export function applyTemperature(logits: Float32Array, ids: Int32Array, n: number, temperature: number): void {
  if (temperature === 1) return;
  const inv = 1 / temperature;
  for (let i = 0; i < n; i++) logits[ids[i]] *= inv;
}
