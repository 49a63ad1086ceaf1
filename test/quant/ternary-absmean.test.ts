/** BitNet b1.58 absmean ternarization packed as TQ1_0 / TQ2_0. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantize } from '../../src/ggml/dequantize.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { readF16 } from '../../src/quant/block-bytes.js';
import { absmean, quantizeRowTernaryAbsmean } from '../../src/quant/ternary-absmean.js';

/** 512 values with mean|W| = 1: ±0.5 (ties: round half to even → 0), ±1.5 (→ 2, clipped to 1), ±1 and ±3 / 0. */
function row(): Float32Array {
  const pattern = [0.5, -0.5, 1.5, -1.5, 1, -1, 3, 0];
  // mean|W| over the pattern = (0.5 + 0.5 + 1.5 + 1.5 + 1 + 1 + 3 + 0) / 8 = 1.125 → scale it to 1
  return Float32Array.from({ length: 512 }, (_, i) => pattern[i % 8] / 1.125);
}

for (const name of ['TQ1_0', 'TQ2_0'] as const) {
  test(`${name} absmean: γ = mean|W| per row, W̃ = RoundClip(W/γ, −1, 1) with ties to even, d = f16(γ) in every block`, () => {
    const type = ggmlType(name);
    const w = row();
    const gamma = absmean(w);
    assert.ok(Math.abs(gamma - 1) < 1e-6);
    const bytes = new Uint8Array((512 / 256) * type.typeSize);
    assert.equal(quantizeRowTernaryAbsmean(w, name, bytes), gamma);
    const dh = readF16(bytes, name === 'TQ1_0' ? 52 : 64);
    assert.equal(dh, 1);
    assert.equal(readF16(bytes, type.typeSize + (name === 'TQ1_0' ? 52 : 64)), dh);
    const trits = [0, 0, 1, -1, 1, -1, 1, 0]; // 0.5/1.125·… scaled: W/γ = 0.444, 1.333, 0.889, 2.667
    const back = dequantize(bytes, type, 512);
    for (let i = 0; i < 512; i++) {
      const wg = w[i] / gamma;
      const want = Math.abs(wg) < 0.5 ? 0 : Math.sign(wg);
      assert.ok(back[i] === dh * want || (want === 0 && back[i] === 0), `value ${i}: ${back[i]} vs ${want}`);
    }
    assert.deepEqual(Array.from(back.subarray(0, 8), (v) => v + 0), trits.map((t) => t * dh + 0));
  });
}

test('absmean: exact ties W/γ = ±1/2 round to 0 (torch.round), ±3/2 to ±1 (clipped)', () => {
  // γ = mean(|[0.5, -0.5, 1.5, -1.5]| repeated) = 1 exactly
  const w = Float32Array.from({ length: 256 }, (_, i) => [0.5, -0.5, 1.5, -1.5][i % 4]);
  const bytes = new Uint8Array(66);
  assert.equal(quantizeRowTernaryAbsmean(w, 'TQ2_0', bytes), 1);
  const back = dequantize(bytes, ggmlType('TQ2_0'), 256);
  assert.deepEqual(Array.from(back.subarray(0, 4), (v) => v + 0), [0, 0, 1, -1]);
});

test('absmean: an all-zero row stores d = 0 and zero trits', () => {
  const bytes = new Uint8Array(54).fill(0xff);
  assert.equal(quantizeRowTernaryAbsmean(new Float32Array(256), 'TQ1_0', bytes), 0);
  assert.ok(dequantize(bytes, ggmlType('TQ1_0'), 256).every((v) => v === 0));
  assert.equal(readF16(bytes, 52), 0);
});
