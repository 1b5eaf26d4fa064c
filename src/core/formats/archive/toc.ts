import { DumpError } from '../../errors';
import {
  type ArchiveHeader,
  type ArchiveVersion,
  type CompressionAlgorithm,
  type DataLocation,
  Section,
  type TocEntry,
} from '../../model/types';
import { Arena, type ByteReader } from './byteReader';

/** Archive versions as pg_backup_archiver.h builds them: (major << 16) | (minor << 8) | rev. */
const v = (major: number, minor: number, rev = 0) => (major << 16) | (minor << 8) | rev;
export const K_VERS_MAX = v(1, 16, 255);
const K_OFFSET_POS_NOT_SET = 1;
const K_OFFSET_POS_SET = 2;
const K_OFFSET_NO_DATA = 3;

export const FORMAT_CUSTOM = 1;
export const FORMAT_TAR = 3;
export const FORMAT_DIRECTORY = 5;

const ALGORITHMS: readonly CompressionAlgorithm[] = ['none', 'gzip', 'lz4', 'zstd'];

export function versionNumber(version: ArchiveVersion): number {
  return v(version.major, version.minor, version.rev);
}

export function versionText(version: ArchiveVersion): string {
  return `${version.major}.${version.minor}`;
}

/**
 * ReadHead (pg_backup_archiver.c): magic, version, int and offset sizes, format, compression,
 * creation time, database name, server and pg_dump versions, then the TOC entry count.
 */
export function readHeader(r: ByteReader, label: string): ArchiveHeader {
  const magic = r.raw(5, 'the file header');
  if (magic.toString('latin1') !== 'PGDMP') {
    throw new DumpError('not-a-dump', `${label} does not start with PGDMP: not a pg_dump archive`);
  }
  const major = r.byte('the archive version');
  const minor = r.byte('the archive version');
  const rev = major > 1 || minor > 0 ? r.byte('the archive version') : 0;
  const version = { major, minor, rev };
  const vn = versionNumber(version);
  if (vn > K_VERS_MAX || major !== 1) {
    throw new DumpError(
      'unsupported-version',
      `${label} has archive version ${major}.${minor}, newer than any known pg_dump writes (1.16 is PostgreSQL 17 and 18); it may come from a newer PostgreSQL or be corrupt`,
    );
  }
  if (vn < v(1, 10)) {
    throw new DumpError(
      'unsupported-version',
      `${label} has archive version ${major}.${minor} (pg_dump before 8.0); this reader supports 1.10 to 1.16`,
    );
  }
  const intSize = r.byte('the integer size');
  if (intSize < 1 || intSize > 8) {
    throw new DumpError('corrupt', `${label}: integer size ${intSize} in the header is not plausible; the archive is corrupt`);
  }
  r.intSize = intSize;
  const offSize = vn >= v(1, 7) ? r.byte('the offset size') : intSize;
  if (offSize < 1 || offSize > 8) {
    throw new DumpError('corrupt', `${label}: offset size ${offSize} in the header is not plausible; the archive is corrupt`);
  }
  r.offSize = offSize;
  const formatByte = r.byte('the format byte');

  let compression: CompressionAlgorithm;
  let compressionLevel: number | null = null;
  if (vn >= v(1, 15)) {
    const algorithm = r.byte('the compression algorithm');
    const name = ALGORITHMS[algorithm];
    if (!name) throw new DumpError('corrupt', `${label}: unknown compression algorithm ${algorithm} in the header`);
    compression = name;
  } else {
    compressionLevel = vn >= v(1, 4) ? r.int('the compression level') : r.byte('the compression level');
    compression = compressionLevel === 0 ? 'none' : 'gzip';
  }

  let createdAt: ArchiveHeader['createdAt'] = null;
  let dbname: string | null = null;
  if (vn >= v(1, 4)) {
    const t = Array.from({ length: 7 }, () => r.int('the creation time'));
    const [sec, min, hour, mday, mon, year, isDst] = t as [number, number, number, number, number, number, number];
    createdAt = { year: year + 1900, month: mon + 1, day: mday, hour, minute: min, second: sec, isDst };
    dbname = r.string('the database name');
  }
  let serverVersion: string | null = null;
  let pgDumpVersion: string | null = null;
  if (vn >= v(1, 10)) {
    serverVersion = r.string('the server version');
    pgDumpVersion = r.string('the pg_dump version');
  }
  const tocCount = r.int('the TOC entry count');
  if (tocCount < 0) throw new DumpError('corrupt', `${label}: negative TOC entry count ${tocCount}; the archive is corrupt`);
  return {
    version,
    intSize,
    offSize,
    formatByte,
    compression,
    compressionLevel,
    createdAt,
    dbname,
    serverVersion,
    pgDumpVersion,
    tocCount,
  };
}

