/**
 * A model on disk, whatever its format, seen as llama.cpp would see it after conversion: GGUF tensor
 * names, GGUF shapes (outer-first), A stored as −exp(A_log), conv1d squeezed to 2-D. Nothing is read
 * until a tensor's `read()` is called.
 */
import { ConfigError, ModelFormatError, TensorShapeError, UnsupportedError } from '../errors.js';
import { dequantize } from '../ggml/dequantize.js';
import { ggmlType, supportedTypeNames } from '../ggml/ggml-type.js';
import { GGUFMetadata } from '../gguf/gguf-metadata.js';
import { readGGUF } from '../gguf/gguf-reader.js';
import { readSafetensors, unsupportedDtypeError } from '../formats/safetensors.js';
import { readTorchCheckpoint, unsupportedTorchDtypeError } from '../formats/torch-bin.js';
import type { ByteSource } from '../io/byte-source.js';
import { configFromGGUF, configToGGUF, parseConfigJson, type MambaConfig } from './mamba-config.js';
import type { ModelDirectory } from './model-directory.js';
import { numElements, shapeString, type TensorEntry } from './tensor-entry.js';
import { expectedTensors, type ExpectedTensor } from './tensor-names.js';

export type ModelFormat = 'gguf' | 'hf' | 'state-spaces';

export interface ModelFile {
  readonly format: ModelFormat;
  /** Path or label of the file or directory. */
  readonly path: string;
  readonly config: MambaConfig;
  /** Tensors under their GGUF names, in llama.cpp's order. */
  readonly tensors: readonly TensorEntry[];
  /** GGUF metadata: the file's own, or built from config.json for a checkpoint directory. */
  readonly metadata: GGUFMetadata;
  /** The directory's tokenizer.json, parsed (checkpoint directories only). */
  readonly tokenizerJson?: unknown;
  /** Source tensors that map to nothing (ignored), for `inspect`. */
  readonly ignored: readonly string[];
  tensor(name: string): TensorEntry | undefined;
  /**
   * Closes the file. A GGUF file's header is released too: its long metadata arrays (the tokenizer's) throw
   * when read afterwards — build the tokenizer first (loadModel does); scalar metadata stays readable.
   */
  close(): Promise<void>;
}

export interface OpenModelOptions {
  /**
   * false: accept tensors of types mamba.ts cannot compute with (for `inspect`). Missing or misshapen
   * tensors are still errors.
   */
  requireSupportedTypes?: boolean;
}

function makeModelFile(
  format: ModelFormat,
  path: string,
  config: MambaConfig,
  tensors: TensorEntry[],
  metadata: GGUFMetadata,
  close: () => Promise<void>,
  extra: { tokenizerJson?: unknown; ignored?: string[] } = {},
): ModelFile {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    format,
    path,
    config,
    tensors,
    metadata,
    tokenizerJson: extra.tokenizerJson,
    ignored: extra.ignored ?? [],
    tensor: (name) => byName.get(name),
    close,
  };
}

/** Checks that the tensors are exactly what the architecture needs, with the right shapes and types. */
function checkTensors(file: string, expected: ExpectedTensor[], have: Map<string, TensorEntry>, opts: OpenModelOptions): TensorEntry[] {
  const out: TensorEntry[] = [];
  for (const e of expected) {
    const t = have.get(e.gguf);
    if (!t) {
      if (e.required) {
        throw new TensorShapeError(`${file}: required tensor \`${e.gguf}\` is missing`, {
          hint: 'the file is incomplete or its hyperparameters do not match its tensors',
        });
      }
      continue;
    }
    if (shapeString(t.shape) !== shapeString(e.shape)) {
      throw new TensorShapeError(`${file}: tensor \`${t.name}\` has shape ${shapeString(t.shape)}, expected ${shapeString(e.shape)} from the hyperparameters`);
    }
    if (opts.requireSupportedTypes !== false && !t.type.supported) {
      throw new UnsupportedError(`${file}: tensor \`${t.name}\` has type ${t.type.name}; supported: ${supportedTypeNames()}`, {
        hint: 'requantize the model to one of the supported types',
      });
    }
    out.push(t);
  }
  return out;
}

