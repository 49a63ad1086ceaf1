/**
 * The compiled AssemblyScript kernels (assembly/ → dist/kernels/mamba-kernels.wasm): their signatures,
 * loading and instantiation. The module imports its memory (`env.memory`); it is built `shared` and patched
 * to a plain memory at load when shared memory is unavailable (same code, one byte of the import differs).
 */
import { FileAccessError, UnsupportedError } from '../errors.js';
import { WASM_FEATURES } from './wasm-features.js';
import { WebAssemblyJS, type WasmMemory, type WasmModule } from './webassembly-api.js';

/**
 * out[r] = W[r, :] · x for r in [rowStart, rowEnd); x is F32, or Q8_0 blocks (Q8_0, Q4_0 weights), or Q8_K blocks
 * (Q4_K, Q6_K, TQ1_0, TQ2_0 weights).
 */
export type MatvecKernel = (outPtr: number, wPtr: number, xPtr: number, rowStart: number, rowEnd: number, nIn: number) => void;
/** A matvec of two tokens at once (each half widened once for both): out0 ← W·x0, out1 ← W·x1 on rows [rowStart, rowEnd). */
export type Matvec2Kernel = (out0: number, out1: number, wPtr: number, x0: number, x1: number, rowStart: number, rowEnd: number, nIn: number) => void;
/**
 * out[t, r] = W[r, :] · x[t, :] for r in [rowStart, rowEnd), t < nTok: token t's activations at
 * xPtr + t·xStrideBytes (F32, or Q8_0 blocks for the quantized types), its outputs at outPtr + t·outStrideBytes.
 * Each (row, token) has the bits of the matvec of the same type.
 */
export type GemmKernel = (
  outPtr: number, wPtr: number, xPtr: number, rowStart: number, rowEnd: number, nIn: number, nTok: number,
  outStrideBytes: number, xStrideBytes: number,
) => void;

/** Q8_0 activations: 34 bytes per 32 values (block_q8_0). */
export const Q8_0_ACTIVATION_BYTES = (n: number): number => (n / 32) * 34;
/** Q8_K activations: 292 bytes per 256 values (block_q8_K: f32 d, int8 qs[256], int16 bsums[16]). */
export const Q8_K_ACTIVATION_BYTES = (n: number): number => (n / 256) * 292;

/**
 * A chunk's x (nTok tokens of nIn values at a stride of xStrideBytes) → planes at dst for a planes GEMM;
 * returns 1, or 0 when they do not apply (then the plain GEMM runs, with the same bits).
 */
export type PlanesPrepareKernel = (dst: number, xPtr: number, nIn: number, nTok: number, xStrideBytes: number) => number;

/** Bytes of the planes a chunk of nTok tokens of nIn values takes (assembly/gemm-planes.ts planes_bytes). */
export const PLANES_BYTES = (nIn: number, nTok: number): number => (((nTok + 3) & ~3) * nIn + 2 * nIn) * 4 + 2048;
/** The same for Q8_0 x (assembly/gemm-planes-q8_0.ts planes_q8_0_bytes). */
export const PLANES_Q8_0_BYTES = (nIn: number, nTok: number): number => ((nTok + 3) >> 2) * (nIn / 32) * 272 + 2 * (2 * nIn + (nIn / 32) * 4);

/** dt[d] = softplus(W[d, :] · x + bias[d]) for d in [rowStart, rowEnd). */
export type DtProjKernel = (dtPtr: number, wPtr: number, xPtr: number, biasPtr: number, rowStart: number, rowEnd: number, dtRank: number) => void;
/** out (n) f32 ← row `row` of W (nRows, n). */
export type GetRowsKernel = (outPtr: number, wPtr: number, row: number, n: number) => void;
/**
 * Prepares a matvec's x for a faster kernel of the same bits (once per matvec, into a per-thread buffer):
 * returns 1, or 0 when x does not allow it (then the plain kernel runs on x).
 */
export type PrepareKernel = (yPtr: number, xPtr: number, n: number) => number;

