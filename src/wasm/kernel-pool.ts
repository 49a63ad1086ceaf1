/**
 * The process's kernel workers: one pool per worker factory, shared by every model that computes on more than
 * one thread. A model attaches (its compiled module, its shared WebAssembly.Memory, its thread count) and gets a
 * lease to run ops on; a second model adds no thread and no V8 isolate (a Node worker costs ~8.6 MiB of RSS
 * whatever the model), and two models never put more threads than the largest count asked on the cores.
 *
 * Messages are used for setup only: each worker is started with the pool's control block and every attached
 * model (it instantiates the same kernels on each model's memory and answers 'ready'). A model attached or
 * detached restarts the workers — the old ones finish the chunk they hold, say 'stopped' and end (a worker
 * blocked in Atomics.wait never collects garbage, so only its end frees a detached model's memory), and new
 * ones start with the models left. Every op afterwards is dispatched through the control block, an Int32Array
 * on a small SharedArrayBuffer of its own, with Atomics:
 *
 *   word  0  SEQ       dispatch generation: the caller writes the op, then Atomics.add(SEQ, 1) + notify
 *   word 16  NEXT      (generation & 0x7fff) << 16 | chunks left: a thread claims chunk `left − 1` with
 *                      Atomics.compareExchange, only while the generation is its op's
 *   word 32  DONE      chunks finished (Atomics.add); the caller waits until DONE = N_CHUNKS: the barrier
 *   word 48  OP        op code (kernel-ops.ts)
 *   word 49  TOTAL     rows / channels / tokens of the op
 *   word 50  CHUNK     rows per chunk
 *   word 51  ERROR     set when a worker's kernel threw
 *   word 52  N_CHUNKS  chunks of the op
 *   word 53  MODEL     the attached model the op computes on
 *   word 54  THREADS   that model's thread count: workers 1 … THREADS − 1 take chunks, the others sit it out
 *   word 64… ARGS      MAX_OP_ARGS argument words (kernel-ops.ts), written by the caller's OpRunner
 *   word 96  EPOCH     bumped to stop the workers of the epoch before
 *
 * SEQ, NEXT, DONE and EPOCH sit on separate 64-byte lines. Waiting spins briefly (Atomics.load), then sleeps
 * (Atomics.wait). The caller takes chunks too and waits for chunks, not for workers: a worker that wakes late
 * (another process has the core, or it is being replaced) finds no chunk left — its compareExchange fails on
 * the next op's generation — and the caller has done its share. A claim can only succeed while its op is
 * running, and a thread uses the op's words only after a successful claim (MODEL and THREADS, read just before,
 * were written before the op's SEQ, and no later op can start before this one's barrier), so they are always
 * that op's. Chunks partition rows, never a reduction, so which thread computes which chunk changes no bits.
 *
 * Platform-neutral: workers come from an injected `KernelWorkerFactory` (Node: src/node/worker-pool.ts; a
 * browser supplies Web Workers running `runKernelWorker`).
 */
import { MambaError, UsageError } from '../errors.js';
import { instantiateKernels } from './kernel-module.js';
import { MAX_OP_ARGS, OP, OpRunner } from './kernel-ops.js';
import type { WasmMemory, WasmModule } from './webassembly-api.js';

const KNOWN_OPS: ReadonlySet<number> = new Set(Object.values(OP));

export const CONTROL = Object.freeze({
  SEQ: 0,
  NEXT: 16,
  DONE: 32,
  OP: 48,
  TOTAL: 49,
  CHUNK: 50,
  ERROR: 51,
  N_CHUNKS: 52,
  MODEL: 53,
  THREADS: 54,
  ARGS: 64,
  EPOCH: 96,
  /** Words in the block. */
  WORDS: 112,
});

/** The ARGS words of a control block. */
function argsOf(ctl: Int32Array): Int32Array {
  return ctl.subarray(CONTROL.ARGS, CONTROL.ARGS + MAX_OP_ARGS);
}

/** Generations as kept in NEXT's high half; chunks left in its low half. */
const GEN_MASK = 0x7fff;
const MAX_CHUNKS = 0xffff;

/** Most threads one model may compute on (the caller and 255 workers). */
export const MAX_POOL_THREADS = 256;

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

/** One attached model, as a worker sees it. */
export interface KernelWorkerModel {
  readonly id: number;
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  /** This worker's area for prepared x (OpRunner) in the model's memory; 0 = none. */
  readonly preparedPtr: number;
}

/** What a worker receives once, to start. */
export interface KernelWorkerInit {
  /** The pool's control block (a SharedArrayBuffer of CONTROL.WORDS words). */
  readonly control: SharedArrayBuffer;
  /** The epoch the worker serves; it ends when EPOCH moves past it. */
  readonly epoch: number;
  readonly workerIndex: number;
  /** The models whose ops this worker may take (those with more threads than its index). */
  readonly models: readonly KernelWorkerModel[];
  /** Atomics.load polls before sleeping in Atomics.wait. */
  readonly spinIterations: number;
}

