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

/** Short fields, kept in the names arena as the TOC is read. */
const NAME_FIELDS = ['tableoid', 'oid', 'tag', 'desc', 'namespace', 'tablespace', 'tableam', 'owner', 'withOids'] as const;
/** SQL texts, left in the source and read when asked for. */
const TEXT_FIELDS = ['defn', 'dropStmt', 'copyStmt'] as const;
export type NameField = (typeof NAME_FIELDS)[number];
type TextField = (typeof TEXT_FIELDS)[number];
const SLOT: Record<NameField | TextField, number> = Object.fromEntries(
  [...NAME_FIELDS, ...TEXT_FIELDS].map((f, i) => [f, i * 2]),
) as Record<NameField | TextField, number>;
const STRIDE = (NAME_FIELDS.length + TEXT_FIELDS.length) * 2;
/**
 * Fields whose values repeat across entries (types, schemas, owners): each distinct value is
 * kept once in the arena and decoded once, and an entry's slot holds the value's id.
 */
const INTERNED: Readonly<Record<NameField, boolean>> = {
  tableoid: true,
  oid: false,
  tag: false,
  desc: true,
  namespace: true,
  tablespace: true,
  tableam: true,
  owner: true,
  withOids: true,
};
const S_DEFN = SLOT.defn;
const S_DESC = SLOT.desc;

const PARTITION_ROOT_MARKER = Buffer.from('-- load via partition root ');

/** Data location kinds, as stored in `TocTable.dataKind`. */
const DATA_NONE = 0;
const DATA_OFFSET = 1;
const DATA_OFFSET_NOT_SET = 2;
const DATA_NO_DATA = 3;
const DATA_FILE = 4;

/** Reads `len` bytes at `pos` of the archive's TOC source (the file, or toc.dat in memory). */
export type TextSource = (pos: number, len: number) => Buffer;

/**
 * The distinct values of the repeating name fields, each stored once in the names arena and
 * decoded on first use: a TOC of 90,000 entries has a few dozen types, schemas and owners.
 */
export class Interner {
  /** Open addressing: id + 1 per slot, 0 when free. */
  private slots = new Int32Array(1024);
  /** Arena offset, length and hash of each value, by id. */
  at = new Int32Array(256);
  len = new Int32Array(256);
  private hashes = new Int32Array(256);
  private strings: (string | undefined)[] = [];
  count = 0;

  constructor(private readonly arena: Arena) {}

  /** The id of the `len` (> 0) bytes at `b[p]`, stored on first sight. */
  intern(b: Buffer, p: number, len: number): number {
    let h = len;
    for (let k = p; k < p + len; k++) h = (Math.imul(h, 31) + b[k]!) | 0;
    const mask = this.slots.length - 1;
    let s = h & mask;
    for (;;) {
      const e = this.slots[s]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] === h && this.len[id] === len && this.equal(id, b, p)) return id;
      s = (s + 1) & mask;
    }
    const id = this.count++;
    if (id === this.at.length) {
      this.at = grow(this.at);
      this.len = grow(this.len);
      this.hashes = grow(this.hashes);
    }
    this.at[id] = this.arena.used;
    this.len[id] = len;
    this.hashes[id] = h;
    this.arena.append(b, p, len);
    this.slots[s] = id + 1;
    if (this.count * 2 > mask) this.rehash();
    return id;
  }

  private equal(id: number, b: Buffer, p: number): boolean {
    const a = this.arena.buf;
    const at = this.at[id]!;
    const len = this.len[id]!;
    for (let k = 0; k < len; k++) if (a[at + k] !== b[p + k]) return false;
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let id = 0; id < this.count; id++) {
      let s = this.hashes[id]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = id + 1;
    }
    this.slots = slots;
  }

  string(id: number, encoding: BufferEncoding): string {
    let s = this.strings[id];
    if (s === undefined) {
      const at = this.at[id]!;
      s = this.arena.buf.toString(encoding, at, at + this.len[id]!);
      this.strings[id] = s;
    }
    return s;
  }

  /** Forgets the decoded strings (the encoding has changed). */
  forgetStrings(): void {
    this.strings = [];
  }
}

function grow<T extends Int32Array | Uint8Array | Float64Array>(a: T, fill = 0): T {
  const next = new (a.constructor as new (n: number) => T)(a.length * 2);
  next.set(a);
  if (fill) next.fill(fill, a.length);
  return next;
}

/**
 * The TOC as columns: one slot per entry in typed arrays, names in one arena, SQL texts left
 * in the source. Nothing is decoded and no object is made per entry until someone asks:
 * for a TOC of 90,000 entries that is most of the cost of reading it. `entries` gives the
 * usual one-object-per-entry view, made on first use.
 */
