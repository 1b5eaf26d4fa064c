/**
 * A whole cluster as the PostgreSQL documentation recommends over one pg_dumpall script: the
 * globals (`globals.sql`, pg_dumpall --globals-only) and one custom-format archive per database
 * (pg_dump -Fc: restorable selectively and in parallel), plus a manifest (clusterFolder.ts).
 * Templates and databases that do not allow connections are left out, as pg_dumpall leaves out
 * template0. The folder is written under a temporary name beside the target and renamed when
 * complete; a failure or a cancel removes it.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ResolvedConnection } from '../connections/resolve';
import { runClientProgram } from '../process/clientProgram';
import { CancelledError } from '../process/run';
import { openServerSession, serverMajor } from '../server/session';
import { findToolForServer, type FindToolOptions, type ToolCandidate } from '../tools/findTools';
import { checkTarget, moveIntoPlace, removeQuietly, temporaryNameBeside } from './atomicOutput';
import { archiveFileNames, CLUSTER_FORMAT, CLUSTER_FORMAT_VERSION, GLOBALS_FILE, MANIFEST_FILE, type ClusterManifest, type ClusterManifestDatabase } from './clusterFolder';
import { errorLines, writeGlobals } from './globals';

export { readClusterFolder, isClusterFolder, type ClusterFolder, type ClusterManifest } from './clusterFolder';

export interface ClusterOptions {
  /** pg_dumps run at once, one database each. Default 1. */
  jobs?: number;
  /** Replace an existing folder (only once the new one is complete). */
  overwrite?: boolean;
  /** Globals without role passwords from the start. */
  noRolePasswords?: boolean;
}

export type ClusterEvent =
  /** Before anything is written: the server, the tools and the databases that will be dumped. */
  | { kind: 'start'; where: string; serverVersion: string; pgDump: ToolCandidate; pgDumpall: ToolCandidate; databases: { name: string; bytes: number }[] }
  | { kind: 'globals'; state: 'started' | 'done' }
  /** A database's pg_dump started or finished; `done` of `total` have finished. */
  | { kind: 'database'; state: 'started' | 'done'; database: string; done: number; total: number }
  /** A line a tool printed (for the log). */
  | { kind: 'output'; line: string };

export interface ClusterHooks {
  signal?: AbortSignal;
  onEvent?: (event: ClusterEvent) => void;
  /** Configured pg_dump / pg_dumpall (the executable or its folder). */
  pgDumpPath?: string;
  pgDumpallPath?: string;
  /** Where to look besides the configured paths (tests: PATH only). */
  standardLocations?: boolean;
}

export interface ClusterResult {
  ok: boolean;
  cancelled: boolean;
  /** The folder (only when ok: otherwise nothing was left there). */
  path: string;
  /** One line each: which part failed, and what the tool said. */
  errors: string[];
  /** One line each (e.g. roles dumped without passwords). */
  notes: string[];
  manifest?: ClusterManifest;
  durationMs: number;
}

interface DatabaseToDump {
  name: string;
  bytes: number;
  file: string;
}

/** The databases one may connect to and dump, with their sizes; templates left out. */
async function databasesOf(connection: ResolvedConnection) {
  const session = await openServerSession(connection, { applicationName: 'pg-dump-explorer dump' });
  try {
    const rows = (
      await session.client.query<{ datname: string; bytes: string }>(
        `select datname, pg_catalog.pg_database_size(oid)::text as bytes from pg_catalog.pg_database
          where not datistemplate and datallowconn and pg_catalog.has_database_privilege(datname, 'CONNECT')
          order by datname collate "C"`,
      )
    ).rows;
    return { where: session.where.replace(/\/[^/]*$/, ''), serverVersion: session.serverVersion, serverVersionNum: session.serverVersionNum, databases: rows.map((r) => ({ name: r.datname, bytes: Number(r.bytes) })) };
  } finally {
    await session.close();
  }
}

/**
 * Dumps the cluster behind `connection` into the folder `dir`. Throws (a one-line DumpError)
 * before anything is written: no connection, no pg_dump / pg_dumpall new enough for the server,
 * `dir` exists and may not be replaced. A tool's failure or a cancel is a result.
 */
