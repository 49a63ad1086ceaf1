/** Encodes one tensor's F32 values as its output type: whole-tensor blocks, or row by row for absmean ternary. */
import type { GGMLTypeTraits } from '../ggml/ggml-type.js';
import { QuantizeError } from './quantize-error.js';
import { QUANT_TRAITS } from './quant-traits.js';
import { quantize } from './quantize.js';
import { quantizeRowTernaryAbsmean, type TernaryScale } from './ternary-absmean.js';

export interface EncodeOptions {
  /** Scale of TQ1_0 / TQ2_0 tensors: ggml's per-block absmax (default) or BitNet's per-row absmean. */
  ternaryScale?: TernaryScale;
}

/**
 * `values` (row-major, rows of shape[last]) as `type`. Quantized types reject NaN / ±Inf, which no block scale
 * can represent.
 */
export function encodeTensor(name: string, values: Float32Array, shape: readonly number[], type: GGMLTypeTraits, opts: EncodeOptions = {}): Uint8Array {
  const tr = QUANT_TRAITS[type.name];
  const rowLength = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (tr && tr.blockSize > 1) {
    if (rowLength % tr.blockSize !== 0) {
      throw new QuantizeError(`cannot store \`${name}\` as ${type.name}: its rows of ${rowLength} are not a multiple of ${tr.blockSize}`);
    }
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new QuantizeError(`\`${name}\` holds ${values[i]} at index ${i}: cannot quantize it to ${type.name}`, {
          hint: 'the source weights are corrupt; convert to f32/f16 to inspect them',
        });
      }
    }
  }
  if (opts.ternaryScale === 'absmean' && (type.name === 'TQ1_0' || type.name === 'TQ2_0')) {
    const nRows = values.length / rowLength;
    const rowBytes = (rowLength / tr!.blockSize) * tr!.blockBytes;
    const out = new Uint8Array(nRows * rowBytes);
    for (let r = 0; r < nRows; r++) {
      quantizeRowTernaryAbsmean(values.subarray(r * rowLength, (r + 1) * rowLength), type.name, out.subarray(r * rowBytes, (r + 1) * rowBytes));
    }
    return out;
  }
  return quantize(values, type);
}
