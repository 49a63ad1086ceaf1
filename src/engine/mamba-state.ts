/**
 * The recurrent state of one sequence: per layer, the last dConv−1 conv inputs and the SSM state.
 * One contiguous Float32Array, so saving and restoring a whole context is one copy.
 *
 *   layer l: conv (dInner, dConv−1)  — conv_state[:, :, 1:] of the reference (oldest first)
 *            ssm  (dInner, dState)
 */
import type { MambaConfig } from '../model/mamba-config.js';

export interface MambaStateOptions {
  /**
   * Storage to use instead of a new array (e.g. a view on a backend's wasm memory, so the backend steps the
   * state in place); `MambaState.nFloats(config)` long. Its contents are kept.
   */
  data?: Float32Array;
}

export class MambaState {
  readonly data: Float32Array;
  readonly convSize: number;
  readonly ssmSize: number;
  readonly layerSize: number;

  constructor(
    readonly config: MambaConfig,
    opts: MambaStateOptions = {},
  ) {
    this.convSize = config.dInner * (config.dConv - 1);
    this.ssmSize = config.dInner * config.dState;
    this.layerSize = this.convSize + this.ssmSize;
    const n = MambaState.nFloats(config);
    if (opts.data && opts.data.length !== n) throw new RangeError(`state storage has ${opts.data.length} floats, the model needs ${n}`);
    this.data = opts.data ?? new Float32Array(n);
  }

  /** Floats of one sequence's state: nLayer · dInner · (dConv − 1 + dState). */
  static nFloats(config: MambaConfig): number {
    return config.nLayer * config.dInner * (config.dConv - 1 + config.dState);
  }

  /** conv state of layer `l`: (dInner, dConv−1). */
  conv(l: number): Float32Array {
    const o = l * this.layerSize;
    return this.data.subarray(o, o + this.convSize);
  }

  /** SSM state of layer `l`: (dInner, dState). */
  ssm(l: number): Float32Array {
    const o = l * this.layerSize + this.convSize;
    return this.data.subarray(o, o + this.ssmSize);
  }

  reset(): void {
    this.data.fill(0);
  }

  copyFrom(other: MambaState): void {
    this.data.set(other.data);
  }
}
