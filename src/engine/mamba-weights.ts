/**
 * Weights of a Mamba-1 model as F32 arrays, for the scalar reference forward pass. Shapes outer-first,
 * row-major (a matrix (out, in) is `out` rows of `in` floats), names as in GGUF.
 */
import { dequantize } from '../ggml/dequantize.js';
import type { MambaConfig } from '../model/mamba-config.js';
import type { ModelFile } from '../model/model-file.js';
import { numElements } from '../model/tensor-entry.js';

export interface MambaLayerWeights {
  attnNorm: Float32Array; // (dModel)                      backbone.layers.N.norm.weight
  ssmIn: Float32Array; //    (2·dInner, dModel)            mixer.in_proj.weight
  ssmInBias?: Float32Array; // (2·dInner)
  conv1d: Float32Array; //   (dInner, dConv)               mixer.conv1d.weight squeezed
  conv1dBias?: Float32Array; // (dInner)
  ssmX: Float32Array; //     (dtRank + 2·dState, dInner)   mixer.x_proj.weight
  ssmDt: Float32Array; //    (dInner, dtRank)              mixer.dt_proj.weight
  ssmDtBias: Float32Array; // (dInner)                     mixer.dt_proj.bias
  ssmA: Float32Array; //     (dInner, dState)              A = −exp(A_log)
  ssmD: Float32Array; //     (dInner)                      mixer.D
  ssmOut: Float32Array; //   (dModel, dInner)              mixer.out_proj.weight
  ssmOutBias?: Float32Array; // (dModel)
}

export interface MambaWeights {
  tokenEmbd: Float32Array; // (nVocab, dModel)
  outputNorm: Float32Array; // (dModel)
  /** lm_head (nVocab, dModel): the embedding itself when tied. */
  output: Float32Array;
  layers: MambaLayerWeights[];
}

/** Reads every tensor and decodes it to F32 (the reference backend computes in F32 for every weight type). */
export async function loadWeightsF32(model: ModelFile, onTensor?: (name: string) => void): Promise<MambaWeights> {
  const c: MambaConfig = model.config;
  const get = async (name: string): Promise<Float32Array> => {
    const t = model.tensor(name)!;
    const f = dequantize(await t.read(), t.type, numElements(t.shape));
    onTensor?.(name);
    return f;
  };
  const opt = async (name: string) => (model.tensor(name) ? get(name) : undefined);
  const tokenEmbd = await get('token_embd.weight');
  const outputNorm = await get('output_norm.weight');
  const output = c.tieEmbeddings ? tokenEmbd : await get('output.weight');
  const layers: MambaLayerWeights[] = [];
  for (let i = 0; i < c.nLayer; i++) {
    const p = `blk.${i}.`;
    layers.push({
      attnNorm: await get(p + 'attn_norm.weight'),
      ssmIn: await get(p + 'ssm_in.weight'),
      ssmInBias: await opt(p + 'ssm_in.bias'),
      conv1d: await get(p + 'ssm_conv1d.weight'),
      conv1dBias: await opt(p + 'ssm_conv1d.bias'),
      ssmX: await get(p + 'ssm_x.weight'),
      ssmDt: await get(p + 'ssm_dt.weight'),
      ssmDtBias: await get(p + 'ssm_dt.bias'),
      ssmA: await get(p + 'ssm_a'),
      ssmD: await get(p + 'ssm_d'),
      ssmOut: await get(p + 'ssm_out.weight'),
      ssmOutBias: await opt(p + 'ssm_out.bias'),
    });
  }
  return { tokenEmbd, outputNorm, output, layers };
}
