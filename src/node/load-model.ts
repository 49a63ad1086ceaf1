/** Node entry: open a model by path and build it for generation. */
import type { OpenModelOptions } from '../model/model-file.js';
import { MambaModel, type BackendName } from '../engine/mamba-model.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { openModel } from './open-model.js';

export interface LoadModelOptions extends OpenModelOptions {
  /** Use this tokenizer instead of the model's own. */
  tokenizer?: Tokenizer;
  onTensor?: (name: string) => void;
  /** 'wasm' (SIMD kernels; the default where WebAssembly SIMD exists) or 'scalar' (the reference). */
  backend?: BackendName;
}

/** Loads a .gguf file or a checkpoint directory (converted in memory) for generation. */
export async function loadModel(path: string, opts: LoadModelOptions = {}): Promise<MambaModel> {
  const file = await openModel(path, opts);
  try {
    return await MambaModel.fromModelFile(file, opts);
  } finally {
    await file.close();
  }
}
