import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCli } from '../../src/cli/main.js';
import { REPO_ROOT, fixture } from '../helpers/paths.js';

interface Run { code: number; stdout: string; stderr: string }

async function cli(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd: REPO_ROOT,
  });
  return { code, stdout, stderr };
}

const TINY_HF = fixture('models', 'tiny', 'hf');
const TINY_SS = fixture('models', 'tiny', 'state-spaces');

test('help, version, unknown command', async () => {
  const h = await cli('--help');
  assert.equal(h.code, 0);
  assert.match(h.stdout, /commands:[\s\S]*inspect[\s\S]*convert[\s\S]*tokenize/);
  assert.match((await cli('--version')).stdout, /^\d+\.\d+\.\d+\n$/);
  const u = await cli('frobnicate');
  assert.equal(u.code, 2);
  assert.match(u.stderr, /^error: unknown command "frobnicate"\nhint: commands: /);
});

test('inspect: text and JSON for a checkpoint directory', async () => {
  const t = await cli('inspect', TINY_HF);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, /Hugging Face checkpoint/);
  assert.match(t.stdout, /d_model=64 n_layer=2 n_vocab=304 d_inner=128 d_state=16 d_conv=4 dt_rank=4/);
  assert.match(t.stdout, /blk\.1\.ssm_a\s+F32\s+\[128, 16\]\s+8192/);
  const j = await cli('inspect', TINY_SS, '--json');
  assert.equal(j.code, 0, j.stderr);
  const obj = JSON.parse(j.stdout);
  assert.equal(obj.format, 'state-spaces');
  assert.equal(obj.config.nVocab, 304);
  assert.equal(obj.tensors.length, 22);
  assert.equal(obj.total_bytes, obj.tensors.reduce((a: number, t: { bytes: number }) => a + t.bytes, 0));
});

test('convert → inspect a GGUF, with the tokenizer embedded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-cli-'));
  const out = join(dir, 'tiny.gguf');
  const c = await cli('convert', TINY_HF, out, '--type', 'f32', '--quiet');
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stderr, '');
  const j = JSON.parse((await cli('inspect', out, '--json')).stdout);
  assert.equal(j.format, 'gguf');
  assert.equal(j.metadata['general.architecture'].value, 'mamba');
  assert.equal(j.metadata['general.name'].value, 'hf');
  assert.equal(j.metadata['tokenizer.ggml.model'].value, 'gpt2');
  assert.equal(j.tokenizer.nTokens, 304, 'vocabulary padded to the embedding rows');
  // refuses to overwrite without --force
  const again = await cli('convert', TINY_HF, out, '--quiet');
  assert.equal(again.code, 2);
  assert.match(again.stderr, /already exists\nhint: pass --force/);
  assert.equal((await cli('convert', TINY_HF, out, '--quiet', '--force', '--type', 'f16')).code, 0);
  assert.equal(JSON.parse((await cli('inspect', out, '--json')).stdout).metadata['general.file_type'].value, 1);
  assert.ok(!existsSync(out + '.partial'));
  // the embedded tokenizer gives the same ids as the tokenizer.json it came from
  const text = 'MENENIUS:\nWhat say you, señor?  ';
  const fromGGUF = JSON.parse((await cli('tokenize', out, text, '--json')).stdout);
  const fromJson = JSON.parse((await cli('tokenize', '--tokenizer', join(TINY_HF, 'tokenizer.json'), text, '--json')).stdout);
  const fromDir = JSON.parse((await cli('tokenize', TINY_HF, text, '--json')).stdout);
  assert.ok(fromJson.ids.length > 5);
  assert.deepEqual(fromGGUF, fromJson);
  assert.deepEqual(fromDir, fromJson);
});

test('convert a state-spaces directory with --tokenizer; warns without one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-cli-'));
  const w = await cli('convert', TINY_SS, join(dir, 'a.gguf'), '--type', 'f32');
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stderr, /warning: no tokenizer found/);
  const t = await cli('convert', TINY_SS, join(dir, 'b.gguf'), '--tokenizer', join(TINY_HF, 'tokenizer.json'), '--quiet');
  assert.equal(t.code, 0, t.stderr);
  const j = JSON.parse((await cli('inspect', join(dir, 'b.gguf'), '--json')).stdout);
  assert.equal(j.metadata['tokenizer.ggml.model'].value, 'gpt2');
});

