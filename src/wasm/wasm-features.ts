/**
 * What this runtime's WebAssembly can do, detected once at import and frozen:
 *   simd          — SIMD128 (v128): the kernels need it (Node ≥ 16.4, every current browser).
 *   sharedMemory  — a `shared: true` WebAssembly.Memory can be created (SharedArrayBuffer available; in a
 *                   browser that means a cross-origin isolated page). Threads need it; one thread does not.
 */

/** (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): valid only where SIMD128 is. */
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b,
]);

import { WebAssemblyJS } from './webassembly-api.js';

export interface WasmFeatures {
  readonly simd: boolean;
  readonly sharedMemory: boolean;
}

function detectSimd(): boolean {
  try {
    return WebAssemblyJS !== undefined && WebAssemblyJS.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

function detectSharedMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || WebAssemblyJS === undefined) return false;
  try {
    return new WebAssemblyJS.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

export const WASM_FEATURES: WasmFeatures = Object.freeze({ simd: detectSimd(), sharedMemory: detectSharedMemory() });
