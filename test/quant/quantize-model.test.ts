/**
 * End to end: convert / quantize models at every --type, reopen, check each tensor's type against the policy
 * (tensor-plan.ts) and its values against the F32 source within the type's error bound (error-bounds.ts).
 * The tiny fixture (rows of 4, 64 and 128) only fits 32-blocks, so q4_k / q6_k / tq* go down the fallback path
 * there; a synthetic 256-wide model exercises the 256-blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertToGGUF } from '../../src/convert/convert-to-gguf.js';
import { dequantize } from '../../src/ggml/dequantize.js';
import { f16ToF32, f32ToF16 } from '../../src/ggml/f16.js';
import { ggmlType, type GGMLTypeName } from '../../src/ggml/ggml-type.js';
import { GGUFMetadata } from '../../src/gguf/gguf-metadata.js';
import { writeGGUF } from '../../src/gguf/gguf-writer.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { loadWeightsF32 } from '../../src/engine/mamba-weights.js';
import { MambaReference } from '../../src/engine/mamba-reference.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { configToGGUF, parseConfigJson } from '../../src/model/mamba-config.js';
import { openGGUFModel, type ModelFile } from '../../src/model/model-file.js';
import { numElements } from '../../src/model/tensor-entry.js';
import { expectedTensors } from '../../src/model/tensor-names.js';
import { openModel } from '../../src/node/open-model.js';
import { readF16 } from '../../src/quant/block-bytes.js';
import { QuantizeError } from '../../src/quant/quantize-error.js';
import { quantizeModel } from '../../src/quant/quantize-model.js';
import { describeFallbacks, requantizedTensors, type TensorPlanOptions } from '../../src/quant/tensor-plan.js';
import { absmean } from '../../src/quant/ternary-absmean.js';
import { GGML_QNT_VERSION, QUANTIZED_WEIGHT_TYPES, WEIGHT_TYPES, type WeightTypeName, type WeightTypeRow } from '../../src/quant/weight-types.js';
import { fixture } from '../helpers/paths.js';
import { mulberry32 } from '../helpers/prng.js';
import { loadReference, relativeMaxError } from '../helpers/reference-fixture.js';
import { halfError, roundTripViolation } from './error-bounds.js';

async function f32Of(model: ModelFile, name: string): Promise<Float32Array> {
  const t = model.tensor(name)!;
  return dequantize(await t.read(), t.type, numElements(t.shape));
}

/** GGUF name without the block index: `blk.0.ssm_in.weight` → `ssm_in.weight`. */
const role = (name: string) => name.replace(/^blk\.\d+\./, '');

/**
 * Expected types of the tiny model (token_embd [304, 64], ssm_in [256, 64], ssm_x [36, 128], ssm_dt [128, 4],
 * ssm_out [64, 128]; everything else F32).
 */
const TINY_TYPES: Record<WeightTypeName, { matrices: GGMLTypeName; ssmDt: GGMLTypeName; embd?: GGMLTypeName }> = {
  f32: { matrices: 'F32', ssmDt: 'F32' },
  f16: { matrices: 'F16', ssmDt: 'F16' },
  q8_0: { matrices: 'Q8_0', ssmDt: 'F16' },
  q4_0: { matrices: 'Q4_0', ssmDt: 'F16' },
  q4_k: { matrices: 'Q4_0', ssmDt: 'F16' }, // 64, 128 are not multiples of 256
  q4_k_m: { matrices: 'Q4_0', ssmDt: 'F16', embd: 'Q8_0' }, // the tied embedding wants Q6_K, whose fallback is Q8_0
  q6_k: { matrices: 'Q8_0', ssmDt: 'F16' },
  tq1_0: { matrices: 'Q4_0', ssmDt: 'F16' },
  tq2_0: { matrices: 'Q4_0', ssmDt: 'F16' },
};
const MATRICES = new Set(['token_embd.weight', 'ssm_in.weight', 'ssm_x.weight', 'ssm_out.weight']);

