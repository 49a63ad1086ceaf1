import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../src/node/open-model.js';
import { convertToGGUF } from '../../src/convert/convert-to-gguf.js';
import { openGGUFModel } from '../../src/model/model-file.js';
import { readGGUF } from '../../src/gguf/gguf-reader.js';
import { writeGGUF } from '../../src/gguf/gguf-writer.js';
import { ggmlType, tensorBytes } from '../../src/ggml/ggml-type.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { TensorShapeError, UnsupportedError } from '../../src/errors.js';
import { fixture } from '../helpers/paths.js';

async function tinyGGUF(): Promise<Uint8Array> {
  const sink = new MemorySink();
  await convertToGGUF(await openModel(fixture('models', 'tiny', 'hf')), sink, { type: 'f32' });
  return sink.toBytes();
}

/** Rewrites a GGUF, changing one tensor (type/shape) or dropping it. */
async function rewrite(bytes: Uint8Array, name: string, change: { type?: string; shape?: number[]; drop?: boolean }): Promise<Uint8Array> {
  const f = await readGGUF(new MemorySource(bytes, 'in.gguf'));
  const tensors = f.tensorEntries().filter((t) => !(change.drop && t.name === name)).map((t) => {
    if (t.name !== name) return t;
    const type = change.type ? ggmlType(change.type as 'F32') : t.type;
    const shape = change.shape ?? t.shape;
    const n = tensorBytes(type, shape)!;
    return { name, type, shape, read: async () => new Uint8Array(n) };
  });
  const sink = new MemorySink();
  await writeGGUF(sink, f.metadata, tensors);
  return sink.toBytes();
}

test('a tensor of an unsupported type: listed for inspect, refused by name for loading', async () => {
  const bytes = await rewrite(await tinyGGUF(), 'blk.0.ssm_in.weight', { type: 'Q5_0' });
  await assert.rejects(openGGUFModel(new MemorySource(bytes, 'q5.gguf')), (e: unknown) =>
    e instanceof UnsupportedError && /q5\.gguf: tensor `blk\.0\.ssm_in\.weight` has type Q5_0; supported: F32, F16, .*Q8_0/.test((e as Error).message));
  const lenient = await openGGUFModel(new MemorySource(bytes, 'q5.gguf'), { requireSupportedTypes: false });
  assert.equal(lenient.tensor('blk.0.ssm_in.weight')!.type.name, 'Q5_0');
});

test('missing and misshapen tensors are named', async () => {
  const base = await tinyGGUF();
  await assert.rejects(openGGUFModel(new MemorySource(await rewrite(base, 'blk.1.ssm_d', { drop: true }), 'm.gguf')), (e: unknown) =>
    e instanceof TensorShapeError && /required tensor `blk\.1\.ssm_d` is missing/.test((e as Error).message));
  await assert.rejects(openGGUFModel(new MemorySource(await rewrite(base, 'blk.0.ssm_x.weight', { shape: [36, 64] }), 'm.gguf')), (e: unknown) =>
    e instanceof TensorShapeError && /`blk\.0\.ssm_x\.weight` has shape \[36, 64\], expected \[36, 128\]/.test((e as Error).message));
});
