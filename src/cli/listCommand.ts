import { withDump } from '../core/archive';
import { RestoreListWriter } from '../core/model/listing';
import { archiveToJson } from '../core/model/json';
import type { Archive } from '../core/model/types';
import { exitOnceFlushed, write } from './program';

/** Exit code of `list` when the archive was listed but some entries' data is missing or cut short. */
export const EXIT_DATA_PROBLEM = 3;

/** `list FILE [--json]`: what `pg_restore -l` prints (or every entry as JSON). */
export async function listCommand(file: string, json: boolean): Promise<number> {
  exitOnceFlushed();
  // The listing is written as the TOC is read, one entry at a time (see RestoreListWriter).
  const listing = json ? null : new RestoreListWriter();
  return withDump(
    file,
    async (opened) => {
      const a = opened.archive;
      if (json) await write(JSON.stringify(archiveToJson(a), null, 2) + '\n');
      else await write(listing!.finish(a));
      return reportDataProblems(a) ? EXIT_DATA_PROBLEM : 0;
    },
    listing ? { tocListener: listing } : {},
  );
}

/** Says on stderr which entries' data is missing or incomplete; returns whether any is. */
function reportDataProblems(a: Archive): boolean {
  for (const p of a.dataProblems) {
    const e = a.entries.find((x) => x.dumpId === p.dumpId);
    const what = e ? `${e.desc} ${e.namespace ?? '-'} ${e.tag ?? ''}`.trimEnd() : '';
    process.stderr.write(`pg-dump-explorer: warning: data of entry ${p.dumpId} (${what}) is ${p.problem}: ${p.detail}\n`);
  }
  if (a.dataProblems.length > 0) {
    process.stderr.write(
      `pg-dump-explorer: error: ${a.dataProblems.length} ${a.dataProblems.length === 1 ? 'entry has' : 'entries have'} missing or incomplete data; the dump was probably cut short\n`,
    );
  }
  return a.dataProblems.length > 0;
}