/** What a worker sends back: 'ready' (or 'error' if it could not start), and 'stopped' once it has stopped. */
export type KernelWorkerMessage = { type: 'ready' } | { type: 'stopped' } | { type: 'error'; message: string };

/** The host's worker, reduced to what the pool needs. */
export interface KernelWorker {
  postMessage(message: KernelWorkerInit): void;
  onMessage(listener: (message: KernelWorkerMessage) => void): void;
  onError(listener: (error: unknown) => void): void;
  /** Ends the thread (once it has said 'stopped', or as a last resort). */
  terminate(): unknown;
  /** Lets the process exit while the worker idles (Node); called once the worker is ready. */
  unref?(): void;
  /** Keeps the process alive again until the worker ends (Node): the pool waits for its 'stopped'. */
  ref?(): void;
}

/** Creates one worker that runs `runKernelWorker` on the init message it is sent. */
export type KernelWorkerFactory = (workerIndex: number) => KernelWorker;

/** A kernel worker failed to start or to run an op, or the model's threads were disposed. */
export class KernelWorkerError extends MambaError {
  override readonly code = 'E_KERNEL_WORKER';
}

/**
 * Default polls before sleeping: ~20 µs, enough to catch the next op of a token (the caller's serial work
 * between ops is a few µs). Longer spins cost more than they save when the cores are shared: measured on a
 * busy 2-core machine, 2 threads decoded a 130m Q8_0 model at 35 tokens/s with 2000 polls, 24 with 20000.
 */
export const DEFAULT_SPIN_ITERATIONS = 2000;

/** What a model brings to the pool. */
export interface KernelPoolAttachOptions {
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  /** Threads computing this model's ops, the caller included (2 … MAX_POOL_THREADS). */
  readonly nThreads: number;
  /** The caller's runner on this model; its argument words must be the pool's `args`. */
  readonly runner: OpRunner;
  /** Worker i (1 … nThreads − 1) prepares x at preparedPtr(i) in the model's memory. */
  readonly preparedPtr?: (workerIndex: number) => number;
  /** Polls before a waiting thread sleeps (the workers take the largest of the attached models'). */
  readonly spinIterations?: number;
  /** Called just before the workers (re)start with this model (the old ones have stopped) and once they are ready. */
  readonly onWorkers?: (phase: 'starting' | 'ready') => void;
}

interface AttachedModel {
  readonly id: number;
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  readonly nThreads: number;
  readonly preparedPtr: ((workerIndex: number) => number) | undefined;
  readonly spin: number;
}

/** A started worker and what the pool waits for from it. */
interface PoolWorker {
  readonly worker: KernelWorker;
  /** Resolves once the worker has said 'stopped' (or failed). */
  readonly stopped: Promise<void>;
}

export class KernelPool {
  private static readonly pools = new Map<KernelWorkerFactory, KernelPool>();

  /** The pool of `factory`'s workers (made on first use; without models it holds no thread). */
  static of(factory: KernelWorkerFactory): KernelPool {
    let pool = KernelPool.pools.get(factory);
    if (!pool) {
      pool = new KernelPool(factory);
      KernelPool.pools.set(factory, pool);
    }
    return pool;
  }

