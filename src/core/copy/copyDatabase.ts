/**
 * A database, or a selection of it, copied from one server to another with no file in between:
 * `pg_dump -Fc` (the one that fits the source server) piped straight into `pg_restore` (the one
 * that fits the stream), with what a restore does around it — the same pre-flight on the target,
 * one transaction, progress, cancel, errors tied to objects, and the checks afterwards.
 *
 * The plan is made on the stream's own table of contents: pg_dump writes it before any data, and
 * it is read natively from the stream's first bytes (streamToc.ts) while pg_restore waits for
 * them, so the `-L` list names the very dump IDs pg_restore reads. The pre-flight reads the same
 * TOC from a pg_dump stopped as soon as it has written it. Both pg_dumps and the row counts of
 * the check use one snapshot, exported by a session held open for the length of the copy
 * (sourceSnapshot.ts): the check is exact however much the source is written to meanwhile.
 *
 * `jobs > 1` hands a whole-database copy to pgcopydb (pgcopydb.ts) with the same pre-flight,
 * snapshot and checks around it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedConnection } from '../connections/resolve';
import { writeTemporaryPassfile, type TemporaryPassfile } from '../connections/pgpass';
import { DumpErrorParser } from '../dump/dumpErrors';
import { DumpError, oneLine } from '../errors';
import type { TocArchive, TocEntry } from '../model/types';
import { buildPlan, type RestorePlan } from '../plan/closure';
import { writeRestoreList } from '../plan/listFile';
import { isEmptySelection } from '../plan/selection';
import { runClientProgram } from '../process/clientProgram';
import { CancelledError, describeCommand, RunError, runPipe } from '../process/run';
import { restoreApplicationName, watchCopyProgress, type CopyWatcher } from '../restore/copyProgress';
import { RestoreErrorParser, type RestoreError } from '../restore/errorParser';
import { describeTool, optionsFromPreflight, restoreArguments } from '../restore/restoreArchive';
import { countTargetRows, prepareTarget, type TargetPrep } from '../restore/targetPrep';
import type { RestoreRunOptions } from '../restore/types';
import { RestoreProgress } from '../restore/verboseParser';
import { preflight } from '../target/preflight';
import type { PreflightReport } from '../target/preflightTypes';
import { findPgRestoreFor, findToolForServer, type ToolCandidate } from '../tools/findTools';
import { checksAfterCopy } from './copyChecks';
import { findPgcopydb, runPgcopydb } from './pgcopydb';
import { openSourceSnapshot, type SourceSnapshot } from './sourceSnapshot';
import { TocGate } from './streamToc';
import type { Copier, CopyEngine, CopyEvent, CopyHooks, CopyOptions, CopyResult } from './types';

/** A whole database: every entry of the three sections. */
export const WHOLE_DATABASE = { sections: ['pre-data', 'data', 'post-data'] } as const;

/** A copy checked and ready to run: the source's snapshot is held until run() or close(). */
export interface PreparedCopy {
  readonly engine: CopyEngine;
  readonly snapshot: SourceSnapshot;
  /** The source's TOC, from the stream of a pg_dump stopped after it. */
  readonly archive: TocArchive;
  readonly plan: RestorePlan;
  readonly report: PreflightReport;
  readonly dumpTool: ToolCandidate;
  readonly restoreTool: ToolCandidate;
  /** pgcopydb, for `jobs > 1`. */
  readonly copier?: Copier;
  /** Runs the copy once, then releases the snapshot. */
  run(hooks?: CopyHooks): Promise<CopyResult>;
  /** Releases the snapshot without copying. */
  close(): Promise<void>;
}

const LABEL = 'the pg_dump stream';

/** How the source is dumped: a custom archive, uncompressed (nothing is stored), in the snapshot. */
function dumpArgs(snapshot: string, schemaOnly: boolean, excludeData: readonly string[]): string[] {
  return ['--format=custom', '--compress=0', `--snapshot=${snapshot}`, ...(schemaOnly ? ['--schema-only'] : []), ...excludeData.map((p) => `--exclude-table-data=${p}`)];
}

/** A pg_dump pattern that matches exactly this schema-qualified name. */
export function exactPattern(schema: string, name: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return `${q(schema)}.${q(name)}`;
}

/**
 * Starts pg_dump, reads the TOC from the start of its stream, and stops it: what the copy will
 * stream, planned before anything is asked of the target.
 */
