import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { prepareCopy } from '../core/copy/copyDatabase';
import type { CopyEvent } from '../core/copy/types';
import type { Selection } from '../core/plan/selection';
import { planWarnings } from '../core/plan/listFile';
import { formatPreflight, formatProgress, formatRestoreError } from '../core/restore/reportText';
import { describeTool } from '../core/restore/restoreArchive';
import { describePostRestore } from '../core/target/postRestore';
import { formatBytes } from '../core/units';
import { cancelOnInterrupt, confirm, EXIT_BLOCKED, EXIT_CANCELLED, EXIT_FAILED, EXIT_VERIFY_FAILED, say } from './terminal';

/** `copy`: pre-flight on the target, confirmation, pg_dump | pg_restore with progress, the checks. Messages go to stderr. */

export interface CopyCommandOptions {
  from: string;
  to: string;
  selection: Selection;
  noOwner: boolean;
  noPrivileges: boolean;
  clean: boolean;
  jobs: number;
  yes: boolean;
}

/** As psql's -d: a connection string, URI or service, else a database name. */
function connectionOf(text: string, role: string): ResolvedConnection {
  const connection = resolveConnection(looksLikeConnectionString(text) ? text : { dbname: text });
  for (const note of connection.notes) say(`note (${role}): ${note}`);
  return connection;
}

export async function copyCommand(o: CopyCommandOptions): Promise<number> {
  const source = connectionOf(o.from, 'source');
  const target = connectionOf(o.to, 'target');
  const options = { selection: o.selection, noOwner: o.noOwner, noPrivileges: o.noPrivileges, clean: o.clean, jobs: o.jobs };
  const prepared = await prepareCopy(source, target, options);
  let ran = false;
  try {
    const { plan, report, archive } = prepared;
    say(`source ${prepared.snapshot.where}: PostgreSQL ${prepared.snapshot.serverVersion}, snapshot ${prepared.snapshot.id}, dumped by ${describeTool(prepared.dumpTool)}`);
    for (const line of planWarnings(plan)) say(`warning: ${line}`);
    say(`plan: ${plan.entries.length} entries of ${archive.entries.length}`);
    for (const line of formatPreflight(report)) say(line);
    if (report.blocking && !o.yes) {
      say('pre-flight found blocking problems: nothing was changed. Apply a fix above, or add --yes to copy anyway.');
      return EXIT_BLOCKED;
    }
    const atomic = prepared.engine === 'pipe';
    const how = atomic
      ? `through ${describeTool(prepared.restoreTool)} in one transaction`
      : `with pgcopydb ${prepared.copier?.version ?? ''}, ${o.jobs} jobs (not one transaction: a failure can leave part of it copied)`;
    say(`copying into ${report.target.where} ${how}`);
    if (!o.yes && !(await confirm(`Copy ${plan.entries.length} entries from ${prepared.snapshot.where} into ${report.target.where}?`))) {
      say('not confirmed: nothing was changed');
      return EXIT_BLOCKED;
    }
    const interrupt = cancelOnInterrupt();
    let lastLine = '';
    ran = true;
    try {
      const result = await prepared.run({
        signal: interrupt.signal,
        onEvent: (e: CopyEvent) => {
          if (e.kind === 'progress') {
            const line = `${formatProgress(e.snapshot)}${e.streamedBytes > 0 ? ` (${formatBytes(e.streamedBytes)} streamed)` : ''}`;
            if (line !== lastLine) say((lastLine = line));
          } else if (e.kind === 'error') say(`error: ${formatRestoreError(e.error)}`);
          else if (e.kind === 'source-error') say(`error (source): ${e.message}`);
          else if (e.kind === 'stage' && e.stage === 'checks') say('checking the copied tables (ANALYZE, sequences, row counts against the source in the same snapshot)…');
        },
      });
      const unchanged = atomic ? 'nothing was changed (one transaction)' : 'the target may be partly copied (pgcopydb)';
      if (result.cancelled) {
        say(`cancelled: ${unchanged}`);
        return EXIT_CANCELLED;
      }
      if (!result.ok) {
        for (const p of result.problems) say(`error: ${p}`);
        const n = result.errors.length + result.sourceErrors.length;
        say(`copy failed with ${n === 0 ? 'an error' : `${n} error${n === 1 ? '' : 's'}`}: ${unchanged}`);
        return EXIT_FAILED;
      }
      for (const note of result.notes) say(`note: ${note}`);
      say(`copied ${result.entries} entries into ${report.target.where} in ${(result.durationMs / 1000).toFixed(1)} s${result.bytes > 0 ? ` (${formatBytes(result.bytes)} streamed)` : ''} with ${result.tools.join(' and ')}`);
      if (result.postRestore) for (const line of describePostRestore(result.postRestore, 'the source')) say(line);
      for (const p of result.problems) say(`problem: ${p}`);
      return result.problems.length > 0 || (result.postRestore?.problems.length ?? 0) > 0 ? EXIT_VERIFY_FAILED : 0;
    } finally {
      interrupt.dispose();
    }
  } finally {
    if (!ran) await prepared.close();
  }
}
