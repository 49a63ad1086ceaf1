/**
 * One step of the selective scan with the D skip connection and the gate, as Mamba.step:
 *
 *   dA = torch.exp(torch.einsum("d,dn->dn", dt, A))                   (dInner, dState)
 *   dB = torch.einsum("d,n->dn", dt, B)
 *   ssm_state.copy_(ssm_state * dA + rearrange(x, "b d -> b d 1") * dB)
 *   y = torch.einsum("dn,n->d", ssm_state, C)
 *   y = y + self.D * x
 *   y = y * self.act(z)                                                (dInner)
 *
 * act = SiLU, or ReLU when gateRelu != 0 (the activation-sparsity models).
 *
 * ssmState (dInner, dState) in place; x, dt, D, z, y (dInner); A (dInner, dState); B, C (dState).
 * Channels [dStart, dEnd); dState is vectorized by 4 with a scalar tail (same per channel whatever the split).
 */
import { exp2_sat_f32, exp2_sat_f32x4, hsum_f32x4, LOG2E_F32, silu_f32, silu_f32x4 } from './common';

export function ssm_scan_step_f32(
  yPtr: usize, ssmStatePtr: usize, xPtr: usize, dtPtr: usize, aPtr: usize, bPtr: usize, cPtr: usize,
  dPtr: usize, zPtr: usize, dStart: i32, dEnd: i32, dState: i32, gateRelu: i32,
): void {
  if (dState == 16) {
    // every Mamba-1: the unrolled body of the chunk scan for one token (2.41 → 1.53 ms per 130m token in a
    // micro-benchmark: four independent exps in flight, no inner loop), the same operations as below
    scan16_channels(yPtr, 0, ssmStatePtr, xPtr, 0, dtPtr, 0, aPtr, bPtr, 0, cPtr - bPtr, dPtr, dStart, dEnd, 1);
    gate_range(yPtr, zPtr, dStart, dEnd, gateRelu);
    return;
  }
  // Pass 1, per channel: the state update and y = ssm_state · C + D · x.
  for (let d = dStart; d < dEnd; d++) {
    const x = load<f32>(xPtr + (<usize>d << 2));
    const dt = load<f32>(dtPtr + (<usize>d << 2));
    const xdt = x * dt;
    const row = <usize>(d * dState) << 2;
    const h = ssmStatePtr + row;
    const a = aPtr + row;
    const dtl = dt * LOG2E_F32; // exp(dt·A) = 2^((dt·log2e)·A)
    const vdt = f32x4.splat(dtl);
    const vxdt = f32x4.splat(xdt);
    let acc = f32x4.splat(0);
    let n = 0;
    for (; n + 4 <= dState; n += 4) {
      const o = <usize>n << 2;
      const dA = exp2_sat_f32x4(f32x4.mul(vdt, v128.load(a + o)));
      const hn = f32x4.add(f32x4.mul(v128.load(h + o), dA), f32x4.mul(vxdt, v128.load(bPtr + o)));
      v128.store(h + o, hn);
      acc = f32x4.add(acc, f32x4.mul(hn, v128.load(cPtr + o)));
    }
    let s = hsum_f32x4(acc);
    for (; n < dState; n++) {
      const o = <usize>n << 2;
      const hn = load<f32>(h + o) * exp2_sat_f32(dtl * load<f32>(a + o)) + xdt * load<f32>(bPtr + o);
      store<f32>(h + o, hn);
      s += hn * load<f32>(cPtr + o);
    }
    store<f32>(yPtr + (<usize>d << 2), s + load<f32>(dPtr + (<usize>d << 2)) * x);
  }
  // Pass 2: y = y · act(z), four channels at a time (the scalar twins give the same bits on the tail, so
  // the result does not depend on where a thread's range starts). 26% faster than a scalar SiLU per channel.
  gate_range(yPtr, zPtr, dStart, dEnd, gateRelu);
}

/** y[d] ·= act(z[d]) for d in [dStart, dEnd): SiLU four at a time (vector twin), or ReLU. */
@inline
function gate_range(yPtr: usize, zPtr: usize, dStart: i32, dEnd: i32, gateRelu: i32): void {
  let d = dStart;
  if (gateRelu) {
    for (; d < dEnd; d++) {
      const o = <usize>d << 2;
      store<f32>(yPtr + o, load<f32>(yPtr + o) * max<f32>(load<f32>(zPtr + o), 0));
    }
    return;
  }
  for (; d + 4 <= dEnd; d += 4) {
    const o = <usize>d << 2;
    v128.store(yPtr + o, f32x4.mul(v128.load(yPtr + o), silu_f32x4(v128.load(zPtr + o))));
  }
  for (; d < dEnd; d++) {
    const o = <usize>d << 2;
    store<f32>(yPtr + o, load<f32>(yPtr + o) * silu_f32(load<f32>(zPtr + o)));
  }
}

