/**
 * ggml tensor types: one row per type, as ggml's `type_traits`. Ids, block sizes and bytes per block
 * are ggml's (ggml.h / ggml.c); adding a type = one row here (+ its codec and kernels elsewhere).
 */

export type GGMLTypeName =
  | 'F32' | 'F16' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q8_0' | 'Q8_1'
  | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K' | 'Q8_K'
  | 'IQ2_XXS' | 'IQ2_XS' | 'IQ3_XXS' | 'IQ1_S' | 'IQ4_NL' | 'IQ3_S' | 'IQ2_S' | 'IQ4_XS'
  | 'I8' | 'I16' | 'I32' | 'I64' | 'F64' | 'IQ1_M' | 'BF16' | 'TQ1_0' | 'TQ2_0' | 'MXFP4';

export interface GGMLTypeTraits {
  readonly name: GGMLTypeName;
  /** The numeric id stored in GGUF tensor infos. */
  readonly id: number;
  /** Elements per block (1 for plain types). */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** Whether mamba.ts can load tensors of this type. */
  readonly supported: boolean;
}

function t(name: GGMLTypeName, id: number, blockSize: number, typeSize: number, supported = false): GGMLTypeTraits {
  return Object.freeze({ name, id, blockSize, typeSize, supported });
}

/** Every type ggml defines (ids 4, 5, 31-33, 36-38 were removed from ggml and are not valid). */
export const GGML_TYPES: readonly GGMLTypeTraits[] = Object.freeze([
  t('F32', 0, 1, 4, true),
  t('F16', 1, 1, 2, true),
  t('Q4_0', 2, 32, 18, true),
  t('Q4_1', 3, 32, 20),
  t('Q5_0', 6, 32, 22),
  t('Q5_1', 7, 32, 24),
  t('Q8_0', 8, 32, 34, true),
  t('Q8_1', 9, 32, 36),
  t('Q2_K', 10, 256, 84),
  t('Q3_K', 11, 256, 110),
  t('Q4_K', 12, 256, 144, true),
  t('Q5_K', 13, 256, 176),
  t('Q6_K', 14, 256, 210, true),
  t('Q8_K', 15, 256, 292),
  t('IQ2_XXS', 16, 256, 66),
  t('IQ2_XS', 17, 256, 74),
  t('IQ3_XXS', 18, 256, 98),
  t('IQ1_S', 19, 256, 50),
  t('IQ4_NL', 20, 32, 18),
  t('IQ3_S', 21, 256, 110),
  t('IQ2_S', 22, 256, 82),
  t('IQ4_XS', 23, 256, 136),
  t('I8', 24, 1, 1),
  t('I16', 25, 1, 2),
  t('I32', 26, 1, 4),
  t('I64', 27, 1, 8),
  t('F64', 28, 1, 8),
  t('IQ1_M', 29, 256, 56),
  t('BF16', 30, 1, 2, true),
  t('TQ1_0', 34, 256, 54, true),
  t('TQ2_0', 35, 256, 66, true),
  t('MXFP4', 39, 32, 17),
]);

const BY_ID = new Map(GGML_TYPES.map((x) => [x.id, x]));
const BY_NAME = new Map(GGML_TYPES.map((x) => [x.name, x]));

export function ggmlTypeById(id: number): GGMLTypeTraits | undefined {
  return BY_ID.get(id);
}

export function ggmlType(name: GGMLTypeName): GGMLTypeTraits {
  const tr = BY_NAME.get(name);
  if (!tr) throw new Error(`unknown ggml type ${name}`);
  return tr;
}

export function ggmlTypeByName(name: string): GGMLTypeTraits | undefined {
  return BY_NAME.get(name.toUpperCase() as GGMLTypeName);
}

/** Names of the types mamba.ts loads, for error messages: "F32, F16, Q4_0, Q8_0, Q4_K, Q6_K, BF16, TQ1_0, TQ2_0". */
export function supportedTypeNames(): string {
  return GGML_TYPES.filter((x) => x.supported).map((x) => x.name).join(', ');
}

/**
 * Bytes of a tensor with `nElements` elements whose innermost dimension is `rowLength`.
 * Returns undefined when the row length is not a multiple of the block size (invalid for that type).
 */
export function tensorBytes(type: GGMLTypeTraits, shape: readonly number[]): number | undefined {
  const row = shape.length === 0 ? 1 : shape[shape.length - 1];
  if (row % type.blockSize !== 0) return undefined;
  let n = 1;
  for (const d of shape) n *= d;
  return (n / type.blockSize) * type.typeSize;
}

/**
 * GGUF `general.file_type` (llama.cpp's `llama_ftype`): the predominant weight type of the file.
 */
export const LLAMA_FTYPE = Object.freeze({
  ALL_F32: 0,
  MOSTLY_F16: 1,
  MOSTLY_Q4_0: 2,
  MOSTLY_Q4_1: 3,
  MOSTLY_Q8_0: 7,
  MOSTLY_Q5_0: 8,
  MOSTLY_Q5_1: 9,
  MOSTLY_Q2_K: 10,
  MOSTLY_Q3_K_S: 11,
  MOSTLY_Q3_K_M: 12,
  MOSTLY_Q3_K_L: 13,
  MOSTLY_Q4_K_S: 14,
  MOSTLY_Q4_K_M: 15,
  MOSTLY_Q5_K_S: 16,
  MOSTLY_Q5_K_M: 17,
  MOSTLY_Q6_K: 18,
  MOSTLY_BF16: 32,
  MOSTLY_TQ1_0: 36,
  MOSTLY_TQ2_0: 37,
} as const);
