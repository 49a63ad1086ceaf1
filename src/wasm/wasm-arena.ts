/**
 * A bump arena over the one WebAssembly.Memory that JS owns and the kernels import. Used in two phases:
 * plan (`alloc` returns byte offsets — the kernels' `…Ptr` arguments — while nothing exists yet), then
 * `createMemory` makes a memory of exactly that size. Nothing is allocated or grown afterwards, so views
 * on `memory.buffer` stay valid for the life of the backend.
 *
 *   [0, KERNEL_RESERVED_BYTES)   the module's own static data (AssemblyScript's __heap_base lies below)
 *   [KERNEL_RESERVED_BYTES, …)   whatever the owner allocates, each block aligned to ARENA_ALIGN bytes
 */
import { UnsupportedError } from '../errors.js';
import { WebAssemblyJS, type WasmMemory } from './webassembly-api.js';

export const WASM_PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB: 65536 pages. */
export const WASM_MAX_PAGES = 65536;
/** One page kept for the module's static data; pointer 0 never names an arena block (0 = "none"). */
export const KERNEL_RESERVED_BYTES = WASM_PAGE_BYTES;
/** Cache-line alignment for every block (v128 loads need only 16). */
export const ARENA_ALIGN = 64;

export interface ArenaBlock {
  readonly label: string;
  readonly ptr: number;
  readonly nBytes: number;
}

export class WasmArena {
  private top = KERNEL_RESERVED_BYTES;
  readonly blocks: ArenaBlock[] = [];
  private memory: WasmMemory | undefined;

  /** Reserves `nBytes` and returns its byte offset (pointer). Only before `createMemory`. */
  alloc(label: string, nBytes: number, align = ARENA_ALIGN): number {
    if (this.memory) throw new Error(`arena: cannot allocate ${label} after the memory was created`);
    const ptr = Math.ceil(this.top / align) * align;
    this.top = ptr + nBytes;
    this.blocks.push({ label, ptr, nBytes });
    return ptr;
  }

  /** Bytes planned so far (the reserved first page included). */
  get nBytes(): number {
    return this.top;
  }

  /** Creates the memory holding every block (shared when asked: for worker threads). */
  createMemory(shared: boolean): WasmMemory {
    const pages = Math.ceil(this.top / WASM_PAGE_BYTES);
    if (pages > WASM_MAX_PAGES) {
      throw new UnsupportedError(`the model needs ${(this.top / 2 ** 30).toFixed(2)} GiB of WebAssembly memory; wasm32 addresses at most 4 GiB`, {
        hint: 'use a quantized file (Q8_0 or Q4_0) or the scalar backend',
      });
    }
    this.memory = new WebAssemblyJS!.Memory({ initial: pages, maximum: pages, shared });
    return this.memory;
  }

  /** Bytes per label prefix (the text before the first '.'), for reports: weights, state, scratch, logits. */
  summary(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const b of this.blocks) {
      const key = b.label.split('.')[0];
      out[key] = (out[key] ?? 0) + b.nBytes;
    }
    return out;
  }
}
