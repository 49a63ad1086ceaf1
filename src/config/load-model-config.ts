/**
 * Node-side model_config.yaml loading: `--config FILE` if given (it must exist), else `model_config.yaml`
 * in the working directory if present, else nothing (built-in defaults). Relative `model` / `draft_model`
 * paths in the file are resolved against the file's directory; on the command line, against the cwd.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FileAccessError, UsageError } from '../errors.js';
import { GENERATION_OPTION_ROWS, type GenerationSettings } from './generation-options.js';
import { loadModelConfig, mapConfigPaths, resolveProfile, selectedProfileName, type ModelConfigFile } from './model-config-file.js';

export const MODEL_CONFIG_FILE_NAME = 'model_config.yaml';

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileAccessError(`${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads and validates the config file; undefined when no `--config` was given and the cwd has none. */
export async function loadModelConfigFile(configPath: string | undefined, cwd: string): Promise<ModelConfigFile | undefined> {
  const displayName = configPath ?? MODEL_CONFIG_FILE_NAME;
  const fullPath = resolve(cwd, displayName);
  const text = await readText(fullPath);
  if (text === undefined) {
    if (configPath === undefined) return undefined;
    throw new UsageError(`--config ${configPath}: no such file`, { hint: `see ${MODEL_CONFIG_FILE_NAME} in the mamba.ts package for an example` });
  }
  const dir = dirname(fullPath);
  return mapConfigPaths(loadModelConfig(text, displayName), (p) => resolve(dir, p));
}

export interface LoadedGenerationSettings {
  readonly settings: GenerationSettings;
  /** The config file used, if any. */
  readonly file: ModelConfigFile | undefined;
  /** The profile applied, if any. */
  readonly profile: string | undefined;
}

/** Config file + profile + command-line overrides → settings (see `resolveProfile` for the precedence). */
export async function loadGenerationSettings(options: {
  configPath?: string;
  profile?: string;
  overrides?: Partial<GenerationSettings>;
  cwd: string;
}): Promise<LoadedGenerationSettings> {
  const file = await loadModelConfigFile(options.configPath, options.cwd);
  const overrides: Record<string, unknown> = { ...options.overrides };
  for (const row of GENERATION_OPTION_ROWS) {
    if (row.kind === 'path' && typeof overrides[row.field] === 'string') overrides[row.field] = resolve(options.cwd, overrides[row.field] as string);
  }
  const settings = resolveProfile(file, options.profile, overrides as Partial<GenerationSettings>);
  return { settings, file, profile: selectedProfileName(file, options.profile) };
}
