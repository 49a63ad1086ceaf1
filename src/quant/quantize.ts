/** Encodes F32 values as any writable tensor type: the one entry point over QUANT_TRAITS (dequantize's twin). */
import { UnsupportedError } from '../errors.js';
import type { GGMLTypeTraits } from '../ggml/ggml-type.js';
import { QUANT_TRAITS } from './quant-traits.js';

/** Names of the types `quantize` can write, for error messages. */
export function quantizableTypeNames(): string {
  return Object.keys(QUANT_TRAITS).join(', ');
}

/**
 * Encodes `values` as `type` (whole blocks: values.length must be a multiple of the block size).
 * Returns exactly values.length / blockSize · blockBytes bytes.
 */
export function quantize(values: Float32Array, type: GGMLTypeTraits): Uint8Array {
  const tr = QUANT_TRAITS[type.name];
  if (!tr) throw new UnsupportedError(`cannot encode tensor type ${type.name}; supported: ${quantizableTypeNames()}`);
  if (values.length % tr.blockSize !== 0) {
    throw new RangeError(`${values.length} values are not a whole number of ${type.name} blocks of ${tr.blockSize}`);
  }
  const out = new Uint8Array((values.length / tr.blockSize) * tr.blockBytes);
  tr.quantize(values, out);
  return out;
}