  /** The control block; its ARGS words are every attached model's argument words (ops run one at a time). */
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4 * CONTROL.WORDS));
  /** The argument words of the next op: the callers' OpRunners write them, the workers' read them. */
  readonly args = argsOf(this.ctl);
  private readonly models = new Map<number, AttachedModel>();
  private workers: PoolWorker[] = [];
  private nextModelId = 1;
  /** Attaches and detaches run one after the other: each restarts the workers. */
  private admin: Promise<unknown> = Promise.resolve();
  /** Atomics.wait throws on a browser's main thread: then the caller only spins. */
  private canBlock = true;

  private constructor(private readonly factory: KernelWorkerFactory) {}

  /** Worker threads running now (0 without attached models). */
  get nWorkers(): number {
    return this.workers.length;
  }

  /** Models attached now. */
  get nModels(): number {
    return this.models.size;
  }

  /**
   * Attaches a model: the workers restart with it (and as many workers as the largest thread count asked, less
   * the caller), and resolve once every one has instantiated the kernels on its memory.
   */
  attach(opts: KernelPoolAttachOptions): Promise<KernelPoolLease> {
    if (!Number.isInteger(opts.nThreads) || opts.nThreads < 2 || opts.nThreads > MAX_POOL_THREADS) {
      return Promise.reject(new UsageError(`a kernel pool runs 2 to ${MAX_POOL_THREADS} threads per model, got ${opts.nThreads}`, { hint: `use --threads ${MAX_POOL_THREADS} or fewer` }));
    }
    if (opts.runner.args.buffer !== this.args.buffer || opts.runner.args.byteOffset !== this.args.byteOffset) {
      return Promise.reject(new Error('the runner of a pooled model must write the pool\'s argument words (KernelPool.args)'));
    }
    const model: AttachedModel = {
      id: this.nextModelId++,
      module: opts.module,
      memory: opts.memory,
      nThreads: opts.nThreads,
      preparedPtr: opts.preparedPtr,
      spin: opts.spinIterations ?? DEFAULT_SPIN_ITERATIONS,
    };
    return this.serially(async () => {
      this.models.set(model.id, model);
      try {
        await this.restart(opts.onWorkers);
      } catch (e) {
        this.models.delete(model.id);
        // the models attached before go on with workers of their own (or, if even that fails, on their caller)
        await this.restart().catch(() => undefined);
        throw e;
      }
      return new KernelPoolLease(this, model.id, model.nThreads, opts.runner, model.spin);
    });
  }

  /** Detaches a model: the workers restart without it (none are left after the last), freeing its memory. */
  detach(modelId: number): Promise<void> {
    return this.serially(async () => {
      if (!this.models.delete(modelId)) return;
      await this.restart().catch(() => undefined);
    });
  }

  private serially<T>(task: () => Promise<T>): Promise<T> {
    const run = this.admin.then(task, task);
    this.admin = run.catch(() => undefined);
    return run;
  }

  /** Stops the running workers (they end by themselves), then starts the ones the attached models need. */
  private async restart(onWorkers?: (phase: 'starting' | 'ready') => void): Promise<void> {
    await this.stopWorkers();
    const models = [...this.models.values()];
    const nWorkers = Math.max(0, ...models.map((m) => m.nThreads - 1));
    if (nWorkers === 0) return;
    const epoch = Atomics.load(this.ctl, CONTROL.EPOCH);
    const spin = Math.max(...models.map((m) => m.spin));
    onWorkers?.('starting');
    const started: PoolWorker[] = [];
    try {
      await Promise.all(
        Array.from({ length: nWorkers }, (_, k) => {
          const index = k + 1;
          const { worker, ready } = this.startWorker(index, {
            control: this.ctl.buffer as SharedArrayBuffer,
            epoch,
            workerIndex: index,
            models: models.filter((m) => m.nThreads > index).map((m) => ({ id: m.id, module: m.module, memory: m.memory, preparedPtr: m.preparedPtr?.(index) ?? 0 })),
            spinIterations: spin,
          });
          started.push(worker);
          return ready;
        }),
      );
    } catch (e) {
      this.workers = started;
      await this.stopWorkers();
      throw e;
    }
    for (const w of started) w.worker.unref?.();
    this.workers = started;
    onWorkers?.('ready');
  }

  /** Starts worker `index` on `init`: `ready` resolves on its 'ready'; its `stopped` once it has stopped or failed. */
  private startWorker(index: number, init: KernelWorkerInit): { worker: PoolWorker; ready: Promise<void> } {
    const worker = this.factory(index);
    let onStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (onStopped = resolve));
    const ready = new Promise<void>((resolve, reject) => {
      // a worker that failed returns right after (or is dead): it takes no chunk
      const fail = (message: string) => {
        reject(new KernelWorkerError(message));
        onStopped();
      };
      worker.onMessage((m) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'stopped') onStopped();
        else fail(`kernel worker ${index} failed to start: ${m.message}`);
      });
      worker.onError((e) => fail(`kernel worker ${index} failed: ${(e as Error)?.message ?? String(e)}`));
    });
    worker.postMessage(init);
    return { worker: { worker, stopped }, ready };
  }

  /** Moves EPOCH on, wakes every worker, waits until each has said 'stopped', and ends them. */
  private async stopWorkers(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    if (workers.length === 0) return;
    for (const w of workers) w.worker.ref?.();
    Atomics.add(this.ctl, CONTROL.EPOCH, 1);
    Atomics.add(this.ctl, CONTROL.SEQ, 1);
    Atomics.notify(this.ctl, CONTROL.SEQ);
    await Promise.all(workers.map((w) => w.stopped));
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }

  /**
   * Runs `op` (its argument words already written) of model `modelId` over [0, total) in chunks of `chunk`,
   * on its threads that are awake; returns when every chunk is done (the barrier).
   */
  run(modelId: number, nThreads: number, runner: OpRunner, spin: number, op: number, total: number, chunk: number): void {
    // Checked here, before any thread sees it, so the caller always gets this message (not a worker's stderr).
    if (!KNOWN_OPS.has(op)) throw new KernelWorkerError(`unknown kernel op ${op}`);
    const ctl = this.ctl;
    const nChunks = Math.ceil(total / chunk);
    if (nChunks > MAX_CHUNKS) throw new RangeError(`${nChunks} chunks in one op; at most ${MAX_CHUNKS}`);
    ctl[CONTROL.OP] = op;
    ctl[CONTROL.TOTAL] = total;
    ctl[CONTROL.CHUNK] = chunk;
    ctl[CONTROL.N_CHUNKS] = nChunks;
    ctl[CONTROL.MODEL] = modelId;
    ctl[CONTROL.THREADS] = nThreads;
    Atomics.store(ctl, CONTROL.ERROR, 0);
    Atomics.store(ctl, CONTROL.DONE, 0);
    const gen = ((Atomics.load(ctl, CONTROL.SEQ) + 1) | 0) & GEN_MASK;
    Atomics.store(ctl, CONTROL.NEXT, (gen << 16) | nChunks);
    Atomics.add(ctl, CONTROL.SEQ, 1);
    Atomics.notify(ctl, CONTROL.SEQ);
    const error = claimChunks(ctl, runner, gen);
    this.waitForChunks(nChunks, spin);
    if (error !== undefined) throw error;
    if (Atomics.load(ctl, CONTROL.ERROR) !== 0) throw new KernelWorkerError(`a kernel worker failed on op ${op} (its error is printed on stderr)`);
  }

  /** The barrier: spin, then sleep until every chunk is done. */
  private waitForChunks(nChunks: number, spin: number): void {
    const ctl = this.ctl;
    let spins = 0;
    for (;;) {
      const done = Atomics.load(ctl, CONTROL.DONE);
      if (done === nChunks) return;
      if (++spins < spin || !this.canBlock) continue;
      try {
        Atomics.wait(ctl, CONTROL.DONE, done);
      } catch {
        this.canBlock = false;
      }
    }
  }
}

