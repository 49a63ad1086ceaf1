/** Q8_K, the activation format of the k-quant / ternary dot products: layout, invariants, round trip. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantize } from '../../src/ggml/dequantize.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { Q8_K_BLOCK_BYTES, Q8_K_BSUMS_OFFSET, Q8_K_D_OFFSET, Q8_K_QS_OFFSET } from '../../src/quant/q8_k.js';
import { QK_K } from '../../src/quant/qk-k.js';
import { quantize } from '../../src/quant/quantize.js';
import { mulberry32 } from '../helpers/prng.js';

test('Q8_K layout: f32 d | int8 qs[256] | int16 bsums[16] = 292 bytes', () => {
  assert.equal(QK_K, 256);
  assert.equal(Q8_K_D_OFFSET, 0);
  assert.equal(Q8_K_QS_OFFSET, 4);
  assert.equal(Q8_K_BSUMS_OFFSET, 4 + QK_K);
  assert.equal(Q8_K_BLOCK_BYTES, Q8_K_BSUMS_OFFSET + 2 * (QK_K / 16));
});

test('Q8_K: d = max/−127, qs = nearest(x/d) capped at 127, bsums = group sums, |x − d·qs| ≤ |d|/2', () => {
  const rnd = mulberry32(99);
  const x = Float32Array.from({ length: 3 * QK_K }, () => (rnd() - 0.5) * 8);
  x[5] = 7.5; // largest magnitude of block 0, positive: d < 0
  x[QK_K + 9] = -9; // block 1: d > 0
  const bytes = quantize(x, ggmlType('Q8_K'));
  const dv = new DataView(bytes.buffer);
  const back = dequantize(bytes, ggmlType('Q8_K'), x.length);
  for (let b = 0; b < 3; b++) {
    const o = b * Q8_K_BLOCK_BYTES;
    const d = dv.getFloat32(o + Q8_K_D_OFFSET, true);
    if (b === 0) assert.equal(d, Math.fround(1 / Math.fround(-127 / 7.5)));
    if (b === 1) assert.ok(d > 0);
    for (let g = 0; g < 16; g++) {
      let sum = 0;
      for (let i = 0; i < 16; i++) sum += dv.getInt8(o + Q8_K_QS_OFFSET + 16 * g + i);
      assert.equal(dv.getInt16(o + Q8_K_BSUMS_OFFSET + 2 * g, true), sum);
    }
    for (let j = 0; j < QK_K; j++) {
      const q = dv.getInt8(o + Q8_K_QS_OFFSET + j);
      assert.ok(q >= -127 && q <= 127);
      assert.ok(Math.abs(x[b * QK_K + j] - back[b * QK_K + j]) <= Math.abs(d) / 2 * (1 + 2 ** -20), `block ${b} value ${j}`);
    }
  }
});
