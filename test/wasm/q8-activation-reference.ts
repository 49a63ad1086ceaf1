/**
 * A second oracle for quantized models: the scalar reference forward pass (src/engine/mamba-reference.ts,
 * same loops, f64 accumulation) with ggml's activation quantization. Every matvec whose weights are Q8_0 or
 * Q4_0 reads its input quantized to Q8_0 and decoded again, Q4_K, Q6_K, TQ1_0, TQ2_0 to Q8_K, as the WASM
 * kernels (and ggml) compute it; the lines marked `// Q8_0 input` are the only difference from MambaReference. It lets the WASM backend be
 * checked tightly on quantized files, where MambaReference (F32 activations) differs by ~1e-2.
 */
import type { ForwardBackend } from '../../src/engine/forward-backend.js';
import type { MambaState } from '../../src/engine/mamba-state.js';
import { loadWeightsF32, type MambaLayerWeights, type MambaWeights } from '../../src/engine/mamba-weights.js';
import { matvec, rmsnorm, silu, softplus } from '../../src/engine/reference-ops.js';
import type { MambaConfig } from '../../src/model/mamba-config.js';
import type { ModelFile } from '../../src/model/model-file.js';
import { isWasmWeightType } from '../../src/wasm/weight-kernels.js';
import { effectiveActivation } from './kernel-oracles.js';

export class Q8ActivationReference implements ForwardBackend {
  readonly name = 'scalar-q8-activations';
  private readonly types: Map<string, string>;
  private readonly c: MambaConfig;
  private readonly hidden: Float32Array;
  private readonly normed: Float32Array;
  private readonly xz: Float32Array;
  private readonly xdbl: Float32Array;
  private readonly dt: Float32Array;
  private readonly y: Float32Array;
  private readonly out: Float32Array;

  private constructor(
    readonly config: MambaConfig,
    private readonly w: MambaWeights,
    types: Map<string, string>,
  ) {
    this.types = types;
    const c = (this.c = config);
    this.hidden = new Float32Array(c.dModel);
    this.normed = new Float32Array(c.dModel);
    this.xz = new Float32Array(2 * c.dInner);
    this.xdbl = new Float32Array(c.dtRank + 2 * c.dState);
    this.dt = new Float32Array(c.dInner);
    this.y = new Float32Array(c.dInner);
    this.out = new Float32Array(c.dModel);
  }

  static async load(file: ModelFile): Promise<Q8ActivationReference> {
    return new Q8ActivationReference(file.config, await loadWeightsF32(file), new Map(file.tensors.map((t) => [t.name, t.type.name])));
  }

  /** The input a matvec on tensor `name` sees. */
  private input(name: string, x: Float32Array): Float32Array {
    const type = this.types.get(name) ?? 'F32';
    return isWasmWeightType(type) ? effectiveActivation(type, x) : x; // Q8_0 / Q8_K input
  }

  step(token: number, state: MambaState, logits?: Float32Array): void {
    const { c, w } = this;
    this.hidden.set(w.tokenEmbd.subarray(token * c.dModel, (token + 1) * c.dModel));
    for (let l = 0; l < c.nLayer; l++) {
      rmsnorm(this.normed, this.hidden, w.layers[l].attnNorm, c.normEps);
      this.mixerStep(l, w.layers[l], state);
      for (let i = 0; i < c.dModel; i++) this.hidden[i] += this.out[i];
    }
    if (!logits) return;
    rmsnorm(this.normed, this.hidden, w.outputNorm, c.normEps);
    matvec(logits, w.output, this.input(c.tieEmbeddings ? 'token_embd.weight' : 'output.weight', this.normed), c.nVocab, c.dModel);
  }

  prefill(tokens: ArrayLike<number>, state: MambaState, logits?: Float32Array): void {
    for (let i = 0; i < tokens.length; i++) this.step(tokens[i], state, i === tokens.length - 1 ? logits : undefined);
  }

  private mixerStep(l: number, lw: MambaLayerWeights, state: MambaState): void {
    const { dModel, dInner, dState, dConv, dtRank } = this.c;
    const { xz, xdbl, dt, y } = this;
    const p = `blk.${l}.`;
    const convState = state.conv(l);
    const ssmState = state.ssm(l);
    matvec(xz, lw.ssmIn, this.input(p + 'ssm_in.weight', this.normed), 2 * dInner, dModel, lw.ssmInBias);
    const k = dConv - 1;
    for (let d = 0; d < dInner; d++) {
      const xd = xz[d];
      let s = lw.conv1dBias ? lw.conv1dBias[d] : 0;
      for (let j = 0; j < k; j++) s += convState[d * k + j] * lw.conv1d[d * dConv + j];
      s += xd * lw.conv1d[d * dConv + k];
      for (let j = 0; j < k - 1; j++) convState[d * k + j] = convState[d * k + j + 1];
      if (k > 0) convState[d * k + k - 1] = xd;
      xz[d] = silu(s);
    }
    matvec(xdbl, lw.ssmX, this.input(p + 'ssm_x.weight', xz.subarray(0, dInner)), dtRank + 2 * dState, dInner);
    const dtIn = this.input(p + 'ssm_dt.weight', xdbl.subarray(0, dtRank));
    for (let d = 0; d < dInner; d++) {
      let s = lw.ssmDtBias[d];
      for (let r = 0; r < dtRank; r++) s += lw.ssmDt[d * dtRank + r] * dtIn[r];
      dt[d] = softplus(s);
    }
    for (let d = 0; d < dInner; d++) {
      let acc = 0;
      for (let n = 0; n < dState; n++) {
        const i = d * dState + n;
        const h = ssmState[i] * Math.exp(dt[d] * lw.ssmA[i]) + xz[d] * dt[d] * xdbl[dtRank + n];
        ssmState[i] = h;
        acc += h * xdbl[dtRank + dState + n];
      }
      y[d] = (acc + lw.ssmD[d] * xz[d]) * silu(xz[dInner + d]);
    }
    matvec(this.out, lw.ssmOut, this.input(p + 'ssm_out.weight', y), dModel, dInner, lw.ssmOutBias);
  }
}
