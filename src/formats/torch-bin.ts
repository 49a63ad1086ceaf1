/**
 * PyTorch checkpoint reader: `pytorch_model.bin` as `torch.save` writes it since torch 1.6 — a zip archive
 *
 *   <prefix>/data.pkl      the pickled object: a state dict, name → tensor
 *   <prefix>/data/<key>    the raw bytes of storage <key>, little-endian, uncompressed
 *   <prefix>/byteorder     "little" (absent in files from older torch: little is assumed)
 *   <prefix>/version, .format_version, .storage_alignment, .data/serialization_id   (not needed)
 *
 * where <prefix> is the archive's folder name (the file name torch.save was given, e.g. `archive`).
 * Inside data.pkl each tensor is `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)` and each
 * storage a persistent id `('storage', torch.FloatStorage, key, location, numel)`. The pickle is read by
 * `unpickle` with the allow-list `torchPickleGlobals`: nothing from the file is ever executed.
 *
 * Tensors are views: two names may share one storage (state-spaces ties `lm_head.weight` to
 * `backbone.embedding.weight`), start at an offset in it, or have non-contiguous strides (a transposed
 * view saved as is). `read()` returns contiguous row-major bytes in every case; views of the same bytes
 * get the same `storageKey`.
 */
import { ModelFormatError, UnsupportedError } from '../errors.js';
import { ggmlType, type GGMLTypeName } from '../ggml/ggml-type.js';
import type { ByteSource } from '../io/byte-source.js';
import { numElements, type TensorEntry } from '../model/tensor-entry.js';
import {
  PickleDict,
  PickleGlobal,
  isPickleTuple,
  pickleTypeName,
  unpickle,
  type PickleExtension,
  type PickleGlobalBehaviour,
  type PickleGlobals,
  type PickleTuple,
  type PickleValue,
} from './pickle.js';
import { ZipArchive, looksLikeZip, type ZipEntry } from './zip.js';

export interface TorchDtype {
  /** `torch.<name>`, e.g. `float32`. */
  readonly name: string;
  /** Legacy typed-storage class `torch.<storage>` naming this dtype in `_rebuild_tensor_v2` pickles. */
  readonly storage?: string;
  readonly itemNBytes: number;
  /** The ggml type, for the dtypes mamba.ts loads. */
  readonly ggml?: GGMLTypeName;
}

/** One row per torch dtype a checkpoint may hold. Rows without `ggml` are listed, then refused. */
export const TORCH_DTYPES: readonly TorchDtype[] = Object.freeze([
  { name: 'float32', storage: 'FloatStorage', itemNBytes: 4, ggml: 'F32' },
  { name: 'float16', storage: 'HalfStorage', itemNBytes: 2, ggml: 'F16' },
  { name: 'bfloat16', storage: 'BFloat16Storage', itemNBytes: 2, ggml: 'BF16' },
  { name: 'float64', storage: 'DoubleStorage', itemNBytes: 8 },
  { name: 'int64', storage: 'LongStorage', itemNBytes: 8 },
  { name: 'int32', storage: 'IntStorage', itemNBytes: 4 },
  { name: 'int16', storage: 'ShortStorage', itemNBytes: 2 },
  { name: 'int8', storage: 'CharStorage', itemNBytes: 1 },
  { name: 'uint8', storage: 'ByteStorage', itemNBytes: 1 },
  { name: 'bool', storage: 'BoolStorage', itemNBytes: 1 },
  { name: 'complex64', storage: 'ComplexFloatStorage', itemNBytes: 8 },
  { name: 'complex128', storage: 'ComplexDoubleStorage', itemNBytes: 16 },
  { name: 'qint8', storage: 'QInt8Storage', itemNBytes: 1 },
  { name: 'quint8', storage: 'QUInt8Storage', itemNBytes: 1 },
  { name: 'qint32', storage: 'QInt32Storage', itemNBytes: 4 },
  { name: 'quint4x2', storage: 'QUInt4x2Storage', itemNBytes: 1 },
  { name: 'quint2x4', storage: 'QUInt2x4Storage', itemNBytes: 1 },
  // dtypes without a typed storage: pickled as _rebuild_tensor_v3(UntypedStorage, ..., dtype)
  { name: 'uint16', itemNBytes: 2 },
  { name: 'uint32', itemNBytes: 4 },
  { name: 'uint64', itemNBytes: 8 },
  { name: 'complex32', itemNBytes: 4 },
  { name: 'float8_e4m3fn', itemNBytes: 1 },
  { name: 'float8_e5m2', itemNBytes: 1 },
  { name: 'float8_e4m3fnuz', itemNBytes: 1 },
  { name: 'float8_e5m2fnuz', itemNBytes: 1 },
  { name: 'float8_e8m0fnu', itemNBytes: 1 },
]);

