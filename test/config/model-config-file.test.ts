import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadModelConfig, mapConfigPaths, resolveProfile } from '../../src/config/model-config-file.js';
import { DEFAULT_GENERATION_SETTINGS } from '../../src/config/generation-options.js';
import { ConfigError, UsageError } from '../../src/errors.js';

const CONFIG = `# a test config
default_profile: creative
defaults:
  max_tokens: 100
  top_k: 20
  seed: 7
profiles:
  precise:
    temperature: 0
  creative:
    temperature: 1.2
    top_k: 0
    stop: "END"
  batch:
    batch_size: 4
    stop: ["\\n\\n", "###"]
`;

test('the selected profile applies over `defaults`, which apply over the built-in defaults', () => {
  const file = loadModelConfig(CONFIG, 'c.yaml');
  const s = resolveProfile(file, 'precise', {});
  assert.equal(s.temperature, 0); // profile
  assert.equal(s.maxTokens, 100); // defaults section
  assert.equal(s.topK, 20); // defaults section
  assert.equal(s.topP, DEFAULT_GENERATION_SETTINGS.topP); // built in
  assert.equal(s.batchSize, 1);
  assert.deepEqual(s.stop, []);
  const b = resolveProfile(file, 'batch', {});
  assert.equal(b.batchSize, 4);
  assert.deepEqual(b.stop, ['\n\n', '###']);
});

test('a profile overrides `defaults` keys it sets; default_profile applies when no profile is named', () => {
  const s = resolveProfile(loadModelConfig(CONFIG, 'c.yaml'), undefined, {});
  assert.equal(s.temperature, 1.2);
  assert.equal(s.topK, 0); // profile beats defaults (20)
  assert.equal(s.seed, 7);
  assert.deepEqual(s.stop, ['END']); // one string → a list
});

test('command-line flags override the profile; undefined overrides are ignored', () => {
  const file = loadModelConfig(CONFIG, 'c.yaml');
  const s = resolveProfile(file, 'creative', { temperature: 0.3, maxTokens: 5, topK: undefined });
  assert.equal(s.temperature, 0.3);
  assert.equal(s.maxTokens, 5);
  assert.equal(s.topK, 0);
  assert.throws(() => resolveProfile(file, 'creative', { topP: 2 }), (e: unknown) => e instanceof UsageError && /^--top-p must be a number from 0 to 1, got 2/.test(e.message));
});

test('profile selection: --profile > default_profile > a profile named `default` > none', () => {
  const withDefault = loadModelConfig('profiles:\n  default: { temperature: 0.1 }\n  other: { temperature: 0.2 }\n', 'd.yaml');
  assert.equal(resolveProfile(withDefault, undefined, {}).temperature, 0.1);
  assert.equal(resolveProfile(withDefault, 'other', {}).temperature, 0.2);
  const noDefault = loadModelConfig('defaults: { temperature: 0.4 }\nprofiles:\n  other: { temperature: 0.2 }\n', 'n.yaml');
  assert.equal(resolveProfile(noDefault, undefined, {}).temperature, 0.4);
  assert.deepEqual(resolveProfile(undefined, undefined, {}), DEFAULT_GENERATION_SETTINGS);
  assert.equal(resolveProfile(undefined, undefined, { seed: 3 }).seed, 3);
});

test('empty and comment-only files, empty sections and null profiles are fine', () => {
  for (const text of ['', '# nothing\n', 'profiles:\n', 'defaults:\nprofiles:\n  a:\n  b: {}\n']) {
    const file = loadModelConfig(text, 'e.yaml');
    assert.deepEqual(resolveProfile(file, undefined, {}), DEFAULT_GENERATION_SETTINGS, JSON.stringify(text));
  }
});

test('YAML anchors and aliases resolve; hex integers and upper-case quant types are accepted', () => {
  const file = loadModelConfig('defaults: &base\n  top_k: 5\n  quant_type: Q8_0\n  seed: 0xFFFFFFFF\nprofiles:\n  same: *base\n', 'a.yaml');
  const s = resolveProfile(file, 'same', {});
  assert.equal(s.topK, 5);
  assert.equal(s.quantType, 'q8_0');
  assert.equal(s.seed, 4294967295);
});

