/**
 * The restore drill: the whole dump restored into a scratch database with a unique name, then
 * checked: every entry restored (or its error tied to the entry), each table's rows equal to
 * the dump's, objects by kind equal to the TOC's, sequences not behind their columns, ANALYZE
 * run. Each phase is timed; the tools and the server are named in the report.
 *
 * Where: a server the caller names (the scratch database is created there and dropped
 * afterwards unless `keep`), or a throwaway local server (localServer.ts) that is removed
 * afterwards. Either way the clean-up runs after a failure or a cancel too.
 *
 * The restore does not stop at the first error and is not one transaction: a drill wants every
 * entry that fails, not the first. Roles the dump names and the server lacks are created as
 * NOLOGIN roles for the drill and dropped afterwards; on a named server as a user who is not a
 * superuser, the restore runs with --no-owner --no-privileges instead, and the report says so.
 */
import { basename } from 'node:path';
import { openDump, type OpenedArchive } from '../archive';
import type { ResolvedConnection } from '../connections/resolve';
import { isClusterFolder } from '../dump/clusterFolder';
import { DumpError, oneLine } from '../errors';
import { detectDump } from '../formats/detect';
import type { Archive, TocEntry } from '../model/types';
import { openClusterDatabase, readClusterDump, type ClusterIndex } from '../plain/clusterDump';
import { settingParameters } from '../plain/slices';
import { buildPlan, type RestorePlan } from '../plan/closure';
import { CancelledError } from '../process/run';
import { formatRestoreError } from '../restore/reportText';
import { describeTool, optionsFromPreflight, runRestore } from '../restore/restoreArchive';
import { restoreRoles, rolesPreflight } from '../restore/rolesRestore';
import { createRoles, dropRoles } from '../restore/targetPrep';
import type { RestoreResult } from '../restore/types';
import { createDatabase, testConnection } from '../server/server';
import { openMaintenanceSession, openServerSession, serverMajor } from '../server/session';
import { postRestore } from '../target/postRestore';
import { preflight } from '../target/preflight';
import { findPgRestoreFor, findTool, formatToolVersion } from '../tools/findTools';
import { NO_SERVER_BINARIES, findServerBinaries, startLocalServer, type LocalServer } from './localServer';
import { compareObjectCounts, readCatalogObjects, type CatalogObjects } from './objectCounts';
import type { DatabaseVerification, PhaseName, VerifyFailure, VerifyOptions, VerifyReport } from './types';

export type * from './types';

const APPLICATION_NAME = 'pg-dump-explorer verify';

/** `pgdx_verify_<name>_<UTC time>_<random>`: unique, at most 63 bytes, plain lower-case. */
export function scratchDatabaseName(dumpName: string, now = new Date()): string {
  const slug = dumpName.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 20) || 'dump';
  const stamp = now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const random = Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
  return `pgdx_verify_${slug}_${stamp}_${random}`;
}

/** The one entry point for the CLI and the extension. Rejects with one DumpError line when the drill cannot start. */
export async function verifyDump(file: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const drill = new Drill(file, options);
  return drill.run();
}

/** One database of the dump on its way through the drill. */
interface DatabaseJob {
  opened: OpenedArchive;
  archive: Archive;
  plan: RestorePlan;
  /** The scratch database. */
  target: ResolvedConnection;
  name: string;
  /** The database the phases are timed for: set for the databases of a pg_dumpall script. */
  phaseOf: string | undefined;
  where: { database?: string };
  verification: DatabaseVerification;
}

class Drill {
  readonly report: VerifyReport;
  readonly #started = Date.now();
  #admin: ResolvedConnection | undefined;
  #local: LocalServer | undefined;
  /** Scratch databases made, to drop afterwards. */
  readonly #scratch: string[] = [];
  readonly #roles: string[] = [];
  #noOwner = false;

