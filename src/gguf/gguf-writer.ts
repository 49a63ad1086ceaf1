/**
 * GGUF v3 writer. The header is built in memory (all tensor sizes are known up front), then tensor data is
 * streamed one tensor at a time, so writing a model never holds more than one tensor in memory.
 */
import { MambaError } from '../errors.js';
import { tensorBytes, type GGMLTypeTraits } from '../ggml/ggml-type.js';
import { BinaryWriter, alignUp } from '../io/binary-cursor.js';
import type { ByteSink } from '../io/byte-source.js';
import type { GGUFMetadata } from './gguf-metadata.js';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './gguf-reader.js';
import { valueTypeByName, type GGUFPlain, type GGUFType } from './gguf-value.js';

export interface GGUFTensorToWrite {
  readonly name: string;
  readonly type: GGMLTypeTraits;
  /** Outer-first (PyTorch order); written innermost-first as ggml expects. */
  readonly shape: readonly number[];
  /** Produces the tensor's bytes (exactly `tensorBytes(type, shape)` of them). */
  read(): Promise<Uint8Array>;
}

export interface WriteGGUFOptions {
  /** Called after each tensor is written (for progress bars). */
  onTensor?: (index: number, tensor: GGUFTensorToWrite, nBytes: number) => void;
}

const encoder = new TextEncoder();

function writeString(w: BinaryWriter, s: string): void {
  const b = encoder.encode(s);
  w.u64(b.byteLength);
  w.bytes(b);
}

function writeValue(w: BinaryWriter, type: GGUFType, v: GGUFPlain): void {
  if (type === 'string') {
    if (typeof v !== 'string') throw new TypeError('GGUF string value must be a string');
    writeString(w, v);
  } else if (type === 'array') {
    if (typeof v !== 'object') throw new TypeError('GGUF array value must be {itemType, items}');
    w.u32(valueTypeByName(v.itemType).id);
    const items = v.items;
    w.u64(items.length);
    for (const item of items) writeValue(w, v.itemType, item);
  } else {
    valueTypeByName(type).write!(w, v);
  }
}

/** Serializes the header (magic … tensor infos, padded to the alignment). */
export function encodeGGUFHeader(metadata: GGUFMetadata, tensors: readonly GGUFTensorToWrite[]): { header: Uint8Array; alignment: number; sizes: number[]; offsets: number[] } {
  const alignment = metadata.getNumber('general.alignment') ?? GGUF_DEFAULT_ALIGNMENT;
  const w = new BinaryWriter();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.size);
  for (const [key, { type, value }] of metadata.entries()) {
    writeString(w, key);
    w.u32(valueTypeByName(type).id);
    writeValue(w, type, value);
  }
  const sizes: number[] = [];
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    const nBytes = tensorBytes(t.type, t.shape);
    if (nBytes === undefined) {
      throw new MambaError(`cannot write \`${t.name}\` as ${t.type.name}: row length ${t.shape[t.shape.length - 1]} is not a multiple of ${t.type.blockSize}`);
    }
    writeString(w, t.name);
    w.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) w.u64(t.shape[d]);
    w.u32(t.type.id);
    w.u64(offset);
    sizes.push(nBytes);
    offsets.push(offset);
    offset = alignUp(offset + nBytes, alignment);
  }
  w.zeros(alignUp(w.length, alignment) - w.length);
  return { header: w.toBytes(), alignment, sizes, offsets };
}

/** Writes a complete GGUF file to `sink` (and closes it). */
export async function writeGGUF(
  sink: ByteSink,
  metadata: GGUFMetadata,
  tensors: readonly GGUFTensorToWrite[],
  options: WriteGGUFOptions = {},
): Promise<void> {
  const { header, alignment, sizes } = encodeGGUFHeader(metadata, tensors);
  await sink.write(header);
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    const data = await t.read();
    if (data.byteLength !== sizes[i]) {
      throw new MambaError(`tensor \`${t.name}\` produced ${data.byteLength} bytes, expected ${sizes[i]} for ${t.type.name} ${JSON.stringify(t.shape)}`);
    }
    await sink.write(data);
    const pad = alignUp(data.byteLength, alignment) - data.byteLength;
    if (pad > 0) await sink.write(new Uint8Array(pad));
    options.onTensor?.(i, t, data.byteLength);
  }
  await sink.close();
}
