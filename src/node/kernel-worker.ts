/**
 * Entry of a Node kernel worker (worker_threads): receives its init message once, then serves ops from the
 * shared control block until the stop signal (src/wasm/kernel-pool.ts), and lets its thread end.
 */
import { parentPort } from 'node:worker_threads';
import { runKernelWorker, type KernelWorkerInit } from '../wasm/kernel-pool.js';

const port = parentPort;
if (!port) throw new Error('kernel-worker.js runs as a worker thread (see src/node/worker-pool.ts)');
port.once('message', (init: KernelWorkerInit) => {
  void runKernelWorker(init, (m) => port.postMessage(m)).then(() => port.close());
});
