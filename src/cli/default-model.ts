import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';

/** The demo model shipped in the package (see docs/models.md), used when no model is given. */
export const DEFAULT_MODEL_URL = new URL('../../../models/stories-m-q8_0.gguf', import.meta.url);

/** The model used when none is given: the shipped demo model. */
export function defaultModelPath(): string {
  const path = fileURLToPath(DEFAULT_MODEL_URL);
  if (!existsSync(path)) {
    throw new UsageError('no model given, and the built-in demo model is missing from this installation', {
      hint: `pass a .gguf file or a checkpoint directory (mamba-ts run MODEL -i "text"), set \`model:\` in model_config.yaml, or restore ${path}`,
    });
  }
  return path;
}
