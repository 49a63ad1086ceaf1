/**
 * The part of the WebAssembly JS API the backend uses, typed here because the project compiles against
 * lib ES2022 (no DOM) and @types/node does not declare `WebAssembly`. Module-local types, no globals
 * declared: nothing clashes if a DOM lib is added later.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** A compiled module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WebAssemblyApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: { imports(module: WasmModule): { module: string; name: string; kind: string }[] };
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: Record<string, Record<string, unknown>>): Promise<WasmInstance>;
}

/** `globalThis.WebAssembly`, or undefined in a runtime without it. */
export const WebAssemblyJS: WebAssemblyApi | undefined = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
