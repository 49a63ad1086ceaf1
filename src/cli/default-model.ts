import { UsageError } from '../errors.js';

/** The model used when none is given. The embedded demo model arrives with the demo-models issue. */
export function defaultModelPath(): string {
  throw new UsageError('no model given', {
    hint: 'pass a .gguf file or a checkpoint directory: mamba-ts run MODEL -i "text" (or set `model:` in model_config.yaml)',
  });
}