/** Section of an entry in archives before 1.11, derived as ReadToc does. */
function sectionFromDesc(desc: string | null): Section {
  switch (desc) {
    case 'COMMENT':
    case 'ACL':
    case 'ACL LANGUAGE':
      return Section.None;
    case 'TABLE DATA':
    case 'BLOBS':
    case 'BLOB COMMENTS':
      return Section.Data;
    case 'CONSTRAINT':
    case 'CHECK CONSTRAINT':
    case 'FK CONSTRAINT':
    case 'INDEX':
    case 'RULE':
    case 'TRIGGER':
      return Section.PostData;
    default:
      return Section.PreData;
  }
}

/** Short fields, copied into the names arena as the TOC is read. */
const NAME_FIELDS = ['tableoid', 'oid', 'tag', 'desc', 'namespace', 'tablespace', 'tableam', 'owner', 'withOids'] as const;
/** SQL texts, left in the source and read when asked for. */
const TEXT_FIELDS = ['defn', 'dropStmt', 'copyStmt'] as const;
export type NameField = (typeof NAME_FIELDS)[number];
type TextField = (typeof TEXT_FIELDS)[number];
const SLOT: Record<NameField | TextField, number> = Object.fromEntries(
  [...NAME_FIELDS, ...TEXT_FIELDS].map((f, i) => [f, i * 2]),
) as Record<NameField | TextField, number>;
const STRIDE = (NAME_FIELDS.length + TEXT_FIELDS.length) * 2;
/** Fields that repeat across entries (types, schemas, owners): decoded once per distinct value. */
const INTERNED: ReadonlySet<string> = new Set(['tableoid', 'desc', 'namespace', 'tablespace', 'tableam', 'owner', 'withOids']);

const PARTITION_ROOT_MARKER = Buffer.from('-- load via partition root ');

function sameBytes(b: Buffer, x: number, y: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[x + i] !== b[y + i]) return false;
  return true;
}

/** Reads `len` bytes at `pos` of the archive's TOC source (the file, or toc.dat in memory). */
export type TextSource = (pos: number, len: number) => Buffer;

/**
 * The TOC's strings. Names live in one arena as (offset, length) pairs, SQL texts stay in the
 * source as (position, length) pairs; both are decoded on demand, since decoding a large TOC
 * up front costs more than everything else together.
 */
export class TocStrings {
  readonly names: Arena;
  /** STRIDE ints per entry: (offset, length) per name field, then (position, length) per text. */
  refs: Int32Array;
  used = 0;
  encoding: BufferEncoding = 'utf8';
  /** Dependency IDs of all entries, one after another; each entry knows its start and count. */
  deps = new Int32Array(1 << 16);
  depsUsed = 0;
  readText: TextSource = () => {
    throw new Error('the archive is closed');
  };
  private readonly interned = new Map<number, { at: number; len: number; value: string }>();

  constructor(expectedEntries: number) {
    this.names = new Arena(expectedEntries * 48);
    this.refs = new Int32Array(Math.max(expectedEntries, 16) * STRIDE);
  }

  /** Offset in `names.buf` and length (-1 = NULL) of a name field. */
  nameAt(base: number, field: NameField): number {
    return this.refs[base + SLOT[field]]!;
  }

  length(base: number, field: NameField | TextField): number {
    return this.refs[base + SLOT[field] + 1]!;
  }

  get(base: number, field: NameField | TextField): string | null {
    const at = this.refs[base + SLOT[field]]!;
    const len = this.refs[base + SLOT[field] + 1]!;
    if (len < 0) return null;
    if (len === 0) return '';
    if (field === 'defn' || field === 'dropStmt' || field === 'copyStmt') return this.readText(at, len).toString(this.encoding);
    const bytes = this.names.buf;
    if (!INTERNED.has(field) || len > 64) return bytes.toString(this.encoding, at, at + len);
    let hash = len;
    for (let i = at; i < at + len; i++) hash = (Math.imul(hash, 31) + bytes[i]!) | 0;
    const hit = this.interned.get(hash);
    if (hit && hit.len === len && sameBytes(bytes, hit.at, at, len)) return hit.value;
    const value = bytes.toString(this.encoding, at, at + len);
    if (!hit) this.interned.set(hash, { at, len, value });
    return value;
  }

