/**
 * The Mamba-1 forward pass in WASM SIMD kernels, one thread: the same steps as `MambaReference`
 * (src/engine/mamba-reference.ts), each a kernel call on pointers into one arena allocated at load.
 * `step` allocates nothing: the state is stepped in place when it lives in wasm memory (`createState`),
 * else copied in and out (2·nLayer·dInner·(dConv−1+dState) floats); logits are copied to the caller's array.
 *
 * Every row-producing kernel gets the full row range here; a worker pool will split the same calls by rows.
 */
import { UnsupportedError } from '../errors.js';
import type { ForwardBackend } from '../engine/forward-backend.js';
import { MambaState } from '../engine/mamba-state.js';
import type { MambaConfig } from '../model/mamba-config.js';
import type { ModelFile } from '../model/model-file.js';
import { instantiateKernels, loadKernelModule, type DtProjKernel, type GetRowsKernel, type MambaKernels, type MatvecKernel } from './kernel-module.js';
import { KERNEL_RESERVED_BYTES, WasmArena } from './wasm-arena.js';
import { WASM_FEATURES } from './wasm-features.js';
import { planWeights, type WasmLayerWeights, type WasmMatrix, type WasmWeights } from './wasm-weights.js';
import type { WasmMemory } from './webassembly-api.js';
import { WEIGHT_KERNELS } from './weight-kernels.js';

export interface WasmBackendOptions {
  onTensor?: (name: string) => void;
  /** Create the memory shared (needed by worker threads). Default: when the runtime can. */
  sharedMemory?: boolean;
  /** The kernel module's bytes, for a host that fetched dist/kernels/mamba-kernels.wasm itself. */
  kernelBytes?: Uint8Array;
  /** States reserved in wasm memory for `createState` (stepped in place, no copy). Default 1. */
  residentStates?: number;
}

/** Q8_0 activations: 34 bytes per 32 values. */
const Q8_0_ACTIVATION_BYTES = (n: number) => (n / 32) * 34;

/** A matrix bound to its kernels. */
interface BoundMatrix extends WasmMatrix {
  readonly matvec: MatvecKernel;
  readonly dtProj: DtProjKernel;
  readonly getRows: GetRowsKernel;
  readonly quantizeInput: boolean;
}

interface BoundLayer extends Omit<WasmLayerWeights, 'ssmIn' | 'ssmX' | 'ssmDt' | 'ssmOut'> {
  readonly ssmIn: BoundMatrix;
  readonly ssmX: BoundMatrix;
  readonly ssmDt: BoundMatrix;
  readonly ssmOut: BoundMatrix;
}

/** Scratch pointers, allocated once (shapes for one token). */
interface Scratch {
  readonly hidden: number; // (dModel) residual stream
  readonly normed: number; // (dModel)
  readonly out: number; //    (dModel) mixer output
  readonly xz: number; //     (2·dInner) x | z; x becomes the conv output
  readonly xdbl: number; //   (dtRank + 2·dState) dt | B | C
  readonly dt: number; //     (dInner)
  readonly y: number; //      (dInner)
  readonly xq: number; //     Q8_0 blocks of the current matvec input (widest quantized input)
  readonly logits: number; // (nVocab)
  readonly state: number; //  working copy of a state that lives in JS memory
}

export interface WasmMemoryReport {
  /** Bytes per region: weights, state, scratch, logits (and the module's reserved page). */
  readonly regions: Readonly<Record<string, number>>;
  readonly totalBytes: number;
  readonly shared: boolean;
}

export class WasmBackend implements ForwardBackend {
  readonly name = 'wasm';
  private readonly layers: readonly BoundLayer[];
  private readonly tokenEmbd: BoundMatrix;
  private readonly output: BoundMatrix;
  private readonly outputNormPtr: number;
  private readonly logitsView: Float32Array;
  private readonly stateView: Float32Array;
  private readonly stateBytes: number;
  private readonly layerStateBytes: number;
  private readonly convStateBytes: number;
  private readonly eps: number;
  /** memory.buffer, fixed: the memory never grows. */
  private readonly buffer: ArrayBufferLike;
  private nextResident = 0;