/** The module's exports (assembly/index.ts). */
export interface MambaKernels {
  matvec_f32_f32: MatvecKernel;
  matvec_f16_f32: MatvecKernel;
  matvec_q8_0_q8_0: MatvecKernel;
  matvec_q4_0_q8_0: MatvecKernel;
  /** matvec_f16_f32 on x·2^112 (f16_prescale_x): the same bits, faster widening. */
  matvec_f16_f32_prescaled: MatvecKernel;
  matvec2_f16_f32_prescaled: Matvec2Kernel;
  f16_prescale_x: PrepareKernel;
  /**
   * The F16 kernels on F16R weights (src/wasm/f16r.ts: F16 re-encoded with exponent bias 25, no subnormals):
   * the same bits as on the F16 weights they were made from. The prescaled matvec / dt_proj serve both
   * encodings; f16r_prescale_x prepares x·2^102 for them.
   */
  matvec_f16r_f32: MatvecKernel;
  f16r_prescale_x: PrepareKernel;
  gemm_f16r_f32: GemmKernel;
  get_rows_f16r: GetRowsKernel;
  ssm_dt_proj_softplus_f16r_f32: DtProjKernel;
  /**
   * The Q4_0 / Q8_0 kernels on Q4_0X2 / Q8_0X4 weights (src/wasm/interleave-rows.ts: row pairs / quads
   * interleaved block by block): the same bits as on the matrix they were made from.
   */
  matvec_q8_0x4_q8_0: MatvecKernel;
  matvec_q8_0x4_q8_0_widened: MatvecKernel;
  gemm_q8_0x4_q8_0: GemmKernel;
  gemm_q8_0x4_q8_0_widened: GemmKernel;
  get_rows_q8_0x4: GetRowsKernel;
  ssm_dt_proj_softplus_q8_0x4_q8_0: DtProjKernel;
  matvec_q4_0x2_q8_0: MatvecKernel;
  matvec_q4_0x2_q8_0_widened: MatvecKernel;
  gemm_q4_0x2_q8_0: GemmKernel;
  gemm_q4_0x2_q8_0_widened: GemmKernel;
  get_rows_q4_0x2: GetRowsKernel;
  ssm_dt_proj_softplus_q4_0x2_q8_0: DtProjKernel;
  /**
   * Interleaves a matrix's rows in groups in place (Q4_0X2: group 2 of 18-byte blocks; Q8_0X4: 4 of 34), through
   * tmp (a group's bytes); 1, or 0 (untouched) when nRows % group ≠ 0.
   */
  interleave_rows(ptr: number, nRows: number, nBlocks: number, blockBytes: number, group: number, tmpPtr: number): number;
  /** Re-encodes n F16 halves in place as F16R and returns 1 when every one is finite with |h| < 128; else 0, untouched. */
  recode_f16_f16r(ptr: number, n: number): number;
  /** matvec_q8_0_q8_0 on x widened to i16 once (widen_q8_0): the same bits. */
  matvec_q8_0_q8_0_widened: MatvecKernel;
  /** matvec_q4_0_q8_0 on x widened by widen_q8_0_q4_0 (+ 8·Σx lane sums, scales × 2^112): the same bits. */
  matvec_q4_0_q8_0_widened: MatvecKernel;
  widen_q8_0: PrepareKernel;
  widen_q8_0_q4_0: PrepareKernel;
  matvec_q4_k_q8_k: MatvecKernel;
  matvec_q6_k_q8_k: MatvecKernel;
  matvec_tq1_0_q8_k: MatvecKernel;
  matvec_tq2_0_q8_k: MatvecKernel;
  gemm_f32_f32: GemmKernel;
  gemm_f16_f32: GemmKernel;
  gemm_q8_0_q8_0: GemmKernel;
  gemm_q4_0_q8_0: GemmKernel;
  /** The GEMMs on tokens widened by widen_q8_0 / widen_q8_0_q4_0 (stride = 68 / 84 bytes per 32 values): the same bits. */
  gemm_q8_0_q8_0_widened: GemmKernel;
  gemm_q4_0_q8_0_widened: GemmKernel;
  /**
   * The F32 / F16 / F16R GEMMs on x prepared as planes (prepare_planes_f32; xStrideBytes unused): the same
   * bits as gemm_f32_f32 / gemm_f16_f32 / gemm_f16r_f32, in a register tile of 2 rows × 16 tokens.
   */
  gemm_f32_f32_planes: GemmKernel;
  gemm_f16_f32_planes: GemmKernel;
  gemm_f16r_f32_planes: GemmKernel;
  /**
   * Chunk x (nTok tokens of nIn f32, a stride of xStrideBytes) → planes_bytes(nIn, nTok) bytes at dst for the
   * planes GEMMs; returns 1, or 0 when they do not apply (nIn % 16 ≠ 0 or nTok < 4).
   */
  prepare_planes_f32: PlanesPrepareKernel;
  /** Bytes a planes GEMM uses (the planes, its partial sums, two widened rows). */
  planes_bytes(nIn: number, nTok: number): number;
  /**
   * The Q8_0 / Q8_0X4 GEMMs on Q8_0 x prepared as planes (prepare_planes_q8_0: pairs of four tokens in i16
   * lanes; xStrideBytes unused): the bits of gemm_q8_0_q8_0, in a register tile of 2 rows × 8 tokens.
   */
  gemm_q8_0_q8_0_planes: GemmKernel;
  gemm_q8_0x4_q8_0_planes: GemmKernel;
  /** The same planes for Q4_0 / Q4_0X2 weights, in Q4_0's order: the bits of gemm_q4_0_q8_0. */
  gemm_q4_0_q8_0_planes: GemmKernel;
  gemm_q4_0x2_q8_0_planes: GemmKernel;
  prepare_planes_q8_0: PlanesPrepareKernel;
  planes_q8_0_bytes(nIn: number, nTok: number): number;
  gemm_q4_k_q8_k: GemmKernel;
  gemm_q6_k_q8_k: GemmKernel;
  gemm_tq1_0_q8_k: GemmKernel;
  gemm_tq2_0_q8_k: GemmKernel;
  /** y (n/32 Q8_0 blocks) ← x (n f32); n % 32 == 0. */
  quantize_row_q8_0(yPtr: number, xPtr: number, n: number): void;
  /** y (n/256 Q8_K blocks) ← x (n f32); n % 256 == 0. */
  quantize_row_q8_k(yPtr: number, xPtr: number, n: number): void;
  get_rows_f32: GetRowsKernel;
  get_rows_f16: GetRowsKernel;
  get_rows_q8_0: GetRowsKernel;
  get_rows_q4_0: GetRowsKernel;
  get_rows_q4_k: GetRowsKernel;
  get_rows_q6_k: GetRowsKernel;
  get_rows_tq1_0: GetRowsKernel;
  get_rows_tq2_0: GetRowsKernel;
  /** out (n) = rmsnorm(x) · w. */
  rms_norm_f32(outPtr: number, xPtr: number, wPtr: number, n: number, eps: number): void;
  /** hidden += delta; out = rmsnorm(hidden) · w. */
  add_rms_norm_f32(outPtr: number, hiddenPtr: number, deltaPtr: number, wPtr: number, n: number, eps: number): void;
  /** out[i] += x[i] for i in [start, end). */
  add_f32(outPtr: number, xPtr: number, start: number, end: number): void;
  /** x[d] ← silu(conv1d(convState[d] ++ x[d]) + bias[d]); convState shifted; d in [dStart, dEnd); biasPtr 0 = none. */
  ssm_conv1d_step_silu_f32(xPtr: number, convStatePtr: number, wPtr: number, biasPtr: number, dStart: number, dEnd: number, dConv: number): void;
  /** ssm_conv1d_step_silu_f32 for nTok tokens of one sequence in order (x rows at a stride of xStrideBytes): the bits of nTok steps. */
  ssm_conv1d_chunk_silu_f32(xPtr: number, xStrideBytes: number, convStatePtr: number, wPtr: number, biasPtr: number, dStart: number, dEnd: number, dConv: number, nTok: number): void;
  ssm_dt_proj_softplus_f32_f32: DtProjKernel;
  ssm_dt_proj_softplus_f16_f32: DtProjKernel;
  /** ssm_dt_proj_softplus_f16_f32 on x prepared by f16_prescale_x, four rows per horizontal sum: the same bits. */
  ssm_dt_proj_softplus_f16_f32_prescaled: DtProjKernel;
  ssm_dt_proj_softplus_q8_0_q8_0: DtProjKernel;
  ssm_dt_proj_softplus_q4_0_q8_0: DtProjKernel;
  /** dt[d] = softplus(dt[d] + bias[d]) for d in [dStart, dEnd) (after dt_proj as a GEMM). */
  ssm_dt_softplus_f32(dtPtr: number, biasPtr: number, dStart: number, dEnd: number): void;
  /** h = h·exp(dt·A) + x·dt·B; y = (h·C + D·x)·act(z) (act = SiLU, ReLU if gateRelu), for channels [dStart, dEnd). */
  ssm_scan_step_f32(
    yPtr: number, ssmStatePtr: number, xPtr: number, dtPtr: number, aPtr: number, bPtr: number, cPtr: number,
    dPtr: number, zPtr: number, dStart: number, dEnd: number, dState: number, gateRelu: number,
  ): void;
  /**
   * ssm_scan_step_f32 for nTok tokens in order (the same bits): token t's x at xPtr + t·xStride (z at + zOff),
   * dt at dtPtr + t·dtStride, B at bPtr + t·bStride (C at + cOff), y at yPtr + t·yStride; strides in bytes.
   */
  ssm_scan_chunk_f32(
    yPtr: number, yStride: number, ssmStatePtr: number, xPtr: number, xStride: number, zOff: number, dtPtr: number, dtStride: number,
    aPtr: number, bPtr: number, bStride: number, cOff: number, dPtr: number, dStart: number, dEnd: number, dState: number, nTok: number, gateRelu: number,
  ): void;
  /** End of the module's static data (must lie below KERNEL_RESERVED_BYTES). */
  heap_base(): number;
}

