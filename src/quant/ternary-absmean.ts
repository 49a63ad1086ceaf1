/**
 * BitNet b1.58 "absmean" ternarization, stored in the ggml ternary layouts (TQ1_0 / TQ2_0).
 *
 *   γ = mean(|W|) over the row                       (the paper takes it over the whole matrix; per row here, so a
 *                                                      tensor quantizes row by row like every other type)
 *   W̃ = RoundClip(W / γ, −1, 1) = max(−1, min(1, round(W / γ)))   round half to even, as torch.round
 *   Ŵ = γ · W̃
 *
 * Every block of the row stores the same scale d = f16(γ), so dequantizing gives f16(γ) · W̃: within 2^-11·γ of
 * γ·W̃ (γ is a normal half for γ ≥ 2^-14 ≈ 6.1e-5; below that the half is subnormal, absolute error ≤ 2^-25).
 * W / γ is computed as W · (1/γ) in float32, as BitNet's `w * (1 / w.abs().mean())`. An all-zero row stores
 * d = 0 and zero trits.
 *
 * Compare ggml's default (absmax): d = max|W| per 256-block and t = round(W / d), which keeps only the weights
 * with |W| ≥ d/2 and is meant for models whose weights are already ternary.
 */
import { QK_K } from './qk-k.js';
import { roundHalfToEven } from './rounding.js';
import { TQ1_0_BLOCK_BYTES, packTQ1_0Block } from './tq1_0.js';
import { TQ2_0_BLOCK_BYTES, packTQ2_0Block } from './tq2_0.js';

export type TernaryScale = 'absmax' | 'absmean';
export type TernaryType = 'TQ1_0' | 'TQ2_0';

const PACK = {
  TQ1_0: { pack: packTQ1_0Block, blockBytes: TQ1_0_BLOCK_BYTES },
  TQ2_0: { pack: packTQ2_0Block, blockBytes: TQ2_0_BLOCK_BYTES },
} as const;

/** γ = mean|W| of a row (summed in double, rounded once to float32). */
export function absmean(row: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.abs(row[i]);
  return Math.fround(sum / row.length);
}

/**
 * Quantizes one row (a multiple of 256 values) with the absmean scale into `dst`
 * (row.length / 256 blocks of `type`). Returns γ.
 */
export function quantizeRowTernaryAbsmean(row: Float32Array, type: TernaryType, dst: Uint8Array): number {
  const { pack, blockBytes } = PACK[type];
  const gamma = absmean(row);
  const inv = gamma > 0 ? Math.fround(1 / gamma) : 0;
  const t = new Int8Array(row.length);
  for (let i = 0; i < row.length; i++) t[i] = Math.max(-1, Math.min(1, roundHalfToEven(Math.fround(row[i] * inv))));
  for (let b = 0; b < row.length / QK_K; b++) pack(t, b * QK_K, gamma, dst, b * blockBytes);
  return gamma;
}
