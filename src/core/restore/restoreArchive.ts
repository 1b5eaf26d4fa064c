import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedConnection } from '../connections/resolve';
import type { ServerSession } from '../server/session';
import { DumpError } from '../errors';
import type { OpenedArchive } from '../archive';
import type { RestorePlan } from '../plan/closure';
import { writeRestoreList } from '../plan/listFile';
import { runClientProgram } from '../process/clientProgram';
import { CancelledError, describeCommand } from '../process/run';
import { findPgRestoreFor, formatToolVersion, type ToolCandidate } from '../tools/findTools';
import { restoreApplicationName, watchCopyProgress, type CopyInProgress, type CopyWatcher } from './copyProgress';
import { canFeed, feedArchive, type ArchiveFeed } from './archiveFeed';
import { FREEZE_REFUSED, frozenCopies } from './copyFreeze';
import { dataSources, readPositions } from './inputPosition';
import { RestoreErrorParser, type RestoreError } from './errorParser';
import type { PlainArchive, TocArchive } from '../model/types';
import { plainRestoreObstacle, runPlainRestore } from './plainRestore';
import type { PreflightReport } from '../target/preflightTypes';
import type { RestoreEvent, RestoreHooks, RestoreResult, RestoreRunOptions } from './types';
import { checksAfterRestore, countTargetRows, prepareTarget, type TargetPrep } from './targetPrep';
import { countableEntries, startArchiveCounts } from '../target/postRestore';
import { isPackedDirectoryDump, unpackForRestore, type UnpackedCopy } from './unpackForRestore';
import { RestoreProgress } from './verboseParser';

/**
 * Runs a restore plan with pg_restore: the plan's `-L` list, the user's options, progress and
 * errors as events, cancellation, and the post-restore work (ANALYZE, sequences, row counts).
 *
 * By default the restore is atomic (`--single-transaction --exit-on-error`): when it fails or
 * is cancelled, the target is as it was. `jobs > 1` trades that for speed.
 */

/** What the pre-flight check found that the restore acts on: what the target has already, the parameters it lacks. */
export function optionsFromPreflight(report: PreflightReport): Pick<RestoreRunOptions, 'useExisting' | 'missingParameters'> {
  return { useExisting: report.useExisting, ...(report.missingParameters.length > 0 ? { missingParameters: report.missingParameters } : {}) };
}

/** The pg_restore arguments for these options, without the connection, list and archive. */
export function restoreArguments(options: RestoreRunOptions): string[] {
  const jobs = options.jobs ?? 1;
  const single = oneTransaction(options);
  if (single && jobs > 1) throw new DumpError('usage', 'a parallel restore (--jobs) cannot run in one transaction; choose one');
  if (single && options.create) throw new DumpError('usage', '--create cannot run in one transaction (CREATE DATABASE cannot); choose one');
  const args = ['--verbose'];
  if (options.exitOnError ?? true) args.push('--exit-on-error');
  if (single) args.push('--single-transaction');
  if (jobs > 1) args.push(`--jobs=${jobs}`);
  if (options.clean) args.push('--clean', '--if-exists');
  if (options.noOwner) args.push('--no-owner');
  if (options.noPrivileges) args.push('--no-privileges');
  if (options.disableTriggers) args.push('--disable-triggers');
  if (options.role) args.push(`--role=${options.role}`);
  if (options.noComments) args.push('--no-comments');
  if (options.noTablespaces) args.push('--no-tablespaces');
  if (options.create) args.push('--create');
  for (const section of options.sections ?? []) args.push(`--section=${section}`);
  return args;
}

/** Whether the restore runs in one transaction (--single-transaction). */
function oneTransaction(options: RestoreRunOptions): boolean {
  // CREATE DATABASE cannot run inside a transaction block, so --create is never one transaction.
  return options.singleTransaction ?? ((options.jobs ?? 1) <= 1 && !options.create);
}

/** Why pg_restore cannot restore this archive with these options; undefined when it can. */
export function restoreObstacle(opened: OpenedArchive, options: RestoreRunOptions): string | undefined {
  const a = opened.archive;
  if (a.format === 'plain') return plainRestoreObstacle(options);
  if ((options.jobs ?? 1) > 1) {
    if (a.format === 'tar') return 'pg_restore cannot restore a tar archive in parallel: use --jobs 1 (custom and directory archives only)';
  }
  return undefined;
}

