/**
 * The weight types `convert --type` and `quantize --type` write, with llama.cpp's `general.file_type`
 * (`llama_ftype`). One row per type; which tensors get it is tensor-plan.ts.
 */
import { LLAMA_FTYPE, ggmlType, type GGMLTypeTraits } from '../ggml/ggml-type.js';

export interface WeightTypeRow {
  readonly type: GGMLTypeTraits;
  /** GGUF general.file_type. */
  readonly fileType: number;
  /** A mixed recipe: the type of the embedding / lm_head, when it differs from `type` (and no --keep-output). */
  readonly outputType?: GGMLTypeTraits;
}

export const WEIGHT_TYPES = {
  f32: { type: ggmlType('F32'), fileType: LLAMA_FTYPE.ALL_F32 },
  f16: { type: ggmlType('F16'), fileType: LLAMA_FTYPE.MOSTLY_F16 },
  q8_0: { type: ggmlType('Q8_0'), fileType: LLAMA_FTYPE.MOSTLY_Q8_0 },
  q4_0: { type: ggmlType('Q4_0'), fileType: LLAMA_FTYPE.MOSTLY_Q4_0 },
  // llama.cpp has no file type for "all Q4_K": Q4_K_S is its mostly-Q4_K one (`llama-quantize --pure Q4_K_S`)
  q4_k: { type: ggmlType('Q4_K'), fileType: LLAMA_FTYPE.MOSTLY_Q4_K_S },
  // llama.cpp's Q4_K_M for Mamba: Q4_K, and Q6_K for the lm_head (the embedding when tied) — its ffn_down /
  // attn_v rules have no Mamba tensors to apply to (llama_tensor_get_type)
  q4_k_m: { type: ggmlType('Q4_K'), fileType: LLAMA_FTYPE.MOSTLY_Q4_K_M, outputType: ggmlType('Q6_K') },
  q6_k: { type: ggmlType('Q6_K'), fileType: LLAMA_FTYPE.MOSTLY_Q6_K },
  tq1_0: { type: ggmlType('TQ1_0'), fileType: LLAMA_FTYPE.MOSTLY_TQ1_0 },
  tq2_0: { type: ggmlType('TQ2_0'), fileType: LLAMA_FTYPE.MOSTLY_TQ2_0 },
} as const satisfies Record<string, WeightTypeRow>;

export type WeightTypeName = keyof typeof WEIGHT_TYPES;

/** The --type values that quantize (blocks of more than one weight). */
export const QUANTIZED_WEIGHT_TYPES = (Object.keys(WEIGHT_TYPES) as WeightTypeName[]).filter((k) => WEIGHT_TYPES[k].type.blockSize > 1);

/** --keep-output values: the type of the embedding / lm_head whatever --type says. */
export const KEEP_OUTPUT_TYPES = ['f16', 'q8_0'] as const satisfies readonly WeightTypeName[];
export type KeepOutputName = (typeof KEEP_OUTPUT_TYPES)[number];

/** GGUF general.quantization_version of files with quantized tensors (ggml's GGML_QNT_VERSION). */
export const GGML_QNT_VERSION = 2;
