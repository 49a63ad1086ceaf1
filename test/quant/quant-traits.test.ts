/** The codec table against ggml's type table, and the byte layouts each codec file declares. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GGML_TYPES, ggmlType, type GGMLTypeName } from '../../src/ggml/ggml-type.js';
import { dequantize } from '../../src/ggml/dequantize.js';
import { QK4_0, Q4_0_BLOCK_BYTES } from '../../src/quant/q4_0.js';
import { K_SCALE_SIZE, Q4_K_BLOCK_BYTES } from '../../src/quant/q4_k.js';
import { Q6_K_BLOCK_BYTES } from '../../src/quant/q6_k.js';
import { QK8_0, Q8_0_BLOCK_BYTES } from '../../src/quant/q8_0.js';
import { Q8_K_BLOCK_BYTES } from '../../src/quant/q8_k.js';
import { QK_K } from '../../src/quant/qk-k.js';
import { QUANT_TRAITS } from '../../src/quant/quant-traits.js';
import { quantize } from '../../src/quant/quantize.js';
import { fittingType } from '../../src/quant/tensor-plan.js';
import { TQ1_0_BLOCK_BYTES } from '../../src/quant/tq1_0.js';
import { TQ2_0_BLOCK_BYTES } from '../../src/quant/tq2_0.js';

test('block layouts: elements per block and bytes per block, as ggml-common.h', () => {
  assert.deepEqual([QK8_0, Q8_0_BLOCK_BYTES], [32, 2 + 32]); // f16 d, i8 qs[32]
  assert.deepEqual([QK4_0, Q4_0_BLOCK_BYTES], [32, 2 + 16]); // f16 d, u8 qs[16]
  assert.equal(QK_K, 256);
  assert.deepEqual([K_SCALE_SIZE, Q4_K_BLOCK_BYTES], [12, 2 + 2 + 12 + QK_K / 2]); // d, dmin, scales, qs
  assert.equal(Q6_K_BLOCK_BYTES, QK_K / 2 + QK_K / 4 + QK_K / 16 + 2); // ql, qh, scales, d
  assert.equal(TQ1_0_BLOCK_BYTES, (QK_K - (4 * QK_K) / 64) / 5 + QK_K / 64 + 2); // qs[48], qh[4], d
  assert.equal(TQ2_0_BLOCK_BYTES, QK_K / 4 + 2); // qs[64], d
  assert.equal(Q8_K_BLOCK_BYTES, 4 + QK_K + 2 * (QK_K / 16)); // f32 d, qs, bsums
});

test('every codec row matches GGML_TYPES (block size, type size) and every loadable type has a codec', () => {
  for (const [name, tr] of Object.entries(QUANT_TRAITS)) {
    const g = ggmlType(tr!.name);
    assert.equal(g.name, name);
    assert.equal(tr!.blockSize, g.blockSize, `${name} block size`);
    assert.equal(tr!.blockBytes, g.typeSize, `${name} type size`);
    for (const fb of tr!.fallback) assert.ok(QUANT_TRAITS[fb], `${name} falls back to ${fb}, which has a codec`);
  }
  for (const g of GGML_TYPES.filter((t) => t.supported)) assert.ok(QUANT_TRAITS[g.name], `${g.name} is supported but has no codec`);
  assert.deepEqual(
    GGML_TYPES.filter((t) => t.supported).map((t) => t.name).sort(),
    ['BF16', 'F16', 'F32', 'Q4_0', 'Q4_K', 'Q6_K', 'Q8_0', 'TQ1_0', 'TQ2_0'],
  );
});

test('fallbacks end in a type that fits any row (block size 1) and only go to smaller blocks', () => {
  for (const tr of Object.values(QUANT_TRAITS)) {
    if (tr!.fallback.length === 0) continue;
    const chain = tr!.fallback.map((n) => QUANT_TRAITS[n]!);
    assert.equal(chain[chain.length - 1].blockSize, 1, tr!.name);
    for (const fb of chain) assert.ok(fb.blockSize < tr!.blockSize && tr!.blockSize % fb.blockSize === 0, `${tr!.name} → ${fb.name}`);
  }
});

test('quantize / dequantize sizes: whole blocks in, exact byte counts out', () => {
  for (const tr of Object.values(QUANT_TRAITS)) {
    const type = ggmlType(tr!.name);
    const n = 2 * Math.max(tr!.blockSize, 32);
    const bytes = quantize(new Float32Array(n).fill(0.25), type);
    assert.equal(bytes.length, (n / tr!.blockSize) * tr!.blockBytes, tr!.name);
    assert.equal(dequantize(bytes, type, n).length, n);
    if (tr!.blockSize > 1) assert.throws(() => quantize(new Float32Array(tr!.blockSize + 1), type), RangeError);
  }
});

test('the fallback table: a row length that does not fit the block picks the first type that fits', () => {
  const cases: [GGMLTypeName, number, GGMLTypeName][] = [
    ['Q8_0', 768, 'Q8_0'], ['Q8_0', 48, 'F16'],
    ['Q4_0', 64, 'Q4_0'], ['Q4_0', 48, 'F16'],
    ['Q4_K', 768, 'Q4_K'], ['Q4_K', 64, 'Q4_0'], ['Q4_K', 48, 'F16'],
    ['Q6_K', 1536, 'Q6_K'], ['Q6_K', 128, 'Q8_0'], ['Q6_K', 4, 'F16'],
    ['TQ1_0', 256, 'TQ1_0'], ['TQ1_0', 96, 'Q4_0'], ['TQ1_0', 48, 'F16'],
    ['TQ2_0', 512, 'TQ2_0'], ['TQ2_0', 160, 'Q4_0'], ['TQ2_0', 16, 'F16'],
    ['F16', 3, 'F16'], ['F32', 3, 'F32'],
  ];
  for (const [wanted, row, got] of cases) assert.equal(fittingType(ggmlType(wanted), row).name, got, `${wanted} rows of ${row}`);
});
