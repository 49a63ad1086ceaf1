/** Opens a model by path: a .gguf file, or a Hugging Face / state-spaces checkpoint directory. */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { FileAccessError } from '../errors.js';
import { openCheckpointDirectory, openGGUFModel, type ModelFile, type OpenModelOptions } from '../model/model-file.js';
import { FileSource } from './file-source.js';
import { NodeModelDirectory } from './node-model-directory.js';

/** Files a user may point at instead of their directory. */
const CHECKPOINT_FILES = new Set(['config.json', 'model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin']);

export async function openModel(path: string, opts: OpenModelOptions = {}): Promise<ModelFile> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileAccessError(`cannot open model ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`, {
      hint: 'pass a .gguf file or a directory with config.json and model.safetensors / pytorch_model.bin',
    });
  }
  if (isDir) return openCheckpointDirectory(new NodeModelDirectory(path), opts);
  if (CHECKPOINT_FILES.has(basename(path))) return openCheckpointDirectory(new NodeModelDirectory(dirname(path)), opts);
  return openGGUFModel(await FileSource.open(path), opts);
}
