/** Weights per super-block of the k-quants (Q2_K … Q8_K) and the ternary types (TQ1_0, TQ2_0): ggml `QK_K`. */
export const QK_K = 256;
