import { Readable } from 'node:stream';
import type { ResolvedConnection } from '../connections/resolve';
import { DumpError } from '../errors';
import type { OpenedArchive } from '../formats/archive/openedArchive';
import type { PlainArchive, TocEntry } from '../model/types';
import type { PlainIndex } from '../plain/indexer';
import { planSlices, type Piece, type SlicePlan } from '../plain/slices';
import { readRanges } from '../plain/sqlRanges';
import type { RestorePlan } from '../plan/closure';
import { writeRestoreList } from '../plan/listFile';
import { psqlRestrictFinding } from '../target/preflightFindings';
import type { RestoreError } from './errorParser';
import { restoreApplicationName, watchCopyProgress, type CopyInProgress } from './copyProgress';
import { findPsql, runPsqlRestore, type PsqlError } from './psqlRestore';
import type { RestoreEvent, RestoreHooks, RestoreResult, RestoreRunOptions } from './types';
import { checksAfterRestore, countTargetRows, prepareTarget } from './targetPrep';
import type { ProgressSnapshot } from './verboseParser';

/**
 * A selective restore from a plain dump: the plan's sections streamed straight from the file
 * (or its decompressed stream) to `psql --single-transaction -v ON_ERROR_STOP=1`, with the
 * dump's preamble and the settings each section ran under (plain/slices.ts). No copy of the
 * dump is written anywhere. Progress counts the entries and bytes sent to psql; psql's errors
 * are tied to entries by their line numbers in the stream. Cancelling ends psql, whose
 * transaction is then rolled back; a dump that cannot be read to the end of the plan kills psql
 * the same way.
 *
 * Options: --no-owner leaves out `ALTER … OWNER TO` statements and SET SESSION AUTHORIZATION;
 * --no-privileges ACL entries; --no-comments COMMENT entries; --no-tablespaces the
 * `SET default_tablespace` lines; --role, --disable-triggers and --section work as for
 * pg_restore. Refused with one line each: --jobs (psql runs one session), --clean (a plain dump
 * has no DROP statements of its objects), --create (the database is the one connected to).
 * The settings of parameters the target lacks (the pre-flight check's missingParameters) are
 * left out, and the result's notes name them.
 */

/** The result's note for a parameter whose setting was left out. */
export function parameterLeftOutNote(parameter: string): string {
  return `the target has no parameter ${parameter}: its SET was left out`;
}

/** Why psql cannot run this plain restore with these options; undefined when it can. */
export function plainRestoreObstacle(options: RestoreRunOptions): string | undefined {
  if ((options.jobs ?? 1) > 1) return 'psql restores a plain dump in one session: --jobs applies to custom and directory archives only';
  if (options.clean) return 'a plain dump holds no DROP statements for its objects, so --clean cannot be applied: drop the objects first (the pre-flight check lists them), or restore from a custom-format archive';
  if (options.create) return 'a selective restore of a plain dump goes into the database connected to: create the database first and connect to it (--create applies to archives)';
  return undefined;
}

/** Where each entry's text starts in the stream, by line, to tie psql's line numbers to entries. */
type StreamPart = number | 'preamble' | 'end';

class LineMap {
  private readonly starts: number[] = [];
  private readonly ids: StreamPart[] = [];

  mark(line: number, dumpId: StreamPart): void {
    if (this.ids.at(-1) === dumpId && this.ids.length > 0) return;
    this.starts.push(line);
    this.ids.push(dumpId);
  }

  /** The entry (or other part of the stream) whose text holds stream line `line` (1-based). */
  entryAt(line: number): StreamPart | undefined {
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid]! <= line) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : this.ids[found];
  }
}

const countLines = (b: Buffer) => {
  let n = 0;
  for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) n++;
  return n;
};

/**
 * The bytes of a slice plan: text pieces as written, ranges read from the file in one pass.
 * `onPiece` is called as each piece starts, with the stream line it starts on.
 */
export async function* sliceBytes(index: PlainIndex, slices: SlicePlan, onPiece: (piece: Piece, line: number) => void, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const ranges = slices.pieces.flatMap((p) => (p.kind === 'range' ? [{ offset: p.offset, length: p.length }] : []));
  const reader = readRanges(index.path, index.compression, ranges, signal);
  let line = 1;
  let rangeNo = 0;
  try {
    for (const piece of slices.pieces) {
      onPiece(piece, line);
      if (piece.kind === 'text') {
        const b = Buffer.from(piece.text, index.encoding);
        line += countLines(b);
        yield b;
        continue;
      }
      const filter = piece.dropTransactionLines ? new TransactionLineFilter() : undefined;
      let left = piece.length;
      while (left > 0) {
        const next = await reader.next();
        if (next.done) throw new DumpError('truncated', `${index.path} ended before the SQL of entry ${piece.dumpId} was read`);
        const [k, chunk] = next.value;
        if (k !== rangeNo) throw new Error('sliceBytes: ranges out of step');
        left -= chunk.length;
        const out = filter ? filter.push(chunk, left === 0) : chunk;
        if (out.length === 0) continue;
        line += countLines(out);
        yield out;
      }
      rangeNo++;
    }
  } finally {
    await reader.return(undefined);
  }
}

