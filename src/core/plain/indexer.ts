import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { DumpError } from '../errors';
import { createDecompressor } from '../formats/compression';
import { detectDump, type PlainCompression } from '../formats/detect';

/**
 * An index of a plain SQL dump (`pg_dump -Fp`) built from the comment block pg_dump writes
 * before every object:
 *
 *   --
 *   -- Name: customer; Type: TABLE; Schema: sales; Owner: postgres
 *   --
 *
 * (`-- Data for Name: …` before a table's COPY, `-- Statistics for Name: …` in PostgreSQL 18,
 * `; Tablespace: …` at the end when there is one). A section runs from the `--` line opening its
 * block to the start of the next block, or to the `-- PostgreSQL database dump complete` trailer.
 *
 * The file is read as a stream (decompressed as it is read) and never held in memory: lines are
 * found in Buffers, only comment lines become strings, and COPY data is skipped by searching for
 * its `\.` terminator. Offsets are of the SQL text (after decompression).
 */

export interface PlainEntry {
  desc: string;
  /** null when pg_dump printed `-`. */
  namespace: string | null;
  tag: string;
  /** null when pg_dump printed `-` (e.g. --no-owner). */
  owner: string | null;
  tablespace: string | null;
  /** Byte offset of the section in the SQL text. */
  offset: number;
  /** Bytes of the section, its comment block included. */
  length: number;
  /** Rows of a TABLE DATA section's COPY block (absent for INSERT data or no data). */
  rows?: number;
}

export interface PlainIndex {
  path: string;
  compression: PlainCompression;
  /** Bytes of SQL text (decompressed). */
  size: number;
  /** Where the first object section starts: before it, the SET preamble. */
  preambleLength: number;
  /** The key of `\restrict KEY`, when the dump has one. */
  restrictKey: string | null;
  entries: PlainEntry[];
}

export interface IndexOptions {
  signal?: AbortSignal;
  /** Bytes of SQL text read so far; called about every 16 MB. */
  onProgress?: (bytes: number) => void;
}

const HEADER = /^-- (?:(Data|Statistics) for )?Name: (.*); Type: ([^;]*); Schema: (.*?); Owner: (.*?)(?:; Tablespace: (.*))?$/;
const TRAILER = '-- PostgreSQL database dump complete';
const NL = 0x0a;
const DASH = 0x2d;
const COPY_TERMINATOR = Buffer.from('\n\\.\n');

const dashToNull = (s: string | undefined): string | null => (s === undefined || s === '-' ? null : s);

/** One pg_dump object header line, or null when the line is not one. */
export function parseHeaderLine(line: string): Omit<PlainEntry, 'offset' | 'length'> | null {
  const m = HEADER.exec(line);
  if (!m) return null;
  return { desc: m[3] ?? '', namespace: dashToNull(m[4]), tag: m[2] ?? '', owner: dashToNull(m[5]), tablespace: m[6] ?? null };
}

/**
 * Scans SQL text chunk by chunk. A header's section starts at the `--` line before it (pg_dump
 * writes `--`, the header, `--`).
 */
export class PlainIndexer {
  readonly entries: PlainEntry[] = [];
  restrictKey: string | null = null;
  /** Bytes of SQL text pushed so far. */
  bytes = 0;
  /** Bytes of an unfinished line carried over from the previous chunk. */
  private carry: Buffer | null = null;
  /** Offset of the last line that was exactly `--`. */
  private lastDashLine = -1;
  private firstSection = -1;
  private inCopy = false;
  /** Rows of the open COPY block counted so far. */
  private copyRows = 0;
  /** The last bytes of COPY data seen, to find a terminator split across chunks. */
  private copyTail: Buffer = Buffer.alloc(0);
  private ended = false;

