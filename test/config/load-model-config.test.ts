import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGenerationSettings, loadModelConfigFile } from '../../src/config/load-model-config.js';
import { DEFAULT_GENERATION_SETTINGS } from '../../src/config/generation-options.js';
import { ConfigError, UsageError } from '../../src/errors.js';

function withTempDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamba-config-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('no --config and no ./model_config.yaml → built-in defaults', withTempDir(async (dir) => {
  assert.equal(await loadModelConfigFile(undefined, dir), undefined);
  const r = await loadGenerationSettings({ cwd: dir });
  assert.deepEqual(r.settings, DEFAULT_GENERATION_SETTINGS);
  assert.equal(r.profile, undefined);
}));

test('./model_config.yaml in the cwd is read when present', withTempDir(async (dir) => {
  writeFileSync(join(dir, 'model_config.yaml'), 'default_profile: p\nprofiles:\n  p: { top_k: 3 }\n');
  const r = await loadGenerationSettings({ cwd: dir, overrides: { seed: 5 } });
  assert.equal(r.profile, 'p');
  assert.equal(r.settings.topK, 3);
  assert.equal(r.settings.seed, 5);
}));

test('--config FILE: missing → UsageError; errors name the file as given', withTempDir(async (dir) => {
  await assert.rejects(loadModelConfigFile('nope.yaml', dir), (e: unknown) => e instanceof UsageError && /^--config nope\.yaml: no such file/.test(e.message));
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'bad.yaml'), 'defaults:\n  top_q: 1\n');
  await assert.rejects(loadModelConfigFile('conf/bad.yaml', dir), (e: unknown) => e instanceof ConfigError && e.message.startsWith('conf/bad.yaml:2: unknown key `top_q`'));
}));

test('relative model paths: from the file’s directory in the file, from the cwd on the command line', withTempDir(async (dir) => {
  mkdirSync(join(dir, 'conf'));
  writeFileSync(join(dir, 'conf', 'm.yaml'), 'defaults:\n  model: ../models/a.gguf\n  draft_model: d.gguf\n');
  const r = await loadGenerationSettings({ configPath: 'conf/m.yaml', cwd: dir });
  assert.equal(r.settings.model, join(dir, 'models', 'a.gguf'));
  assert.equal(r.settings.draftModel, join(dir, 'conf', 'd.gguf'));
  const flagged = await loadGenerationSettings({ configPath: 'conf/m.yaml', cwd: dir, overrides: { model: 'b.gguf' } });
  assert.equal(flagged.settings.model, join(dir, 'b.gguf'));
}));
