/**
 * The one way the core runs an external program (pg_restore, psql, pg_dump, …).
 *
 * - An argument array, never a shell string.
 * - An environment built from scratch: what a program needs to start (PATH, HOME, the Windows
 *   basics), the caller's variables (PG* connection settings), then `LC_MESSAGES=C` and
 *   `PG_COLOR=never` so that what the tools print can be parsed.
 * - stdout / stderr decoded as UTF-8 and handed to callbacks line by line as they arrive.
 * - Cancellation through an AbortSignal that ends the program *and its children*: on POSIX the
 *   program leads its own process group, the whole group gets SIGTERM (a PostgreSQL tool then
 *   sends a cancel request for its query and exits), and whatever is left after a grace period
 *   gets SIGKILL. `run` settles only once the group is gone (or the grace period ran out).
 * - Typed failures: `RunError` (could not start, non-zero exit, killed by a signal) carrying the
 *   command, exit code, signal and the last stderr lines; `CancelledError` when the caller aborted.
 *
 * Passwords never go on a command line: a client program runs against a connection through
 * clientProgram.ts (connection arguments, a temporary PGPASSFILE). Two programs joined by a pipe
 * (`pg_dump | pg_restore`) run through runPipe.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, type Readable, type Transform, type Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Result, ResultPromise } from 'execa';

export interface RunOptions {
  /**
   * Variables added to the built environment: PG* connection settings (`PGHOST`, `PGPORT`,
   * `PGUSER`, `PGDATABASE`, `PGPASSFILE`, `PGSSLMODE`, …) or anything else the program needs.
   * `undefined` removes a variable. `LC_MESSAGES` and `PG_COLOR` are always forced afterwards.
   */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Aborting it ends the program and its children; `run` then rejects with CancelledError. */
  signal?: AbortSignal;
  /** What the program reads: a stream (piped in), a string or bytes. Default: nothing (ignored). */
  stdin?: Readable | string | Uint8Array;
  /** Each line of stdout (without its line end) as it arrives. */
  onStdoutLine?: (line: string) => void;
  /**
   * stdout's bytes, as they are, written into this stream (with back-pressure) instead of being
   * read as lines or collected. The stream is not ended: the caller decides what the end means.
   */
  stdoutTo?: Writable;
  /** Each line of stderr (without its line end) as it arrives. */
  onStderrLine?: (line: string) => void;
  /** Collect stdout into the result (default: true unless onStdoutLine is given). */
  collectStdout?: boolean;
  /** false: a non-zero exit resolves with the result instead of rejecting. Default true. */
  reject?: boolean;
  /** Milliseconds between SIGTERM and SIGKILL when cancelling. Default 3000. */
  killGraceMs?: number;
  /** How many of the last stderr lines a RunError / result keeps. Default 20. */
  stderrTailLines?: number;
  /** Called once the program has started, with its process ID. */
  onSpawn?: (pid: number) => void;
}

export interface RunResult {
  /** The command as a readable line (file and arguments, quoted where needed). */
  command: string;
  exitCode: number;
  /** Collected stdout (empty when not collected). */
  stdout: string;
  /** The last stderr lines (at most `stderrTailLines`). */
  stderrTail: string[];
  durationMs: number;
}

/** A program could not be started, exited non-zero, or was killed by a signal nobody asked for. */
export class RunError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly signal: string | undefined,
    readonly stderrTail: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RunError';
  }
}

/** The caller aborted the run; the program and its children have been ended. */
export class CancelledError extends Error {
  constructor(readonly command: string) {
    super(`cancelled: ${command}`);
    this.name = 'CancelledError';
  }
}

/** Variables a program needs to start and find its files; everything else is left out. */
const PASSED_THROUGH = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'LD_LIBRARY_PATH',
  'DYLD_LIBRARY_PATH',
  // Windows: DLL loading, the user's profile (where libpq looks for pgpass.conf).
  'SystemRoot',
  'SYSTEMROOT',
  'windir',
  'ComSpec',
  'PATHEXT',
  'APPDATA',
  'LOCALAPPDATA',
  'USERPROFILE',
  'HOMEDRIVE',
  'HOMEPATH',
];

