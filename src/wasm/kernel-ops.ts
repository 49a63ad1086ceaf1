/**
 * The row-parallel operations of the forward pass. Each is a kernel call, or a short fused run of them, over a
 * range [start, end) of rows, channels or tokens; its arguments are 32-bit words in an `Int32Array` (f32
 * arguments as their bits), so the calling thread and the pool's workers (kernel-pool.ts) run the same code,
 * on the same memory, from the same words. Ranges only partition outputs — never a reduction — and every kernel
 * computes a row the same way in any range, so the results are the same bits for any split and thread count.
 *
 * Token-major layouts for a chunk of nTok tokens: token t's vector of an op at `ptr + t·strideBytes`.
 */
import { type DtProjKernel, type PlanesPrepareKernel, type GemmKernel, type MambaKernels, type Matvec2Kernel, type MatvecKernel, type PrepareKernel } from './kernel-module.js';
import { fileTypeOf, WEIGHT_KERNELS, type ActivationType, type WasmWeightType } from './weight-kernels.js';
import type { WasmMemory } from './webassembly-api.js';
import { ggmlType } from '../ggml/ggml-type.js';

/** Weight types by id, as written in the argument words. */
export const WEIGHT_TYPE_IDS: readonly WasmWeightType[] = Object.freeze(Object.keys(WEIGHT_KERNELS) as WasmWeightType[]);

/** Op codes (0 is reserved: the pool's stop signal). Argument words of each, in order: */
export const OP = Object.freeze({
  /**
   * out = W · x (+ bias), rows [start, end):
   * type, outPtr, wPtr, xPtr, nIn, nTok, outStrideBytes, xStrideBytes, biasPtr (0 = none).
   * nTok = 1: the matvec; more: the GEMM (bit-equal per token).
   */
  LINEAR: 1,
  /**
   * in_proj (+ bias) and the causal conv1d + SiLU on channels [start, end) of x, for nTok tokens in order:
   * type, xzPtr, wPtr, xPtr, nIn, nTok, xStrideBytes, biasPtr, convStatePtr, convWPtr, convBiasPtr, dInner,
   * dConv, parts (bit 0 = in_proj rows d and dInner + d, bit 1 = conv), convStateTable. xz: (nTok, 2·dInner).
   * convStateTable 0: the tokens are one sequence's, in order, on the conv state at convStatePtr; else the
   * tokens are independent sequences' (a batched step), token t's conv state at the i32 table's entry t.
   */
  IN_CONV: 2,
  /**
   * dt_proj + softplus and the selective scan step on channels [start, end), tokens in order:
   * type, dtPtr, wPtr, xPtr, xStrideBytes, biasPtr, yPtr, ssmStatePtr, xzPtr, xdblPtr, aPtr, dPtr, dInner,
   * dState, dtRank, nTok, parts (bit 0 = dt_proj, bit 1 = scan), gateRelu (0 = SiLU gate, 1 = ReLU),
   * ssmStateTable (as IN_CONV's convStateTable: 0 = one sequence at ssmStatePtr). dt, y: (nTok, dInner);
   * xdbl: (nTok, dtRank + 2·dState).
   */
  DT_SCAN: 3,
  /**
   * Activations → Q8_0 or Q8_K blocks, tokens [start, end): yPtr, xPtr, n, yStrideBytes, xStrideBytes,
   * format (QUANTIZE_FORMAT).
   */
  QUANTIZE: 4,
  /**
   * (hidden += delta,) out = rmsnorm(hidden) · w, tokens [start, end): outPtr, hiddenPtr, deltaPtr (0 = no add),
   * wPtr, n, eps (f32 bits). Each vector is (n) floats, token stride 4n.
   */
  RMS_NORM: 5,
});

export type OpCode = (typeof OP)[keyof typeof OP];

/** The QUANTIZE op's format word, per activation type. */
export const QUANTIZE_FORMAT: Readonly<Record<Exclude<ActivationType, 'F32'>, number>> = Object.freeze({ Q8_0: 0, Q8_K: 1 });

