import type { GGMLTypeTraits } from '../ggml/ggml-type.js';

/**
 * One tensor of a model file, not yet read. Every reader (GGUF, safetensors, PyTorch .bin) produces these;
 * nothing is read from disk until `read()` is called, so a converter can stream tensor by tensor.
 */
export interface TensorEntry {
  /** Name as stored in the file (HF / state-spaces name, or GGUF name). */
  readonly name: string;
  readonly type: GGMLTypeTraits;
  /** Dimensions outer-first (PyTorch order). GGUF's innermost-first order is reversed once, in the GGUF reader. */
  readonly shape: readonly number[];
  /** Size of the data returned by `read()`. */
  readonly nBytes: number;
  /**
   * Identity of the underlying bytes, when the format can tell that two names share them
   * (PyTorch: storage key + offset + shape + strides). Equal keys mean equal data.
   */
  readonly storageKey?: string;
  /**
   * Reads the data: contiguous, row-major (last dim fastest), little-endian, in `type`. `into` (nBytes long)
   * is a hint: formats that store the bytes as they are read them straight there and return it; others
   * return their own buffer (the caller copies).
   */
  read(into?: Uint8Array): Promise<Uint8Array>;
}

export function numElements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
