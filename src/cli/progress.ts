/** A progress bar on stderr for long work (cli-progress); silent when stderr is not a TTY or with --quiet. */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the done amount (same unit as total). */
  update(done: number, label?: string): void;
  stop(): void;
}

const NOOP: Progress = { update() {}, stop() {} };

export function createProgress(
  stream: { isTTY?: boolean; write(s: string): unknown },
  total: number,
  opts: { quiet?: boolean; unit?: 'bytes' | 'items'; title?: string } = {},
): Progress {
  if (opts.quiet || !stream.isTTY || total <= 0) return NOOP;
  const bytes = opts.unit === 'bytes';
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: `${opts.title ?? ''} [{bar}] {percentage}% | ${bytes ? '{doneMB}/{totalMB} MB' : '{value}/{total}'} | ETA {eta_formatted} | {label}`,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const mb = (n: number) => (n / 1e6).toFixed(1);
  bar.start(total, 0, { doneMB: mb(0), totalMB: mb(total), label: '' });
  return {
    update(done, label = '') {
      bar.update(done, { doneMB: mb(done), totalMB: mb(total), label });
    },
    stop() {
      bar.stop();
    },
  };
}