  textStartsWith(base: number, field: TextField, prefix: Buffer): boolean {
    const len = this.length(base, field);
    if (len < prefix.length) return false;
    return this.readText(this.refs[base + SLOT[field]]!, prefix.length).equals(prefix);
  }
}

/** What `EntryParser.parse` returns when an entry runs past the bytes in the window. */
const OVERRUN = -1;

interface VersionGates {
  tableoid: boolean;
  section: boolean;
  copyStmt: boolean;
  namespace: boolean;
  tablespace: boolean;
  tableam: boolean;
  relkind: boolean;
  withOids: boolean;
  deps: boolean;
  offsetFlag: boolean;
}

/**
 * Parses one TOC entry straight out of a window of bytes with a local cursor; this is the hot
 * loop of `list`. Fixed-size fields land in its own fields, strings in `TocStrings`. One
 * instance is reused for every entry.
 */
class EntryParser {
  b: Buffer = Buffer.alloc(0);
  p = 0;
  lim = 0;
  atEnd = false;
  /** Source position of b[0]. */
  origin = 0;
  base = 0;
  entryNo = 0;
  overrun = false;

  dumpId = 0;
  hadDumper = false;
  section = 0;
  relkind = 0;
  depCount = 0;
  offsetFlag = 0;
  offset = 0;
  fileName: string | null = null;

  constructor(
    private readonly strings: TocStrings,
    private readonly has: VersionGates,
    private readonly intSize: number,
    private readonly offSize: number,
    private readonly custom: boolean,
    private readonly label: string,
    private readonly count: number,
  ) {}

  private where(): string {
    return `TOC entry ${this.entryNo + 1} of ${this.count}`;
  }

  private int(): number {
    const p = this.p;
    if (p + 1 + this.intSize > this.lim) {
      if (this.atEnd) throw new DumpError('truncated', `${this.label} ends unexpectedly in ${this.where()}: the file is truncated`);
      this.overrun = true;
      return 0;
    }
    const b = this.b;
    let value = 0;
    for (let k = this.intSize; k >= 1; k--) value = value * 256 + b[p + k]!;
    this.p = p + 1 + this.intSize;
    return b[p] !== 0 ? -value : value;
  }

  /** A string's length (-1 = NULL), checked against the window and the file. */
  private length(): number {
    const len = this.int();
    if (len > this.lim - this.p) {
      if (this.atEnd) {
        throw new DumpError('corrupt', `${this.label}: a string in ${this.where()} claims ${len} bytes, more than the file holds; the archive is corrupt or truncated`);
      }
      this.overrun = true;
      return 0;
    }
    return len < 0 ? -1 : len;
  }

  private name(slot: number, present: boolean): void {
    const len = present ? this.length() : -1;
    const refs = this.strings.refs;
    refs[this.base + slot] = this.strings.names.used;
    refs[this.base + slot + 1] = len;
    if (len > 0 && !this.overrun) {
      this.strings.names.append(this.b, this.p, len);
      this.p += len;
    }
  }

  private text(slot: number, present: boolean): void {
    const len = present ? this.length() : -1;
    const refs = this.strings.refs;
    refs[this.base + slot] = this.origin + this.p;
    refs[this.base + slot + 1] = len;
    if (len > 0 && !this.overrun) this.p += len;
  }

