/**
 * `copy --jobs N`: a whole database copied by pgcopydb (several tables at once, indexes built in
 * parallel), in the copy's own snapshot (`--snapshot`), with the same pre-flight before it and the
 * same checks after it as the pipe. Its work folder is a private temporary one, removed afterwards.
 * Like `pg_restore --jobs`, it is not one transaction: a failure or a cancel can leave part of the
 * database copied.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ResolvedConnection } from '../connections/resolve';
import { writeTemporaryPassfile, type TemporaryPassfile } from '../connections/pgpass';
import { DumpError, oneLine } from '../errors';
import { CancelledError, describeCommand, run, RunError } from '../process/run';
import { restoreApplicationName, watchCopyProgress, type CopyWatcher } from '../restore/copyProgress';
import { RestoreProgress } from '../restore/verboseParser';
import { describeTool } from '../restore/restoreArchive';
import { checksAfterCopy } from './copyChecks';
import type { PreparedCopy } from './copyDatabase';
import type { Copier, CopyEvent, CopyHooks, CopyOptions, CopyResult } from './types';

const INSTALL = 'install pgcopydb (Debian and Ubuntu: the pgcopydb package), or copy with --jobs 1 (one pg_dump | pg_restore pipe, in one transaction)';

/** pgcopydb on PATH, with its version; one line saying it is missing otherwise. */
export async function findPgcopydb(signal?: AbortSignal): Promise<Copier> {
  try {
    const r = await run('pgcopydb', ['--version'], { ...(signal ? { signal } : {}), reject: false });
    const m = /pgcopydb version (\d+)\.(\d+)/.exec(r.stdout + r.stderrTail.join('\n'));
    if (r.exitCode !== 0 || !m) throw new Error('no version');
    const compatible = /compatible with Postgres .*?(\d+)\s*$/m.exec(r.stdout + r.stderrTail.join('\n'));
    return { path: 'pgcopydb', version: `${m[1]}.${m[2]}`, ...(compatible ? { newestMajor: Number(compatible[1]) } : {}) };
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    throw new DumpError('not-found', `--jobs copies through pgcopydb, which is not installed here: ${INSTALL}`);
  }
}

