/**
 * The sampler: turns one step's logits into the next token. Created once per sequence (its options and random
 * stream; the work arrays are shared, see SamplerScratch); `sample` allocates nothing. The chain is llama.cpp's default order (common/sampling.cpp):
 *
 *   repetition penalty → top-k → top-p → min-p → temperature → softmax → draw (seeded RNG)
 *
 * top-k/top-p/min-p see the penalised logits before temperature, as in llama.cpp. Temperature < 1e-6 is
 * greedy: argmax of the penalised logits (ties: lowest id), drawing no random number — the filters always
 * keep the argmax, so they are skipped.
 *
 * Cost per call, n = nVocab: O(n) copy + O(lastN) penalty + O(n·log k) top-k (≈ O(n) for small k; with top-k
 * off, top-p sorts only the prefix it keeps, see top-p.ts) + O(m) for the m surviving candidates.
 */
import { MambaError } from '../errors.js';
import { argmax } from './greedy.js';
import { drawIndex } from './draw.js';
import { minP } from './min-p.js';
import { nonFiniteLogits } from './non-finite-logits.js';
import { applyRepetitionPenalty } from './repetition-penalty.js';
import { Rng, type RngState } from './rng.js';
import { DEFAULT_SAMPLING, GREEDY_TEMPERATURE, validateSamplingOptions, type SamplingOptions } from './sampling-options.js';
import { softmax } from './softmax.js';
import { applyTemperature } from './temperature.js';
import { topK } from './top-k.js';
import { topP } from './top-p.js';

/**
 * The chain's work arrays, shared by every Sampler of one vocabulary size: `sample` and `probabilities` are
 * synchronous and keep nothing in them from one call to the next (`seen` is all zero again when they return),
 * so sequences need not each hold their own — 650 KiB per sequence at nVocab 50,280.
 */
interface SamplerScratch {
  /** (nVocab) by token id: a copy of the step's logits, penalised, then divided by the temperature. */
  readonly work: Float32Array;
  /** (nVocab) candidate token ids; the first `nCandidates` are live. */
  readonly ids: Int32Array;
  /** (nVocab) by candidate position: the final distribution over ids[0..nCandidates). */
  readonly probs: Float32Array;
  /** (nVocab) repetition-penalty "already penalised" marks; all zero between calls. */
  readonly seen: Uint8Array;
}

const SCRATCH_BY_VOCAB = new Map<number, SamplerScratch>();

function scratchFor(nVocab: number): SamplerScratch {
  let s = SCRATCH_BY_VOCAB.get(nVocab);
  if (s === undefined) {
    s = { work: new Float32Array(nVocab), ids: new Int32Array(nVocab), probs: new Float32Array(nVocab), seen: new Uint8Array(nVocab) };
    SCRATCH_BY_VOCAB.set(nVocab, s);
  }
  return s;
}

export class Sampler {
  readonly options: Readonly<SamplingOptions>;
  private readonly rng: Rng;
  private readonly work: Float32Array;
  private readonly ids: Int32Array;
  private readonly probs: Float32Array;
  private readonly seen: Uint8Array;
  private nCandidates = 0;
  private lastP = 0;

  /** `options` fill in over DEFAULT_SAMPLING; out-of-range values throw ConfigError. */
  constructor(
    readonly nVocab: number,
    options: Partial<SamplingOptions> = {},
  ) {
    if (!Number.isInteger(nVocab) || nVocab < 1) throw new MambaError(`Sampler: nVocab must be a positive integer, got ${nVocab}`);
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = Object.freeze(validateSamplingOptions({ ...DEFAULT_SAMPLING, ...given }));
    this.rng = new Rng(this.options.seed);
    ({ work: this.work, ids: this.ids, probs: this.probs, seen: this.seen } = scratchFor(nVocab));
  }

  get greedy(): boolean {
    return this.options.temperature < GREEDY_TEMPERATURE;
  }

  /** Picks the next token. `recentTokens`: the sequence so far (prompt included); only its tail is read. */
  sample(logits: Float32Array, recentTokens: ArrayLike<number>): number {
    this.prepare(logits, recentTokens);
    if (this.greedy) {
      this.lastP = 1;
      return argmax(this.work, this.nVocab);
    }
    const n = this.filter();
    const i = drawIndex(this.probs, n, this.rng.next());
    this.lastP = this.probs[i];
    return this.ids[i];
  }

  /** The probability the last `sample` call drew its token with (1 when greedy). For `-v` output. */
  get lastProbability(): number {
    return this.lastP;
  }

  /**
   * The distribution the next `sample` call would draw from, by token id (zero for filtered-out tokens; one-hot
   * when greedy). Allocates; draws no random number. For `-v` output and tests, not for the token loop.
   */
  probabilities(logits: Float32Array, recentTokens: ArrayLike<number>): Float32Array {
    this.prepare(logits, recentTokens);
    const out = new Float32Array(this.nVocab);
    if (this.greedy) {
      out[argmax(this.work, this.nVocab)] = 1;
      return out;
    }
    const n = this.filter();
    for (let i = 0; i < n; i++) out[this.ids[i]] = this.probs[i];
    return out;
  }

  /** Restarts the random stream from `seed` (an unsigned 32-bit integer). */
  setSeed(seed: number): void {
    this.rng.seed(seed);
  }

  /** The RNG state, to save next to the model state; `setState` resumes the exact same stream. */
  getState(): RngState {
    return this.rng.getState();
  }

  setState(state: ArrayLike<number>): void {
    this.rng.setState(state);
  }

  /**
   * work ← logits, penalised; ids ← every token. A NaN or +inf logit throws NumericError: no token can be drawn
   * from it honestly (−inf is a masked token and is fine).
   */
  private prepare(logits: Float32Array, recentTokens: ArrayLike<number>): void {
    if (logits.length !== this.nVocab) {
      throw new MambaError(`Sampler: got ${logits.length} logits, but it was created for nVocab = ${this.nVocab}`, {
        hint: 'create the Sampler with the length of the model output (the padded vocabulary)',
      });
    }
    const { work, ids, options } = this;
    let finite = true;
    for (let i = 0; i < this.nVocab; i++) {
      ids[i] = i;
      finite &&= logits[i] < Infinity; // false for NaN and +inf
    }
    if (!finite) throw nonFiniteLogits(logits);
    work.set(logits);
    applyRepetitionPenalty(work, recentTokens, options.repeatLastN, options.repeatPenalty, this.seen);
    this.nCandidates = this.nVocab;
  }

  /** top-k → top-p → min-p → temperature → softmax; returns the number of candidates left in ids/probs. */
  private filter(): number {
    const { work, ids, options } = this;
    let n = this.nCandidates;
    let sorted = false;
    if (options.topK > 0) {
      n = topK(work, ids, n, options.topK);
      sorted = true;
    }
    n = topP(work, ids, n, sorted, options.topP);
    n = minP(work, ids, n, options.minP);
    applyTemperature(work, ids, n, options.temperature);
    softmax(work, ids, n, this.probs);
    this.nCandidates = n;
    return n;
  }
}
