/**
 * One sequence being generated: its recurrent state, the tokens fed so far, the token sampled but not yet
 * fed (`pending`), its sampler and its logits buffer. Everything is allocated here, once.
 */
import type { MambaConfig } from '../model/mamba-config.js';
import { Sampler } from '../sampling/sampler.js';
import type { SamplingOptions } from '../sampling/sampling-options.js';
import { MambaState } from './mamba-state.js';

/** A copy of everything a sequence needs to continue exactly (the seed's get/set_internal_state). */
export interface SequenceSnapshot {
  readonly tokens: readonly number[];
  readonly pendingToken: number | undefined;
  readonly rngState: readonly number[];
  readonly state: Float32Array;
}

export class Sequence {
  readonly state: MambaState;
  /** (nVocab) logits after the last fed token; valid when `hasLogits`. */
  readonly logits: Float32Array;
  sampler: Sampler;
  /** Every token fed into the state, prompt included. */
  tokens: number[] = [];
  /** Sampled (and already shown to the user) but not yet fed. */
  pendingToken: number | undefined;
  hasLogits = false;

  /** `state`: a zeroed state to use (e.g. one living in the backend's memory); default a new one. */
  constructor(config: MambaConfig, sampling: Partial<SamplingOptions> = {}, state?: MambaState) {
    this.state = state ?? new MambaState(config);
    this.logits = new Float32Array(config.nVocab);
    this.sampler = new Sampler(config.nVocab, sampling);
  }

  /** Changes the sampling options; the random stream continues where it was. */
  configureSampling(sampling: Partial<SamplingOptions>): void {
    const rng = this.sampler.getState();
    this.sampler = new Sampler(this.sampler.nVocab, sampling);
    this.sampler.setState(rng);
  }

  getState(): SequenceSnapshot {
    return {
      tokens: this.tokens.slice(),
      pendingToken: this.pendingToken,
      rngState: Array.from(this.sampler.getState()),
      state: this.state.data.slice(),
    };
  }

  /** Restores a snapshot. The logits are not part of it: the next feed recomputes them. */
  setState(s: SequenceSnapshot): void {
    this.state.data.set(s.state);
    this.tokens = s.tokens.slice();
    this.pendingToken = s.pendingToken;
    this.sampler.setState(s.rngState);
    this.hasLogits = false;
  }
}
