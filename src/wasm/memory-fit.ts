/**
 * The error for a model too big for wasm32's 4 GiB: how much it needs, and which weight types would fit
 * (estimated from the same tensors re-encoded), with the command that makes such a file.
 */
import { UnsupportedError } from '../errors.js';
import { ggmlType, type GGMLTypeName } from '../ggml/ggml-type.js';
import type { ModelFile } from '../model/model-file.js';
import { numElements } from '../model/tensor-entry.js';

/** Quantized types the WASM backend computes with, smallest last: the candidates a user can convert to. */
const CANDIDATES: readonly GGMLTypeName[] = ['F16', 'Q8_0', 'Q4_0'];

/** Bytes of `file`'s 2-D weights if re-encoded as `type` (rows that don't fit its blocks as F16, as `quantize` does). */
function matrixBytesAs(file: ModelFile, type: GGMLTypeName): number {
  const t = ggmlType(type);
  let n = 0;
  for (const e of file.tensors) {
    if (e.shape.length !== 2) continue;
    const elems = numElements(e.shape);
    n += e.shape[1] % t.blockSize === 0 ? (elems / t.blockSize) * t.typeSize : 2 * elems;
  }
  return n;
}

/**
 * Throws if `needBytes` of WASM memory exceed `limitBytes`; the message names the types whose file would fit.
 * `matrixBytesNow` is what the 2-D weights take in the plan (the rest — state, scratch, vectors — stays).
 */
export function checkMemoryFits(file: ModelFile, needBytes: number, limitBytes: number, matrixBytesNow: number): void {
  if (needBytes <= limitBytes) return;
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  const rest = needBytes - matrixBytesNow;
  const fits = CANDIDATES.map((type) => ({ type, bytes: rest + matrixBytesAs(file, type) })).filter((c) => c.bytes <= limitBytes);
  const best = fits[0];
  throw new UnsupportedError(
    `${file.path}: the model needs ${gib(needBytes)} of WebAssembly memory; wasm32 addresses at most ${gib(limitBytes)}` +
      (fits.length > 0 ? `. As ${fits.map((c) => `${c.type} (${gib(c.bytes)})`).join(' or ')} it would fit` : '; no supported weight type makes it fit'),
    {
      hint: best
        ? `make a ${best.type} file: mamba-ts ${file.format === 'gguf' ? 'quantize' : 'convert'} ${file.path} OUT.gguf --type ${best.type.toLowerCase()}`
        : 'this model is too large for the WASM backend; the scalar backend (--backend scalar) has no 4 GiB limit but is slow',
    },
  );
}
