/**
 * The sampler's seeded PRNG: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c)
 * on four 32-bit words, seeded through splitmix32 so that nearby seeds give unrelated streams.
 * The whole state is 16 bytes; `getState`/`setState` let a session file save and restore it exactly.
 */
import { ConfigError } from '../errors.js';

/** The four 32-bit words of xoshiro128** state. Never all zero. */
export type RngState = readonly [number, number, number, number];

export const MAX_SEED = 0xffffffff;

const TWO_POW_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  /** s[0..3]: xoshiro128** state words. */
  private readonly s = new Uint32Array(4);

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed`, an integer in [0, 2^32 − 1]. */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
      throw new ConfigError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
    }
    // splitmix32: a Weyl sequence (golden-ratio increment) through a 32-bit finaliser.
    let a = seed | 0;
    for (let i = 0; i < 4; i++) {
      a = (a + 0x9e3779b9) | 0;
      let t = a ^ (a >>> 16);
      t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15;
      t = Math.imul(t, 0x735a2d97);
      this.s[i] = t ^ (t >>> 15);
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform number in [0, 1) with 2^-32 resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  getState(): RngState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  setState(state: ArrayLike<number>): void {
    const ok =
      state.length === 4 &&
      Array.prototype.every.call(state, (w: number) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) &&
      (state[0] | state[1] | state[2] | state[3]) !== 0;
    if (!ok) {
      throw new ConfigError(`RNG state must be 4 unsigned 32-bit integers, not all zero; got [${Array.from(state).join(', ')}]`, {
        hint: 'pass a state saved by Sampler.getState()',
      });
    }
    this.s.set(state);
  }
}
