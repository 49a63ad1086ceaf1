/** Reads test/fixtures/quant/ (written by tools/quant/make_quant_fixtures.py from gguf-py's reference codecs). */
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';

export interface InputCase {
  name: string;
  about: string;
  values: Float32Array;
}

export interface TypeFixture {
  type: string;
  blockSize: number;
  typeSize: number;
  /** gguf.quants.quantize of every input case (null: gguf-py cannot quantize this type). */
  quantize: { case: string; bytes: Uint8Array; f32: Float32Array }[] | null;
  /** Random block bytes and gguf.quants.dequantize of them. */
  dequantize: { name: string; bytes: Uint8Array; f32: Float32Array }[];
}

export function hexBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function hexF32(hex: string): Float32Array {
  const b = hexBytes(hex);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

export function loadInputs(): InputCase[] {
  const j = JSON.parse(readFileSync(fixture('quant', 'inputs.json'), 'utf8'));
  return (j.cases as { name: string; about: string; f32: string }[]).map((c) => ({ name: c.name, about: c.about, values: hexF32(c.f32) }));
}

export function loadTypeFixture(type: string): TypeFixture {
  const j = JSON.parse(readFileSync(fixture('quant', `${type.toLowerCase()}.json`), 'utf8'));
  return {
    type: j.type,
    blockSize: j.block_size,
    typeSize: j.type_size,
    quantize: j.quantize?.map((q: { case: string; bytes: string; f32: string }) => ({ case: q.case, bytes: hexBytes(q.bytes), f32: hexF32(q.f32) })) ?? null,
    dequantize: j.dequantize.map((d: { name: string; bytes: string; f32: string }) => ({ name: d.name, bytes: hexBytes(d.bytes), f32: hexF32(d.f32) })),
  };
}

/** Bit-level equality of two float arrays (distinguishes −0 and +0; NaN equals NaN with the same bits). */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