  push(chunk: Buffer): void {
    let buf = chunk;
    let base = this.bytes;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      base -= this.carry.length;
      this.carry = null;
    }
    this.bytes += chunk.length;
    let pos = 0;
    while (pos < buf.length) {
      if (this.inCopy) {
        pos = this.scanCopy(buf, pos);
        continue;
      }
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) {
        this.carry = Buffer.from(buf.subarray(pos));
        return;
      }
      this.line(buf, pos, nl, base);
      pos = nl + 1;
    }
  }

  /** Ends the scan; returns the total number of bytes. */
  finish(): number {
    if (this.carry) {
      const buf = this.carry;
      this.carry = null;
      if (!this.inCopy) this.line(buf, 0, buf.length, this.bytes - buf.length);
    }
    this.closeLast(this.ended ? this.endAt : this.bytes);
    return this.bytes;
  }

  get preambleLength(): number {
    return this.firstSection < 0 ? this.bytes : this.firstSection;
  }

  /** Where the trailer's comment block starts. */
  private endAt = 0;

  private line(buf: Buffer, start: number, end: number, base: number): void {
    const at = base + start;
    const first = buf[start];
    if (first === DASH && buf[start + 1] === DASH) {
      const len = end - start;
      if (len === 2) {
        this.lastDashLine = at;
        return;
      }
      if (buf[start + 2] !== 0x20) return;
      const text = buf.toString('utf8', start, end);
      const header = parseHeaderLine(text);
      // pg_dump's header follows a line holding only `--`; a look-alike comment elsewhere does not.
      if (header && this.lastDashLine === at - 3) {
        const sectionStart = this.lastDashLine;
        this.closeLast(sectionStart);
        if (this.firstSection < 0) this.firstSection = sectionStart;
        this.entries.push({ ...header, offset: sectionStart, length: 0 });
      } else if (text === TRAILER && !this.ended) {
        this.ended = true;
        this.endAt = this.lastDashLine === at - 3 ? this.lastDashLine : at;
        this.closeLast(this.endAt);
      }
      return;
    }
    if (first === 0x5c /* \ */ && this.restrictKey === null) {
      const text = buf.toString('utf8', start, end);
      if (text.startsWith('\\restrict ')) this.restrictKey = text.slice('\\restrict '.length).trim();
      return;
    }
    // `COPY … FROM stdin;` opens a data block that runs to a line holding only `\.`.
    if (first === 0x43 /* C */ && end - start > 16 && buf.toString('latin1', start, start + 5) === 'COPY ' && buf.toString('latin1', end - 11, end) === 'FROM stdin;') {
      this.inCopy = true;
      this.copyRows = 0;
      this.copyTail = Buffer.from('\n');
    }
  }

  /** Skips COPY data from `pos`; returns where normal lines resume (or the chunk's end). */
  private scanCopy(buf: Buffer, pos: number): number {
    // The terminator may start in the previous chunk: look in the tail kept from it, joined.
    const joined = Buffer.concat([this.copyTail, buf.subarray(pos, Math.min(buf.length, pos + COPY_TERMINATOR.length))]);
    const early = joined.indexOf(COPY_TERMINATOR);
    if (early >= 0) {
      const resume = pos + (early + COPY_TERMINATOR.length - this.copyTail.length);
      this.countRows(buf, pos, resume - 3);
      this.endCopy();
      return resume;
    }
    const hit = buf.indexOf(COPY_TERMINATOR, pos);
    if (hit >= 0) {
      this.countRows(buf, pos, hit + 1);
      this.endCopy();
      return hit + COPY_TERMINATOR.length;
    }
    this.countRows(buf, pos, buf.length);
    const kept = Buffer.concat([this.copyTail, buf.subarray(Math.max(pos, buf.length - (COPY_TERMINATOR.length - 1)))]);
    this.copyTail = Buffer.from(kept.subarray(Math.max(0, kept.length - (COPY_TERMINATOR.length - 1))));
    return buf.length;
  }

  private countRows(buf: Buffer, from: number, to: number): void {
    let i = buf.indexOf(NL, from);
    while (i >= 0 && i < to) {
      this.copyRows++;
      i = buf.indexOf(NL, i + 1);
    }
  }

  private endCopy(): void {
    this.inCopy = false;
    const last = this.entries.at(-1);
    if (last && last.desc === 'TABLE DATA' && last.rows === undefined) last.rows = this.copyRows;
    this.copyTail = Buffer.alloc(0);
  }

  private closeLast(end: number): void {
    const last = this.entries.at(-1);
    if (last && last.length === 0) last.length = end - last.offset;
  }
}

/** The SQL text of a plain dump, decompressed as it is read. */
export function plainText(file: string, compression: PlainCompression): Readable {
  const input = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  if (compression === 'none') return input;
  const out = createDecompressor(compression, file);
  input.on('error', (err) => out.destroy(err));
  return input.pipe(out);
}

/** Indexes a plain dump (or a pg_dumpall dump's first database). Throws one line for anything else. */
export async function indexPlainDump(file: string, options: IndexOptions = {}): Promise<PlainIndex> {
  const detected = await detectDump(file);
  if (detected.kind !== 'plain' && detected.kind !== 'cluster') {
    throw new DumpError('usage', `${file} is a ${detected.kind} ${detected.kind === 'globals' ? 'dump (roles and tablespaces only)' : 'archive'}, not a plain SQL dump: "list" shows what it holds`);
  }
  const indexer = new PlainIndexer();
  const stream = plainText(file, detected.compression);
  let reported = 0;
  try {
    for await (const chunk of stream) {
      if (options.signal?.aborted) throw new DumpError('usage', 'indexing cancelled');
      indexer.push(chunk as Buffer);
      const done = indexer.bytes;
      if (options.onProgress && done - reported >= 1 << 24) {
        reported = done;
        options.onProgress(done);
      }
    }
  } finally {
    stream.destroy();
  }
  const size = indexer.finish();
  options.onProgress?.(size);
  return { path: file, compression: detected.compression, size, preambleLength: indexer.preambleLength, restrictKey: indexer.restrictKey, entries: indexer.entries };
}
