/** Little-endian field access inside quantized blocks (every ggml block is little-endian, byte-packed). */
import { f16ToF32, f32ToF16 } from '../ggml/f16.js';

/** The IEEE half at `offset`, as a number (exact). */
export function readF16(src: Uint8Array, offset: number): number {
  return f16ToF32(src[offset] | (src[offset + 1] << 8));
}

/** Rounds `value` to IEEE half (nearest even, as GGML_FP32_TO_FP16 and numpy) and stores it at `offset`. */
export function writeF16(dst: Uint8Array, offset: number, value: number): void {
  const h = f32ToF16(value);
  dst[offset] = h & 0xff;
  dst[offset + 1] = h >>> 8;
}

/** The byte at `offset` as int8. */
export function readI8(src: Uint8Array, offset: number): number {
  return (src[offset] << 24) >> 24;
}
