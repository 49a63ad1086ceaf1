/**
 * Weight types the WASM backend keeps as they are in the file, one row per type (as ggml's type_traits):
 * which kernels compute with it and what the activations are converted to. A matrix of any other type is
 * decoded to F32 at load. Adding a type = one row here + its kernel files in assembly/.
 */
import type { DtProjKernel, GemmKernel, GetRowsKernel, MambaKernels, MatvecKernel } from './kernel-module.js';

export type WasmWeightType = 'F32' | 'F16' | 'Q8_0' | 'Q4_0';

/**
 * Names of the kernels starting with `P` whose signature is exactly T (signatures alone can coincide:
 * `get_rows_*` and `ssm_dt_softplus_f32` both take four numbers).
 */
type KernelsOf<T, P extends string> = {
  [K in keyof MambaKernels]: K extends `${P}${string}` ? (MambaKernels[K] extends T ? (T extends MambaKernels[K] ? K : never) : never) : never;
}[keyof MambaKernels];

export interface WeightKernelRow {
  /** Activations fed to the matvec: F32 as they are, or quantized to Q8_0 blocks first (quantize_row_q8_0). */
  readonly activation: 'F32' | 'Q8_0';
  readonly matvec: KernelsOf<MatvecKernel, 'matvec_'>;
  /** The same product for a chunk of tokens (prompt processing), bit-equal to `matvec` per token. */
  readonly gemm: KernelsOf<GemmKernel, 'gemm_'>;
  readonly dtProj: KernelsOf<DtProjKernel, 'ssm_dt_proj_'>;
  readonly getRows: KernelsOf<GetRowsKernel, 'get_rows_'>;
}

export const WEIGHT_KERNELS: Readonly<Record<WasmWeightType, WeightKernelRow>> = Object.freeze({
  F32: { activation: 'F32', matvec: 'matvec_f32_f32', gemm: 'gemm_f32_f32', dtProj: 'ssm_dt_proj_softplus_f32_f32', getRows: 'get_rows_f32' },
  F16: { activation: 'F32', matvec: 'matvec_f16_f32', gemm: 'gemm_f16_f32', dtProj: 'ssm_dt_proj_softplus_f16_f32', getRows: 'get_rows_f16' },
  Q8_0: { activation: 'Q8_0', matvec: 'matvec_q8_0_q8_0', gemm: 'gemm_q8_0_q8_0', dtProj: 'ssm_dt_proj_softplus_q8_0_q8_0', getRows: 'get_rows_q8_0' },
  Q4_0: { activation: 'Q8_0', matvec: 'matvec_q4_0_q8_0', gemm: 'gemm_q4_0_q8_0', dtProj: 'ssm_dt_proj_softplus_q4_0_q8_0', getRows: 'get_rows_q4_0' },
});

export function isWasmWeightType(name: string): name is WasmWeightType {
  return Object.hasOwn(WEIGHT_KERNELS, name);
}
