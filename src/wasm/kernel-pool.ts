/**
 * A pool of kernel workers on the backend's shared WebAssembly.Memory. Messages are used for setup only
 * (the compiled module, the memory and the control block's address go to each worker, which instantiates
 * the same kernels on the same memory and answers 'ready'); every op afterwards is dispatched through an
 * Int32Array control block in that memory with Atomics:
 *
 *   word  0  SEQ       dispatch generation: the caller writes the op, then Atomics.add(SEQ, 1) + notify
 *   word 16  NEXT      (generation & 0x7fff) << 16 | chunks left: a thread claims chunk `left − 1` with
 *                      Atomics.compareExchange, only while the generation is its op's
 *   word 32  DONE      chunks finished (Atomics.add); the caller waits until DONE = N_CHUNKS: the barrier
 *   word 48  OP        op code (kernel-ops.ts; 0 = stop)
 *   word 49  TOTAL     rows / channels / tokens of the op
 *   word 50  CHUNK     rows per chunk
 *   word 51  ERROR     set when a worker's kernel threw
 *   word 52  N_CHUNKS  chunks of the op
 *   word 64… ARGS      MAX_OP_ARGS argument words (kernel-ops.ts)
 *
 * SEQ, NEXT and DONE sit on separate 64-byte lines. Waiting spins briefly (Atomics.load), then sleeps
 * (Atomics.wait). The caller takes chunks too and waits for chunks, not for workers: a worker that wakes late
 * (another process has the core) finds no chunk left — its compareExchange fails on the next op's
 * generation — and the caller has done its share. A claim can only succeed while its op is running, and a
 * thread reads the op's words only after a successful claim, so they are always that op's. Chunks partition
 * rows, never a reduction, so which thread computes which chunk changes no bits.
 *
 * Platform-neutral: workers come from an injected `KernelWorkerFactory` (Node: src/node/worker-pool.ts; a
 * browser supplies Web Workers running `runKernelWorker`).
 */
import { MambaError } from '../errors.js';
import { instantiateKernels } from './kernel-module.js';
import { MAX_OP_ARGS, OP, OpRunner } from './kernel-ops.js';

const KNOWN_OPS: ReadonlySet<number> = new Set(Object.values(OP));
import type { WasmMemory, WasmModule } from './webassembly-api.js';

export const CONTROL = Object.freeze({
  SEQ: 0,
  NEXT: 16,
  DONE: 32,
  OP: 48,
  TOTAL: 49,
  CHUNK: 50,
  ERROR: 51,
  N_CHUNKS: 52,
  ARGS: 64,
  /** Words in the block. */
  WORDS: 64 + MAX_OP_ARGS,
});

/** Bytes of the control block (allocate it 64-byte aligned in the shared memory). */
export const CONTROL_BYTES = 4 * CONTROL.WORDS;

/** Op code that tells workers to return. */
export const OP_STOP = 0;

/** Generations as kept in NEXT's high half; chunks left in its low half. */
const GEN_MASK = 0x7fff;
const MAX_CHUNKS = 0xffff;

/**
 * Claims and runs chunks of the op of generation `gen` until none is left (or the op is over); each finished
 * chunk adds one to DONE, the last one wakes a sleeping caller. The op's words are read after a successful
 * claim — the op is then running, so they are its own, whatever the thread saw before (even a generation
 * that wrapped around). A chunk that throws still counts as done (so nobody waits forever) and sets ERROR;
 * the first error is returned.
 */
function claimChunks(ctl: Int32Array, runner: OpRunner, gen: number): unknown {
  let error: unknown;
  for (;;) {
    const v = Atomics.load(ctl, CONTROL.NEXT);
    const left = v & 0xffff;
    if (v >>> 16 !== gen || left === 0) return error;
    if (Atomics.compareExchange(ctl, CONTROL.NEXT, v, v - 1) !== v) continue;
    const op = ctl[CONTROL.OP];
    const total = ctl[CONTROL.TOTAL];
    const chunk = ctl[CONTROL.CHUNK];
    const nChunks = ctl[CONTROL.N_CHUNKS];
    const start = (left - 1) * chunk;
    try {
      runner.run(op, start, Math.min(total, start + chunk));
    } catch (e) {
      error ??= e;
      Atomics.store(ctl, CONTROL.ERROR, 1); // before DONE: the caller reads ERROR after the barrier
    }
    if (Atomics.add(ctl, CONTROL.DONE, 1) + 1 === nChunks) Atomics.notify(ctl, CONTROL.DONE);
  }
}

