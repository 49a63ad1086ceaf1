/**
 * Q8_K: the activation format the k-quant and ternary dot products multiply with (ggml `vec_dot_type` of
 * Q4_K, Q6_K, TQ1_0, TQ2_0). 256 values per block, 292 bytes.
 *
 *   offset 0    f32  d           x ≈ d · qs[j]; d = max / −127 with `max` the signed value of largest magnitude
 *   offset 4    i8   qs[256]
 *   offset 260  i16  bsums[16]   bsums[g] = Σ qs[16g .. 16g+15] (lets Q4_K subtract its mins without unpacking)
 *
 * Quantize: ggml `quantize_row_q8_K_ref` (qs = nearest_int(x · −127/max), capped at 127). An all-zero block
 * stores d = 0, qs = 0 and bsums = 0 (ggml leaves bsums unwritten there). A block holding a NaN stores d = NaN,
 * qs = 0 and bsums = 0, so every dot with it is NaN: ggml's reference skips NaN in its max, which would give a
 * finite d and silently wrong dots. Not a storage type: gguf-py has no
 * codec for it, so it is tested by round trip and by its invariants.
 */
import { QK_K } from './qk-k.js';
import { nearestInt } from './rounding.js';

export const Q8_K_BLOCK_BYTES = 292;
export const Q8_K_D_OFFSET = 0;
export const Q8_K_QS_OFFSET = 4;
export const Q8_K_BSUMS_OFFSET = 260;

export function quantizeQ8_K(src: Float32Array, dst: Uint8Array): void {
  const f = Math.fround;
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  const nBlocks = src.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const x = b * QK_K;
    const o = b * Q8_K_BLOCK_BYTES;
    let max = 0;
    let amax = 0;
    let nan = false;
    for (let j = 0; j < QK_K; j++) {
      const ax = Math.abs(src[x + j]);
      if (ax > amax) {
        amax = ax;
        max = src[x + j];
      } else if (Number.isNaN(ax)) nan = true;
    }
    if (nan) {
      dst.fill(0, o, o + Q8_K_BLOCK_BYTES);
      dv.setFloat32(o + Q8_K_D_OFFSET, NaN, true);
      continue;
    }
    if (amax === 0) {
      dst.fill(0, o, o + Q8_K_BLOCK_BYTES);
      continue;
    }
    const iscale = f(-127 / max);
    for (let j = 0; j < QK_K; j++) dst[o + Q8_K_QS_OFFSET + j] = Math.min(127, nearestInt(f(iscale * src[x + j]))) & 0xff;
    for (let g = 0; g < QK_K / 16; g++) {
      let sum = 0;
      for (let i = 0; i < 16; i++) sum += dv.getInt8(o + Q8_K_QS_OFFSET + 16 * g + i);
      dv.setInt16(o + Q8_K_BSUMS_OFFSET + 2 * g, sum, true);
    }
    dv.setFloat32(o + Q8_K_D_OFFSET, f(1 / iscale), true);
  }
}

export function dequantizeQ8_K(src: Uint8Array, dst: Float32Array): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const nBlocks = dst.length / QK_K;
  for (let b = 0; b < nBlocks; b++) {
    const o = b * Q8_K_BLOCK_BYTES;
    const d = dv.getFloat32(o + Q8_K_D_OFFSET, true);
    for (let j = 0; j < QK_K; j++) dst[b * QK_K + j] = d * dv.getInt8(o + Q8_K_QS_OFFSET + j);
  }
}
