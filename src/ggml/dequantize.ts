/**
 * Reference codecs to and from F32 for the tensor types mamba.ts loads: a plain loop per type,
 * the spec that fast kernels are tested against. Block layouts are ggml's:
 *
 *   Q8_0: 32 weights per block, 34 bytes: f16 d | int8 q[32]            w = d · q
 *   Q4_0: 32 weights per block, 18 bytes: f16 d | u8 qs[16]             w = d · (nibble − 8)
 *         weight j (j < 16) is the low nibble of qs[j], weight j + 16 its high nibble.
 */
import { UnsupportedError } from '../errors.js';
import { bf16ToF32, f16ToF32, f32ToBF16, f32ToF16 } from './f16.js';
import { supportedTypeNames, type GGMLTypeTraits } from './ggml-type.js';

export const QK8_0 = 32;
export const Q8_0_BLOCK_BYTES = 34;
export const QK4_0 = 32;
export const Q4_0_BLOCK_BYTES = 18;

type Decoder = (src: DataView, out: Float32Array) => void;

const DECODERS: Partial<Record<string, Decoder>> = {
  F32(src, out) {
    for (let i = 0; i < out.length; i++) out[i] = src.getFloat32(4 * i, true);
  },
  F16(src, out) {
    for (let i = 0; i < out.length; i++) out[i] = f16ToF32(src.getUint16(2 * i, true));
  },
  BF16(src, out) {
    for (let i = 0; i < out.length; i++) out[i] = bf16ToF32(src.getUint16(2 * i, true));
  },
  Q8_0(src, out) {
    const nBlocks = out.length / QK8_0;
    for (let b = 0; b < nBlocks; b++) {
      const base = b * Q8_0_BLOCK_BYTES;
      const d = f16ToF32(src.getUint16(base, true));
      for (let j = 0; j < QK8_0; j++) out[b * QK8_0 + j] = d * src.getInt8(base + 2 + j);
    }
  },
  Q4_0(src, out) {
    const nBlocks = out.length / QK4_0;
    for (let b = 0; b < nBlocks; b++) {
      const base = b * Q4_0_BLOCK_BYTES;
      const d = f16ToF32(src.getUint16(base, true));
      for (let j = 0; j < QK4_0 / 2; j++) {
        const q = src.getUint8(base + 2 + j);
        out[b * QK4_0 + j] = d * ((q & 0x0f) - 8);
        out[b * QK4_0 + j + QK4_0 / 2] = d * ((q >> 4) - 8);
      }
    }
  },
};

/** Decodes `nElements` values of `type` from `bytes` to F32. */
export function dequantize(bytes: Uint8Array, type: GGMLTypeTraits, nElements: number): Float32Array {
  const dec = DECODERS[type.name];
  if (!dec) throw new UnsupportedError(`cannot decode tensor type ${type.name}; supported: ${supportedTypeNames()}`);
  const out = new Float32Array(nElements);
  dec(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), out);
  return out;
}

/** Encodes F32 values as F32, F16 or BF16 bytes (quantized types come with the quantization issue). */
export function encodeFloat(values: Float32Array, type: GGMLTypeTraits): Uint8Array {
  if (type.name === 'F32') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  const enc = type.name === 'F16' ? f32ToF16 : type.name === 'BF16' ? f32ToBF16 : undefined;
  if (!enc) throw new UnsupportedError(`cannot encode tensor type ${type.name} (F32, F16, BF16 only)`);
  for (let i = 0; i < values.length; i++) dv.setUint16(2 * i, enc(values[i]), true);
  return out;
}