const UINT8 = TORCH_DTYPES.find((d) => d.name === 'uint8')!;
/** Storage class global → dtype of its elements. `UntypedStorage` holds bytes. */
const STORAGE_DTYPES = new Map<string, TorchDtype>([
  ...TORCH_DTYPES.filter((d) => d.storage).map((d): [string, TorchDtype] => [`torch.${d.storage}`, d]),
  ['torch.storage.UntypedStorage', UINT8],
]);
/** dtype global (`torch.uint16`, the last argument of `_rebuild_tensor_v3`) → dtype. */
const DTYPES_BY_GLOBAL = new Map(TORCH_DTYPES.map((d): [string, TorchDtype] => [`torch.${d.name}`, d]));

/** Names of the loadable dtypes, for error messages: "float32 (F32), float16 (F16), bfloat16 (BF16)". */
export function supportedTorchDtypes(): string {
  return TORCH_DTYPES.filter((d) => d.ggml).map((d) => `${d.name} (${d.ggml})`).join(', ');
}

/** A nested state dict is looked for under these top-level keys when the top level holds no tensors. */
const NESTED_STATE_DICT_KEYS = ['state_dict', 'model', 'module', 'model_state_dict'];
/** data.pkl larger than this is refused (a state dict's pickle is ~100 bytes per tensor). */
const MAX_PICKLE_NBYTES = 256 << 20;
/**
 * An expanded view (stride 0) can be larger than its storage once made contiguous; past this size it
 * is refused rather than materialised (state dicts never hold such views).
 */
const MAX_EXPANDED_NBYTES = 64 << 20;

const HINT_CORRUPT = 'the checkpoint is truncated or corrupt: download or save it again';
const HINT_RESAVE = 'load it with torch and save `model.state_dict()` again with torch.save, or convert it to safetensors';

export interface TorchCheckpoint {
  /** The archive's folder name, e.g. `archive` or `pytorch_model`. */
  readonly prefix: string;
  /** Tensors of loadable dtypes, in file order. */
  readonly tensors: Map<string, TensorEntry>;
  /** Names of tensors whose dtype mamba.ts cannot load → `torch.<dtype>` (refused only if needed). */
  readonly unsupported: Map<string, string>;
}

/** Reads a torch.save checkpoint, refusing it if any tensor has a dtype mamba.ts cannot load. */
export async function readTorchBin(source: ByteSource): Promise<Map<string, TensorEntry>> {
  const checkpoint = await readTorchCheckpoint(source);
  for (const [name, dtype] of checkpoint.unsupported) throw unsupportedTorchDtypeError(source.name, name, dtype);
  return checkpoint.tensors;
}

