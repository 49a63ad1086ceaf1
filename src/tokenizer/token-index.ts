import type { Utf8Table } from '../io/utf8-table.js';

/**
 * A vocabulary's string → id lookup on its UTF-8 (a Utf8Table): open addressing with linear probing on one
 * Int32Array of entry numbers, so 50k tokens cost 512 KiB and no JS string each. A key may be given as one
 * byte range or as two ranges that are looked up as their concatenation (a merge's `left + right`).
 */
export class TokenIndex {
  private readonly mask: number;
  /** Entry number per slot, -1 empty.  (capacity, a power of two ≥ 2 × entries) */
  private readonly slots: Int32Array;

  /**
   * Indexes the entries `include(e)` of `texts`; entry e stands for id `idOf(e)`. A text given twice keeps its
   * first entry (as a vocabulary read in id order keeps the lowest id).
   */
  constructor(
    private readonly texts: Utf8Table,
    private readonly idOf: (entry: number) => number,
    include: (entry: number) => boolean,
  ) {
    let capacity = 16;
    while (capacity < 2 * texts.length) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity).fill(-1);
    const { bytes, begin, end } = texts;
    for (let e = 0; e < texts.length; e++) {
      if (!include(e)) continue;
      let slot = hash(bytes, begin[e], end[e], FNV_OFFSET) & this.mask;
      for (;;) {
        const other = this.slots[slot];
        if (other === -1) {
          this.slots[slot] = e;
          break;
        }
        if (this.equals(other, bytes, begin[e], end[e], 0, 0)) break;
        slot = (slot + 1) & this.mask;
      }
    }
  }

  /** The id of the text bytes[begin, end), or -1. */
  find(bytes: Uint8Array, begin: number, end: number): number {
    return this.findPair(bytes, begin, end, 0, 0);
  }

  /** The id of the text bytes[begin1, end1) followed by bytes[begin2, end2), or -1. */
  findPair(bytes: Uint8Array, begin1: number, end1: number, begin2: number, end2: number): number {
    let slot = hash(bytes, begin2, end2, hash(bytes, begin1, end1, FNV_OFFSET)) & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e === -1) return -1;
      if (this.equals(e, bytes, begin1, end1, begin2, end2)) return this.idOf(e);
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether entry e's text is bytes[begin1, end1) + bytes[begin2, end2). */
  private equals(e: number, bytes: Uint8Array, begin1: number, end1: number, begin2: number, end2: number): boolean {
    const t = this.texts.bytes;
    const at = this.texts.begin[e];
    const n1 = end1 - begin1;
    if (this.texts.end[e] - at !== n1 + (end2 - begin2)) return false;
    for (let i = 0; i < n1; i++) if (t[at + i] !== bytes[begin1 + i]) return false;
    for (let i = 0, j = at + n1; i < end2 - begin2; i++) if (t[j + i] !== bytes[begin2 + i]) return false;
    return true;
  }
}

const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a over bytes[begin, end), continuing from `h`. */
function hash(bytes: Uint8Array, begin: number, end: number, h: number): number {
  for (let i = begin; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}