/** Opens a GGUF file. */
export async function openGGUFModel(source: ByteSource, opts: OpenModelOptions = {}): Promise<ModelFile> {
  try {
    const gguf = await readGGUF(source);
    const entries = gguf.tensorEntries();
    const byName = new Map(entries.map((t) => [t.name, t]));
    const config = configFromGGUF(gguf.metadata, (n) => byName.get(n)?.shape);
    const expected = expectedTensors(config);
    const tensors = checkTensors(source.name, expected, byName, opts);
    const known = new Set(expected.map((e) => e.gguf));
    const ignored = entries.filter((t) => !known.has(t.name)).map((t) => t.name);
    const close = async () => {
      await source.close();
      gguf.release();
    };
    return makeModelFile('gguf', source.name, config, tensors, gguf.metadata, close, { ignored });
  } catch (e) {
    await source.close();
    throw e;
  }
}

/** Squeezes size-1 dims: (dInner, 1, dConv) → (dInner, dConv). */
function squeeze(shape: readonly number[]): number[] {
  return shape.filter((d) => d !== 1);
}

/** A source tensor seen under its GGUF name and shape (A_log → −exp(A_log) as F32). */
function mapTensor(src: TensorEntry, e: ExpectedTensor, file: string): TensorEntry {
  if (numElements(src.shape) !== numElements(e.shape) || shapeString(squeeze(src.shape)) !== shapeString(squeeze(e.shape))) {
    throw new TensorShapeError(`${file}: tensor \`${src.name}\` has shape ${shapeString(src.shape)}, expected ${shapeString(e.shape)} from config.json`);
  }
  if (!e.row.negExp) {
    return { name: e.gguf, type: src.type, shape: e.shape, nBytes: src.nBytes, storageKey: src.storageKey, read: (into) => src.read(into) };
  }
  const n = numElements(e.shape);
  return {
    name: e.gguf,
    type: ggmlType('F32'),
    shape: e.shape,
    nBytes: 4 * n,
    read: async () => {
      // A = -torch.exp(self.A_log.float())  (dInner, dState)
      const a = dequantize(await src.read(), src.type, n);
      for (let i = 0; i < n; i++) a[i] = -Math.exp(a[i]);
      return new Uint8Array(a.buffer);
    },
  };
}

