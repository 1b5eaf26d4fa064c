import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { DumpError } from '../errors';
import { createDecompressor } from '../formats/compression';
import { detectDump, type PlainCompression } from '../formats/detect';
import { NewlineCounter, READ_BUFFER_SIZE } from './newlines';
import { stateKey } from './stateLines';

/**
 * An index of a plain SQL dump (`pg_dump -Fp`) built from the comment block pg_dump writes
 * before every object:
 *
 *   --
 *   -- Name: customer; Type: TABLE; Schema: sales; Owner: postgres
 *   --
 *
 * (`-- Data for Name: …` before a table's COPY, `-- Statistics for Name: …` in PostgreSQL 18,
 * `; Tablespace: …` at the end when there is one; `pg_dump --verbose` writes `-- TOC entry …` and
 * `-- Dependencies: …` lines before the name). A section runs from the `--` line opening its
 * block to the start of the next block, or to the `-- PostgreSQL database dump complete` trailer.
 *
 * The index is enough to open the dump as a model and to restore parts of it without reading
 * the file again: each section's SQL (non-data sections, up to SQL_TEXT_LIMIT bytes), the COPY
 * statement and data byte range of table data, the settings (`SET …`) in effect before each
 * section, the preamble and the facts of the header comments. It is plain JSON-ready data, so
 * it can be cached.
 *
 * The file is read as a stream (decompressed as it is read) and never held in memory: lines are
 * found in Buffers, only comment and setting lines become strings, SQL text is copied out once
 * per section, and COPY data is skipped by searching for its `\.` terminator. Offsets are of the
 * SQL text (after decompression).
 */

/** Bump when the shape or meaning of PlainIndex changes, so that cached indexes are rebuilt. */
export const PLAIN_INDEX_VERSION = 3;

/**
 * The most SQL text kept per section in the index. pg_dump's DDL is small (a few hundred bytes a
 * statement); a section above this (a function with a huge body, a comment holding a document)
 * gets no `sql` and is read from the file, by its byte range, when needed.
 */
export const SQL_TEXT_LIMIT = 1 << 20;

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
  /** 1-based line number of the section's first line. */
  line: number;
  /** Where the section's SQL starts: after its comment block and the blank line after it. */
  bodyOffset: number;
  /**
   * Bytes of the section's SQL: to the start of the section, or of the setting lines pg_dump
   * wrote for the next section (`SET default_tablespace = …;`), which are in `states` instead.
   */
  bodyLength: number;
  /** Index in PlainIndex.states of the settings in effect when the section runs. */
  state: number;
  /** A `-- Data for Name:` section (TABLE DATA, BLOBS): its SQL is not kept in the index. */
  data?: true;
  /** The SQL of a non-data section (its body), unless longer than SQL_TEXT_LIMIT bytes. */
  sql?: string;
  /** TABLE DATA as COPY: the statement line, with its line feed. */
  copyStmt?: string;
  /** TABLE DATA as COPY: where the rows start (after the COPY line) and their bytes (without the `\.` line). */
  dataOffset?: number;
  dataLength?: number;
  /** Rows of a TABLE DATA section's COPY block (absent for INSERT data or no data). */
  rows?: number;
  /** The COPY block runs to the end of the file without its `\.` line: the dump was cut short. */
  dataIncomplete?: true;
}

export interface PlainIndex {
  /** PLAIN_INDEX_VERSION of the code that made it. */
  formatVersion: number;
  path: string;
  compression: PlainCompression;
  /** Bytes of SQL text (decompressed). */
  size: number;
  /** Lines of SQL text. */
  lines: number;
  /** Where the first object section starts: before it, the SET preamble. */
  preambleLength: number;
  /** The setting statements of the preamble (`SET client_encoding = 'UTF8';`, …), in order. */
  preamble: string[];
  /**
   * Lines of the preamble that are neither settings nor comments (the DROP statements of
   * `pg_dump --clean`): a selective restore does not run them.
   */
  preambleSkipped: number;
  /** The key of `\restrict KEY`, when the dump has one. */
  restrictKey: string | null;
  /**
   * How the strings of the index were decoded from the file's bytes: UTF-8, or byte for byte
   * ('latin1') when the preamble sets another client_encoding; `Buffer.from(s, encoding)` gives
   * the file's bytes back.
   */
  encoding: 'utf8' | 'latin1';
  /** The database of a pg_dumpall part (its `-- Database "x" dump` block); absent for a pg_dump file. */
  database?: string;
  /** `-- Dumped from database version X` and `-- Dumped by pg_dump version X`; null when absent. */
  serverVersion: string | null;
  pgDumpVersion: string | null;
  /** Distinct sets of settings in effect before sections (each a list of statements, in order). */
  states: string[][];
  entries: PlainEntry[];
  /** The `-- PostgreSQL database dump complete` trailer was found. */
  complete: boolean;
}