/**
 * Restores a plan: archives through pg_restore (below), plain dumps through psql
 * (plainRestore.ts). The one entry point for the CLI and the extension.
 */
export async function runRestore(
  opened: OpenedArchive,
  plan: RestorePlan,
  connection: ResolvedConnection,
  options: RestoreRunOptions = {},
  hooks: RestoreHooks = {},
): Promise<RestoreResult> {
  const used = options.useExisting;
  if (used && used.dumpIds.length > 0) {
    const leftOut = new Set(used.dumpIds);
    plan = { ...plan, entries: plan.entries.filter((p) => !leftOut.has(p.entry.dumpId)) };
  }
  const result =
    opened.archive.format === 'plain'
      ? await runPlainRestore(opened as OpenedArchive<PlainArchive>, plan, connection, options, hooks)
      : await unfrozenIfRefused(options, hooks, (o, h) => runArchiveRestore(opened as OpenedArchive<TocArchive>, plan, connection, o, h));
  return used ? { ...result, notes: [...used.notes, ...result.notes] } : result;
}

/**
 * An archive's restore (`run`), again without COPY … FREEZE if the target refused it: the one
 * transaction was rolled back, so the second run starts from the target as it was. The refusal
 * is held back from the first run's error events: when the second run follows, it is said once,
 * as what it is, not as an error of a restore that then succeeds.
 */
async function unfrozenIfRefused(options: RestoreRunOptions, hooks: RestoreHooks, run: (options: RestoreRunOptions, hooks: RestoreHooks) => Promise<RestoreResult>): Promise<RestoreResult> {
  const held: RestoreEvent[] = [];
  const onEvent = (e: RestoreEvent) => {
    if (e.kind === 'error' && FREEZE_REFUSED.test(serverWords(e.error))) held.push(e);
    else hooks.onEvent?.(e);
  };
  const result = await run(options, { ...hooks, onEvent });
  const refused = result.ok || result.cancelled || !result.frozen ? undefined : result.errors.map(serverWords).find((m) => FREEZE_REFUSED.test(m));
  if (refused === undefined) {
    for (const e of held) hooks.onEvent?.(e);
    return result;
  }
  const freezeRefused = refused.replace(/^ERROR:\s+/, '');
  hooks.onEvent?.({ kind: 'output', line: `the target refused COPY FREEZE (${freezeRefused}): restoring again without it` });
  const again = await run({ ...options, freeze: false }, hooks);
  return { ...again, freezeRefused };
}

/** The server's own words of an error, not the statement or its CONTEXT (which name the table, and it may be "freeze"). */
function serverWords(e: RestoreError): string {
  return e.message.split('\n')[0] ?? '';
}