/**
 * ssm_scan_step_f32 for nTok tokens in order (prompt chunks), channels [dStart, dEnd): the bits of nTok step
 * calls. For dState = 16 (every Mamba-1) each channel's state and A stay in registers across the tokens —
 * 2× faster than a step per token (measured: 2.46 → 1.28 ms per 64-token chunk-token of a 130m model, before
 * the gate) — then the gate pass per token. Other dState: one step call per token.
 *
 * Token t: x at xPtr + t·xStride (z at + zOff), dt at dtPtr + t·dtStride, B at bPtr + t·bStride (C at + cOff),
 * y at yPtr + t·yStride. All strides and offsets in bytes.
 */
export function ssm_scan_chunk_f32(
  yPtr: usize, yStride: usize, ssmStatePtr: usize, xPtr: usize, xStride: usize, zOff: usize, dtPtr: usize, dtStride: usize,
  aPtr: usize, bPtr: usize, bStride: usize, cOff: usize, dPtr: usize, dStart: i32, dEnd: i32, dState: i32, nTok: i32, gateRelu: i32,
): void {
  if (dState != 16) {
    for (let t = 0; t < nTok; t++) {
      const tt = <usize>t;
      const x = xPtr + tt * xStride;
      const b = bPtr + tt * bStride;
      ssm_scan_step_f32(yPtr + tt * yStride, ssmStatePtr, x, dtPtr + tt * dtStride, aPtr, b, b + cOff, dPtr, x + zOff, dStart, dEnd, dState, gateRelu);
    }
    return;
  }
  scan16_channels(yPtr, yStride, ssmStatePtr, xPtr, xStride, dtPtr, dtStride, aPtr, bPtr, bStride, cOff, dPtr, dStart, dEnd, nTok);
  for (let t = 0; t < nTok; t++) {
    const tt = <usize>t;
    gate_range(yPtr + tt * yStride, xPtr + tt * xStride + zOff, dStart, dEnd, gateRelu);
  }
}

/**
 * Pass 1 of the scan for dState = 16, channels [dStart, dEnd), nTok tokens: each channel's state (4 vectors)
 * and A stay in registers across the tokens; per token the operations of ssm_scan_step_f32's generic loop
 * (n = 0, 4, 8, 12, then the horizontal sum and D·x), unrolled — the same bits. Strides and offsets as in
 * ssm_scan_chunk_f32.
 */
@inline
function scan16_channels(
  yPtr: usize, yStride: usize, ssmStatePtr: usize, xPtr: usize, xStride: usize, dtPtr: usize, dtStride: usize,
  aPtr: usize, bPtr: usize, bStride: usize, cOff: usize, dPtr: usize, dStart: i32, dEnd: i32, nTok: i32,
): void {
  for (let d = dStart; d < dEnd; d++) {
    const o = <usize>d << 2;
    const h = ssmStatePtr + (o << 4);
    const a = aPtr + (o << 4);
    let h0 = v128.load(h);
    let h1 = v128.load(h, 16);
    let h2 = v128.load(h, 32);
    let h3 = v128.load(h, 48);
    const a0 = v128.load(a);
    const a1 = v128.load(a, 16);
    const a2 = v128.load(a, 32);
    const a3 = v128.load(a, 48);
    const D = load<f32>(dPtr + o);
    for (let t = 0; t < nTok; t++) {
      const tt = <usize>t;
      const x = load<f32>(xPtr + tt * xStride + o);
      const dt = load<f32>(dtPtr + tt * dtStride + o);
      const vdt = f32x4.splat(dt * LOG2E_F32);
      const vxdt = f32x4.splat(x * dt);
      const B = bPtr + tt * bStride;
      const C = B + cOff;
      // the operations of ssm_scan_step_f32's vector loop, n = 0, 4, 8, 12
      h0 = f32x4.add(f32x4.mul(h0, exp2_sat_f32x4(f32x4.mul(vdt, a0))), f32x4.mul(vxdt, v128.load(B)));
      h1 = f32x4.add(f32x4.mul(h1, exp2_sat_f32x4(f32x4.mul(vdt, a1))), f32x4.mul(vxdt, v128.load(B, 16)));
      h2 = f32x4.add(f32x4.mul(h2, exp2_sat_f32x4(f32x4.mul(vdt, a2))), f32x4.mul(vxdt, v128.load(B, 32)));
      h3 = f32x4.add(f32x4.mul(h3, exp2_sat_f32x4(f32x4.mul(vdt, a3))), f32x4.mul(vxdt, v128.load(B, 48)));
      let acc = f32x4.add(f32x4.splat(0), f32x4.mul(h0, v128.load(C)));
      acc = f32x4.add(acc, f32x4.mul(h1, v128.load(C, 16)));
      acc = f32x4.add(acc, f32x4.mul(h2, v128.load(C, 32)));
      acc = f32x4.add(acc, f32x4.mul(h3, v128.load(C, 48)));
      store<f32>(yPtr + tt * yStride + o, hsum_f32x4(acc) + D * x);
    }
    v128.store(h, h0);
    v128.store(h, h1, 16);
    v128.store(h, h2, 32);
    v128.store(h, h3, 48);
  }
}
