/**
 * mamba.ts, platform-neutral API (no Node modules): model files from any ByteSource, conversion, tokenizer,
 * sampling, generation. Node file access and `loadModel(path)` are in `mamba-ts/node`.
 */
export * from './errors.js';
export type { ByteSource, ByteSink } from './io/byte-source.js';
export { MemorySource, MemorySink } from './io/byte-source.js';
export { GGML_TYPES, ggmlType, ggmlTypeById, type GGMLTypeName, type GGMLTypeTraits } from './ggml/ggml-type.js';
export { dequantize } from './ggml/dequantize.js';
export { GGUFMetadata } from './gguf/gguf-metadata.js';
export { readGGUF, type GGUFFile, type GGUFTensorInfo } from './gguf/gguf-reader.js';
export { writeGGUF, type GGUFTensorToWrite } from './gguf/gguf-writer.js';
export { readSafetensors } from './formats/safetensors.js';
export { readTorchBin, readTorchCheckpoint } from './formats/torch-bin.js';
export { parseConfigJson, configFromGGUF, type MambaConfig } from './model/mamba-config.js';
export { openGGUFModel, openCheckpointDirectory, type ModelFile, type ModelFormat } from './model/model-file.js';
export type { ModelDirectory } from './model/model-directory.js';
export type { TensorEntry } from './model/tensor-entry.js';
export { MAMBA1_TENSORS, expectedTensors } from './model/tensor-names.js';
export { convertToGGUF, CONVERT_TYPES, type ConvertOptions } from './convert/convert-to-gguf.js';
export * from './tokenizer/index.js';
export { tokenizerForModel } from './tokenizer/model-tokenizer.js';
export { Sampler } from './sampling/sampler.js';
export { DEFAULT_SAMPLING, type SamplingOptions } from './sampling/sampling-options.js';
export { MambaModel, BACKEND_NAMES, DEFAULT_BACKEND, type BackendName, type GenerateOptions, type GenerateInput, type GenerationEvent, type FinishReason } from './engine/mamba-model.js';
export { chooseBackend, type BackendChoice } from './engine/choose-backend.js';
export { Sequence, type SequenceSnapshot } from './engine/sequence.js';
export { MambaState } from './engine/mamba-state.js';
export { MambaReference } from './engine/mamba-reference.js';
export type { ForwardBackend } from './engine/forward-backend.js';
export { perplexity, type PerplexityResult } from './engine/perplexity.js';
export { WasmBackend, type WasmBackendOptions } from './wasm/wasm-backend.js';
export type { KernelWorker, KernelWorkerFactory, KernelWorkerInit } from './wasm/kernel-pool.js';
export { KernelWorkerError } from './wasm/kernel-pool.js';
export { QuantizeError } from './quant/quantize-error.js';
export { WASM_FEATURES } from './wasm/wasm-features.js';
