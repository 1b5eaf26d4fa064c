import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import type { OpenedArchive } from '../archive';
import { CopyRowCounter } from '../data/countRows';
import { PendingCounts } from '../data/pendingCounts';
import { oneLine } from '../errors';
import { BLK_BLOBS, BLK_DATA } from '../formats/archive/blocks';
import type { TocArchive, TocEntry } from '../model/types';
import type { CopyInProgress } from './copyProgress';

/**
 * A custom archive handed to pg_restore through its standard input, with its data uncompressed
 * on the way and each table's rows counted as they pass. The restore then decompresses the data
 * once, here, instead of twice (pg_restore, and the row count the checks after it compare with).
 *
 * What pg_restore reads: the archive's header, marked uncompressed; its TOC as it is (pg_restore
 * finds data blocks in a stream by their dump IDs, not by the TOC's offsets); then the data block
 * of each planned entry, in the order of the -L list (the order pg_restore asks for them in), as
 * one uncompressed chunk list. Blocks of entries not planned are not sent.
 */

/** Data is handed on in pieces of about this many bytes (fewer, larger writes to the pipe). */
const PIECE = 1 << 18;

export interface ArchiveFeed {
  /** What pg_restore reads as its standard input (with `--format=custom` and no file). */
  readonly stream: Readable;
  /** The rows of each countable TABLE DATA entry, as its data has been sent; rejected when it was not sent whole. */
  readonly counts: Map<number, Promise<number>>;
  /** How far the feed has read the data of the table it is sending now (as stored in the archive). */
  positions(): CopyInProgress[];
  /** Why the feed stopped before the end (the archive could not be read), if it did. */
  failure(): string | undefined;
  /** How many of the TOC's entries pg_restore is handed (sentRows), when not all. */
  readonly sent?: { entries: number; of: number };
}

/**
 * Whether a restore of these planned entries can be fed: a custom archive in a file, one
 * pg_restore process (a parallel one reopens the file), and every planned entry with data found
 * in it (tables' data, and large objects).
 */
export function canFeed(opened: OpenedArchive<TocArchive>, planned: readonly TocEntry[], jobs: number): boolean {
  const a = opened.archive;
  if (a.format !== 'custom' || a.container !== 'file' || jobs > 1) return false;
  return planned.every((e) => !e.hadDumper || (e.data?.kind === 'offset' && (e.desc === 'TABLE DATA' || isLargeObjects(e))));
}

/** An entry whose data block holds large objects (BLOBS; pg_dump 17 and later split them into several). */
function isLargeObjects(e: TocEntry): boolean {
  return e.desc === 'BLOBS';
}

/**
 * Starts feeding: `planned` in the -L list's order, `countable` the TABLE DATA entries whose
 * rows are wanted (COPY text; see countableEntries), `copies` the COPY statements that replace
 * the archive's, by dump ID (copyFreeze.ts). Aborting `signal` ends the stream.
 */