async function toGGUF(model: ModelFile, opts: TensorPlanOptions): Promise<{ gguf: ModelFile; bytes: Uint8Array }> {
  const sink = new MemorySink();
  if (model.format === 'gguf') await quantizeModel(model, sink, opts);
  else await convertToGGUF(model, sink, { ...opts, name: 'fixture' });
  const bytes = sink.toBytes();
  return { gguf: await openGGUFModel(new MemorySource(bytes, `${opts.type}.gguf`)), bytes };
}

/** Every tensor of `q` against the F32 source: raw bytes within the bound of its type. */
async function assertWithinBounds(src: ModelFile, q: ModelFile): Promise<void> {
  for (const t of q.tensors) {
    const want = await f32Of(src, t.name);
    const why = roundTripViolation(t.type.name, want, await t.read());
    assert.equal(why, undefined, `${t.name} (${t.type.name}): ${why}`);
  }
}

for (const type of Object.keys(WEIGHT_TYPES) as WeightTypeName[]) {
  test(`convert tiny --type ${type}: tensor types follow the policy, values within the ${type} bound, the model runs`, async () => {
    const src = await openModel(fixture('models', 'tiny', 'hf'));
    const { gguf } = await toGGUF(src, { type });
    assert.equal(gguf.metadata.getNumber('general.file_type'), WEIGHT_TYPES[type].fileType);
    const quantized = WEIGHT_TYPES[type].type.blockSize > 1;
    assert.equal(gguf.metadata.raw('general.quantization_version')?.type, quantized ? 'uint32' : undefined);
    if (quantized) assert.equal(gguf.metadata.getNumber('general.quantization_version'), GGML_QNT_VERSION);
    for (const t of gguf.tensors) {
      const r = role(t.name);
      const want = r === 'ssm_dt.weight' ? TINY_TYPES[type].ssmDt : r === 'token_embd.weight' && TINY_TYPES[type].embd ? TINY_TYPES[type].embd : MATRICES.has(r) ? TINY_TYPES[type].matrices : 'F32';
      assert.equal(t.type.name, want, t.name);
    }
    await assertWithinBounds(src, gguf);
    // every type loads in the reference backend (dequantized to F32) and gives finite logits
    const fwd = new MambaReference(gguf.config, await loadWeightsF32(gguf));
    const state = new MambaState(gguf.config);
    const logits = new Float32Array(gguf.config.nVocab);
    for (const id of [1, 2, 3]) fwd.step(id, state, logits);
    assert.ok(logits.every(Number.isFinite));
    await src.close();
  });
}

test('q8_0 logits stay close to the transformers reference', async () => {
  const ref = loadReference('tiny');
  const { gguf } = await toGGUF(await openModel(fixture('models', 'tiny', 'hf')), { type: 'q8_0' });
  const fwd = new MambaReference(gguf.config, await loadWeightsF32(gguf));
  const state = new MambaState(gguf.config);
  const logits = new Float32Array(gguf.config.nVocab);
  const prompt = ref.prompts[0];
  const rows = new Map(ref.rows.filter((r) => r.prompt === 0).map((r) => [r.position, r.logits]));
  let worst = 0;
  for (let t = 0; t < prompt.ids.length; t++) {
    fwd.step(prompt.ids[t], state, logits);
    const want = rows.get(t);
    if (want) worst = Math.max(worst, relativeMaxError(logits, want));
  }
  // measured 0.026 (f16: 0.0012) on this random model, whose logits are very sensitive to its weights
  assert.ok(worst < 0.05, `relative logit error ${worst}`);
});

