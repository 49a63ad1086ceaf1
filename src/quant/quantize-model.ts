/**
 * `mamba-ts quantize`: rewrites a GGUF model with quantized weights, as llama.cpp's llama-quantize does: every
 * metadata key is copied, general.file_type and general.quantization_version are set, the tensors follow the
 * policy of tensor-plan.ts. Streams one tensor at a time. Already-quantized tensors are dequantized to F32
 * and requantized (unless they already have the planned type: then their bytes are copied).
 */
import { GGUFMetadata } from '../gguf/gguf-metadata.js';
import { writeGGUF } from '../gguf/gguf-writer.js';
import type { ByteSink } from '../io/byte-source.js';
import type { ModelFile } from '../model/model-file.js';
import { QuantizeError } from './quantize-error.js';
import { hasQuantizedTensors, planTensors, tensorsToWrite, type TensorPlan, type TensorPlanOptions } from './tensor-plan.js';
import { GGML_QNT_VERSION, WEIGHT_TYPES } from './weight-types.js';

export interface QuantizeModelOptions extends TensorPlanOptions {
  /** Called after each tensor is written. */
  onTensor?: (index: number, count: number, name: string, nBytes: number) => void;
}

/** The source's metadata with the file type of the new weights. */
export function quantizedMetadata(model: ModelFile, plans: readonly TensorPlan[], opts: TensorPlanOptions): GGUFMetadata {
  const meta = new GGUFMetadata(model.metadata.sourceName);
  for (const [key, v] of model.metadata.entries()) meta.set(key, v.type, v.value);
  meta.setU32('general.file_type', WEIGHT_TYPES[opts.type].fileType);
  if (hasQuantizedTensors(plans)) meta.setU32('general.quantization_version', GGML_QNT_VERSION);
  else meta.delete('general.quantization_version');
  return meta;
}

/** Writes `model` (a GGUF file) quantized to `sink`; resolves to the plan (types and fallbacks) it followed. */
export async function quantizeModel(model: ModelFile, sink: ByteSink, opts: QuantizeModelOptions): Promise<TensorPlan[]> {
  if (model.format !== 'gguf') {
    throw new QuantizeError(`${model.path} is a ${model.format} checkpoint, not a GGUF file`, {
      hint: `use \`mamba-ts convert SRC OUT.gguf --type ${opts.type}\` for checkpoint directories`,
    });
  }
  const plans = planTensors(model, opts);
  const tensors = tensorsToWrite(plans, opts);
  await writeGGUF(sink, quantizedMetadata(model, plans, opts), tensors, {
    onTensor: (i, t, n) => opts.onTensor?.(i, tensors.length, t.name, n),
  });
  return plans;
}
