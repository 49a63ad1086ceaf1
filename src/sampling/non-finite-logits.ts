/**
 * The error for logits that hold NaN or +inf — no token can be drawn from them and no perplexity computed.
 * −inf is not an error: it is a masked token.
 */
import { NumericError } from '../errors.js';

/** NumericError naming how many logits are NaN or +inf and the first; `where` e.g. "before token 12". */
export function nonFiniteLogits(logits: Float32Array, where?: string): NumericError {
  let first = -1;
  let count = 0;
  for (let i = 0; i < logits.length; i++) {
    if (!(logits[i] < Infinity)) {
      if (first < 0) first = i;
      count++;
    }
  }
  const which = first < 0 ? 'every one is −inf' : `${count} of ${logits.length} are NaN or +inf (the first, token ${first}, is ${logits[first]})`;
  return new NumericError(`the model's logits${where ? ` ${where}` : ''} are not finite: ${which}`, {
    hint: 'the weights are likely corrupt (NaN or inf in the file) or a value overflowed: re-convert or re-download the model, or compare with --backend scalar',
  });
}