/** Reads a torch.save checkpoint, listing tensors of unsupported dtypes instead of refusing them. */
export async function readTorchCheckpoint(source: ByteSource): Promise<TorchCheckpoint> {
  const file = source.name;
  await checkIsZip(source);
  const archive = await ZipArchive.open(source);
  const prefix = findPrefix(file, archive);
  await checkByteOrder(archive, prefix);

  const pklEntry = archive.entry(`${prefix}/data.pkl`)!;
  if (pklEntry.nBytes > MAX_PICKLE_NBYTES) {
    throw new UnsupportedError(`${file}: ${prefix}/data.pkl is ${pklEntry.nBytes} bytes, larger than the ${MAX_PICKLE_NBYTES >> 20} MiB limit for a state dict`, { hint: HINT_RESAVE });
  }
  const pklFile = `${file} (${prefix}/data.pkl)`;
  const root = unpickle(await archive.read(pklEntry), {
    file: pklFile,
    globals: torchPickleGlobals(pklFile),
    persistentLoad: (pid) => loadStorage(pklFile, archive, prefix, pid),
  });

  const tensors = new Map<string, TensorEntry>();
  const unsupported = new Map<string, string>();
  for (const [name, value] of findStateDict(file, root)) {
    if (!(value instanceof TorchTensor)) continue; // e.g. `_extra_state`, None buffers
    if (typeof name !== 'string') {
      throw new ModelFormatError(file, `state dict has a ${pickleTypeName(name)} key instead of a tensor name`, { hint: HINT_RESAVE });
    }
    const entry = tensorEntry(file, archive, name, value);
    if (entry) tensors.set(name, entry);
    else unsupported.set(name, `torch.${value.dtype.name}`);
  }
  return { prefix, tensors, unsupported };
}

export function unsupportedTorchDtypeError(file: string, name: string, dtype: string): UnsupportedError {
  return new UnsupportedError(`${file}: tensor \`${name}\` has dtype ${dtype}; supported: ${supportedTorchDtypes()}`, {
    hint: 'save the checkpoint in float32, float16 or bfloat16, e.g. `torch.save({k: v.float() for k, v in sd.items()}, path)`',
  });
}

/** The allow-list of globals a torch.save state dict may reference (see `unpickle`). */
export function torchPickleGlobals(file: string): PickleGlobals {
  const globals = new Map<string, PickleGlobalBehaviour>([
    ['collections.OrderedDict', { call: () => new PickleDict() }],
    // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None)
    ['torch._utils._rebuild_tensor_v2', { call: (args) => rebuildTensor(file, 'v2', args) }],
    // _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None)
    ['torch._utils._rebuild_tensor_v3', { call: (args) => rebuildTensor(file, 'v3', args) }],
    // _rebuild_parameter(data, requires_grad, backward_hooks): an nn.Parameter saved as is
    ['torch._utils._rebuild_parameter', { call: (args) => parameterData(file, args) }],
    // _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)
    ['torch._utils._rebuild_parameter_with_state', { call: (args) => parameterData(file, args) }],
  ]);
  // Storage classes and dtypes are only referenced (in persistent ids and _rebuild_tensor_v3), never called.
  for (const name of [...STORAGE_DTYPES.keys(), ...DTYPES_BY_GLOBAL.keys()]) globals.set(name, {});
  return globals;
}

/** A storage from a persistent id: the bytes of `<prefix>/data/<key>`. */
class TorchStorage implements PickleExtension {
  readonly pickleType = 'torch.Storage';
  constructor(
    readonly key: string,
    readonly dtype: TorchDtype,
    readonly entry: ZipEntry,
    /** numel × element size, as the persistent id claims (≤ the entry's size). */
    readonly nBytes: number,
  ) {}
}

/** A tensor from `_rebuild_tensor_v2/v3`: a strided view of a storage, not yet validated against it. */
class TorchTensor implements PickleExtension {
  readonly pickleType = 'torch.Tensor';
  constructor(
    readonly storage: TorchStorage,
    readonly dtype: TorchDtype,
    /** In elements of `dtype`. */
    readonly storageOffset: number,
    readonly shape: readonly number[],
    /** In elements of `dtype`. */
    readonly strides: readonly number[],
  ) {}
}

