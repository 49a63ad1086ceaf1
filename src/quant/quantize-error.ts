import { MambaError } from '../errors.js';

/** A tensor cannot be quantized as asked (non-finite weights, a row length the type cannot hold). */
export class QuantizeError extends MambaError {
  override readonly code = 'E_QUANTIZE';
}