test('--keep-output sets the embedding type; fallbacks are described per tensor group', async () => {
  const src = await openModel(fixture('models', 'tiny', 'hf'));
  const sink = new MemorySink();
  const plans = await convertToGGUF(src, sink, { type: 'q4_k', keepOutput: 'f16' });
  const gguf = await openGGUFModel(new MemorySource(sink.toBytes(), 'k.gguf'));
  assert.equal(gguf.tensor('token_embd.weight')!.type.name, 'F16');
  assert.equal(gguf.tensor('blk.0.ssm_in.weight')!.type.name, 'Q4_0');
  assert.deepEqual(describeFallbacks(plans), [
    'blk.*.ssm_in.weight ×2 [256, 64]: Q4_K → Q4_0 (rows of 64 are not a multiple of 256)',
    'blk.*.ssm_x.weight ×2 [36, 128]: Q4_K → Q4_0 (rows of 128 are not a multiple of 256)',
    'blk.*.ssm_dt.weight ×2 [128, 4]: Q4_K → F16 (rows of 4 are not a multiple of 256)',
    'blk.*.ssm_out.weight ×2 [64, 128]: Q4_K → Q4_0 (rows of 128 are not a multiple of 256)',
  ]);
  const q8 = await toGGUF(src, { type: 'q4_0', keepOutput: 'q8_0' });
  assert.equal(q8.gguf.tensor('token_embd.weight')!.type.name, 'Q8_0');
  await src.close();
});

/**
 * A random 256-wide Mamba as an F32 GGUF (d_model 256, d_inner 512, dt_rank 16, 1 layer, 32 tokens), with an
 * extra metadata key that quantize must copy.
 */
async function wideModel(): Promise<ModelFile> {
  const config = parseConfigJson(
    { model_type: 'mamba', hidden_size: 256, intermediate_size: 512, num_hidden_layers: 1, vocab_size: 32, state_size: 16, time_step_rank: 16, conv_kernel: 4 },
    'wide/config.json',
  );
  const meta = new GGUFMetadata();
  meta.setString('general.name', 'wide');
  configToGGUF(config, meta);
  meta.setU32('general.file_type', 0);
  meta.setString('test.extra', 'kept');
  const rnd = mulberry32(20250301);
  const tensors = expectedTensors(config).filter((e) => e.required).map((e) => {
    const n = numElements(e.shape);
    const scale = e.gguf.endsWith('ssm_a') ? -1 : e.shape.length === 1 ? 1 : 0.05;
    const values = Float32Array.from({ length: n }, () => (e.gguf.endsWith('ssm_a') ? -(0.5 + rnd()) : scale * (rnd() * 2 - 1) * (rnd() < 0.01 ? 8 : 1)));
    return { name: e.gguf, type: ggmlType('F32'), shape: e.shape, read: async () => new Uint8Array(values.buffer) };
  });
  const sink = new MemorySink();
  await writeGGUF(sink, meta, tensors);
  return openGGUFModel(new MemorySource(sink.toBytes(), 'wide.gguf'));
}

for (const type of QUANTIZED_WEIGHT_TYPES) {
  test(`quantize a 256-wide model --type ${type}: native blocks, ssm_dt (rows of 16) falls back, metadata copied`, async () => {
    const src = await wideModel();
    const { gguf } = await toGGUF(src, { type });
    const native = WEIGHT_TYPES[type].type.name;
    for (const t of gguf.tensors) {
      const r = role(t.name);
      // a mix (q4_k_m) gives the lm_head — here the tied embedding — its own type
      const row: WeightTypeRow = WEIGHT_TYPES[type];
      const lmHead = r === 'token_embd.weight' ? row.outputType?.name : undefined;
      const want = r === 'ssm_dt.weight' ? 'F16' : lmHead ?? (MATRICES.has(r) ? native : 'F32');
      assert.equal(t.type.name, want, t.name);
    }
    assert.equal(gguf.metadata.getString('test.extra'), 'kept');
    assert.equal(gguf.metadata.getString('general.name'), 'wide');
    assert.equal(gguf.metadata.getNumber('general.file_type'), WEIGHT_TYPES[type].fileType);
    assert.equal(gguf.metadata.getNumber('general.quantization_version'), GGML_QNT_VERSION);
    await assertWithinBounds(src, gguf);
  });
}

