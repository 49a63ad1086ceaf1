/**
 * Decodes any tensor type mamba.ts reads to F32: the single entry point over the codec table
 * (src/quant/quant-traits.ts, one row per type, block layouts documented next to each codec). The scalar
 * reference backend dequantizes every weight with this at load time.
 */
import { UnsupportedError } from '../errors.js';
import { QUANT_TRAITS } from '../quant/quant-traits.js';
import { quantize } from '../quant/quantize.js';
import { supportedTypeNames, type GGMLTypeTraits } from './ggml-type.js';

export { QK8_0, Q8_0_BLOCK_BYTES } from '../quant/q8_0.js';
export { QK4_0, Q4_0_BLOCK_BYTES } from '../quant/q4_0.js';

/** Decodes `nElements` values of `type` from `bytes` to F32. */
export function dequantize(bytes: Uint8Array, type: GGMLTypeTraits, nElements: number): Float32Array {
  const tr = QUANT_TRAITS[type.name];
  if (!tr) throw new UnsupportedError(`cannot decode tensor type ${type.name}; supported: ${supportedTypeNames()}`);
  const nBytes = (nElements / tr.blockSize) * tr.blockBytes;
  if (nElements % tr.blockSize !== 0 || bytes.byteLength < nBytes) {
    throw new RangeError(`${bytes.byteLength} bytes do not hold ${nElements} ${type.name} values (${nBytes} bytes needed)`);
  }
  const out = new Float32Array(nElements);
  tr.dequantize(bytes, out);
  return out;
}

/** Encodes F32 values as `type` (any type `quantize` writes; kept for callers of the F32/F16/BF16-only API). */
export function encodeFloat(values: Float32Array, type: GGMLTypeTraits): Uint8Array {
  return quantize(values, type);
}
