#!/usr/bin/env node
/**
 * llama.cpp's (node-llama-cpp) peak RSS above its runtime on one GGUF file, for compare.mjs: one fresh process
 * per file (peak RSS only grows), the same work as a speed cell — a context of 512 tokens (batchSize 512),
 * a P-token prompt in one batch, then N greedy single-token steps. Prints one JSON object:
 * { baseline_rss_bytes, peak_rss_bytes } — the RSS once node-llama-cpp's binding is loaded, and the peak.
 *
 *   UV_THREADPOOL_SIZE=1 node llama-memory.mjs FILE THREADS P N
 */
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import { benchPrompt } from '../../dist/src/cli/bench-command.js';

const [file, threads, nPrompt, nGen] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5])];
const llama = await getLlama({ gpu: false, build: 'never', maxThreads: 0, logLevel: LlamaLogLevel.error });
const baseline = process.memoryUsage.rss();
const model = await llama.loadModel({ modelPath: file });
const ctx = await model.createContext({ contextSize: 512, batchSize: 512, threads, sequences: 1 });
const seq = ctx.getSequence();
const ids = benchPrompt(nPrompt, 50000); // compare.mjs' seeded ids (their values do not change the cost)
await seq.evaluateWithoutGeneratingNewTokens(ids);
let n = 0;
for await (const _ of seq.evaluate([ids[ids.length - 1]], { temperature: 0 })) if (++n >= nGen) break;
console.log(JSON.stringify({ baseline_rss_bytes: baseline, peak_rss_bytes: process.resourceUsage().maxRSS * 1024 }));
await ctx.dispose();
await model.dispose();