async function probeToc(tool: ToolCandidate, source: ResolvedConnection, args: string[], signal?: AbortSignal): Promise<TocArchive> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const gate = new TocGate(LABEL, () => stop.abort());
  gate.resume(); // nothing reads what passes the gate
  gate.on('error', () => stop.abort());
  const errors = new DumpErrorParser();
  try {
    await runClientProgram(tool, source, (conn) => [...args, ...conn], { signal: stop.signal, stdoutTo: gate, killGraceMs: 1000, onStderrLine: (l) => errors.push(l) });
    gate.end();
    await new Promise<void>((resolve, reject) => {
      gate.once('finish', resolve);
      gate.once('error', reject);
    });
  } catch (err) {
    if (gate.failure !== undefined && !signal?.aborted) throw gate.failure;
    if (!(err instanceof CancelledError) || signal?.aborted || !gate.archive) {
      if (err instanceof RunError) throw new DumpError('connection', `pg_dump could not dump ${source.where()}: ${errors.end()[0] ?? oneLine(err)}`, { cause: err });
      throw err;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (!gate.archive) throw new DumpError('corrupt', `${LABEL} ended before its table of contents did`);
  return gate.archive;
}

/**
 * Takes the source's snapshot, finds pg_dump and pg_restore (or pgcopydb), reads what would be
 * copied, plans the selection on it and runs the target's pre-flight. Throws one DumpError line
 * when something makes the copy impossible (nothing is held then).
 */
export async function prepareCopy(source: ResolvedConnection, target: ResolvedConnection, options: CopyOptions, hooks: CopyHooks = {}): Promise<PreparedCopy> {
  const jobs = options.jobs ?? 1;
  const selection = isEmptySelection(options.selection) ? { ...WHOLE_DATABASE, ...options.selection } : options.selection;
  const whole = (selection.sections?.length ?? 0) === 3 && !selection.tables?.length && !selection.schemas?.length && !selection.objects?.length;
  const mode = selection.mode ?? 'definition-and-data';
  let copier: Copier | undefined;
  if (jobs > 1) {
    if (!whole || mode !== 'definition-and-data') throw new DumpError('usage', '--jobs copies a whole database (through pgcopydb): for a selection, --schema-only or --data-only, copy with --jobs 1');
    copier = await findPgcopydb(hooks.signal);
  }
  if (source.where() === target.where()) throw new DumpError('usage', `the source and the target are the same database (${target.where()}): copy into another one`);
  const snapshot = await openSourceSnapshot(source);
  try {
    const tools = { ...(hooks.standardLocations === false ? { standardLocations: false } : {}), ...(hooks.signal ? { signal: hooks.signal } : {}) };
    if (copier?.newestMajor !== undefined && snapshot.major > copier.newestMajor) {
      throw new DumpError('unsupported', `pgcopydb ${copier.version} works with PostgreSQL up to ${copier.newestMajor}, and the source runs ${snapshot.serverVersion}: copy with --jobs 1 (one pg_dump | pg_restore pipe)`);
    }
    const dumpTool = await findToolForServer('pg_dump', { major: snapshot.major, version: snapshot.serverVersion }, { ...tools, ...(hooks.pgDumpPath ? { configuredPath: hooks.pgDumpPath } : {}) });
    const archive = await probeToc(dumpTool, source, dumpArgs(snapshot.id, mode === 'definition-only', []), hooks.signal);
    const restoreTool = await findPgRestoreFor(archive.header.version, { ...tools, ...(hooks.pgRestorePath ? { configuredPath: hooks.pgRestorePath } : {}) });
    const plan = buildPlan(archive, selection);
    if (plan.entries.length === 0) throw new DumpError('usage', 'nothing to copy: the selection has no entries in the source');
    const report = await preflight(archive, plan, target, {
      ...(options.noOwner ? { noOwner: true } : {}),
      ...(options.noPrivileges ? { noPrivileges: true } : {}),
      ...(options.clean ? { clean: true } : {}),
      ...(restoreTool.version ? { pgRestoreVersion: restoreTool.version } : {}),
    });
    let used = false;
    const prepared: PreparedCopy = {
      engine: copier ? 'pgcopydb' : 'pipe',
      snapshot,
      archive,
      plan,
      report,
      dumpTool,
      restoreTool,
      ...(copier ? { copier } : {}),
      async run(runHooks: CopyHooks = {}) {
        if (used) throw new Error('a prepared copy runs once');
        used = true;
        try {
          return copier ? await runPgcopydb(prepared, copier, source, target, options, runHooks) : await runPipeCopy(prepared, source, target, options, runHooks);
        } finally {
          await snapshot.close();
        }
      },
      close: () => snapshot.close(),
    };
    return prepared;
  } catch (err) {
    await snapshot.close();
    throw err;
  }
}

/** The restore options a copy runs pg_restore with, including what the pre-flight found. */
export function copyRestoreOptions(options: CopyOptions, report: PreflightReport): RestoreRunOptions {
  return {
    ...(options.noOwner ? { noOwner: true } : {}),
    ...(options.noPrivileges ? { noPrivileges: true } : {}),
    ...(options.clean ? { clean: true } : {}),
    ...optionsFromPreflight(report),
  };
}

const key = (e: TocEntry) => `${e.desc} ${e.namespace ?? ''} ${e.tag ?? ''}`;

/**
 * The plan without what the target has already (the pre-flight's useExisting), named by kind,
 * schema and name: pg_dump numbers comments and privileges as it writes them, after the tables'
 * data, so leaving some data out of the stream moves their dump IDs.
 */
function withoutExisting(plan: RestorePlan, leftOut: ReadonlySet<string>): RestorePlan {
  if (leftOut.size === 0) return plan;
  return { ...plan, entries: plan.entries.filter((p) => !leftOut.has(key(p.entry))) };
}

/**
 * Whether the stream's plan is the pre-flight's: the same entries by kind, schema and name (and
 * as many of each). One line saying what differs, or undefined.
 */
export function planDifference(checked: RestorePlan, streamed: RestorePlan): string | undefined {
  const tally = (p: RestorePlan) => {
    const m = new Map<string, number>();
    for (const x of p.entries) m.set(key(x.entry), (m.get(key(x.entry)) ?? 0) + 1);
    return m;
  };
  const [a, b] = [tally(checked), tally(streamed)];
  for (const [k, n] of a) if (b.get(k) !== n) return `${k.trim()} of the pre-flight is ${b.has(k) ? 'not the same' : 'missing'} in the stream`;
  for (const k of b.keys()) if (!a.has(k)) return `${k.trim()} of the stream was not in the pre-flight`;
  return undefined;
}

/** pg_dump | pg_restore, the plan's -L list written from the stream's TOC before pg_restore reads it. */
async function runPipeCopy(prepared: PreparedCopy, source: ResolvedConnection, target: ResolvedConnection, options: CopyOptions, hooks: CopyHooks): Promise<CopyResult> {
  const started = Date.now();
  const emit = (e: CopyEvent) => hooks.onEvent?.(e);
  const { archive, report, snapshot, dumpTool, restoreTool } = prepared;
  const restoreOptions = copyRestoreOptions(options, report);
  const leftOutIds = new Set(restoreOptions.useExisting?.dumpIds ?? []);
  const leftOut = new Set(prepared.plan.entries.filter((p) => leftOutIds.has(p.entry.dumpId)).map((p) => key(p.entry)));
  const checkedPlan = withoutExisting(prepared.plan, leftOut);
  const plan = checkedPlan;
  const mode = plan.mode;
  // The data of tables not copied stays in the source: pg_dump leaves it out of the stream.
  const planned = new Set(plan.entries.filter((p) => p.entry.desc === 'TABLE DATA').map((p) => p.entry.dumpId));
  const excludeData = archive.entries.filter((e) => e.desc === 'TABLE DATA' && !planned.has(e.dumpId) && e.namespace !== null && e.tag !== null).map((e) => exactPattern(e.namespace!, e.tag!));
  const dumpArguments = dumpArgs(snapshot.id, mode === 'definition-only', mode === 'definition-only' ? [] : excludeData);

  const progress = new RestoreProgress({ entries: plan.entries.map((p) => p.entry) });
  const errors: RestoreError[] = [];
  const errorParser = new RestoreErrorParser((error) => {
    errors.push(error);
    emit({ kind: 'error', error });
  });
  const sourceErrors = new DumpErrorParser((message) => emit({ kind: 'source-error', message }));
  const problems: string[] = [];
  const notes = [...(restoreOptions.useExisting?.notes ?? [])];
  let gate: TocGate | undefined;
  let command = '';
  const result = (fields: Pick<CopyResult, 'ok' | 'cancelled'> & Partial<CopyResult>): CopyResult => ({
    engine: 'pipe',
    command,
    errors,
    sourceErrors: sourceErrors.end(),
    problems,
    notes,
    entries: plan.entries.length,
    bytes: gate?.bytes ?? 0,
    durationMs: Date.now() - started,
    progress: progress.snapshot(),
    tools: [describeTool(dumpTool), describeTool(restoreTool)],
    createdRoles: [],
    ...fields,
  });

  // The rows the check compares with, counted in the snapshot while the copy runs.
  const dataTables = plan.entries.filter((p) => p.entry.desc === 'TABLE DATA' && p.entry.namespace !== null && p.entry.tag !== null).map((p) => ({ schema: p.entry.namespace!, name: p.entry.tag! }));
  const countRows = (options.verifyRowCounts ?? true) && dataTables.length > 0;
  const counting = countRows ? snapshot.countRows(dataTables, hooks.signal) : Promise.resolve(new Map<string, number>());
  counting.catch(() => undefined);

  const work = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'pgdx-copy-'));
  const listFile = path.join(work, 'copy.list');
  const passfiles: TemporaryPassfile[] = [];
  let prep: TargetPrep | undefined;
  let copies: CopyWatcher | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const passfileFor = async (c: ResolvedConnection) => {
      const content = c.toolPassfileContent();
      if (content === undefined) return {};
      const p = await writeTemporaryPassfile(content);
      passfiles.push(p);
      return { passfile: p.path };
    };
    const sourceEnv = source.toToolEnv(await passfileFor(source));
    const applicationName = restoreApplicationName();
    const targetEnv = { ...target.toToolEnv(await passfileFor(target)), PGAPPNAME: applicationName };
    const restoreArgs = [...restoreArguments(restoreOptions), '--format=custom', ...target.toToolArgs(), `--use-list=${listFile}`];
    const dumpFullArgs = [...dumpArguments, ...source.toToolArgs()];
    command = `${describeCommand(dumpTool.path, dumpFullArgs)} | ${describeCommand(restoreTool.path, restoreArgs)}`;

    let streamed: RestorePlan | undefined;
    gate = new TocGate(LABEL, async (streamArchive) => {
      // Same snapshot: the same entries; the -L list takes the stream's own dump IDs.
      streamed = withoutExisting(buildPlan(streamArchive, plan.selection), leftOut);
      const differs = planDifference(checkedPlan, streamed);
      if (differs) throw new DumpError('corrupt', `the stream does not hold what the pre-flight checked (${differs}): nothing was copied`);
      await fs.promises.writeFile(listFile, Buffer.from(writeRestoreList(streamArchive, streamed), streamArchive.stringEncoding), { mode: 0o600 });
    });

    const rowsBefore = mode === 'data-only' && countRows ? await countTargetRows(target, plan) : undefined;
    prep = await prepareTarget(target, restoreOptions);
    emit({ kind: 'stage', stage: 'copy' });
    const tick = () => emit({ kind: 'progress', snapshot: progress.snapshot(), streamedBytes: gate?.bytes ?? 0 });
    copies = await watchCopyProgress(target, applicationName, (running) => {
      progress.setCopies(running);
      tick();
    });
    ticker = setInterval(tick, 1000);
    ticker.unref();
    tick();
    try {
      await runPipe(
        {
          file: dumpTool.path,
          args: dumpFullArgs,
          options: { env: sourceEnv, onStderrLine: (line) => (emit({ kind: 'output', program: 'pg_dump', line }), sourceErrors.push(line)) },
        },
        {
          file: restoreTool.path,
          args: restoreArgs,
          options: {
            env: targetEnv,
            onStderrLine: (line) => {
              emit({ kind: 'output', program: 'pg_restore', line });
              errorParser.push(line);
              if (progress.push(line).length > 0) tick();
            },
          },
        },
        { ...(hooks.signal ? { signal: hooks.signal } : {}), link: gate },
      );
    } catch (err) {
      clearInterval(ticker);
      await copies.stop();
      await prep.undo();
      if (err instanceof CancelledError) return result({ ok: false, cancelled: true });
      errorParser.end();
      if (err instanceof DumpError) problems.push(err.message);
      else if (errors.length === 0 && sourceErrors.end().length === 0) problems.push(oneLine(err));
      return result({ ok: false, cancelled: false });
    }
    clearInterval(ticker);
    await copies.stop();
    progress.setCopies([]);
    errorParser.end();
    if (errors.length > 0) {
      await prep.undo();
      return result({ ok: false, cancelled: false });
    }
    progress.end();
    tick();

    emit({ kind: 'stage', stage: 'checks' });
    const checks = await checksAfterCopy(streamed ?? plan, target, options, hooks, counting, rowsBefore);
    if (checks.problem) problems.push(checks.problem);
    return result({ ok: true, cancelled: false, createdRoles: prep.createdRoles, ...(checks.report ? { postRestore: checks.report } : {}) });
  } finally {
    if (ticker) clearInterval(ticker);
    await copies?.stop();
    for (const p of passfiles) await p.remove();
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}
