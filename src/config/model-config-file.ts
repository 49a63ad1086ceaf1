/**
 * model_config.yaml: named generation profiles, selected on the command line.
 *
 *   default_profile: creative        # optional; else a profile named `default`, else none
 *   defaults:                        # optional; every profile inherits these
 *     max_tokens: 200
 *   profiles:
 *     precise: { temperature: 0 }
 *     creative: { temperature: 1.0, top_p: 0.9 }
 *
 * Precedence, lowest first: built-in defaults < `defaults` < the selected profile < command-line flags.
 * Platform-neutral: takes the file's text; `load-model-config.ts` reads it from disk. Every problem is a
 * ConfigError starting `FILE:LINE:` that names the key.
 */
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, type Document, type Node, type YAMLMap } from 'yaml';
import { ConfigError, UsageError } from '../errors.js';
import { checkOptionValue, checkStopString, describeValue } from './check-option-value.js';
import { closestMatch } from './closest-match.js';
import { DEFAULT_GENERATION_SETTINGS, GENERATION_OPTION_ROWS, optionByKey, type GenerationSettings } from './generation-options.js';

/** The settings of `defaults:` or of one profile. */
export interface ConfigSection {
  /** `defaults` or the profile name. */
  readonly name: string;
  /** 1-based line of the section's key. */
  readonly line: number;
  readonly settings: Readonly<Partial<GenerationSettings>>;
  /** Line of each setting, for later messages that point back into the file. */
  readonly lines: Readonly<Partial<Record<keyof GenerationSettings, number>>>;
}

export interface ModelConfigFile {
  /** The name used in messages. */
  readonly fileName: string;
  readonly defaultProfile: { readonly name: string; readonly line: number } | undefined;
  readonly defaults: ConfigSection | undefined;
  /** In file order. */
  readonly profiles: ReadonlyMap<string, ConfigSection>;
  /** Line of `profiles:` (1 when absent): where "no such profile" points. */
  readonly profilesLine: number;
}

export const TOP_LEVEL_KEYS = ['default_profile', 'defaults', 'profiles'] as const;

/** The profile used when none is named on the command line or by `default_profile`. */
export const IMPLICIT_PROFILE = 'default';

const KNOWN_KEYS = GENERATION_OPTION_ROWS.map((r) => r.key);
/** Command-line spellings (`temp`, `top-k`) → their keys, for "did you mean". */
const FLAG_ALIASES = new Map(GENERATION_OPTION_ROWS.map((r) => [r.flag, r.key]));

type Pair = { key: string; keyLine: number; value: Node | null };