for (const type of ['tq1_0', 'tq2_0'] as const) {
  test(`--ternary-scale absmean (${type}): every block of a row stores d = f16(mean|W|), W̃ = RoundClip(W/γ, −1, 1)`, async () => {
    const src = await wideModel();
    const { gguf } = await toGGUF(src, { type, ternaryScale: 'absmean' });
    const name = 'blk.0.ssm_in.weight';
    const t = gguf.tensor(name)!;
    assert.equal(t.type.name, type.toUpperCase());
    const w = await f32Of(src, name);
    const bytes = await t.read();
    const back = dequantize(bytes, t.type, w.length);
    const row = t.shape[1];
    const blockBytes = t.type.typeSize;
    const dOffset = type === 'tq1_0' ? 52 : 64;
    for (let r = 0; r < t.shape[0]; r++) {
      const wr = w.subarray(r * row, (r + 1) * row);
      const gamma = absmean(wr);
      const dh = f16ToF32(f32ToF16(gamma));
      for (let b = 0; b < row / 256; b++) assert.equal(readF16(bytes, (r * row) / 256 * blockBytes + b * blockBytes + dOffset), dh);
      for (let j = 0; j < row; j++) {
        const q = Math.max(-1, Math.min(1, Math.round(wr[j] / gamma)));
        // the trit is the clipped rounding of W/γ (ties aside), the value f16(γ)·trit
        const err = Math.abs(wr[j] - back[r * row + j]);
        assert.ok(err <= Math.max(gamma / 2, Math.abs(wr[j]) - gamma) + halfError(gamma) + gamma * 2 ** -20, `row ${r} value ${j}`);
        if (Math.abs(Math.abs(wr[j] / gamma) - 0.5) > 1e-5) assert.ok(back[r * row + j] === dh * q, `row ${r} value ${j}`);
      }
    }
  });
}

test('requantizing: same type copies the bytes, another type dequantizes and requantizes (reported)', async () => {
  const src = await wideModel();
  const q8 = await toGGUF(src, { type: 'q8_0' });
  const again = await toGGUF(q8.gguf, { type: 'q8_0' });
  assert.deepEqual(again.bytes, q8.bytes);
  const sink = new MemorySink();
  const plans = await quantizeModel(q8.gguf, sink, { type: 'q4_k' });
  const re = requantizedTensors(plans).map((p) => `${p.source.name} ${p.source.type.name}→${p.type.name}`);
  assert.deepEqual(re, ['token_embd.weight Q8_0→Q4_K', 'blk.0.ssm_in.weight Q8_0→Q4_K', 'blk.0.ssm_x.weight Q8_0→Q4_K', 'blk.0.ssm_out.weight Q8_0→Q4_K']);
  const q4k = await openGGUFModel(new MemorySource(sink.toBytes(), 'q4k.gguf'));
  assert.equal(q4k.tensor('blk.0.ssm_in.weight')!.type.name, 'Q4_K');
});

test('quantize refuses checkpoint directories and non-finite weights with typed errors', async () => {
  const hf = await openModel(fixture('models', 'tiny', 'hf'));
  await assert.rejects(quantizeModel(hf, new MemorySink(), { type: 'q8_0' }), (e: unknown) => e instanceof QuantizeError && /convert/.test((e as QuantizeError).hint ?? ''));
  await hf.close();
  const src = await wideModel();
  const bad = {
    ...src,
    tensors: src.tensors.map((t) => (t.name !== 'blk.0.ssm_out.weight' ? t : { ...t, read: async () => { const v = new Float32Array(numElements(t.shape)); v[7] = NaN; return new Uint8Array(v.buffer); } })),
  };
  await assert.rejects(quantizeModel(bad, new MemorySink(), { type: 'q8_0' }), (e: unknown) => e instanceof QuantizeError && /blk\.0\.ssm_out\.weight` holds NaN at index 7/.test((e as Error).message));
});