/**
 * The environment a tool runs with: the start-up basics of this process, then `extra`, then
 * `LC_MESSAGES=C` and `PG_COLOR=never`. Nothing else from this process leaks in: not its PG*
 * variables (pass them in `extra`, e.g. with `pgVarsOf(process.env)`), not LC_ALL / LANG (they
 * would override LC_MESSAGES and translate the messages we parse).
 */
export function toolEnv(extra: Record<string, string | undefined> = {}, base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of PASSED_THROUGH) {
    const value = base[key];
    if (value !== undefined) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  env.LC_MESSAGES = 'C';
  env.PG_COLOR = 'never';
  return env;
}

/** The PG* variables of an environment (libpq's connection defaults), e.g. the user's shell. */
export function pgVarsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (key.startsWith('PG') && value !== undefined) out[key] = value;
  return out;
}

/** The command as one readable line; for messages only, never executed. */
export function describeCommand(file: string, args: readonly string[]): string {
  const quote = (word: string) => (/^[\w./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
  return [path.basename(file), ...args].map(quote).join(' ');
}

/** Splits a byte stream into UTF-8 lines; a final line without a line end is delivered at the end. */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer | string): void {
    const text = this.pending + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
  }
}

type Execa = typeof import('execa').execa;
let execaFn: Promise<Execa> | undefined;
/**
 * execa is ESM-only. A dynamic import lets esbuild bundle it into the CommonJS bundles and lets
 * the tests load this file through tsx's CommonJS hook, which cannot `require` it.
 */
function loadExeca(): Promise<Execa> {
  execaFn ??= import('execa').then((m) => m.execa);
  return execaFn;
}

const isPosix = process.platform !== 'win32';

/** Process groups of runs still going; SIGKILLed if this process exits under them. */
const liveGroups = new Set<number>();
let exitHookForGroups = false;

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: no process left in the group (EPERM cannot happen for our own children)
  }
}

/**
 * Whether a process group still has a running member. On Linux a zombie (exited, not yet reaped
 * because its parent is gone and init does not reap) still answers kill(0); /proc tells them apart.
 */
