import { readFileSync } from 'node:fs';
import { TOC_SLOTS, type TocListener, type TocTable } from '../formats/archive/toc';
import type { Archive, ArchiveHeader, PlainArchive, TocEntry, WallClock } from './types';

/**
 * `pg_restore -l` output, reproduced from the archive model: the `;` header block, then one
 * line per entry that pg_restore would select with no options (PrintTOCSummary and
 * _tocEntryRequired in pg_backup_archiver.c).
 */

const SPECIAL = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH']);
const DATA_ONLY_WITHOUT_DUMPER = new Set(['SEQUENCE SET', 'BLOB', 'BLOB METADATA']);
const GLOBAL_ON_OBJECT = new Set(['ACL', 'COMMENT', 'SECURITY LABEL']);

/** How the listing rule treats the entries of one desc (worked out once per distinct desc). */
const enum DescRule {
  /** Never listed without options (ENCODING, DATABASE, …). */
  Never,
  /** Always listed (STATISTICS DATA). */
  Always,
  /** A comment, ACL or security label: not on the database; on a large object, always. */
  OnObject,
  /** Data-only entries without a dumper (SEQUENCE SET, BLOB, …): always listed. */
  DataOnly,
  /** Listed when it has data or a definition. */
  Normal,
}

function descRule(desc: string | null): DescRule {
  const d = desc ?? '';
  if (SPECIAL.has(d)) return DescRule.Never;
  // DATABASE entries, and comments/ACLs/labels on the database, only come with --create.
  if (d === 'DATABASE' || d === 'DATABASE PROPERTIES') return DescRule.Never;
  if (GLOBAL_ON_OBJECT.has(d)) return DescRule.OnObject;
  if (d === 'STATISTICS DATA') return DescRule.Always;
  if (DATA_ONLY_WITHOUT_DUMPER.has(d)) return DescRule.DataOnly;
  return DescRule.Normal;
}

/** How the listing rule reads an entry's tag and definition, only when it needs them. */
interface RowAccess {
  tagStartsWith(i: number, prefix: string): boolean;
  hasDefinition(i: number, desc: string | null): boolean;
}

/**
 * Whether `pg_restore -l` (no selection options) prints an entry: _tocEntryRequired's answer
 * when nothing is selected.
 */
function listedByRule(rule: DescRule, desc: string | null, hadDumper: boolean, row: RowAccess, i: number): boolean {
  switch (rule) {
    case DescRule.Never:
      return false;
    case DescRule.Always:
    case DescRule.DataOnly:
      return true;
    case DescRule.OnObject:
      if (row.tagStartsWith(i, 'DATABASE ')) return false;
      return hadDumper || row.tagStartsWith(i, 'LARGE OBJECT') || row.hasDefinition(i, desc);
    default:
      return hadDumper || row.hasDefinition(i, desc); // data, whatever its definition
  }
}

export function isListedByDefault(e: TocEntry): boolean {
  const row: RowAccess = {
    tagStartsWith: (_i, prefix) => (e.tag ?? '').startsWith(prefix),
    hasDefinition: () => e.hasDefinition,
  };
  return listedByRule(descRule(e.desc), e.desc, e.hadDumper, row, 0);
}

/** Whether entry `i` of a TOC table is listed, with the rules of its descs worked out once. */
function listedInTable(t: TocTable, i: number, rules: Int8Array): boolean {
  const id = t.descId[i]!;
  let rule: number;
  if (id < 0) rule = descRule(t.get(i, 'desc'));
  else {
    rule = rules[id]!;
    if (rule < 0) rule = rules[id] = descRule(t.descOf(id));
  }
  return listedByRule(rule as DescRule, id < 0 ? t.get(i, 'desc') : t.descOf(id), t.hadDumper[i] === 1, t, i);
}

/** Whether `pg_restore -l` lists each entry (1) or not (0), by TOC position: read from the TOC's columns (an archive's), without entry objects. */
export function listedFlags(a: Archive): Uint8Array {
  const t = tocTableOf(a);
  if (!t) return Uint8Array.from(a.entries, (e) => (isListedByDefault(e) ? 1 : 0));
  const flags = new Uint8Array(t.count);
  const rules = new Int8Array(t.descs.count).fill(-1);
  for (let i = 0; i < t.count; i++) flags[i] = listedInTable(t, i, rules) ? 1 : 0;
  return flags;
}