  /** Parses the entry at b[p]; returns the index after it, or OVERRUN. */
  parse(): number {
    const has = this.has;
    this.overrun = false;
    this.dumpId = this.int();
    this.hadDumper = this.int() !== 0;
    if (this.overrun) return OVERRUN;
    if (this.dumpId <= 0) throw new DumpError('corrupt', `${this.label}: ${this.where()} has dump ID ${this.dumpId}; the TOC is corrupt`);
    this.name(SLOT.tableoid, has.tableoid);
    this.name(SLOT.oid, true);
    this.name(SLOT.tag, true);
    this.name(SLOT.desc, true);
    this.section = has.section ? this.int() : 0;
    if (this.overrun) return OVERRUN;
    if (has.section && (this.section < Section.None || this.section > Section.PostData)) {
      throw new DumpError('corrupt', `${this.label}: ${this.where()} (dump ID ${this.dumpId}) has section ${this.section}; the TOC is corrupt`);
    }
    this.text(SLOT.defn, true);
    this.text(SLOT.dropStmt, true);
    this.text(SLOT.copyStmt, has.copyStmt);
    this.name(SLOT.namespace, has.namespace);
    this.name(SLOT.tablespace, has.tablespace);
    this.name(SLOT.tableam, has.tableam);
    this.relkind = has.relkind ? this.int() : 0;
    this.name(SLOT.owner, true);
    this.name(SLOT.withOids, has.withOids);
    if (this.overrun) return OVERRUN;
    this.depCount = 0;
    if (has.deps) {
      for (;;) {
        const len = this.length();
        if (this.overrun) return OVERRUN;
        if (len < 0) break;
        const b = this.b;
        let dep = len > 0 && len < 10 ? 0 : Number.NaN;
        for (let k = this.p; k < this.p + len; k++) {
          const d = b[k]! - 48;
          dep = d >= 0 && d <= 9 ? dep * 10 + d : Number.NaN;
        }
        this.p += len;
        if (!Number.isNaN(dep)) this.pushDep(dep);
      }
    }
    this.fileName = null;
    if (this.custom && has.offsetFlag) {
      const p = this.p;
      if (p + 1 + this.offSize > this.lim) {
        if (this.atEnd) throw new DumpError('truncated', `${this.label} ends unexpectedly in ${this.where()}: the file is truncated`);
        return OVERRUN;
      }
      this.offsetFlag = this.b[p]!;
      let value = 0;
      for (let k = this.offSize; k >= 1; k--) value = value * 256 + this.b[p + k]!;
      if (value > Number.MAX_SAFE_INTEGER) throw new DumpError('corrupt', `${this.label}: the data offset of ${this.where()} is not plausible`);
      this.offset = value;
      this.p = p + 1 + this.offSize;
    } else if (this.custom) {
      const pos = this.int();
      this.int();
      this.offsetFlag = pos < 0 ? K_OFFSET_POS_NOT_SET : pos === 0 ? K_OFFSET_NO_DATA : K_OFFSET_POS_SET;
      this.offset = pos;
    } else {
      const len = this.length();
      if (len > 0 && !this.overrun) this.fileName = this.b.toString('utf8', this.p, this.p + len);
      if (len > 0) this.p += len;
    }
    return this.overrun ? OVERRUN : this.p;
  }

  private pushDep(dep: number): void {
    const s = this.strings;
    if (s.depsUsed + this.depCount >= s.deps.length) {
      const grown = new Int32Array(s.deps.length * 2);
      grown.set(s.deps);
      s.deps = grown;
    }
    s.deps[s.depsUsed + this.depCount++] = dep;
  }
}

/**
 * ReadToc: `count` entries, each field gated by the archive version. The format-specific tail
 * is an offset in custom archives and a file name in directory and tar ones. An entry that
 * runs past the reader's window is parsed again after the window has grown.
 */
export function readToc(r: ByteReader, header: ArchiveHeader, label: string, custom: boolean): { entries: TocEntry[]; strings: TocStrings } {
  const vn = versionNumber(header.version);
  // Size the stores by the count, but never beyond what the remaining bytes could hold.
  const expected = Math.min(header.tocCount, Math.floor((r.size - r.position) / 40) + 1);
  const strings = new TocStrings(expected);
  const entries: TocEntry[] = [];
  const has: VersionGates = {
    tableoid: vn >= v(1, 8),
    section: vn >= v(1, 11),
    copyStmt: vn >= v(1, 3),
    namespace: vn >= v(1, 6),
    tablespace: vn >= v(1, 10),
    tableam: vn >= v(1, 14),
    relkind: vn >= v(1, 16),
    withOids: vn >= v(1, 9),
    deps: vn >= v(1, 5),
    offsetFlag: vn >= v(1, 7),
  };
  const f = new EntryParser(strings, has, r.intSize, r.offSize, custom, label, header.tocCount);
  let chunk = 1 << 16;
  for (let i = 0; i < header.tocCount; i++) {
    if (strings.used + STRIDE > strings.refs.length) {
      const grown = new Int32Array(strings.refs.length * 2);
      grown.set(strings.refs);
      strings.refs = grown;
    }
    const namesMark = strings.names.used;
    f.base = strings.used;
    f.entryNo = i;
    for (;;) {
      const at = r.prefetch(chunk);
      f.b = r.window;
      f.p = at;
      f.lim = r.windowEnd;
      f.atEnd = r.windowAtEnd;
      f.origin = r.position - at;
      const end = f.parse();
      if (end !== OVERRUN) {
        r.advance(end - at);
        break;
      }
      strings.names.used = namesMark; // roll back, and try again with a larger window
      chunk *= 2;
    }
    strings.used = f.base + STRIDE;
    const depStart = strings.depsUsed;
    strings.depsUsed += f.depCount;

    let data: DataLocation | null = null;
    if (custom) {
      if (f.offsetFlag === K_OFFSET_POS_SET) data = { kind: 'offset', offset: f.offset };
      else if (f.offsetFlag === K_OFFSET_POS_NOT_SET) data = { kind: 'offset-not-set' };
      else if (f.offsetFlag === K_OFFSET_NO_DATA) data = { kind: 'no-data' };
      else throw new DumpError('corrupt', `${label}: unexpected data offset flag ${f.offsetFlag} in TOC entry ${i + 1}; the TOC is corrupt`);
      if (!f.hadDumper && data.kind !== 'offset') data = null;
    } else if (f.fileName) {
      data = { kind: 'file', name: f.fileName };
    }
    const relkind = f.relkind > 0 ? String.fromCharCode(f.relkind) : null;
    const entry = new TocEntryView(strings, f.base, f.dumpId, f.hadDumper, f.section || Section.PreData, relkind, depStart, f.depCount, data);
    if (!has.section) (entry as { section: Section }).section = sectionFromDesc(entry.desc);
    entries.push(entry);
  }
  if (r.position > 0x7fffffff) throw new DumpError('unsupported', `${label}: a TOC larger than 2 GB is not supported`);
  return { entries, strings };
}

