import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { TokenizerError, UsageError } from '../../src/errors.js';
import { tokenizeCommand } from '../../src/cli/tokenize-command.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { NEOX_JSON_PATH, TINY_JSON_PATH } from './tokenizer-fixtures.js';

async function run(argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const io = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: () => true }, cwd: REPO_ROOT };
  const code = await tokenizeCommand.run(argv, io);
  return { code, stdout };
}

describe('mamba-ts tokenize', () => {
  it('prints one line per token: id, tab, JSON-quoted token string', async () => {
    const { code, stdout } = await run(['--tokenizer', NEOX_JSON_PATH, 'Hello, world!']);
    assert.equal(code, 0);
    assert.equal(stdout, '12092\t"Hello"\n13\t","\n1533\t"Ġworld"\n2\t"!"\n');
  });

  it('--json prints ids and tokens', async () => {
    const { stdout } = await run(['--tokenizer', NEOX_JSON_PATH, '--json', 'Customer Support should']);
    assert.deepEqual(JSON.parse(stdout), { ids: [30298, 15185, 943], tokens: ['Customer', 'ĠSupport', 'Ġshould'] });
  });

  it('takes TEXT verbatim: leading and trailing spaces, newlines, a leading dash after --', async () => {
    const { stdout } = await run(['--tokenizer', NEOX_JSON_PATH, '--json', '  two leading spaces\n']);
    assert.deepEqual(JSON.parse(stdout).ids, [50276, 9389, 4283, 8470, 187]);
    const dash = await run(['--tokenizer', NEOX_JSON_PATH, '--json', '--', '-x ']);
    assert.deepEqual(JSON.parse(dash.stdout).tokens, ['-', 'x', 'Ġ']);
  });

  it('reads MODEL as a directory holding tokenizer.json, adding its BOS/EOS unless --no-special', async () => {
    const dir = dirname(TINY_JSON_PATH);
    const withSpecial = JSON.parse((await run([dir, '--json', 'Once'])).stdout).tokens;
    assert.equal(withSpecial[0], '<|bos|>');
    assert.equal(withSpecial.at(-1), '<|endoftext|>');
    const plain = JSON.parse((await run([dir, '--json', '--no-special', 'Once'])).stdout).tokens;
    assert.deepEqual(plain, withSpecial.slice(1, -1));
  });

  it('resolves relative paths against the working directory', async () => {
    const { stdout } = await run(['test/fixtures/tokenizer/tiny-bpe', '--json', '--no-special', 'a']);
    assert.deepEqual(JSON.parse(stdout).tokens, ['a']);
  });

  const usageErrors: [string, string[]][] = [
    ['an unknown flag', ['--tokenizer', NEOX_JSON_PATH, '--bogus', 'x']],
    ['no TEXT', ['--tokenizer', NEOX_JSON_PATH]],
    ['MODEL and --tokenizer together', ['model-dir', '--tokenizer', NEOX_JSON_PATH, 'x']],
    ['no MODEL', ['just-text']],
  ];
  for (const [what, argv] of usageErrors) {
    it(`rejects ${what} with a UsageError`, async () => {
      await assert.rejects(run(argv), (e) => e instanceof UsageError && e.hint !== undefined);
    });
  }

  it('explains a missing tokenizer and a GGUF model', async () => {
    await assert.rejects(run(['--tokenizer', 'no/such/tokenizer.json', 'x']), { name: 'FileAccessError', message: /no such file/ });
    await assert.rejects(run(['test/fixtures', 'x']), { name: 'FileAccessError', message: /no tokenizer\.json/ });
    await assert.rejects(run(['package.json', 'x']), (e) => e instanceof TokenizerError);
  });

  it('--help prints the usage', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    assert.match(stdout, /usage: mamba-ts tokenize \(MODEL \| --tokenizer FILE\) TEXT/);
  });
});