export class TocTable {
  count = 0;
  readonly names: Arena;
  readonly interner: Interner;
  /**
   * STRIDE ints per entry: per name field (arena offset, or value id when interned; length),
   * then per text (source position, length). A length of -1 is NULL; an empty or NULL
   * interned value has id -1.
   */
  refs: Int32Array;
  dumpId: Int32Array;
  hadDumper: Uint8Array;
  section: Uint8Array;
  relkind: Uint8Array;
  depStart: Int32Array;
  depCount: Int32Array;
  dataKind: Uint8Array;
  dataOffset: Float64Array;
  /** Stored bytes of each entry's data; NaN when unknown or none. */
  dataSize: Float64Array;
  /** Data file names of directory and tar archives, by entry. */
  readonly fileNames = new Map<number, string>();
  /** Dependency IDs of all entries, one after another. */
  deps = new Int32Array(1 << 16);
  depsUsed = 0;
  encoding: BufferEncoding = 'utf8';
  readText: TextSource = () => {
    throw new Error('the archive is closed');
  };
  private views: TocEntry[] | null = null;

  constructor(expectedEntries: number) {
    const n = Math.max(expectedEntries, 16);
    this.names = new Arena(n * 24);
    this.interner = new Interner(this.names);
    this.refs = new Int32Array(n * STRIDE);
    this.dumpId = new Int32Array(n);
    this.hadDumper = new Uint8Array(n);
    this.section = new Uint8Array(n);
    this.relkind = new Uint8Array(n);
    this.depStart = new Int32Array(n);
    this.depCount = new Int32Array(n);
    this.dataKind = new Uint8Array(n);
    this.dataOffset = new Float64Array(n);
    this.dataSize = new Float64Array(n).fill(Number.NaN);
  }

  /** Makes room for one more entry. */
  reserve(): void {
    if (this.count < this.dumpId.length) return;
    this.refs = grow(this.refs);
    this.dumpId = grow(this.dumpId);
    this.hadDumper = grow(this.hadDumper);
    this.section = grow(this.section);
    this.relkind = grow(this.relkind);
    this.depStart = grow(this.depStart);
    this.depCount = grow(this.depCount);
    this.dataKind = grow(this.dataKind);
    this.dataOffset = grow(this.dataOffset);
    this.dataSize = grow(this.dataSize, Number.NaN);
  }

  /** Offset in `names.buf` of a name field of entry `i` (when its length is above 0). */
  nameAt(i: number, field: NameField): number {
    const ref = this.refs[i * STRIDE + SLOT[field]]!;
    return INTERNED[field] ? (ref < 0 ? 0 : this.interner.at[ref]!) : ref;
  }

  /** Length of a field of entry `i`; -1 is NULL. */
  length(i: number, field: NameField | TextField): number {
    return this.refs[i * STRIDE + SLOT[field] + 1]!;
  }

  /**
   * The id of entry `i`'s value of a repeating field (desc, namespace, owner, …), the same
   * for every entry with the same bytes; -1 for NULL or "". `interned(id)` decodes it.
   */
  internId(i: number, field: Exclude<NameField, 'oid' | 'tag'>): number {
    return this.refs[i * STRIDE + SLOT[field]]!;
  }

  /** The id of entry `i`'s desc (see internId). */
  descId(i: number): number {
    return this.refs[i * STRIDE + S_DESC]!;
  }

  /** The value of an id from internId, decoded once. */
  interned(id: number): string {
    return this.interner.string(id, this.encoding);
  }

  get(i: number, field: NameField | TextField): string | null {
    const slot = i * STRIDE + SLOT[field];
    const ref = this.refs[slot]!;
    const len = this.refs[slot + 1]!;
    if (len < 0) return null;
    if (len === 0) return '';
    if (field === 'defn' || field === 'dropStmt' || field === 'copyStmt') return this.readText(ref, len).toString(this.encoding);
    if (INTERNED[field]) return this.interner.string(ref, this.encoding);
    return this.names.buf.toString(this.encoding, ref, ref + len);
  }

  /** Whether a name field starts with `prefix` (ASCII), without decoding it. */
  nameStartsWith(i: number, field: NameField, prefix: string): boolean {
    const len = this.length(i, field);
    if (len < prefix.length) return false;
    const at = this.nameAt(i, field);
    for (let k = 0; k < prefix.length; k++) if (this.names.buf[at + k] !== prefix.charCodeAt(k)) return false;
    return true;
  }

  tagStartsWith(i: number, prefix: string): boolean {
    return this.nameStartsWith(i, 'tag', prefix);
  }

