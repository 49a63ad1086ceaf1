import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UnsupportedError } from '../../src/errors.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import type { ModelFile } from '../../src/model/model-file.js';
import { checkMemoryFits } from '../../src/wasm/memory-fit.js';
import { openModel } from '../../src/node/open-model.js';
import { WasmBackend } from '../../src/wasm/wasm-backend.js';
import { fixture } from '../helpers/paths.js';

/** Just what checkMemoryFits reads: a mamba-2.8b-shaped F32 file (d_model 2560, 64 layers, vocab 50280). */
function fakeModel(): ModelFile {
  const f32 = ggmlType('F32');
  const m = (name: string, rows: number, cols: number) => ({ name, type: f32, shape: [rows, cols], nBytes: 4 * rows * cols, read: async () => new Uint8Array(0) });
  const tensors = [m('token_embd.weight', 50280, 2560)];
  for (let l = 0; l < 64; l++) {
    tensors.push(m(`blk.${l}.ssm_in.weight`, 10240, 2560), m(`blk.${l}.ssm_x.weight`, 192, 5120), m(`blk.${l}.ssm_dt.weight`, 5120, 160), m(`blk.${l}.ssm_out.weight`, 2560, 5120));
  }
  return { path: 'mamba-2.8b-f32.gguf', format: 'gguf', tensors } as unknown as ModelFile;
}

test('a model over the 4 GiB wasm32 limit: the error names the types that fit and the command', () => {
  const file = fakeModel();
  const matrixBytes = file.tensors.reduce((a, t) => a + t.nBytes, 0);
  const need = matrixBytes + 50 * 2 ** 20;
  assert.throws(() => checkMemoryFits(file, need, 2 ** 32, matrixBytes), (e: unknown) => {
    assert.ok(e instanceof UnsupportedError);
    assert.match(e.message, /needs 10\.\d\d GiB of WebAssembly memory; wasm32 addresses at most 4\.00 GiB\. As Q8_0 \(2\.\d\d GiB\) or Q4_0 \(1\.\d\d GiB\) it would fit/);
    assert.doesNotMatch(e.message, /F16 \(/, 'F16 (5.5 GiB) does not fit');
    assert.match(String(e.hint), /mamba-ts quantize mamba-2\.8b-f32\.gguf OUT\.gguf --type q8_0/);
    return true;
  });
  assert.doesNotThrow(() => checkMemoryFits(file, 2 ** 32, 2 ** 32, matrixBytes));
});

test('the backend checks before allocating: an F32 model over the limit names Q8_0 / Q4_0', async () => {
  const file = await openModel(fixture('models', 'tiny', 'hf'));
  try {
    const ok = await WasmBackend.create(file);
    const total = ok.memoryReport.totalBytes;
    const weights = ok.memoryReport.regions.weights;
    await ok.dispose();
    // Room for everything but half the F32 weights: Q8_0 (a quarter of F32, plus scales) fits.
    await assert.rejects(WasmBackend.create(file, { memoryLimitBytes: total - weights / 2 }), (e: unknown) => {
      assert.ok(e instanceof UnsupportedError, String(e));
      assert.match(e.message, /WebAssembly memory.*As .*Q8_0 .* it would fit/);
      assert.match(String(e.hint), /mamba-ts convert .* OUT\.gguf --type (f16|q8_0)/);
      return true;
    });
  } finally {
    await file.close();
  }
});
