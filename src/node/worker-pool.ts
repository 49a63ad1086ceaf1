/**
 * Node's side of the kernel pool (src/wasm/kernel-pool.ts): worker_threads running kernel-worker.js, and the
 * default thread count.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { physicalCoreCount } from './physical-cores.js';
import type { KernelWorker, KernelWorkerFactory, KernelWorkerMessage } from '../wasm/kernel-pool.js';

const WORKER_URL = new URL('./kernel-worker.js', import.meta.url);

/** Kernel workers as worker_threads; unref'd once ready, so an idle pool never keeps the process alive. */
export const nodeKernelWorkerFactory: KernelWorkerFactory = (): KernelWorker => {
  // A kernel worker runs WASM on shared memory and makes almost no JS objects: a small heap cap keeps V8 from
  // reserving a full-size heap for it (~1 MiB of RSS per worker, measured).
  const w = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: 16 } });
  return {
    postMessage: (m) => w.postMessage(m),
    onMessage: (listener) => w.on('message', (m: KernelWorkerMessage) => listener(m)),
    onError: (listener) => w.on('error', listener),
    terminate: () => w.terminate(),
    unref: () => w.unref(),
    ref: () => w.ref(),
  };
};

/**
 * Threads when none are asked for: one per physical core (physical-cores.ts), and no more than the CPUs this
 * process may use (os.availableParallelism(): affinity, cgroup limits). Measured once.
 */
export function defaultThreadCount(): number {
  cachedThreadCount ??= Math.max(1, Math.min(availableParallelism(), physicalCoreCount() ?? Infinity));
  return cachedThreadCount;
}
let cachedThreadCount: number | undefined;
