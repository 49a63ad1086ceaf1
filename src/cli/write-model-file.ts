/**
 * The shared tail of `convert` and `quantize`: stream a model into OUT (through OUT.partial, removed on
 * failure) with a progress bar, then print what was written.
 */
import { stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { FileSink } from '../node/file-source.js';
import type { ByteSink } from '../io/byte-source.js';
import type { ModelFile } from '../model/model-file.js';
import type { TensorPlan } from '../quant/tensor-plan.js';
import type { CommandIO } from './command.js';
import { createProgress } from './progress.js';

export interface WriteModelFileOptions {
  title: string;
  quiet?: boolean;
  /** Writes the file; calls onTensor(i, name) after tensor i of `model.tensors`. */
  write: (sink: ByteSink, onTensor: (index: number, name: string) => void) => Promise<TensorPlan[]>;
  /** What was written, for the summary line: "f16", "q8_0 (output f16)"… */
  describe: string;
  summary?: (plans: TensorPlan[]) => string;
}

export async function writeModelFile(io: CommandIO, model: ModelFile, out: string, opts: WriteModelFileOptions): Promise<TensorPlan[]> {
  const t0 = performance.now();
  const total = model.tensors.reduce((a, t) => a + t.nBytes, 0);
  const progress = createProgress(io.stderr, total, { quiet: opts.quiet, unit: 'bytes', title: opts.title });
  const sink = await FileSink.create(out);
  let done = 0;
  let plans: TensorPlan[];
  try {
    plans = await opts.write(sink, (i, name) => {
      done += model.tensors[i].nBytes;
      progress.update(done, name);
    });
  } catch (e) {
    await sink.abort();
    throw e;
  } finally {
    progress.stop();
  }
  if (!opts.quiet) {
    const secs = (performance.now() - t0) / 1000;
    const rss = process.resourceUsage().maxRSS * 1024;
    io.stderr.write(
      `wrote ${out}: ${model.tensors.length} tensors, ${opts.describe}, ${(sink.bytesWritten / 1e6).toFixed(1)} MB (from ${(total / 1e6).toFixed(1)} MB) ` +
        `in ${secs.toFixed(1)} s (peak RSS ${(rss / 1e6).toFixed(0)} MB)\n` +
        (opts.summary?.(plans) ?? ''),
    );
  }
  return plans;
}

/** Refuses to overwrite an existing OUT unless --force was given (nothing a user has is lost). */
export async function checkOutputPath(out: string, force: boolean | undefined): Promise<void> {
  const exists = await stat(out).then(
    () => true,
    () => false,
  );
  if (exists && !force) throw new UsageError(`${out} already exists`, { hint: 'pass --force to overwrite it' });
}