/**
 * Argument words per op (the most of any op), and after them the op's serial (OP_SERIAL_WORD), which the
 * dispatcher bumps for every op: a thread prepares an op's x once, however many of its row chunks it runs.
 */
export const MAX_OP_ARGS = 20;
export const OP_SERIAL_WORD = MAX_OP_ARGS - 1;

/** Bytes of weight rows matvecTokens keeps in cache (L2) while it runs the tokens over them. */
const ROW_BLOCK_BYTES = 128 * 1024;

/** Rows per block of matvecTokens: a multiple of 16 (the row chunks' alignment, which interleaved rows need). */
function rowBlock(rowBytes: number): number {
  return Math.max(16, Math.floor(ROW_BLOCK_BYTES / rowBytes / 16) * 16);
}

/** The kernels of one weight type, bound. */
interface TypeKernels {
  readonly matvec: MatvecKernel;
  /** The same bits on x prepared once per call (weight-kernels.ts `prepared`). */
  readonly prepare: PrepareKernel | undefined;
  readonly preparedMatvec: MatvecKernel | undefined;
  /** Two tokens at once on prepared x (weight-kernels.ts `prepared.matvec2`). */
  readonly preparedMatvec2: Matvec2Kernel | undefined;
  readonly preparedGemm: GemmKernel | undefined;
  readonly preparedBytes: ((nIn: number) => number) | undefined;
  readonly preparedDtProj: DtProjKernel | undefined;
  readonly gemm: GemmKernel;
  /** The GEMM on planes and their preparation (weight-kernels.ts `planes`). */
  readonly planesGemm: GemmKernel | undefined;
  readonly planesPrepare: PlanesPrepareKernel | undefined;
  /** Absent for the 256-block types (the planner never keeps dt_proj in them). */
  readonly dtProj: DtProjKernel | undefined;
  /** Products of at most this many tokens run as the matvec per token (weight-kernels.ts). */
  readonly matvecTokens: number;
  /** Bytes of one weight row of nIn values. */
  readonly rowBytes: (nIn: number) => number;
}

/** Runs ops from argument words on one kernel instance (one per thread, all on the same memory). */
export class OpRunner {
  private readonly types: readonly TypeKernels[];
  private readonly argsF32: Float32Array;
  /**
   * The op (its serial) and the x whose preparation this thread's area holds, and what preparing returned:
   * a prepare kernel's 1 / 0 (matvec, dt_proj), or for a GEMM −1 (planes), 0 (none) or the prepared tokens' stride.
   */
  private preparedOp = -1;
  private preparedX = -1;
  private preparedOutcome = 0;

  /** The memory as i32 words: where a batched step's state tables are read. */
  private readonly heap: Int32Array;

  constructor(
    private readonly k: MambaKernels,
    /** The argument words (MAX_OP_ARGS), shared with the dispatcher. */
    readonly args: Int32Array,
    /**
     * This thread's own area in wasm memory for prepared x (0 = none: the plain kernels run): one token for a
     * matvec, a chunk for a prepared GEMM or as planes (WasmBackend sizes it).
     */
    private readonly preparedPtr: number,
    /** The memory the kernels run on (its buffer never changes: the memory does not grow). */
    memory: WasmMemory,
  ) {
    this.types = WEIGHT_TYPE_IDS.map((t) => {
      const row = WEIGHT_KERNELS[t];
      const p = row.prepared;
      const file = ggmlType(fileTypeOf(t));
      return { matvecTokens: row.matvecTokens, rowBytes: (nIn: number) => (nIn / file.blockSize) * file.typeSize, matvec: k[row.matvec], gemm: k[row.gemm], planesGemm: row.planes && k[row.planes.gemm], planesPrepare: row.planes && k[row.planes.prepare], dtProj: row.dtProj && k[row.dtProj], prepare: p && k[p.prepare], preparedMatvec: p && k[p.matvec], preparedMatvec2: p?.matvec2 && k[p.matvec2], preparedGemm: p?.gemm && k[p.gemm], preparedBytes: p?.bytes, preparedDtProj: p?.dtProj && k[p.dtProj] };
    });
    this.argsF32 = new Float32Array(args.buffer, args.byteOffset, args.length);
    this.heap = new Int32Array(memory.buffer);
  }

