/**
 * Runs pg_dump for a plan: it writes under a temporary name beside the target, which becomes the
 * target only when pg_dump exits 0, so that a failed or cancelled dump never leaves something
 * that looks like a good dump (and never a temporary file). Progress comes from `--verbose` and
 * the output's size, errors are rewritten to name the object and why, and the new dump is read
 * back and checked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConnection } from '../connections/resolve';
import { DumpError, oneLine } from '../errors';
import { runClientProgram } from '../process/clientProgram';
import { CancelledError, describeCommand, RunError } from '../process/run';
import { checkDump, checkProblems, dumpSummary } from './dumpCheck';
import { dumpArguments, filterPath, partialPath } from './dumpArgs';
import { DumpErrorParser } from './dumpErrors';
import { DumpProgressTracker, outputSize } from './dumpProgress';
import { planDump, toolFacts } from './planDump';
import { tableSizes } from './selection';
import { openServerSession } from '../server/session';
import type { DumpCheck, DumpEvent, DumpHooks, DumpOptions, DumpPlanView, DumpResult, DumpTarget } from './types';

/** How often the output's size is asked and progress reported. */
const PROGRESS_INTERVAL_MS = 1000;

/**
 * Why the dump cannot go to `target`: it exists and may not be replaced, or it is not something a
 * new dump of this format may replace (a folder that is not a directory dump is never removed).
 */
export async function targetProblem(target: string, format: DumpOptions['format'], overwrite: boolean): Promise<string | undefined> {
  const stat = await fs.promises.lstat(target).catch(() => undefined);
  if (!stat) {
    const parent = path.dirname(target);
    const dir = await fs.promises.stat(parent).catch(() => undefined);
    return dir?.isDirectory() ? undefined : `the folder ${parent} does not exist`;
  }
  if (!overwrite) return `${target} exists already: choose another name, or allow replacing it`;
  if ((format ?? 'custom') === 'directory') {
    if (!stat.isDirectory()) return `${target} is a file: a directory dump is a folder; choose another name`;
    const names = await fs.promises.readdir(target);
    if (names.length > 0 && !names.some((n) => /^toc\.dat(\.(gz|lz4|zst))?$/.test(n))) return `${target} is a folder that is not a directory dump: it is not replaced`;
    return undefined;
  }
  return stat.isFile() ? undefined : `${target} is not a file: it is not replaced`;
}

const remove = (p: string) => fs.promises.rm(p, { recursive: true, force: true });

/** The finished output takes the target's name; a directory dump replaced is removed only after. */
async function moveIntoPlace(partial: string, target: string, directory: boolean): Promise<void> {
  const exists = await fs.promises.lstat(target).then(
    () => true,
    () => false,
  );
  if (!directory || !exists) return fs.promises.rename(partial, target);
  const old = `${partial}-old`;
  await fs.promises.rename(target, old);
  await fs.promises.rename(partial, target);
  await remove(old);
}

/** Asks the output's size once a second and reports progress: never per line, so that stat-ing cannot slow pg_dump. */
function measureEverySecond(output: string, progress: DumpProgressTracker, emit: (e: DumpEvent) => void): { stop(): void } {
  let measuring = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (measuring) return;
    measuring = true;
    void outputSize(output)
      .then((bytes) => {
        // A size asked just before pg_dump ended must not be reported after the final one.
        if (stopped) return;
        progress.setBytes(bytes);
        emit({ kind: 'progress', progress: progress.snapshot() });
      })
      .finally(() => (measuring = false));
  }, PROGRESS_INTERVAL_MS);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** The summed sizes of tables, in a session of their own; undefined when they cannot be had (progress then goes without). */
