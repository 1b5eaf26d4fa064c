import { DumpError, oneLine } from '../core/errors';

/**
 * How a CLI program ends: its exit code, or one line on stderr for what went wrong. Shared by the
 * whole CLI (src/cli.ts) and the `list` program that runs without it (src/cli/listMain.ts).
 */

export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

/** A mistake in the command line: reported with the usage text. */
export class UsageError extends Error {}

/** Writes to stdout; resolves once the text is handed over. */
export function write(text: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

let exitWhenDone = false;

/**
 * Called by commands that leave nothing running once they return (`list`): the process then
 * ends as soon as its output is flushed, without tearing down V8's heap and the TOC's tens of MB
 * piece by piece, which takes longer than listing the last ten thousand entries.
 */
export function exitOnceFlushed(): void {
  exitWhenDone = true;
}

/** Runs `main` and ends the process with its code; `usage` is printed after a usage error. */
export function runProgram(main: () => Promise<number>, usage: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // A reader that stops early (`| head`) is not an error.
    if (err.code === 'EPIPE') process.exit(0);
  });
  main().then(
    (code) => {
      process.exitCode = code;
      // Both streams flushed first: on some systems writes to a pipe complete later.
      if (exitWhenDone) process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    },
    (err: unknown) => {
      const isUsage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
      const known = err instanceof DumpError || isUsage;
      process.stderr.write(`pg-dump-explorer: error: ${known ? '' : 'unexpected failure: '}${oneLine(err)}\n`);
      if (isUsage) process.stderr.write(`${usage}\n`);
      if (process.env.PGDX_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      // A name the archive does not hold is the caller's mistake too, but the usage text would not help.
      const badName = err instanceof DumpError && err.code === 'usage';
      process.exitCode = isUsage || badName ? EXIT_USAGE : EXIT_ERROR;
    },
  );
}
