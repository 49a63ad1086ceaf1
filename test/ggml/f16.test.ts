import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16ToF32, f16ToF32, f32ToBF16, f32ToF16 } from '../../src/ggml/f16.js';

test('f16: every half value survives f16 → f32 → f16', () => {
  for (let h = 0; h < 0x10000; h++) {
    const f = f16ToF32(h);
    if (Number.isNaN(f)) {
      assert.ok((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0);
      assert.ok(Number.isNaN(f16ToF32(f32ToF16(f))));
      continue;
    }
    assert.equal(f32ToF16(f), h, `h=0x${h.toString(16)}`);
  }
});

test('f16: known values', () => {
  assert.equal(f16ToF32(0x3c00), 1);
  assert.equal(f16ToF32(0xc000), -2);
  assert.equal(f16ToF32(0x7bff), 65504);
  assert.equal(f16ToF32(0x0001), 2 ** -24);
  assert.equal(f16ToF32(0x7c00), Infinity);
  assert.equal(f32ToF16(65520), 0x7c00); // rounds up to inf, as numpy
  assert.equal(f32ToF16(1e-9), 0);
  assert.equal(f32ToF16(-0), 0x8000);
});

test('f16: ties round to even, between every pair of adjacent finite halves', () => {
  for (let h = 0; h < 0x7bff; h++) {
    const a = f16ToF32(h);
    const b = f16ToF32(h + 1);
    const mid = (a + b) / 2; // exact in f32 for halves
    assert.equal(f32ToF16(mid), h % 2 === 0 ? h : h + 1, `mid of 0x${h.toString(16)}`);
    assert.equal(f32ToF16(Math.fround(a + (b - a) * 0.25)), h);
    assert.equal(f32ToF16(Math.fround(a + (b - a) * 0.75)), h + 1);
  }
});

test('bf16: round to nearest even, NaN preserved', () => {
  assert.equal(f32ToBF16(1), 0x3f80);
  assert.equal(bf16ToF32(0x3f80), 1);
  assert.equal(bf16ToF32(f32ToBF16(Math.fround(1 + 2 ** -8))), 1); // tie → even
  assert.equal(bf16ToF32(f32ToBF16(Math.fround(1 + 3 * 2 ** -8))), 1 + 2 ** -6); // tie → even (up)
  assert.ok(Number.isNaN(bf16ToF32(f32ToBF16(NaN))));
  for (let b = 0; b < 0x10000; b += 7) {
    const f = bf16ToF32(b);
    if (!Number.isNaN(f)) assert.equal(f32ToBF16(f), b);
  }
});
