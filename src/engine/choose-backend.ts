/**
 * Which compute backend runs a model, and on how many threads. One row per backend:
 *   scalar        the reference: plain TypeScript loops, the oracle every kernel is tested against; one thread.
 *   wasm          SIMD128 kernels on one thread (no workers; needs WebAssembly SIMD).
 *   wasm-threads  the same kernels on N threads sharing one WebAssembly.Memory (Node worker_threads; in a
 *                 browser, a cross-origin isolated page). Results are the same bits as `wasm`.
 * The default is detected once at import: the best of those this runtime can run.
 */
import { UsageError } from '../errors.js';
import { WASM_FEATURES } from '../wasm/wasm-features.js';

export type BackendName = 'scalar' | 'wasm' | 'wasm-threads';
export const BACKEND_NAMES: readonly BackendName[] = Object.freeze(['scalar', 'wasm', 'wasm-threads']);

/** 'wasm-threads' where WebAssembly SIMD and shared memory exist, 'wasm' with SIMD alone, else 'scalar'. */
export const DEFAULT_BACKEND: BackendName = !WASM_FEATURES.simd ? 'scalar' : WASM_FEATURES.sharedMemory ? 'wasm-threads' : 'wasm';

export interface BackendChoice {
  readonly name: BackendName;
  readonly threads: number;
}

/**
 * The backend and thread count for `asked` (a `--backend` name, or undefined) and `threads` (0 or undefined:
 * automatic, which is `autoThreads`: the host's one per physical core, capped by the model's width).
 *   no backend asked: threads > 1 (given or automatic) → wasm-threads where the runtime has it; one → wasm.
 *   scalar / wasm: one thread; asking for more is a UsageError (they do not run threads).
 *   wasm-threads: the threads given, else autoThreads.
 */
export function chooseBackend(asked: BackendName | undefined, threads: number | undefined, autoThreads: number): BackendChoice {
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
    throw new UsageError(`threads must be a positive integer (or 0 for one per physical core), got ${threads}`);
  }
  const explicit = threads !== undefined && threads > 0 ? threads : undefined;
  if (asked === undefined) {
    if (explicit !== undefined) return explicit > 1 ? { name: 'wasm-threads', threads: explicit } : { name: oneThread(), threads: 1 };
    return autoThreads > 1 && DEFAULT_BACKEND === 'wasm-threads' ? { name: 'wasm-threads', threads: autoThreads } : { name: oneThread(), threads: 1 };
  }
  if (asked === 'wasm-threads') return { name: asked, threads: explicit ?? autoThreads };
  if (asked === 'scalar' || asked === 'wasm') {
    if (explicit !== undefined && explicit > 1) {
      throw new UsageError(`${explicit} threads were asked for, but the ${asked} backend runs on one thread`, {
        hint: asked === 'wasm' ? 'use --backend wasm-threads (or leave --backend out)' : 'drop --threads: the scalar reference is single-threaded',
      });
    }
    return { name: asked, threads: 1 };
  }
  throw new UsageError(`unknown backend ${JSON.stringify(asked)}; supported: ${BACKEND_NAMES.join(', ')}`);
}

/** The one-thread backend this runtime has: wasm with SIMD, else scalar. */
function oneThread(): BackendName {
  return WASM_FEATURES.simd ? 'wasm' : 'scalar';
}
