import { readFileSync } from 'node:fs';
import type { NameField, TocTable } from '../formats/archive/toc';
import type { Archive, ArchiveHeader, PlainArchive, TocEntry, WallClock } from './types';

/**
 * `pg_restore -l` output, reproduced from the archive model: the `;` header block, then one
 * line per entry that pg_restore would select with no options (PrintTOCSummary and
 * _tocEntryRequired in pg_backup_archiver.c).
 */

const SPECIAL = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH']);
const DATA_ONLY_WITHOUT_DUMPER = new Set(['SEQUENCE SET', 'BLOB', 'BLOB METADATA']);
const GLOBAL_ON_OBJECT = new Set(['ACL', 'COMMENT', 'SECURITY LABEL']);

/** How the listing rule reads an entry's tag and definition, only when it needs them. */
interface RowAccess {
  tagStartsWith(i: number, prefix: string): boolean;
  hasDefinition(i: number, desc: string | null): boolean;
}

/**
 * Whether `pg_restore -l` (no selection options) prints an entry: _tocEntryRequired's answer
 * when nothing is selected.
 */
function listedByDefault(desc: string | null, hadDumper: boolean, row: RowAccess, i: number): boolean {
  const d = desc ?? '';
  if (SPECIAL.has(d)) return false;
  // DATABASE entries, and comments/ACLs/labels on the database, only come with --create.
  if (d === 'DATABASE' || d === 'DATABASE PROPERTIES') return false;
  const onObject = GLOBAL_ON_OBJECT.has(d);
  if (onObject && row.tagStartsWith(i, 'DATABASE ')) return false;
  if (d === 'STATISTICS DATA') return true;
  if (hadDumper) return true; // it has data, whatever its definition
  if (DATA_ONLY_WITHOUT_DUMPER.has(d) || (onObject && row.tagStartsWith(i, 'LARGE OBJECT'))) return true;
  return row.hasDefinition(i, desc);
}

export function isListedByDefault(e: TocEntry): boolean {
  const row: RowAccess = {
    tagStartsWith: (_i, prefix) => (e.tag ?? '').startsWith(prefix),
    hasDefinition: () => e.hasDefinition,
  };
  return listedByDefault(e.desc, e.hadDumper, row, 0);
}

/** Whether `pg_restore -l` lists each entry (1) or not (0), by TOC position: read from the TOC's columns (an archive's), without entry objects. */
export function listedFlags(a: Archive): Uint8Array {
  if (a.format === 'plain') return Uint8Array.from(a.entries, (e) => (isListedByDefault(e) ? 1 : 0));
  const t = a.table;
  const flags = new Uint8Array(t.count);
  for (let i = 0; i < t.count; i++) flags[i] = listedByDefault(t.get(i, 'desc'), t.hadDumper[i] === 1, t, i) ? 1 : 0;
  return flags;
}

/** sanitize_line: CR and LF become spaces; NULL or "" print as `-` where a hyphen is wanted. */
function sanitize(s: string | null, hyphen: boolean): string {
  if (!s) return hyphen ? '-' : '';
  return s.includes('\n') || s.includes('\r') ? s.replace(/[\r\n]/g, ' ') : s;
}