async function checkIsZip(source: ByteSource): Promise<void> {
  const head = await source.read(0, Math.min(source.size, 512));
  if (looksLikeZip(head)) return;
  const PICKLE_PROTO = 0x80;
  const isLegacyPickle = head[0] === PICKLE_PROTO;
  const isLegacyTar = head.byteLength >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === 'ustar';
  if (isLegacyPickle || isLegacyTar) {
    throw new UnsupportedError(`${source.name}: legacy (pre-1.6, non-zip) PyTorch checkpoint format is not supported`, {
      hint: 'load it with torch >= 1.6 and save it again with torch.save (the zip format is the default), or convert it to safetensors',
    });
  }
  throw new ModelFormatError(source.name, 'not a PyTorch checkpoint: no zip signature at the start of the file', {
    hint: 'expected a pytorch_model.bin written by torch.save; for .safetensors or .gguf files use the matching reader',
  });
}

/** The archive folder holding `data.pkl`; refuses TorchScript archives. */
function findPrefix(file: string, archive: ZipArchive): string {
  const pkls = archive.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pkls.length === 1) return pkls[0].name.slice(0, -'/data.pkl'.length);
  if (pkls.length > 1) {
    throw new ModelFormatError(file, `archive holds ${pkls.length} data.pkl files (${pkls.map((e) => e.name).join(', ')}); torch.save writes one`, { hint: HINT_RESAVE });
  }
  if (archive.entries.some((e) => /(^|\/)(constants\.pkl|code\/)/.test(e.name))) {
    throw new UnsupportedError(`${file}: this is a TorchScript archive (torch.jit.save), not a torch.save checkpoint`, {
      hint: 'save the weights with torch.save(model.state_dict(), path), or convert them to safetensors',
    });
  }
  throw new ModelFormatError(file, 'zip archive has no `<folder>/data.pkl`: not a torch.save checkpoint', { hint: HINT_RESAVE });
}

async function checkByteOrder(archive: ZipArchive, prefix: string): Promise<void> {
  const entry = archive.entry(`${prefix}/byteorder`);
  if (!entry) return;
  const order = entry.nBytes <= 16 ? new TextDecoder().decode(await archive.read(entry)).trim() : '<too long>';
  if (order !== 'little') {
    throw new UnsupportedError(`${archive.source.name}: checkpoint byte order is \`${order}\`; only little-endian checkpoints are supported`, {
      hint: 'load and save it again with torch on a little-endian machine (x86, ARM), or convert it to safetensors',
    });
  }
}

/** Resolves `('storage', storage_type, key, location, numel)` to the data entry it names. */
function loadStorage(file: string, archive: ZipArchive, prefix: string, pid: PickleValue): TorchStorage {
  const fail = (message: string): never => {
    throw new ModelFormatError(file, message, { hint: HINT_CORRUPT });
  };
  if (!isPickleTuple(pid) || pid.length !== 5 || pid[0] !== 'storage') {
    return fail(`persistent id is ${pickleTypeName(pid)}, expected ('storage', storage_type, key, location, numel)`);
  }
  const [, storageType, key, , numel] = pid;
  const dtype = storageType instanceof PickleGlobal ? STORAGE_DTYPES.get(storageType.qualifiedName) : undefined;
  if (!dtype) return fail(`persistent id names ${pickleTypeName(storageType)} instead of a storage class`);
  if (typeof key !== 'string') return fail(`storage key is ${pickleTypeName(key)}, expected a string`);
  const n = safeCount(file, numel, `element count of storage \`${key}\``);
  const entry = archive.entry(`${prefix}/data/${key}`);
  if (!entry) return fail(`storage \`${key}\` has no data entry \`${prefix}/data/${key}\` in the archive`);
  const nBytes = n * dtype.itemNBytes;
  if (nBytes > entry.nBytes) {
    fail(`storage \`${key}\` claims ${n} ${dtype.name} elements (${nBytes} bytes) but \`${entry.name}\` holds only ${entry.nBytes} bytes`);
  }
  return new TorchStorage(key, dtype, entry, nBytes);
}

