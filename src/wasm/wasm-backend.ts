/**
 * The Mamba-1 forward pass in WASM SIMD kernels: the same steps as `MambaReference`
 * (src/engine/mamba-reference.ts), each a kernel op on pointers into one arena allocated at load.
 *
 * One code path serves a token and a chunk of prompt tokens: activations are token-major (nTok, width); a
 * step is a chunk of one (matvecs), a prompt is cut into chunks of `prefillChunkTokens` (GEMMs: each weight
 * block read once per chunk), and the conv1d and the scan then walk the chunk's tokens in order per channel
 * range. Every (row, token) is computed with the bits of the step path, so prefill = steps, bit for bit.
 *
 * Ops run on the calling thread, or on it and the process's pool of workers (kernel-pool.ts: shared by every
 * model, each worker running the kernels on this model's memory too), split into
 * row / channel / token chunks — never along a reduction — so every thread count gives the same bits.
 * `step` allocates nothing: the state is stepped in place when it lives in wasm memory (`createState`), else
 * copied in and out (2·nLayer·dInner·(dConv−1+dState) floats); logits are copied to the caller's array.
 */
import { UnsupportedError, UsageError } from '../errors.js';
import type { ForwardBackend } from '../engine/forward-backend.js';
import { MambaState } from '../engine/mamba-state.js';
import { checkTokenId, checkTokenIds } from '../engine/check-token-id.js';
import type { MambaConfig } from '../model/mamba-config.js';
import type { ModelFile } from '../model/model-file.js';
import { instantiateKernels, loadKernelModule, Q8_0_ACTIVATION_BYTES, Q8_K_ACTIVATION_BYTES, type GetRowsKernel, type MambaKernels } from './kernel-module.js';
import { MAX_OP_ARGS, OP, OP_SERIAL_WORD, OpRunner, QUANTIZE_FORMAT, WEIGHT_TYPE_IDS } from './kernel-ops.js';
import { KernelPool, type KernelPoolLease, type KernelWorkerFactory } from './kernel-pool.js';
import { FAMILY, OpProfile, type OpProfileEntry } from './op-profile.js';
import { KERNEL_RESERVED_BYTES, WASM_MAX_PAGES, WASM_PAGE_BYTES, WasmArena } from './wasm-arena.js';
import { WASM_FEATURES } from './wasm-features.js';
import { checkMemoryFits } from './memory-fit.js';
import { INTERLEAVED, type InterleavedType } from './interleave-rows.js';
import { planWeights, weightMatrices, type WasmLayerWeights, type WasmMatrix, type WasmWeights } from './wasm-weights.js';
import type { WasmMemory } from './webassembly-api.js';
import { WEIGHT_KERNELS, type ActivationType, type WasmWeightType } from './weight-kernels.js';

/** Bytes of n activations quantized to `activation` (F32: none, they are used as they are). */
const ACTIVATION_BYTES: Readonly<Record<ActivationType, (n: number) => number>> = { F32: () => 0, Q8_0: Q8_0_ACTIVATION_BYTES, Q8_K: Q8_K_ACTIVATION_BYTES };

export interface WasmBackendOptions {
  onTensor?: (name: string) => void;
  /** Create the memory shared (needed by worker threads). Default: when the runtime can. */
  sharedMemory?: boolean;
  /** The kernel module's bytes, for a host that fetched dist/kernels/mamba-kernels.wasm itself. */
  kernelBytes?: Uint8Array;
  /**
   * States reserved in wasm memory for `acquireState` / `createState` (stepped in place, no copy per token;
   * a batched step runs them together). Default: 8, or as many as fit in 64 MiB (at least 1) — untouched
   * slots cost address space, not RSS.
   */
  residentStates?: number;
  /** Most WebAssembly memory to use (default and maximum: wasm32's 4 GiB; a browser on a small device may allow less). */
  memoryLimitBytes?: number;
  /** Threads computing each op, the caller included (default 1); capped by `maxThreadsFor(config)`. */
  threads?: number;
  /** Where the extra threads come from (Node: `nodeKernelWorkerFactory`); required when threads > 1. */
  workerFactory?: KernelWorkerFactory;
  /** Prompt tokens per GEMM chunk (default 64; 1 = one step per token). */
  prefillChunkTokens?: number;
  /** Polls before a waiting thread sleeps (kernel-pool.ts). */
  spinIterations?: number;
  /**
   * Re-encode F16 matrices whose |w| < 128 as F16R at load (f16r.ts): the same results, and no f32
   * subnormals for x86 to multiply slowly (default true; false keeps them F16, for comparisons).
   */
  recodeF16?: boolean;
  /**
   * Interleave the rows of Q4_0 matrices in pairs and of Q8_0 matrices in quads at load, where the row count
   * allows (Q4_0X2, Q8_0X4: interleave-rows.ts): the same results, one stream for the rows a decode matvec
   * reads together (default true; false keeps the file's layout, for comparisons).
   */
  interleaveRows?: boolean;
  /**
   * Called just before the pool's worker threads (re)start with this model and once they are ready (before any
   * weight is read): a host can measure what the threads themselves cost (Node: `mamba-ts bench` reads its
   * RSS there). The pool stops its old workers first (kernel-pool.ts).
   */
  onWorkers?: (phase: 'starting' | 'ready') => void;
}