  /** Whether `defn` creates something: not NULL, not "", not a partition's data marker. */
  hasDefinition(i: number, desc: string | null): boolean {
    const len = this.refs[i * STRIDE + S_DEFN + 1]!;
    if (len <= 0) return false;
    // Only TABLE DATA entries of partitions carry the marker; other defns need no read.
    if (desc !== 'TABLE DATA' || len < PARTITION_ROOT_MARKER.length) return true;
    return !this.readText(this.refs[i * STRIDE + S_DEFN]!, PARTITION_ROOT_MARKER.length).equals(PARTITION_ROOT_MARKER);
  }

  dependencies(i: number): number[] {
    const start = this.depStart[i]!;
    return Array.from(this.deps.subarray(start, start + this.depCount[i]!));
  }

  data(i: number): DataLocation | null {
    switch (this.dataKind[i]) {
      case DATA_OFFSET:
        return { kind: 'offset', offset: this.dataOffset[i]! };
      case DATA_OFFSET_NOT_SET:
        return { kind: 'offset-not-set' };
      case DATA_NO_DATA:
        return { kind: 'no-data' };
      case DATA_FILE:
        return { kind: 'file', name: this.fileNames.get(i)! };
      default:
        return null;
    }
  }

  setData(i: number, data: DataLocation | null): void {
    if (!data) this.dataKind[i] = DATA_NONE;
    else if (data.kind === 'offset') {
      this.dataKind[i] = DATA_OFFSET;
      this.dataOffset[i] = data.offset;
    } else if (data.kind === 'offset-not-set') this.dataKind[i] = DATA_OFFSET_NOT_SET;
    else if (data.kind === 'no-data') this.dataKind[i] = DATA_NO_DATA;
    else if (data.kind === 'range') throw new Error('a TOC entry has no byte range of SQL text (plain dumps only)');
    else {
      this.dataKind[i] = DATA_FILE;
      this.fileNames.set(i, data.name);
    }
  }

  /** The entries as objects, made on first use. */
  get entries(): TocEntry[] {
    if (!this.views) {
      const views: TocEntry[] = new Array(this.count);
      for (let i = 0; i < this.count; i++) views[i] = new TocEntryView(this, i);
      this.views = views;
    }
    return this.views;
  }
}

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
 * Parses TOC entries straight out of a window of bytes with a local cursor into rows of a
 * TocTable; this is the hot loop of `list`. One instance is reused for every window.
 */
class EntryParser {
  b: Buffer = Buffer.alloc(0);
  p = 0;
  lim = 0;
  atEnd = false;
  /** Source position of b[0]. */
  origin = 0;
  private i = 0;
  private base = 0;
  private overrun = false;
  private depCount = 0;
  private readonly intBytes: number;

  constructor(
    private readonly t: TocTable,
    private readonly has: VersionGates,
    private readonly intSize: number,
    private readonly offSize: number,
    private readonly custom: boolean,
    private readonly label: string,
    private readonly count: number,
  ) {
    this.intBytes = 1 + intSize;
  }

  private where(): string {
    return `TOC entry ${this.i + 1} of ${this.count}`;
  }

  /**
   * Parses entries from row `first` on until all are read or the next one runs past the
   * window; returns how many it parsed (0: the window is too small for the next entry), with
   * `p` just after the last one.
   */
  parseSome(first: number): number {
    const t = this.t;
    let i = first;
    while (i < this.count) {
      const start = this.p;
      t.reserve();
      this.i = i;
      this.base = i * STRIDE;
      this.overrun = false;
      this.depCount = 0;
      if (!this.parse()) {
        // Names this part-read entry added stay unused in the arena: a few bytes per window.
        this.p = start;
        break;
      }
      t.depStart[i] = t.depsUsed;
      t.depCount[i] = this.depCount;
      t.depsUsed += this.depCount;
      t.count = i + 1;
      if (!this.has.section) t.section[i] = sectionFromDesc(t.get(i, 'desc'));
      i++;
    }
    return i - first;
  }

