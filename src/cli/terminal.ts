import * as readline from 'node:readline/promises';

/** What the CLI's commands share with the person at the terminal. Messages go to stderr. */

export const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Whether a question can be asked: stdin is a terminal. */
export const canAsk = (): boolean => process.stdin.isTTY === true;

/** Asks on a terminal; elsewhere the answer is `otherwise` (what was printed above is what the user sees). */
export async function confirm(question: string, otherwise = true): Promise<boolean> {
  if (!canAsk()) return otherwise;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Ctrl-C (or SIGTERM) aborts the signal instead of ending the process, so that the command can clean up. */
export function cancelOnInterrupt(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => {
    say('cancelling…');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Exit codes the commands share (src/cli.ts has 1 to 3): see USAGE. */
export const EXIT_BLOCKED = 4;
export const EXIT_FAILED = 5;
export const EXIT_VERIFY_FAILED = 6;
export const EXIT_CANCELLED = 130;