export const DEFAULT_PREFILL_CHUNK_TOKENS = 64;
/** At least this many inner channels per thread: more threads than that only add barriers. */
export const MIN_CHANNELS_PER_THREAD = 32;
/** Chunks per thread in a parallel op: a thread that is late (another process, a slow wake-up) takes fewer. */
const CHUNKS_PER_THREAD = 4;
/**
 * Row chunks of matrix and channel ops are multiples of this (16 floats = one 64-byte line of output: two
 * threads never write the same cache line).
 */
const ROW_CHUNK_ALIGN = 16;
/** Token chunks: any size. */
const TOKEN_CHUNK_ALIGN = 1;
/** layersAndHead / mixer's state argument for a batched step (no real address is negative). */
const BATCH_STATES = -1;

/** Default resident state slots: 8, or as many states as fit in 64 MiB (mamba-2.8b: 2), at least 1. */
export function defaultResidentStates(stateBytes: number): number {
  return Math.max(1, Math.min(8, Math.floor((64 * 2 ** 20) / stateBytes)));
}

/** The most threads worth using on a model: one per MIN_CHANNELS_PER_THREAD inner channels. */
export function maxThreadsFor(config: MambaConfig): number {
  return Math.max(1, Math.floor(config.dInner / MIN_CHANNELS_PER_THREAD));
}

/**
 * Threads when none are asked for, on `nCores` cores: one per core, but no more than one per
 * AUTO_CHANNELS_PER_THREAD inner channels (a narrow model gains nothing from threads: barriers cost more).
 */
export function defaultThreadsFor(config: MambaConfig, nCores: number): number {
  return Math.max(1, Math.min(nCores, Math.floor(config.dInner / AUTO_CHANNELS_PER_THREAD), maxThreadsFor(config)));
}
const AUTO_CHANNELS_PER_THREAD = 256;


/** A matrix bound to its kernels. */
interface BoundMatrix extends WasmMatrix {
  /** Index in WEIGHT_TYPE_IDS (the ops' first argument word). */
  readonly typeId: number;
  readonly getRows: GetRowsKernel;
  /** What the input is quantized to before the product ('F32': used as it is). */
  readonly activation: ActivationType;
}

interface BoundLayer extends Omit<WasmLayerWeights, 'ssmIn' | 'ssmX' | 'ssmDt' | 'ssmOut'> {
  readonly ssmIn: BoundMatrix;
  readonly ssmX: BoundMatrix;
  readonly ssmDt: BoundMatrix;
  readonly ssmOut: BoundMatrix;
}

/** Scratch pointers, allocated once: token-major, room for a chunk of `nChunk` tokens (a step uses row 0). */
interface Scratch {
  readonly nChunk: number;
  readonly hidden: number; // (nChunk, dModel) residual stream
  readonly normed: number; // (nChunk, dModel)
  readonly out: number; //    (nChunk, dModel) mixer output: normed's memory
  readonly xz: number; //     (nChunk, 2·dInner) x | z; x becomes the conv output
  readonly xdbl: number; //   (nChunk, dtRank + 2·dState) dt | B | C
  readonly dt: number; //     (nChunk, dInner)
  readonly y: number; //      (nChunk, dInner): dt's memory
  readonly xq: number; //     (nChunk, Q8_0 or Q8_K blocks of the current matrix input) (widest quantized input)
  readonly logits: number; // (maxBatch, nVocab): a step's logits in row 0, a batched step's in a row per sequence
  /** Sequences in one batched step (stepBatch): at most the resident state slots, and a chunk of tokens. */
  readonly maxBatch: number;
  /** A batched step's state tables, (2, maxBatch) i32: each sequence's conv state, then its ssm state, of the layer being run. */
  readonly stateTables: number;
  readonly state: number; //  working copy of a state that lives in JS memory
  /** Each thread's own area for prepared x (nThreads × threadScratchBytes; OpRunner). */
  readonly threadScratch: number;
  readonly threadScratchBytes: number;
}

export interface WasmMemoryReport {
  /** Bytes per region: weights, state, scratch, logits (and the module's reserved page). */
  readonly regions: Readonly<Record<string, number>>;
  readonly totalBytes: number;
  readonly shared: boolean;
}

