import * as fs from 'node:fs';
import { DumpError } from '../errors';
import type { PlainCompression } from '../formats/detect';
import { plainText } from './indexer';

/**
 * Pieces of a plain dump read by their offsets in the SQL text (PlainIndex offsets), never the
 * whole file: an uncompressed `.sql` is read with positioned reads of the bytes asked for; a
 * compressed one (`.sql.gz`, lz4, zstd) cannot be entered in the middle, so it is decompressed
 * from the start and the bytes before the range are skipped as they stream by. Either way only
 * the range itself is held, and an AbortSignal stops the read.
 */

export interface PlainSource {
  path: string;
  compression: PlainCompression;
}

export interface ReadOptions {
  signal?: AbortSignal;
}

/** The SQL text in [start, end), chunk by chunk. */
export async function* textRange(source: PlainSource, start: number, end: number, options: ReadOptions = {}): AsyncGenerator<Buffer> {
  if (end <= start) return;
  const stream =
    source.compression === 'none' ? fs.createReadStream(source.path, { start, end: end - 1, highWaterMark: 1 << 20 }) : plainText(source.path, source.compression);
  let at = source.compression === 'none' ? start : 0;
  try {
    for await (const raw of stream) {
      if (options.signal?.aborted) throw new DumpError('usage', 'reading the dump was cancelled');
      const chunk = raw as Buffer;
      const from = Math.max(0, start - at);
      const to = Math.min(chunk.length, end - at);
      at += chunk.length;
      if (to > from) yield chunk.subarray(from, to);
      if (at >= end) return;
    }
  } finally {
    stream.destroy();
  }
  if (at < end) throw new DumpError('truncated', `${source.path} ends at byte ${at} of its SQL text, before the section that ends at ${end}: the file changed since it was indexed, or is cut short; open it again`);
}

/** The text of [offset, offset + length), at most `maxBytes` of it (cut after a whole line). */
export async function readSection(source: PlainSource, offset: number, length: number, options: ReadOptions & { maxBytes?: number } = {}): Promise<{ text: Buffer; truncated: boolean }> {
  const max = options.maxBytes ?? Infinity;
  const wanted = Math.min(length, max);
  const parts: Buffer[] = [];
  let got = 0;
  for await (const chunk of textRange(source, offset, offset + wanted, options)) {
    parts.push(chunk);
    got += chunk.length;
  }
  let text = Buffer.concat(parts, got);
  const truncated = wanted < length;
  if (truncated) {
    const nl = text.lastIndexOf(0x0a);
    if (nl >= 0) text = text.subarray(0, nl + 1);
  }
  return { text, truncated };
}

export interface CopyPage {
  /** The `COPY … FROM stdin;` statement the rows belong to. */
  copyStatement: string;
  /** Number (0-based) of the first row of the page. */
  firstRow: number;
  /** The rows, as COPY text lines (tab-separated, escaped), without their newlines. */
  rows: string[];
  /** Where the next page starts (an offset in the SQL text); null when the block ended. */
  next: number | null;
}

const COPY_HEAD_BYTES = 64 * 1024;

/**
 * A page of a COPY block's rows: up to `count` rows (and not many more than `maxBytes`) from
 * `at` (an offset a previous page gave as `next`), or from the first row. `section` is the TABLE
 * DATA entry's byte range.
 */
export async function readCopyPage(
  source: PlainSource,
  section: { offset: number; length: number },
  options: ReadOptions & { count: number; at?: number; firstRow?: number; maxBytes?: number },
): Promise<CopyPage> {
  const end = section.offset + section.length;
  const head = await readSection(source, section.offset, section.length, { ...options, maxBytes: COPY_HEAD_BYTES });
  const copyAt = copyLineStart(head.text);
  if (copyAt < 0) throw new DumpError('corrupt', `no COPY statement in the first ${COPY_HEAD_BYTES / 1024} kB of the section at byte ${section.offset} of ${source.path}: the file changed since it was indexed; open it again`);
  const copyEnd = head.text.indexOf(0x0a, copyAt);
  const copyStatement = head.text.toString('utf8', copyAt, copyEnd < 0 ? head.text.length : copyEnd);
  const firstRowAt = section.offset + (copyEnd < 0 ? head.text.length : copyEnd + 1);
  const from = options.at ?? firstRowAt;
  const maxBytes = options.maxBytes ?? 4 << 20;

  const rows: string[] = [];
  let carry: Buffer | null = null;
  let at = from;
  let bytes = 0;
  let ended = false;
  outer: for await (const chunk of textRange(source, from, end, options)) {
    const buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    carry = null;
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, pos);
      if (nl < 0) {
        carry = Buffer.from(buf.subarray(pos));
        break;
      }
      if (isTerminator(buf, pos, nl)) {
        ended = true;
        break outer;
      }
      rows.push(buf.toString('utf8', pos, nl));
      bytes += nl - pos + 1;
      at = from + bytes;
      pos = nl + 1;
      if (rows.length >= options.count || bytes >= maxBytes) {
        // A page that ends on the block's last row says so, when the terminator is in sight.
        const after = buf.indexOf(0x0a, pos);
        if (after >= 0 && isTerminator(buf, pos, after)) ended = true;
        break outer;
      }
    }
  }
  const more = !ended && carry === null && at < end;
  return { copyStatement, firstRow: options.firstRow ?? 0, rows, next: more ? at : null };
}

/** Whether the line [start, nl) is COPY's end marker `\.`. */
function isTerminator(buf: Buffer, start: number, nl: number): boolean {
  const len = nl > start && buf[nl - 1] === 0x0d ? nl - start - 1 : nl - start;
  return len === 2 && buf[start] === 0x5c && buf[start + 1] === 0x2e;
}

function copyLineStart(text: Buffer): number {
  let at = text.indexOf('COPY ');
  while (at > 0 && text[at - 1] !== 0x0a) at = text.indexOf('COPY ', at + 1);
  return at;
}
