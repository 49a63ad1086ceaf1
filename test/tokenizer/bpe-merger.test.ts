/** The heap-based BpeMerger against the textbook O(n²) loop (lowest rank first, leftmost on ties). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BpeMerger } from '../../src/tokenizer/bpe-merger.js';
import { BpeMerges } from '../../src/tokenizer/bpe-merges.js';
import { mulberry32 } from '../helpers/prng.js';

type Triple = readonly [number, number, number];

/** The reference: scan all adjacent pairs, merge the best one, repeat. */
function referenceMerge(symbols: number[], pairs: readonly Triple[]): number[] {
  const rankOf = new Map(pairs.map(([l, r], rank) => [`${l},${r}`, rank]));
  const word = [...symbols];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < word.length; i++) {
      const rank = rankOf.get(`${word[i]},${word[i + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = i;
      }
    }
    if (best < 0) return word;
    word.splice(best, 2, pairs[bestRank][2]);
  }
}

function heapMerge(merger: BpeMerger, symbols: number[]): number[] {
  const out: number[] = [];
  merger.mergeInto(Int32Array.from(symbols), symbols.length, out);
  return out;
}

/** A random merge table over an alphabet of `nBase` symbols: rank i creates symbol nBase + i. */
function randomMerges(rand: () => number, nBase: number, nMerges: number): Triple[] {
  const pairs: Triple[] = [];
  const seen = new Set<string>();
  while (pairs.length < nMerges) {
    const nSymbols = nBase + pairs.length;
    const left = Math.floor(rand() * nSymbols);
    const right = Math.floor(rand() * nSymbols);
    if (seen.has(`${left},${right}`)) continue;
    seen.add(`${left},${right}`);
    pairs.push([left, right, nBase + pairs.length]);
  }
  return pairs;
}

describe('BpeMerger', () => {
  it('merges by rank, leftmost first on ties', () => {
    // a=0 b=1; "a a" → 2 (rank 0), "2 2" → 3 (rank 1), "2 a" → 4 (rank 2)
    const pairs: Triple[] = [[0, 0, 2], [2, 2, 3], [2, 0, 4]];
    const merger = new BpeMerger(new BpeMerges(pairs));
    assert.deepEqual(heapMerge(merger, [0, 0, 0]), [4], '(a a) a → 2 a → 4');
    assert.deepEqual(heapMerge(merger, [0, 0, 0, 0]), [3], '(a a) a a → 2 (a a) → (2 2): rank 0 beats rank 2');
    assert.deepEqual(heapMerge(merger, [0, 0, 0, 0, 0]), [3, 0]);
    assert.deepEqual(heapMerge(merger, [1, 0, 0, 1]), [1, 2, 1]);
    assert.deepEqual(heapMerge(merger, [1]), [1]);
  });

  it('equals the reference on 2,000 seeded random words and merge tables', () => {
    const rand = mulberry32(1234);
    for (let trial = 0; trial < 20; trial++) {
      const nBase = 2 + Math.floor(rand() * 6);
      const pairs = randomMerges(rand, nBase, 5 + Math.floor(rand() * 60));
      const merger = new BpeMerger(new BpeMerges(pairs));
      for (let w = 0; w < 100; w++) {
        const length = 1 + Math.floor(rand() * 40);
        const word = Array.from({ length }, () => Math.floor(rand() * nBase));
        assert.deepEqual(heapMerge(merger, word), referenceMerge(word, pairs), `trial ${trial} word ${word}`);
      }
    }
  });

  it('reuses its scratch across words of different lengths', () => {
    const pairs: Triple[] = [[0, 0, 1], [1, 1, 2]];
    const merger = new BpeMerger(new BpeMerges(pairs));
    assert.deepEqual(heapMerge(merger, new Array(1000).fill(0)), new Array(250).fill(2));
    assert.deepEqual(heapMerge(merger, [0, 0, 0]), [1, 0]);
  });
});

describe('BpeMerges', () => {
  it('looks pairs up by (left, right) and keeps the last rank of a repeated pair', () => {
    const merges = new BpeMerges([[5, 7, 9], [7, 5, 10], [5, 7, 11]]);
    assert.equal(merges.rankOf(5, 7), 2);
    assert.equal(merges.mergedId(2), 11);
    assert.equal(merges.rankOf(7, 5), 1);
    assert.equal(merges.rankOf(5, 5), -1);
    assert.equal(merges.nMerges, 3);
  });
});