export class WasmBackend implements ForwardBackend {
  private readonly layers: readonly BoundLayer[];
  private readonly tokenEmbd: BoundMatrix;
  private readonly output: BoundMatrix;
  private readonly outputNormPtr: number;
  /** The logits region's rows: row 0 a step's, row t a batched step's sequence t. */
  private readonly logitsRows: readonly Float32Array[];
  /** View of s.stateTables. */
  private readonly stateTables: Int32Array;
  /** The states of the batched step being run: each sequence's state address (its layer 0). */
  private readonly batchStates: Int32Array;
  /** Their indices in stepBatch's arguments. */
  private readonly batchIdx: Int32Array;
  private readonly stateView: Float32Array;
  private readonly stateBytes: number;
  private readonly layerStateBytes: number;
  private readonly convStateBytes: number;
  /** Argument words of the next op (the pool's control block when threaded). */
  private readonly a: Int32Array;
  private readonly aF32: Float32Array;
  /** memory.buffer, fixed: the memory never grows. */
  private readonly buffer: ArrayBufferLike;
  /** Resident state slots not handed out (indices into residentPtrs), and the owner of each handed-out one. */
  private readonly freeSlots: number[];
  private readonly slotOf = new WeakMap<MambaState, number>();
  /** Takes a slot back when the state holding it is garbage-collected. */
  private readonly slotReaper = new FinalizationRegistry<number>((slot) => this.freeSlots.push(slot));
  private profile: OpProfile | undefined;

  private constructor(
    readonly config: MambaConfig,
    readonly memory: WasmMemory,
    private readonly k: MambaKernels,
    weights: WasmWeights,
    private readonly s: Scratch,
    private readonly residentPtrs: readonly number[],
    readonly memoryReport: WasmMemoryReport,
    private readonly runner: OpRunner,
    private readonly pool: KernelPoolLease | undefined,
  ) {
    const bind = (m: WasmMatrix): BoundMatrix => {
      const row = WEIGHT_KERNELS[m.type];
      return { ...m, typeId: WEIGHT_TYPE_IDS.indexOf(m.type), getRows: k[row.getRows], activation: row.activation };
    };
    this.tokenEmbd = bind(weights.tokenEmbd);
    this.output = bind(weights.output);
    this.outputNormPtr = weights.outputNorm;
    this.layers = weights.layers.map((l) => ({ ...l, ssmIn: bind(l.ssmIn), ssmX: bind(l.ssmX), ssmDt: bind(l.ssmDt), ssmOut: bind(l.ssmOut) }));
    this.freeSlots = residentPtrs.map((_, i) => residentPtrs.length - 1 - i);
    this.logitsRows = Array.from({ length: s.maxBatch }, (_, i) => new Float32Array(memory.buffer, s.logits + 4 * config.nVocab * i, config.nVocab));
    this.stateTables = new Int32Array(memory.buffer, s.stateTables, 2 * s.maxBatch);
    this.batchStates = new Int32Array(s.maxBatch);
    this.batchIdx = new Int32Array(s.maxBatch);
    const nStateFloats = MambaState.nFloats(config);
    this.stateView = new Float32Array(memory.buffer, s.state, nStateFloats);
    this.stateBytes = 4 * nStateFloats;
    this.layerStateBytes = this.stateBytes / config.nLayer;
    this.convStateBytes = 4 * config.dInner * (config.dConv - 1);
    this.a = runner.args;
    this.aF32 = new Float32Array(this.a.buffer, this.a.byteOffset, this.a.length);
    this.buffer = memory.buffer;
  }

