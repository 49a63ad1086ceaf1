import type { BpeMerges } from './bpe-merges.js';

/**
 * Applies BPE merges to one word: repeatedly merge the adjacent pair with the lowest rank, leftmost
 * first on ties — the order of Hugging Face `Word::merge_all` (tokenizers/src/models/bpe/word.rs).
 * A binary heap of (rank, position) candidates over a doubly linked list of symbols makes it
 * O(n log n) in the word length: a 10 MB run of one letter is one "word" and must not go quadratic.
 * Stale heap entries are skipped when popped, as in HF. Scratch arrays grow on demand and are reused.
 */
export class BpeMerger {
  private prev = new Int32Array(64);
  private next = new Int32Array(64);
  private heapRank = new Int32Array(192);
  private heapPos = new Int32Array(192);
  private heapSize = 0;

  constructor(private readonly merges: BpeMerges) {}

  /** Merges `symbols[0..n)` (token ids; modified in place) and appends the resulting ids to `out`. */
  mergeInto(symbols: Int32Array, n: number, out: number[]): void {
    if (n === 1) {
      out.push(symbols[0]);
      return;
    }
    this.ensureCapacity(n);
    const { prev, next, merges } = this;
    this.heapSize = 0;
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    for (let i = 0; i + 1 < n; i++) {
      const rank = merges.rankOf(symbols[i], symbols[i + 1]);
      if (rank >= 0) this.push(rank, i);
    }
    while (this.heapSize > 0) {
      const rank = this.heapRank[0];
      const pos = this.heapPos[0];
      this.pop();
      const right = next[pos];
      // Skip entries made stale by an earlier merge: the symbol was absorbed, or its pair changed.
      if (symbols[pos] < 0 || right < 0 || merges.rankOf(symbols[pos], symbols[right]) !== rank) continue;
      symbols[pos] = merges.mergedId(rank);
      symbols[right] = -1;
      const after = next[right];
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos];
      if (before >= 0) {
        const r = merges.rankOf(symbols[before], symbols[pos]);
        if (r >= 0) this.push(r, before);
      }
      if (after >= 0) {
        const r = merges.rankOf(symbols[pos], symbols[after]);
        if (r >= 0) this.push(r, pos);
      }
    }
    for (let i = 0; i >= 0; i = next[i]) out.push(symbols[i]);
  }

  private ensureCapacity(n: number): void {
    if (this.prev.length < n) {
      const size = Math.max(n, this.prev.length * 2);
      this.prev = new Int32Array(size);
      this.next = new Int32Array(size);
    }
    // Initial pairs (n - 1) plus at most two pushes per merge (n - 1 merges).
    if (this.heapRank.length < 3 * n) {
      const size = Math.max(3 * n, this.heapRank.length * 2);
      this.heapRank = new Int32Array(size);
      this.heapPos = new Int32Array(size);
    }
  }

  /** Heap order: lower rank first, then lower position. */
  private less(a: number, b: number): boolean {
    const ra = this.heapRank[a];
    const rb = this.heapRank[b];
    return ra < rb || (ra === rb && this.heapPos[a] < this.heapPos[b]);
  }

  private swap(a: number, b: number): void {
    const { heapRank, heapPos } = this;
    const r = heapRank[a]; heapRank[a] = heapRank[b]; heapRank[b] = r;
    const p = heapPos[a]; heapPos[a] = heapPos[b]; heapPos[b] = p;
  }

  private push(rank: number, pos: number): void {
    let i = this.heapSize++;
    this.heapRank[i] = rank;
    this.heapPos[i] = pos;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const last = --this.heapSize;
    this.heapRank[0] = this.heapRank[last];
    this.heapPos[0] = this.heapPos[last];
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= last) break;
      const right = left + 1;
      const child = right < last && this.less(right, left) ? right : left;
      if (!this.less(child, i)) break;
      this.swap(child, i);
      i = child;
    }
  }
}
