import * as fs from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ResolvedConnection } from '../connections/resolve';
import { createDecompressor } from '../formats/compression';
import type { PlainCompression } from '../formats/detect';
import { runClientProgram } from '../process/clientProgram';
import { CancelledError } from '../process/run';
import { findTool, type ToolCandidate } from '../tools/findTools';

/**
 * Runs SQL text through psql: a whole plain dump, or the slices of one that a selection needs.
 * `ON_ERROR_STOP=1` and (by default) `--single-transaction`, so a failure leaves the target as
 * it was. The SQL is streamed into psql's standard input as it is read and decompressed: no
 * temporary copy of the dump is made.
 */

export interface PsqlRestoreOptions {
  /** Default true. */
  singleTransaction?: boolean;
  /** `ON_ERROR_STOP=1`: stop at the first error. Default true. */
  onErrorStop?: boolean;
  signal?: AbortSignal;
  /** The psql to run, found before (skips finding one). */
  tool?: ToolCandidate;
  /** A configured psql (the executable or its directory). */
  toolPath?: string;
  standardLocations?: boolean;
  /** Bytes of SQL fed so far, and the expected total when known. */
  onProgress?: (bytesDone: number, bytesTotal: number | undefined) => void;
  /** Each line psql printed on stderr (notices, errors), for the log. */
  onOutput?: (line: string) => void;
  /** Expected number of bytes of SQL, for progress. */
  totalBytes?: number;
  /** psql's application_name: what its session is found by (copyProgress.ts). */
  applicationName?: string;
}

export interface PsqlError {
  /** Line of the SQL text (1-based) psql reports, when it does. */
  line?: number;
  message: string;
}

export interface PsqlRestoreResult {
  ok: boolean;
  cancelled: boolean;
  command: string;
  tool: ToolCandidate;
  exitCode: number | null;
  errors: PsqlError[];
  bytes: number;
  durationMs: number;
}

/** `psql:<stdin>:12: ERROR:  relation "x" already exists` and its DETAIL/HINT/CONTEXT lines. */
const PSQL_MESSAGE = /^psql:[^:]*:(\d+): (ERROR|FATAL|error):\s+(.*)$/;
const CONTINUATION = /^(DETAIL|HINT|CONTEXT|LINE \d+|QUERY):\s/;

export function psqlArguments(connectionArgs: readonly string[], singleTransaction: boolean, onErrorStop = true): string[] {
  return [
    '--no-psqlrc',
    '--quiet',
    ...(onErrorStop ? ['--set=ON_ERROR_STOP=1'] : []),
    ...(singleTransaction ? ['--single-transaction'] : []),
    ...connectionArgs,
    '--file=-',
  ];
}

/** The psql to run: the configured one when it works, else the newest found. */
export function findPsql(options: { toolPath?: string; standardLocations?: boolean; signal?: AbortSignal } = {}): Promise<ToolCandidate> {
  return findTool('psql', {
    ...(options.toolPath ? { configuredPath: options.toolPath } : {}),
    ...(options.standardLocations === false ? { standardLocations: false } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** A plain dump file as SQL text: decompressed as it is read. */
export function readPlainDump(file: string, compression: PlainCompression): Readable {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (compression === 'none') return input;
  const out = createDecompressor(compression, file);
  pipeline(input, out).catch((err: unknown) => out.destroy(err instanceof Error ? err : new Error(String(err))));
  return out;
}

/**
 * Whether a plain dump uses psql's `\restrict` (pg_dump 17.6, 16.10, 15.14, 14.19, 13.22 and
 * later write it near the top, after the header comments): the first 64 kB are read.
 */
export async function plainDumpUsesRestrict(file: string, compression: PlainCompression): Promise<boolean> {
  const stream = readPlainDump(file, compression);
  let text = '';
  try {
    for await (const chunk of stream) {
      text += (chunk as Buffer).toString('latin1');
      if (text.length >= 1 << 16) break;
    }
  } finally {
    stream.destroy();
  }
  return /^\\restrict /m.test(text);
}

export async function runPsqlRestore(sql: Readable, connection: ResolvedConnection, options: PsqlRestoreOptions = {}): Promise<PsqlRestoreResult> {
  const started = Date.now();
  const tool = options.tool ?? (await findPsql(options));
  let bytes = 0;
  let lastReport = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes - lastReport >= 1 << 20) {
        lastReport = bytes;
        options.onProgress?.(bytes, options.totalBytes);
      }
      done(null, chunk);
    },
  });
  let sourceError: unknown;
  sql.on('error', (err) => {
    sourceError = err;
    counter.destroy(err);
  });
  sql.pipe(counter);

  const errors: PsqlError[] = [];
  let open: PsqlError | undefined;
  try {
    let outcome;
    try {
      outcome = await runClientProgram(tool, connection, (connectionArgs) => psqlArguments(connectionArgs, options.singleTransaction ?? true, options.onErrorStop ?? true), {
        stdin: counter,
        ...(options.applicationName ? { env: { PGAPPNAME: options.applicationName } } : {}),
        reject: false,
        collectStdout: false,
        onStdoutLine: () => undefined,
        ...(options.signal ? { signal: options.signal } : {}),
        onStderrLine: (line) => {
          options.onOutput?.(line);
          const m = PSQL_MESSAGE.exec(line);
          if (m) {
            open = { line: Number(m[1]), message: m[3] ?? '' };
            errors.push(open);
          } else if (open && CONTINUATION.test(line)) {
            open.message += `\n${line}`;
          } else {
            open = undefined;
          }
        },
      });
    } catch (err) {
      // Cancelled: psql ended (by the signal, or because the source stopped reading on it).
      if (err instanceof CancelledError || options.signal?.aborted) {
        return { ok: false, cancelled: true, command: err instanceof CancelledError ? err.command : '', tool, exitCode: null, errors, bytes, durationMs: Date.now() - started };
      }
      // The dump could not be read to its end: psql was killed before it saw the end of its
      // input, so its transaction was rolled back rather than committed.
      if (sourceError === undefined) throw err;
      errors.push({ message: `could not read the dump: ${sourceError instanceof Error ? sourceError.message : String(sourceError)}` });
      return { ok: false, cancelled: false, command: '', tool, exitCode: null, errors, bytes, durationMs: Date.now() - started };
    }
    if (options.signal?.aborted && outcome.exitCode !== 0) {
      return { ok: false, cancelled: true, command: outcome.command, tool, exitCode: outcome.exitCode, errors, bytes, durationMs: Date.now() - started };
    }
    if (sourceError !== undefined) {
      // Should not happen (a source error ends the run above), but never report success for it.
      errors.push({ message: `could not read the dump: ${sourceError instanceof Error ? sourceError.message : String(sourceError)}` });
    } else if (outcome.exitCode !== 0 && errors.length === 0) {
      errors.push({ message: outcome.stderrTail.filter((l) => l.trim()).at(-1) ?? `psql exited with status ${outcome.exitCode}` });
    }
    options.onProgress?.(bytes, options.totalBytes);
    const ok = outcome.exitCode === 0 && sourceError === undefined && errors.length === 0;
    return { ok, cancelled: false, command: outcome.command, tool, exitCode: outcome.exitCode, errors, bytes, durationMs: Date.now() - started };
  } finally {
    sql.destroy();
  }
}
