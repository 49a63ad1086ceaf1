/**
 * Weight types the WASM backend keeps as they are in the file, one row per type (as ggml's type_traits):
 * which kernels compute with it and what the activations are converted to. A matrix of any other type is
 * decoded to F32 at load. Adding a type = one row here + its kernel files in assembly/.
 */
import { PLANES_BYTES, PLANES_Q8_0_BYTES, type DtProjKernel, type GemmKernel, type GetRowsKernel, type MambaKernels, type Matvec2Kernel, type MatvecKernel, type PlanesPrepareKernel, type PrepareKernel } from './kernel-module.js';

/**
 * The ggml types kept as they are in the file, and the backend's load-time forms of three of them, never a
 * file's type: F16R (an F16 matrix re-encoded, f16r.ts), Q4_0X2 and Q8_0X4 (Q4_0 / Q8_0 rows interleaved in
 * pairs / quads, interleave-rows.ts).
 */
export type WasmWeightType = FileWeightType | 'F16R' | 'Q4_0X2' | 'Q8_0X4';
/** The types a file's matrices are kept in as they are. */
export type FileWeightType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q6_K' | 'TQ1_0' | 'TQ2_0';

/** What a matvec's input is: F32 as it is, or quantized first (quantize_row_q8_0 / quantize_row_q8_k). */
export type ActivationType = 'F32' | 'Q8_0' | 'Q8_K';

/**
 * Names of the kernels starting with `P` whose signature is exactly T (signatures alone can coincide:
 * `get_rows_*` and `ssm_dt_softplus_f32` both take four numbers).
 */
type KernelsOf<T, P extends string> = {
  [K in keyof MambaKernels]: K extends `${P}${string}` ? (MambaKernels[K] extends T ? (T extends MambaKernels[K] ? K : never) : never) : never;
}[keyof MambaKernels];

export interface WeightKernelRow {
  /** Activations fed to the matvec: F32 as they are, or quantized to Q8_0 / Q8_K blocks first. */
  readonly activation: ActivationType;
  readonly matvec: KernelsOf<MatvecKernel, 'matvec_'>;
  /** The same product for a chunk of tokens (prompt processing), bit-equal to `matvec` per token. */
  readonly gemm: KernelsOf<GemmKernel, 'gemm_'>;
  /**
   * dt_proj fused with softplus. Absent for the 256-blocks: dt_proj rows are dtRank long (16, 48…), never a
   * multiple of 256, so no file stores dt_proj that way; the planner decodes such a matrix to F32.
   */
  readonly dtProj?: KernelsOf<DtProjKernel, 'ssm_dt_proj_'>;
  readonly getRows: KernelsOf<GetRowsKernel, 'get_rows_'>;
  /**
   * A product of at most this many tokens (a batched step of that many sequences) runs as the matvec per token
   * over blocks of rows kept in cache (kernel-ops.ts matvecTokens); more tokens, as a GEMM. Measured on the
   * 130m shapes (batched decode, one process): the F32/F16 matvecs beat their planes GEMM up to 8 tokens
   * (F32 4 sequences at 2 threads: 95 against 67 tokens/s), the Q8_0/Q4_0 matvecs only below the planes' 4
   * (2 threads, 4 sequences: Q8_0 131 on planes against 115, Q4_0 149 against 134). 1 = always the GEMM.
   */
  readonly matvecTokens: number;
  /**
   * Faster kernels of the same bits on x prepared once per op into a per-thread buffer of `bytes(nIn)` per
   * token: the matvec (decode) and, when given, the GEMM (prompt chunks; tokens at a stride of bytes(nIn)).
   */
  /**
   * The GEMM on a chunk's x prepared as planes (tokens in the lanes: assembly/gemm-planes.ts,
   * gemm-planes-q8_0.ts) into the per-thread buffer of `bytes(nIn, nTok)`: the same bits as `gemm`, in a
   * register tile over rows and tokens. Used for chunks of 4 tokens or more (else `prepared.gemm` or `gemm`).
   */
  readonly planes?: {
    readonly prepare: KernelsOf<PlanesPrepareKernel, 'prepare_planes_'>;
    readonly gemm: KernelsOf<GemmKernel, 'gemm_'>;
    readonly bytes: (nIn: number, nTok: number) => number;
  };
  readonly prepared?: {
    readonly prepare: KernelsOf<PrepareKernel, ''>;
    readonly matvec: KernelsOf<MatvecKernel, 'matvec_'>;
    /** The prepared matvec of two tokens at once, bit-equal to `matvec` per token (a batched step's pairs). */
    readonly matvec2?: KernelsOf<Matvec2Kernel, 'matvec2_'>;
    readonly gemm?: KernelsOf<GemmKernel, 'gemm_'>;
    /** The fused dt_proj on the prepared x (decode), bit-equal to `dtProj`. */
    readonly dtProj?: KernelsOf<DtProjKernel, 'ssm_dt_proj_'>;
    readonly bytes: (nIn: number) => number;
  };
}

