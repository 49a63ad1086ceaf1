/**
 * The Mamba-1 forward pass for one token, as the reference `Mamba.step()` (mamba_ssm/modules/mamba_simple.py)
 * and `MambaForCausalLM` (transformers), in plain loops. Scratch buffers are allocated once; `step` allocates
 * nothing. Shapes are for one sequence (batch 1), outer-first.
 */
import type { MambaConfig } from '../model/mamba-config.js';
import type { ForwardBackend } from './forward-backend.js';
import type { MambaState } from './mamba-state.js';
import type { MambaLayerWeights, MambaWeights } from './mamba-weights.js';
import { matvec, relu, rmsnorm, silu, softplus } from './reference-ops.js';
import { checkTokenId, checkTokenIds } from './check-token-id.js';

export class MambaReference implements ForwardBackend {
  readonly name = 'scalar';
  private readonly hidden: Float32Array; // (dModel) the residual stream
  private readonly normed: Float32Array; // (dModel)
  private readonly xz: Float32Array; //     (2·dInner)
  private readonly xdbl: Float32Array; //   (dtRank + 2·dState)
  private readonly dt: Float32Array; //     (dInner)
  private readonly y: Float32Array; //      (dInner)
  private readonly out: Float32Array; //    (dModel)

  constructor(
    readonly config: MambaConfig,
    readonly weights: MambaWeights,
  ) {
    const c = config;
    this.hidden = new Float32Array(c.dModel);
    this.normed = new Float32Array(c.dModel);
    this.xz = new Float32Array(2 * c.dInner);
    this.xdbl = new Float32Array(c.dtRank + 2 * c.dState);
    this.dt = new Float32Array(c.dInner);
    this.y = new Float32Array(c.dInner);
    this.out = new Float32Array(c.dModel);
  }

  /**
   * Feeds `token`, advancing `state` by one step. With `logits` (nVocab) given, writes the next-token
   * logits; without, skips the final norm and lm_head (prompt tokens whose logits nobody reads).
   */
  step(token: number, state: MambaState, logits?: Float32Array): void {
    const c = this.config;
    const w = this.weights;
    checkTokenId(token, c.nVocab);
    // hidden_states = self.embeddings(input_ids)   (dModel)
    this.hidden.set(w.tokenEmbd.subarray(token * c.dModel, (token + 1) * c.dModel));
    for (let l = 0; l < c.nLayer; l++) {
      // residual = hidden_states; hidden_states = self.norm(hidden_states)
      rmsnorm(this.normed, this.hidden, w.layers[l].attnNorm, c.normEps);
      // hidden_states = self.mixer(hidden_states)
      this.mixerStep(l, w.layers[l], state);
      // hidden_states = residual + hidden_states
      for (let i = 0; i < c.dModel; i++) this.hidden[i] += this.out[i];
    }
    if (!logits) return;
    // hidden_states = self.norm_f(hidden_states)
    rmsnorm(this.normed, this.hidden, w.outputNorm, c.normEps);
    // logits = self.lm_head(hidden_states)   (nVocab) ← (nVocab, dModel)·(dModel)
    matvec(logits, w.output, this.normed, c.nVocab, c.dModel);
  }

  /** Prompt processing: one step per token (the fast backends turn this into GEMMs + a scan). */
  prefill(tokens: ArrayLike<number>, state: MambaState, logits?: Float32Array): void {
    checkTokenIds(tokens, this.config.nVocab); // all before the state changes
    for (let i = 0; i < tokens.length; i++) this.step(tokens[i], state, i === tokens.length - 1 ? logits : undefined);
  }

  /** Mamba.step for layer `l`: reads this.normed, writes this.out. */
  private mixerStep(l: number, lw: MambaLayerWeights, state: MambaState): void {
    const { dModel, dInner, dState, dConv, dtRank } = this.config;
    const { xz, xdbl, dt, y } = this;
    const convState = state.conv(l); // (dInner, dConv−1)
    const ssmState = state.ssm(l); //   (dInner, dState)

    // xz = self.in_proj(hidden_states)   (2·dInner) ← (2·dInner, dModel)·(dModel)
    matvec(xz, lw.ssmIn, this.normed, 2 * dInner, dModel, lw.ssmInBias);
    // x, z = xz.chunk(2, dim=-1)         x = xz[0:dInner], z = xz[dInner:2·dInner]

    // conv_state = roll(conv_state, -1); conv_state[:, :, -1] = x
    // x = sum(conv_state * conv1d.weight, dim=-1) + conv1d.bias; x = silu(x)      (dInner)
    const k = dConv - 1;
    for (let d = 0; d < dInner; d++) {
      const xd = xz[d];
      const wRow = d * dConv;
      const sRow = d * k;
      let s = lw.conv1dBias ? lw.conv1dBias[d] : 0;
      for (let j = 0; j < k; j++) s += convState[sRow + j] * lw.conv1d[wRow + j];
      s += xd * lw.conv1d[wRow + k];
      for (let j = 0; j < k - 1; j++) convState[sRow + j] = convState[sRow + j + 1];
      if (k > 0) convState[sRow + k - 1] = xd;
      xz[d] = silu(s); // x now holds the conv output
    }

    // x_db = self.x_proj(x)   (dtRank + 2·dState) ← (dtRank + 2·dState, dInner)·(dInner)
    matvec(xdbl, lw.ssmX, xz, dtRank + 2 * dState, dInner);
    // dt, B, C = split(x_db, [dtRank, dState, dState])
    const bOff = dtRank;
    const cOff = dtRank + dState;
    // dt = softplus(self.dt_proj(dt) + dt_proj.bias)   (dInner) ← (dInner, dtRank)·(dtRank)
    for (let d = 0; d < dInner; d++) {
      let s = lw.ssmDtBias[d];
      for (let r = 0; r < dtRank; r++) s += lw.ssmDt[d * dtRank + r] * xdbl[r];
      dt[d] = softplus(s);
    }

    // dA = exp(dt ⊗ A); dB = dt ⊗ B; ssm_state = ssm_state · dA + x ⊗ dB       (dInner, dState)
    // y = ssm_state · C + D · x;  y = y · act(z), act = silu (or relu: config.gateActivation)   (dInner)
    const gate = this.config.gateActivation === 'relu' ? relu : silu;
    for (let d = 0; d < dInner; d++) {
      const x = xz[d];
      const dtd = dt[d];
      const row = d * dState;
      let acc = 0;
      for (let n = 0; n < dState; n++) {
        const h = ssmState[row + n] * Math.exp(dtd * lw.ssmA[row + n]) + x * dtd * xdbl[bOff + n];
        ssmState[row + n] = h;
        acc += h * xdbl[cOff + n];
      }
      y[d] = (acc + lw.ssmD[d] * x) * gate(xz[dInner + d]);
    }

    // out = self.out_proj(y)   (dModel) ← (dModel, dInner)·(dInner)
    matvec(this.out, lw.ssmOut, y, dModel, dInner, lw.ssmOutBias);
  }
}