/**
 * Drops the `BEGIN;` and `COMMIT;` lines pg_dump writes around each large object in a plain
 * dump: inside psql's single transaction, COMMIT would end it early and a later failure would
 * leave the target half restored.
 */
export class TransactionLineFilter {
  private carry: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, last: boolean): Buffer {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const out: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) break;
      const line = buf.toString('latin1', pos, Math.min(nl, pos + 8));
      const len = nl - pos;
      if (!((len === 6 && line === 'BEGIN;') || (len === 7 && line === 'COMMIT;'))) out.push(buf.subarray(pos, nl + 1));
      // A dropped line becomes an empty one, so that psql's line numbers still match the stream's.
      else out.push(Buffer.from('\n'));
      pos = nl + 1;
    }
    this.carry = Buffer.from(buf.subarray(pos));
    if (last && this.carry.length > 0) {
      out.push(this.carry);
      this.carry = Buffer.alloc(0);
    }
    return Buffer.concat(out);
  }
}

function errorOf(e: PsqlError, entry: TocEntry | undefined, part: StreamPart | undefined): RestoreError {
  const copy = /\nCONTEXT:\s+COPY /.test(e.message);
  return {
    kind: copy ? 'copy' : e.line === undefined ? 'other' : 'query',
    message: e.message,
    ...(entry
      ? {
          dumpId: entry.dumpId,
          entry: {
            dumpId: entry.dumpId,
            tableoid: '0',
            oid: '0',
            desc: entry.desc ?? '',
            tag: entry.tag ?? '',
            owner: entry.owner ?? '',
            text: `${entry.desc ?? ''} ${entry.tag ?? ''} ${entry.owner ?? ''}`.trim(),
          },
        }
      : // The dump's preamble (its SET statements), psql's \unrestrict line, or psql itself.
        { stage: part === 'preamble' ? 'preamble' : part === 'end' ? 'end of the stream' : 'psql' }),
    ...(copy && entry ? { table: entry.tag ?? '' } : {}),
  };
}