  /**
   * Whether this thread's area already holds x (at xPtr) of the current op prepared; if not, records that the
   * caller prepares it now (and sets preparedOutcome). A thread runs several row chunks of an op; x is
   * prepared for the first of them only.
   */
  private isPrepared(xPtr: number): boolean {
    const serial = this.args[OP_SERIAL_WORD];
    if (serial === this.preparedOp && xPtr === this.preparedX) return true;
    this.preparedOp = serial;
    this.preparedX = xPtr;
    return false;
  }

  /**
   * out = W · x on rows [start, end): through the type's prepared kernel when it has one (x prepared into this
   * thread's scratch; the same bits), else the plain matvec.
   */
  private matvec(kt: TypeKernels, outPtr: number, wPtr: number, xPtr: number, start: number, end: number, nIn: number): void {
    if (kt.prepare && this.preparedPtr !== 0) {
      if (!this.isPrepared(xPtr)) this.preparedOutcome = kt.prepare(this.preparedPtr, xPtr, nIn);
      if (this.preparedOutcome === 1) {
        kt.preparedMatvec!(outPtr, wPtr, this.preparedPtr, start, end, nIn);
        return;
      }
    }
    kt.matvec(outPtr, wPtr, xPtr, start, end, nIn);
  }

  /**
   * Prepares nTok tokens of x (stride xs) for the type's prepared GEMM; returns their stride in the scratch,
   * or 0 when a token refuses (then the plain GEMM runs).
   */
  private prepareTokens(kt: TypeKernels, xPtr: number, nIn: number, nTok: number, xs: number): number {
    const stride = kt.preparedBytes!(nIn);
    for (let t = 0; t < nTok; t++) if (kt.prepare!(this.preparedPtr + t * stride, xPtr + t * xs, nIn) !== 1) return 0;
    return stride;
  }

  /**
   * out = W · x for nTok tokens on rows [start, end) (and [start2, end2) when given): on planes, on prepared
   * tokens, or plain — the same bits. A few tokens (a batched step) run the matvec per token instead.
   */
  private gemm(kt: TypeKernels, outPtr: number, wPtr: number, xPtr: number, nIn: number, nTok: number, os: number, xs: number, start: number, end: number, start2 = 0, end2 = 0): void {
    if (nTok <= kt.matvecTokens) {
      this.matvecTokens(kt, outPtr, wPtr, xPtr, nIn, nTok, os, xs, start, end);
      if (end2 > start2) this.matvecTokens(kt, outPtr, wPtr, xPtr, nIn, nTok, os, xs, start2, end2);
      return;
    }
    let gemm = kt.gemm;
    let x = xPtr;
    let stride = xs;
    if (this.preparedPtr !== 0 && (kt.planesGemm || kt.preparedGemm)) {
      if (!this.isPrepared(xPtr)) {
        // planes when they apply (4 tokens or more), else prepared tokens
        this.preparedOutcome = kt.planesPrepare && kt.planesPrepare(this.preparedPtr, xPtr, nIn, nTok, xs) === 1 ? -1 : kt.preparedGemm ? this.prepareTokens(kt, xPtr, nIn, nTok, xs) : 0;
      }
      if (this.preparedOutcome !== 0) {
        gemm = this.preparedOutcome === -1 ? kt.planesGemm! : kt.preparedGemm!;
        x = this.preparedPtr;
        stride = this.preparedOutcome === -1 ? 0 : this.preparedOutcome;
      }
    }
    gemm(outPtr, wPtr, x, start, end, nIn, nTok, os, stride);
    if (end2 > start2) gemm(outPtr, wPtr, x, start2, end2, nIn, nTok, os, stride);
  }