export async function dumpCluster(connection: ResolvedConnection, dir: string, options: ClusterOptions = {}, hooks: ClusterHooks = {}): Promise<ClusterResult> {
  const started = new Date();
  const jobs = Math.max(1, Math.floor(options.jobs ?? 1));
  await checkTarget(dir, 'folder', options.overwrite ?? false);
  const source = await databasesOf(connection);
  const server = { major: serverMajor(source.serverVersionNum), version: source.serverVersion.split(' ')[0] ?? source.serverVersion };
  const find: FindToolOptions = { ...(hooks.standardLocations === false ? { standardLocations: false } : {}), ...(hooks.signal ? { signal: hooks.signal } : {}) };
  const pgDumpall = await findToolForServer('pg_dumpall', server, { ...find, ...(hooks.pgDumpallPath ? { configuredPath: hooks.pgDumpallPath } : {}) });
  const pgDump = await findToolForServer('pg_dump', server, { ...find, ...(hooks.pgDumpPath ? { configuredPath: hooks.pgDumpPath } : {}) });
  const files = archiveFileNames(source.databases.map((d) => d.name));
  const databases: DatabaseToDump[] = source.databases.map((d, i) => ({ ...d, file: files[i]! }));
  const emit = (event: ClusterEvent) => hooks.onEvent?.(event);
  emit({ kind: 'start', where: source.where, serverVersion: source.serverVersion, pgDump, pgDumpall, databases: source.databases });

  const temporary = temporaryNameBeside(dir);
  // 0700: globals.sql holds password hashes.
  await fs.mkdir(temporary, { mode: 0o700 });
  const notes: string[] = [];
  const finish = (fields: Pick<ClusterResult, 'ok' | 'cancelled' | 'errors'> & { manifest?: ClusterManifest }): ClusterResult => ({ path: dir, notes, durationMs: Date.now() - started.getTime(), ...fields });
  try {
    emit({ kind: 'globals', state: 'started' });
    const globals = await writeGlobals(pgDumpall, connection, path.join(temporary, GLOBALS_FILE), { noRolePasswords: options.noRolePasswords ?? false }, {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onOutput: (line) => emit({ kind: 'output', line }),
    });
    notes.push(...globals.notes);
    if (!globals.ok) {
      await removeQuietly(temporary);
      return finish({ ok: false, cancelled: globals.cancelled, errors: globals.errors.map((e) => `globals: ${e}`) });
    }
    emit({ kind: 'globals', state: 'done' });

    const failure = await dumpDatabases(pgDump, connection, temporary, databases, jobs, hooks.signal, emit);
    if (failure) {
      await removeQuietly(temporary);
      return finish(failure);
    }
    const manifest: ClusterManifest = {
      format: CLUSTER_FORMAT,
      formatVersion: CLUSTER_FORMAT_VERSION,
      server: { version: source.serverVersion, versionNum: source.serverVersionNum },
      tools: { pg_dump: pgDump.version?.text ?? '', pg_dumpall: pgDumpall.version?.text ?? '' },
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      globals: { file: GLOBALS_FILE, rolesOnly: false, noRolePasswords: globals.noRolePasswords },
      databases: await archiveSizes(temporary, databases),
    };
    await fs.writeFile(path.join(temporary, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await moveIntoPlace(temporary, dir, options.overwrite ?? false);
    return finish({ ok: true, cancelled: false, errors: [], manifest });
  } catch (err) {
    await removeQuietly(temporary);
    throw err;
  }
}

/**
 * pg_dump -Fc of each database into `folder`, `jobs` at a time. The first failure (or a cancel)
 * ends the pg_dumps still running; returns what went wrong, or undefined when all succeeded.
 */
async function dumpDatabases(
  tool: ToolCandidate,
  connection: ResolvedConnection,
  folder: string,
  databases: DatabaseToDump[],
  jobs: number,
  signal: AbortSignal | undefined,
  emit: (event: ClusterEvent) => void,
): Promise<Pick<ClusterResult, 'ok' | 'cancelled' | 'errors'> | undefined> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted) stop.abort();
  const errors: string[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (!stop.signal.aborted && next < databases.length) {
      const db = databases[next++]!;
      emit({ kind: 'database', state: 'started', database: db.name, done, total: databases.length });
      try {
        await runClientProgram(tool, connection.withDatabase(db.name), (c) => ['--format=custom', '--verbose', `--file=${path.join(folder, db.file)}`, ...c], {
          signal: stop.signal,
          onStderrLine: (line) => emit({ kind: 'output', line }),
        });
      } catch (err) {
        if (!(err instanceof CancelledError)) {
          errors.push(...errorLines(err).map((e) => `${db.name}: ${e}`));
          stop.abort();
        }
        return;
      }
      emit({ kind: 'database', state: 'done', database: db.name, done: ++done, total: databases.length });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, databases.length) }, worker));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (errors.length > 0) return { ok: false, cancelled: false, errors };
  if (signal?.aborted) return { ok: false, cancelled: true, errors: [] };
  return undefined;
}

async function archiveSizes(folder: string, databases: DatabaseToDump[]): Promise<ClusterManifestDatabase[]> {
  const out: ClusterManifestDatabase[] = [];
  for (const d of databases) out.push({ name: d.name, file: d.file, databaseBytes: d.bytes, archiveBytes: (await fs.stat(path.join(folder, d.file))).size });
  return out;
}