/** `COPY "schema"."name"` in pgcopydb's log: a table's data starts. */
const COPY_LINE = /\bINFO\s+COPY "((?:[^"]|"")*)"\."((?:[^"]|"")*)"/;

export async function runPgcopydb(prepared: PreparedCopy, copier: Copier, source: ResolvedConnection, target: ResolvedConnection, options: CopyOptions, hooks: CopyHooks): Promise<CopyResult> {
  const started = Date.now();
  const emit = (e: CopyEvent) => hooks.onEvent?.(e);
  const { plan, snapshot, dumpTool } = prepared;
  const tables = plan.entries.filter((p) => p.entry.desc === 'TABLE DATA');
  const progress = new RestoreProgress({ total: tables.length });
  const started_ = new Set<string>();
  const problems: string[] = [];
  const lines: string[] = [];
  const work = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'pgdx-pgcopydb-'));
  const passfiles: TemporaryPassfile[] = [];
  const args = [
    'clone',
    '--source',
    source.toConninfo(),
    '--target',
    target.toConninfo(),
    '--dir',
    path.join(work, 'work'),
    '--table-jobs',
    String(options.jobs ?? 2),
    '--index-jobs',
    String(options.jobs ?? 2),
    '--snapshot',
    snapshot.id,
    ...(options.noOwner ? ['--no-owner'] : []),
    ...(options.noPrivileges ? ['--no-acl'] : []),
    ...(options.clean ? ['--drop-if-exists'] : []),
  ];
  const command = describeCommand('pgcopydb', args);
  const snapshotOf = () => ({ ...progress.snapshot(), started: started_.size, finished: Math.max(0, started_.size - 1) });
  const result = (fields: Pick<CopyResult, 'ok' | 'cancelled'> & Partial<CopyResult>): CopyResult => ({
    engine: 'pgcopydb',
    command,
    errors: [],
    sourceErrors: [],
    problems,
    notes: ['pgcopydb copies in several transactions: a failure or a cancel can leave part of the database copied'],
    entries: plan.entries.length,
    bytes: 0,
    durationMs: Date.now() - started,
    progress: snapshotOf(),
    tools: [describeTool(dumpTool), `pgcopydb ${copier.version}`],
    createdRoles: [],
    ...fields,
  });
  const counting = (options.verifyRowCounts ?? true) ? snapshot.countRows(tables.map((p) => ({ schema: p.entry.namespace!, name: p.entry.tag! })), hooks.signal) : Promise.resolve(new Map<string, number>());
  counting.catch(() => undefined);
  let copies: CopyWatcher | undefined;
  try {
    // One password file for both ends: pgcopydb and the pg_dump / pg_restore it runs read it.
    const content = [source.toolPassfileContent(), target.toolPassfileContent()].filter((c) => c !== undefined).join('');
    let passfile: string | undefined;
    if (content !== '') {
      const p = await writeTemporaryPassfile(content);
      passfiles.push(p);
      passfile = p.path;
    }
    const applicationName = restoreApplicationName();
    const env = {
      ...target.toToolEnv(passfile ? { passfile } : {}),
      PGAPPNAME: applicationName,
      // pgcopydb runs the pg_dump and pg_restore it finds first on PATH: the ones that fit the source.
      PATH: [path.dirname(dumpTool.path), process.env.PATH ?? ''].join(path.delimiter),
    };
    emit({ kind: 'stage', stage: 'copy' });
    copies = await watchCopyProgress(target, applicationName, (running) => {
      progress.setCopies(running);
      emit({ kind: 'progress', snapshot: snapshotOf(), streamedBytes: 0 });
    });
    const outcome = await run('pgcopydb', args, {
      env,
      reject: false,
      stderrTailLines: 40,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onStdoutLine: (line) => emit({ kind: 'output', program: 'pgcopydb', line }),
      onStderrLine: (line) => {
        lines.push(line);
        emit({ kind: 'output', program: 'pgcopydb', line });
        const m = COPY_LINE.exec(line);
        if (m) {
          started_.add(`${m[1]!.replace(/""/g, '"')}.${m[2]!.replace(/""/g, '"')}`);
          emit({ kind: 'progress', snapshot: snapshotOf(), streamedBytes: 0 });
        }
      },
    }).catch((err: unknown) => {
      if (err instanceof CancelledError) return 'cancelled' as const;
      throw err;
    });
    await copies.stop();
    progress.setCopies([]);
    if (outcome === 'cancelled') return result({ ok: false, cancelled: true });
    if (outcome.exitCode !== 0) {
      const errors = lines.filter((l) => /\b(ERROR|FATAL)\b/.test(l)).map((l) => l.replace(/^\S+ \d+ (ERROR|FATAL)\s+/, ''));
      problems.push(...(errors.length > 0 ? errors.slice(0, 20) : [`pgcopydb exited with status ${outcome.exitCode}: ${outcome.stderrTail.filter((l) => l.trim()).at(-1) ?? 'no message'}`]));
      return result({ ok: false, cancelled: false });
    }
    emit({ kind: 'stage', stage: 'checks' });
    const checks = await checksAfterCopy(plan, target, options, hooks, counting);
    if (checks.problem) problems.push(checks.problem);
    return result({ ok: true, cancelled: false, progress: { ...progress.snapshot(), started: tables.length, finished: tables.length }, ...(checks.report ? { postRestore: checks.report } : {}) });
  } catch (err) {
    if (err instanceof RunError) {
      problems.push(oneLine(err));
      return result({ ok: false, cancelled: false });
    }
    throw err;
  } finally {
    await copies?.stop();
    for (const p of passfiles) await p.remove();
    await fs.promises.rm(work, { recursive: true, force: true });
  }
}