export interface IndexOptions {
  signal?: AbortSignal;
  /** Bytes of SQL text read so far; called about every 16 MB. */
  onProgress?: (bytes: number) => void;
}

const HEADER = /^-- (?:(Data|Statistics) for )?Name: (.*); Type: ([^;]*); Schema: (.*?); Owner: (.*?)(?:; Tablespace: (.*))?$/;
const TRAILER = '-- PostgreSQL database dump complete';
const DUMPED_FROM = '-- Dumped from database version ';
const DUMPED_BY = '-- Dumped by pg_dump version ';
const NL = 0x0a;
const DASH = 0x2d;
const BACKSLASH = 0x5c;
/** The line that ends COPY data: `\.` and its line feed. */
const TERMINATOR_BYTES = Buffer.from('\\.\n');
const DOT = 0x2e;
const SET_PREFIX = Buffer.from('SET ');
const COPY_PREFIX = Buffer.from('COPY ');
const FROM_STDIN = Buffer.from('FROM stdin;');
const RESET_PREFIX = Buffer.from('RESET ');
const SET_CONFIG_PREFIX = Buffer.from('SELECT pg_catalog.set_config(');

const dashToNull = (s: string | undefined): string | null => (s === undefined || s === '-' ? null : s);

type HeaderFields = Pick<PlainEntry, 'desc' | 'namespace' | 'tag' | 'owner' | 'tablespace'>;

/** One pg_dump object header line, or null when the line is not one. */
export function parseHeaderLine(line: string): (HeaderFields & { data?: true }) | null {
  const m = HEADER.exec(line);
  if (!m) return null;
  const fields: HeaderFields & { data?: true } = { desc: m[3] ?? '', namespace: dashToNull(m[4]), tag: m[2] ?? '', owner: dashToNull(m[5]), tablespace: m[6] ?? null };
  if (m[1] === 'Data') fields.data = true;
  return fields;
}

const NAME_PREFIXES: [Buffer, boolean][] = [
  [Buffer.from('-- Name: '), false],
  [Buffer.from('-- Data for Name: '), true],
  [Buffer.from('-- Statistics for Name: '), false],
];
/** What `pg_dump --verbose` writes in a header block before the name. */
const TOC_ENTRY = Buffer.from('-- TOC entry ');
const DEPENDENCIES = Buffer.from('-- Dependencies: ');
const TYPE_SEP = Buffer.from('; Type: ');
const SCHEMA_SEP = Buffer.from('; Schema: ');
const OWNER_SEP = Buffer.from('; Owner: ');
const TABLESPACE_SEP = Buffer.from('; Tablespace: ');

/**
 * Strings of short repeated fields (kinds, schemas, owners) made once per distinct value,
 * looked up by their bytes: 90,000 headers make a few hundred strings, not 270,000. The value
 * seen last is tried first (headers come in runs of one schema, one owner).
 */
class ByteInterner {
  private readonly table = new Map<number, { bytes: Buffer; value: string }[]>();
  private last: { bytes: Buffer; value: string } | null = null;

  get(buf: Buffer, from: number, to: number, encoding: BufferEncoding): string {
    const len = to - from;
    if (len > 64) return buf.toString(encoding, from, to);
    const last = this.last;
    if (last && sameBytes(last.bytes, buf, from, to)) return last.value;
    let hash = 0x811c9dc5 ^ len;
    for (let k = from; k < to; k++) hash = Math.imul(hash ^ buf[k]!, 0x01000193);
    let bucket = this.table.get(hash);
    if (bucket) {
      for (const c of bucket) {
        if (sameBytes(c.bytes, buf, from, to)) {
          this.last = c;
          return c.value;
        }
      }
    } else this.table.set(hash, (bucket = []));
    const entry = { bytes: Buffer.from(buf.subarray(from, to)), value: buf.toString(encoding, from, to) };
    bucket.push(entry);
    this.last = entry;
    return entry.value;
  }
}