  private constructor(
    readonly config: MambaConfig,
    readonly memory: WasmMemory,
    private readonly k: MambaKernels,
    weights: WasmWeights,
    private readonly s: Scratch,
    private readonly residentPtrs: readonly number[],
    readonly memoryReport: WasmMemoryReport,
  ) {
    const bind = (m: WasmMatrix): BoundMatrix => {
      const row = WEIGHT_KERNELS[m.type];
      return { ...m, matvec: k[row.matvec], dtProj: k[row.dtProj], getRows: k[row.getRows], quantizeInput: row.activation === 'Q8_0' };
    };
    this.tokenEmbd = bind(weights.tokenEmbd);
    this.output = bind(weights.output);
    this.outputNormPtr = weights.outputNorm;
    this.layers = weights.layers.map((l) => ({ ...l, ssmIn: bind(l.ssmIn), ssmX: bind(l.ssmX), ssmDt: bind(l.ssmDt), ssmOut: bind(l.ssmOut) }));
    this.logitsView = new Float32Array(memory.buffer, s.logits, config.nVocab);
    const nStateFloats = MambaState.nFloats(config);
    this.stateView = new Float32Array(memory.buffer, s.state, nStateFloats);
    this.stateBytes = 4 * nStateFloats;
    this.layerStateBytes = this.stateBytes / config.nLayer;
    this.convStateBytes = 4 * config.dInner * (config.dConv - 1);
    this.eps = config.normEps;
    this.buffer = memory.buffer;
  }

  /** Loads `file`'s weights into a new wasm memory and instantiates the kernels on it. */
  static async create(file: ModelFile, opts: WasmBackendOptions = {}): Promise<WasmBackend> {
    const c = file.config;
    const shared = opts.sharedMemory ?? WASM_FEATURES.sharedMemory;
    if (shared && !WASM_FEATURES.sharedMemory) throw new UnsupportedError('shared WebAssembly memory is not available here', { hint: 'pass sharedMemory: false' });
    const module = await loadKernelModule({ shared, bytes: opts.kernelBytes });

    const arena = new WasmArena();
    const planned = planWeights(arena, file);
    const w = planned.weights;
    const matrices = [w.tokenEmbd, w.output, ...w.layers.flatMap((l) => [l.ssmIn, l.ssmX, l.ssmDt, l.ssmOut])];
    const xqBytes = Math.max(0, ...matrices.filter((m) => WEIGHT_KERNELS[m.type].activation === 'Q8_0').map((m) => Q8_0_ACTIVATION_BYTES(m.nIn)));
    const f32 = (label: string, n: number) => arena.alloc(label, 4 * n);
    const stateFloats = MambaState.nFloats(c);
    const s: Scratch = {
      hidden: f32('scratch.hidden', c.dModel),
      normed: f32('scratch.normed', c.dModel),
      out: f32('scratch.out', c.dModel),
      xz: f32('scratch.xz', 2 * c.dInner),
      xdbl: f32('scratch.xdbl', c.dtRank + 2 * c.dState),
      dt: f32('scratch.dt', c.dInner),
      y: f32('scratch.y', c.dInner),
      xq: arena.alloc('scratch.xq', xqBytes),
      logits: f32('logits', c.nVocab),
      state: f32('state.working', stateFloats),
    };
    const residentPtrs: number[] = [];
    for (let i = 0; i < (opts.residentStates ?? 1); i++) residentPtrs.push(f32(`state.resident${i}`, stateFloats));

    const memory = arena.createMemory(shared);
    const kernels = await instantiateKernels(module, memory);
    if (kernels.heap_base() > KERNEL_RESERVED_BYTES) throw new Error(`kernel module static data (${kernels.heap_base()} bytes) exceeds the reserved page`);
    await planned.fill(memory, opts.onTensor);
    const report: WasmMemoryReport = { regions: { reserved: KERNEL_RESERVED_BYTES, ...arena.summary() }, totalBytes: memory.buffer.byteLength, shared };
    return new WasmBackend(c, memory, kernels, w, s, residentPtrs, report);
  }

  /**
   * A state that lives in wasm memory (one of `residentStates` slots, zeroed): stepped in place, no copies.
   * Use it like any MambaState; it stays valid as long as this backend.
   */
  createState(): MambaState {
    if (this.nextResident >= this.residentPtrs.length) {
      throw new UnsupportedError(`all ${this.residentPtrs.length} wasm-resident state slots are in use`, { hint: 'raise residentStates when creating the backend' });
    }
    const data = new Float32Array(this.buffer, this.residentPtrs[this.nextResident++], MambaState.nFloats(this.config));
    data.fill(0);
    return new MambaState(this.config, { data });
  }

  step(token: number, state: MambaState, logits?: Float32Array): void {
    const statePtr = this.bindState(state);
    this.forward(token, statePtr, logits);
    this.unbindState(state, statePtr);
  }

  /** One step per token for now (GEMM prefill comes next); the state is copied in and out once. */
  prefill(tokens: ArrayLike<number>, state: MambaState, logits?: Float32Array): void {
    const statePtr = this.bindState(state);
    for (let i = 0; i < tokens.length; i++) this.forward(tokens[i], statePtr, i === tokens.length - 1 ? logits : undefined);
    this.unbindState(state, statePtr);
  }

