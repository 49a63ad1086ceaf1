/**
 * A CLI subcommand. `main.ts` holds the table of commands; each command parses its own
 * arguments (see `parse-args.ts`) and writes to the given streams, so tests can run it in-process.
 */
export interface CommandIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Working directory for relative paths. */
  cwd: string;
}

export interface Command {
  readonly name: string;
  /** One line for `mamba-ts --help`. */
  readonly summary: string;
  /** Full usage text for `mamba-ts NAME --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the exit code. Throws MambaError for user errors. */
  run(argv: string[], io: CommandIO): Promise<number>;
}