async function bytesEqual(a: TensorEntry, b: TensorEntry): Promise<boolean> {
  if (a.storageKey !== undefined && a.storageKey === b.storageKey) return true;
  if (a.nBytes !== b.nBytes || a.type !== b.type) return false;
  const [x, y] = await Promise.all([a.read(), b.read()]);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

async function readJsonFile(dir: ModelDirectory, file: string): Promise<unknown | undefined> {
  const text = await dir.readText(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${dir.name}/${file}: invalid JSON (${(e as Error).message})`);
  }
}

/** Loads the weight files of a checkpoint directory: safetensors (single or sharded) or pytorch_model.bin. */
async function openWeights(dir: ModelDirectory): Promise<{ format: ModelFormat; tensors: Map<string, TensorEntry>; sources: ByteSource[]; unsupported: Map<string, string> }> {
  const sources: ByteSource[] = [];
  const tensors = new Map<string, TensorEntry>();
  const unsupported = new Map<string, string>();
  const addSafetensors = async (file: string) => {
    const src = await dir.open(file);
    if (!src) throw new ModelFormatError(`${dir.name}/${file}`, 'listed in model.safetensors.index.json but not found', { hint: 'download all shards' });
    sources.push(src);
    const st = await readSafetensors(src);
    for (const [k, v] of st.tensors) tensors.set(k, v);
    for (const [k, v] of st.unsupported) unsupported.set(k, v);
  };
  try {
    const index = await readJsonFile(dir, 'model.safetensors.index.json');
    if (index !== undefined) {
      const map = (index as { weight_map?: unknown }).weight_map;
      if (typeof map !== 'object' || map === null) throw new ConfigError(`${dir.name}/model.safetensors.index.json: missing \`weight_map\``);
      const shards = [...new Set(Object.values(map as Record<string, unknown>).map(String))];
      for (const s of shards) await addSafetensors(s);
      return { format: 'hf', tensors, sources, unsupported };
    }
    const st = await dir.open('model.safetensors');
    if (st) {
      await st.close();
      await addSafetensors('model.safetensors');
      return { format: 'hf', tensors, sources, unsupported };
    }
    const bin = await dir.open('pytorch_model.bin');
    if (bin) {
      sources.push(bin);
      const ckpt = await readTorchCheckpoint(bin);
      return { format: 'state-spaces', tensors: ckpt.tensors, sources, unsupported: ckpt.unsupported };
    }
  } catch (e) {
    await Promise.all(sources.map((s) => s.close()));
    throw e;
  }
  throw new ModelFormatError(dir.name, 'no weights found (looked for model.safetensors, model.safetensors.index.json, pytorch_model.bin)', {
    hint: 'download the checkpoint files into this directory',
  });
}

/** Opens a Hugging Face (`model.safetensors`) or state-spaces (`pytorch_model.bin`) checkpoint directory. */
export async function openCheckpointDirectory(dir: ModelDirectory, opts: OpenModelOptions = {}): Promise<ModelFile> {
  const configJson = await readJsonFile(dir, 'config.json');
  if (configJson === undefined) {
    throw new ConfigError(`${dir.name}: no config.json`, { hint: 'a checkpoint directory needs config.json next to its weights' });
  }
  let config = parseConfigJson(configJson, `${dir.name}/config.json`);
  const weights = await openWeights(dir);
  const closeAll = async () => {
    await Promise.all(weights.sources.map((s) => s.close()));
  };
  try {
    const src = weights.tensors;
    // Tying is decided by the data, as llama.cpp does: lm_head equal to the embedding is dropped.
    const embd = src.get('backbone.embeddings.weight') ?? src.get('backbone.embedding.weight');
    const head = src.get('lm_head.weight');
    const tie = head === undefined || (embd !== undefined && (await bytesEqual(embd, head)));
    config = { ...config, tieEmbeddings: tie };

    const expected = expectedTensors(config);
    const mapped = new Map<string, TensorEntry>();
    const used = new Set<string>();
    if (tie && head) used.add('lm_head.weight');
    for (const e of expected) {
      if (e.gguf === 'output.weight' && tie) continue;
      const name = e.source.find((s) => src.has(s) || weights.unsupported.has(s));
      if (name === undefined) continue;
      const dtype = weights.unsupported.get(name);
      if (dtype !== undefined) {
        throw weights.format === 'hf' ? unsupportedDtypeError(dir.name, name, dtype) : unsupportedTorchDtypeError(`${dir.name}/pytorch_model.bin`, name, dtype);
      }
      used.add(name);
      mapped.set(e.gguf, mapTensor(src.get(name)!, e, dir.name));
    }
    const tensors = checkTensors(dir.name, expected, mapped, opts);
    const ignored = [...src.keys(), ...weights.unsupported.keys()].filter((n) => !used.has(n));
    const metadata = new GGUFMetadata(dir.name);
    configToGGUF(config, metadata);
    const tokenizerJson = await readJsonFile(dir, 'tokenizer.json');
    return makeModelFile(weights.format, dir.name, config, tensors, metadata, closeAll, { tokenizerJson, ignored });
  } catch (e) {
    await closeAll();
    throw e;
  }
}