function groupRunning(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may contain spaces and parentheses; it ends at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until the group has no running member, SIGKILLing it once the deadline passes. */
async function reapGroup(pgid: number, deadline: number): Promise<void> {
  while (groupRunning(pgid)) {
    if (Date.now() >= deadline) {
      signalGroup(pgid, 'SIGKILL');
      // A SIGKILLed process needs a moment to disappear; do not wait for ever on one stuck in the kernel.
      const hardStop = Date.now() + 2000;
      while (groupRunning(pgid) && Date.now() < hardStop) await sleep(20);
      return;
    }
    await sleep(25);
  }
}

/**
 * Runs `file` with `args` and resolves when it has exited 0 (or exited at all, with
 * `reject: false`). Rejects with RunError or CancelledError. See the file comment.
 */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const command = describeCommand(file, args);
  const { signal } = options;
  if (signal?.aborted) throw new CancelledError(command);
  const grace = options.killGraceMs ?? 3000;
  const tailSize = options.stderrTailLines ?? 20;
  const collect = !options.stdoutTo && (options.collectStdout ?? !options.onStdoutLine);
  const execa = await loadExeca();
  if (signal?.aborted) throw new CancelledError(command);

  const started = Date.now();
  const stdin = options.stdin;
  const subprocess: ResultPromise = execa(file, [...args], {
    cwd: options.cwd,
    env: toolEnv(options.env),
    extendEnv: false,
    ...(stdin === undefined ? { stdin: 'ignore' as const } : typeof stdin === 'string' || stdin instanceof Uint8Array ? { input: stdin } : { stdin: 'pipe' as const }),
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    windowsHide: true,
    // Own process group, so that cancelling reaches the program's children too.
    detached: isPosix,
    ...(signal ? { cancelSignal: signal } : {}),
    killSignal: 'SIGTERM',
    forceKillAfterDelay: grace,
  });

  const pid = subprocess.pid;
  const pgid = isPosix && pid !== undefined ? pid : undefined;
  if (pgid !== undefined) {
    liveGroups.add(pgid);
    if (!exitHookForGroups) {
      exitHookForGroups = true;
      process.once('exit', () => {
        for (const g of liveGroups) signalGroup(g, 'SIGKILL');
      });
    }
  }

  // execa signals the program itself; the rest of its group gets the same treatment here.
  let cancelledAt: number | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    cancelledAt = Date.now();
    if (pgid === undefined) return;
    signalGroup(pgid, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), grace);
    killTimer.unref();
  };
  signal?.addEventListener('abort', onAbort, { once: true });

  const tail: string[] = [];
  const stdoutChunks: Buffer[] = [];
  const stdoutLines = new LineSplitter((line) => options.onStdoutLine?.(line));
  const stderrLines = new LineSplitter((line) => {
    tail.push(line);
    if (tail.length > tailSize) tail.shift();
    options.onStderrLine?.(line);
  });
  // A callback that throws must not leave the program running unseen: remember it, end the run.
  let callbackError: unknown;
  const guard = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (callbackError === undefined) {
        callbackError = err;
        if (pgid !== undefined) signalGroup(pgid, 'SIGTERM');
        else subprocess.kill('SIGTERM');
      }
    }
  };
  if (pid !== undefined) guard(() => options.onSpawn?.(pid));
  const streamDone = (stream: Readable | null, splitter: LineSplitter) =>
    new Promise<void>((resolve) => {
      if (!stream) return resolve();
      stream.on('data', (chunk: Buffer) => {
        if (collect && stream === subprocess.stdout) stdoutChunks.push(chunk);
        guard(() => splitter.push(chunk));
      });
      stream.once('end', () => {
        guard(() => splitter.end());
        resolve();
      });
      stream.once('error', () => resolve());
      stream.once('close', () => resolve());
    });
  if (stdin !== undefined && typeof stdin !== 'string' && !(stdin instanceof Uint8Array) && subprocess.stdin) {
    const sink = subprocess.stdin;
    // The program may exit without reading everything (EPIPE): that is its business, not an error.
    sink.on('error', () => undefined);
    stdin.once('error', (err) => guard(() => {
      throw err;
    }));
    stdin.pipe(sink);
  }
  const rawOut = options.stdoutTo;
  const stdoutDone = rawOut && subprocess.stdout ? rawStreamDone(subprocess.stdout, rawOut) : streamDone(subprocess.stdout, stdoutLines);
  const outputs = Promise.all([stdoutDone, streamDone(subprocess.stderr, stderrLines)]);

  let result: Result;
  try {
    result = (await subprocess) as Result;
    await outputs;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }

  const cancelled = cancelledAt !== undefined || result.isCanceled;
  if (pgid !== undefined) {
    // After a cancel, wait for the rest of the group (pg_restore's workers send their own cancel
    // requests) until the grace period ends, then SIGKILL what is left.
    if (cancelled || callbackError !== undefined) await reapGroup(pgid, (cancelledAt ?? Date.now()) + grace);
    if (killTimer) clearTimeout(killTimer);
    liveGroups.delete(pgid);
  }

  const exitCode = result.exitCode;
  const killedBy = result.signal ?? undefined;
  if (callbackError !== undefined) throw callbackError;
  if (cancelled && exitCode !== 0) throw new CancelledError(command);

  if (result.failed && exitCode === undefined && killedBy === undefined) {
    // Never started (ENOENT, EACCES, …) or an I/O failure of our own.
    const cause = result.cause;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const reason = code === 'ENOENT' ? `${file} not found` : code === 'EACCES' ? `${file} is not executable` : cause instanceof Error ? cause.message : result.shortMessage;
    throw new RunError(`could not run ${path.basename(file)}: ${reason}`, command, undefined, undefined, [...tail], { cause });
  }
  if (killedBy !== undefined) {
    throw new RunError(`${path.basename(file)} was killed by ${killedBy}${lastLine(tail)}`, command, exitCode, killedBy, [...tail]);
  }
  if (exitCode !== 0 && options.reject !== false) {
    throw new RunError(`${path.basename(file)} exited with code ${exitCode}${lastLine(tail)}`, command, exitCode, undefined, [...tail]);
  }
  return { command, exitCode: exitCode ?? -1, stdout: Buffer.concat(stdoutChunks).toString('utf8'), stderrTail: [...tail], durationMs: Date.now() - started };
}

