import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../src/node/open-model.js';
import { convertToGGUF } from '../../src/convert/convert-to-gguf.js';
import { openGGUFModel, type ModelFile } from '../../src/model/model-file.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { dequantize } from '../../src/ggml/dequantize.js';
import { numElements } from '../../src/model/tensor-entry.js';
import { loadWeightsF32 } from '../../src/engine/mamba-weights.js';
import { MambaReference } from '../../src/engine/mamba-reference.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { fixture } from '../helpers/paths.js';
import { loadReference, relativeMaxError } from '../helpers/reference-fixture.js';

async function toGGUF(model: ModelFile, type: 'f32' | 'f16'): Promise<ModelFile> {
  const sink = new MemorySink();
  await convertToGGUF(model, sink, { type, name: 'fixture' });
  return openGGUFModel(new MemorySource(sink.toBytes(), `converted-${type}.gguf`));
}

async function f32(model: ModelFile, name: string): Promise<Float32Array> {
  const t = model.tensor(name)!;
  return dequantize(await t.read(), t.type, numElements(t.shape));
}

for (const name of ['tiny', 'neox-narrow']) {
  test(`${name}: HF safetensors and state-spaces pytorch_model.bin load to identical tensors`, async () => {
    const hf = await openModel(fixture('models', name, 'hf'));
    const ss = await openModel(fixture('models', name, 'state-spaces'));
    assert.deepEqual(ss.config, hf.config);
    assert.deepEqual(ss.tensors.map((t) => [t.name, t.type.name, t.shape]), hf.tensors.map((t) => [t.name, t.type.name, t.shape]));
    for (const t of hf.tensors) assert.deepEqual(await ss.tensor(t.name)!.read(), await t.read(), t.name);
    assert.deepEqual(hf.ignored, []);
    assert.deepEqual(ss.ignored, []);
    await hf.close();
    await ss.close();
  });
}

test('convert --type f32: re-read GGUF equals the source bit for bit, with llama.cpp keys', async () => {
  const src = await openModel(fixture('models', 'tiny', 'state-spaces'));
  const gguf = await toGGUF(src, 'f32');
  // eps is a float32 key in GGUF
  assert.deepEqual(gguf.config, { ...src.config, normEps: Math.fround(src.config.normEps) });
  assert.deepEqual(gguf.tensors.map((t) => t.name), src.tensors.map((t) => t.name));
  for (const t of src.tensors) {
    const g = gguf.tensor(t.name)!;
    assert.equal(g.type.name, 'F32');
    assert.deepEqual(g.shape, t.shape);
    assert.deepEqual(await g.read(), await t.read(), t.name);
  }
  assert.ok(!gguf.tensor('output.weight'), 'tied lm_head is not written');
  assert.deepEqual(gguf.tensor('blk.0.ssm_conv1d.weight')!.shape, [128, 4]);
  // A is stored as -exp(A_log): all negative
  assert.ok((await f32(gguf, 'blk.1.ssm_a')).every((a) => a < 0));
  const m = gguf.metadata;
  assert.equal(m.getString('general.architecture'), 'mamba');
  assert.equal(m.getNumber('general.file_type'), 0);
  for (const [k, v] of Object.entries({
    'mamba.context_length': 1048576, 'mamba.embedding_length': 64, 'mamba.feed_forward_length': 0,
    'mamba.attention.head_count': 0, 'mamba.block_count': 2, 'mamba.ssm.conv_kernel': 4,
    'mamba.ssm.inner_size': 128, 'mamba.ssm.state_size': 16, 'mamba.ssm.time_step_rank': 4,
  })) {
    assert.equal(m.raw(k)?.type, 'uint32', k);
    assert.equal(m.getNumber(k), v, k);
  }
  assert.equal(m.raw('mamba.attention.layer_norm_rms_epsilon')?.type, 'float32');
  await src.close();
});

test('convert --type f16: matrices within F16 rounding, 1-D / conv1d / A / D stay F32', async () => {
  const src = await openModel(fixture('models', 'tiny', 'hf'));
  const gguf = await toGGUF(src, 'f16');
  assert.equal(gguf.metadata.getNumber('general.file_type'), 1);
  const f16Names = gguf.tensors.filter((t) => t.type.name === 'F16').map((t) => t.name.replace(/^blk\.\d+\./, ''));
  assert.deepEqual([...new Set(f16Names)].sort(), ['ssm_dt.weight', 'ssm_in.weight', 'ssm_out.weight', 'ssm_x.weight', 'token_embd.weight']);
  for (const t of src.tensors) {
    const want = await f32(src, t.name);
    const got = await f32(gguf, t.name);
    for (let i = 0; i < want.length; i++) {
      const tol = gguf.tensor(t.name)!.type.name === 'F16' ? Math.abs(want[i]) * 2 ** -11 + 2 ** -25 : 0;
      assert.ok(Math.abs(got[i] - want[i]) <= tol, `${t.name}[${i}]: ${got[i]} vs ${want[i]}`);
    }
  }
  await src.close();
});

test('the converted GGUF (F32) gives the transformers logits', async () => {
  const ref = loadReference('tiny');
  const gguf = await toGGUF(await openModel(fixture('models', 'tiny', 'hf')), 'f32');
  const fwd = new MambaReference(gguf.config, await loadWeightsF32(gguf));
  const state = new MambaState(gguf.config);
  const logits = new Float32Array(gguf.config.nVocab);
  const prompt = ref.prompts[0];
  const rows = new Map(ref.rows.filter((r) => r.prompt === 0).map((r) => [r.position, r.logits]));
  for (let t = 0; t < prompt.ids.length; t++) {
    fwd.step(prompt.ids[t], state, logits);
    const want = rows.get(t);
    if (want) assert.ok(relativeMaxError(logits, want) < 1e-4, `position ${t}`);
  }
});