/** The TOC table of an archive read from a file; undefined for a plain dump (or an archive made of entries alone, in tests). */
export function tocTableOf(a: Archive): TocTable | undefined {
  return a.format !== 'plain' && typeof a.table?.descOf === 'function' ? a.table : undefined;
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
const HYPHEN = 0x2d;
const NEWLINE = 0x0a;

/** `pg_restore -l` output as the bytes pg_restore writes. */
export function formatRestoreList(a: Archive): Buffer {
  if (a.format === 'plain') {
    const lines = a.entries.filter(isListedByDefault).map((e) => `${restoreListLine(e)}\n`);
    return Buffer.from(formatHeaderBlock(a) + lines.join(''), a.stringEncoding);
  }
  const w = new RestoreListWriter();
  w.begin(a.table);
  for (let i = 0; i < a.table.count; i++) w.entry(i);
  return w.finish(a);
}

// Where each entry's fields sit in TocTable.refs, as module constants (read per entry).
const { stride: STRIDE, tableoid: S_TABLEOID, oid: S_OID, tag: S_TAG, desc: S_DESC, namespace: S_NAMESPACE, owner: S_OWNER, defn: S_DEFN } = TOC_SLOTS;

/** Room kept before the entries' lines for the header block, which is known only at the end. */
const HEAD_ROOM = 4096;
/** The most a line takes beyond its names' bytes: a dump ID, two catalog IDs, spaces, `;`, `-`, a line break. */
const LINE_EXTRA = 64;

/**
 * Writes the listing of a TOC table as bytes, copied from the TOC's own bytes (as pg_restore
 * prints them, whatever their encoding) without decoding names or making entry objects. As a
 * TocListener it writes each entry's line as soon as the TOC reader has read it (`list` reads
 * and writes in one pass, the entry's bytes still in the processor's cache); `formatRestoreList`
 * feeds it the rows of a table read before. The header block comes last (`finish`): the
 * archive's encoding is known only once its TOC is read.
 */
export class RestoreListWriter implements TocListener {
  private buf: Buffer = Buffer.alloc(0);
  private pos = HEAD_ROOM;
  private t: TocTable | null = null;
  /** The lengths of the fields of the line being written. */
  private readonly lens = new Int32Array(6);
  /** Entries seen so far. */
  private seen = 0;
  /** Per desc id: its listing rule, plus IS_TABLE_DATA; -1 until worked out. */
  private rules = new Int8Array(64).fill(-1);

  begin(t: TocTable): void {
    this.t = t;
    this.seen = 0;
    this.pos = HEAD_ROOM;
    this.rules = new Int8Array(Math.max(64, t.descs.count)).fill(-1);
    // Lines take 40 to 60 bytes beyond their names; the buffer grows when a line would not fit,
    // and pages never written are never touched. (At most 64 MB at first: a corrupt entry count
    // must not allocate more than the archive could need.)
    this.buf = Buffer.allocUnsafe(HEAD_ROOM + Math.min(Math.max(t.dumpId.length, 16) * 96, 1 << 26));
  }

  /** The rule of desc `id` (with IS_TABLE_DATA), worked out once per distinct desc. */
  private ruleOf(id: number): number {
    if (id >= this.rules.length) {
      const grown = new Int8Array(Math.max(id + 1, this.rules.length * 2)).fill(-1);
      grown.set(this.rules);
      this.rules = grown;
    }
    let rule = this.rules[id]!;
    if (rule < 0) {
      const desc = this.t!.descOf(id);
      rule = descRule(desc) | (desc === 'TABLE DATA' ? IS_TABLE_DATA : 0);
      this.rules[id] = rule;
    }
    return rule;
  }

  entry(i: number): void {
    const t = this.t!;
    this.seen = i + 1;
    const refs = t.refs;
    const r = i * STRIDE;
    const descId = t.descId[i]!;
    const cached = descId >= 0 && descId < this.rules.length ? this.rules[descId]! : -1;
    const ruleBits = cached >= 0 ? cached : descId >= 0 ? this.ruleOf(descId) : descRule(t.get(i, 'desc'));
    const rule = ruleBits & RULE_MASK;
    if (rule === DescRule.Never) return;
    // Entries with data, or with a definition (TABLE DATA's may be a partition's marker): listed.
    const plain = rule === DescRule.Normal && (t.hadDumper[i] === 1 || ((ruleBits & IS_TABLE_DATA) === 0 && t.lengthAt(refs[r + S_DEFN]!) > 0));
    if (!plain && rule !== DescRule.Always && rule !== DescRule.DataOnly) {
      const desc = descId < 0 ? t.get(i, 'desc') : t.descOf(descId);
      if (!listedByRule(rule, desc, t.hadDumper[i] === 1, t, i)) return;
    }
    // The line: dump ID, then tableoid, oid, desc, namespace, tag, owner (one loop, so that V8
    // compiles one copy loop rather than six).
    // Each field's length is read from the TOC's bytes, before its bytes (refs holds its position).
    const names = t.bytes;
    const isz = t.intSize;
    const lens = this.lens;
    let room = LINE_EXTRA;
    for (let k = 0; k < LINE_FIELDS.length; k++) {
      const ref = refs[r + LINE_FIELDS[k]!]!;
      const len = ref < 0 ? -1 : isz === 4 ? lengthAt4(names, ref) : t.lengthAt(ref);
      lens[k] = len;
      if (len > 0) room += len;
    }
    if (this.pos + room > this.buf.length) this.grow(room);
    const out = this.buf;
    let p = decimal(out, this.pos, t.dumpId[i]!);
    out[p++] = SEMICOLON;
    for (let k = 0; k < LINE_FIELDS.length; k++) {
      out[p++] = SPACE;
      const at = refs[r + LINE_FIELDS[k]!]! + 1 + isz;
      const len = lens[k]!;
      // Catalog IDs, which pg_restore parses with sscanf("%u"): plain digits print as they are.
      if (k < 2 && !plainNumber(names, at, len)) {
        p += out.write(oidText(t.get(i, k === 0 ? 'tableoid' : 'oid')), p, 'latin1');
        continue;
      }
      if (len <= 0) {
        if (k === K_NAMESPACE) out[p++] = HYPHEN;
        continue;
      }
      // sanitize_line: CR and LF as spaces.
      for (let x = at; x < at + len; x++) {
        const c = names[x]!;
        out[p++] = c === 10 || c === 13 ? SPACE : c;
      }
    }
    out[p++] = NEWLINE;
    this.pos = p;
  }

  private grow(room: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + room));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /**
   * The listing of `a`, whose TOC this writer has been told of entry by entry; of any other
   * archive (a plain dump, or one read without this writer), made now.
   */
  finish(a: Archive): Buffer {
    const t = tocTableOf(a);
    if (!t || t !== this.t || this.seen !== t.count) return formatRestoreList(a);
    const head = Buffer.from(formatHeaderBlock(a), a.stringEncoding);
    if (head.length > HEAD_ROOM) return Buffer.concat([head, this.buf.subarray(HEAD_ROOM, this.pos)]);
    const from = HEAD_ROOM - head.length;
    head.copy(this.buf, from);
    return this.buf.subarray(from, this.pos);
  }
}