/** client_encoding names whose bytes must be kept one-to-one rather than decoded as UTF-8. */
function bufferEncodingFor(defn: string | null): BufferEncoding {
  const m = /client_encoding\s*=\s*'([^']*)'/i.exec(defn ?? '');
  const name = (m?.[1] ?? 'UTF8').toUpperCase().replace(/[-_]/g, '');
  return name === 'UTF8' || name === 'UNICODE' ? 'utf8' : 'latin1';
}

/**
 * Sets how the TOC's strings are read once the source is known: `readText` fetches SQL texts,
 * and the ENCODING entry (if any) says how to decode everything.
 */
export function attachSource(strings: TocStrings, entries: readonly TocEntry[], readText: TextSource): void {
  strings.readText = readText;
  const encodingEntry = entries.find((e) => e.desc === 'ENCODING');
  strings.encoding = encodingEntry ? bufferEncodingFor(encodingEntry.defn) : 'utf8';
}

/** A TOC entry whose strings are read from `TocStrings` when asked for. */
export class TocEntryView implements TocEntry {
  dataSize: number | null = null;
  /** Read at once: every use of an entry starts by asking what kind it is. */
  readonly desc: string | null;

  constructor(
    readonly strings: TocStrings,
    readonly base: number,
    readonly dumpId: number,
    readonly hadDumper: boolean,
    readonly section: Section,
    readonly relkind: string | null,
    private readonly depStart: number,
    private readonly depCount: number,
    public data: DataLocation | null,
  ) {
    this.desc = strings.get(base, 'desc');
  }

  get dependencies(): number[] {
    return Array.from(this.strings.deps.subarray(this.depStart, this.depStart + this.depCount));
  }

  get tableoid() {
    return this.strings.get(this.base, 'tableoid');
  }
  get oid() {
    return this.strings.get(this.base, 'oid');
  }
  get tag() {
    return this.strings.get(this.base, 'tag');
  }
  get defn() {
    return this.strings.get(this.base, 'defn');
  }
  get dropStmt() {
    return this.strings.get(this.base, 'dropStmt');
  }
  get copyStmt() {
    return this.strings.get(this.base, 'copyStmt');
  }
  get namespace() {
    return this.strings.get(this.base, 'namespace');
  }
  get tablespace() {
    return this.strings.get(this.base, 'tablespace');
  }
  get tableam() {
    return this.strings.get(this.base, 'tableam');
  }
  get owner() {
    return this.strings.get(this.base, 'owner');
  }
  get withOids() {
    return this.strings.get(this.base, 'withOids');
  }

  get hasDefinition(): boolean {
    if (this.strings.length(this.base, 'defn') <= 0) return false;
    // Only TABLE DATA entries of partitions carry the marker; other defns need no read.
    return this.desc !== 'TABLE DATA' || !this.strings.textStartsWith(this.base, 'defn', PARTITION_ROOT_MARKER);
  }
}
