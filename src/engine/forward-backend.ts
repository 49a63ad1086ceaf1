import type { MambaConfig } from '../model/mamba-config.js';
import type { MambaState } from './mamba-state.js';

/**
 * What the generator needs from a compute backend. The scalar reference (`MambaReference`) is the spec;
 * fast backends (WASM SIMD, threads) implement the same interface and are tested against it.
 */
export interface ForwardBackend {
  readonly config: MambaConfig;
  readonly name: string;
  /** Feeds one token; writes the next-token logits (nVocab) when `logits` is given. */
  step(token: number, state: MambaState, logits?: Float32Array): void;
  /** Feeds a run of tokens (prompt processing); writes the logits after the last one when given. */
  prefill(tokens: ArrayLike<number>, state: MambaState, logits?: Float32Array): void;
  /**
   * One step of n sequences: token tokens[i] into states[i], its logits into logits[i] when given — the bits
   * of n `step` calls, with the weights read once for all of them where the backend can (WasmBackend: the
   * sequences whose states it holds). Absent: the caller steps the sequences one by one.
   */
  stepBatch?(n: number, tokens: ArrayLike<number>, states: readonly MambaState[], logits: readonly (Float32Array | undefined)[]): void;
  /**
   * A zeroed state that lives inside the backend (WASM memory), stepped in place with no copy per token,
   * or undefined when the backend has none free (then any MambaState works, copied in and out per call).
   * The backend takes the slot back when the state is garbage-collected, or at `releaseState`.
   */
  acquireState?(): MambaState | undefined;
  /** Gives an acquired state's slot back now (the state must not be used afterwards). */
  releaseState?(state: MambaState): void;
  /** Threads computing each step (absent: one). */
  readonly nThreads?: number;
  /** Releases what memory alone does not (worker threads); the backend cannot compute afterwards. */
  dispose?(): Promise<void>;
}