  /** Loads `file`'s weights into a new wasm memory, instantiates the kernels on it and starts the workers. */
  static async create(file: ModelFile, opts: WasmBackendOptions = {}): Promise<WasmBackend> {
    const c = file.config;
    const asked = opts.threads ?? 1;
    if (!Number.isInteger(asked) || asked < 1) throw new UsageError(`threads must be a positive integer, got ${asked}`);
    const nThreads = Math.min(asked, maxThreadsFor(c));
    if (nThreads > 1 && !opts.workerFactory) {
      throw new UnsupportedError(`${nThreads} threads need a worker factory`, { hint: 'load with mamba-ts/node loadModel (Node worker_threads), pass workerFactory, or use threads: 1' });
    }
    const shared = opts.sharedMemory ?? WASM_FEATURES.sharedMemory;
    if (shared && !WASM_FEATURES.sharedMemory) throw new UnsupportedError('shared WebAssembly memory is not available here', { hint: 'pass sharedMemory: false' });
    if (nThreads > 1 && !shared) {
      throw new UnsupportedError('worker threads need a shared WebAssembly memory, which is not available here', { hint: 'use threads: 1 (in a browser: serve the page cross-origin isolated)' });
    }
    const nChunk = opts.prefillChunkTokens ?? DEFAULT_PREFILL_CHUNK_TOKENS;
    if (!Number.isInteger(nChunk) || nChunk < 1) throw new UsageError(`prefillChunkTokens must be a positive integer, got ${nChunk}`);
    const module = await loadKernelModule({ shared, bytes: opts.kernelBytes });

    const arena = new WasmArena();
    const planned = planWeights(arena, file);
    const w = planned.weights;
    const matrices = weightMatrices(w);
    const xqBytes = Math.max(0, ...matrices.map((m) => ACTIVATION_BYTES[WEIGHT_KERNELS[m.type].activation](m.nIn)));
    // prepared x: one token for a matvec, the whole chunk for a prepared GEMM or as planes
    const preparedBytes = Math.max(0, ...matrices.map((m) => {
      const row = WEIGHT_KERNELS[m.type];
      const p = row.prepared;
      // prepared tokens: a chunk for a prepared GEMM, else as many as the matvec per token takes (at least one)
      const preparedTokens = p?.gemm ? nChunk : Math.min(nChunk, row.matvecTokens);
      return Math.max(p ? p.bytes(m.nIn) * preparedTokens : 0, row.planes ? row.planes.bytes(m.nIn, nChunk) : 0);
    }));
    const threadScratchBytes = Math.ceil(preparedBytes / 64) * 64;
    const f32 = (label: string, n: number) => arena.alloc(label, 4 * n);
    const stateFloats = MambaState.nFloats(c);
    const nResident = opts.residentStates ?? defaultResidentStates(4 * stateFloats);
    const maxBatch = Math.max(1, Math.min(nResident, nChunk));
    // Two pairs share their memory: normed is dead once in_proj has read it, before out_proj writes out (and
    // the norm reads a token's out whole before writing its normed); the scan reads dt[t][d] before it writes
    // y[t][d], and nothing reads dt afterwards.
    const normedOrOut = f32('scratch.normed|out', nChunk * c.dModel);
    const dtOrY = f32('scratch.dt|y', nChunk * c.dInner);
    const s: Scratch = {
      nChunk,
      hidden: f32('scratch.hidden', nChunk * c.dModel),
      normed: normedOrOut,
      out: normedOrOut,
      xz: f32('scratch.xz', nChunk * 2 * c.dInner),
      xdbl: f32('scratch.xdbl', nChunk * (c.dtRank + 2 * c.dState)),
      dt: dtOrY,
      y: dtOrY,
      xq: arena.alloc('scratch.xq', nChunk * xqBytes),
      logits: f32('logits', maxBatch * c.nVocab),
      maxBatch,
      stateTables: arena.alloc('scratch.stateTables', 4 * 2 * maxBatch),
      state: f32('state.working', stateFloats),
      threadScratch: arena.alloc('scratch.threads', nThreads * threadScratchBytes),
      threadScratchBytes,
    };
    const residentPtrs: number[] = [];
    for (let i = 0; i < nResident; i++) residentPtrs.push(f32(`state.resident${i}`, stateFloats));

    checkMemoryFits(file, arena.nBytes, Math.min(opts.memoryLimitBytes ?? Infinity, WASM_MAX_PAGES * WASM_PAGE_BYTES), planned.matrixBytes);
    const memory = arena.createMemory(shared);
    const kernels = await instantiateKernels(module, memory);
    if (kernels.heap_base() > KERNEL_RESERVED_BYTES) throw new Error(`kernel module static data (${kernels.heap_base()} bytes) exceeds the reserved page`);
    const report: WasmMemoryReport = { regions: { reserved: KERNEL_RESERVED_BYTES, ...arena.summary() }, totalBytes: memory.buffer.byteLength, shared };
    const scratchOf = (thread: number) => (threadScratchBytes === 0 ? 0 : s.threadScratch + thread * threadScratchBytes);
    const processPool = nThreads > 1 ? KernelPool.of(opts.workerFactory!) : undefined;
    const runner = new OpRunner(kernels, processPool?.args ?? new Int32Array(MAX_OP_ARGS), scratchOf(0), memory);
    // The workers start (or restart with this model) before the weights are read, so `onWorkers` sees what the
    // threads alone cost: a live Node worker holds ~9 MiB of RSS for as long as it runs (its isolate's heap
    // pages; measured on Node 20.20, with no start-up peak above that).
    const pool = await processPool?.attach({
      module, memory, nThreads, runner, preparedPtr: scratchOf, spinIterations: opts.spinIterations, onWorkers: opts.onWorkers,
    });
    // the load-time forms; interleave_rows moves a group of rows through the xz scratch (not in use yet)
    const xzBytes = 4 * nChunk * 2 * c.dInner;
    const relayout = (m: WasmMatrix): WasmWeightType => {
      if (m.type === 'F16' && opts.recodeF16 !== false && kernels.recode_f16_f16r(m.ptr, m.nRows * m.nIn) === 1) return 'F16R';
      if (opts.interleaveRows === false) return m.type;
      const nBlocks = m.nIn / 32;
      for (const [form, { plain, group, blockBytes }] of Object.entries(INTERLEAVED) as [InterleavedType, (typeof INTERLEAVED)[InterleavedType]][]) {
        if (m.type === plain && group * nBlocks * blockBytes <= xzBytes && kernels.interleave_rows(m.ptr, m.nRows, nBlocks, blockBytes, group, s.xz) === 1) return form;
      }
      return m.type;
    };
    try {
      await planned.fill(memory, opts.onTensor, relayout);
    } catch (e) {
      await pool?.dispose();
      throw e;
    }
    return new WasmBackend(c, memory, kernels, w, s, residentPtrs, report, runner, pool);
  }