test('an unknown profile lists the available ones and points at `profiles:`', () => {
  const file = loadModelConfig('# x\nprofiles:\n  precise: {}\n  creative: {}\n', 'p.yaml');
  assert.throws(
    () => resolveProfile(file, 'creativ', {}),
    (e: unknown) => e instanceof ConfigError && /^p\.yaml:2: profile `creativ` is not defined under `profiles`; did you mean `creative`\?/.test(e.message) && e.hint === 'available profiles: precise, creative',
  );
  assert.throws(() => resolveProfile(undefined, 'fast', {}), UsageError);
});

interface BadCase {
  name: string;
  text: string;
  line: number;
  message: RegExp;
  hint?: RegExp;
}

const BAD: BadCase[] = [
  { name: 'unknown key, other spelling', text: 'profiles:\n  a:\n    top-p: 0.5\n', line: 3, message: /unknown key `top-p` in profile `a`; did you mean `top_p`\?/, hint: /known keys: temperature, top_k/ },
  { name: 'unknown key, typo', text: 'defaults:\n  temprature: 1\n', line: 2, message: /unknown key `temprature` in `defaults`; did you mean `temperature`\?/ },
  { name: 'unknown key, the flag name', text: 'defaults:\n  temp: 1\n', line: 2, message: /did you mean `temperature`\?/ },
  { name: 'unknown key, nothing close', text: 'defaults:\n  colour: blue\n', line: 2, message: /unknown key `colour` in `defaults`$/ },
  { name: 'top-level key indented', text: 'profiles:\n  a:\n    defaults: {}\n', line: 3, message: /`defaults` belongs at the top level/ },
  { name: 'wrong type', text: 'defaults:\n  top_k: many\n', line: 2, message: /`top_k` in `defaults` must be an integer >= 0, got "many"$/ },
  { name: 'quoted number', text: 'defaults:\n  temperature: "0.5"\n', line: 2, message: /`temperature` .* got the string "0.5"/, hint: /remove the quotes/ },
  { name: 'boolean for a number', text: 'profiles:\n  a:\n    seed: yes\n', line: 3, message: /`seed` in profile `a` must be an integer from 0 to 4294967295, got "yes"/ },
  { name: 'out of range', text: 'profiles:\n  x:\n    top_p: 1.5\n', line: 3, message: /`top_p` in profile `x` must be a number from 0 to 1, got 1\.5/, hint: /1 turns it off/ },
  { name: 'not an integer', text: 'defaults:\n  max_tokens: 10.5\n', line: 2, message: /`max_tokens` .* must be an integer >= 1, got 10\.5/ },
  { name: 'zero repeat penalty', text: 'defaults:\n  repeat_penalty: 0\n', line: 2, message: /`repeat_penalty` .* must be a number > 0, got 0/ },
  { name: 'batch size too large', text: 'defaults:\n  batch_size: 100000\n', line: 2, message: /`batch_size` .* from 1 to 4096/ },
  { name: 'infinite temperature', text: 'defaults:\n  temperature: .inf\n', line: 2, message: /`temperature` .* got Infinity/ },
  { name: 'no value', text: 'defaults:\n  seed:\n', line: 2, message: /`seed` in `defaults` has no value/ },
  { name: 'line numbers count comments and blank lines', text: '# c\n\ndefaults:\n  # c\n\n  top_k: -1\n', line: 6, message: /`top_k`/ },
  { name: 'stop entry not a string', text: 'defaults:\n  stop:\n    - ok\n    - 42\n', line: 4, message: /`stop` in `defaults` entries must be strings, got 42/, hint: /quote it/ },
  { name: 'empty stop string', text: 'defaults:\n  stop: ""\n', line: 2, message: /`stop` .* must not contain an empty string/ },
  { name: 'stop as a map', text: 'defaults:\n  stop: {a: 1}\n', line: 2, message: /`stop` .* must be a string or a list of strings, got a map/ },
  { name: 'unknown quant type', text: 'defaults:\n  quant_type: q5_k\n', line: 2, message: /`quant_type` .* must be one of f32, f16, q8_0, q4_0, q4_k, q4_k_m, q6_k, tq1_0, tq2_0, got "q5_k"/ },
  { name: 'empty model path', text: 'defaults:\n  model: ""\n', line: 2, message: /`model` .* must be a file path/ },
  { name: 'duplicate setting', text: 'defaults:\n  top_k: 1\n  top_k: 2\n', line: 3, message: /duplicate key `top_k` in `defaults` \(first at line 2\)/ },
  { name: 'duplicate profile', text: 'profiles:\n  a: {}\n  b: {}\n  a: {}\n', line: 4, message: /duplicate key `a` in `profiles` \(first at line 2\)/ },
  { name: 'duplicate top-level key', text: 'defaults: {}\nprofiles: {}\ndefaults: {}\n', line: 3, message: /duplicate key `defaults` at the top level/ },
  { name: 'YAML syntax: unclosed flow list', text: 'defaults:\n  top_k: 1\n  stop: [a, b\nprofiles: {}\n', line: 4, message: /YAML syntax error at column \d+: /, hint: /indentation/ },
  { name: 'YAML syntax: unclosed quote', text: 'defaults:\n  stop: "abc\n', line: 3, message: /YAML syntax error.*quote/ },
  { name: 'YAML syntax: tab indentation', text: 'defaults:\n\ttop_k: 1\n', line: 2, message: /YAML syntax error/ },
  { name: 'YAML syntax: bad indentation', text: 'profiles:\n  a:\n    top_k: 1\n   top_p: 2\n', line: 4, message: /YAML syntax error/ },
  { name: 'unknown top-level key', text: 'profile:\n  a: {}\n', line: 1, message: /unknown top-level key `profile`; did you mean `profiles`\?/, hint: /default_profile, defaults, profiles/ },
  { name: 'setting at the top level', text: '# c\ntemperature: 0.5\n', line: 2, message: /`temperature` must be inside `defaults:` or a profile under `profiles:`/ },
  { name: 'default_profile not defined', text: 'default_profile: fast\nprofiles:\n  slow: {}\n', line: 1, message: /`default_profile` names `fast`, which is not defined under `profiles`/, hint: /available profiles: slow/ },
  { name: 'default_profile not a name', text: 'default_profile: 3\n', line: 1, message: /`default_profile` must be a profile name, got 3/ },
  { name: 'profile not a map', text: 'profiles:\n  a: 5\n', line: 2, message: /profile `a` must be a map of settings/ },
  { name: 'profiles not a map', text: 'profiles: [a, b]\n', line: 1, message: /`profiles` must map profile names to settings, got a list/ },
  { name: 'file not a map', text: '- a\n- b\n', line: 1, message: /the file must be a map with `profiles:`/ },
];

