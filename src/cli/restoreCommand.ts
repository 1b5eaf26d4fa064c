import * as readline from 'node:readline/promises';
import { withArchive } from '../core/archive';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { DumpError } from '../core/errors';
import { detectDump } from '../core/formats/detect';
import { buildPlan } from '../core/plan/closure';
import { planWarnings } from '../core/plan/listFile';
import type { Selection } from '../core/plan/selection';
import { plainDumpUsesRestrict, readPlainDump, runPsqlRestore } from '../core/restore/psqlRestore';
import { formatPreflight, formatProgress, formatRestoreError } from '../core/restore/reportText';
import { runRestore } from '../core/restore/restoreArchive';
import { describePostRestore } from '../core/target/postRestore';
import { preflight, psqlRestrictFinding } from '../core/target/preflight';
import { openTargetSession } from '../core/target/session';
import { findTool } from '../core/tools/findTools';

/** `restore`: pre-flight, confirmation, restore with progress, post-restore report. Messages go to stderr. */

export interface RestoreCommandOptions {
  dbname: string;
  selection: Selection;
  noOwner: boolean;
  noPrivileges: boolean;
  clean: boolean;
  jobs: number;
  yes: boolean;
}

export const EXIT_BLOCKED = 4;
export const EXIT_RESTORE_FAILED = 5;
export const EXIT_VERIFY_FAILED = 6;
export const EXIT_CANCELLED = 130;

const say = (line: string) => process.stderr.write(`${line}\n`);

/** Asks on a terminal; elsewhere the target printed above is what the user sees. */
async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return true;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Ctrl-C cancels the restore (the tool and its children end; one transaction rolls back). */
function cancelOnInterrupt(): { signal: AbortSignal; dispose(): void } {
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

export async function restoreCommand(file: string, o: RestoreCommandOptions): Promise<number> {
  // As psql's -d: a connection string or URI, else a database name.
  const connection = resolveConnection(looksLikeConnectionString(o.dbname) ? o.dbname : { dbname: o.dbname });
  for (const note of connection.notes) say(`note: ${note}`);
  const detected = await detectDump(file);
  if (detected.kind === 'plain' || detected.kind === 'cluster' || detected.kind === 'globals') {
    return restorePlainWhole(detected.path, detected.compression, connection, o);
  }
  return withArchive(file, async (opened) => {
    const archive = opened.archive;
    const plan = buildPlan(archive, o.selection);
    if (plan.entries.length === 0) throw new DumpError('usage', 'nothing to restore: the selection has no entries in this dump');
    for (const line of planWarnings(plan)) say(`warning: ${line}`);
    say(`plan: ${plan.entries.length} entries of ${archive.entries.length}`);

    const report = await preflight(archive, plan, connection, { noOwner: o.noOwner, noPrivileges: o.noPrivileges, clean: o.clean });
    for (const line of formatPreflight(report)) say(line);
    if (report.blocking && !o.yes) {
      say('pre-flight found blocking problems: nothing was changed. Apply a fix above, or add --yes to restore anyway.');
      return EXIT_BLOCKED;
    }
    const atomic = o.jobs <= 1;
    say(`restoring into ${report.target.where} ${atomic ? 'in one transaction' : `with ${o.jobs} parallel jobs (not one transaction: a failure can leave part of it restored)`}`);
    if (!o.yes && !(await confirm(`Restore ${plan.entries.length} entries into ${report.target.where}?`))) {
      say('not confirmed: nothing was changed');
      return EXIT_BLOCKED;
    }

    const interrupt = cancelOnInterrupt();
    let lastLine = '';
    try {
      const result = await runRestore(
        opened,
        plan,
        connection,
        { noOwner: o.noOwner, noPrivileges: o.noPrivileges, clean: o.clean, jobs: o.jobs },
        {
          signal: interrupt.signal,
          onEvent: (e) => {
            if (e.kind === 'progress') {
              const line = formatProgress(e.snapshot);
              if (line !== lastLine) say((lastLine = line));
            } else if (e.kind === 'error') {
              say(`error: ${formatRestoreError(e.error)}`);
            } else if (e.kind === 'stage' && e.stage === 'post-restore') {
              say('checking the restored tables (ANALYZE, sequences, row counts)…');
            }
          },
        },
      );
      const unchanged = atomic ? 'nothing was changed (one transaction)' : 'the target may be partly restored (parallel restore)';
      if (result.cancelled) {
        say(`cancelled: ${unchanged}`);
        return EXIT_CANCELLED;
      }
      if (!result.ok) {
        for (const p of result.problems) say(`error: ${p}`);
        say(`restore failed with ${result.errors.length || 'an'} error${result.errors.length === 1 ? '' : 's'}: ${unchanged}`);
        return EXIT_RESTORE_FAILED;
      }
      say(`restored ${plan.entries.length} entries into ${report.target.where} in ${(result.durationMs / 1000).toFixed(1)} s with ${result.tool.tool} ${result.tool.version?.text ?? ''}`.trimEnd());
      if (result.postRestore) for (const line of describePostRestore(result.postRestore)) say(line);
      for (const p of result.problems) say(`problem: ${p}`);
      return result.problems.length > 0 || (result.postRestore?.problems.length ?? 0) > 0 ? EXIT_VERIFY_FAILED : 0;
    } finally {
      interrupt.dispose();
    }
  });
}

/** A plain (or pg_dumpall) dump restored whole through psql, in one transaction. */
async function restorePlainWhole(file: string, compression: Parameters<typeof readPlainDump>[1], connection: ResolvedConnection, o: RestoreCommandOptions): Promise<number> {
  if (o.selection.tables?.length || o.selection.schemas?.length) {
    throw new DumpError('unsupported', 'a selection from a plain SQL dump is not supported yet: restore it whole, or use a custom-format archive');
  }
  if (o.jobs > 1) throw new DumpError('usage', 'psql restores a plain dump in one session: --jobs applies to custom and directory archives only');
  // Pre-flight for plain dumps: the target answers, and the psql found can read the dump.
  const session = await openTargetSession(connection);
  say(`target ${session.where}: PostgreSQL ${session.serverVersion}`);
  await session.close();
  const psql = await findTool('psql').catch(() => undefined);
  const restrict = psqlRestrictFinding(psql?.version ?? null, await plainDumpUsesRestrict(file, compression));
  if (restrict) {
    say(`${restrict.severity}: ${restrict.message}`);
    if (!o.yes) {
      say('pre-flight found blocking problems: nothing was changed.');
      return EXIT_BLOCKED;
    }
  }
  say(`restoring ${file} into ${session.where} with psql in one transaction`);
  if (!o.yes && !(await confirm(`Restore ${file} into ${connection.describe()}?`))) {
    say('not confirmed: nothing was changed');
    return EXIT_BLOCKED;
  }
  const interrupt = cancelOnInterrupt();
  try {
    const result = await runPsqlRestore(readPlainDump(file, compression), connection, { signal: interrupt.signal });
    if (result.cancelled) {
      say('cancelled: nothing was changed (one transaction)');
      return EXIT_CANCELLED;
    }
    if (!result.ok) {
      for (const e of result.errors) say(`error: ${e.line !== undefined ? `line ${e.line}: ` : ''}${e.message.split('\n')[0]}`);
      say('restore failed: nothing was changed (one transaction)');
      return EXIT_RESTORE_FAILED;
    }
    say(`restored ${file} (${result.bytes} bytes of SQL) in ${(result.durationMs / 1000).toFixed(1)} s with ${result.tool.tool} ${result.tool.version?.text ?? ''}`.trimEnd());
    return 0;
  } finally {
    interrupt.dispose();
  }
}