  /** The type each weight matrix is computed in, by GGUF name (its file type, F32 when decoded, or a load-time form: F16R, Q4_0X2, Q8_0X4). */
  matrixTypes(): Record<string, WasmWeightType> {
    const out: Record<string, WasmWeightType> = {};
    for (const m of weightMatrices({ tokenEmbd: this.tokenEmbd, output: this.output, layers: this.layers })) out[m.name] = m.type;
    return out;
  }

  /** 'wasm-threads' when it computes on worker threads too, else 'wasm' (chooseBackend's names). */
  get name(): 'wasm' | 'wasm-threads' {
    return this.nThreads > 1 ? 'wasm-threads' : 'wasm';
  }

  /** Threads computing each op (the caller and the pool's workers). */
  get nThreads(): number {
    return this.pool?.nThreads ?? 1;
  }

  /** Prompt tokens per GEMM chunk. */
  get prefillChunkTokens(): number {
    return this.s.nChunk;
  }

  /** Detaches the model from the worker threads (the backend cannot compute afterwards when it had any). */
  async dispose(): Promise<void> {
    await this.pool?.dispose();
  }

  /**
   * Per-kernel-family timing of everything computed while on (`opProfile()` reads it). Profiling runs the
   * fused ops (in_proj + conv, dt_proj + scan) as separate ops, to time them apart: same bits, more barriers.
   */
  setProfiling(on: boolean): void {
    this.profile = on ? new OpProfile() : undefined;
  }

  /** Time per kernel family since profiling was turned on, slowest first (empty when off). */
  opProfile(): OpProfileEntry[] {
    return this.profile?.entries() ?? [];
  }

  /**
   * A state that lives in wasm memory (one of `residentStates` slots, zeroed): stepped in place, no copies.
   * Use it like any MambaState. Throws when every slot is taken (see `acquireState`).
   */
  createState(): MambaState {
    const state = this.acquireState();
    if (!state) {
      throw new UnsupportedError(`all ${this.residentPtrs.length} wasm-resident state slots are in use`, { hint: 'raise residentStates when creating the backend' });
    }
    return state;
  }

  /** A zeroed resident state, or undefined when all slots are taken; the slot returns when the state is collected. */
  acquireState(): MambaState | undefined {
    const slot = this.freeSlots.pop();
    if (slot === undefined) return undefined;
    const data = new Float32Array(this.buffer, this.residentPtrs[slot], MambaState.nFloats(this.config));
    data.fill(0);
    const state = new MambaState(this.config, { data });
    this.slotOf.set(state, slot);
    this.slotReaper.register(state, slot, state);
    return state;
  }

  /** Returns an acquired state's slot now (the state must not be used afterwards); other states are ignored. */
  releaseState(state: MambaState): void {
    const slot = this.slotOf.get(state);
    if (slot === undefined) return;
    this.slotOf.delete(state);
    this.slotReaper.unregister(state);
    this.freeSlots.push(slot);
  }

  step(token: number, state: MambaState, logits?: Float32Array): void {
    checkTokenId(token, this.config.nVocab);
    const statePtr = this.bindState(state);
    this.forwardToken(token, statePtr, logits);
    this.unbindState(state, statePtr);
  }

  /** The prompt in chunks of `prefillChunkTokens` (GEMMs); the state is copied in and out once. */
  prefill(tokens: ArrayLike<number>, state: MambaState, logits?: Float32Array): void {
    checkTokenIds(tokens, this.config.nVocab); // all before the state changes
    const statePtr = this.bindState(state);
    const n = tokens.length;
    const nChunk = this.s.nChunk;
    for (let i = 0; i < n; i += nChunk) {
      const m = Math.min(nChunk, n - i);
      const last = i + m === n ? logits : undefined;
      if (m === 1) this.forwardToken(tokens[i], statePtr, last);
      else this.forward(tokens, i, m, statePtr, last);
    }
    this.unbindState(state, statePtr);
  }

  /** Sequences a batched step runs together (stepBatch groups larger batches). */
  get maxBatch(): number {
    return this.s.maxBatch;
  }