function rebuildTensor(file: string, version: 'v2' | 'v3', args: PickleTuple): TorchTensor {
  const fail = (message: string): never => {
    throw new ModelFormatError(file, `_rebuild_tensor_${version}: ${message}`, { hint: HINT_CORRUPT });
  };
  const [minArgs, maxArgs] = version === 'v2' ? [6, 7] : [7, 8];
  if (args.length < minArgs || args.length > maxArgs) fail(`${args.length} arguments, expected ${minArgs}–${maxArgs}`);
  const [storage, storageOffset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) return fail(`storage argument is ${pickleTypeName(storage)}`);
  let dtype = storage.dtype;
  if (version === 'v3') {
    const dtypeArg = args[6];
    const found = dtypeArg instanceof PickleGlobal ? DTYPES_BY_GLOBAL.get(dtypeArg.qualifiedName) : undefined;
    if (!found) return fail(`dtype argument is ${pickleTypeName(dtypeArg)}`);
    dtype = found;
  }
  const shape = safeCounts(file, size, 'size');
  const strides = safeCounts(file, stride, 'stride');
  if (shape.length !== strides.length) fail(`size has ${shape.length} dimensions but stride has ${strides.length}`);
  return new TorchTensor(storage, dtype, safeCount(file, storageOffset, 'storage offset'), shape, strides);
}

/** `_rebuild_parameter(data, requires_grad, backward_hooks[, state])`: the parameter's tensor. */
function parameterData(file: string, args: PickleTuple): PickleValue {
  if (args.length < 3 || !(args[0] instanceof TorchTensor)) {
    throw new ModelFormatError(file, `_rebuild_parameter: expected (tensor, requires_grad, backward_hooks), got ${args.length} arguments starting with ${pickleTypeName(args[0])}`, { hint: HINT_CORRUPT });
  }
  return args[0];
}

/** The flat name → tensor dict: the top level, or a nested `state_dict` / `model` / … dict. */
function findStateDict(file: string, root: PickleValue): PickleDict {
  const hasTensors = (v: PickleValue | undefined): v is PickleDict => v instanceof PickleDict && [...v.values()].some((x) => x instanceof TorchTensor);
  if (hasTensors(root)) return root;
  if (root instanceof TorchTensor) {
    throw new UnsupportedError(`${file}: checkpoint holds a single unnamed tensor, not a state dict`, { hint: 'save a dict of named tensors, e.g. torch.save(model.state_dict(), path)' });
  }
  if (root instanceof PickleDict) {
    for (const key of NESTED_STATE_DICT_KEYS) {
      const nested = root.get(key);
      if (hasTensors(nested)) return nested;
    }
    const keys = [...root.keys()].slice(0, 10).map((k) => (typeof k === 'string' ? k : pickleTypeName(k)));
    throw new UnsupportedError(`${file}: no tensors in the checkpoint's top-level dict (keys: ${keys.join(', ') || 'none'}) nor under ${NESTED_STATE_DICT_KEYS.join(' / ')}`, {
      hint: 'save the model weights with torch.save(model.state_dict(), path)',
    });
  }
  throw new UnsupportedError(`${file}: checkpoint holds a ${pickleTypeName(root)}, not a state dict`, { hint: 'save the model weights with torch.save(model.state_dict(), path)' });
}