  /**
   * out = W · x for a few tokens on rows [start, end): the type's matvec (on x prepared per token when it has a
   * prepared one) for each token over a block of rows at a time, the block staying in cache across the tokens:
   * the weights are read from memory once, and every (row, token) has the matvec's bits.
   */
  private matvecTokens(kt: TypeKernels, outPtr: number, wPtr: number, xPtr: number, nIn: number, nTok: number, os: number, xs: number, start: number, end: number): void {
    let prepared = false;
    let ps = 0;
    if (kt.prepare && this.preparedPtr !== 0) {
      ps = kt.preparedBytes!(nIn);
      if (!this.isPrepared(xPtr)) {
        this.preparedOutcome = 1;
        for (let t = 0; t < nTok && this.preparedOutcome === 1; t++) this.preparedOutcome = kt.prepare(this.preparedPtr + t * ps, xPtr + t * xs, nIn);
      }
      prepared = this.preparedOutcome === 1;
    }
    const block = rowBlock(kt.rowBytes(nIn));
    for (let r0 = start; r0 < end; r0 += block) {
      const r1 = Math.min(end, r0 + block);
      if (prepared) {
        const pp = this.preparedPtr;
        let t = 0;
        // token pairs through the two-token kernel where the type has one (each weight widened once for both)
        if (kt.preparedMatvec2) for (; t + 2 <= nTok; t += 2) kt.preparedMatvec2(outPtr + t * os, outPtr + (t + 1) * os, wPtr, pp + t * ps, pp + (t + 1) * ps, r0, r1, nIn);
        for (; t < nTok; t++) kt.preparedMatvec!(outPtr + t * os, wPtr, pp + t * ps, r0, r1, nIn);
      } else for (let t = 0; t < nTok; t++) kt.matvec(outPtr + t * os, wPtr, xPtr + t * xs, r0, r1, nIn);
    }
  }

