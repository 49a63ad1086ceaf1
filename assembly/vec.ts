/** Element-wise vector ops on a range [start, end) (biases, the last residual add). */

/** out[i] += x[i] for i in [start, end). */
export function add_f32(outPtr: usize, xPtr: usize, start: i32, end: i32): void {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const o = <usize>i << 2;
    v128.store(outPtr + o, f32x4.add(v128.load(outPtr + o), v128.load(xPtr + o)));
  }
  for (; i < end; i++) {
    const o = <usize>i << 2;
    store<f32>(outPtr + o, load<f32>(outPtr + o) + load<f32>(xPtr + o));
  }
}
