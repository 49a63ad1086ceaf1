/**
 * The merge rules of a BPE vocabulary as a hash table: (left id, right id) → rank, rank → merged id.
 * Open addressing with linear probing on typed arrays: no per-pair objects, no string keys.
 */
/** Merge rules as columns: rank r merges left[r] then right[r] into merged[r].  (nMerges each) */
export interface MergeColumns {
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly merged: Int32Array;
}

export class BpeMerges {
  readonly nMerges: number;
  /** mergedIds[rank]: the id of the token `left + right`.  (nMerges) */
  private readonly mergedIds: Int32Array;
  private readonly mask: number;
  /** Slot arrays; an empty slot has left = -1.  (capacity) */
  private readonly slotLeft: Int32Array;
  private readonly slotRight: Int32Array;
  private readonly slotRank: Int32Array;

  /**
   * `pairs[rank] = [leftId, rightId, mergedId]`, or the same as three columns (no array per merge), best
   * (lowest) rank first. A repeated pair keeps its last rank.
   */
  constructor(pairs: ReadonlyArray<readonly [number, number, number]> | MergeColumns) {
    const cols: MergeColumns = 'merged' in pairs ? pairs : {
      left: Int32Array.from(pairs, (p) => p[0]),
      right: Int32Array.from(pairs, (p) => p[1]),
      merged: Int32Array.from(pairs, (p) => p[2]),
    };
    const n = cols.merged.length;
    this.nMerges = n;
    this.mergedIds = Int32Array.from(cols.merged);
    let capacity = 16;
    while (capacity < n * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.slotLeft = new Int32Array(capacity).fill(-1);
    this.slotRight = new Int32Array(capacity);
    this.slotRank = new Int32Array(capacity);
    for (let rank = 0; rank < n; rank++) this.insert(cols.left[rank], cols.right[rank], rank);
  }

  /** The rank of merging `left` then `right`, or -1 if they do not merge. */
  rankOf(left: number, right: number): number {
    let slot = hashPair(left, right) & this.mask;
    for (;;) {
      const l = this.slotLeft[slot];
      if (l === -1) return -1;
      if (l === left && this.slotRight[slot] === right) return this.slotRank[slot];
      slot = (slot + 1) & this.mask;
    }
  }

  mergedId(rank: number): number {
    return this.mergedIds[rank];
  }

  private insert(left: number, right: number, rank: number): void {
    let slot = hashPair(left, right) & this.mask;
    while (this.slotLeft[slot] !== -1 && !(this.slotLeft[slot] === left && this.slotRight[slot] === right)) {
      slot = (slot + 1) & this.mask;
    }
    this.slotLeft[slot] = left;
    this.slotRight[slot] = right;
    this.slotRank[slot] = rank;
  }
}

function hashPair(left: number, right: number): number {
  let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}
