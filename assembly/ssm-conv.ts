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
import { silu_f32 } from './common';

export function ssm_conv1d_step_silu_f32(xPtr: usize, convStatePtr: usize, wPtr: usize, biasPtr: usize, dStart: i32, dEnd: i32, dConv: i32): void {
  const k = dConv - 1;
  for (let d = dStart; d < dEnd; d++) {
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
