/**
 * Mamba.step's causal depthwise conv1d on one new input, with its bias and the SiLU after it:
 *
 *   conv_state = torch.roll(conv_state, shifts=-1, dims=-1); conv_state[:, :, -1] = x
 *   x = torch.sum(conv_state * rearrange(self.conv1d.weight, "d 1 w -> d w"), dim=-1) + self.conv1d.bias
 *   x = self.act(x)                                                        (dInner)
 *
 * x (dInner) is read and overwritten with the output; convState (dInner, dConv−1) holds the previous inputs,
 * oldest first; w (dInner, dConv); bias (dInner), or 0 for none. Channels [dStart, dEnd).
 */
import { silu_f32, silu_f32x4 } from './common';

export function ssm_conv1d_step_silu_f32(xPtr: usize, convStatePtr: usize, wPtr: usize, biasPtr: usize, dStart: i32, dEnd: i32, dConv: i32): void {
  const k = dConv - 1;
  let d = dStart;
  // Mamba's d_conv = 4: four channels at a time (conv4_chunk_silu for one token)
  if (dConv == 4) for (; d + 4 <= dEnd; d += 4) conv4_chunk_silu(xPtr, 0, convStatePtr, wPtr, biasPtr, d, 1);
  for (; d < dEnd; d++) {
    const xd = load<f32>(xPtr + (<usize>d << 2));
    const w = wPtr + (<usize>(d * dConv) << 2);
    const st = convStatePtr + (<usize>(d * k) << 2);
    let s: f32 = biasPtr != 0 ? load<f32>(biasPtr + (<usize>d << 2)) : 0;
    for (let j = 0; j < k; j++) s += load<f32>(st + (<usize>j << 2)) * load<f32>(w + (<usize>j << 2));
    s += xd * load<f32>(w + (<usize>k << 2));
    for (let j = 0; j < k - 1; j++) store<f32>(st + (<usize>j << 2), load<f32>(st + (<usize>(j + 1) << 2)));
    if (k > 0) store<f32>(st + (<usize>(k - 1) << 2), xd);
    store<f32>(xPtr + (<usize>d << 2), silu_f32(s));
  }
}

/**
 * ssm_conv1d_step_silu_f32 for nTok tokens of one sequence in order (a prompt chunk: token t's x at
 * xPtr + t·xStrideBytes), channels [dStart, dEnd): the bits of nTok step calls. For dConv = 4, each group of four
 * channels keeps its transposed taps and its three previous inputs in registers across the tokens (no shuffles
 * per token; the state is written back once): 1.3–1.4× the step calls (130m, 64-token chunks). Other dConv, and the
 * channels after the last group of four, run the step's scalar loop token by token.
 */
export function ssm_conv1d_chunk_silu_f32(
  xPtr: usize, xStrideBytes: i32, convStatePtr: usize, wPtr: usize, biasPtr: usize, dStart: i32, dEnd: i32, dConv: i32, nTok: i32,
): void {
  const xs = <usize>xStrideBytes;
  let d = dStart;
  if (dConv == 4) for (; d + 4 <= dEnd; d += 4) conv4_chunk_silu(xPtr, xs, convStatePtr, wPtr, biasPtr, d, nTok);
  if (d < dEnd) for (let t = 0; t < nTok; t++) ssm_conv1d_step_silu_f32(xPtr + <usize>t * xs, convStatePtr, wPtr, biasPtr, d, dEnd, dConv);
}

/**
 * Channels d … d+3 for dConv = 4, nTok tokens (the step: one): their weights and states transposed into lanes,
 * each lane doing the scalar loop's operations in its order, then SiLU's vector twin — the scalar loop's bits.
 */
@inline
function conv4_chunk_silu(xPtr: usize, xs: usize, convStatePtr: usize, wPtr: usize, biasPtr: usize, d: i32, nTok: i32): void {
  const w = wPtr + (<usize>d << 4); // (4 channels, 4 taps), row-major
  const W0 = v128.load(w);
  const W1 = v128.load(w, 16);
  const W2 = v128.load(w, 32);
  const W3 = v128.load(w, 48);
  const t0 = v128.shuffle<f32>(W0, W1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(W2, W3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(W0, W1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(W2, W3, 2, 6, 3, 7);
  const w0 = v128.shuffle<f32>(t0, t1, 0, 1, 4, 5); // tap 0 of the 4 channels
  const w1 = v128.shuffle<f32>(t0, t1, 2, 3, 6, 7);
  const w2 = v128.shuffle<f32>(t2, t3, 0, 1, 4, 5);
  const w3 = v128.shuffle<f32>(t2, t3, 2, 3, 6, 7); // the tap of the new input
  // states: [s00 s01 s02 s10] [s11 s12 s20 s21] [s22 s30 s31 s32] (channel c, oldest first)
  const st = convStatePtr + <usize>d * 12;
  const S0 = v128.load(st);
  const S1 = v128.load(st, 16);
  const S2 = v128.load(st, 32);
  let s0 = v128.shuffle<f32>(v128.shuffle<f32>(S0, S1, 0, 3, 6, 6), S2, 0, 1, 2, 5); // s00 s10 s20 s30
  let s1 = v128.shuffle<f32>(v128.shuffle<f32>(S0, S1, 1, 4, 7, 7), S2, 0, 1, 2, 6); // s01 s11 s21 s31
  let s2 = v128.shuffle<f32>(v128.shuffle<f32>(S0, S1, 2, 5, 5, 5), S2, 0, 1, 4, 7); // s02 s12 s22 s32
  const bias = biasPtr != 0 ? v128.load(biasPtr + (<usize>d << 2)) : f32x4.splat(0);
  let xo = xPtr + (<usize>d << 2);
  for (let t = 0; t < nTok; t++, xo += xs) {
    const x = v128.load(xo);
    let s = f32x4.add(bias, f32x4.mul(s0, w0));
    s = f32x4.add(s, f32x4.mul(s1, w1));
    s = f32x4.add(s, f32x4.mul(s2, w2));
    s = f32x4.add(s, f32x4.mul(x, w3));
    s0 = s1;
    s1 = s2;
    s2 = x; // the roll: channel c keeps [s_c1, s_c2, x_c]
    v128.store(xo, silu_f32x4(s));
  }
  // back to [s_c0 s_c1 s_c2] per channel: [s00 s01 s02 s10] [s11 s12 s20 s21] [s22 s30 s31 s32]
  v128.store(st, v128.shuffle<f32>(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), s2, 0, 1, 4, 2));
  v128.store(st, v128.shuffle<f32>(v128.shuffle<f32>(s1, s2, 1, 5, 2, 6), s0, 0, 1, 6, 2), 16);
  v128.store(st, v128.shuffle<f32>(v128.shuffle<f32>(s2, s0, 2, 7, 3, 3), s1, 0, 1, 7, 2), 32);
}