  /**
   * One step of n sequences: token tokens[i] into states[i], then its next-token logits into logits[i] when
   * given, for i < n — the bits of n `step` calls. Sequences whose state is resident here (acquireState) run
   * together, up to `maxBatch` at a time, through the GEMMs: each weight is read once for all of them (the
   * memory-bound F32 matrices decode 4 sequences at ~2× the tokens/s of one; the compute-bound quantized ones
   * gain less: docs/kernels.md). Any other state is stepped alone. Allocates nothing.
   */
  stepBatch(n: number, tokens: ArrayLike<number>, states: readonly MambaState[], logits: readonly (Float32Array | undefined)[]): void {
    if (!Number.isInteger(n) || n < 0 || n > tokens.length || n > states.length || n > logits.length) {
      throw new RangeError(`stepBatch of ${n} sequences with ${tokens.length} tokens, ${states.length} states and ${logits.length} logits`);
    }
    checkTokenIds(tokens, this.config.nVocab, n); // all before any state changes
    const idx = this.batchIdx;
    let g = 0;
    let head = false;
    for (let i = 0; i < n; i++) {
      const st = states[i];
      this.checkStateSize(st);
      if (st.data.buffer !== this.buffer) {
        this.step(tokens[i], st, logits[i]);
        continue;
      }
      const ptr = st.data.byteOffset;
      for (let j = 0; j < g; j++) {
        if (this.batchStates[j] === ptr) throw new UsageError('the same state twice in one batched step', { hint: 'give each sequence its own state' });
      }
      this.batchStates[g] = ptr;
      idx[g++] = i;
      head ||= logits[i] !== undefined;
      if (g === this.s.maxBatch) {
        this.runBatch(g, tokens, states, logits, head);
        g = 0;
        head = false;
      }
    }
    if (g > 0) this.runBatch(g, tokens, states, logits, head);
  }

  /** A group of stepBatch: g resident sequences (batchStates, batchIdx). */
  private runBatch(g: number, tokens: ArrayLike<number>, states: readonly MambaState[], logits: readonly (Float32Array | undefined)[], head: boolean): void {
    const idx = this.batchIdx;
    if (g === 1) {
      this.step(tokens[idx[0]], states[idx[0]], logits[idx[0]]);
      return;
    }
    this.forwardBatch(g, tokens, idx, head);
    for (let t = 0; t < g; t++) logits[idx[t]]?.set(this.logitsRows[t]);
  }

  private checkStateSize(state: MambaState): void {
    if (state.data.length !== this.stateView.length) throw new RangeError(`state has ${state.data.length} floats, this model needs ${this.stateView.length}`);
  }

  /** The state's address in wasm memory: its own when resident, else the working slot (copied in). */
  private bindState(state: MambaState): number {
    this.checkStateSize(state);
    if (state.data.buffer === this.buffer) return state.data.byteOffset;
    const t0 = this.profile ? performance.now() : 0;
    this.stateView.set(state.data);
    if (this.profile) this.profile.add(FAMILY.state_copy, performance.now() - t0);
    return this.s.state;
  }

  private unbindState(state: MambaState, statePtr: number): void {
    if (statePtr !== this.s.state) return;
    const t0 = this.profile ? performance.now() : 0;
    state.data.set(this.stateView);
    if (this.profile) this.profile.add(FAMILY.state_copy, performance.now() - t0);
  }

  /**
   * Runs op `op` (arguments in this.a) over [0, total): inline, or split across the threads in about
   * CHUNKS_PER_THREAD chunks per thread, each a multiple of `align`.
   */
  private dispatch(op: number, total: number, align: number, family: number): void {
    const t0 = this.profile ? performance.now() : 0;
    this.a[OP_SERIAL_WORD] = (this.a[OP_SERIAL_WORD] + 1) | 0;
    const pool = this.pool;
    const chunk = pool ? align * Math.ceil(total / (pool.nThreads * CHUNKS_PER_THREAD * align)) : total;
    if (pool === undefined || chunk >= total) this.runner.run(op, 0, total);
    else pool.run(op, total, chunk);
    if (this.profile) this.profile.add(family, performance.now() - t0);
  }

  /** nTok vectors of n floats (token stride xStrideBytes) → Q8_0 or Q8_K rows in s.xq; returns their stride. */
  private quantize(activation: 'Q8_0' | 'Q8_K', xPtr: number, xStrideBytes: number, n: number, nTok: number): number {
    const a = this.a;
    const stride = ACTIVATION_BYTES[activation](n);
    a[0] = this.s.xq;
    a[1] = xPtr;
    a[2] = n;
    a[3] = stride;
    a[4] = xStrideBytes;
    a[5] = QUANTIZE_FORMAT[activation];
    this.dispatch(OP.QUANTIZE, nTok, TOKEN_CHUNK_ALIGN, FAMILY.quantize);
    return stride;
  }

  /** out[t] (+ bias) ← W · x[t] for nTok tokens, quantizing x (Q8_0 or Q8_K) first for the quantized types. */
  private linear(m: BoundMatrix, outPtr: number, outStrideBytes: number, xPtr: number, xStrideBytes: number, nTok: number, biasPtr: number, family: number): void {
    let x = xPtr;
    let xs = xStrideBytes;
    if (m.activation !== 'F32') {
      xs = this.quantize(m.activation, xPtr, xStrideBytes, m.nIn, nTok);
      x = this.s.xq;
    }
    const a = this.a;
    a[0] = m.typeId;
    a[1] = outPtr;
    a[2] = m.ptr;
    a[3] = x;
    a[4] = m.nIn;
    a[5] = nTok;
    a[6] = outStrideBytes;
    a[7] = xs;
    a[8] = biasPtr;
    this.dispatch(OP.LINEAR, m.nRows, ROW_CHUNK_ALIGN, family);
  }

