import type { Readable } from 'node:stream';
import { DumpError } from '../errors';
import type { OpenedArchive } from '../formats/archive/openedArchive';
import type { TocEntry } from '../model/types';

/**
 * Counting the rows of COPY text without making a string per row: the stream's Buffers are
 * scanned for line feeds, and only the first bytes of the line that is still open at the end of
 * a chunk are kept, enough to recognise the `\.` terminator when it is split across chunks.
 *
 * The count is what copyRows (copyRows.ts) yields for the same stream: COPY escapes line breaks
 * inside values, so each line is a row, up to a line that is exactly `\.`; a stream that ends
 * without `\.` counts its last unterminated line unless it is empty or `\.`; a UTF-8 byte order
 * mark at the very start is not part of the first line (TextDecoder drops it).
 */

const LF = 0x0a;
const BACKSLASH = 0x5c;
const DOT = 0x2e;
/** The first bytes of an open line worth keeping: a byte order mark (3) and `\.` (2). */
const HEAD = 5;

export class CopyRowCounter {
  /** Rows counted so far (the open line not included). */
  rows = 0;
  /** The `\.` line has been seen: what follows is not counted. */
  ended = false;
  /** Still in the stream's first line, where a byte order mark is skipped. */
  #firstLine = true;
  /** Bytes of the open line (the part after the last line feed). */
  #open = 0;
  /** Its first bytes, up to HEAD. */
  readonly #head = new Uint8Array(HEAD);
  #headLength = 0;

  /** Counts the lines of one chunk. */
  push(chunk: Uint8Array): void {
    if (this.ended) return;
    const n = chunk.length;
    let pos = 0;
    if (this.#open > 0 || this.#firstLine) {
      // The line that continues from the previous chunk (or the stream's first line).
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        this.#keep(chunk, 0, n);
        return;
      }
      this.#keep(chunk, 0, nl);
      if (this.#openIsTerminator()) {
        this.ended = true;
        return;
      }
      this.rows++;
      this.#open = 0;
      this.#headLength = 0;
      this.#firstLine = false;
      pos = nl + 1;
    }
    // Lines that start in this chunk; the hot loop.
    let rows = this.rows;
    for (;;) {
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) break;
      if (nl - pos === 2 && chunk[pos] === BACKSLASH && chunk[pos + 1] === DOT) {
        this.rows = rows;
        this.ended = true;
        return;
      }
      rows++;
      pos = nl + 1;
    }
    this.rows = rows;
    if (pos < n) this.#keep(chunk, pos, n);
  }

  /** The number of rows once the stream has ended. */
  finish(): number {
    if (this.ended) return this.rows;
    const bom = this.#bomLength();
    const length = this.#open - bom;
    return length > 0 && !this.#openIsTerminator() ? this.rows + 1 : this.rows;
  }

  #keep(chunk: Uint8Array, from: number, to: number): void {
    this.#open += to - from;
    for (let i = from; i < to && this.#headLength < HEAD; i++) this.#head[this.#headLength++] = chunk[i] as number;
  }

  /** 3 when the open line is the stream's first and starts with a UTF-8 byte order mark. */
  #bomLength(): number {
    const h = this.#head;
    return this.#firstLine && this.#headLength >= 3 && h[0] === 0xef && h[1] === 0xbb && h[2] === 0xbf ? 3 : 0;
  }

  #openIsTerminator(): boolean {
    const skip = this.#bomLength();
    return this.#open - skip === 2 && this.#head[skip] === BACKSLASH && this.#head[skip + 1] === DOT;
  }
}

/** An error named `AbortError`, as Node's own APIs reject with when their signal is aborted. */
export function abortError(signal?: AbortSignal): Error {
  const err = new Error('the operation was cancelled', signal?.reason !== undefined ? { cause: signal.reason } : undefined);
  err.name = 'AbortError';
  return err;
}

/**
 * The rows of a COPY text stream. Reads the stream to its end, also after `\.`, so that damage
 * after the last row (a missing compression trailer) is still reported, and releases it however
 * the count ends. Aborting `signal` stops the reading and rejects with an AbortError.
 */
export async function countCopyRows(stream: Readable, signal?: AbortSignal): Promise<number> {
  const counter = new CopyRowCounter();
  const onAbort = () => stream.destroy(abortError(signal));
  try {
    if (signal?.aborted) throw abortError(signal);
    signal?.addEventListener('abort', onAbort, { once: true });
    for await (const chunk of stream) {
      counter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Uint8Array));
    }
    if (signal?.aborted) throw abortError(signal);
    return counter.finish();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stream.destroy();
  }
}

/** Whether a TABLE DATA entry's data is COPY text (not the INSERT statements of `pg_dump --inserts`). */
export function holdsCopyData(entry: TocEntry): boolean {
  return entry.desc === 'TABLE DATA' && entry.copyStmt !== null && /^\s*COPY\s/i.test(entry.copyStmt);
}

/**
 * The number of rows in a TABLE DATA entry of the archive, read natively: the entry's data is
 * decompressed and streamed through a CopyRowCounter, in constant memory.
 */
export async function countArchiveRows(opened: OpenedArchive, entry: TocEntry, signal?: AbortSignal): Promise<number> {
  const name = `${entry.namespace ?? '-'}.${entry.tag ?? ''}`;
  if (entry.desc !== 'TABLE DATA') throw new DumpError('usage', `entry ${entry.dumpId} (${entry.desc ?? '?'} ${name}) is not table data`);
  if (!holdsCopyData(entry)) {
    throw new DumpError('unsupported', `the data of ${name} (entry ${entry.dumpId}) is not COPY text (a dump made with --inserts?): its rows cannot be counted`);
  }
  if (signal?.aborted) throw abortError(signal);
  // A plain dump's index counted the COPY lines of the same bytes when it was made (reading a
  // .sql.gz again for each table would decompress it from the start every time).
  const indexed = opened.plain?.entries[entry.dumpId - 1];
  if (opened.archive.format === 'plain' && indexed?.rows !== undefined && !indexed.dataIncomplete) return indexed.rows;
  return countCopyRows(opened.openData(entry), signal);
}
