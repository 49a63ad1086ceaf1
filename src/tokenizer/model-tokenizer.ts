import { TokenizerError } from '../errors.js';
import type { ModelFile } from '../model/model-file.js';
import { tokenizerFromGGUF } from './from-gguf.js';
import { tokenizerFromJson } from './from-tokenizer-json.js';
import type { Tokenizer } from './tokenizer.js';

/** The tokenizer a model carries: GGUF `tokenizer.ggml.*` metadata, or a checkpoint directory's tokenizer.json. */
export function tokenizerForModel(model: ModelFile): Tokenizer {
  if (model.metadata.has('tokenizer.ggml.model')) return tokenizerFromGGUF(model.metadata, model.path);
  if (model.tokenizerJson !== undefined) return tokenizerFromJson(model.tokenizerJson, `${model.path}/tokenizer.json`);
  throw new TokenizerError(`${model.path}: the model has no tokenizer`, {
    hint: 'state-spaces checkpoints ship none: convert with `--tokenizer gpt-neox-20b-tokenizer.json`, or put tokenizer.json in the directory',
  });
}