/** Bytes of one token's x prepared for the F16 kernels (f16_prescale_x / f16r_prescale_x: n f32). */
const PRESCALED_F16_BYTES = (n: number): number => 4 * n;
/** Bytes of one token's Q8_0 x widened for the Q8_0 kernels (widen_q8_0: 64 + 4 per block of 32). */
const WIDENED_Q8_0_BYTES = (n: number): number => (n / 32) * 68;
/** The same for the Q4_0 kernels (widen_q8_0_q4_0: 64 + 16 + 4 per block of 32). */
const WIDENED_Q4_0_BYTES = (n: number): number => (n / 32) * 84;

export const WEIGHT_KERNELS: Readonly<Record<WasmWeightType, WeightKernelRow>> = Object.freeze({
  F32: { activation: 'F32', matvec: 'matvec_f32_f32', gemm: 'gemm_f32_f32', planes: { prepare: 'prepare_planes_f32', gemm: 'gemm_f32_f32_planes', bytes: PLANES_BYTES }, dtProj: 'ssm_dt_proj_softplus_f32_f32', getRows: 'get_rows_f32', matvecTokens: 8 },
  F16: {
    activation: 'F32', matvec: 'matvec_f16_f32', gemm: 'gemm_f16_f32', planes: { prepare: 'prepare_planes_f32', gemm: 'gemm_f16_f32_planes', bytes: PLANES_BYTES }, dtProj: 'ssm_dt_proj_softplus_f16_f32', getRows: 'get_rows_f16', matvecTokens: 8,
    prepared: { prepare: 'f16_prescale_x', matvec: 'matvec_f16_f32_prescaled', matvec2: 'matvec2_f16_f32_prescaled', dtProj: 'ssm_dt_proj_softplus_f16_f32_prescaled', bytes: PRESCALED_F16_BYTES },
  },
  Q8_0: {
    activation: 'Q8_0', matvec: 'matvec_q8_0_q8_0', gemm: 'gemm_q8_0_q8_0', planes: { prepare: 'prepare_planes_q8_0', gemm: 'gemm_q8_0_q8_0_planes', bytes: PLANES_Q8_0_BYTES }, dtProj: 'ssm_dt_proj_softplus_q8_0_q8_0', getRows: 'get_rows_q8_0', matvecTokens: 3,
    prepared: { prepare: 'widen_q8_0', matvec: 'matvec_q8_0_q8_0_widened', gemm: 'gemm_q8_0_q8_0_widened', bytes: WIDENED_Q8_0_BYTES },
  },
  Q4_0: {
    activation: 'Q8_0', matvec: 'matvec_q4_0_q8_0', gemm: 'gemm_q4_0_q8_0', planes: { prepare: 'prepare_planes_q8_0', gemm: 'gemm_q4_0_q8_0_planes', bytes: PLANES_Q8_0_BYTES }, dtProj: 'ssm_dt_proj_softplus_q4_0_q8_0', getRows: 'get_rows_q4_0', matvecTokens: 3,
    prepared: { prepare: 'widen_q8_0_q4_0', matvec: 'matvec_q4_0_q8_0_widened', gemm: 'gemm_q4_0_q8_0_widened', bytes: WIDENED_Q4_0_BYTES },
  },
  Q4_K: { activation: 'Q8_K', matvec: 'matvec_q4_k_q8_k', gemm: 'gemm_q4_k_q8_k', getRows: 'get_rows_q4_k', matvecTokens: 1 },
  Q6_K: { activation: 'Q8_K', matvec: 'matvec_q6_k_q8_k', gemm: 'gemm_q6_k_q8_k', getRows: 'get_rows_q6_k', matvecTokens: 1 },
  TQ1_0: { activation: 'Q8_K', matvec: 'matvec_tq1_0_q8_k', gemm: 'gemm_tq1_0_q8_k', getRows: 'get_rows_tq1_0', matvecTokens: 1 },
  TQ2_0: { activation: 'Q8_K', matvec: 'matvec_tq2_0_q8_k', gemm: 'gemm_tq2_0_q8_k', getRows: 'get_rows_tq2_0', matvecTokens: 1 },
  // An F16 matrix with every |w| < 128, re-encoded at load (f16r.ts): the F16 kernels' bits, no f32 subnormals.
  F16R: {
    activation: 'F32', matvec: 'matvec_f16r_f32', gemm: 'gemm_f16r_f32', planes: { prepare: 'prepare_planes_f32', gemm: 'gemm_f16r_f32_planes', bytes: PLANES_BYTES }, dtProj: 'ssm_dt_proj_softplus_f16r_f32', getRows: 'get_rows_f16r', matvecTokens: 8,
    prepared: { prepare: 'f16r_prescale_x', matvec: 'matvec_f16_f32_prescaled', matvec2: 'matvec2_f16_f32_prescaled', dtProj: 'ssm_dt_proj_softplus_f16_f32_prescaled', bytes: PRESCALED_F16_BYTES },
  },
  // A Q4_0 matrix with an even number of rows, its row pairs interleaved at load (interleave-rows.ts): the Q4_0
  // kernels' bits, one stream per two rows in the decode matvec.
  Q4_0X2: {
    activation: 'Q8_0', matvec: 'matvec_q4_0x2_q8_0', gemm: 'gemm_q4_0x2_q8_0', planes: { prepare: 'prepare_planes_q8_0', gemm: 'gemm_q4_0x2_q8_0_planes', bytes: PLANES_Q8_0_BYTES }, dtProj: 'ssm_dt_proj_softplus_q4_0x2_q8_0', getRows: 'get_rows_q4_0x2', matvecTokens: 3,
    prepared: { prepare: 'widen_q8_0_q4_0', matvec: 'matvec_q4_0x2_q8_0_widened', gemm: 'gemm_q4_0x2_q8_0_widened', bytes: WIDENED_Q4_0_BYTES },
  },
  // A Q8_0 matrix whose row count is a multiple of 4, its row quads interleaved at load: the Q8_0 kernels' bits,
  // four rows per pass (one stream, one vector) in the decode matvec.
  Q8_0X4: {
    activation: 'Q8_0', matvec: 'matvec_q8_0x4_q8_0', gemm: 'gemm_q8_0x4_q8_0', planes: { prepare: 'prepare_planes_q8_0', gemm: 'gemm_q8_0x4_q8_0_planes', bytes: PLANES_Q8_0_BYTES }, dtProj: 'ssm_dt_proj_softplus_q8_0x4_q8_0', getRows: 'get_rows_q8_0x4', matvecTokens: 3,
    prepared: { prepare: 'widen_q8_0', matvec: 'matvec_q8_0x4_q8_0_widened', gemm: 'gemm_q8_0x4_q8_0_widened', bytes: WIDENED_Q8_0_BYTES },
  },
});

/** The load-time forms (never a file's type), each with the file type it is made from. */
const BACKEND_FORMS: Readonly<Record<Exclude<WasmWeightType, FileWeightType>, FileWeightType>> = Object.freeze({ F16R: 'F16', Q4_0X2: 'Q4_0', Q8_0X4: 'Q8_0' });

/** A file's tensor type that the backend keeps as it is (the load-time forms are made here, never read). */
export function isWasmWeightType(name: string): name is FileWeightType {
  return !Object.hasOwn(BACKEND_FORMS, name) && Object.hasOwn(WEIGHT_KERNELS, name);
}

/** The file type a matrix of type `t` was read as: `t` itself, or the type a load-time form is made from (same bytes per row). */
export function fileTypeOf(t: WasmWeightType): FileWeightType {
  return Object.hasOwn(BACKEND_FORMS, t) ? BACKEND_FORMS[t as keyof typeof BACKEND_FORMS] : (t as FileWeightType);
}
