/** mamba.ts for Node: everything in the core API plus file access. */
export * from '../index.js';
export { loadModel, type LoadModelOptions } from './load-model.js';
export { openModel } from './open-model.js';
export { FileSource, FileSink } from './file-source.js';
export { NodeModelDirectory } from './node-model-directory.js';
export { saveState, loadState } from './state-file-io.js';
export { loadTokenizerForModel, loadTokenizerJsonFile } from '../tokenizer/load-tokenizer.js';
export { nodeKernelWorkerFactory, defaultThreadCount } from './worker-pool.js';