function configuredZone(): string {
  const tz = process.env.TZ;
  if (tz !== undefined) return tz.replace(/^:/, '') || 'UTC';
  try {
    return readFileSync('/etc/timezone', 'utf8').trim();
  } catch {
    return '';
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** strftime("%Y-%m-%d %H:%M:%S %Z") of the stored wall-clock time, in this machine's zone name. */
export function formatCreated(t: WallClock | null): string {
  if (!t) return '[unknown]';
  const local = new Date(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  if (Number.isNaN(local.getTime())) return '[unknown]';
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)} ${zoneName(local)}`;
}

const UTC_ZONES = new Set(['UTC', 'Etc/UTC', 'UCT', 'Etc/UCT', 'Universal', 'Zulu', 'Etc/Zulu']);

/** The zone abbreviation strftime's %Z prints. Asking Intl costs tens of ms, so UTC is known first. */
function zoneName(d: Date): string {
  if (UTC_ZONES.has(configuredZone())) return 'UTC';
  const parts = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d);
  return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
}

/**
 * Archives before 1.15 store a zlib level, which pg_restore 15 and older print as a number;
 * from 1.15 on the header holds an algorithm, printed by name.
 */
function compressionText(h: ArchiveHeader): string {
  return h.compressionLevel !== null ? String(h.compressionLevel) : h.compression;
}

const FORMAT_NAMES = { custom: 'CUSTOM', directory: 'DIRECTORY', tar: 'TAR' } as const;

export function formatHeaderBlock(a: Archive): string {
  if (a.format === 'plain') return plainHeaderBlock(a);
  const h = a.header;
  const lines = [
    ';',
    `; Archive created at ${formatCreated(h.createdAt)}`,
    `;     dbname: ${sanitize(h.dbname, false)}`,
    `;     TOC Entries: ${h.tocCount}`,
    `;     Compression: ${compressionText(h)}`,
    `;     Dump Version: ${h.version.major}.${h.version.minor}-${h.version.rev}`,
    `;     Format: ${FORMAT_NAMES[a.format]}`,
    `;     Integer: ${h.intSize} bytes`,
    `;     Offset: ${h.offSize} bytes`,
  ];
  if (h.serverVersion) lines.push(`;     Dumped from database version: ${h.serverVersion}`);
  if (h.pgDumpVersion) lines.push(`;     Dumped by pg_dump version: ${h.pgDumpVersion}`);
  lines.push(';', ';', '; Selected TOC Entries:', ';');
  return lines.join('\n') + '\n';
}

/**
 * The header block of a plain dump's listing, in the same `;` form: only what the script's
 * comments say (pg_restore cannot read a plain dump, so there is no listing of its own to match).
 */
function plainHeaderBlock(a: PlainArchive): string {
  const h = a.header;
  const lines = [
    ';',
    '; Plain SQL dump (restore it with psql, or selectively with this tool; pg_restore cannot read it)',
    `;     dbname: ${sanitize(h.dbname, false)}`,
    `;     Entries: ${h.tocCount}`,
    `;     Compression: ${h.compression}`,
    ';     Format: PLAIN',
  ];
  if (h.serverVersion) lines.push(`;     Dumped from database version: ${h.serverVersion}`);
  if (h.pgDumpVersion) lines.push(`;     Dumped by pg_dump version: ${h.pgDumpVersion}`);
  lines.push(';', ';', '; Selected TOC Entries:', ';');
  return lines.join('\n') + '\n';
}

/**
 * Builds the listing as bytes, copied from the TOC's own bytes (as pg_restore prints them,
 * whatever their encoding) without decoding each name to a string or making entry objects.
 */
class ListWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(
    initialSize: number,
    private readonly encoding: BufferEncoding,
  ) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** One ASCII byte. */
  char(code: number): void {
    this.room(1);
    this.buf[this.pos++] = code;
  }

  /** A non-negative integer in decimal. */
  decimal(n: number): void {
    if (n >= 1e15) return this.text(String(n));
    let digits = 1;
    for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
    this.room(digits);
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      this.buf[i] = 48 + (n % 10);
      n = Math.floor(n / 10);
    }
    this.pos += digits;
  }

  text(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, this.encoding);
  }

  /** A name field of row `i`, sanitized as sanitize_line does, copied from the TOC's bytes. */
  field(t: TocTable, i: number, field: NameField, hyphen: boolean): void {
    const len = t.length(i, field);
    if (len <= 0) {
      if (hyphen) this.char(0x2d);
      return;
    }
    const at = t.nameAt(i, field);
    this.room(len);
    const out = this.buf;
    const src = t.names.buf;
    let p = this.pos;
    for (let k = at; k < at + len; k++) {
      const b = src[k]!;
      out[p++] = b === 10 || b === 13 ? 32 : b;
    }
    this.pos = p;
  }

  /** A catalog ID, which pg_restore parses with sscanf("%u"): plain digits print as they are. */
  oid(t: TocTable, i: number, field: 'tableoid' | 'oid'): void {
    const len = t.length(i, field);
    const at = t.nameAt(i, field);
    const bytes = t.names.buf;
    let digits = len > 0 && len < 11 && (len === 1 || bytes[at] !== 48);
    for (let k = at; digits && k < at + len; k++) digits = bytes[k]! >= 48 && bytes[k]! <= 57;
    if (!digits) return this.text(oidText(t.get(i, field)));
    this.room(len);
    for (let k = at; k < at + len; k++) this.buf[this.pos++] = bytes[k]!;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** One entry as a `pg_restore -l` line, without the line break (for lists built from a plan). */
export function restoreListLine(e: TocEntry): string {
  return `${e.dumpId}; ${oidText(e.tableoid)} ${oidText(e.oid)} ${sanitize(e.desc, false)} ${sanitize(e.namespace, true)} ${sanitize(e.tag, false)} ${sanitize(e.owner, false)}`;
}

/** pg_restore parses catalog IDs with sscanf("%u"); an unparsable one prints as 0. */
function oidText(s: string | null): string {
  const n = Number.parseInt(s ?? '', 10);
  return Number.isFinite(n) && n >= 0 && n <= 0xffffffff ? String(n) : '0';
}

const SPACE = 0x20;
const SEMICOLON = 0x3b;
const NEWLINE = 0x0a;

/** `pg_restore -l` output as the bytes pg_restore writes. */
export function formatRestoreList(a: Archive): Buffer {
  if (a.format === 'plain') {
    const lines = a.entries.filter(isListedByDefault).map((e) => `${restoreListLine(e)}\n`);
    return Buffer.from(formatHeaderBlock(a) + lines.join(''), a.stringEncoding);
  }
  const w = new ListWriter(64 + a.table.count * 64, a.stringEncoding);
  w.text(formatHeaderBlock(a));
  const t = a.table;
  for (let i = 0; i < t.count; i++) {
    if (!listedByDefault(t.get(i, 'desc'), t.hadDumper[i] === 1, t, i)) continue;
    w.decimal(t.dumpId[i]!);
    w.char(SEMICOLON);
    w.char(SPACE);
    w.oid(t, i, 'tableoid');
    w.char(SPACE);
    w.oid(t, i, 'oid');
    w.char(SPACE);
    w.field(t, i, 'desc', false);
    w.char(SPACE);
    w.field(t, i, 'namespace', true);
    w.char(SPACE);
    w.field(t, i, 'tag', false);
    w.char(SPACE);
    w.field(t, i, 'owner', false);
    w.char(NEWLINE);
  }
  return w.done();
}