class ConfigReader {
  constructor(
    private readonly fileName: string,
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  fail(line: number, message: string, hint?: string): never {
    throw new ConfigError(`${this.fileName}:${line}: ${message}`, { hint });
  }

  lineOf(node: Node | null | undefined, fallback: number): number {
    return node?.range ? this.lineCounter.linePos(node.range[0]).line : fallback;
  }

  /** Follows `*alias` references to the anchored node. */
  deref(node: Node | null | undefined): Node | null {
    if (node && isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return node ?? null;
  }

  /** An empty value (`key:` with nothing after it). */
  isEmpty(node: Node | null): boolean {
    return node === null || (isScalar(node) && node.value === null);
  }

  /** The pairs of a map, keys as strings, with duplicate keys rejected. */
  pairs(map: YAMLMap, where: string): Pair[] {
    const seen = new Map<string, number>();
    const out: Pair[] = [];
    for (const item of map.items) {
      const keyNode = this.deref(item.key as Node | null);
      const keyLine = this.lineOf(keyNode, this.lineOf(item.value as Node | null, 1));
      if (!keyNode || !isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        this.fail(keyLine, `keys${where} must be plain words, like \`temperature:\``);
      }
      const key = String(keyNode.value);
      const first = seen.get(key);
      if (first !== undefined) this.fail(keyLine, `duplicate key \`${key}\`${where} (first at line ${first})`, 'YAML keeps only one of them: delete the other');
      seen.set(key, keyLine);
      out.push({ key, keyLine, value: this.deref(item.value as Node | null) });
    }
    return out;
  }

  /** `defaults:` or one profile: a map of generation settings. */
  section(name: string, line: number, node: Node | null, where: string): ConfigSection {
    const settings: Record<string, unknown> = {};
    const lines: Record<string, number> = {};
    if (!this.isEmpty(node)) {
      if (!isMap(node)) this.fail(line, `${where} must be a map of settings (\`key: value\` lines indented below it), got ${describeValue(this.toJS(node))}`);
      for (const { key, keyLine, value } of this.pairs(node, ` in ${where}`)) {
        const row = optionByKey(key);
        if (!row) {
          const guess = closestMatch(key, KNOWN_KEYS, FLAG_ALIASES);
          const misplaced = (TOP_LEVEL_KEYS as readonly string[]).includes(key) ? `; \`${key}\` belongs at the top level, not indented` : '';
          this.fail(keyLine, `unknown key \`${key}\` in ${where}${guess ? `; did you mean \`${guess}\`?` : ''}${misplaced}`, `known keys: ${KNOWN_KEYS.join(', ')}`);
        }
        const valueLine = this.lineOf(value, keyLine);
        if (this.isEmpty(value)) this.fail(keyLine, `\`${key}\` in ${where} has no value`, 'give it a value or delete the line');
        if (row.kind === 'string-list' && value && isSeq(value)) {
          for (const item of value.items) {
            const itemNode = this.deref(item as Node | null);
            const r = checkStopString(this.toJS(itemNode));
            if (!r.ok) this.fail(this.lineOf(itemNode, valueLine), `\`${key}\` in ${where} ${r.problem}`, r.hint);
          }
        }
        const r = checkOptionValue(row, this.toJS(value));
        if (!r.ok) this.fail(valueLine, `\`${key}\` in ${where} ${r.problem}`, r.hint);
        settings[row.field] = r.value;
        lines[row.field] = keyLine;
      }
    }
    return Object.freeze({ name, line, settings: Object.freeze(settings), lines: Object.freeze(lines) });
  }

  toJS(node: Node | null): unknown {
    return node === null ? null : node.toJS(this.doc);
  }
}

/** Parses and validates model_config.yaml text. `fileName` is used in messages. */
export function loadModelConfig(text: string, fileName: string): ModelConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    const what =
      e.code === 'MULTIPLE_DOCS'
        ? 'the file holds more than one YAML document (a `---` line); put all profiles in one'
        : e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError(`${fileName}:${pos?.line ?? 1}: YAML syntax error${pos ? ` at column ${pos.col}` : ''}: ${what}`, {
      hint: 'check the indentation (spaces, not tabs) and the quotes around that line',
    });
  }
  const r: ConfigReader = new ConfigReader(fileName, doc, lineCounter);
  const root = r.deref(doc.contents as Node | null);
  let defaultProfile: ModelConfigFile['defaultProfile'];
  let defaults: ConfigSection | undefined;
  const profiles = new Map<string, ConfigSection>();
  let profilesLine = 1;
  if (!r.isEmpty(root)) {
    if (!isMap(root)) r.fail(r.lineOf(root, 1), `the file must be a map with \`profiles:\` (and optionally \`defaults:\`, \`default_profile:\`), got ${describeValue(r.toJS(root))}`);
    for (const { key, keyLine, value } of r.pairs(root, ' at the top level')) {
      switch (key) {
        case 'default_profile': {
          const name = r.toJS(value);
          if (typeof name !== 'string' || name === '') r.fail(keyLine, `\`default_profile\` must be a profile name, got ${describeValue(name)}`);
          defaultProfile = { name, line: keyLine };
          break;
        }
        case 'defaults':
          defaults = r.section('defaults', keyLine, value, '`defaults`');
          break;
        case 'profiles': {
          profilesLine = keyLine;
          if (r.isEmpty(value)) break;
          if (!isMap(value)) r.fail(keyLine, `\`profiles\` must map profile names to settings, got ${describeValue(r.toJS(value))}`, 'indent each profile below `profiles:`');
          for (const p of r.pairs(value, ' in `profiles`')) profiles.set(p.key, r.section(p.key, p.keyLine, p.value, `profile \`${p.key}\``));
          break;
        }
        default: {
          if (optionByKey(key)) {
            r.fail(keyLine, `\`${key}\` must be inside \`defaults:\` or a profile under \`profiles:\`, not at the top level`, `indent it under \`defaults:\` to apply it to every profile`);
          }
          const guess = closestMatch(key, TOP_LEVEL_KEYS);
          r.fail(keyLine, `unknown top-level key \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ''}`, `top-level keys: ${TOP_LEVEL_KEYS.join(', ')}`);
        }
      }
    }
  }
  if (defaultProfile && !profiles.has(defaultProfile.name)) {
    r.fail(defaultProfile.line, `\`default_profile\` names \`${defaultProfile.name}\`, which is not defined under \`profiles\``, availableHint(profiles));
  }
  return Object.freeze({ fileName, defaultProfile, defaults, profiles, profilesLine });
}