  /** (hidden[t] += delta[t];) normed[t] = rmsnorm(hidden[t]) · w, for nTok tokens. */
  private rmsNorm(deltaPtr: number, wPtr: number, nTok: number): void {
    const a = this.a;
    a[0] = this.s.normed;
    a[1] = this.s.hidden;
    a[2] = deltaPtr;
    a[3] = wPtr;
    a[4] = this.config.dModel;
    this.aF32[5] = this.config.normEps;
    this.dispatch(OP.RMS_NORM, nTok, TOKEN_CHUNK_ALIGN, FAMILY.rms_norm);
  }

  private forwardToken(token: number, statePtr: number, logits: Float32Array | undefined): void {
    const t0 = this.profile ? performance.now() : 0;
    this.tokenEmbd.getRows(this.s.hidden, this.tokenEmbd.ptr, token, this.config.dModel);
    if (this.profile) this.profile.add(FAMILY.get_rows, performance.now() - t0);
    this.layersAndHead(1, statePtr, logits ? 1 : 0);
    if (logits) logits.set(this.logitsRows[0]);
  }

  /** nTok tokens tokens[first…] (a prompt chunk). */
  private forward(tokens: ArrayLike<number>, first: number, nTok: number, statePtr: number, logits: Float32Array | undefined): void {
    const { s, config: c } = this;
    // hidden_states = self.embeddings(input_ids)   (nTok, dModel)
    const t0 = this.profile ? performance.now() : 0;
    for (let t = 0; t < nTok; t++) this.tokenEmbd.getRows(s.hidden + 4 * c.dModel * t, this.tokenEmbd.ptr, tokens[first + t], c.dModel);
    if (this.profile) this.profile.add(FAMILY.get_rows, performance.now() - t0);
    this.layersAndHead(nTok, statePtr, logits ? 1 : 0);
    if (logits) logits.set(this.logitsRows[0]);
  }

  /**
   * One step of g sequences together (stepBatch's group): token tokens[idx[t]] of the sequence whose state is
   * at batchStates[t], its logits in row t of s.logits when `head`.
   */
  private forwardBatch(g: number, tokens: ArrayLike<number>, idx: Int32Array, head: boolean): void {
    const { s, config: c } = this;
    // hidden_states = self.embeddings(input_ids)   (g, dModel): one token of each sequence
    const t0 = this.profile ? performance.now() : 0;
    for (let t = 0; t < g; t++) this.tokenEmbd.getRows(s.hidden + 4 * c.dModel * t, this.tokenEmbd.ptr, tokens[idx[t]], c.dModel);
    if (this.profile) this.profile.add(FAMILY.get_rows, performance.now() - t0);
    this.layersAndHead(g, BATCH_STATES, head ? g : 0);
  }

  /**
   * The layers on s.hidden (nTok tokens), then the logits of the last `nHead` tokens (0, 1 or nTok) into the
   * rows of s.logits. statePtr: the state of a sequence whose nTok tokens these are, in order; or
   * BATCH_STATES: each token is one step of its own sequence (forwardBatch's batchStates).
   */
  private layersAndHead(nTok: number, statePtr: number, nHead: number): void {
    const { k, s, config: c } = this;
    const batch = statePtr === BATCH_STATES;
    for (let l = 0; l < c.nLayer; l++) {
      const lw = this.layers[l];
      // hidden_states = residual + hidden_states (previous layer); residual = hidden_states; hidden_states = self.norm(hidden_states)
      this.rmsNorm(l === 0 ? 0 : s.out, lw.attnNorm, nTok);
      // The last layer's output feeds only the logits: out_proj for the tokens with logits, or not at all.
      const outTokens = l < c.nLayer - 1 ? nTok : nHead;
      this.mixer(lw, batch ? BATCH_STATES : statePtr + l * this.layerStateBytes, l * this.layerStateBytes, nTok, outTokens);
    }
    if (nHead === 0) return;
    const dm = 4 * c.dModel;
    const first = nTok - nHead;
    // hidden_states = residual + hidden_states; hidden_states = self.norm_f(hidden_states)   (the tokens with logits)
    const t0 = this.profile ? performance.now() : 0;
    for (let t = first; t < nTok; t++) k.add_rms_norm_f32(s.normed + t * dm, s.hidden + t * dm, s.out + t * dm, this.outputNormPtr, c.dModel, c.normEps);
    if (this.profile) this.profile.add(FAMILY.rms_norm, performance.now() - t0);
    // logits = self.lm_head(hidden_states)   (nHead, nVocab) ← (nVocab, dModel)·(nHead, dModel)
    this.linear(this.output, s.logits, 4 * c.nVocab, s.normed + first * dm, dm, nHead, 0, FAMILY.lm_head);
  }