  /** The state's address in wasm memory: its own when resident, else the working slot (copied in). */
  private bindState(state: MambaState): number {
    if (state.data.length !== this.stateView.length) throw new RangeError(`state has ${state.data.length} floats, this model needs ${this.stateView.length}`);
    if (state.data.buffer === this.buffer) return state.data.byteOffset;
    this.stateView.set(state.data);
    return this.s.state;
  }

  private unbindState(state: MambaState, statePtr: number): void {
    if (statePtr === this.s.state) state.data.set(this.stateView);
  }

  /** out (nRows) ← W · x, quantizing x to Q8_0 first for the quantized types. */
  private matvec(m: BoundMatrix, outPtr: number, xPtr: number): void {
    if (m.quantizeInput) {
      this.k.quantize_row_q8_0(this.s.xq, xPtr, m.nIn);
      m.matvec(outPtr, m.ptr, this.s.xq, 0, m.nRows, m.nIn);
    } else {
      m.matvec(outPtr, m.ptr, xPtr, 0, m.nRows, m.nIn);
    }
  }

  private forward(token: number, statePtr: number, logits: Float32Array | undefined): void {
    const { k, s, config: c, eps } = this;
    // hidden_states = self.embeddings(input_ids)   (dModel)
    this.tokenEmbd.getRows(s.hidden, this.tokenEmbd.ptr, token, c.dModel);
    for (let l = 0; l < c.nLayer; l++) {
      const lw = this.layers[l];
      // hidden_states = residual + hidden_states (previous layer); residual = hidden_states; hidden_states = self.norm(hidden_states)
      if (l === 0) k.rms_norm_f32(s.normed, s.hidden, lw.attnNorm, c.dModel, eps);
      else k.add_rms_norm_f32(s.normed, s.hidden, s.out, lw.attnNorm, c.dModel, eps);
      this.mixer(lw, statePtr + l * this.layerStateBytes);
    }
    if (!logits) return;
    // hidden_states = residual + hidden_states; hidden_states = self.norm_f(hidden_states)
    k.add_rms_norm_f32(s.normed, s.hidden, s.out, this.outputNormPtr, c.dModel, eps);
    // logits = self.lm_head(hidden_states)   (nVocab) ← (nVocab, dModel)·(dModel)
    this.matvec(this.output, s.logits, s.normed);
    logits.set(this.logitsView);
  }

  /** Mamba.step of one layer: reads s.normed, writes s.out. */
  private mixer(lw: BoundLayer, layerStatePtr: number): void {
    const { k, s } = this;
    const { dInner, dState, dConv, dtRank, dModel } = this.config;
    const convStatePtr = layerStatePtr; //                       (dInner, dConv−1)
    const ssmStatePtr = layerStatePtr + this.convStateBytes; //   (dInner, dState)
    // xz = self.in_proj(hidden_states)   (2·dInner) ← (2·dInner, dModel)·(dModel)
    this.matvec(lw.ssmIn, s.xz, s.normed);
    if (lw.ssmInBias) k.add_f32(s.xz, lw.ssmInBias, 0, 2 * dInner);
    // x, z = xz.chunk(2, dim=-1); conv_state roll + x; x = act(sum(conv_state * conv1d.weight) + conv1d.bias)
    k.ssm_conv1d_step_silu_f32(s.xz, convStatePtr, lw.conv1d, lw.conv1dBias, 0, dInner, dConv);
    // x_db = self.x_proj(x)   (dtRank + 2·dState) ← (dtRank + 2·dState, dInner)·(dInner)
    this.matvec(lw.ssmX, s.xdbl, s.xz);
    // dt, B, C = split(x_db); dt = F.softplus(self.dt_proj(dt))   (dInner) ← (dInner, dtRank)·(dtRank)
    const dtIn = lw.ssmDt.quantizeInput ? s.xq : s.xdbl;
    if (lw.ssmDt.quantizeInput) k.quantize_row_q8_0(s.xq, s.xdbl, dtRank);
    lw.ssmDt.dtProj(s.dt, lw.ssmDt.ptr, dtIn, lw.ssmDtBias, 0, dInner, dtRank);
    // ssm_state = ssm_state·exp(dt⊗A) + x⊗(dt⊗B); y = ssm_state·C + D·x; y = y·act(z)   (dInner)
    const bPtr = s.xdbl + 4 * dtRank;
    const cPtr = bPtr + 4 * dState;
    k.ssm_scan_step_f32(s.y, ssmStatePtr, s.xz, s.dt, lw.ssmA, bPtr, cPtr, lw.ssmD, s.xz + 4 * dInner, 0, dInner, dState);
    // out = self.out_proj(y)   (dModel) ← (dModel, dInner)·(dInner)
    this.matvec(lw.ssmOut, s.out, s.y);
    if (lw.ssmOutBias) k.add_f32(s.out, lw.ssmOutBias, 0, dModel);
  }
}