export function feedArchive(
  opened: OpenedArchive<TocArchive>,
  planned: readonly TocEntry[],
  countable: readonly TocEntry[],
  copies: ReadonlyMap<number, string> = new Map(),
  signal?: AbortSignal,
): ArchiveFeed {
  const archive = opened.archive;
  const pending = new PendingCounts(countable.map((e) => e.dumpId));
  const sent = sentRows(archive, planned);

  let current: { table: string; stored: number; of: number | null } | undefined;
  let failed: string | undefined;

  async function* bytes(): AsyncGenerator<Buffer> {
    const withData = planned.filter((e) => e.hadDumper && e.data?.kind === 'offset');
    yield* headerAndToc(archive, copies, sent);
    for (const e of withData) {
      if (signal?.aborted) return;
      if (isLargeObjects(e)) {
        try {
          yield* largeObjectsBlock(opened, e, archive.header.intSize);
        } catch (err) {
          failed = oneLine(err);
          return;
        }
        continue;
      }
      const table = `${e.namespace ?? ''}.${e.tag ?? ''}`;
      current = { table, stored: 0, of: e.dataSize };
      const counter = pending.waits(e.dumpId) ? new CopyRowCounter() : undefined;
      yield Buffer.concat([Buffer.of(BLK_DATA), int(e.dumpId, archive.header.intSize)]);
      let parts: Buffer[] = [];
      let size = 0;
      const data = opened.openData(e, (stored) => {
        if (current) current.stored = stored;
      });
      try {
        for await (const chunk of data as AsyncIterable<Buffer>) {
          counter?.push(chunk);
          parts.push(chunk);
          size += chunk.length;
          if (size >= PIECE) {
            yield* chunkOf(parts, size, archive.header.intSize);
            parts = [];
            size = 0;
          }
        }
      } catch (err) {
        // The stream ends here, inside the block: pg_restore fails on it and the transaction is
        // rolled back; this says why.
        failed = oneLine(err);
        data.destroy();
        return;
      }
      if (size > 0) yield* chunkOf(parts, size, archive.header.intSize);
      // Counted before the block's end goes out: pg_restore may end as soon as it has it.
      if (counter) pending.resolve(e.dumpId, counter.finish());
      yield int(0, archive.header.intSize);
      current = undefined;
    }
  }

  const stream = Readable.from(bytes(), { highWaterMark: 1 });
  const done = () => pending.rejectRest(failed ? `the archive could not be read: ${failed}` : 'its data was not sent whole');
  stream.once('end', done);
  stream.once('close', done);
  stream.once('error', done);
  signal?.addEventListener('abort', () => stream.destroy(), { once: true });
  return {
    stream,
    counts: pending.counts,
    positions: () => (current ? [{ table: current.table, bytes: current.stored, ...(current.of !== null ? { of: current.of } : {}), from: 'input' as const }] : []),
    failure: () => failed,
    ...(sent ? { sent: { entries: sent.length, of: archive.table.count } } : {}),
  };
}

/**
 * The header and TOC as pg_restore is to read them: every byte before the first data block, with
 * the header's compression set to none (1.15 and later: an algorithm byte; before: a zlib level
 * int; both after PGDMP, the version, the sizes and the format byte), the COPY statements of
 * `copies` in place of the archive's, and only the entries at rows `sent` (all when it is
 * undefined), the entry count before them changed to match. They are the TOC table's bytes, kept
 * from the archive's start when it was opened; read from the file again only when those end
 * before the first block.
 */
async function* headerAndToc(archive: TocArchive, copies: ReadonlyMap<number, string>, sent: readonly number[] | undefined): AsyncGenerator<Buffer> {
  const table = archive.table;
  const first = table.firstDataOffset();
  const kept = table.bytes;
  const head = first <= kept.length ? kept.subarray(0, first) : await readHead(archive.path, first);
  const at = 5 + 3 + 1 + 1 + 1;
  const compression = archive.header.version.minor >= 15 ? 1 : 1 + archive.header.intSize;
  // The kept bytes stay as they are (names are read from them): what changes goes out apart.
  yield head.subarray(0, at);
  yield Buffer.alloc(compression);
  const replaced = replacedFields(archive, sent, copies);
  let next = 0; // the first replacement not yet sent (they and the ranges are in the bytes' order)
  function* range(from: number, to: number): Generator<Buffer> {
    for (; next < replaced.length && replaced[next]!.position < to; next++) {
      const { position, text } = replaced[next]!;
      if (position < from) continue;
      yield head.subarray(from, position);
      const bytes = Buffer.from(text, archive.stringEncoding);
      yield int(bytes.length, table.intSize);
      yield bytes;
      from = position + 1 + table.intSize + Math.max(table.lengthAt(position), 0);
    }
    yield head.subarray(from, to);
  }
  if (sent === undefined) {
    yield* range(at + compression, head.length);
    return;
  }
  yield* range(at + compression, table.entriesStart - (1 + table.intSize));
  yield int(sent.length, table.intSize);
  for (const i of sent) yield* range(table.entryStart(i), table.entryEnd(i));
  yield* range(table.entriesEnd, head.length);
}

/** The descs of the entries pg_restore acts on as it reads the TOC. */
const READ_AS_THEY_COME = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH']);

/**
 * The TOC rows (in the TOC's order) of the entries pg_restore is handed when it is fed, undefined
 * when that is all of them: the planned ones, and those it acts on as it reads the TOC (the
 * client encoding, standard_conforming_strings, the search_path). A TOC of 90,000 entries takes
 * pg_restore a tenth of a second to read, for the ten of one table. pg_restore looks an entry's
 * dependencies up only in a parallel restore (never fed) and where selection switches such as -n
 * or -t are given (never: the plan is its -L list), so those that are left out are not missed.
 */