  /**
   * Mamba.step of one layer for nTok tokens in order: reads s.normed, writes s.out for the last `outTokens`
   * tokens (nTok, 1 or 0). layerStatePtr: the layer's state; or BATCH_STATES, each token on its own
   * sequence's state (batchStates + layerOffset).
   */
  private mixer(lw: BoundLayer, layerStatePtr: number, layerOffset: number, nTok: number, outTokens: number): void {
    const { s, a } = this;
    const { dInner, dState, dConv, dtRank, dModel } = this.config;
    const batch = layerStatePtr === BATCH_STATES;
    const convStatePtr = batch ? 0 : layerStatePtr; //              (dInner, dConv−1)
    const ssmStatePtr = batch ? 0 : layerStatePtr + this.convStateBytes; // (dInner, dState)
    const nb = s.maxBatch;
    if (batch) {
      // each token's sequence: this layer's conv state, then its ssm state
      for (let t = 0; t < nTok; t++) {
        this.stateTables[t] = this.batchStates[t] + layerOffset;
        this.stateTables[nb + t] = this.batchStates[t] + layerOffset + this.convStateBytes;
      }
    }
    const xzBytes = 8 * dInner;
    const xdblBytes = 4 * (dtRank + 2 * dState);
    const split = this.profile !== undefined;

    // xz = self.in_proj(hidden_states)   (nTok, 2·dInner) ← (2·dInner, dModel)·(nTok, dModel)
    // x, z = xz.chunk(2, dim=-1); conv_state roll + x; x = act(sum(conv_state * conv1d.weight) + conv1d.bias)
    let x = s.normed;
    let xs = 4 * dModel;
    if (lw.ssmIn.activation !== 'F32') {
      xs = this.quantize(lw.ssmIn.activation, s.normed, 4 * dModel, dModel, nTok);
      x = s.xq;
    }
    a[0] = lw.ssmIn.typeId;
    a[1] = s.xz;
    a[2] = lw.ssmIn.ptr;
    a[3] = x;
    a[4] = dModel;
    a[5] = nTok;
    a[6] = xs;
    a[7] = lw.ssmInBias;
    a[8] = convStatePtr;
    a[9] = lw.conv1d;
    a[10] = lw.conv1dBias;
    a[11] = dInner;
    a[12] = dConv;
    a[13] = split ? 1 : 3;
    a[14] = batch ? s.stateTables : 0;
    this.dispatch(OP.IN_CONV, dInner, ROW_CHUNK_ALIGN, FAMILY.ssm_in);
    if (split) {
      a[13] = 2;
      this.dispatch(OP.IN_CONV, dInner, ROW_CHUNK_ALIGN, FAMILY.conv1d);
    }

    // x_db = self.x_proj(x)   (nTok, dtRank + 2·dState) ← (dtRank + 2·dState, dInner)·(nTok, dInner)
    this.linear(lw.ssmX, s.xdbl, xdblBytes, s.xz, xzBytes, nTok, 0, FAMILY.ssm_x);

    // dt, B, C = split(x_db); dt = F.softplus(self.dt_proj(dt))   (nTok, dInner) ← (dInner, dtRank)·(nTok, dtRank)
    // ssm_state = ssm_state·exp(dt⊗A) + x⊗(dt⊗B); y = ssm_state·C + D·x; y = y·act(z)   (nTok, dInner), in token order
    let dx = s.xdbl;
    let dxs = xdblBytes;
    if (lw.ssmDt.activation !== 'F32') {
      dxs = this.quantize(lw.ssmDt.activation, s.xdbl, xdblBytes, dtRank, nTok);
      dx = s.xq;
    }
    a[0] = lw.ssmDt.typeId;
    a[1] = s.dt;
    a[2] = lw.ssmDt.ptr;
    a[3] = dx;
    a[4] = dxs;
    a[5] = lw.ssmDtBias;
    a[6] = s.y;
    a[7] = ssmStatePtr;
    a[8] = s.xz;
    a[9] = s.xdbl;
    a[10] = lw.ssmA;
    a[11] = lw.ssmD;
    a[12] = dInner;
    a[13] = dState;
    a[14] = dtRank;
    a[15] = nTok;
    a[16] = split ? 1 : 3;
    a[17] = this.config.gateActivation === 'relu' ? 1 : 0;
    a[18] = batch ? s.stateTables + 4 * nb : 0;
    this.dispatch(OP.DT_SCAN, dInner, ROW_CHUNK_ALIGN, FAMILY.dt_proj);
    if (split) {
      a[16] = 2;
      this.dispatch(OP.DT_SCAN, dInner, ROW_CHUNK_ALIGN, FAMILY.scan);
    }

    // out = self.out_proj(y)   (nTok, dModel) ← (dModel, dInner)·(nTok, dInner)
    if (outTokens === 0) return;
    const first = nTok - outTokens;
    this.linear(lw.ssmOut, s.out + first * 4 * dModel, 4 * dModel, s.y + first * 4 * dInner, 4 * dInner, outTokens, lw.ssmOutBias, FAMILY.ssm_out);
  }
}
