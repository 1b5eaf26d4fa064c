import * as fs from 'node:fs';
import * as os from 'node:os';
import { run } from '../process/run';
import type { TocEntry } from '../model/types';
import { PendingCounts } from './pendingCounts';

/**
 * Where the row-counting program is and how to start it: `script` is the bundled
 * rowCounterMain.ts (dist/rowCounter.js); `node` the Node to run it with (the CLI's own
 * process.execPath; in VS Code's extension host, process.execPath with ELECTRON_RUN_AS_NODE).
 */
export interface RowCounterProgram {
  script: string;
  node: string;
  env?: Record<string, string>;
}

/**
 * Counts the rows of these TABLE DATA entries of the archive file at `path` in a process of its
 * own at the lowest CPU priority (rowCounterMain.ts): the promises, by dump ID, settle as its lines
 * arrive; `priority` is the nice value it runs at (undefined if it never said). An entry the program did not answer for (it could not start, open the archive, or
 * ended early) rejects with why; aborting `signal` ends the program and rejects the rest.
 */
export function countRowsInProcess(
  path: string,
  entries: readonly TocEntry[],
  program: RowCounterProgram,
  signal?: AbortSignal,
): { counts: Map<number, Promise<number>>; priority: Promise<number | undefined> } {
  let priorityIs: (p: number | undefined) => void = () => undefined;
  const priority = new Promise<number | undefined>((resolve) => (priorityIs = resolve));
  const pending = new PendingCounts(entries.map((e) => e.dumpId));
  const counts = pending.counts;
  if (entries.length === 0) {
    priorityIs(undefined);
    return { counts, priority };
  }
  const settleRest = (why: string) => {
    priorityIs(undefined);
    pending.rejectRest(why);
  };
  run(program.node, [program.script, path, ...entries.map((e) => String(e.dumpId))], {
    env: { ...program.env },
    ...(signal ? { signal } : {}),
    killGraceMs: 500,
    // Lowered from here too, at once: Node's own start (tens of ms of CPU) would otherwise run at
    // normal priority beside pg_restore's. Threads it starts later inherit it; the program lowers
    // the ones it has when it runs.
    onSpawn: (pid) => {
      try {
        os.setPriority(pid, os.constants.priority.PRIORITY_LOW);
      } catch {
        // not allowed here: the program tries itself
      }
    },
    onStdoutLine: (line) => {
      let answer: { dumpId?: unknown; rows?: unknown; error?: unknown; priority?: unknown };
      try {
        answer = JSON.parse(line) as typeof answer;
      } catch {
        return;
      }
      if (typeof answer.priority === 'number') priorityIs(answer.priority);
      if (typeof answer.dumpId !== 'number') return;
      if (typeof answer.rows === 'number') pending.resolve(answer.dumpId, answer.rows);
      else pending.reject(answer.dumpId, typeof answer.error === 'string' ? answer.error : 'no count');
    },
  }).then(
    () => settleRest('the row counter ended without counting it'),
    (err: unknown) => settleRest(err instanceof Error ? err.message : String(err)),
  );
  return { counts, priority };
}

/** The counter program beside a bundle (dist/rowCounter.js next to dist/extension.js or dist/cli/..), when it is there. */
export function rowCounterBeside(dir: string, node = process.execPath, env?: Record<string, string>): RowCounterProgram | undefined {
  for (const candidate of [`${dir}/rowCounter.js`, `${dir}/../rowCounter.js`]) {
    if (fs.existsSync(candidate)) return { script: fs.realpathSync(candidate), node, ...(env ? { env } : {}) };
  }
  return undefined;
}