/** What a worker receives once, to start. */
export interface KernelWorkerInit {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly controlPtr: number;
  readonly workerIndex: number;
  /** This worker's area for prepared x (OpRunner) in the memory; 0 = none. */
  readonly preparedPtr: number;
  /** Atomics.load polls before sleeping in Atomics.wait. */
  readonly spinIterations: number;
}

/** What a worker sends back: once 'ready' (or 'error' if it could not start). */
export type KernelWorkerMessage = { type: 'ready' } | { type: 'error'; message: string };

/** The host's worker, reduced to what the pool needs. */
export interface KernelWorker {
  postMessage(message: KernelWorkerInit): void;
  onMessage(listener: (message: KernelWorkerMessage) => void): void;
  onError(listener: (error: unknown) => void): void;
  /** Stops the thread (after the stop signal, or as a last resort). */
  terminate(): unknown;
  /** Lets the process exit while the worker idles (Node); called once the worker is ready. */
  unref?(): void;
}

/** Creates one worker that runs `runKernelWorker` on the init message it is sent. */
export type KernelWorkerFactory = (workerIndex: number) => KernelWorker;

export class KernelWorkerError extends MambaError {}

/**
 * Default polls before sleeping: ~20 µs, enough to catch the next op of a token (the caller's serial work
 * between ops is a few µs). Longer spins cost more than they save when the cores are shared: measured on a
 * busy 2-core machine, 2 threads decoded a 130m Q8_0 model at 35 tokens/s with 2000 polls, 24 with 20000.
 */
export const DEFAULT_SPIN_ITERATIONS = 2000;

export interface KernelPoolOptions {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly controlPtr: number;
  /** Threads besides the caller. */
  readonly nWorkers: number;
  readonly factory: KernelWorkerFactory;
  /** The caller's runner; its argument words must be the control block's ARGS. */
  readonly runner: OpRunner;
  /** Worker i (1…nWorkers) prepares x at preparedPtr(i). */
  readonly preparedPtr?: (workerIndex: number) => number;
  readonly spinIterations?: number;
}

export class KernelPool {
  private disposed = false;
  /** Atomics.wait throws on a browser's main thread: then the caller only spins. */
  private canBlock = true;

  private constructor(
    private readonly ctl: Int32Array,
    private readonly workers: readonly KernelWorker[],
    private readonly runner: OpRunner,
    private readonly spin: number,
  ) {}

  /** The control block's argument words, as a view on shared memory. */
  static argsView(memory: WasmMemory, controlPtr: number): Int32Array {
    return new Int32Array(memory.buffer, controlPtr + 4 * CONTROL.ARGS, MAX_OP_ARGS);
  }