/** Validates a tensor's view against its storage; undefined if its dtype cannot be loaded. */
function tensorEntry(file: string, archive: ZipArchive, name: string, tensor: TorchTensor): TensorEntry | undefined {
  const { storage, dtype, storageOffset, shape, strides } = tensor;
  const fail = (message: string): never => {
    throw new ModelFormatError(file, `tensor \`${name}\`: ${message}`, { hint: HINT_CORRUPT });
  };
  const nElements = numElements(shape);
  if (!Number.isSafeInteger(nElements * dtype.itemNBytes)) fail(`shape [${shape.join(', ')}] is too large`);
  const nBytes = nElements * dtype.itemNBytes;
  // Last element the view touches; strides are non-negative, so the first one is at storageOffset.
  let lastElement = storageOffset;
  for (let d = 0; d < shape.length; d++) lastElement += (shape[d] - 1) * strides[d];
  const spanStart = storageOffset * dtype.itemNBytes;
  const spanEnd = (lastElement + 1) * dtype.itemNBytes;
  if (nElements > 0 && spanEnd > storage.nBytes) {
    fail(`view (offset ${storageOffset}, size [${shape.join(', ')}], stride [${strides.join(', ')}]) reads bytes up to ${spanEnd} of storage \`${storage.key}\`, which holds ${storage.nBytes}`);
  }
  if (nBytes > storage.nBytes && nBytes > MAX_EXPANDED_NBYTES) {
    throw new UnsupportedError(`${file}: tensor \`${name}\` is an expanded view of ${nBytes} bytes over a storage of ${storage.nBytes}; larger than the ${MAX_EXPANDED_NBYTES >> 20} MiB limit`, {
      hint: 'save `tensor.contiguous()` (or `.clone()`) instead of the expanded view',
    });
  }
  if (!dtype.ggml) return undefined;

  const contiguous = isContiguous(shape, strides);
  return Object.freeze({
    name,
    type: ggmlType(dtype.ggml),
    shape: Object.freeze([...shape]),
    nBytes,
    storageKey: `${storage.key}@${storageOffset}[${shape.join(',')}]/[${strides.join(',')}]`,
    async read(): Promise<Uint8Array> {
      if (nElements === 0) return new Uint8Array(0);
      if (contiguous) return archive.read(storage.entry, spanStart, nBytes);
      const span = await archive.read(storage.entry, spanStart, spanEnd - spanStart);
      return gatherStrided(span, dtype.itemNBytes, shape, strides);
    },
  });
}

/** True if elements are laid out row-major without gaps (dims of size 1 may have any stride). */
function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/**
 * Copies a strided view into contiguous row-major order. `src` starts at the view's first element;
 * `strides` are in elements. Rows of the innermost dimension are copied whole when its stride is 1.
 */
function gatherStrided(src: Uint8Array, itemNBytes: number, shape: readonly number[], strides: readonly number[]): Uint8Array {
  const nDims = shape.length;
  const rowLength = shape[nDims - 1];
  const rowStride = strides[nDims - 1];
  const rowNBytes = rowLength * itemNBytes;
  const nRows = numElements(shape) / rowLength;
  const out = new Uint8Array(nRows * rowNBytes);
  const index = new Array<number>(nDims - 1).fill(0);
  let rowStart = 0; // element index in src of the current row's first element
  for (let row = 0, o = 0; row < nRows; row++) {
    if (rowStride === 1) {
      out.set(src.subarray(rowStart * itemNBytes, rowStart * itemNBytes + rowNBytes), o);
      o += rowNBytes;
    } else {
      for (let j = 0; j < rowLength; j++) {
        const s = (rowStart + j * rowStride) * itemNBytes;
        for (let b = 0; b < itemNBytes; b++) out[o++] = src[s + b];
      }
    }
    // Odometer over the outer dimensions, last fastest.
    for (let d = nDims - 2; d >= 0; d--) {
      rowStart += strides[d];
      if (++index[d] < shape[d]) break;
      rowStart -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}

function safeCount(file: string, value: PickleValue | undefined, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ModelFormatError(file, `${what} is ${typeof value === 'number' || typeof value === 'bigint' ? String(value) : pickleTypeName(value)}, expected a non-negative integer`, {
      hint: HINT_CORRUPT,
    });
  }
  return value;
}

function safeCounts(file: string, value: PickleValue | undefined, what: string): number[] {
  if (value === undefined || !isPickleTuple(value)) {
    throw new ModelFormatError(file, `${what} is ${pickleTypeName(value)}, expected a tuple of integers`, { hint: HINT_CORRUPT });
  }
  return value.map((v, i) => safeCount(file, v, `${what}[${i}]`));
}
