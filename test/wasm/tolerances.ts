/**
 * The tolerance table of the WASM backend: every kernel × type, and whole models, against the scalar
 * reference. One place; docs/kernels.md copies it. Measured maxima (test sizes) are noted beside each row.
 *
 * Kernel metrics:
 *   'reduction' — |got − want| ≤ tol · scale, where scale is the sum of the absolute values of the terms the
 *                 output is reduced from (Σ|w·x| for a dot product, plus |bias|, …; the oracle returns it).
 *                 F32 arithmetic with n terms is bounded by ~n·2⁻²⁴ of that; blocked sums do far better.
 *   'exact'     — bit-equal (pure data movement, exact decodes, and quantization that must match the codec).
 * Model metric: relativeMaxError (max |Δlogit| / max(1, max |logit|)) against the scalar reference run on the
 * same file, i.e. on the same weight bytes dequantized to F32.
 */

export type KernelMetric = 'reduction' | 'exact';

export interface KernelTolerance {
  readonly metric: KernelMetric;
  readonly tol: number;
}

/** ≈ 17 ulp of the scale; measured maxima on the test sizes are ≤ 1.7e-7. */
const F32_REDUCTION: KernelTolerance = { metric: 'reduction', tol: 1e-6 };

export const KERNEL_TOLERANCES = {
  // W·x reduced in f32 (4 × f32x4 accumulators) vs f64: measured ≤ 9e-8.
  matvec_f32_f32: F32_REDUCTION,
  matvec_f16_f32: F32_REDUCTION,
  // and bit-equal to matvec_f16_f32 on the F16 weights it was made from, as every F16R kernel (kernels.test.ts)
  matvec_f16r_f32: F32_REDUCTION,
  // exact i32 block sums scaled in f32, vs f64 on the same dequantized bytes (x = dequant(quant(x))).
  matvec_q8_0_q8_0: F32_REDUCTION,
  matvec_q8_0x4_q8_0: F32_REDUCTION,
  matvec_q4_0_q8_0: F32_REDUCTION,
  matvec_q4_0x2_q8_0: F32_REDUCTION,
  // The prepared twins (decode path): bit-equal to the plain kernel on the same x (kernels.test.ts).
  matvec_f16_f32_prescaled: { metric: 'exact', tol: 0 },
  matvec_q8_0_q8_0_widened: { metric: 'exact', tol: 0 },
  matvec_q8_0x4_q8_0_widened: { metric: 'exact', tol: 0 },
  matvec_q4_0_q8_0_widened: { metric: 'exact', tol: 0 },
  matvec_q4_0x2_q8_0_widened: { metric: 'exact', tol: 0 },
  // Q8_K activations (256-blocks): exact i32 super-block sums, one f32 scale-and-add per block; also bit-equal
  // to ggml's formula computed in TS (kernel-oracles.ts ggmlDotQ8_K). Measured: Q4_K 1.4e-8, Q6_K 9.9e-9,
  // TQ1_0 1.2e-8, TQ2_0 1.2e-8.
  matvec_q4_k_q8_k: F32_REDUCTION,
  matvec_q6_k_q8_k: F32_REDUCTION,
  matvec_tq1_0_q8_k: F32_REDUCTION,
  matvec_tq2_0_q8_k: F32_REDUCTION,
  // GEMM (prompt chunks): each (row, token) bit-equal to the matvec of its type on that token (gemm.test.ts),
  // so they inherit the matvec rows above exactly.
  gemm_f32_f32: { metric: 'exact', tol: 0 },
  gemm_f16_f32: { metric: 'exact', tol: 0 },
  gemm_f16r_f32: { metric: 'exact', tol: 0 },
  gemm_f32_f32_planes: { metric: 'exact', tol: 0 },
  gemm_f16_f32_planes: { metric: 'exact', tol: 0 },
  gemm_f16r_f32_planes: { metric: 'exact', tol: 0 },
  gemm_q8_0_q8_0_planes: { metric: 'exact', tol: 0 },
  gemm_q8_0x4_q8_0_planes: { metric: 'exact', tol: 0 },
  gemm_q4_0_q8_0_planes: { metric: 'exact', tol: 0 },
  gemm_q4_0x2_q8_0_planes: { metric: 'exact', tol: 0 },
  gemm_q8_0_q8_0: { metric: 'exact', tol: 0 },
  gemm_q8_0x4_q8_0: { metric: 'exact', tol: 0 },
  gemm_q4_0_q8_0: { metric: 'exact', tol: 0 },
  gemm_q4_0x2_q8_0: { metric: 'exact', tol: 0 },
  gemm_q8_0_q8_0_widened: { metric: 'exact', tol: 0 },
  gemm_q8_0x4_q8_0_widened: { metric: 'exact', tol: 0 },
  gemm_q4_0_q8_0_widened: { metric: 'exact', tol: 0 },
  gemm_q4_0x2_q8_0_widened: { metric: 'exact', tol: 0 },
  gemm_q4_k_q8_k: { metric: 'exact', tol: 0 },
  gemm_q6_k_q8_k: { metric: 'exact', tol: 0 },
  gemm_tq1_0_q8_k: { metric: 'exact', tol: 0 },
  gemm_tq2_0_q8_k: { metric: 'exact', tol: 0 },
  // bit-equal to the TS codec (f32 arithmetic, ties to even).
  quantize_row_q8_0: { metric: 'exact', tol: 0 },
  // byte-identical to src/quant/q8_k.ts quantizeQ8_K (ggml's quantize_row_q8_K_ref).
  quantize_row_q8_k: { metric: 'exact', tol: 0 },
  get_rows_f32: { metric: 'exact', tol: 0 },
  get_rows_f16: { metric: 'exact', tol: 0 },
  get_rows_f16r: { metric: 'exact', tol: 0 },
  get_rows_q8_0: { metric: 'exact', tol: 0 },
  get_rows_q8_0x4: { metric: 'exact', tol: 0 },
  get_rows_q4_0: { metric: 'exact', tol: 0 },
  get_rows_q4_0x2: { metric: 'exact', tol: 0 },
  get_rows_q4_k: { metric: 'exact', tol: 0 },
  get_rows_q6_k: { metric: 'exact', tol: 0 },
  get_rows_tq1_0: { metric: 'exact', tol: 0 },
  get_rows_tq2_0: { metric: 'exact', tol: 0 },
  // sum of squares in f32, then x·scale·w: relative to |out| (scale = |out|).
  rms_norm_f32: F32_REDUCTION,
  add_rms_norm_f32: F32_REDUCTION,
  add_f32: { metric: 'exact', tol: 0 },
  // conv sum + SiLU with the polynomial exp (≈2 ulp); the state shift is checked exact.
  ssm_conv1d_step_silu_f32: F32_REDUCTION,
  // its chunk form (prefill): bit-equal to a step per token (kernels.test.ts)
  ssm_conv1d_chunk_silu_f32: { metric: 'exact', tol: 0 },
  // dot + bias, softplus (max(x, 0) + log1p(exp(−|x|)): polynomial exp and log1p, assembly/common.ts).
  ssm_dt_proj_softplus_f32_f32: F32_REDUCTION,
  ssm_dt_proj_softplus_f16_f32: F32_REDUCTION,
  ssm_dt_proj_softplus_f16r_f32: F32_REDUCTION,
  // its prepared twin (decode path, x·2^112, four rows per horizontal sum): bit-equal to it (kernels.test.ts)
  ssm_dt_proj_softplus_f16_f32_prescaled: { metric: 'exact', tol: 0 },
  ssm_dt_proj_softplus_q8_0_q8_0: F32_REDUCTION,
  ssm_dt_proj_softplus_q8_0x4_q8_0: F32_REDUCTION,
  ssm_dt_proj_softplus_q4_0_q8_0: F32_REDUCTION,
  ssm_dt_proj_softplus_q4_0x2_q8_0: F32_REDUCTION,
  // the GEMM path's epilogue: GEMM + ssm_dt_softplus_f32 bit-equal to the fused kernels above.
  ssm_dt_softplus_f32: { metric: 'exact', tol: 0 },
  // exp(dt·A) (≈2 ulp) in the state update, then h·C reduced in f32, D skip, SiLU gate.
  ssm_scan_step_f32: F32_REDUCTION, // measured ≤ 1.2e-7
} as const satisfies Record<string, KernelTolerance>;

