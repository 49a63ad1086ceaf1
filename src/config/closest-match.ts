/** "Did you mean …?" for misspelt keys and names. */

/** Lower-case, without `-`, `_` and spaces: `Top-P`, `topP` and `top_p` all become `topp`. */
function normalise(s: string): string {
  return s.toLowerCase().replace(/[-_\s]/g, '');
}

/** Edit distance (insert, delete, substitute), O(|a|·|b|). */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The candidate `word` most likely meant, or undefined when nothing is close. A candidate matches when it
 * equals `word` up to case and separators, or one of its `aliases` does (e.g. the flag `temp` for the key
 * `temperature`), or it is within an edit distance of about a third of its length.
 */
export function closestMatch(word: string, candidates: readonly string[], aliases: ReadonlyMap<string, string> = new Map()): string | undefined {
  const w = normalise(word);
  for (const c of candidates) if (normalise(c) === w) return c;
  for (const [alias, c] of aliases) if (normalise(alias) === w) return c;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = levenshtein(w, normalise(c));
    if (d < bestDistance && d <= Math.max(1, Math.floor(c.length / 3))) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}
