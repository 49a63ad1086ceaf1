/**
 * The ReLU gate (y · relu(z), config.json `gate_activation`, GGUF `mamba.ssm.gate_activation`): the `tiny`
 * fixture's weights with a ReLU gate against golden logits from tools/train/mamba_torch.py
 * (tools/fixtures/make_relu_fixture.py), on both backends and through a converted GGUF.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertToGGUF } from '../../src/convert/convert-to-gguf.js';
import type { ForwardBackend } from '../../src/engine/forward-backend.js';
import { MambaReference } from '../../src/engine/mamba-reference.js';
import { MambaState } from '../../src/engine/mamba-state.js';
import { loadWeightsF32 } from '../../src/engine/mamba-weights.js';
import { ConfigError } from '../../src/errors.js';
import { MemorySink, MemorySource } from '../../src/io/byte-source.js';
import { parseConfigJson } from '../../src/model/mamba-config.js';
import { openGGUFModel, type ModelFile } from '../../src/model/model-file.js';
import { openModel } from '../../src/node/open-model.js';
import { WasmBackend } from '../../src/wasm/wasm-backend.js';
import { fixture } from '../helpers/paths.js';
import { loadReference, relativeMaxError } from '../helpers/reference-fixture.js';

/** A copy of tiny/hf whose config.json says gate_activation = "relu". */
function reluCheckpointDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-ts-relu-'));
  const src = fixture('models', 'tiny', 'hf');
  const config = JSON.parse(readFileSync(join(src, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, gate_activation: 'relu' }));
  for (const f of ['model.safetensors', 'tokenizer.json']) copyFileSync(join(src, f), join(dir, f));
  return dir;
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}

/** Every golden row within 1e-4 relative, and the greedy continuation equal. */
function checkAgainstGolden(backend: ForwardBackend, label: string): void {
  const ref = loadReference('tiny-relu');
  const logits = new Float32Array(backend.config.nVocab);
  for (let p = 0; p < ref.prompts.length; p++) {
    const prompt = ref.prompts[p];
    const byPos = new Map(ref.rows.filter((r) => r.prompt === p).map((r) => [r.position, r.logits]));
    const seq = [...prompt.ids, ...prompt.greedy.ids];
    const state = new MambaState(backend.config);
    const generated: number[] = [];
    for (let t = 0; t < seq.length; t++) {
      backend.step(seq[t], state, logits);
      const want = byPos.get(t);
      if (want) {
        const err = relativeMaxError(logits, want);
        assert.ok(err < 1e-4, `${label}: prompt ${p} position ${t}: relative error ${err}`);
      }
      if (t >= prompt.ids.length - 1 && generated.length < prompt.greedy.n_new) generated.push(argmax(logits));
    }
    assert.deepEqual(generated, prompt.greedy.ids, `${label}: greedy ids of prompt ${p}`);
  }
}

async function backends(file: ModelFile): Promise<{ scalar: MambaReference; wasm: WasmBackend }> {
  try {
    return { scalar: new MambaReference(file.config, await loadWeightsF32(file)), wasm: await WasmBackend.create(file) };
  } finally {
    await file.close();
  }
}

test('config.json gate_activation: "relu" read, default SiLU, anything else a ConfigError naming the choices', () => {
  const base = JSON.parse(readFileSync(fixture('models', 'tiny', 'hf', 'config.json'), 'utf8'));
  assert.equal(parseConfigJson(base, 'c.json').gateActivation, 'silu');
  assert.equal(parseConfigJson({ ...base, gate_activation: 'relu' }, 'c.json').gateActivation, 'relu');
  assert.throws(() => parseConfigJson({ ...base, gate_activation: 'gelu' }, 'c.json'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /gate_activation.*"silu", "relu".*"gelu"/);
    return true;
  });
});

test('ReLU gate: scalar and WASM backends match the torch golden logits; the GGUF carries the key', async () => {
  const dir = reluCheckpointDir();
  try {
    const { scalar, wasm } = await backends(await openModel(dir));
    assert.equal(scalar.config.gateActivation, 'relu');
    checkAgainstGolden(scalar, 'scalar');
    checkAgainstGolden(wasm, 'wasm');
    await wasm.dispose();

    const sink = new MemorySink();
    const src = await openModel(dir);
    await convertToGGUF(src, sink, { type: 'f32', name: 'tiny-relu' });
    await src.close();
    const gguf = await openGGUFModel(new MemorySource(sink.toBytes(), 'tiny-relu.gguf'));
    assert.equal(gguf.metadata.getString('mamba.ssm.gate_activation'), 'relu');
    const fromGGUF = await backends(gguf);
    checkAgainstGolden(fromGGUF.wasm, 'wasm from GGUF');
    await fromGGUF.wasm.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a SiLU model writes no gate key (files stay identical to llama.cpp converter output)', async () => {
  const src = await openModel(fixture('models', 'tiny', 'hf'));
  const sink = new MemorySink();
  await convertToGGUF(src, sink, { type: 'f32', name: 'tiny' });
  await src.close();
  const gguf = await openGGUFModel(new MemorySource(sink.toBytes(), 'tiny.gguf'));
  assert.equal(gguf.metadata.get('mamba.ssm.gate_activation'), undefined);
  assert.equal(gguf.config.gateActivation, 'silu');
  await gguf.close();
});