export type KernelName = keyof typeof KERNEL_TOLERANCES;

/**
 * Whole model, logits after every token of the fixture prompts (relativeMaxError vs the scalar reference on
 * the same file). F32/F16 weights meet F32 activations: only summation order and exp differ (measured
 * ≤ 8e-7 on tiny and neox-narrow, 1.6e-6 on the 130m-shaped random model). Q8_0/Q4_0 weights meet
 * Q8_0-quantized activations (as in ggml) while the scalar path keeps F32 activations: measured 2.7e-2 (Q8_0),
 * 3.2e-2 (Q4_0), 3.3e-2 (mixed) on tiny — the same order as what Q8_0 weight quantization itself moves
 * the logits there (3.1e-2 vs the F32 file). Hence the second oracle below.
 */
export const MODEL_TOLERANCES = {
  F32: 1e-5,
  F16: 1e-5,
  Q8_0: 5e-2,
  Q4_0: 5e-2,
  mixed: 5e-2,
  // random d_model-256 model (k-quant-model.test.ts), Q8_K activations vs F32 in the scalar path: measured
  // 1.05e-2 (Q4_K), 1.05e-2 (Q6_K), 1.6e-2 (TQ1_0, TQ2_0), 1.1e-2 (mixed with Q8_0, F16); vs
  // Q8ActivationReference ≤ 4.5e-7 at every position (no flips).
  Q4_K: 5e-2,
  Q6_K: 5e-2,
  TQ1_0: 5e-2,
  TQ2_0: 5e-2,
  'k-mixed': 5e-2,
} as const;

/**
 * Quantized files against Q8ActivationReference (the scalar pass with the same activation quantization):
 * only f32-vs-f64 arithmetic differs (measured ≤ 1.1e-7), except where an activation lands within rounding
 * of a quantization boundary and moves by one step (d = amax/127): that position's logits move by up to
 * ~d·|w| (one such position of 60 in the tiny Q8_0 test: 1.9e-3). So: `typical` for all but a `flipFraction`
 * of positions, `flip` for all.
 */
/**
 * Threads and prompt chunks: the backend's results are the same bits for every thread count (1–4 tested),
 * every prefill chunk size, and prefill vs one step per token (threads.test.ts): rows are partitioned, never a
 * reduction, and the GEMMs are bit-equal to the matvecs. Tolerance 0.
 */
export const THREADS_AND_CHUNKS_TOLERANCE = 0;

export const Q8_ACTIVATION_TOLERANCE = { typical: 1e-5, flip: 1e-2, flipFraction: 0.05 } as const;
