import { realpathSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { withDump, type OpenedArchive } from '../core/archive';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { DumpError } from '../core/errors';
import { isClusterFolder, readClusterFolder } from '../core/dump/clusterFolder';
import { rowCounterBeside, type RowCounterProgram } from '../core/data/rowCounterProcess';
import { detectDump } from '../core/formats/detect';
import { buildPlan } from '../core/plan/closure';
import { planWarnings } from '../core/plan/listFile';
import type { Selection } from '../core/plan/selection';
import { formatPreflight, formatProgress, formatRestoreError } from '../core/restore/reportText';
import { describeTool, optionsFromPreflight, restoreObstacle, runRestore } from '../core/restore/restoreArchive';
import { openClusterDatabase, readClusterDump } from '../core/plain/clusterDump';
import { settingParameters } from '../core/plain/slices';
import { restoreRoles, rolesPreflight } from '../core/restore/rolesRestore';
import { describePostRestore } from '../core/target/postRestore';
import { preflight, preflightSessionAhead } from '../core/target/preflight';
import type { SessionAhead } from '../core/server/session';
import { findPgRestoreFor, findTool } from '../core/tools/findTools';
import { formatBytes, plural } from '../core/units';
import { cancelOnInterrupt, confirm, EXIT_BLOCKED, EXIT_CANCELLED, EXIT_FAILED as EXIT_RESTORE_FAILED, EXIT_VERIFY_FAILED, say } from './terminal';

/** `restore`: pre-flight, confirmation, restore with progress, post-restore report. Messages go to stderr. */

export interface RestoreCommandOptions {
  dbname: string;
  selection: Selection;
  noOwner: boolean;
  noPrivileges: boolean;
  clean: boolean;
  jobs: number;
  /** COPY … FREEZE for the tables the restore creates (RestoreRunOptions.freeze); default true. */
  freeze?: boolean;
  yes: boolean;
  /** pg_dumpall scripts: restore the roles (and with `tablespaces`, the tablespaces) only. */
  rolesOnly?: boolean;
  tablespaces?: boolean;
  /** pg_dumpall scripts: restore (the selection from) this database of the script. */
  database?: string;
}

export async function restoreCommand(file: string, o: RestoreCommandOptions): Promise<number> {
  // As psql's -d: a connection string or URI, else a database name.
  const connection = resolveConnection(looksLikeConnectionString(o.dbname) ? o.dbname : { dbname: o.dbname });
  for (const note of connection.notes) say(`note: ${note}`);
  if (await isClusterFolder(file)) return restoreFromClusterFolder(file, connection, o);
  const detected = await detectDump(file);
  if (detected.kind === 'cluster' || detected.kind === 'globals') {
    if (o.rolesOnly) return restoreRolesOnly(detected.path, connection, o);
    const cluster = await readClusterDump(detected.path);
    const names = cluster.databases.map((d) => d.database);
    if (o.database === undefined) {
      // Its roles and databases cannot go in one transaction (CREATE DATABASE cannot run in one), and
      // pg_dumpall writes CREATE ROLE for roles every server has: a whole script is not restored here.
      throw new DumpError(
        'usage',
        `${basename(file)} is a pg_dumpall script: restore its roles with --roles-only${names.length > 0 ? `, then a database of it (${names.join(', ')}) with --database NAME into a database of your choice` : ''}`,
      );
    }
    const opened = await openClusterDatabase(cluster, o.database);
    try {
      return await restoreOpened(opened, connection, o);
    } finally {
      await opened.close();
    }
  }
  if (o.rolesOnly) throw new DumpError('usage', `--roles-only applies to pg_dumpall scripts; ${file} is the dump of one database`);
  if (o.database !== undefined) throw new DumpError('usage', `--database picks a database of a pg_dumpall script; ${file} is the dump of one database`);
  // The pre-flight check's connection is made while the dump is opened and planned.
  const ahead = preflightSessionAhead(connection);
  try {
    return await withDump(file, (opened) => restoreOpened(opened, connection, o, ahead));
  } finally {
    ahead.release();
  }
}

/** A cluster folder (dump-cluster): its globals.sql is a pg_dumpall script, its databases are archives. */
async function restoreFromClusterFolder(dir: string, connection: ResolvedConnection, o: RestoreCommandOptions): Promise<number> {
  const folder = await readClusterFolder(dir);
  if (o.rolesOnly) return restoreRolesOnly(folder.globalsPath, connection, o);
  const names = folder.databases.map((d) => d.name);
  if (o.database === undefined) {
    throw new DumpError('usage', `${basename(dir)} is a cluster folder: restore its roles with --roles-only${names.length > 0 ? `, then a database of it (${names.join(', ')}) with --database NAME into a database of your choice` : ''}`);
  }
  const database = folder.databases.find((d) => d.name === o.database);
  if (!database) throw new DumpError('usage', `cluster folder ${basename(dir)} holds no database "${o.database}"; it holds ${names.join(', ') || 'none'}`);
  return withDump(database.path, (opened) => restoreOpened(opened, connection, o));
}

/** The restore of one database's dump (an archive, a plain dump, a database of a pg_dumpall script). */
async function restoreOpened(opened: OpenedArchive, connection: ResolvedConnection, o: RestoreCommandOptions, ahead?: SessionAhead): Promise<number> {
  const runOptions = { noOwner: o.noOwner, noPrivileges: o.noPrivileges, clean: o.clean, jobs: o.jobs, ...(o.freeze === false ? { freeze: false } : {}) };
  const archive = opened.archive;
  // Options psql cannot apply to a plain dump are refused before anything is asked of the target.
  const obstacle = restoreObstacle(opened, runOptions);
  if (obstacle) throw new DumpError('unsupported', obstacle);
  const plan = buildPlan(archive, o.selection);
  if (plan.entries.length === 0) throw new DumpError('usage', 'nothing to restore: the selection has no entries in this dump');
  for (const line of planWarnings(plan)) say(`warning: ${line}`);
  say(`plan: ${plan.entries.length} entries of ${archive.entries.length}${archive.format === 'plain' ? ' (plain dump: the sections are streamed to psql)' : ''}`);

  // The search for pg_restore (each candidate's --version) runs while the target is asked.
  const pgRestore = archive.format === 'plain' ? undefined : findPgRestoreFor(archive.header.version);
  pgRestore?.catch(() => undefined); // awaited (and reported) by the restore
  // A plain dump's psql must read its \restrict lines; the target is asked which of its settings' parameters it lacks.
  const psql = archive.format === 'plain' ? { version: (await findTool('psql').catch(() => undefined))?.version ?? null, dumpUsesRestrict: opened.plain?.restrictKey != null } : undefined;
  const parameters = opened.plain ? settingParameters(opened.plain, plan.entries.map((p) => p.entry)) : [];
  const report = await preflight(archive, plan, connection, { noOwner: o.noOwner, noPrivileges: o.noPrivileges, clean: o.clean, ...(psql ? { psql } : {}), ...(parameters.length > 0 ? { settingParameters: parameters } : {}) }, ahead);
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
      { ...runOptions, ...optionsFromPreflight(report) },
      {
        signal: interrupt.signal,
        ...rowCounterHook(),
        ...(pgRestore ? { pgRestore } : {}),
        onEvent: (e) => {
          if (e.kind === 'progress') {
            const line = formatProgress(e.snapshot);
            if (line !== lastLine) say((lastLine = line));
          } else if (e.kind === 'error') {
            say(`error: ${formatRestoreError(e.error)}`);
          } else if (e.kind === 'stage' && e.stage === 'post-restore') {
            say('checking the restored tables (ANALYZE, sequences, row counts)…');
          } else if (e.kind === 'unpack') {
            say(`copying ${plural(e.files, 'file')} (${formatBytes(e.bytes)}) out of ${basename(archive.path)} into a temporary folder for pg_restore (removed afterwards)…`);
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
    for (const note of result.notes) say(`note: ${note}`);
    if (result.freezeRefused) say(`note: the target refused COPY FREEZE (${result.freezeRefused}): the restore was run again without it`);
    // A plain restore's progress counts the entries sent (the plan without what was left out); its notes also name settings.
    const restored = archive.format === 'plain' ? result.progress.total : plan.entries.length - result.notes.length;
    say(`restored ${restored} entries into ${report.target.where} in ${(result.durationMs / 1000).toFixed(1)} s with ${describeTool(result.tool)}`);
    if (result.postRestore) for (const line of describePostRestore(result.postRestore)) say(line);
    for (const p of result.problems) say(`problem: ${p}`);
    return result.problems.length > 0 || (result.postRestore?.problems.length ?? 0) > 0 ? EXIT_VERIFY_FAILED : 0;
  } finally {
    interrupt.dispose();
  }
}

/** The roles of a pg_dumpall script, in one transaction; roles the target has are left as they are. */
async function restoreRolesOnly(file: string, connection: ResolvedConnection, o: RestoreCommandOptions): Promise<number> {
  if (o.selection.tables?.length || o.selection.schemas?.length) throw new DumpError('usage', '--roles-only takes no --table or --schema');
  const cluster = await readClusterDump(file);
  const plan = await rolesPreflight(cluster, connection, { tablespaces: o.tablespaces ?? false });
  const t = plan.target;
  say(`target ${t.where}: PostgreSQL ${t.serverVersion}, connected as ${t.user}${t.isSuperuser ? ' (superuser)' : ''}`);
  say(`roles in ${basename(file)}: ${cluster.roles.length}; to create: ${plan.create.join(', ') || 'none'}`);
  if (plan.createTablespaces.length > 0) say(`tablespaces to create: ${plan.createTablespaces.join(', ')}`);
  for (const line of plan.leftOut) say(`note: ${line}`);
  if (!t.canCreateRoles && plan.create.length > 0) {
    say(`blocking: ${t.user} may not create roles (it needs CREATEROLE or superuser): connect as a user who may`);
    if (!o.yes) return EXIT_BLOCKED;
  }
  if (plan.statements.length === 0) {
    say('nothing to restore: every role of the script exists in the target already');
    return 0;
  }
  const how = plan.singleTransaction ? 'in one transaction' : 'statement by statement (CREATE TABLESPACE cannot run in a transaction: a failure can leave part of it done)';
  say(`restoring ${plan.statements.length} statements into ${t.where} ${how}`);
  if (!o.yes && !(await confirm(`Create ${plan.create.length} roles in ${t.where}?`))) {
    say('not confirmed: nothing was changed');
    return EXIT_BLOCKED;
  }
  const interrupt = cancelOnInterrupt();
  try {
    const result = await restoreRoles(cluster, plan, connection, { signal: interrupt.signal });
    const unchanged = plan.singleTransaction ? 'nothing was changed (one transaction)' : 'what ran before the failure stays';
    if (result.cancelled) {
      say(`cancelled: ${unchanged}`);
      return EXIT_CANCELLED;
    }
    if (!result.ok) {
      for (const e of result.errors) say(`error: ${e.line !== undefined ? `line ${e.line}: ` : ''}${e.message.split('\n')[0]}`);
      say(`restore failed: ${unchanged}`);
      return EXIT_RESTORE_FAILED;
    }
    say(`created ${plan.create.length} roles (${plan.create.join(', ') || 'none'}) in ${t.where} in ${(result.durationMs / 1000).toFixed(1)} s with ${describeTool(result.tool)}`);
    return 0;
  } finally {
    interrupt.dispose();
  }
}

/** dist/rowCounter.js beside the CLI's launcher (dist/cli.js), when the CLI runs from its build. */
function rowCounterHook(): { rowCounter?: RowCounterProgram } {
  const launcher = process.argv[1];
  if (!launcher) return {};
  let dir: string;
  try {
    dir = dirname(realpathSync(launcher));
  } catch {
    return {};
  }
  const program = rowCounterBeside(dir);
  return program ? { rowCounter: program } : {};
}