export function sentRows(archive: TocArchive, planned: readonly TocEntry[]): number[] | undefined {
  const wanted = new Set(planned.map((e) => e.dumpId));
  // pg_restore refuses a TABLE DATA entry whose table's dump ID is beyond the archive's highest
  // ("bad table dumpId for TABLE DATA item"): pg_dump numbers a table before its data, and the
  // table's entry goes too (not in the -L list, so not restored) to keep it so.
  for (const e of planned) if (e.desc === 'TABLE DATA' && e.dependencies[0] !== undefined) wanted.add(e.dependencies[0]);
  const table = archive.table;
  const readFirst = new Map<number, boolean>(); // by desc id: each desc decoded once
  const rows: number[] = [];
  for (let i = 0; i < table.count; i++) {
    const id = table.descId[i]!;
    let special = readFirst.get(id);
    if (special === undefined) readFirst.set(id, (special = id >= 0 && READ_AS_THEY_COME.has(table.descOf(id))));
    if (special || wanted.has(table.dumpId[i]!)) rows.push(i);
  }
  return rows.length < table.count ? rows : undefined;
}

/**
 * Where each replaced COPY statement is stored in the TOC's bytes (its length, then its text),
 * in the order of the bytes. pg_restore reads a stream's data blocks by dump ID, not by the TOC's
 * offsets, so a field that changes length moves nothing it needs.
 */
function replacedFields(archive: TocArchive, rows: readonly number[] | undefined, copies: ReadonlyMap<number, string>): { position: number; text: string }[] {
  if (copies.size === 0) return [];
  const table = archive.table;
  const out: { position: number; text: string }[] = [];
  const n = rows ? rows.length : table.count;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k]! : k;
    const text = copies.get(table.dumpId[i]!);
    if (text === undefined) continue;
    const position = table.fieldAt(i, 'copyStmt');
    if (position < 0) throw new Error(`entry ${table.dumpId[i]} has no COPY statement to replace`);
    out.push({ position, text });
  }
  return out.sort((x, y) => x.position - y.position);
}

/** The file's bytes up to `end` (its whole length for Infinity). */
async function readHead(path: string, end: number): Promise<Buffer> {
  const fh = await fs.promises.open(path, 'r');
  try {
    const length = end < Infinity ? end : (await fh.stat()).size;
    const out = Buffer.alloc(length);
    const { bytesRead } = await fh.read(out, 0, length, 0);
    if (bytesRead !== length || out.toString('latin1', 0, 5) !== 'PGDMP') throw new Error(`${path} changed while it was read`);
    return out;
  } finally {
    await fh.close();
  }
}

/** A BLOBS block: each large object's OID and its data as one chunk list, then an OID of 0. */
async function* largeObjectsBlock(opened: OpenedArchive<TocArchive>, e: TocEntry, intSize: number): AsyncGenerator<Buffer> {
  yield Buffer.concat([Buffer.of(BLK_BLOBS), int(e.dumpId, intSize)]);
  for await (const lo of opened.largeObjects(e)) {
    // An OID of 2^31 or more goes out as a negative int, as pg_dump writes it.
    const parts = [int(lo.oid | 0, intSize)];
    for (let at = 0; at < lo.data.length; at += PIECE) {
      const piece = lo.data.subarray(at, at + PIECE);
      parts.push(int(piece.length, intSize), piece);
    }
    parts.push(int(0, intSize));
    yield Buffer.concat(parts);
  }
  yield int(0, intSize);
}

/** One chunk of a chunk list: its length, then its bytes (as they came: 547 MB of COPY data are not copied again). */
function* chunkOf(parts: Buffer[], size: number, intSize: number): Generator<Buffer> {
  yield int(size, intSize);
  yield* parts;
}

/** pg_dump's WriteInt: a sign byte, then `intSize` bytes of magnitude, least significant first. */
function int(n: number, intSize: number): Buffer {
  const out = Buffer.alloc(1 + intSize);
  out[0] = n < 0 ? 1 : 0;
  let v = Math.abs(n);
  for (let k = 1; k <= intSize; k++) {
    out[k] = v % 256;
    v = Math.floor(v / 256);
  }
  return out;
}
