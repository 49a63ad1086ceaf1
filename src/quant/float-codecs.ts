/**
 * The unquantized storage types as codecs with a block of 1: F32 (4 bytes, little-endian IEEE single), F16 (2
 * bytes, IEEE half) and BF16 (2 bytes, the high half of an IEEE single). Encoding rounds to nearest even,
 * bit-exact with numpy / torch (see ggml/f16.ts).
 */
import { bf16ToF32, f16ToF32, f32ToBF16, f32ToF16 } from '../ggml/f16.js';

export function quantizeF32(src: Float32Array, dst: Uint8Array): void {
  const dv = new DataView(dst.buffer, dst.byteOffset, dst.byteLength);
  for (let i = 0; i < src.length; i++) dv.setFloat32(4 * i, src[i], true);
}

export function dequantizeF32(src: Uint8Array, dst: Float32Array): void {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  for (let i = 0; i < dst.length; i++) dst[i] = dv.getFloat32(4 * i, true);
}

export function quantizeF16(src: Float32Array, dst: Uint8Array): void {
  for (let i = 0; i < src.length; i++) {
    const h = f32ToF16(src[i]);
    dst[2 * i] = h & 0xff;
    dst[2 * i + 1] = h >>> 8;
  }
}

export function dequantizeF16(src: Uint8Array, dst: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = f16ToF32(src[2 * i] | (src[2 * i + 1] << 8));
}

export function quantizeBF16(src: Float32Array, dst: Uint8Array): void {
  for (let i = 0; i < src.length; i++) {
    const h = f32ToBF16(src[i]);
    dst[2 * i] = h & 0xff;
    dst[2 * i + 1] = h >>> 8;
  }
}

export function dequantizeBF16(src: Uint8Array, dst: Float32Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] = bf16ToF32(src[2 * i] | (src[2 * i + 1] << 8));
}
