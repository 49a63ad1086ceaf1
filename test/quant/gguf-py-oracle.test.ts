/**
 * The codecs against gguf-py 0.19's reference quantizers (test/fixtures/quant/, tools/quant/make_quant_fixtures.py):
 * byte-identical quantize for every type gguf-py quantizes, bit-identical dequantize for every type; Q4_K and
 * Q6_K quantize against bytes from ggml's C reference (ggml-c-k-quants.json).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantize } from '../../src/ggml/dequantize.js';
import { ggmlType, type GGMLTypeName } from '../../src/ggml/ggml-type.js';
import { QUANT_TRAITS } from '../../src/quant/quant-traits.js';
import { quantize } from '../../src/quant/quantize.js';
import { readFileSync } from 'node:fs';
import { fixture } from '../helpers/paths.js';
import { firstBitDifference, hexBytes, loadInputs, loadTypeFixture } from './quant-fixtures.js';

const TYPES: GGMLTypeName[] = ['Q8_0', 'Q4_0', 'Q4_K', 'Q6_K', 'TQ1_0', 'TQ2_0'];
const inputs = loadInputs();

for (const name of TYPES) {
  const fx = loadTypeFixture(name);
  const type = ggmlType(name);
  const traits = QUANT_TRAITS[name]!;

  test(`${name}: gguf-py ${fx.quantize ? 'quantizes it (our output must be byte-identical)' : 'cannot quantize it (oracle: ggml C algorithm)'}`, () => {
    assert.equal(traits.quantizeOracle, fx.quantize ? 'gguf-py' : 'ggml-c');
    assert.equal(fx.blockSize, traits.blockSize);
    assert.equal(fx.typeSize, traits.blockBytes);
  });

  if (fx.quantize) {
    for (const ref of fx.quantize) {
      test(`${name} quantize, case ${ref.case}: byte-identical to gguf.quants.quantize`, () => {
        const input = inputs.find((c) => c.name === ref.case)!;
        const got = quantize(input.values, type);
        assert.equal(got.length, ref.bytes.length);
        const i = got.findIndex((b, k) => b !== ref.bytes[k]);
        if (i >= 0) {
          const blk = Math.floor(i / traits.blockBytes);
          assert.fail(`byte ${i} (block ${blk}, offset ${i % traits.blockBytes}): got ${got[i]}, want ${ref.bytes[i]}`);
        }
        const back = dequantize(got, type, input.values.length);
        assert.equal(firstBitDifference(back, ref.f32), -1, 'dequantized values differ from gguf.quants.dequantize');
      });
    }
  }

  for (const ref of fx.dequantize) {
    test(`${name} dequantize, ${ref.name} block bytes: bit-identical to gguf.quants.dequantize`, () => {
      const got = dequantize(ref.bytes, type, ref.f32.length);
      const i = firstBitDifference(got, ref.f32);
      assert.equal(i, -1, i >= 0 ? `value ${i}: got ${got[i]}, want ${ref.f32[i]}` : '');
    });
  }
}

// gguf-py cannot quantize Q4_K / Q6_K: their bytes were checked once against ggml's C reference
// (tools/quant/README.md) and are pinned here.
const kQuants = JSON.parse(readFileSync(fixture('quant', 'ggml-c-k-quants.json'), 'utf8')) as {
  quantize: Record<'Q4_K' | 'Q6_K', { case: string; bytes: string }[]>;
};
for (const name of ['Q4_K', 'Q6_K'] as const) {
  test(`${name} quantize: byte-identical to ggml's quantize_row_${name.toLowerCase()}_ref on every input case`, () => {
    const traits = QUANT_TRAITS[name]!;
    for (const ref of kQuants.quantize[name]) {
      const input = inputs.find((c) => c.name === ref.case)!;
      const got = quantize(input.values, ggmlType(name));
      const want = hexBytes(ref.bytes);
      const i = got.findIndex((b, k) => b !== want[k]);
      assert.equal(got.length, want.length, ref.case);
      if (i >= 0) assert.fail(`${ref.case}: byte ${i} (block ${Math.floor(i / traits.blockBytes)}, offset ${i % traits.blockBytes}): got ${got[i]}, want ${want[i]}`);
    }
  });
}
