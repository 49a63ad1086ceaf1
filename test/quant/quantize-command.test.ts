/** `mamba-ts quantize` and the quantized `convert --type` values, run in-process. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/main.js';
import { MemorySource } from '../../src/io/byte-source.js';
import { openGGUFModel } from '../../src/model/model-file.js';
import { REPO_ROOT, fixture } from '../helpers/paths.js';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd: REPO_ROOT });
  return { code, stdout, stderr };
}

const TINY_HF = fixture('models', 'tiny', 'hf');

async function open(path: string) {
  return openGGUFModel(new MemorySource(new Uint8Array(readFileSync(path)), path));
}

test('convert --type q8_0, then quantize it to q4_k: types, fallbacks and the requantization warning are reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-quant-'));
  const f32 = join(dir, 'f32.gguf');
  assert.equal((await cli('convert', TINY_HF, f32, '--type', 'f32', '--quiet')).code, 0);

  const q = await cli('quantize', f32, join(dir, 'q4k.gguf'), '--type', 'q4_k', '--keep-output', 'q8_0');
  assert.equal(q.code, 0, q.stderr);
  assert.match(q.stderr, /wrote .*q4k\.gguf: 22 tensors, q4_k \(output q8_0\)/);
  assert.match(q.stderr, /types: F32 13, Q4_0 6, F16 2, Q8_0 1\n/);
  assert.match(q.stderr, /blk\.\*\.ssm_dt\.weight ×2 \[128, 4\]: Q4_K → F16 \(rows of 4 are not a multiple of 256\)/);
  assert.doesNotMatch(q.stderr, /warning/);
  const m = await open(join(dir, 'q4k.gguf'));
  assert.equal(m.tensor('token_embd.weight')!.type.name, 'Q8_0');
  assert.equal(m.metadata.getNumber('general.file_type'), 14);
  assert.equal(m.metadata.getString('tokenizer.ggml.model'), 'gpt2', 'tokenizer copied');

  const q8 = join(dir, 'q8.gguf');
  assert.equal((await cli('convert', TINY_HF, q8, '--type', 'q8_0', '--quiet')).code, 0);
  assert.equal((await open(q8)).metadata.getNumber('general.quantization_version'), 2);
  const re = await cli('quantize', q8, join(dir, 'q4_0.gguf'), '--type', 'q4_0');
  assert.equal(re.code, 0, re.stderr);
  assert.match(re.stderr, /warning: 7 tensors are already quantized \(Q8_0\): they are dequantized to F32 and requantized/);

  const tq = await cli('convert', TINY_HF, join(dir, 'tq.gguf'), '--type', 'tq2_0', '--ternary-scale', 'absmean', '--quiet');
  assert.equal(tq.code, 0, tq.stderr);
});

test('quantize usage errors exit 2 and name the fix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-quant-'));
  const f32 = join(dir, 'f32.gguf');
  await cli('convert', TINY_HF, f32, '--type', 'f32', '--quiet');
  const cases: [string[], RegExp][] = [
    [['quantize', f32, join(dir, 'a.gguf')], /quantize needs --type/],
    [['quantize', f32, join(dir, 'a.gguf'), '--type', 'f16'], /--type must be one of q8_0, q4_0, q4_k, q4_k_m, q6_k, tq1_0, tq2_0/],
    [['quantize', f32, join(dir, 'a.gguf'), '--type', 'q8_0', '--ternary-scale', 'absmean'], /--ternary-scale applies to --type tq1_0 and tq2_0/],
    [['quantize', f32, join(dir, 'a.gguf'), '--type', 'q8_0', '--keep-output', 'q4_0'], /--keep-output must be one of f16, q8_0/],
    [['quantize', TINY_HF, join(dir, 'a.gguf'), '--type', 'q8_0'], /not a GGUF file[\s\S]*hint: use `mamba-ts convert/],
    [['quantize', f32, f32, '--type', 'q8_0'], /OUT must differ from IN/],
  ];
  for (const [argv, re] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.stderr, re);
  }
  assert.ok(!existsSync(join(dir, 'a.gguf')));
  assert.match((await cli('quantize', '--help')).stdout, /usage: mamba-ts quantize IN\.gguf OUT\.gguf --type q8_0\|q4_0\|q4_k\|q4_k_m\|q6_k\|tq1_0\|tq2_0/);
  assert.match((await cli('--help')).stdout, /quantize/);
});
