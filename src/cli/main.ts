#!/usr/bin/env node
/** The `mamba-ts` command line: a table of subcommands over the library. */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { MambaError, UsageError } from '../errors.js';
import type { Command, CommandIO } from './command.js';
import { convertCommand } from './convert-command.js';
import { inspectCommand } from './inspect-command.js';
import { quantizeCommand } from './quantize-command.js';
import { tokenizeCommand } from './tokenize-command.js';
import { runCommand } from './run-command.js';
import { perplexityCommand } from './perplexity-command.js';
import { benchCommand } from './bench-command.js';

export const COMMANDS: readonly Command[] = [runCommand, perplexityCommand, benchCommand, inspectCommand, convertCommand, quantizeCommand, tokenizeCommand];

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return `mamba-ts ${version()}: Mamba language models in TypeScript

usage: mamba-ts COMMAND [options]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}${c.summary}`).join('\n')}

Run \`mamba-ts COMMAND --help\` for a command's options.
`;
}

/** Runs the CLI in-process and resolves to the exit code (errors are printed, never thrown). */
export async function runCli(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.stdout.write(help());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-V') {
      io.stdout.write(version() + '\n');
      return 0;
    }
    const cmd = COMMANDS.find((c) => c.name === name);
    if (!cmd) throw new UsageError(`unknown command ${JSON.stringify(name)}`, { hint: `commands: ${COMMANDS.map((c) => c.name).join(', ')}` });
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof MambaError) {
      io.stderr.write(`error: ${e.message}\n${e.hint ? `hint: ${e.hint}\n` : ''}`);
      return e instanceof UsageError ? 2 : 1;
    }
    io.stderr.write(`internal error (please report it): ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain) {
  // A reader that stops early (`mamba-ts run … | head`) closes the pipe: stop quietly, as `cat` would, instead
  // of an unhandled EPIPE stack trace. Any other output error is still reported.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
  const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
  process.exitCode = code;
}
