/**
 * model_config.yaml under seeded mutation (the shipped file and a small one): every text either loads and
 * resolves every profile, or is a ConfigError that names the file and a line inside it — never another error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelConfig, resolveProfile } from '../../src/config/model-config-file.js';
import { ConfigError } from '../../src/errors.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { mulberry32 } from '../helpers/prng.js';

const SHIPPED = readFileSync(join(REPO_ROOT, 'model_config.yaml'), 'utf8');
const SMALL = 'default_profile: a\ndefaults:\n  top_k: 20\n  stop: ["\\n\\n", "###"]\nprofiles:\n  a:\n    temperature: 0.7\n  b: &b\n    seed: 7\n  c: *b\n';
/** Characters that matter to YAML, to numbers and to our keys. */
const ALPHABET = [':', ' ', '  ', '\n', '-', '[', ']', '{', '}', ',', '"', "'", '#', '&', '*', '!', '|', '>', '?', '%', '@', '`', '\t', '0', '1', '.', 'e', 'x', '.inf', '~', 'null', 'true', '\\', '\u00e9', '\ud83d\ude00', '\r'];

/** One random edit: insert a token, delete a span, duplicate or drop a line, or flip a character. */
function mutate(text: string, rnd: () => number): string {
  const at = Math.floor(rnd() * (text.length + 1));
  const lines = text.split('\n');
  const line = Math.floor(rnd() * lines.length);
  switch (Math.floor(rnd() * 5)) {
    case 0:
      return text.slice(0, at) + ALPHABET[Math.floor(rnd() * ALPHABET.length)] + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 8));
    case 2:
      return [...lines.slice(0, line + 1), lines[line], ...lines.slice(line + 1)].join('\n');
    case 3:
      return [...lines.slice(0, line), ...lines.slice(line + 1)].join('\n');
    default:
      return text.slice(0, at) + String.fromCharCode(32 + Math.floor(rnd() * 95)) + text.slice(at + 1);
  }
}

for (const [name, base] of [['shipped', SHIPPED], ['small', SMALL]] as const) {
  test(`model_config.yaml fuzz (${name}): loads, or a ConfigError at a line of the file`, () => {
    const rnd = mulberry32(name === 'shipped' ? 41 : 42);
    let loaded = 0;
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      let text = base;
      const edits = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < edits; k++) text = mutate(text, rnd);
      const nLines = text.split('\n').length;
      try {
        const file = loadModelConfig(text, 'fuzz.yaml');
        for (const p of [undefined, ...file.profiles.keys()]) resolveProfile(file, p, {});
        loaded++;
      } catch (e) {
        assert.ok(e instanceof ConfigError, `case ${i}: not a ConfigError: ${(e as Error)?.stack}\n--- text ---\n${text}`);
        const m = /^fuzz\.yaml(?::(\d+))?: \S/.exec(e.message);
        assert.ok(m, `case ${i}: the message does not name the file: ${e.message}`);
        if (m[1] !== undefined) assert.ok(+m[1] >= 1 && +m[1] <= nLines + 1, `case ${i}: line ${m[1]} outside the file's ${nLines}: ${e.message}`);
        refused++;
      }
    }
    // both outcomes occur: the mutations are neither all harmless nor all fatal
    assert.ok(loaded > 20 && refused > 20, `loaded ${loaded}, refused ${refused}`);
  });
}