/** With a DescRule in RestoreListWriter's cache: the desc is TABLE DATA. */
const IS_TABLE_DATA = 8;
const RULE_MASK = 7;

/** The fields of a line, in order, as slots of TocTable.refs; the namespace prints `-` when NULL or "". */
const LINE_FIELDS = Int32Array.of(S_TABLEOID, S_OID, S_DESC, S_NAMESPACE, S_TAG, S_OWNER);
const K_NAMESPACE = 3;

/** A length of 4-byte integers at `b[at]` (sign byte, then least significant first); -1 for NULL. */
function lengthAt4(b: Buffer, at: number): number {
  const n = (b[at + 1]! | (b[at + 2]! << 8) | (b[at + 3]! << 16)) + b[at + 4]! * 0x1000000;
  return b[at] !== 0 && n !== 0 ? -1 : n;
}

/** Whether the `len` bytes at `b[at]` are a catalog ID as it prints: 1 to 10 digits, no leading zero. */
function plainNumber(b: Buffer, at: number, len: number): boolean {
  if (len <= 0 || len > 10 || (len > 1 && b[at] === 48)) return false;
  for (let k = at; k < at + len; k++) if (b[k]! < 48 || b[k]! > 57) return false;
  return true;
}

/** A non-negative integer (a dump ID) in decimal at `out[p]`; returns the position after it. */
function decimal(out: Buffer, p: number, n: number): number {
  if (n >= 1e15) return p + out.write(String(n), p, 'latin1');
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  for (let k = p + digits - 1; k >= p; k--) {
    const q = Math.floor(n / 10);
    out[k] = 48 + n - q * 10;
    n = q;
  }
  return p + digits;
}