async function askSizes(connection: ResolvedConnection, tables: { schema: string; name: string }[]): Promise<number | undefined> {
  try {
    const session = await openServerSession(connection, { applicationName: 'pg-dump-explorer dump' });
    try {
      return (await tableSizes(session.client, tables)).bytes.reduce((a, b) => a + b, 0);
    } finally {
      await session.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * Dumps the database of `connection` into `target`. `plan`: one planDump made for the same
 * options and target (made here when not given). Throws one DumpError line when it cannot start
 * (see planDump, and the target's problems); a failure of pg_dump itself is a result with errors.
 */
export async function runDump(
  connection: ResolvedConnection,
  target: DumpTarget,
  options: DumpOptions = {},
  hooks: DumpHooks = {},
  plan?: DumpPlanView,
): Promise<DumpResult> {
  const started = Date.now();
  const emit = (e: DumpEvent) => hooks.onEvent?.(e);
  plan ??= await planDump(connection, options, hooks, target);
  const output = plan.outputPath ?? target.path;
  const directory = (options.format ?? 'custom') === 'directory';
  const problem = await targetProblem(output, options.format, target.overwrite ?? false);
  if (problem) throw new DumpError('usage', problem);

  const partial = partialPath(output);
  const filter = filterPath(output);
  const { args, filterText } = dumpArguments(options, toolFacts(plan.tool), { output: partial, filter });
  const tool = plan.tool;
  const dataTables = plan.tables.filter((t) => t.data);
  const progress = new DumpProgressTracker(dataTables.length, plan.expectedBytes, (options.jobs ?? 1) > 1);
  const errors = new DumpErrorParser((message) => emit({ kind: 'error', message }));
  let sourceBytes = plan.expectedBytes;
  const result = (fields: Pick<DumpResult, 'ok' | 'cancelled' | 'command'> & Partial<DumpResult>): DumpResult => {
    const durationMs = Date.now() - started;
    const bytes = fields.bytes ?? 0;
    return { path: output, tool, errors: [], bytes, sourceBytes, durationMs, summary: dumpSummary(fields.check, bytes, sourceBytes, durationMs), ...fields };
  };

  await remove(partial);
  if (filterText !== undefined) await fs.promises.writeFile(filter, filterText, { mode: 0o600 });
  const measuring = measureEverySecond(partial, progress, emit);
  emit({ kind: 'progress', progress: progress.snapshot() });
  // Sizes left for later are asked now, beside pg_dump; progress measures against them once known,
  // and never after a failed or cancelled dump has ended (its result is the last word).
  let failed = false;
  const asked =
    plan.sizes === 'pending'
      ? askSizes(connection, dataTables).then((bytes) => {
          if (bytes === undefined || failed) return;
          sourceBytes = bytes;
          progress.setExpected(bytes);
          emit({ kind: 'progress', progress: progress.snapshot() });
        })
      : Promise.resolve();

  let exit: { exitCode: number; command: string; stderrTail: string[] };
  try {
    exit = await runClientProgram(tool, connection, (connectionArgs) => [...args, ...connectionArgs], {
      reject: false,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onStderrLine: (line) => {
        emit({ kind: 'output', line });
        errors.push(line);
        if (progress.push(line)) emit({ kind: 'progress', progress: progress.snapshot() });
      },
    });
  } catch (err) {
    failed = true;
    await remove(partial);
    const command = err instanceof CancelledError || err instanceof RunError ? err.command : describeCommand(tool.path, args);
    if (err instanceof CancelledError) return result({ ok: false, cancelled: true, command });
    return result({ ok: false, cancelled: false, command, errors: [oneLine(err)] });
  } finally {
    measuring.stop();
    if (filterText !== undefined) await remove(filter);
  }

  const found = errors.end();
  if (exit.exitCode !== 0) {
    failed = true;
    await remove(partial);
    const last = exit.stderrTail.filter((l) => l.trim()).at(-1);
    return result({ ok: false, cancelled: false, command: exit.command, errors: found.length > 0 ? found : [`pg_dump exited with code ${exit.exitCode}${last ? `: ${last}` : ''}`] });
  }
  await moveIntoPlace(partial, output, directory);
  await asked;
  progress.finish();
  const bytes = await outputSize(output);
  progress.setBytes(bytes);
  emit({ kind: 'progress', progress: progress.snapshot() });

  const check: DumpCheck = await checkDump(output, plan.tables, options).catch((err: unknown) => ({
    entries: 0,
    tables: 0,
    missingTables: [],
    dataProblems: [`the new dump could not be read back: ${oneLine(err)}`],
  }));
  const problems = checkProblems(check);
  return result({ ok: problems.length === 0, cancelled: false, command: exit.command, bytes, check, errors: problems });
}