function sameBytes(a: Buffer, buf: Buffer, from: number, to: number): boolean {
  if (a.length !== to - from) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== buf[from + k]) return false;
  return true;
}

/** Where `sep` (which starts with `;`) is at `at` in `buf`. */
function hasAt(buf: Buffer, at: number, end: number, sep: Buffer): boolean {
  if (end - at < sep.length) return false;
  for (let k = 1; k < sep.length; k++) if (buf[at + k] !== sep[k]) return false;
  return true;
}

const SEMICOLON = 0x3b;

/**
 * parseHeaderLine on the bytes of a line, with the same reading (the name runs to the last
 * `; Type: ` that a kind and `; Schema: ` follow; the schema to the first `; Owner: ` after it;
 * the owner to a `; Tablespace: `), without making strings of anything but what it keeps.
 * Fills `out` and returns true, or returns false when the line is no header.
 */
function parseHeaderBytes(buf: Buffer, start: number, end: number, encoding: BufferEncoding, intern: ByteInterner, out: HeaderFields & { data: boolean }): boolean {
  let nameStart = -1;
  let data = false;
  for (const [prefix, isData] of NAME_PREFIXES) {
    if (startsWithBytes(buf, start, end, prefix)) {
      nameStart = start + prefix.length;
      data = isData;
      break;
    }
  }
  if (nameStart < 0) return false;
  // The last `; Type: X; Schema: ` of the line (X without `;`).
  let type = -1;
  let semi = -1;
  for (let k = end - 1; k >= nameStart; k--) {
    if (buf[k] !== SEMICOLON || !hasAt(buf, k, end, TYPE_SEP)) continue;
    let m = k + TYPE_SEP.length;
    while (m < end && buf[m] !== SEMICOLON) m++;
    if (m < end && hasAt(buf, m, end, SCHEMA_SEP)) {
      type = k;
      semi = m;
      break;
    }
  }
  if (type < 0) return false;
  const schemaStart = semi + SCHEMA_SEP.length;
  let owner = -1;
  for (let k = schemaStart; k < end; k++) {
    if (buf[k] === SEMICOLON && hasAt(buf, k, end, OWNER_SEP)) {
      owner = k;
      break;
    }
  }
  if (owner < 0) return false;
  const ownerStart = owner + OWNER_SEP.length;
  let ownerEnd = end;
  for (let k = ownerStart; k < end; k++) {
    if (buf[k] === SEMICOLON && hasAt(buf, k, end, TABLESPACE_SEP)) {
      ownerEnd = k;
      break;
    }
  }
  out.desc = intern.get(buf, type + TYPE_SEP.length, semi, encoding);
  out.namespace = owner - schemaStart === 1 && buf[schemaStart] === DASH ? null : intern.get(buf, schemaStart, owner, encoding);
  out.tag = buf.toString(encoding, nameStart, type);
  out.owner = ownerEnd - ownerStart === 1 && buf[ownerStart] === DASH ? null : intern.get(buf, ownerStart, ownerEnd, encoding);
  out.tablespace = ownerEnd < end ? intern.get(buf, ownerEnd + TABLESPACE_SEP.length, end, encoding) : null;
  out.data = data;
  return true;
}

