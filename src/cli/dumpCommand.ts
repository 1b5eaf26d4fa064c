import * as fs from 'node:fs';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection } from '../core/connections/resolve';
import { planDump } from '../core/dump/planDump';
import { runDump, targetProblem } from '../core/dump/runDump';
import type { DumpOptions, DumpPlanView, DumpProgress } from '../core/dump/types';
import { DumpError } from '../core/errors';
import { describeCandidate } from '../core/tools/findTools';
import { formatBytes, plural } from '../core/units';
import { canAsk, cancelOnInterrupt, confirm, EXIT_BLOCKED, EXIT_CANCELLED, EXIT_FAILED, EXIT_VERIFY_FAILED, say } from './terminal';

/** `dump`: what will run (source, pg_dump, command), progress, then the checked result. Messages go to stderr. */

export interface DumpCommandOptions {
  dbname: string;
  file: string;
  options: DumpOptions;
  yes: boolean;
}

/** `[3/11 tables] (1.2 MB of 40 MB) sales.order` */
export function formatDumpProgress(p: DumpProgress): string {
  const bytes = p.bytesExpected > 0 ? `${formatBytes(p.bytesWritten)} of ${formatBytes(p.bytesExpected)}` : formatBytes(p.bytesWritten);
  return `[${p.tablesDone}/${p.tablesTotal} tables] (${bytes})${p.current ? ` ${p.current}` : ''}`;
}

function describePlan(plan: DumpPlanView): string[] {
  // pg_total_relation_size: what progress is measured against, though indexes are dumped as definitions only.
  const estimated = plan.sizes === 'estimated' ? ', estimated: a table is locked by another session' : '';
  const size = plan.expectedBytes > 0 ? ` (${formatBytes(plan.expectedBytes)} on the server, indexes included${estimated})` : '';
  return [
    `source: ${plan.where}, PostgreSQL ${plan.serverVersion}`,
    `using ${describeCandidate(plan.tool)}: ${plan.toolWhy}`,
    `selected: ${plural(plan.tables.length, 'table')}${size}`,
    `command: ${plan.command}`,
  ];
}

export async function dumpCommand(o: DumpCommandOptions): Promise<number> {
  // As pg_dump's -d: a connection string or URI, else a database name.
  const connection = resolveConnection(looksLikeConnectionString(o.dbname) ? o.dbname : { dbname: o.dbname });
  for (const note of connection.notes) say(`note: ${note}`);
  let plan: DumpPlanView;
  try {
    // The sizes are asked while pg_dump runs: progress lines show them from then on.
    plan = await planDump(connection, o.options, {}, { path: o.file }, { sizesLater: true });
  } catch (err) {
    // No pg_dump can dump this server, or this one cannot do what was asked: said before anything starts.
    if (err instanceof DumpError && (err.code === 'unsupported' || err.code === 'not-found')) {
      say(`pg-dump-explorer: error: ${err.message}`);
      return EXIT_BLOCKED;
    }
    throw err;
  }
  for (const line of describePlan(plan)) say(line);
  const output = plan.outputPath ?? o.file;
  if (output !== o.file) say(`note: the compressed plain dump is written as ${output}`);

  const exists = await fs.promises.lstat(output).then(
    () => true,
    () => false,
  );
  if (exists && !o.yes) {
    if (!canAsk()) {
      say(`${output} exists already: nothing was written (add --yes to replace it)`);
      return EXIT_BLOCKED;
    }
    if (!(await confirm(`${output} exists. Replace it once the new dump is complete?`, false))) {
      say('not confirmed: nothing was written');
      return EXIT_BLOCKED;
    }
  }
  const problem = await targetProblem(output, o.options.format, exists);
  if (problem) throw new DumpError('usage', problem);
  say(`writing ${output} (under a temporary name beside it until pg_dump succeeds)`);

  const interrupt = cancelOnInterrupt();
  let lastLine = '';
  try {
    const result = await runDump(
      connection,
      { path: o.file, overwrite: exists },
      o.options,
      {
        signal: interrupt.signal,
        onEvent: (e) => {
          if (e.kind !== 'progress') return;
          const line = formatDumpProgress(e.progress);
          if (line !== lastLine) say((lastLine = line));
        },
      },
      plan,
    );
    if (result.cancelled) {
      say(`cancelled: nothing was written to ${output}`);
      return EXIT_CANCELLED;
    }
    for (const e of result.errors) say(`error: ${e}`);
    if (!result.check) {
      say(`dump failed: nothing was written to ${output}`);
      return EXIT_FAILED;
    }
    if (!result.ok) {
      say(`dumped ${output}, but the check found problems: ${result.summary}`);
      return EXIT_VERIFY_FAILED;
    }
    say(`dumped ${output}: ${result.summary}`);
    return 0;
  } finally {
    interrupt.dispose();
  }
}