  /** Starts `nWorkers` workers and resolves once every one has instantiated the kernels. */
  static async create(opts: KernelPoolOptions): Promise<KernelPool> {
    const ctl = new Int32Array(opts.memory.buffer, opts.controlPtr, CONTROL.WORDS);
    ctl.fill(0);
    const spin = opts.spinIterations ?? DEFAULT_SPIN_ITERATIONS;
    const workers: KernelWorker[] = [];
    try {
      await Promise.all(
        Array.from({ length: opts.nWorkers }, (_, i) => {
          const w = opts.factory(i + 1);
          workers.push(w);
          return new Promise<void>((resolve, reject) => {
            w.onMessage((m) => (m.type === 'ready' ? resolve() : reject(new KernelWorkerError(`kernel worker ${i + 1} failed to start: ${m.message}`))));
            w.onError((e) => reject(new KernelWorkerError(`kernel worker ${i + 1} failed: ${(e as Error)?.message ?? String(e)}`)));
            w.postMessage({ module: opts.module, memory: opts.memory, controlPtr: opts.controlPtr, workerIndex: i + 1, preparedPtr: opts.preparedPtr?.(i + 1) ?? 0, spinIterations: spin });
          });
        }),
      );
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    for (const w of workers) w.unref?.();
    return new KernelPool(ctl, workers, opts.runner, spin);
  }

  /** Threads working on an op: the workers and the caller. */
  get nThreads(): number {
    return this.workers.length + 1;
  }

  /**
   * Runs `op` (its argument words already written) over [0, total) in chunks of `chunk`, on every thread
   * that is awake; returns when every chunk is done (the barrier).
   */
  run(op: number, total: number, chunk: number): void {
    if (this.disposed) throw new KernelWorkerError('the kernel pool was disposed', { hint: 'load the model again' });
    // Checked here, before any thread sees it, so the caller always gets this message (not a worker's stderr).
    if (!KNOWN_OPS.has(op)) throw new KernelWorkerError(`unknown kernel op ${op}`);
    const ctl = this.ctl;
    const nChunks = Math.ceil(total / chunk);
    if (nChunks > MAX_CHUNKS) throw new RangeError(`${nChunks} chunks in one op; at most ${MAX_CHUNKS}`);
    ctl[CONTROL.OP] = op;
    ctl[CONTROL.TOTAL] = total;
    ctl[CONTROL.CHUNK] = chunk;
    ctl[CONTROL.N_CHUNKS] = nChunks;
    Atomics.store(ctl, CONTROL.ERROR, 0);
    Atomics.store(ctl, CONTROL.DONE, 0);
    const gen = ((Atomics.load(ctl, CONTROL.SEQ) + 1) | 0) & GEN_MASK;
    Atomics.store(ctl, CONTROL.NEXT, (gen << 16) | nChunks);
    Atomics.add(ctl, CONTROL.SEQ, 1);
    Atomics.notify(ctl, CONTROL.SEQ);
    const error = claimChunks(ctl, this.runner, gen);
    this.waitForChunks(nChunks);
    if (error !== undefined) throw error;
    if (Atomics.load(ctl, CONTROL.ERROR) !== 0) throw new KernelWorkerError(`a kernel worker failed on op ${op} (its error is printed on stderr)`);
  }

  /** The barrier: spin, then sleep until every chunk is done. */
  private waitForChunks(nChunks: number): void {
    const ctl = this.ctl;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ctl, CONTROL.DONE);
      if (done === nChunks) return;
      if (++spins < this.spin || !this.canBlock) continue;
      try {
        Atomics.wait(ctl, CONTROL.DONE, done);
      } catch {
        this.canBlock = false;
      }
    }
  }

  /** Tells the workers to return and terminates them. The pool cannot run ops afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const ctl = this.ctl;
    ctl[CONTROL.OP] = OP_STOP;
    Atomics.add(ctl, CONTROL.SEQ, 1);
    Atomics.notify(ctl, CONTROL.SEQ);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A worker's side: instantiate the kernels on the shared memory, say 'ready', then serve ops until the stop
 * signal. The loop blocks the worker's thread (it waits in Atomics.wait, not in the event loop).
 */
export async function runKernelWorker(init: KernelWorkerInit, post: (message: KernelWorkerMessage) => void): Promise<void> {
  let runner: OpRunner;
  try {
    runner = new OpRunner(await instantiateKernels(init.module, init.memory), KernelPool.argsView(init.memory, init.controlPtr), init.preparedPtr, init.memory);
  } catch (e) {
    post({ type: 'error', message: (e as Error)?.message ?? String(e) });
    return;
  }
  const ctl = new Int32Array(init.memory.buffer, init.controlPtr, CONTROL.WORDS);
  let seen = Atomics.load(ctl, CONTROL.SEQ);
  post({ type: 'ready' });
  for (;;) {
    let spins = 0;
    while (Atomics.load(ctl, CONTROL.SEQ) === seen) {
      if (++spins >= init.spinIterations) {
        Atomics.wait(ctl, CONTROL.SEQ, seen);
        spins = 0;
      }
    }
    seen = Atomics.load(ctl, CONTROL.SEQ);
    if (ctl[CONTROL.OP] === OP_STOP) return;
    const error = claimChunks(ctl, runner, seen & GEN_MASK);
    if (error !== undefined) {
      console.error(`kernel worker ${init.workerIndex}: ${(error as Error)?.stack ?? String(error)}`);
    }
  }
}
