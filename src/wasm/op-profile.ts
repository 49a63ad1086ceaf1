/**
 * Where the forward pass spends its time, per kernel family: wall time around each call (or each parallel
 * op, barrier included) with performance.now(). Only kept while profiling is on; when off, the backend's
 * cost is one branch per call.
 */

/** Kernel families, in the order of a token's path. */
export const OP_FAMILIES = Object.freeze([
  'get_rows', // embedding lookup
  'rms_norm', // (residual add +) RMSNorm
  'quantize', // activations → Q8_0 for the quantized weight types
  'ssm_in', //   in_proj (+ bias)
  'conv1d', //   causal conv1d + SiLU
  'ssm_x', //    x_proj
  'dt_proj', //  dt_proj + softplus
  'scan', //     selective scan + D skip + gate
  'ssm_out', //  out_proj (+ bias)
  'lm_head', //  output matvec
  'state_copy', // a JS-memory state copied into wasm memory and back
] as const);

export type OpFamily = (typeof OP_FAMILIES)[number];

/** Index of each family (the backend passes numbers, not strings, on the hot path). */
export const FAMILY = Object.freeze(Object.fromEntries(OP_FAMILIES.map((f, i) => [f, i])) as { readonly [K in OpFamily]: number });

export interface OpProfileEntry {
  readonly op: OpFamily;
  readonly calls: number;
  readonly ms: number;
}

export class OpProfile {
  private readonly ms = new Float64Array(OP_FAMILIES.length);
  private readonly calls = new Float64Array(OP_FAMILIES.length);

  add(family: number, ms: number): void {
    this.ms[family] += ms;
    this.calls[family]++;
  }

  reset(): void {
    this.ms.fill(0);
    this.calls.fill(0);
  }

  /** Families with at least one call, slowest first. */
  entries(): OpProfileEntry[] {
    return OP_FAMILIES.map((op, i) => ({ op, calls: this.calls[i], ms: this.ms[i] }))
      .filter((e) => e.calls > 0)
      .sort((a, b) => b.ms - a.ms);
  }
}