test('bad input: typed one-line errors, exit 1, no stack trace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamba-cli-'));
  const cases: [string[], RegExp][] = [];
  writeFileSync(join(dir, 'junk.gguf'), 'this is not a model at all, really not');
  cases.push([['inspect', join(dir, 'junk.gguf')], /not a GGUF file \(magic bytes 74 68 69 73/]);
  cases.push([['inspect', join(dir, 'missing.gguf')], /cannot open model .*missing\.gguf: no such file or directory/]);
  const trunc = join(dir, 'trunc.gguf');
  await cli('convert', TINY_HF, join(dir, 'full.gguf'), '--quiet', '--type', 'f32');
  const full = readFileSync(join(dir, 'full.gguf'));
  writeFileSync(trunc, full.subarray(0, full.length - 5000));
  cases.push([['inspect', trunc], /runs past the end of the file/]);
  const noConfig = join(dir, 'noconfig');
  mkdirSync(noConfig);
  copyFileSync(join(TINY_HF, 'model.safetensors'), join(noConfig, 'model.safetensors'));
  cases.push([['inspect', noConfig], /no config\.json/]);
  const badConfig = join(dir, 'badconfig');
  mkdirSync(badConfig);
  copyFileSync(join(TINY_HF, 'model.safetensors'), join(badConfig, 'model.safetensors'));
  writeFileSync(join(badConfig, 'config.json'), JSON.stringify({ d_model: 64, vocab_size: 304 }));
  cases.push([['inspect', badConfig], /missing required key `num_hidden_layers` \(or `n_layer`\)/]);
  const wrongShape = join(dir, 'wrongshape');
  mkdirSync(wrongShape);
  copyFileSync(join(TINY_HF, 'model.safetensors'), join(wrongShape, 'model.safetensors'));
  writeFileSync(join(wrongShape, 'config.json'), JSON.stringify({ d_model: 64, n_layer: 2, vocab_size: 304, ssm_cfg: { d_state: 8 } }));
  cases.push([['inspect', wrongShape], /tensor `backbone\.layers\.0\.mixer\.x_proj\.weight` has shape \[36, 128\], expected \[20, 128\] from config\.json/]);
  for (const [argv, re] of cases) {
    const r = await cli(...argv);
    assert.equal(r.code, 1, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error: /);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const usage: string[][] = [['inspect'], ['convert', TINY_HF], ['convert', TINY_HF, join(dir, 'x.gguf'), '--type', 'q3'], ['inspect', TINY_HF, '--bogus']];
  for (const argv of usage) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error: /);
  }
});

test('an unknown option: exit 2, and the option it most likely meant', async () => {
  for (const [argv, meant] of [
    [['bench', '--profile'], '--profile-ops'],
    [['run', TINY_HF, '--topk', '5'], '--top-k'],
    [['run', TINY_HF, '--temperature', '0.5'], '--temp'],
    [['inspect', TINY_HF, '--jsn'], '--json'],
  ] as const) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /Unknown option/);
    assert.ok(r.stderr.includes(`did you mean \`${meant}\`?`), r.stderr);
  }
  const r = await cli('inspect', TINY_HF, '--zzzzzz');
  assert.equal(r.code, 2);
  assert.doesNotMatch(r.stderr, /did you mean/);
});

test('the built binary runs as a process and exits with the right codes', () => {
  const bin = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const ok = spawnSync(process.execPath, [bin, 'inspect', TINY_HF], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /arch:\s+mamba/);
  const bad = spawnSync(process.execPath, [bin, 'inspect', '/nonexistent/model.gguf'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /^error: cannot open model/);
  const usage = spawnSync(process.execPath, [bin], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
});

test('a reader that closes the pipe early ends the process quietly (no EPIPE trace)', async () => {
  const { spawn } = await import('node:child_process');
  const bin = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  const child = spawn(process.execPath, [bin, 'run', TINY_HF, '--prompt-ids', '1,2', '-n', '100000', '--seed', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  // like `| head -c 1`: read the first output, then close our end
  const first = await Promise.race([new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(String(d)))), exited.then(() => '')]);
  assert.notEqual(first, '', `the run ended before writing anything: ${stderr}`);
  child.stdout.destroy();
  const code = await exited;
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled|at /);
});