  /** Runs `op` on [start, end) with the current argument words. */
  run(op: number, start: number, end: number): void {
    const a = this.args;
    const k = this.k;
    switch (op) {
      case OP.LINEAR: {
        const kt = this.types[a[0]];
        const outPtr = a[1], wPtr = a[2], xPtr = a[3], nIn = a[4], nTok = a[5], os = a[6], biasPtr = a[8];
        if (nTok === 1) this.matvec(kt, outPtr, wPtr, xPtr, start, end, nIn);
        else this.gemm(kt, outPtr, wPtr, xPtr, nIn, nTok, os, a[7], start, end);
        if (biasPtr !== 0) for (let t = 0; t < nTok; t++) k.add_f32(outPtr + t * os, biasPtr, start, end);
        return;
      }
      case OP.IN_CONV: {
        const kt = this.types[a[0]];
        const xz = a[1], wPtr = a[2], xPtr = a[3], nIn = a[4], nTok = a[5], xs = a[6], biasPtr = a[7];
        const dInner = a[11], parts = a[13];
        const os = 8 * dInner;
        if (parts & 1) {
          // xz = self.in_proj(hidden_states): x rows [start, end) and the matching z rows
          if (nTok === 1) {
            this.matvec(kt, xz, wPtr, xPtr, start, end, nIn);
            this.matvec(kt, xz, wPtr, xPtr, dInner + start, dInner + end, nIn);
          } else {
            this.gemm(kt, xz, wPtr, xPtr, nIn, nTok, os, xs, start, end, dInner + start, dInner + end);
          }
          if (biasPtr !== 0) {
            for (let t = 0; t < nTok; t++) {
              k.add_f32(xz + t * os, biasPtr, start, end);
              k.add_f32(xz + t * os, biasPtr, dInner + start, dInner + end);
            }
          }
        }
        if (parts & 2) {
          const convState = a[8], convW = a[9], convBias = a[10], dConv = a[12], table = a[14];
          // x = act(conv1d(conv_state ++ x) + bias), one token after the other (the state rolls); or each
          // token on its own sequence's state
          if (table === 0) k.ssm_conv1d_chunk_silu_f32(xz, os, convState, convW, convBias, start, end, dConv, nTok);
          else for (let t = 0; t < nTok; t++) k.ssm_conv1d_step_silu_f32(xz + t * os, this.heap[(table >> 2) + t], convW, convBias, start, end, dConv);
        }
        return;
      }
      case OP.DT_SCAN: {
        const kt = this.types[a[0]];
        const dtPtr = a[1], wPtr = a[2], xPtr = a[3], xs = a[4], biasPtr = a[5];
        const dInner = a[12], dState = a[13], dtRank = a[14], nTok = a[15], parts = a[16], gateRelu = a[17];
        if (parts & 1) {
          // dt = F.softplus(self.dt_proj(dt))
          if (nTok === 1) {
            if (!kt.dtProj) throw new Error(`no fused dt_proj kernel for weight type ${WEIGHT_TYPE_IDS[a[0]]}`);
            let done = false;
            if (kt.preparedDtProj && this.preparedPtr !== 0) {
              if (!this.isPrepared(xPtr)) this.preparedOutcome = kt.prepare!(this.preparedPtr, xPtr, dtRank);
              if (this.preparedOutcome === 1) {
                kt.preparedDtProj(dtPtr, wPtr, this.preparedPtr, biasPtr, start, end, dtRank);
                done = true;
              }
            }
            if (!done) kt.dtProj(dtPtr, wPtr, xPtr, biasPtr, start, end, dtRank);
          } else {
            this.gemm(kt, dtPtr, wPtr, xPtr, dtRank, nTok, 4 * dInner, xs, start, end);
            for (let t = 0; t < nTok; t++) k.ssm_dt_softplus_f32(dtPtr + t * 4 * dInner, biasPtr, start, end);
          }
        }
        if (parts & 2) {
          const yPtr = a[6], ssmState = a[7], xz = a[8], xdbl = a[9], aPtr = a[10], dPtr = a[11];
          const xdblBytes = 4 * (dtRank + 2 * dState);
          const table = a[18];
          if (table !== 0 || nTok === 1) {
            // one step per token: a step, or a batched step (each token on its own sequence's state)
            for (let t = 0; t < nTok; t++) {
              const b = xdbl + t * xdblBytes + 4 * dtRank;
              const x = xz + t * 8 * dInner;
              const state = table === 0 ? ssmState : this.heap[(table >> 2) + t];
              k.ssm_scan_step_f32(yPtr + t * 4 * dInner, state, x, dtPtr + t * 4 * dInner, aPtr, b, b + 4 * dState, dPtr, x + 4 * dInner, start, end, dState, gateRelu);
            }
          } else {
            // the chunk in one call: each channel's state stays in registers across the tokens (same bits)
            k.ssm_scan_chunk_f32(
              yPtr, 4 * dInner, ssmState, xz, 8 * dInner, 4 * dInner, dtPtr, 4 * dInner,
              aPtr, xdbl + 4 * dtRank, xdblBytes, 4 * dState, dPtr, start, end, dState, nTok, gateRelu,
            );
          }
        }
        return;
      }
      case OP.QUANTIZE: {
        const yPtr = a[0], xPtr = a[1], n = a[2], ys = a[3], xs = a[4];
        const quantizeRow = a[5] === QUANTIZE_FORMAT.Q8_K ? k.quantize_row_q8_k : k.quantize_row_q8_0;
        for (let t = start; t < end; t++) quantizeRow(yPtr + t * ys, xPtr + t * xs, n);
        return;
      }
      case OP.RMS_NORM: {
        const outPtr = a[0], hidden = a[1], delta = a[2], wPtr = a[3], n = a[4];
        const eps = this.argsF32[5];
        for (let t = start; t < end; t++) {
          const o = 4 * n * t;
          if (delta !== 0) k.add_rms_norm_f32(outPtr + o, hidden + o, delta + o, wPtr, n, eps);
          else k.rms_norm_f32(outPtr + o, hidden + o, wPtr, n, eps);
        }
        return;
      }
      default:
        throw new Error(`unknown kernel op ${op}`);
    }
  }
}