for (const c of BAD) {
  test(`bad config: ${c.name} → ConfigError at line ${c.line}`, () => {
    assert.throws(
      () => loadModelConfig(c.text, 'bad.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, `not a ConfigError: ${String(e)}`);
        assert.ok(e.message.startsWith(`bad.yaml:${c.line}: `), e.message);
        assert.match(e.message, c.message);
        if (c.hint) assert.match(e.hint ?? '', c.hint);
        return true;
      },
    );
  });
}

test('mapConfigPaths maps model and draft_model, nothing else', () => {
  const file = loadModelConfig('defaults:\n  model: m.gguf\n  stop: x\nprofiles:\n  a:\n    draft_model: d.gguf\n', 'm.yaml');
  const mapped = mapConfigPaths(file, (p) => `/base/${p}`);
  const s = resolveProfile(mapped, 'a', {});
  assert.equal(s.model, '/base/m.gguf');
  assert.equal(s.draftModel, '/base/d.gguf');
  assert.deepEqual(s.stop, ['x']);
  assert.equal(resolveProfile(file, 'a', {}).model, 'm.gguf', 'the original is unchanged');
});

test('each section records the line of each setting', () => {
  const file = loadModelConfig(CONFIG, 'c.yaml');
  assert.equal(file.profiles.get('creative')?.line, 10);
  assert.deepEqual(file.profiles.get('creative')?.lines, { temperature: 11, topK: 12, stop: 13 });
  assert.equal(file.defaults?.lines.seed, 6);
  assert.deepEqual(file.defaultProfile, { name: 'creative', line: 2 });
});