async function runArchiveRestore(
  opened: OpenedArchive<TocArchive>,
  plan: RestorePlan,
  connection: ResolvedConnection,
  options: RestoreRunOptions,
  hooks: RestoreHooks,
): Promise<RestoreResult> {
  const started = Date.now();
  const emit = (e: RestoreEvent) => hooks.onEvent?.(e);
  const archive = opened.archive;
  const obstacle = restoreObstacle(opened, options);
  if (obstacle) throw new DumpError('unsupported', obstacle);
  if (plan.entries.length === 0) throw new DumpError('usage', 'nothing to restore: the selection is empty');
  const tool = await (hooks.pgRestore ??
    findPgRestoreFor(archive.header.version, {
      ...(hooks.toolPath ? { configuredPath: hooks.toolPath } : {}),
      ...(hooks.standardLocations === false ? { standardLocations: false } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    }));

  if (options.create) plan = withDatabaseEntries(opened, plan);
  const restoreList = writeRestoreList(archive, plan);
  const progress = new RestoreProgress({ entries: plan.entries.map((p) => p.entry) });
  const errors: RestoreError[] = [];
  const errorParser = new RestoreErrorParser((error) => {
    errors.push(error);
    emit({ kind: 'error', error });
  });
  const problems: string[] = [];
  const result = (fields: Partial<RestoreResult> & Pick<RestoreResult, 'ok' | 'cancelled' | 'command' | 'exitCode'>): RestoreResult => ({
    tool,
    errors,
    ignoredErrors: null,
    createdRoles: [],
    problems,
    durationMs: Date.now() - started,
    restoreList,
    progress: progress.snapshot(),
    notes: [],
    ...(frozen && frozen.size > 0 ? { frozen: frozen.size } : {}),
    ...fields,
  });

  const work = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'pgdx-restore-'));
  let prep: TargetPrep | undefined;
  let unpacked: UnpackedCopy | undefined;
  let copies: Promise<CopyWatcher> | undefined;
  let feed: ArchiveFeed | undefined;
  // The COPY statements the feed asks to FREEZE, by dump ID.
  let frozen: Map<number, string> | undefined;
  // The progress session once pg_restore has ended, until the checks after it take it over.
  let handed: ServerSession | undefined;
  // Stops the archive's row counts (below) when the restore is cancelled or ends otherwise.
  const counting = new AbortController();
  const stopOnCancel = () => counting.abort(hooks.signal?.reason);
  hooks.signal?.addEventListener('abort', stopOnCancel, { once: true });
  try {
    if (isPackedDirectoryDump(archive)) {
      // pg_restore reads a directory dump only from a folder: copy out what this plan reads.
      try {
        unpacked = await unpackForRestore(opened, plan.entries.map((p) => p.entry), {
          ...(hooks.signal ? { signal: hooks.signal } : {}),
          onStart: (dir, copy) => emit({ kind: 'unpack', dir, ...copy }),
        });
      } catch (err) {
        if (hooks.signal?.aborted) return result({ ok: false, cancelled: true, command: describeCommand(tool.path, [...restoreArguments(options), archive.path]), exitCode: null });
        throw err;
      }
    }
    const listFile = path.join(work, 'restore.list');
    // Names go back in the bytes they came in (the archive's client encoding).
    await fs.promises.writeFile(listFile, Buffer.from(restoreList, archive.stringEncoding), { mode: 0o600 });

    // Row counts before a data-only restore: the rows it appends are compared, not the total.
    const rowsBefore = plan.mode === 'data-only' && (options.verifyRowCounts ?? true) ? await countTargetRows(connection, plan) : undefined;
    prep = await prepareTarget(connection, options);

    // With the rows to count, a custom archive is fed to pg_restore with its data uncompressed,
    // counted on the way (archiveFeed.ts): its data is then decompressed once, not twice.
    const planned = plan.entries.map((p) => p.entry);
    const countable = (options.verifyRowCounts ?? true) ? countableEntries(plan) : [];
    if (countable.length > 0 && hooks.feedArchive !== false && canFeed(opened, planned, options.jobs ?? 1)) {
      frozen = frozenCopies(planned, options, oneTransaction(options));
      feed = feedArchive(opened, planned, countable, frozen, counting.signal);
    }
    const input = feed ? ['--format=custom'] : [unpacked?.path ?? archive.path];
    // The command as it ran, and what it read: the log shows it, and a user may run it again.
    const freezing = frozen && frozen.size > 0 ? `, ${frozen.size === 1 ? 'the table' : `${frozen.size} tables`} it creates loaded with COPY FREEZE` : '';
    const trimmed = feed?.sent ? `, ${feed.sent.entries} of its ${feed.sent.of} TOC entries` : '';
    const fedCommand = (command: string) => (feed ? `${command} (reading ${archive.path} from its standard input${trimmed}, the data uncompressed${freezing})` : command);
    const args = (connectionArgs: string[]) => [...restoreArguments(options), ...connectionArgs, `--use-list=${listFile}`, ...input];
    emit({ kind: 'stage', stage: 'restore' });
    // pg_restore says nothing while a big table's COPY runs: the target says how far it is.
    const applicationName = restoreApplicationName();
    // Where the target cannot say, how far pg_restore has read the table's data (inputPosition.ts).
    let readPosition: (() => CopyInProgress[]) | undefined;
    // Its session opens while pg_restore starts, not before (watchCopyProgress never throws).
    copies = watchCopyProgress(
      connection,
      applicationName,
      (running) => {
        progress.setCopies(running);
        emit({ kind: 'progress', snapshot: progress.snapshot() });
      },
      {
        runningTables: () => progress.snapshot().running.filter((r) => r.desc === 'TABLE DATA').map((r) => r.name),
        readPosition: () => readPosition?.() ?? [],
        ...(hooks.copyProgressFrom === 'input' ? { inputOnly: true } : {}),
      },
    );
    // The archive's rows are counted while pg_restore runs (as they are fed to it, or beside it
    // in a low-priority process), so that comparing them with the target's costs no time afterwards.
    const archiveCounts = feed ? { counts: feed.counts, hurry: () => undefined } : (options.verifyRowCounts ?? true) ? startArchiveCounts(opened, countable, counting.signal, hooks.rowCounter) : undefined;
    const stopCounting = async () => {
      counting.abort();
      if (archiveCounts) await Promise.allSettled(archiveCounts.counts.values());
    };
    let outcome;
    try {
      outcome = await runClientProgram(tool, connection, args, {
        env: { PGAPPNAME: applicationName },
        reject: false,
        onSpawn: (pid) => {
          readPosition = feed ? feed.positions : readPositions(pid, dataSources(opened, planned, unpacked?.path));
        },
        ...(feed ? { stdin: feed.stream } : {}),
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onStderrLine: (line) => {
          emit({ kind: 'output', line });
          errorParser.push(line);
          if (progress.push(line).length > 0) emit({ kind: 'progress', snapshot: progress.snapshot() });
        },
      });
    } catch (err) {
      await (await copies).stop();
      await stopCounting();
      await prep.undo();
      if (err instanceof CancelledError) return result({ ok: false, cancelled: true, command: fedCommand(err.command), exitCode: null });
      throw err;
    }
    // The progress session, when sound, is kept for the checks after the restore (else closed).
    handed = await (await copies).handOver();
    progress.setCopies([]);
    const summary = errorParser.end();
    const fed = feed?.failure();
    if (fed) problems.push(`the archive could not be read: ${fed}`);
    const ok = outcome.exitCode === 0 && errors.length === 0 && !fed;
    if (!ok) {
      if (outcome.exitCode !== 0 && errors.length === 0) {
        problems.push(`pg_restore exited with status ${outcome.exitCode}: ${outcome.stderrTail.filter((l) => l.trim()).at(-1) ?? 'no message'}`);
      }
      await stopCounting();
      await prep.undo();
      return result({ ok: false, cancelled: false, command: fedCommand(outcome.command), exitCode: outcome.exitCode, ignoredErrors: summary.ignoredCount });
    }
    progress.end();
    emit({ kind: 'progress', snapshot: progress.snapshot() });

    archiveCounts?.hurry();
    const session = handed;
    handed = undefined;
    const { report, problem } = await checksAfterRestore(opened, plan, connection, options, { ...(hooks.signal ? { signal: hooks.signal } : {}), onEvent: emit, restoredBy: applicationName, ...(session ? { session } : {}) }, rowsBefore, archiveCounts?.counts);
    if (problem) problems.push(problem);
    return result({
      ok: true,
      cancelled: false,
      command: fedCommand(outcome.command),
      exitCode: outcome.exitCode,
      createdRoles: prep.createdRoles,
      ...(report ? { postRestore: report } : {}),
    });
  } finally {
    hooks.signal?.removeEventListener('abort', stopOnCancel);
    await handed?.close();
    counting.abort();
    feed?.stream.destroy();
    if (copies) await (await copies).stop();
    await unpacked?.remove();
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}

/** The plan with the archive's DATABASE and DATABASE PROPERTIES entries, which `--create` needs in the list. */
function withDatabaseEntries(opened: OpenedArchive<TocArchive>, plan: RestorePlan): RestorePlan {
  const planned = new Set(plan.entries.map((p) => p.entry.dumpId));
  const extra = opened.archive.entries.filter((e) => (e.desc === 'DATABASE' || e.desc === 'DATABASE PROPERTIES') && !planned.has(e.dumpId));
  if (extra.length === 0) return plan;
  const order = new Map(opened.archive.entries.map((e, i) => [e.dumpId, i]));
  const entries = [...plan.entries, ...extra.map((entry) => ({ entry, reason: { kind: 'selected' as const, as: 'the database (--create)' } }))];
  entries.sort((x, y) => (order.get(x.entry.dumpId) ?? 0) - (order.get(y.entry.dumpId) ?? 0));
  return { ...plan, entries };
}

/** "pg_restore 15.18 at /usr/bin/pg_restore" */
export function describeTool(tool: ToolCandidate): string {
  return `${tool.tool} ${tool.version ? formatToolVersion(tool.version) : '?'} at ${tool.path}`;
}