function lastLine(tail: readonly string[]): string {
  for (let i = tail.length - 1; i >= 0; i--) {
    const line = tail[i]?.trim();
    if (line) return `: ${line}`;
  }
  return '';
}

/** Pipes a program's stdout into `to` as bytes (back-pressure included) and resolves when it has all gone. */
function rawStreamDone(from: Readable, to: Writable): Promise<void> {
  return new Promise<void>((resolve) => {
    from.pipe(to, { end: false });
    from.once('end', () => resolve());
    from.once('error', () => resolve());
    from.once('close', () => resolve());
  });
}

/** One program of a pipe: what `run` takes. */
export interface PipeStage {
  file: string;
  args: readonly string[];
  options?: Omit<RunOptions, 'signal' | 'stdin' | 'stdoutTo' | 'reject'>;
}

/**
 * Runs `first | second`: first's stdout, as bytes, is second's stdin. Second reads the end of its
 * input only when first exited 0: when first fails, second is ended without it (a psql or a
 * pg_restore in one transaction then rolls back instead of committing half a stream), and when
 * second fails, first is ended too. Aborting `signal` ends both, with their process groups.
 * Resolves with both results when both exited 0; rejects with CancelledError when the caller
 * aborted, else with the RunError of the program that failed first.
 */
export async function runPipe(
  first: PipeStage,
  second: PipeStage,
  options: { signal?: AbortSignal; link?: Transform } = {},
): Promise<{ first: RunResult; second: RunResult }> {
  // `link`: what the bytes pass through on their way (e.g. a reader of the stream's start); ended
  // only when the first program exited 0, like the plain pipe.
  const link = options.link ?? new PassThrough();
  const both = new AbortController();
  let failure: unknown;
  const fail = (err: unknown) => {
    failure ??= err;
    both.abort();
  };
  const onAbort = () => both.abort();
  if (options.signal?.aborted) both.abort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const settle = (stage: PipeStage, promise: Promise<RunResult>, onOk: () => void) =>
    promise.then(
      (r) => {
        if (r.exitCode === 0) onOk();
        else fail(new RunError(`${path.basename(stage.file)} exited with code ${r.exitCode}${lastLine(r.stderrTail)}`, r.command, r.exitCode, undefined, r.stderrTail));
        return r;
      },
      (err: unknown) => {
        if (!(err instanceof CancelledError)) fail(err);
        throw err;
      },
    );
  try {
    const reading = settle(second, run(second.file, second.args, { ...second.options, stdin: link, reject: false, signal: both.signal }), () => undefined).finally(() => {
      // Nothing reads the pipe any more: let what the first still writes drain away, so that it
      // is not held on a full pipe while it is being ended.
      link.resume();
    });
    const writing = settle(first, run(first.file, first.args, { ...first.options, stdoutTo: link, reject: false, signal: both.signal }), () => link.end());
    const [a, b] = await Promise.allSettled([writing, reading]);
    if (options.signal?.aborted) throw new CancelledError(`${describeCommand(first.file, first.args)} | ${describeCommand(second.file, second.args)}`);
    if (failure !== undefined) throw failure;
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    return { first: a.value, second: b.value };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    link.destroy();
  }
}
