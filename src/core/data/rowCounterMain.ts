import * as fs from 'node:fs';
import * as os from 'node:os';
import { openArchive } from '../archive';
import { oneLine } from '../errors';
import { countArchiveRows } from './countRows';

/**
 * The program that counts the rows of TABLE DATA entries of an archive at the lowest CPU priority
 * (bundled on its own as dist/rowCounter.js; started by rowCounterProcess.ts):
 *
 *   node rowCounter.js ARCHIVE DUMP_ID...
 *
 * On stdout, `{"priority":P}` (its nice value), then one JSON line per entry, `{"dumpId":N,"rows":M}`
 * or `{"dumpId":N,"error":"…"}`, in the order given. A restore runs it beside pg_restore: its decompression then takes only CPU
 * time the restore leaves unused.
 */

/** Every thread of this process at the lowest priority; threads made later (libuv's pool) inherit it. */
function lowestPriority(): void {
  const lowest = os.constants.priority.PRIORITY_LOW;
  try {
    os.setPriority(lowest);
  } catch {
    return; // not allowed here: counted at normal priority
  }
  // Linux: setpriority applies to one thread; the ones Node started already (V8's) are set too.
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) os.setPriority(Number(tid), lowest);
  } catch {
    // not Linux, or a thread that has ended
  }
}

async function main(args: string[]): Promise<number> {
  const [file, ...ids] = args;
  if (!file || ids.length === 0 || ids.some((id) => !/^\d+$/.test(id))) {
    process.stderr.write('usage: rowCounter ARCHIVE DUMP_ID...\n');
    return 2;
  }
  lowestPriority();
  // First line: the priority it runs at (what the caller logs, and tests check).
  process.stdout.write(`${JSON.stringify({ priority: os.getPriority() })}\n`);
  const opened = await openArchive(file);
  try {
    for (const id of ids.map(Number)) {
      const entry = opened.archive.entries.find((e) => e.dumpId === id);
      let line: { dumpId: number; rows?: number; error?: string };
      try {
        if (!entry) throw new Error(`no entry ${id} in the archive`);
        line = { dumpId: id, rows: await countArchiveRows(opened, entry) };
      } catch (err) {
        line = { dumpId: id, error: oneLine(err) };
      }
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  } finally {
    await opened.close();
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${oneLine(err)}\n`);
    process.exitCode = 1;
  },
);