/** Where `npm run build` puts the module, relative to this file (dist/src/wasm/ → dist/kernels/). */
export const KERNELS_URL = new URL('../../kernels/mamba-kernels.wasm', import.meta.url);

async function readKernelBytes(url: URL): Promise<Uint8Array> {
  if (url.protocol === 'file:') {
    // Node: fetch() does not read file: URLs. The only platform import of the core, loaded on demand.
    const { readFile } = await import('node:fs/promises');
    try {
      return await readFile(url);
    } catch (e) {
      throw new FileAccessError(`WASM kernels not found at ${decodeURIComponent(url.pathname)}`, {
        hint: 'run `npm run build` (it compiles assembly/ with AssemblyScript), or use the scalar backend',
        cause: e,
      });
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new FileAccessError(`WASM kernels not found at ${url.href} (HTTP ${res.status})`, { hint: 'serve dist/kernels/mamba-kernels.wasm next to dist/src' });
  return new Uint8Array(await res.arrayBuffer());
}

function readLeb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

/**
 * A copy of a module whose imported memory is declared shared (limits flag 0x03) with the flag set as asked
 * (0x01 = min + max, not shared). Only the import section is walked; sizes do not change.
 */
export function withSharedMemoryImport(bytes: Uint8Array, shared: boolean): Uint8Array {
  const out = new Uint8Array(bytes); // a copy (Buffer#slice would be a view)
  let pos = 8;
  while (pos < out.length) {
    const id = out[pos++];
    const [size, start] = readLeb(out, pos);
    pos = start;
    if (id === 2) {
      let [count, p] = readLeb(out, pos);
      for (; count > 0; count--) {
        let len: number;
        [len, p] = readLeb(out, p);
        p += len; // module name
        [len, p] = readLeb(out, p);
        p += len; // field name
        const kind = out[p++];
        if (kind === 0) [, p] = readLeb(out, p);
        else if (kind === 1 || kind === 2) {
          if (kind === 1) p++; // reftype
          const flags = out[p];
          if (kind === 2) {
            out[p] = shared ? flags | 0x02 : flags & ~0x02;
            return out;
          }
          [, p] = readLeb(out, p + 1);
          if (flags & 1) [, p] = readLeb(out, p);
        } else if (kind === 3) p += 2;
        else [, p] = readLeb(out, p + 1);
      }
    }
    pos = start + size;
  }
  throw new Error('kernel module imports no memory');
}

const compiled = new Map<string, Promise<WasmModule>>();

export interface KernelModuleSource {
  /** Declare the imported memory shared (worker threads) or not. */
  shared: boolean;
  /** The module's bytes, for a host that fetched them itself. */
  bytes?: Uint8Array;
  /** Where to read the module from (default KERNELS_URL: dist/kernels/mamba-kernels.wasm). */
  url?: URL;
}

/** Compiles the kernel module, once per (url, shared) unless given as bytes. */
export function loadKernelModule(src: KernelModuleSource): Promise<WasmModule> {
  if (!WASM_FEATURES.simd) {
    return Promise.reject(new UnsupportedError('this JavaScript runtime has no WebAssembly SIMD128', { hint: "use the scalar backend (backend: 'scalar')" }));
  }
  const compile = async () => WebAssemblyJS!.compile(withSharedMemoryImport(src.bytes ?? (await readKernelBytes(src.url ?? KERNELS_URL)), src.shared));
  if (src.bytes) return compile();
  const key = `${(src.url ?? KERNELS_URL).href}|${src.shared}`;
  let m = compiled.get(key);
  if (!m) {
    m = compile();
    compiled.set(key, m);
    m.catch(() => compiled.delete(key));
  }
  return m;
}

/** Instantiates the kernels on `memory` (whose `shared` must match the module's). */
export async function instantiateKernels(module: WasmModule, memory: WasmMemory): Promise<MambaKernels> {
  const instance = await WebAssemblyJS!.instantiate(module, { env: { memory } });
  return instance.exports as unknown as MambaKernels;
}