function availableHint(profiles: ReadonlyMap<string, ConfigSection>): string {
  return profiles.size === 0 ? 'the file defines no profiles' : `available profiles: ${[...profiles.keys()].join(', ')}`;
}

/** The profile that applies: the command line's, else `default_profile`, else one named `default` if any. */
export function selectedProfileName(file: ModelConfigFile | undefined, profileName: string | undefined): string | undefined {
  if (profileName !== undefined) return profileName;
  if (file?.defaultProfile) return file.defaultProfile.name;
  return file?.profiles.has(IMPLICIT_PROFILE) ? IMPLICIT_PROFILE : undefined;
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  if (!o) return {};
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The settings to generate with. Precedence, lowest first: built-in defaults < the file's `defaults` <
 * the selected profile (`profileName`, else `default_profile`, else `default` if defined) < `cliOverrides`.
 * `cliOverrides` are checked again here (UsageError naming the flag).
 */
export function resolveProfile(
  file: ModelConfigFile | undefined,
  profileName: string | undefined,
  cliOverrides: Partial<GenerationSettings>,
): GenerationSettings {
  const name = selectedProfileName(file, profileName);
  let profile: ConfigSection | undefined;
  if (name !== undefined) {
    if (!file) {
      throw new UsageError(`--profile ${name}: there is no model_config.yaml to take it from`, {
        hint: 'create model_config.yaml in the current directory or pass --config FILE',
      });
    }
    profile = file.profiles.get(name);
    if (!profile) {
      const guess = closestMatch(name, [...file.profiles.keys()]);
      throw new ConfigError(`${file.fileName}:${file.profilesLine}: profile \`${name}\` is not defined under \`profiles\`${guess ? `; did you mean \`${guess}\`?` : ''}`, {
        hint: availableHint(file.profiles),
      });
    }
  }
  const overrides = definedOnly(cliOverrides);
  for (const field of Object.keys(overrides) as (keyof GenerationSettings)[]) {
    const row = GENERATION_OPTION_ROWS.find((r) => r.field === field);
    if (!row) throw new UsageError(`unknown generation setting \`${String(field)}\``);
    const r = checkOptionValue(row, overrides[field]);
    if (!r.ok) throw new UsageError(`--${row.flag} ${r.problem}`, { hint: r.hint });
    (overrides as Record<string, unknown>)[field] = r.value;
  }
  return {
    ...DEFAULT_GENERATION_SETTINGS,
    ...definedOnly(file?.defaults?.settings),
    ...definedOnly(profile?.settings),
    ...overrides,
  };
}

/** A copy with every path-valued setting mapped by `fn` (the Node loader resolves them against the file's directory). */
export function mapConfigPaths(file: ModelConfigFile, fn: (path: string) => string): ModelConfigFile {
  const pathFields = GENERATION_OPTION_ROWS.filter((r) => r.kind === 'path').map((r) => r.field);
  const mapSection = (s: ConfigSection): ConfigSection => {
    const settings: Record<string, unknown> = { ...s.settings };
    for (const f of pathFields) if (typeof settings[f] === 'string') settings[f] = fn(settings[f] as string);
    return Object.freeze({ ...s, settings: Object.freeze(settings) });
  };
  return Object.freeze({
    ...file,
    defaults: file.defaults && mapSection(file.defaults),
    profiles: new Map([...file.profiles].map(([k, s]) => [k, mapSection(s)])),
  });
}