  private int(): number {
    const p = this.p;
    if (p + this.intBytes > this.lim) {
      if (this.atEnd) throw new DumpError('truncated', `${this.label} ends unexpectedly in ${this.where()}: the file is truncated`);
      this.overrun = true;
      return 0;
    }
    const b = this.b;
    let value: number;
    if (this.intSize === 4) value = b[p + 1]! + b[p + 2]! * 0x100 + b[p + 3]! * 0x10000 + b[p + 4]! * 0x1000000;
    else {
      value = 0;
      for (let k = this.intSize; k >= 1; k--) value = value * 256 + b[p + k]!;
    }
    this.p = p + this.intBytes;
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

  /** A name field, copied into the arena. */
  private name(slot: number, present: boolean): void {
    const len = present ? this.length() : -1;
    const refs = this.t.refs;
    refs[this.base + slot] = this.t.names.used;
    refs[this.base + slot + 1] = len;
    if (len > 0 && !this.overrun) {
      this.t.names.append(this.b, this.p, len);
      this.p += len;
    }
  }

  /** A repeating name field, stored once per distinct value. */
  private repeated(slot: number, present: boolean): void {
    const len = present ? this.length() : -1;
    const refs = this.t.refs;
    refs[this.base + slot + 1] = len;
    if (len > 0 && !this.overrun) {
      refs[this.base + slot] = this.t.interner.intern(this.b, this.p, len);
      this.p += len;
    } else refs[this.base + slot] = -1;
  }

  private text(slot: number, present: boolean): void {
    const len = present ? this.length() : -1;
    const refs = this.t.refs;
    refs[this.base + slot] = this.origin + this.p;
    refs[this.base + slot + 1] = len;
    if (len > 0 && !this.overrun) this.p += len;
  }

  /** Parses the entry at b[p] into row i; false when it runs past the window. */
  private parse(): boolean {
    const has = this.has;
    const t = this.t;
    const i = this.i;
    const dumpId = this.int();
    const hadDumper = this.int();
    if (this.overrun) return false;
    if (dumpId <= 0) throw new DumpError('corrupt', `${this.label}: ${this.where()} has dump ID ${dumpId}; the TOC is corrupt`);
    t.dumpId[i] = dumpId;
    t.hadDumper[i] = hadDumper !== 0 ? 1 : 0;
    this.repeated(SLOT.tableoid, has.tableoid);
    this.name(SLOT.oid, true);
    this.name(SLOT.tag, true);
    this.repeated(SLOT.desc, true);
    const section = has.section ? this.int() : 0;
    if (this.overrun) return false;
    if (has.section && (section < Section.None || section > Section.PostData)) {
      throw new DumpError('corrupt', `${this.label}: ${this.where()} (dump ID ${dumpId}) has section ${section}; the TOC is corrupt`);
    }
    t.section[i] = section;
    this.text(SLOT.defn, true);
    this.text(SLOT.dropStmt, true);
    this.text(SLOT.copyStmt, has.copyStmt);
    this.repeated(SLOT.namespace, has.namespace);
    this.repeated(SLOT.tablespace, has.tablespace);
    this.repeated(SLOT.tableam, has.tableam);
    const relkind = has.relkind ? this.int() : 0;
    t.relkind[i] = relkind > 0 && relkind < 256 ? relkind : 0;
    this.repeated(SLOT.owner, true);
    this.repeated(SLOT.withOids, has.withOids);
    if (this.overrun) return false;
    if (has.deps) {
      for (;;) {
        const len = this.length();
        if (this.overrun) return false;
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
    if (this.custom && has.offsetFlag) {
      const p = this.p;
      if (p + 1 + this.offSize > this.lim) {
        if (this.atEnd) throw new DumpError('truncated', `${this.label} ends unexpectedly in ${this.where()}: the file is truncated`);
        return false;
      }
      const flag = this.b[p]!;
      let value = 0;
      for (let k = this.offSize; k >= 1; k--) value = value * 256 + this.b[p + k]!;
      if (value > Number.MAX_SAFE_INTEGER) throw new DumpError('corrupt', `${this.label}: the data offset of ${this.where()} is not plausible`);
      this.p = p + 1 + this.offSize;
      this.setOffset(flag, value);
    } else if (this.custom) {
      const pos = this.int();
      this.int();
      if (this.overrun) return false;
      this.setOffset(pos < 0 ? K_OFFSET_POS_NOT_SET : pos === 0 ? K_OFFSET_NO_DATA : K_OFFSET_POS_SET, pos);
    } else {
      const len = this.length();
      if (this.overrun) return false;
      t.dataKind[i] = DATA_NONE;
      if (len > 0) {
        t.dataKind[i] = DATA_FILE;
        t.fileNames.set(i, this.b.toString('utf8', this.p, this.p + len));
        this.p += len;
      }
    }
    return true;
  }

  private setOffset(flag: number, value: number): void {
    const t = this.t;
    const i = this.i;
    if (flag === K_OFFSET_POS_SET) {
      t.dataKind[i] = DATA_OFFSET;
      t.dataOffset[i] = value;
    } else if (flag === K_OFFSET_POS_NOT_SET) t.dataKind[i] = DATA_OFFSET_NOT_SET;
    else if (flag === K_OFFSET_NO_DATA) t.dataKind[i] = DATA_NO_DATA;
    else throw new DumpError('corrupt', `${this.label}: unexpected data offset flag ${flag} in ${this.where()}; the TOC is corrupt`);
    // Only entries with a data dumper have data, whatever their flag says.
    if (!t.hadDumper[i] && t.dataKind[i] !== DATA_OFFSET) t.dataKind[i] = DATA_NONE;
  }

  private pushDep(dep: number): void {
    const t = this.t;
    if (t.depsUsed + this.depCount >= t.deps.length) {
      const grown = new Int32Array(t.deps.length * 2);
      grown.set(t.deps);
      t.deps = grown;
    }
    t.deps[t.depsUsed + this.depCount++] = dep;
  }
}

/**
 * ReadToc: `count` entries, each field gated by the archive version. The format-specific tail
 * is an offset in custom archives and a file name in directory and tar ones. Entries are
 * parsed a window at a time; one that runs past the window is parsed again once it has moved
 * on (or grown, for an entry larger than the window).
 */
export function readToc(r: ByteReader, header: ArchiveHeader, label: string, custom: boolean): TocTable {
  const vn = versionNumber(header.version);
  // Size the table by the count, but never beyond what the remaining bytes could hold.
  const expected = Math.min(header.tocCount, Math.floor((r.size - r.position) / 40) + 1);
  const t = new TocTable(expected);
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
  const f = new EntryParser(t, has, r.intSize, r.offSize, custom, label, header.tocCount);
  let chunk = 1 << 16;
  for (let i = 0; i < header.tocCount; ) {
    const at = r.prefetch(chunk);
    f.b = r.window;
    f.p = at;
    f.lim = r.windowEnd;
    f.atEnd = r.windowAtEnd;
    f.origin = r.position - at;
    const parsed = f.parseSome(i);
    r.advance(f.p - at);
    if (parsed === 0) chunk *= 2; // one entry larger than the window
    i += parsed;
  }
  if (r.position > 0x7fffffff) throw new DumpError('unsupported', `${label}: a TOC larger than 2 GB is not supported`);
  return t;
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
export function attachSource(t: TocTable, readText: TextSource): void {
  t.readText = readText;
  for (let i = 0; i < t.count; i++) {
    if (t.get(i, 'desc') === 'ENCODING') {
      t.encoding = bufferEncodingFor(t.get(i, 'defn'));
      if (t.encoding !== 'utf8') t.interner.forgetStrings();
      return;
    }
  }
}

/** One entry of a TocTable, read from its columns when asked for. */
export class TocEntryView implements TocEntry {
  constructor(
    readonly table: TocTable,
    readonly index: number,
  ) {}

  get dumpId() {
    return this.table.dumpId[this.index]!;
  }
  get hadDumper() {
    return this.table.hadDumper[this.index] === 1;
  }
  get section(): Section {
    return this.table.section[this.index]! as Section;
  }
  get relkind() {
    const code = this.table.relkind[this.index]!;
    return code > 0 ? String.fromCharCode(code) : null;
  }
  get dependencies() {
    return this.table.dependencies(this.index);
  }
  get data() {
    return this.table.data(this.index);
  }
  set data(value: DataLocation | null) {
    this.table.setData(this.index, value);
  }
  get dataSize() {
    const size = this.table.dataSize[this.index]!;
    return Number.isNaN(size) ? null : size;
  }
  set dataSize(value: number | null) {
    this.table.dataSize[this.index] = value ?? Number.NaN;
  }
  get tableoid() {
    return this.table.get(this.index, 'tableoid');
  }
  get oid() {
    return this.table.get(this.index, 'oid');
  }
  get tag() {
    return this.table.get(this.index, 'tag');
  }
  get desc() {
    return this.table.get(this.index, 'desc');
  }
  get defn() {
    return this.table.get(this.index, 'defn');
  }
  get dropStmt() {
    return this.table.get(this.index, 'dropStmt');
  }
  get copyStmt() {
    return this.table.get(this.index, 'copyStmt');
  }
  get namespace() {
    return this.table.get(this.index, 'namespace');
  }
  get tablespace() {
    return this.table.get(this.index, 'tablespace');
  }
  get tableam() {
    return this.table.get(this.index, 'tableam');
  }
  get owner() {
    return this.table.get(this.index, 'owner');
  }
  get withOids() {
    return this.table.get(this.index, 'withOids');
  }
  get hasDefinition(): boolean {
    return this.table.hasDefinition(this.index, this.desc);
  }
}
