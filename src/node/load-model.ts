/** Node entry: open a model by path and build it for generation. */
import type { OpenModelOptions } from '../model/model-file.js';
import { MambaModel, type BackendName } from '../engine/mamba-model.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { openModel } from './open-model.js';
import { defaultThreadCount, nodeKernelWorkerFactory } from './worker-pool.js';

export interface LoadModelOptions extends OpenModelOptions {
  /** Use this tokenizer instead of the model's own. */
  tokenizer?: Tokenizer;
  onTensor?: (name: string) => void;
  /**
   * 'wasm-threads' (SIMD kernels on worker_threads; the default), 'wasm' (one thread) or 'scalar' (the
   * reference); see chooseBackend.
   */
  backend?: BackendName;
  /**
   * Threads (worker_threads on one shared memory); 0 or absent = one per physical core (defaultThreadCount),
   * capped by the model's width. Call `model.dispose()` when done.
   */
  threads?: number;
}

/** Loads a .gguf file or a checkpoint directory (converted in memory) for generation. */
export async function loadModel(path: string, opts: LoadModelOptions = {}): Promise<MambaModel> {
  const file = await openModel(path, opts);
  try {
    return await MambaModel.fromModelFile(file, { ...opts, autoThreads: defaultThreadCount(), workerFactory: nodeKernelWorkerFactory });
  } finally {
    await file.close();
  }
}