/** A model's place in the pool: runs its ops on its threads until disposed. */
export class KernelPoolLease {
  private disposed = false;

  constructor(
    private readonly pool: KernelPool,
    /** The model's id in the pool. */
    readonly modelId: number,
    /** Threads working on each op: the caller and nThreads − 1 workers. */
    readonly nThreads: number,
    private readonly runner: OpRunner,
    private readonly spin: number,
  ) {}

  /**
   * Runs `op` (its argument words already written) over [0, total) in chunks of `chunk`, on every thread of
   * the model that is awake; returns when every chunk is done (the barrier).
   */
  run(op: number, total: number, chunk: number): void {
    if (this.disposed) throw new KernelWorkerError('the model was disposed: its kernel threads are gone', { hint: 'load the model again' });
    this.pool.run(this.modelId, this.nThreads, this.runner, this.spin, op, total, chunk);
  }

  /** Detaches the model (its threads no longer compute for it). Idempotent. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pool.detach(this.modelId);
  }
}

/**
 * A worker's side: instantiate the kernels on each model's memory, say 'ready', then serve ops until EPOCH
 * moves past its own; say 'stopped' and return. The loop blocks the worker's thread (it waits in
 * Atomics.wait, not in the event loop).
 */
export async function runKernelWorker(init: KernelWorkerInit, post: (message: KernelWorkerMessage) => void): Promise<void> {
  const runners = new Map<number, OpRunner>();
  const ctl = new Int32Array(init.control);
  const args = argsOf(ctl);
  try {
    for (const m of init.models) runners.set(m.id, new OpRunner(await instantiateKernels(m.module, m.memory), args, m.preparedPtr, m.memory));
  } catch (e) {
    post({ type: 'error', message: (e as Error)?.message ?? String(e) });
    return;
  }
  // SEQ before EPOCH: a stop that comes now either moved EPOCH already or will move SEQ past `seen`
  let seen = Atomics.load(ctl, CONTROL.SEQ);
  if (Atomics.load(ctl, CONTROL.EPOCH) === init.epoch) post({ type: 'ready' });
  while (Atomics.load(ctl, CONTROL.EPOCH) === init.epoch) {
    let spins = 0;
    while (Atomics.load(ctl, CONTROL.SEQ) === seen) {
      if (++spins >= init.spinIterations) {
        Atomics.wait(ctl, CONTROL.SEQ, seen);
        spins = 0;
      }
    }
    seen = Atomics.load(ctl, CONTROL.SEQ);
    if (Atomics.load(ctl, CONTROL.EPOCH) !== init.epoch) break;
    if (init.workerIndex >= ctl[CONTROL.THREADS]) continue;
    const runner = runners.get(ctl[CONTROL.MODEL]);
    if (runner === undefined) continue;
    const error = claimChunks(ctl, runner, seen & GEN_MASK);
    if (error !== undefined) {
      console.error(`kernel worker ${init.workerIndex}: ${(error as Error)?.stack ?? String(error)}`);
    }
  }
  post({ type: 'stopped' });
}
