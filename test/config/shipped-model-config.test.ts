/** The model_config.yaml shipped at the repository root and docs/configuration.md stay valid and complete. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelConfig, resolveProfile } from '../../src/config/model-config-file.js';
import { DEFAULT_GENERATION_SETTINGS, GENERATION_OPTION_ROWS } from '../../src/config/generation-options.js';
import { renderOptionsMarkdown } from '../../src/config/options-markdown.js';
import { REPO_ROOT } from '../helpers/paths.js';

const SHIPPED = readFileSync(join(REPO_ROOT, 'model_config.yaml'), 'utf8');
const DOCS = readFileSync(join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8');

test('the shipped model_config.yaml parses, validates and has the documented profiles', () => {
  const file = loadModelConfig(SHIPPED, 'model_config.yaml');
  assert.deepEqual([...file.profiles.keys()], ['default', 'precise', 'creative', 'batch']);
  const byName = (name: string | undefined) => resolveProfile(file, name, {});
  assert.deepEqual(byName(undefined), byName('default'));
  assert.deepEqual({ ...byName('default'), stop: [...byName('default').stop] }, { ...DEFAULT_GENERATION_SETTINGS, stop: [] });
  assert.equal(byName('precise').temperature, 0, 'precise is greedy');
  assert.ok(byName('creative').temperature > DEFAULT_GENERATION_SETTINGS.temperature);
  assert.equal(byName('batch').batchSize, 4);
});

test('the shipped model_config.yaml documents every key', () => {
  for (const row of GENERATION_OPTION_ROWS) {
    assert.match(SHIPPED, new RegExp(`^\\s*#?\\s*${row.key}:`, 'm'), `${row.key} is not in model_config.yaml`);
    assert.ok(SHIPPED.includes(`--${row.flag}`), `--${row.flag} is not mentioned in model_config.yaml`);
  }
});

test('docs/configuration.md holds the options table rendered from GENERATION_OPTIONS', () => {
  const start = '<!-- options-table:start (generated from src/config/generation-options.ts) -->\n';
  const end = '\n<!-- options-table:end -->';
  const i = DOCS.indexOf(start);
  const j = DOCS.indexOf(end);
  assert.ok(i >= 0 && j > i, 'docs/configuration.md lacks the options-table markers');
  assert.equal(DOCS.slice(i + start.length, j), renderOptionsMarkdown(), 'regenerate the table: node -e "import(\'./dist/src/config/options-markdown.js\').then(m => console.log(m.renderOptionsMarkdown()))"');
});

test('the YAML example in docs/configuration.md is valid', () => {
  const example = /```yaml\n([\s\S]*?)```/.exec(DOCS);
  assert.ok(example, 'no yaml block in the docs');
  const file = loadModelConfig(example[1], 'docs/configuration.md');
  assert.equal(resolveProfile(file, undefined, {}).temperature, 0);
  assert.deepEqual(resolveProfile(file, 'creative', {}).stop, ['\n\n\n', 'THE END']);
});
