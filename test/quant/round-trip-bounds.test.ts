/**
 * Round-trip error bounds (error-bounds.ts) on the fixture inputs and on seeded random rows, and exact round
 * trips where the format allows them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantize } from '../../src/ggml/dequantize.js';
import { ggmlType } from '../../src/ggml/ggml-type.js';
import { quantize } from '../../src/quant/quantize.js';
import { mulberry32 } from '../helpers/prng.js';
import { BOUNDS, roundTripViolation } from './error-bounds.js';
import { loadInputs } from './quant-fixtures.js';

function gaussian(rnd: () => number): number {
  let u = 0;
  while (u === 0) u = rnd();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
}

/** Seeded rows of 8 super-blocks (2048 values) with different shapes. */
function randomRows(): { name: string; values: Float32Array }[] {
  const rnd = mulberry32(1234);
  const make = (g: (i: number) => number) => Float32Array.from({ length: 2048 }, (_, i) => g(i));
  return [
    { name: 'random normal', values: make(() => 0.02 * gaussian(rnd)) },
    { name: 'random uniform', values: make(() => rnd() * 2 - 1) },
    { name: 'random outliers', values: make(() => gaussian(rnd) * (rnd() < 0.01 ? 30 : 1)) },
    { name: 'random positive', values: make(() => Math.abs(gaussian(rnd)) + 0.5) },
    { name: 'random mixed scales', values: make((i) => gaussian(rnd) * 10 ** (((i >> 5) % 5) - 3)) },
  ];
}

const CASES = [...loadInputs(), ...randomRows()];

for (const name of Object.keys(BOUNDS) as (keyof typeof BOUNDS)[]) {
  const type = ggmlType(name);
  test(`${name}: round-trip error within the bound on every input`, () => {
    for (const c of CASES) {
      const why = roundTripViolation(name, c.values, quantize(c.values, type));
      if (why) assert.fail(`${c.name}, ${why}`);
    }
  });
}

test('all-zero input quantizes to exact zeros (Q6_K: an all-zero block)', () => {
  const zeros = new Float32Array(512);
  for (const name of ['Q8_0', 'Q4_0', 'Q4_K', 'Q6_K', 'TQ1_0', 'TQ2_0', 'Q8_K'] as const) {
    const type = ggmlType(name);
    const bytes = quantize(zeros, type);
    assert.ok(dequantize(bytes, type, 512).every((v) => v === 0), name);
    if (name === 'Q6_K' || name === 'Q8_K') assert.ok(bytes.every((b) => b === 0), name);
  }
});

test('already-ternary weights {−a, 0, +a} round-trip exactly through TQ1_0 and TQ2_0 (a exact in f16)', () => {
  const x = loadInputs().find((c) => c.name === 'ternary')!.values;
  for (const name of ['TQ1_0', 'TQ2_0'] as const) {
    const type = ggmlType(name);
    assert.deepEqual(dequantize(quantize(x, type), type, x.length), x, name);
  }
});
