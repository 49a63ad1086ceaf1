/**
 * safetensors reader: `u64 header length | JSON header | data`. The header maps each tensor name to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the end of the header), plus an
 * optional `__metadata__` map of strings.
 */
import { ModelFormatError, UnsupportedError } from '../errors.js';
import { ggmlType, type GGMLTypeTraits } from '../ggml/ggml-type.js';
import type { ByteSource } from '../io/byte-source.js';
import type { TensorEntry } from '../model/tensor-entry.js';

/** safetensors dtype → ggml type, for the dtypes mamba.ts loads. */
export const SAFETENSORS_DTYPES: Readonly<Record<string, GGMLTypeTraits>> = Object.freeze({
  F32: ggmlType('F32'),
  F16: ggmlType('F16'),
  BF16: ggmlType('BF16'),
});
/** Every dtype the format defines, with its element size (to validate headers we cannot load). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
/** Header larger than this is refused (real ones are a few hundred KB). */
const MAX_HEADER_BYTES = 100 << 20;

export interface SafetensorsFile {
  readonly metadata: Record<string, string>;
  readonly tensors: Map<string, TensorEntry>;
  /** Names whose dtype mamba.ts cannot load (listed, refused only if the model needs them). */
  readonly unsupported: Map<string, string>;
}

export async function readSafetensors(source: ByteSource): Promise<SafetensorsFile> {
  const file = source.name;
  const fail = (msg: string, hint?: string): never => {
    throw new ModelFormatError(file, msg, { hint });
  };
  if (source.size < 8) fail(`file is ${source.size} bytes, too small for a safetensors header`, 'the file is truncated');
  const lenBytes = await source.read(0, 8);
  const headerLen = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(Math.min(source.size - 8, MAX_HEADER_BYTES))) {
    fail(`header length ${headerLen} exceeds the file size (${source.size} bytes)`, 'the file is truncated or not a safetensors file');
  }
  const hBytes = await source.read(8, Number(headerLen));
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hBytes));
  } catch {
    return fail('header is not valid UTF-8 JSON', 'the file is corrupt or not a safetensors file');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + Number(headerLen);
  const dataSize = source.size - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, TensorEntry>();
  const unsupported = new Map<string, string>();
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null) fail('`__metadata__` is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`\`__metadata__.${k}\` is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== 'object' || t === null) fail(`tensor \`${name}\`: entry is not an object`);
    const { dtype, shape, data_offsets: offs } = t;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor \`${name}\`: unknown dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`tensor \`${name}\`: bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isSafeInteger(d) && d >= 0) || offs[0] > offs[1]) {
      fail(`tensor \`${name}\`: bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    const dims = shape as number[];
    const nElements = dims.reduce((a, b) => a * b, 1);
    const elemBytes = DTYPE_BYTES[dtype as string];
    if (end - begin !== nElements * elemBytes) {
      fail(`tensor \`${name}\`: ${end - begin} bytes of data for ${dtype} ${JSON.stringify(dims)} (expected ${nElements * elemBytes})`);
    }
    if (end > dataSize) {
      fail(`tensor \`${name}\` data [${begin}, ${end}) runs past the end of the file (data section is ${dataSize} bytes)`, 'the file is truncated: download it again');
    }
    const type = SAFETENSORS_DTYPES[dtype as string];
    if (!type) {
      unsupported.set(name, dtype as string);
      continue;
    }
    tensors.set(name, {
      name,
      type,
      shape: dims,
      nBytes: end - begin,
      read: (into?: Uint8Array) => source.read(dataStart + begin, end - begin, into),
    });
  }
  return { metadata, tensors, unsupported };
}

export function unsupportedDtypeError(file: string, name: string, dtype: string): UnsupportedError {
  return new UnsupportedError(`${file}: tensor \`${name}\` has dtype ${dtype}; supported: ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`, {
    hint: 'save the checkpoint in float32, float16 or bfloat16',
  });
}
