/** A wasm memory + kernel instance for kernel tests, with a bump allocator and typed views. */
import assert from 'node:assert/strict';
import { instantiateKernels, loadKernelModule, type MambaKernels } from '../../src/wasm/kernel-module.js';
import { KERNEL_RESERVED_BYTES } from '../../src/wasm/wasm-arena.js';
import { WebAssemblyJS, type WasmMemory } from '../../src/wasm/webassembly-api.js';

export class KernelHarness {
  private top = KERNEL_RESERVED_BYTES;

  private constructor(
    readonly k: MambaKernels,
    readonly memory: WasmMemory,
  ) {}

  static async create(opts: { shared?: boolean; pages?: number } = {}): Promise<KernelHarness> {
    const shared = opts.shared ?? false;
    const pages = opts.pages ?? 64;
    const memory = new WebAssemblyJS!.Memory({ initial: pages, maximum: pages, shared });
    return new KernelHarness(await instantiateKernels(await loadKernelModule({ shared }), memory), memory);
  }

  /** Frees everything allocated so far. */
  reset(): void {
    this.top = KERNEL_RESERVED_BYTES;
  }

  /**
   * Reserves `nBytes`, 4-byte aligned but deliberately off 16-byte alignment (`misalign` bytes past a 64-byte
   * boundary) so the kernels' v128 loads are tested unaligned too. Filled with a 0xA5 sentinel.
   */
  alloc(nBytes: number, misalign = 4): number {
    const ptr = Math.ceil(this.top / 64) * 64 + misalign;
    this.top = ptr + nBytes + 64;
    if (this.top > this.memory.buffer.byteLength) throw new Error('harness memory exhausted');
    new Uint8Array(this.memory.buffer, ptr, nBytes + 64).fill(0xa5);
    return ptr;
  }

  put(data: Float32Array | Uint8Array | Uint16Array): number {
    const ptr = this.alloc(data.byteLength);
    new Uint8Array(this.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return ptr;
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer.slice(ptr, ptr + 4 * n));
  }

  bytes(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer.slice(ptr, ptr + n));
  }
}

/** got equals want element by element with Object.is (±0 told apart; NaN equals NaN). */
export function exact(got: ArrayLike<number>, want: ArrayLike<number>, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) assert.ok(Object.is(got[i], want[i]), `${label} [${i}]: ${got[i]} ≠ ${want[i]}`);
}