  constructor(
    readonly file: string,
    readonly options: VerifyOptions,
  ) {
    this.report = {
      file,
      format: '',
      verdict: '',
      ok: false,
      cancelled: false,
      startedAt: new Date(this.#started).toISOString(),
      durationMs: 0,
      dump: { serverVersion: null, pgDumpVersion: null, entries: 0 },
      server: { kind: options.server ? 'given' : 'throwaway', where: '', version: '' },
      tools: [],
      roles: { handling: 'created', created: [], note: '' },
      databases: [],
      phases: [],
      failures: [],
      notes: [],
      kept: [],
    };
  }

  get signal(): AbortSignal | undefined {
    return this.options.signal;
  }

  async timed<T>(phase: PhaseName, database: string | undefined, fn: () => Promise<T>): Promise<T> {
    this.options.onEvent?.({ kind: 'phase', phase, ...(database !== undefined ? { database } : {}) });
    const t = Date.now();
    try {
      return await fn();
    } finally {
      this.report.phases.push({ phase, ...(database !== undefined ? { database } : {}), ms: Date.now() - t });
    }
  }

  fail(failure: VerifyFailure): void {
    this.report.failures.push(failure);
  }

  note(line: string): void {
    this.report.notes.push(line);
    this.options.onEvent?.({ kind: 'note', line });
  }

  checkAborted(): void {
    if (this.signal?.aborted) throw new CancelledError('verify');
  }

  async run(): Promise<VerifyReport> {
    const { options, file } = this;
    if (options.keep && !options.server) throw new DumpError('usage', '--keep needs --server: the throwaway server is removed after the drill, with its databases');
    if (await isClusterFolder(file)) throw new DumpError('usage', `${basename(file)} is a cluster folder: verify its globals.sql and its archives one at a time`);
    const detected = await detectDump(file);
    const isCluster = detected.kind === 'cluster' || detected.kind === 'globals';
    if (isCluster && options.server) {
      throw new DumpError('usage', `${basename(file)} is a pg_dumpall script, which creates roles and databases: it is verified on a throwaway server only (leave out --server)`);
    }
    let cluster: ClusterIndex | undefined;
    let single: OpenedArchive | undefined;
    try {
      await this.timed('read', undefined, async () => {
        if (isCluster) cluster = await readClusterDump(file);
        else single = await openDump(file);
      });
    } catch (err) {
      if (!(err instanceof DumpError) || !['truncated', 'corrupt', 'missing-data', 'not-a-dump'].includes(err.code)) throw err;
      // The dump cannot be read at all: that is the drill's answer, not an error of the drill.
      this.report.format = detected.kind;
      this.fail({ check: 'read', message: `the dump cannot be read: ${oneLine(err)}` });
      return this.finish();
    }
    try {
      if (cluster) {
        this.report.format = cluster.kind === 'cluster' ? 'pg_dumpall script' : 'pg_dumpall globals script';
        this.report.dump = { serverVersion: null, pgDumpVersion: null, entries: cluster.globals.statements.length };
        if (!cluster.complete) this.fail({ check: 'read', message: 'the script has no "PostgreSQL database cluster dump complete" trailer: it was cut short' });
      } else if (single) {
        const a = single.archive;
        this.report.format = a.format === 'plain' ? `plain${a.header.compression !== 'none' ? ` (${a.header.compression})` : ''}` : a.format;
        this.report.dump = { serverVersion: a.header.serverVersion, pgDumpVersion: a.header.pgDumpVersion, entries: a.entries.length };
        this.readProblems(a, undefined);
      }
      // No pg_restore here that reads the archive: said before a server is started for nothing.
      if (single && single.archive.format !== 'plain') {
        try {
          await findPgRestoreFor(single.archive.header.version, { ...this.toolOptions(options.toolPath), ...(this.signal ? { signal: this.signal } : {}) });
        } catch (err) {
          if (!(err instanceof DumpError) || err.code === 'usage') throw err;
          this.fail({ check: 'server', message: oneLine(err) });
          await single.close();
          return this.finish();
        }
      }
      await this.startServer(single?.archive.header.serverVersion ?? null);
      if (cluster) await this.verifyCluster(cluster);
      else if (single) await this.verifyDatabase(single, single.archive.header.dbname ?? basename(file));
    } catch (err) {
      if (!this.signal?.aborted) {
        await this.cleanUp();
        await single?.close();
        throw err;
      }
      this.report.cancelled = true;
    }
    await this.cleanUp();
    await single?.close();
    return this.finish();
  }

  finish(): VerifyReport {
    const r = this.report;
    r.durationMs = Date.now() - this.#started;
    r.roles.created = [...this.#roles];
    r.ok = !r.cancelled && r.failures.length === 0;
    if (r.cancelled) r.verdict = 'cancelled';
    else if (r.ok) r.verdict = 'restores cleanly';
    else if (r.failures.some((f) => f.check === 'server')) r.verdict = 'could not be verified';
    else {
      const entries = new Set(r.failures.map((f) => f.dumpId ?? f.entry ?? f.message));
      r.verdict = `does not restore cleanly: ${entries.size} ${entries.size === 1 ? 'problem' : 'problems'}`;
    }
    return r;
  }

  /** Problems the reader found in the entries' data (cut short, missing, corrupt). */
  readProblems(a: Archive, database: string | undefined): void {
    for (const p of a.dataProblems) {
      const e = a.entries.find((x) => x.dumpId === p.dumpId);
      this.fail({ check: 'read', dumpId: p.dumpId, ...(e ? { entry: entryName(e) } : {}), message: `its data is ${p.problem}: ${p.detail}`, ...(database !== undefined ? { database } : {}) });
    }
  }

  /** The named server, or a throwaway one from the newest server binaries here. */
  async startServer(dumpServerVersion: string | null): Promise<void> {
    const { options } = this;
    await this.timed('server', undefined, async () => {
      if (options.server) {
        const info = await testConnection(options.server);
        this.#admin = options.server;
        this.report.server = { kind: 'given', where: info.where, version: info.serverVersion };
        // A user who is not a superuser can give objects only to roles it is a member of: ownership and
        // privileges are then left out rather than roles created that it could not use.
        if (!info.isSuperuser) this.#noOwner = true;
        return;
      }
      const found = await findServerBinaries({
        ...(options.serverBinDir ? { configuredDir: options.serverBinDir } : {}),
        ...(options.standardLocations === false ? { standardLocations: false } : {}),
        ...(this.signal ? { signal: this.signal } : {}),
      });
      const pick = found[0];
      if (!pick) throw new DumpError('not-found', NO_SERVER_BINARIES);
      const dumpMajor = majorOf(dumpServerVersion);
      if (dumpMajor !== undefined && dumpMajor > pick.version.major) {
        this.note(`the dump comes from PostgreSQL ${dumpServerVersion}; the newest server installed here is ${formatToolVersion(pick.version)}: what is new in ${dumpMajor} may not restore (install PostgreSQL ${dumpMajor}, or verify on a server of that major with --server)`);
      }
      this.#local = await startLocalServer(pick, { ...(this.signal ? { signal: this.signal } : {}), ...(options.tmpDir ? { tmpDir: options.tmpDir } : {}) });
      this.#admin = this.#local.connection;
      const info = await testConnection(this.#local.connection);
      this.report.server = { kind: 'throwaway', where: `127.0.0.1:${this.#local.port} (a throwaway server in ${this.#local.folder}, removed afterwards)`, version: info.serverVersion, binDir: pick.binDir };
    });
    this.report.roles =
      this.#noOwner
        ? { handling: 'no-owner', created: [], note: `the user of ${this.report.server.where} is not a superuser: restored with --no-owner --no-privileges, so owners and privileges were not checked` }
        : { handling: 'created', created: [], note: `roles the dump names and the server lacks were created as NOLOGIN roles for the drill${options.keep ? ' and kept with the scratch database (--keep)' : ' and dropped afterwards'}` };
  }

  /** A pg_dumpall script: its roles, then each of its databases into a scratch database of its own. */
  async verifyCluster(cluster: ClusterIndex): Promise<void> {
    const admin = this.#admin!;
    await this.timed('roles', undefined, async () => {
      const plan = await rolesPreflight(cluster, admin);
      for (const line of plan.leftOut) this.note(line);
      if (plan.statements.length === 0) return;
      const result = await restoreRoles(cluster, plan, admin, { ...(this.signal ? { signal: this.signal } : {}), ...(this.options.psqlPath ? { psqlPath: this.options.psqlPath } : {}) });
      this.addTool(describeTool(result.tool));
      if (result.cancelled) throw new CancelledError(result.command);
      for (const e of result.errors) this.fail({ check: 'restore', entry: 'roles', message: `${e.line !== undefined ? `line ${e.line}: ` : ''}${e.message.split('\n')[0]}` });
    });
    for (const part of cluster.databases) {
      this.checkAborted();
      const opened = await openClusterDatabase(cluster, part.database);
      try {
        this.readProblems(opened.archive, part.database);
        await this.verifyDatabase(opened, part.database, true);
      } finally {
        await opened.close();
      }
    }
  }

  addTool(line: string): void {
    if (!this.report.tools.includes(line)) this.report.tools.push(line);
  }

  /** One database's dump: restored into a new scratch database, then checked. */
  async verifyDatabase(opened: OpenedArchive, name: string, ofCluster = false): Promise<void> {
    const admin = this.#admin!;
    const archive = opened.archive;
    const plan = buildPlan(archive, { sections: ['pre-data', 'data', 'post-data'], mode: 'definition-and-data' });
    if (plan.entries.length === 0) {
      this.note(`database ${name} of the dump holds no objects: nothing to restore`);
      return;
    }
    const scratch = scratchDatabaseName(name);
    const phaseOf = ofCluster ? name : undefined;
    await this.timed('create database', phaseOf, () => createDatabase(admin, scratch));
    this.#scratch.push(scratch);
    const verification: DatabaseVerification = { name, scratch, entries: archive.entries.length, failedEntries: 0, restoreErrors: 0, tables: [], objects: [], sequences: [], analyzed: 0, restoreCommand: '' };
    this.report.databases.push(verification);
    const job: DatabaseJob = { opened, archive, plan, target: admin.withDatabase(scratch), name, phaseOf, where: ofCluster ? { database: name } : {}, verification };
    const before = await this.catalog(job.target);
    if (!(await this.restoreInto(job))) return;
    await this.checkAnalyze(job);
    await this.checkSequences(job);
    await this.checkRows(job);
    await this.checkObjects(job, before);
  }

  /** Pre-flight (what the restore must know of the target), roles the dump lacks, then the restore; false when no tool here can run it. */
  async restoreInto(job: DatabaseJob): Promise<boolean> {
    const { opened, archive, plan, target, name, phaseOf, where, verification } = job;
    const psql = archive.format === 'plain' ? { version: (await findTool('psql', this.toolOptions(this.options.psqlPath)).catch(() => undefined))?.version ?? null, dumpUsesRestrict: opened.plain?.restrictKey != null } : undefined;
    const parameters = opened.plain ? settingParameters(opened.plain, plan.entries.map((p) => p.entry)) : [];
    const pre = await preflight(archive, plan, target, { noOwner: this.#noOwner, noPrivileges: this.#noOwner, ...(psql ? { psql } : {}), ...(parameters.length > 0 ? { settingParameters: parameters } : {}) });
    for (const f of pre.findings) if (f.severity !== 'info' && f.code !== 'role-missing') this.note(`pre-flight${phaseOf !== undefined ? ` (${name})` : ''}: ${f.message}`);
    if (!this.#noOwner && pre.missingRoles.length > 0) {
      const created = await this.timed('roles', phaseOf, () => createRoles(this.#admin!, pre.missingRoles));
      this.#roles.push(...created);
    }
    const parallel = (this.options.jobs ?? 1) > 1 && archive.format !== 'plain' && archive.format !== 'tar';
    let result: RestoreResult;
    try {
      result = await this.timed('restore', phaseOf, () =>
        runRestore(
          opened,
          plan,
          target,
          {
            noOwner: this.#noOwner,
            noPrivileges: this.#noOwner,
            ...(parallel ? { jobs: this.options.jobs } : {}),
            // Every failing entry, not the first: neither one transaction nor a stop at the first error.
            singleTransaction: false,
            exitOnError: false,
            analyze: false,
            fixSequences: false,
            verifyRowCounts: false,
            ...optionsFromPreflight(pre),
          },
          {
            ...(this.signal ? { signal: this.signal } : {}),
            ...(this.options.toolPath ? { toolPath: this.options.toolPath } : {}),
            ...(this.options.psqlPath ? { psqlPath: this.options.psqlPath } : {}),
            ...(this.options.standardLocations === false ? { standardLocations: false } : {}),
            onEvent: (event) => this.options.onEvent?.({ kind: 'restore', database: name, event }),
          },
        ),
      );
    } catch (err) {
      // No pg_restore or psql here can run it: the drill cannot answer, and says why.
      if (err instanceof DumpError && (err.code === 'unsupported' || err.code === 'not-found' || err.code === 'unsupported-version')) {
        this.fail({ check: 'server', message: oneLine(err), ...where });
        return false;
      }
      throw err;
    }
    this.addTool(describeTool(result.tool));
    verification.restoreCommand = result.command;
    if (result.cancelled) throw new CancelledError(result.command);
    if ((this.options.jobs ?? 1) > 1 && !parallel) this.note(`--jobs does not apply to a ${archive.format} dump: restored in one session`);
    for (const n of result.notes) this.note(n);
    const failedEntries = new Set<number>();
    for (const e of result.errors) {
      if (e.dumpId !== undefined) failedEntries.add(e.dumpId);
      const entry = e.dumpId !== undefined ? archive.entries.find((x) => x.dumpId === e.dumpId) : undefined;
      this.fail({
        check: 'restore',
        ...(e.dumpId !== undefined ? { dumpId: e.dumpId } : {}),
        ...(entry ? { entry: entryName(entry) } : e.entry ? { entry: `${e.entry.desc} ${e.entry.tag}` } : {}),
        message: entry || e.entry ? e.message.split('\n')[0]!.replace(/^(ERROR|FATAL):\s+/, '') : formatRestoreError(e),
        ...where,
      });
    }
    for (const p of result.problems) this.fail({ check: 'restore', message: p, ...where });
    verification.restoreErrors = result.errors.length;
    verification.failedEntries = failedEntries.size;
    return true;
  }

  get hooks(): { signal?: AbortSignal } {
    return this.signal ? { signal: this.signal } : {};
  }

  async checkAnalyze({ opened, plan, target, phaseOf, where, verification }: DatabaseJob): Promise<void> {
    const analyzed = await this.timed('analyze', phaseOf, () => postRestore(opened, plan, target, { analyze: true, fixSequences: false, countRows: false, ...this.hooks }));
    verification.analyzed = analyzed.analyzed.length;
    // A table missing after the restore is said once, by the row check.
    for (const p of analyzed.problems) if (!/ is missing after the restore /.test(p)) this.fail({ check: 'analyze', message: p, ...where });
  }

  /** Sequences behind their column are failures (and set forward in the scratch database, as a restore does). */
  async checkSequences({ opened, archive, plan, target, phaseOf, where, verification }: DatabaseJob): Promise<void> {
    const sequences = await this.timed('sequences', phaseOf, () => postRestore(opened, plan, target, { analyze: false, fixSequences: true, countRows: false, ...this.hooks }));
    for (const s of sequences.sequences) {
      verification.sequences.push({ sequence: s.sequence, column: `${s.table}.${s.column}`, behind: s.behind, lastValue: s.lastValueBefore, columnMax: s.columnMax });
      if (!s.behind) continue;
      const entry = archive.entries.find((e) => e.desc === 'SEQUENCE SET' && `${e.namespace}.${e.tag}` === s.sequence) ?? archive.entries.find((e) => e.desc === 'SEQUENCE' && `${e.namespace}.${e.tag}` === s.sequence);
      this.fail({
        check: 'sequences',
        ...(entry ? { dumpId: entry.dumpId } : {}),
        entry: `SEQUENCE ${s.sequence}`,
        message: `behind its column ${s.table}.${s.column}: the next value would be ${s.nextValueBefore}, the column holds up to ${s.columnMax}`,
        ...where,
      });
    }
    for (const p of sequences.problems) if (!/ is missing after the restore /.test(p)) this.fail({ check: 'sequences', message: p, ...where });
  }

  async checkRows({ opened, archive, plan, target, phaseOf, where, verification }: DatabaseJob): Promise<void> {
    // Entries whose data the reader found cut short or missing failed already ('read'): their rows cannot be counted in the dump.
    const unreadable = new Set(archive.dataProblems.map((p) => p.dumpId));
    const countable = { ...plan, entries: plan.entries.filter((p) => !unreadable.has(p.entry.dumpId)) };
    const rows = await this.timed('rows', phaseOf, () => postRestore(opened, countable, target, { analyze: false, fixSequences: false, countRows: true, ...this.hooks }));
    for (const r of rows.rowCounts) {
      verification.tables.push({ table: r.table, dumpRows: r.archiveRows, databaseRows: r.databaseRows, matches: r.matches });
      if (r.matches) continue;
      this.fail({
        check: 'rows',
        dumpId: r.dumpId,
        entry: `TABLE DATA ${r.table}`,
        message: r.missing ? `the table is missing after the restore (${r.archiveRows} rows in the dump)` : `${r.databaseRows} rows in the database, ${r.archiveRows} in the dump`,
        ...where,
      });
    }
    for (const p of rows.problems) if (!/^rows of .* differ: /.test(p) && !/ is missing after the restore /.test(p)) this.fail({ check: 'rows', message: p, ...where });
    for (const n of rows.notes) this.note(n);
  }

  async checkObjects({ archive, target, phaseOf, where, verification }: DatabaseJob, before: CatalogObjects): Promise<void> {
    await this.timed('objects', phaseOf, async () => {
      const after = await this.catalog(target);
      verification.objects = compareObjectCounts(archive.entries, before, after);
      for (const k of verification.objects) {
        for (const m of k.missing) {
          const entry = archive.entries.find((e) => e.desc === k.kind && (e.namespace ? `${e.namespace}.${e.tag}` : e.tag) === m);
          this.fail({ check: 'objects', ...(entry ? { dumpId: entry.dumpId } : {}), entry: `${k.kind} ${m}`, message: 'in the dump, not in the restored database', ...where });
        }
        for (const x of k.extra) this.fail({ check: 'objects', entry: `${k.kind} ${x}`, message: 'in the restored database, not in the dump', ...where });
      }
    });
  }

  toolOptions(configuredPath: string | undefined) {
    return { ...(configuredPath ? { configuredPath } : {}), ...(this.options.standardLocations === false ? { standardLocations: false } : {}) };
  }

  async catalog(connection: ResolvedConnection): Promise<CatalogObjects> {
    const session = await openServerSession(connection, { applicationName: APPLICATION_NAME });
    try {
      return await readCatalogObjects(session.client);
    } finally {
      await session.close();
    }
  }

  /** Drops what the drill made (unless kept) and stops the throwaway server. Never throws: what it cannot undo becomes a failure line. */
  async cleanUp(): Promise<void> {
    await this.timed('clean up', undefined, async () => {
      const admin = this.#admin;
      if (this.#local) {
        // The whole server goes: its databases and roles with it.
        await this.#local.stop();
        this.#local = undefined;
        return;
      }
      if (!admin) return;
      if (this.options.keep) {
        this.report.kept.push(...this.#scratch);
        for (const db of this.#scratch) this.note(`kept the scratch database ${db} on ${this.report.server.where} (--keep): drop it when done`);
        if (this.#roles.length > 0) this.note(`kept the roles created for the drill (${this.#roles.join(', ')}): the scratch database uses them`);
        return;
      }
      for (const db of this.#scratch.splice(0)) {
        try {
          await dropDatabase(admin, db);
        } catch (err) {
          this.fail({ check: 'server', message: `could not drop the scratch database ${db}: ${oneLine(err)}: drop it by hand` });
        }
      }
      try {
        await dropRoles(admin, this.#roles);
      } catch (err) {
        this.note(`could not drop the roles created for the drill (${this.#roles.join(', ')}): ${oneLine(err)}`);
      }
    });
  }
}

/** DROP DATABASE, ending the sessions still connected to it (a cancelled pg_restore's may linger). */
export async function dropDatabase(admin: ResolvedConnection, name: string): Promise<void> {
  const session = await openMaintenanceSession(admin, { applicationName: APPLICATION_NAME });
  const q = session.client.escapeIdentifier(name);
  try {
    if (serverMajor(session.serverVersionNum) >= 13) {
      await session.client.query(`drop database if exists ${q} with (force)`);
    } else {
      await session.client.query('select pg_catalog.pg_terminate_backend(pid) from pg_catalog.pg_stat_activity where datname = $1 and pid <> pg_catalog.pg_backend_pid()', [name]);
      await session.client.query(`drop database if exists ${q}`);
    }
  } finally {
    await session.close();
  }
}

function entryName(e: TocEntry): string {
  return `${e.desc} ${e.namespace ? `${e.namespace}.` : ''}${e.tag ?? ''}`.trim();
}

function majorOf(version: string | null): number | undefined {
  const m = version ? /^(\d+)(?:\.(\d+))?/.exec(version) : null;
  if (!m) return undefined;
  const major = Number(m[1]);
  return major >= 10 ? major : undefined;
}