function startsWithBytes(buf: Buffer, at: number, end: number, prefix: Buffer): boolean {
  if (end - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (buf[at + k] !== prefix[k]) return false;
  return true;
}

/** What a line between statements is, for the settings pg_dump writes before a section. */
const enum LineKind {
  Blank,
  Comment,
  /** `SET …`, `RESET …`, `SELECT pg_catalog.set_config(…)`. */
  Setting,
  /** `\connect`, `\restrict`, `\unrestrict`. */
  Meta,
  Content,
}

/**
 * Scans SQL text chunk by chunk. A header's section starts at the `--` line before it (pg_dump
 * writes `--`, the header, `--`). Feed it with `push`, end with `finish`, then read `index()`.
 */
export class PlainIndexer {
  readonly entries: PlainEntry[] = [];
  restrictKey: string | null = null;
  /** See PlainIndex.encoding; set by the preamble's client_encoding. */
  encoding: 'utf8' | 'latin1' = 'utf8';
  serverVersion: string | null = null;
  pgDumpVersion: string | null = null;
  /** Bytes of SQL text pushed so far (plus the start offset). */
  bytes: number;
  /** Lines seen so far. */
  lines = 0;
  readonly states: string[][] = [];
  preamble: string[] = [];
  preambleSkipped = 0;
  /** Bytes of an unfinished line carried over from the previous chunk. */
  private carry: Buffer | null = null;
  /** Offset of the last line that was exactly `--`. */
  private lastDashLine = -1;
  /** Where a header may start: the line after a `--` line, or after the verbose lines that follow it. */
  private headerAt = -1;
  /** `-- TOC entry` and `-- Dependencies:` lines between the `--` line and the header (pg_dump --verbose). */
  private verboseLines = 0;
  private firstSection = -1;
  private inCopy = false;
  /** Rows of the open COPY block counted so far. */
  private copyRows = 0;
  /** Whether the COPY data scanned so far ends at the start of a line. */
  private copyAtLineStart = true;
  /** Bytes of `\.\n` seen at the start of a line when the last chunk ended (0: none), and where that line starts. */
  private copyPartial = 0;
  private copyPartialAt = 0;
  private ended = false;
  /** Where the trailer's comment block starts. */
  private endAt = 0;

  /** The settings in effect now, by key, in the order they were first set. */
  private readonly current = new Map<string, string>();
  private readonly stateIds = new Map<string, number>();
  private readonly interner = new ByteInterner();
  /** Counts COPY rows; its read buffer is what fileChunks reads an uncompressed file into. */
  readonly counter = new NewlineCounter();
  /** The header being read (reused for every one). */
  private readonly header: HeaderFields & { data: boolean } = { desc: '', namespace: null, tag: '', owner: null, tablespace: null, data: false };
  /** The id of the settings as they are now; -1 after a change (worked out again on next use). */
  private currentStateId = -1;
  /** Setting and meta lines since the last statement: the run pg_dump writes before a header. */
  private pending: string[] = [];
  /** Offset of the first line of that run; -1 when there is none. */
  private runStart = -1;
  /** The open section waits for the `--` line closing its comment block. */
  private awaitingBlockEnd = false;
  /** The open section's body starts with a blank line still to be skipped. */
  private skipBlankAt = -1;
  /** SQL text of the open section being copied out: absolute start, parts so far, bytes. */
  private captureFrom = -1;
  private captureParts: Buffer[] = [];
  private captured = 0;
  private captureOverflow = false;
  /** The chunk being scanned and the absolute offset of its first byte. */
  private buf: Buffer = Buffer.alloc(0);
  private base = 0;

  /** `startOffset`: where the text starts in a larger file (a database of a pg_dumpall script). */
  constructor(startOffset = 0) {
    this.bytes = startOffset;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    let base = this.bytes;
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk]);
      base -= this.carry.length;
      this.carry = null;
    }
    this.bytes += chunk.length;
    this.buf = buf;
    this.base = base;
    let pos = 0;
    while (pos < buf.length) {
      if (this.inCopy) {
        pos = this.scanCopy(buf, pos, base);
        continue;
      }
      const nl = buf.indexOf(NL, pos);
      if (nl < 0) {
        this.capture(buf, base, pos);
        this.carry = Buffer.from(buf.subarray(pos));
        return;
      }
      this.line(buf, pos, nl, base);
      pos = nl + 1;
    }
    this.capture(buf, base, buf.length);
  }

  /** Ends the scan; returns the total number of bytes. */
  finish(): number {
    if (this.carry) {
      const buf = this.carry;
      const base = this.bytes - buf.length;
      this.carry = null;
      this.buf = buf;
      this.base = base;
      if (!this.inCopy) this.line(buf, 0, buf.length, base);
      this.capture(buf, base, buf.length);
    }
    if (this.inCopy) {
      const last = this.entries.at(-1);
      if (last && last.dataOffset !== undefined) {
        last.dataLength = this.bytes - last.dataOffset;
        last.rows = this.copyRows;
        last.dataIncomplete = true;
      }
      this.inCopy = false;
    }
    this.closeLast(this.ended ? this.endAt : this.bytes);
    if (this.firstSection < 0) this.preamble = [...this.current.values()];
    return this.bytes;
  }

  get preambleLength(): number {
    return this.firstSection < 0 ? this.bytes : this.firstSection;
  }

  get complete(): boolean {
    return this.ended;
  }

  /** The index of what was scanned (after `finish`). */
  index(path: string, compression: PlainCompression, startOffset = 0): PlainIndex {
    return {
      formatVersion: PLAIN_INDEX_VERSION,
      path,
      compression,
      size: this.bytes,
      lines: this.lines,
      preambleLength: this.preambleLength - startOffset,
      preamble: this.preamble,
      preambleSkipped: this.preambleSkipped,
      restrictKey: this.restrictKey,
      encoding: this.encoding,
      serverVersion: this.serverVersion,
      pgDumpVersion: this.pgDumpVersion,
      states: this.states,
      entries: this.entries,
      complete: this.ended,
    };
  }

  private line(buf: Buffer, start: number, end: number, base: number): void {
    const at = base + start;
    this.lines++;
    const kind = this.classify(buf, start, end, at);
    if (this.skipBlankAt === at) {
      this.skipBlankAt = -1;
      if (kind === LineKind.Blank) this.startBody(at + 1);
    }
    switch (kind) {
      case LineKind.Blank:
      case LineKind.Comment:
        return;
      case LineKind.Setting:
      case LineKind.Meta: {
        const text = buf.toString(this.encoding, start, end);
        if (this.firstSection < 0) {
          // Before the first section every setting counts: it is the preamble.
          this.applySetting(text);
          return;
        }
        if (this.runStart < 0) this.runStart = at;
        this.pending.push(text);
        return;
      }
      case LineKind.Content:
        if (this.firstSection < 0) {
          if (!this.ended) this.preambleSkipped++;
        } else {
          if (this.pending.length > 0) this.pending.length = 0;
          this.runStart = -1;
        }
        if (this.isCopyStart(buf, start, end)) this.startCopy(buf, start, end, base);
        return;
    }
  }

  private classify(buf: Buffer, start: number, end: number, at: number): LineKind {
    const len = end - start;
    if (len === 0) return LineKind.Blank;
    const first = buf[start];
    if (first === DASH && buf[start + 1] === DASH) {
      this.comment(buf, start, end, at);
      return LineKind.Comment;
    }
    if (first === BACKSLASH) {
      const text = buf.toString(this.encoding, start, end);
      if (this.restrictKey === null && text.startsWith('\\restrict ')) this.restrictKey = text.slice('\\restrict '.length).trim();
      return LineKind.Meta;
    }
    if (first === 0x53 /* S */ && (startsWithBytes(buf, start, end, SET_PREFIX) || startsWithBytes(buf, start, end, SET_CONFIG_PREFIX))) return LineKind.Setting;
    if (first === 0x52 /* R */ && startsWithBytes(buf, start, end, RESET_PREFIX)) return LineKind.Setting;
    return LineKind.Content;
  }

  private comment(buf: Buffer, start: number, end: number, at: number): void {
    const len = end - start;
    if (len === 2) {
      this.lastDashLine = at;
      this.headerAt = at + 3;
      this.verboseLines = 0;
      if (this.awaitingBlockEnd) {
        this.awaitingBlockEnd = false;
        // The body starts after this line, and after the blank line pg_dump writes next.
        this.skipBlankAt = at + 3;
        this.startBody(at + 3);
      }
      return;
    }
    if (buf[start + 2] !== 0x20) return;
    // pg_dump's header follows a line holding only `--`; a look-alike comment elsewhere does not.
    if (this.headerAt === at && !this.ended) {
      if (parseHeaderBytes(buf, start, end, this.encoding, this.interner, this.header)) {
        this.openSection(this.header, this.lastDashLine);
        return;
      }
      if (startsWithBytes(buf, start, end, TOC_ENTRY) || startsWithBytes(buf, start, end, DEPENDENCIES)) {
        this.headerAt = at + len + 1;
        this.verboseLines++;
        return;
      }
    }
    const text = buf.toString(this.encoding, start, end);
    if (text === TRAILER && !this.ended) {
      this.ended = true;
      this.endAt = this.lastDashLine === at - 3 ? this.lastDashLine : at;
      this.closeLast(this.endAt);
    } else if (this.firstSection < 0) {
      if (text.startsWith(DUMPED_FROM)) this.serverVersion = text.slice(DUMPED_FROM.length).trim();
      else if (text.startsWith(DUMPED_BY)) this.pgDumpVersion = text.slice(DUMPED_BY.length).trim();
    }
  }

  private openSection(header: HeaderFields & { data: boolean }, sectionStart: number): void {
    this.closeLast(sectionStart);
    if (this.firstSection < 0) {
      this.firstSection = sectionStart;
      this.preamble = [...this.current.values()];
    }
    for (const text of this.pending) this.applySetting(text);
    this.pending.length = 0;
    this.runStart = -1;
    const entry: PlainEntry = {
      desc: header.desc,
      namespace: header.namespace,
      tag: header.tag,
      owner: header.owner,
      tablespace: header.tablespace,
      offset: sectionStart,
      length: 0,
      // The `--` line opening the block is one line up, and the verbose lines between.
      line: this.lines - 1 - this.verboseLines,
      bodyOffset: -1,
      bodyLength: 0,
      state: this.stateId(),
    };
    if (header.data) entry.data = true;
    this.entries.push(entry);
    this.awaitingBlockEnd = true;
  }

  private startBody(at: number): void {
    const last = this.entries.at(-1);
    if (!last) return;
    last.bodyOffset = at;
    if (this.captureParts.length > 0) this.captureParts = [];
    this.captured = 0;
    this.captureOverflow = false;
    this.captureFrom = last.data ? -1 : at;
  }

  /** Copies the open section's SQL from `buf` (which starts at absolute `base`) up to `upto`. */
  private capture(buf: Buffer, base: number, upto: number): void {
    if (this.captureFrom < 0 || this.captureOverflow) return;
    const from = this.captureFrom - base;
    if (from >= upto) return;
    const part = buf.subarray(Math.max(0, from), upto);
    this.captured += part.length;
    if (this.captured > SQL_TEXT_LIMIT + 64 * 1024) {
      // More than a section's SQL is ever kept: stop copying (the section is read from the file).
      this.captureOverflow = true;
      if (this.captureParts.length > 0) this.captureParts = [];
      return;
    }
    this.captureParts.push(Buffer.from(part));
    this.captureFrom = base + upto;
  }

  private applySetting(text: string): void {
    if (/^\\(connect|c)\s/.test(text)) {
      // A new session: what was set before no longer holds.
      this.current.clear();
      this.currentStateId = -1;
      return;
    }
    if (text.startsWith('\\')) return;
    const key = stateKey(text);
    if (key === null) return;
    if (key === 'client_encoding') {
      const name = (/'([^']*)'/.exec(text)?.[1] ?? 'UTF8').toUpperCase().replace(/[-_]/g, '');
      this.encoding = name === 'UTF8' || name === 'UNICODE' ? 'utf8' : 'latin1';
    }
    if (this.current.get(key) === text) return;
    this.currentStateId = -1;
    if (text.startsWith('RESET ')) this.current.delete(key);
    else {
      this.current.delete(key);
      this.current.set(key, text);
    }
  }

  private stateId(): number {
    if (this.currentStateId >= 0) return this.currentStateId;
    const lines = [...this.current.values()];
    const key = lines.join('\n');
    let id = this.stateIds.get(key);
    if (id === undefined) {
      id = this.states.length;
      this.states.push(lines);
      this.stateIds.set(key, id);
    }
    this.currentStateId = id;
    return id;
  }

  /** `COPY … FROM stdin;` opens a data block that runs to a line holding only `\.`. */
  private isCopyStart(buf: Buffer, start: number, end: number): boolean {
    return buf[start] === 0x43 /* C */ && end - start > 16 && startsWithBytes(buf, start, end, COPY_PREFIX) && startsWithBytes(buf, end - FROM_STDIN.length, end, FROM_STDIN);
  }

  private startCopy(buf: Buffer, start: number, end: number, base: number): void {
    this.inCopy = true;
    this.copyRows = 0;
    this.copyAtLineStart = true;
    this.copyPartial = 0;
    const last = this.entries.at(-1);
    if (last && last.desc === 'TABLE DATA' && last.copyStmt === undefined) {
      last.copyStmt = `${buf.toString(this.encoding, start, end)}\n`;
      last.dataOffset = base + end + 1;
    }
  }

  /**
   * Skips COPY data from `pos` to the `\.` line that ends it, and counts its rows (line feeds).
   * The `\.` line is found by searching for `\.` + line feed (a backslash is rare in data, a
   * line feed is in every row) and checking that a line starts there; the rows are counted in
   * one call per chunk (newlines.ts). Returns where normal lines resume (or the chunk's end).
   * A `\` or `\.` at a line start cut by the chunk's end is decided with the next chunk.
   */
  private scanCopy(buf: Buffer, pos: number, base: number): number {
    const n = buf.length;
    let at = pos;
    if (this.copyPartial > 0) {
      let k = this.copyPartial;
      while (k < 3 && at < n && buf[at] === TERMINATOR_BYTES[k]) {
        k++;
        at++;
      }
      if (k === 3) {
        this.copyPartial = 0;
        this.endCopy(this.copyPartialAt);
        return at;
      }
      if (at === n) {
        this.copyPartial = k;
        return n;
      }
      // Not the end: a data line that goes on from here (its bytes so far hold no line feed).
      this.copyPartial = 0;
      this.copyAtLineStart = false;
    }
    const lineStart = (i: number) => (i === pos ? this.copyAtLineStart : buf[i - 1] === NL);
    for (let from = at; ; ) {
      const hit = buf.indexOf(TERMINATOR_BYTES, from);
      if (hit < 0) break;
      if (lineStart(hit)) {
        this.copyRows += this.counter.count(buf, at, hit);
        this.endCopy(base + hit);
        return hit + TERMINATOR_BYTES.length;
      }
      from = hit + 1;
    }
    // No end in this chunk; a cut `\` or `\.` at a line start may be one.
    this.copyRows += this.counter.count(buf, at, n);
    const tail = n - at;
    if (tail >= 1 && buf[n - 1] === BACKSLASH && lineStart(n - 1)) {
      this.copyPartial = 1;
      this.copyPartialAt = base + n - 1;
    } else if (tail >= 2 && buf[n - 2] === BACKSLASH && buf[n - 1] === DOT && lineStart(n - 2)) {
      this.copyPartial = 2;
      this.copyPartialAt = base + n - 2;
    }
    this.copyAtLineStart = tail > 0 ? buf[n - 1] === NL : this.copyAtLineStart;
    return n;
  }

  /** `at`: offset of the `\.` line. */
  private endCopy(at: number): void {
    this.inCopy = false;
    // The rows and the `\.` line.
    this.lines += this.copyRows + 1;
    const last = this.entries.at(-1);
    if (last && last.desc === 'TABLE DATA' && last.rows === undefined) {
      last.rows = this.copyRows;
      if (last.dataOffset !== undefined) last.dataLength = at - last.dataOffset;
    }
  }

  private closeLast(end: number): void {
    const last = this.entries.at(-1);
    if (!last || last.length !== 0) return;
    last.length = end - last.offset;
    if (last.bodyOffset < 0) last.bodyOffset = end;
    // The body ends where the settings for the next section start, or at the next section.
    const bodyEnd = this.runStart >= last.bodyOffset ? this.runStart : end;
    last.bodyLength = Math.max(0, bodyEnd - last.bodyOffset);
    if (!last.data && this.captureFrom >= 0 && !this.captureOverflow && last.bodyLength <= SQL_TEXT_LIMIT) {
      if (this.captureParts.length === 0 && this.captureFrom >= this.base) {
        // The whole body is in the chunk being scanned (the usual case): no copy.
        const from = this.captureFrom - this.base;
        last.sql = this.buf.toString(this.encoding, from, from + last.bodyLength);
      } else {
        this.capture(this.buf, this.base, Math.min(this.buf.length, Math.max(0, bodyEnd - this.base)));
        last.sql = Buffer.concat(this.captureParts).toString(this.encoding, 0, last.bodyLength);
      }
    }
    this.captureFrom = -1;
    if (this.captureParts.length > 0) this.captureParts = [];
  }
}

