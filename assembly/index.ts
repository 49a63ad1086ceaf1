/**
 * mamba.ts WASM SIMD128 kernels (AssemblyScript). Names are ggml's `op_weight_activation`; arguments are
 * output first, pointers (`…Ptr`) are byte offsets in the one memory that JS owns and the module imports.
 * Every matvec-like kernel takes a row range [rowStart, rowEnd) so a worker pool can split rows (never the
 * reduction axis); each row is reduced in a fixed order, so results do not depend on the split.
 * The GEMMs (prompt chunks: T activation vectors) reduce each (row, token) exactly as the matvec of their type.
 */
export { matvec_f32_f32 } from './matvec-f32';
export { matvec_f16_f32, matvec_f16_f32_prescaled, matvec2_f16_f32_prescaled, f16_prescale_x, matvec_f16r_f32, f16r_prescale_x } from './matvec-f16';
export { recode_f16_f16r } from './f16r';
export { matvec_q8_0_q8_0, matvec_q8_0_q8_0_widened, widen_q8_0, matvec_q8_0x4_q8_0, matvec_q8_0x4_q8_0_widened } from './matvec-q8_0';
export { matvec_q4_0_q8_0, matvec_q4_0_q8_0_widened, widen_q8_0_q4_0, matvec_q4_0x2_q8_0, matvec_q4_0x2_q8_0_widened } from './matvec-q4_0';
export { interleave_rows } from './common';
export { gemm_f32_f32 } from './gemm-f32';
export { gemm_f16_f32, gemm_f16r_f32 } from './gemm-f16';
export { gemm_q8_0_q8_0, gemm_q8_0x4_q8_0 } from './gemm-q8_0';
export { gemm_q4_0_q8_0, gemm_q4_0x2_q8_0 } from './gemm-q4_0';
export { gemm_q8_0_q8_0_widened, gemm_q8_0x4_q8_0_widened, gemm_q4_0_q8_0_widened, gemm_q4_0x2_q8_0_widened } from './gemm-widened';
export { prepare_planes_q8_0, planes_q8_0_bytes, gemm_q8_0_q8_0_planes, gemm_q8_0x4_q8_0_planes, gemm_q4_0_q8_0_planes, gemm_q4_0x2_q8_0_planes } from './gemm-planes-q8_0';
export { prepare_planes_f32, planes_bytes, gemm_f32_f32_planes, gemm_f16_f32_planes, gemm_f16r_f32_planes } from './gemm-planes';
export { quantize_row_q8_0 } from './quantize-q8_0';
export { quantize_row_q8_k } from './quantize-q8_k';
export { get_rows_q4_k } from './matvec-q4_k';
export { get_rows_q6_k } from './matvec-q6_k';
export { get_rows_tq1_0 } from './matvec-tq1_0';
export { get_rows_tq2_0 } from './matvec-tq2_0';
export {
  matvec_q4_k_q8_k, gemm_q4_k_q8_k, matvec_q6_k_q8_k, gemm_q6_k_q8_k,
  matvec_tq1_0_q8_k, gemm_tq1_0_q8_k, matvec_tq2_0_q8_k, gemm_tq2_0_q8_k,
} from './rows-q8_k';
export { get_rows_f32, get_rows_f16, get_rows_f16r, get_rows_q8_0, get_rows_q8_0x4, get_rows_q4_0, get_rows_q4_0x2 } from './get-rows';
export { rms_norm_f32, add_rms_norm_f32 } from './rms-norm';
export { add_f32 } from './vec';
export { ssm_conv1d_chunk_silu_f32, ssm_conv1d_step_silu_f32 } from './ssm-conv';
export {
  ssm_dt_proj_softplus_f32_f32,
  ssm_dt_proj_softplus_f16_f32,
  ssm_dt_proj_softplus_f16_f32_prescaled,
  ssm_dt_proj_softplus_f16r_f32,
  ssm_dt_proj_softplus_q8_0_q8_0,
  ssm_dt_proj_softplus_q8_0x4_q8_0,
  ssm_dt_proj_softplus_q4_0_q8_0,
  ssm_dt_proj_softplus_q4_0x2_q8_0,
  ssm_dt_softplus_f32,
} from './ssm-dt';
export { ssm_scan_step_f32, ssm_scan_chunk_f32 } from './ssm-scan';

/** End of the module's own static data: JS places its arena above this (and above the first 64 KiB page). */
export function heap_base(): usize {
  return __heap_base;
}