export async function runPlainRestore(
  opened: OpenedArchive<PlainArchive>,
  plan: RestorePlan,
  connection: ResolvedConnection,
  options: RestoreRunOptions = {},
  hooks: RestoreHooks = {},
): Promise<RestoreResult> {
  const started = Date.now();
  const emit = (e: RestoreEvent) => hooks.onEvent?.(e);
  const index = opened.plain;
  if (!index) throw new Error('runPlainRestore: the dump was opened without its index');
  const obstacle = plainRestoreObstacle(options);
  if (obstacle) throw new DumpError('unsupported', obstacle);
  if (plan.entries.length === 0) throw new DumpError('usage', 'nothing to restore: the selection is empty');

  const tool = await findPsql({ ...(hooks.psqlPath ? { toolPath: hooks.psqlPath } : {}), ...(hooks.standardLocations === false ? { standardLocations: false } : {}), ...(hooks.signal ? { signal: hooks.signal } : {}) });
  const restrict = psqlRestrictFinding(tool.version, index.restrictKey !== null);
  if (restrict) throw new DumpError('unsupported', restrict.message);

  const planned = planSlices(
    index,
    plan.entries.map((p) => p.entry),
    {
      ...(options.noOwner ? { noOwner: true } : {}),
      ...(options.noPrivileges ? { noPrivileges: true } : {}),
      ...(options.noComments ? { noComments: true } : {}),
      ...(options.noTablespaces ? { noTablespaces: true } : {}),
      ...(options.role !== undefined ? { role: options.role } : {}),
      ...(options.disableTriggers ? { disableTriggers: true } : {}),
      ...(options.sections ? { sections: options.sections } : {}),
      ...(options.missingParameters ? { missingParameters: options.missingParameters } : {}),
    },
  );
  // pg_dump's BEGIN/COMMIT around large objects are left out only inside psql's one transaction;
  // outside one, lo_open needs them.
  const slices = (options.singleTransaction ?? true) ? planned : { ...planned, pieces: planned.pieces.map((p) => (p.kind === 'range' && p.dropTransactionLines ? { ...p, dropTransactionLines: false } : p)) };
  const byId = new Map(plan.entries.map((p) => [p.entry.dumpId, p.entry]));
  const items = new Map(slices.items.map((x) => [x.dumpId, x]));
  const total = slices.items.length;
  let startedItems = 0;
  let sent = 0;
  let running: ProgressSnapshot['running'] = [];
  let lastProgressBytes = 0;
  const snapshot = (done = false): ProgressSnapshot => ({
    started: startedItems,
    finished: done ? startedItems : Math.max(0, startedItems - 1),
    total,
    bytesDone: sent,
    bytesTotal: slices.bytes,
    running: done ? [] : running,
    mode: 'serial',
    ...(!done && copying.length > 0 && running.some((r) => r.desc === 'TABLE DATA') ? { copying } : {}),
  });
  let copying: CopyInProgress[] = [];
  const lines = new LineMap();
  let currentItem: number | undefined;
  // Where the current item's bytes began in the stream: how far psql has been fed its data.
  let itemStart = 0;
  const onPiece = (piece: Piece, line: number) => {
    lines.mark(line, piece.dumpId ?? (startedItems === 0 ? 'preamble' : 'end'));
    if (piece.dumpId !== undefined && piece.dumpId !== currentItem) {
      currentItem = piece.dumpId;
      itemStart = sent;
      const item = items.get(piece.dumpId);
      startedItems++;
      running = [{ dumpId: piece.dumpId, desc: item?.desc ?? '', name: item?.name ?? '' }];
      emit({ kind: 'progress', snapshot: snapshot() });
    }
  };
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of sliceBytes(index!, slices, onPiece, hooks.signal)) {
      sent += chunk.length;
      if (sent - lastProgressBytes >= 4 << 20) {
        lastProgressBytes = sent;
        emit({ kind: 'progress', snapshot: snapshot() });
      }
      yield chunk;
    }
  }

  const errors: RestoreError[] = [];
  const problems: string[] = [];
  const restoreList = writeRestoreList(opened.archive, plan);
  const result = (fields: Partial<RestoreResult> & Pick<RestoreResult, 'ok' | 'cancelled' | 'command' | 'exitCode'>): RestoreResult => ({
    tool,
    errors,
    ignoredErrors: null,
    createdRoles: [],
    problems,
    durationMs: Date.now() - started,
    restoreList,
    progress: snapshot(fields.ok),
    notes: [...slices.leftOut, ...slices.parametersLeftOut.map(parameterLeftOutNote)],
    ...fields,
  });

  const rowsBefore = plan.mode === 'data-only' && (options.verifyRowCounts ?? true) ? await countTargetRows(connection, plan) : undefined;
  const prep = await prepareTarget(connection, options);
  emit({ kind: 'stage', stage: 'restore' });
  // psql is fed faster than a big COPY runs: the target says how far it is.
  const applicationName = restoreApplicationName();
  // Where it cannot, how much of the table's data psql has been fed (psql reads it as it comes).
  const runningData = () => running.filter((r) => r.desc === 'TABLE DATA');
  // Its session opens while psql starts, not before (watchCopyProgress never throws).
  const copies = watchCopyProgress(
    connection,
    applicationName,
    (now) => {
      copying = now;
      emit({ kind: 'progress', snapshot: snapshot() });
    },
    {
      runningTables: () => runningData().map((r) => r.name),
      readPosition: () =>
        runningData().map((r) => {
          const length = r.dumpId !== undefined ? items.get(r.dumpId)?.bytes : undefined;
          return { table: r.name, bytes: Math.max(0, sent - itemStart), ...(length !== undefined ? { of: length } : {}), from: 'input' as const };
        }),
      ...(hooks.copyProgressFrom === 'input' ? { inputOnly: true } : {}),
    },
  );
  // The progress session is closed however this ends (an onEvent that throws included), unless
  // the checks after the restore have taken it over (they close it).
  try {
    let outcome;
    try {
      // One piece read ahead (not Readable.from's 16): what was sent is about what psql has taken.
      outcome = await runPsqlRestore(Readable.from(counted(), { highWaterMark: 1 }), connection, {
        tool,
        applicationName,
        singleTransaction: options.singleTransaction ?? true,
        onErrorStop: options.exitOnError ?? true,
        ...(hooks.signal ? { signal: hooks.signal } : {}),
        onOutput: (line) => emit({ kind: 'output', line }),
      });
    } catch (err) {
      await prep.undo();
      throw err;
    } finally {
      copying = [];
    }
    const watcher = await copies;
    if (!outcome.ok || outcome.cancelled) await watcher.stop();
    for (const e of outcome.errors) {
      const part = e.line !== undefined ? lines.entryAt(e.line) : undefined;
      const error = errorOf(e, typeof part === 'number' ? byId.get(part) : undefined, part);
      errors.push(error);
      emit({ kind: 'error', error });
    }
    if (outcome.cancelled) {
      await prep.undo();
      return result({ ok: false, cancelled: true, command: outcome.command, exitCode: null });
    }
    if (!outcome.ok) {
      await prep.undo();
      return result({ ok: false, cancelled: false, command: outcome.command, exitCode: outcome.exitCode });
    }
    emit({ kind: 'progress', snapshot: snapshot(true) });

    // After a restore that went through, the checks take the progress session over.
    const session = await watcher.handOver();
    const { report, problem } = await checksAfterRestore(opened, plan, connection, options, { ...(hooks.signal ? { signal: hooks.signal } : {}), onEvent: emit, restoredBy: applicationName, ...(session ? { session } : {}) }, rowsBefore);
    if (problem) problems.push(problem);
    return result({ ok: true, cancelled: false, command: outcome.command, exitCode: outcome.exitCode, createdRoles: prep.createdRoles, ...(report ? { postRestore: report } : {}) });
  } finally {
    await (await copies).stop();
  }
}
