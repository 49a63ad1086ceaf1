/**
 * Saved sequence state: everything needed to continue a generation exactly where it stopped.
 *
 *   offset  size        field
 *   0       8           magic "MAMBASTA"
 *   8       4  u32      version (1)
 *   12      16 ascii    model fingerprint (hex of FNV-1a 64, see model-fingerprint.ts)
 *   28      4  u32 ×5   nLayer, dInner, dConv, dState, dModel
 *   48      4  u32      nTokens: tokens fed so far
 *   52      4  i32      pending token: sampled but not yet fed (−1: none)
 *   56      16          sampler RNG state (4 × u32)
 *   72      4 × nTokens u32 token ids
 *   …       4 × n       f32 recurrent state (MambaState.data: per layer conv then ssm)
 *   end−8   8           FNV-1a 64 of all bytes before it
 */
import { ModelFormatError } from '../errors.js';
import type { MambaConfig } from '../model/mamba-config.js';
import { Fnv1a64 } from './model-fingerprint.js';

export const STATE_MAGIC = 'MAMBASTA';
export const STATE_VERSION = 1;
const HEADER_BYTES = 72;

export interface SavedState {
  fingerprint: string;
  tokens: number[];
  pendingToken: number | undefined;
  rngState: Uint32Array;
  /** MambaState.data */
  state: Float32Array;
}

function dims(c: MambaConfig): number[] {
  return [c.nLayer, c.dInner, c.dConv, c.dState, c.dModel];
}

export function encodeState(c: MambaConfig, s: SavedState): Uint8Array {
  const n = HEADER_BYTES + 4 * s.tokens.length + s.state.byteLength + 8;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  out.set(new TextEncoder().encode(STATE_MAGIC), 0);
  dv.setUint32(8, STATE_VERSION, true);
  out.set(new TextEncoder().encode(s.fingerprint.padEnd(16, '0').slice(0, 16)), 12);
  dims(c).forEach((d, i) => dv.setUint32(28 + 4 * i, d, true));
  dv.setUint32(48, s.tokens.length, true);
  dv.setInt32(52, s.pendingToken ?? -1, true);
  for (let i = 0; i < 4; i++) dv.setUint32(56 + 4 * i, s.rngState[i] ?? 0, true);
  let o = HEADER_BYTES;
  for (const t of s.tokens) {
    dv.setUint32(o, t, true);
    o += 4;
  }
  for (let i = 0; i < s.state.length; i++) {
    dv.setFloat32(o, s.state[i], true);
    o += 4;
  }
  const sum = new Fnv1a64().bytes(out.subarray(0, o)).hex();
  dv.setBigUint64(o, BigInt('0x' + sum), true);
  return out;
}

/**
 * Decodes a state file for the model with config `c` and `fingerprint`; any mismatch (other model,
 * truncation, corruption, version) is a typed error saying which.
 */
export function decodeState(bytes: Uint8Array, c: MambaConfig, fingerprint: string, file: string): SavedState {
  const fail = (msg: string, hint?: string): never => {
    throw new ModelFormatError(file, msg, { hint });
  };
  if (bytes.byteLength < HEADER_BYTES + 8) fail(`${bytes.byteLength} bytes is too short for a state file`, 'the file is truncated');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== STATE_MAGIC) fail('not a mamba.ts state file (bad magic)', 'pass a file written by --save-state');
  const version = dv.getUint32(8, true);
  if (version !== STATE_VERSION) fail(`state file version ${version}; this mamba.ts reads version ${STATE_VERSION}`, 'save the state again with this version');
  const fileDims = Array.from({ length: 5 }, (_, i) => dv.getUint32(28 + 4 * i, true));
  const want = dims(c);
  if (fileDims.join() !== want.join()) {
    fail(`state is for a model with (n_layer, d_inner, d_conv, d_state, d_model) = (${fileDims.join(', ')}), this model has (${want.join(', ')})`, 'load it with the model that saved it');
  }
  const fp = new TextDecoder().decode(bytes.subarray(12, 28));
  if (fp !== fingerprint) fail(`state was saved by a different model (fingerprint ${fp}, this model ${fingerprint})`, 'load it with the model that saved it');
  const nTokens = dv.getUint32(48, true);
  const nState = c.nLayer * c.dInner * (c.dConv - 1 + c.dState);
  const expected = HEADER_BYTES + 4 * nTokens + 4 * nState + 8;
  if (bytes.byteLength !== expected) fail(`state file is ${bytes.byteLength} bytes, expected ${expected}`, 'the file is truncated or corrupt');
  const sumAt = expected - 8;
  const sum = new Fnv1a64().bytes(bytes.subarray(0, sumAt)).hex();
  if (dv.getBigUint64(sumAt, true) !== BigInt('0x' + sum)) fail('checksum mismatch: the file is corrupt');
  const pending = dv.getInt32(52, true);
  const rngState = new Uint32Array(4);
  for (let i = 0; i < 4; i++) rngState[i] = dv.getUint32(56 + 4 * i, true);
  const tokens: number[] = new Array(nTokens);
  let o = HEADER_BYTES;
  for (let i = 0; i < nTokens; i++, o += 4) tokens[i] = dv.getUint32(o, true);
  if (pending >= c.nVocab || tokens.some((t) => t >= c.nVocab)) fail(`token id out of range for a vocabulary of ${c.nVocab}`);
  const state = new Float32Array(nState);
  for (let i = 0; i < nState; i++, o += 4) state[i] = dv.getFloat32(o, true);
  return { fingerprint: fp, tokens, pendingToken: pending < 0 ? undefined : pending, rngState, state };
}