/** The SQL text of a plain dump, decompressed as it is read. */
export function plainText(file: string, compression: PlainCompression): Readable {
  // Compressed input in small reads: what is buffered ahead of the decompressor is memory held.
  const input = fs.createReadStream(file, { highWaterMark: compression === 'none' ? 1 << 20 : 64 * 1024 });
  if (compression === 'none') return input;
  const out = createDecompressor(compression, file);
  input.on('error', (err) => out.destroy(err));
  return input.pipe(out);
}

const READ_SIZE = READ_BUFFER_SIZE;
/** How much is read between turns of the event loop (progress, cancellation, other work). */
const YIELD_EVERY = 16 << 20;

/**
 * The bytes of an uncompressed file from `start` to `end`, read synchronously into one reused
 * buffer, with a turn of the event loop every 16 MB. Synchronous reads of the page cache are
 * twice as fast as Node's asynchronous ones here (no thread-pool round trip per read), and
 * nothing is allocated per chunk. A chunk is valid until the next one is asked for (the
 * indexer copies what it keeps).
 */
async function* fileChunks(file: string, start = 0, end = Infinity, buffer: Buffer = Buffer.allocUnsafe(READ_SIZE)): AsyncGenerator<Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    let pos = start;
    let sinceYield = 0;
    while (pos < end) {
      const bytesRead = fs.readSync(fd, buffer, 0, Math.min(buffer.length, end - pos), pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      sinceYield += bytesRead;
      if (sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The SQL text of a plain dump (or of a byte range of an uncompressed one), for scanning once. */
export function scanChunks(file: string, compression: PlainCompression, range?: { offset: number; length: number }, buffer?: Buffer): AsyncIterable<Buffer> {
  if (compression === 'none') return fileChunks(file, range?.offset ?? 0, range ? range.offset + range.length : Infinity, buffer);
  if (!range) return plainText(file, compression);
  return sliceOf(plainText(file, compression), range.offset, range.offset + range.length);
}

/** The bytes of a stream from `start` to `end` (the rest is read and dropped, or not read). */
async function* sliceOf(stream: Readable, start: number, end: number): AsyncGenerator<Buffer> {
  let pos = 0;
  try {
    for await (const raw of stream) {
      const chunk = raw as Buffer;
      const from = Math.max(start, pos) - pos;
      const to = Math.min(end, pos + chunk.length) - pos;
      if (to > from) yield chunk.subarray(from, to);
      pos += chunk.length;
      if (pos >= end) return;
    }
  } finally {
    stream.destroy();
  }
}

/** Indexes a plain dump made by pg_dump. Throws one line for anything else. */
export async function indexPlainDump(file: string, options: IndexOptions = {}): Promise<PlainIndex> {
  const detected = await detectDump(file);
  if (detected.kind === 'cluster' || detected.kind === 'globals') {
    throw new DumpError('cluster-dump', `${file} is a pg_dumpall script (${detected.kind === 'cluster' ? 'roles and databases' : 'roles and tablespaces only'}), not the dump of one database: read it as a cluster dump ("index" shows its parts)`);
  }
  if (detected.kind !== 'plain') {
    throw new DumpError('usage', `${file} is a ${detected.kind} archive, not a plain SQL dump: "list" shows what it holds`);
  }
  return indexFile(file, detected.compression, options);
}

/**
 * Indexes a plain dump's SQL text, or the byte range of one database of a pg_dumpall script
 * (offsets then stay those of the file). An uncompressed file is read straight into the row
 * counter's memory (nothing is copied), with a turn of the event loop every 16 MB for progress
 * and cancellation.
 */
export async function indexFile(file: string, compression: PlainCompression, options: IndexOptions = {}, range?: { offset: number; length: number }): Promise<PlainIndex> {
  const start = range?.offset ?? 0;
  const indexer = new PlainIndexer(start);
  return indexText(scanChunks(file, compression, range, indexer.counter.readBuffer), file, compression, options, start, indexer);
}

/**
 * Indexes SQL text (the whole of a plain dump, or one database of a cluster dump, whose text
 * starts at `startOffset` of the file).
 */
export async function indexText(
  chunks: AsyncIterable<Buffer>,
  file: string,
  compression: PlainCompression,
  options: IndexOptions = {},
  startOffset = 0,
  indexer = new PlainIndexer(startOffset),
): Promise<PlainIndex> {
  let reported = 0;
  for await (const chunk of chunks) {
    if (options.signal?.aborted) throw new DumpError('usage', 'indexing cancelled');
    indexer.push(chunk);
    const done = indexer.bytes;
    if (options.onProgress && done - reported >= 1 << 24) {
      reported = done;
      options.onProgress(done);
    }
  }
  const size = indexer.finish();
  options.onProgress?.(size);
  return indexer.index(file, compression, startOffset);
}
