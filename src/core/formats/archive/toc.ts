import { DumpError } from '../../errors';
import {
  type ArchiveHeader,
  type ArchiveVersion,
  type CompressionAlgorithm,
  type DataLocation,
  Section,
  type TocEntry,
} from '../../model/types';
import type { ByteReader } from './byteReader';

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

/** Short fields: names, types, catalog IDs. */
const NAME_FIELDS = ['tableoid', 'oid', 'tag', 'desc', 'namespace', 'tablespace', 'tableam', 'owner', 'withOids'] as const;
/** SQL texts. */
const TEXT_FIELDS = ['defn', 'dropStmt', 'copyStmt'] as const;
export type NameField = (typeof NAME_FIELDS)[number];
type TextField = (typeof TEXT_FIELDS)[number];
const SLOT: Record<NameField | TextField, number> = Object.fromEntries([...NAME_FIELDS, ...TEXT_FIELDS].map((f, i) => [f, i])) as Record<
  NameField | TextField,
  number
>;
/** One int per field and entry: where the field's length (and after it, its bytes) is in the TOC's bytes. */
const STRIDE = NAME_FIELDS.length + TEXT_FIELDS.length;
/** Fields whose values repeat across entries (types, schemas, owners): decoded once per distinct value. */
const REPEATING: Readonly<Record<NameField, boolean>> = {
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
/** Where each entry's fields sit in `TocTable.refs`, for readers of every entry (the listing). */
export const TOC_SLOTS = { stride: STRIDE, ...SLOT } as const;
const S_DEFN = SLOT.defn;

const PARTITION_ROOT_MARKER = Buffer.from('-- load via partition root ');

/** Data location kinds, as stored in `TocTable.dataKind`. */
export const DATA_NONE = 0;
export const DATA_OFFSET = 1;
export const DATA_OFFSET_NOT_SET = 2;
export const DATA_NO_DATA = 3;
export const DATA_FILE = 4;

/**
 * Told of each TOC entry as soon as it is read, while its bytes are still in the processor's
 * cache: `list` writes its listing in the same pass as the TOC is read. `begin` comes first, with
 * the table whose rows `entry` names; `bytes` is set (and the encoding not yet known) meanwhile.
 */
export interface TocListener {
  begin(t: TocTable): void;
  entry(i: number): void;
}

/** Reads `len` bytes at `pos` of the archive's TOC source (the file, or toc.dat in memory). */
export type TextSource = (pos: number, len: number) => Buffer;

/**
 * The distinct values of a repeating name field, each decoded once: a TOC of 90,000 entries has
 * a few dozen types, schemas and owners. A value is known by where it first occurs in the TOC's
 * bytes.
 */
export class Interner {
  /** Open addressing: id + 1 per slot, 0 when free. */
  private slots = new Int32Array(1024);
  /** Position in the TOC's bytes, length and hash of each value, by id. */
  at = new Int32Array(256);
  len = new Int32Array(256);
  private hashes = new Int32Array(256);
  private strings: (string | undefined)[] = [];
  count = 0;

  /** The id of the `len` (> 0) bytes at `b[p]` (b: the TOC's bytes), noted on first sight. */
  intern(b: Buffer, p: number, len: number): number {
    let h = len;
    for (let k = p; k < p + len; k++) h = (Math.imul(h, 31) + b[k]!) | 0;
    const mask = this.slots.length - 1;
    let s = h & mask;
    for (;;) {
      const e = this.slots[s]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.hashes[id] === h && this.len[id] === len && sameBytes(b, this.at[id]!, p, len)) return id;
      s = (s + 1) & mask;
    }
    const id = this.count++;
    if (id === this.at.length) {
      this.at = grow(this.at);
      this.len = grow(this.len);
      this.hashes = grow(this.hashes);
    }
    this.at[id] = p;
    this.len[id] = len;
    this.hashes[id] = h;
    this.slots[s] = id + 1;
    if (this.count * 2 > mask) this.rehash();
    return id;
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

  string(id: number, b: Buffer, encoding: BufferEncoding): string {
    let s = this.strings[id];
    if (s === undefined) {
      const at = this.at[id]!;
      s = b.toString(encoding, at, at + this.len[id]!);
      this.strings[id] = s;
    }
    return s;
  }

  /** Forgets the decoded strings (the encoding has changed). */
  forgetStrings(): void {
    this.strings = [];
  }
}

/** Whether `b` holds `expected` at `at`. */
function sameAs(b: Buffer, at: number, expected: Buffer): boolean {
  for (let k = 0; k < expected.length; k++) if (b[at + k] !== expected[k]) return false;
  return true;
}

function sameBytes(b: Buffer, x: number, y: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (b[x + k] !== b[y + k]) return false;
  return true;
}

function grow<T extends Int32Array | Uint8Array | Float64Array>(a: T, fill = 0): T {
  const next = new (a.constructor as new (n: number) => T)(a.length * 2);
  next.set(a);
  if (fill) next.fill(fill, a.length);
  return next;
}

/**
 * The TOC as columns: one slot per entry in typed arrays, each name and SQL text a position and
 * length in the TOC's bytes, which are kept. Nothing is decoded, copied or made per entry until
 * someone asks: for a TOC of 90,000 entries that is most of the cost of reading it. `entries`
 * gives the usual one-object-per-entry view, made on first use.
 */
export class TocTable {
  count = 0;
  /** The TOC's bytes (from the archive's start, or toc.dat's): every position in `refs` is an index in them. */
  bytes: Buffer = Buffer.alloc(0);
  /** Where in `bytes` the first entry starts (the entry count is the int before it), and where the last one ends. */
  entriesStart = 0;
  entriesEnd = 0;
  /** The entries' descs, noted as the TOC is read (`descId`). */
  readonly descs = new Interner();
  /** The other repeating fields' values, noted when asked for. */
  private readonly repeating = new Interner();
  /**
   * STRIDE ints per entry, one per name field, then per text: the position in `bytes` of the
   * field's length (its bytes follow), or -1 for a field this archive version does not store
   * (NULL). Lengths are read from the bytes (`lengthAt`): a table of 90,000 entries is half the
   * memory it would be with them beside the positions.
   */
  refs: Int32Array;
  /** The archive's integer size (the bytes of a length after its sign byte). */
  intSize = 4;
  /** Each entry's desc as an id of `descs`; -1 for NULL or "". */
  descId: Int32Array;
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
  deps: Int32Array;
  depsUsed = 0;
  /**
   * Custom archives: the TOC positions of the entries with data (a dumper, and an offset set or
   * not set), in TOC order, and how many of them have no offset (output written to a pipe).
   * Noted while the TOC is read, so that nothing loops over all entries again for them.
   */
  withData: Int32Array = new Int32Array(0);
  unsetOffsets = 0;
  encoding: BufferEncoding = 'utf8';
  private views: TocEntry[] | null = null;

  constructor(expectedEntries: number) {
    const n = Math.max(expectedEntries, 16);
    this.refs = new Int32Array(n * STRIDE);
    this.descId = new Int32Array(n);
    this.dumpId = new Int32Array(n);
    this.hadDumper = new Uint8Array(n);
    this.section = new Uint8Array(n);
    this.relkind = new Uint8Array(n);
    this.depStart = new Int32Array(n);
    this.depCount = new Int32Array(n);
    this.dataKind = new Uint8Array(n);
    this.dataOffset = new Float64Array(n);
    this.dataSize = new Float64Array(n).fill(Number.NaN);
    // Room for four dependencies an entry (pg_dump's TOCs have one or two): growing it while
    // the TOC is read would throw away the parse loop V8 has optimised by then.
    this.deps = new Int32Array(Math.max(1 << 16, n * 4));
  }

  /** Makes room for one more entry. */
  reserve(): void {
    if (this.count < this.dumpId.length) return;
    this.refs = grow(this.refs);
    this.descId = grow(this.descId);
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

  /** The length stored at `at` in `bytes` (a refs value); -1 is NULL (or a field not stored). */
  lengthAt(at: number): number {
    if (at < 0) return -1;
    const n = intAt(this.bytes, at, this.intSize);
    return n < 0 ? -1 : n;
  }

  /** Position in `bytes` of a name field of entry `i`. */
  nameAt(i: number, field: NameField): number {
    const at = this.refs[i * STRIDE + SLOT[field]]!;
    return at < 0 ? -1 : at + 1 + this.intSize;
  }

  /**
   * Where entry `i` starts in `bytes`: its dump ID and data-dumper ints come before its first
   * field (tableoid from archive version 1.8 on, else oid, which every version stores).
   */
  entryStart(i: number): number {
    const first = this.fieldAt(i, 'tableoid') >= 0 ? this.fieldAt(i, 'tableoid') : this.fieldAt(i, 'oid');
    return first - 2 * (1 + this.intSize);
  }

  /** Where entry `i` ends in `bytes`: where the next one starts. */
  entryEnd(i: number): number {
    return i + 1 < this.count ? this.entryStart(i + 1) : this.entriesEnd;
  }

  /** Position in `bytes` of where a field of entry `i` is stored (its length, then its bytes); -1 when it is not. */
  fieldAt(i: number, field: NameField | TextField): number {
    return this.refs[i * STRIDE + SLOT[field]]!;
  }

  /** Length of a field of entry `i`; -1 is NULL. */
  length(i: number, field: NameField | TextField): number {
    return this.lengthAt(this.refs[i * STRIDE + SLOT[field]]!);
  }

  /** A desc id (see `descId`), decoded once. */
  descOf(id: number): string {
    return this.descs.string(id, this.bytes, this.encoding);
  }

  get(i: number, field: NameField | TextField): string | null {
    // The desc (asked for most, by every pass over the entries) straight from its id; NULL and "" below.
    if (field === 'desc' && this.descId[i]! >= 0) return this.descOf(this.descId[i]!);
    const ref = this.refs[i * STRIDE + SLOT[field]]!;
    const len = this.lengthAt(ref);
    if (len < 0) return null;
    if (len === 0) return '';
    const at = ref + 1 + this.intSize;
    if (field === 'desc') return this.descOf(this.descId[i]!);
    if (field !== 'defn' && field !== 'dropStmt' && field !== 'copyStmt' && REPEATING[field]) {
      return this.repeating.string(this.repeating.intern(this.bytes, at, len), this.bytes, this.encoding);
    }
    return this.bytes.toString(this.encoding, at, at + len);
  }

  /** Forgets decoded strings: the encoding has changed. */
  forgetStrings(): void {
    this.descs.forgetStrings();
    this.repeating.forgetStrings();
  }

  /** Whether a name field starts with `prefix` (ASCII), without decoding it. */
  nameStartsWith(i: number, field: NameField, prefix: string): boolean {
    const len = this.length(i, field);
    if (len < prefix.length) return false;
    const at = this.nameAt(i, field);
    for (let k = 0; k < prefix.length; k++) if (this.bytes[at + k] !== prefix.charCodeAt(k)) return false;
    return true;
  }

  tagStartsWith(i: number, prefix: string): boolean {
    return this.nameStartsWith(i, 'tag', prefix);
  }

  /** Whether `defn` creates something: not NULL, not "", not a partition's data marker. */
  hasDefinition(i: number, desc: string | null): boolean {
    const ref = this.refs[i * STRIDE + S_DEFN]!;
    const len = this.lengthAt(ref);
    if (len <= 0) return false;
    // Only TABLE DATA entries of partitions carry the marker; other defns need no read.
    if (desc !== 'TABLE DATA' || len < PARTITION_ROOT_MARKER.length) return true;
    return !sameAs(this.bytes, ref + 1 + this.intSize, PARTITION_ROOT_MARKER);
  }

  dependencies(i: number): number[] {
    const start = this.depStart[i]!;
    return Array.from(this.deps.subarray(start, start + this.depCount[i]!));
  }

  /** Where the first data block starts: the least offset an entry's data has (Infinity when none is known). */
  firstDataOffset(): number {
    let first = Infinity;
    for (let i = 0; i < this.count; i++) if (this.dataKind[i] === DATA_OFFSET && this.dataOffset[i]! < first) first = this.dataOffset[i]!;
    return first;
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

/** What the fields between an entry's `hadDumper` and its dependencies are, in archive order. */
const OP_NAME = 0;
/** The desc: a position, and its id among the descs. */
const OP_DESC = 1;
const OP_TEXT = 2;
/** A string field this archive version does not store: NULL. */
const OP_ABSENT = 3;
const OP_SECTION = 4;
const OP_RELKIND = 5;
/** A field of this archive version that holds nothing we keep (relkind before 1.16: none). */
const OP_SKIP = 6;

/** The field program of an archive version: one (slot << 4 | op) per field, in file order. */
function fieldProgram(has: VersionGates): Int32Array {
  const op = (field: NameField | TextField, kind: number, present: boolean) => (SLOT[field] << 4) | (present ? kind : OP_ABSENT);
  const name = (field: NameField, present = true) => op(field, field === 'desc' ? OP_DESC : OP_NAME, present);
  return Int32Array.from([
    name('tableoid', has.tableoid),
    name('oid'),
    name('tag'),
    name('desc'),
    has.section ? OP_SECTION : OP_SKIP,
    op('defn', OP_TEXT, true),
    op('dropStmt', OP_TEXT, true),
    op('copyStmt', OP_TEXT, has.copyStmt),
    name('namespace', has.namespace),
    name('tablespace', has.tablespace),
    name('tableam', has.tableam),
    has.relkind ? OP_RELKIND : OP_SKIP,
    name('owner'),
    name('withOids', has.withOids),
  ]);
}

/** A sign-magnitude int of `size` bytes at b[p] (sign byte first, then least significant first). */
function intAt(b: Buffer, p: number, size: number): number {
  let value = 0;
  for (let k = size; k >= 1; k--) value = value * 256 + b[p + k]!;
  return b[p] !== 0 ? -value : value;
}

/**
 * Parses TOC entries straight out of a window of bytes into rows of a TocTable: the hot loop
 * of `list` and of opening a dump. It runs once per archive, mostly before V8 has optimised it,
 * so it is one loop over a small field program with the cursor in a local, not a call per field.
 */
class EntryParser {
  b: Buffer = Buffer.alloc(0);
  p = 0;
  lim = 0;
  atEnd = false;
  private readonly ops: Int32Array;
  /** Custom archives: entries with data, and how many of those have no offset (TocTable.withData). */
  withData: Int32Array;
  nData = 0;
  unset = 0;
  /** The desc id of the entry read last. */
  private lastDesc = -1;
  /**
   * Called when the entry at `p` (row `i`) runs past the window: shows the parser more of the
   * TOC (`b`, `lim`, `atEnd`) and returns true, or returns false to stop there.
   */
  more: ((p: number, i: number) => boolean) | null = null;

  constructor(
    private readonly t: TocTable,
    private readonly has: VersionGates,
    private readonly intSize: number,
    private readonly offSize: number,
    private readonly custom: boolean,
    private readonly label: string,
    private readonly count: number,
    private readonly listener: TocListener | null,
  ) {
    this.ops = fieldProgram(has);
    this.withData = new Int32Array(custom ? Math.max(t.dumpId.length, 16) : 0);
  }

  private where(i: number): string {
    return `TOC entry ${i + 1} of ${this.count}`;
  }

  private truncated(i: number): DumpError {
    return new DumpError('truncated', `${this.label} ends unexpectedly in ${this.where(i)}: the file is truncated`);
  }

  private tooLong(i: number, len: number): DumpError {
    return new DumpError('corrupt', `${this.label}: a string in ${this.where(i)} claims ${len} bytes, more than the file holds; the archive is corrupt or truncated`);
  }

  /**
   * Parses entries from row `first` on until all are read or the next one runs past the
   * window; returns how many it parsed (0: the window is too small for the next entry), with
   * `p` just after the last one.
   */
  parseSome(first: number): number {
    // Everything the loop touches is in a local: until V8 has optimised the loop (most of the
    // first ten thousand entries), each property read and each call costs as much as the work.
    const t = this.t;
    let b = this.b;
    let lim = this.lim;
    let atEnd = this.atEnd;
    const more = this.more;
    const ops = this.ops;
    const nops = ops.length;
    const isz = this.intSize;
    const ib = 1 + isz;
    const descs = t.descs;
    const listener = this.listener;
    const hasDeps = this.has.deps;
    const hasSection = this.has.section;
    // Custom archives from 1.7 on end an entry with a flag byte and an offset, read here.
    const offsetTail = this.custom && this.has.offsetFlag;
    const osz = this.offSize;
    const refs = t.refs;
    const dumpIds = t.dumpId;
    const hadDumpers = t.hadDumper;
    const relkinds = t.relkind;
    const sections = t.section;
    const descIds = t.descId;
    const depStarts = t.depStart;
    const depCounts = t.depCount;
    // Rows are reserved by the caller: the loop stops at the table's capacity.
    const stop = Math.min(this.count, dumpIds.length);
    let deps = t.deps;
    let depsUsed = t.depsUsed;
    let lastDesc = this.lastDesc;
    let p = this.p;
    let i = first;
    let short = false;
    entries: while (i < stop) {
      const start = p;
      const base = i * STRIDE;
      // The one place that asks for more of the TOC: before an entry that may not fit, or
      // again at the start of one that ran past the window (`short`, set where it ran out).
      if (short || p + 2 * ib > lim) {
        if (atEnd && !short) throw this.truncated(i);
        short = false;
        if (more !== null && more(p, i)) {
          b = this.b;
          lim = this.lim;
          atEnd = this.atEnd;
          continue;
        }
        break;
      }
      let dumpId = isz === 4 ? (b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) + b[p + 4]! * 0x1000000 : intAt(b, p, isz);
      if (isz === 4 && b[p] !== 0) dumpId = -dumpId;
      if (dumpId <= 0) throw new DumpError('corrupt', `${this.label}: ${this.where(i)} has dump ID ${dumpId}; the TOC is corrupt`);
      dumpIds[i] = dumpId;
      // hadDumper: only whether it is 0 matters.
      const d = p + ib;
      hadDumpers[i] = isz === 4 ? ((b[d + 1]! | b[d + 2]! | b[d + 3]! | b[d + 4]!) !== 0 ? 1 : 0) : intAt(b, d, isz) !== 0 ? 1 : 0;
      p += 2 * ib;
      relkinds[i] = 0;
      for (let k = 0; k < nops; k++) {
        const op = ops[k]!;
        const kind = op & 15;
        const slot = base + (op >> 4);
        if (kind === OP_ABSENT) {
          refs[slot] = -1;
          continue;
        }
        if (kind === OP_SKIP) continue;
        if (p + ib > lim) {
          if (atEnd) throw this.truncated(i);
          p = start;
          short = true;
          continue entries;
        }
        let n = isz === 4 ? (b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) + b[p + 4]! * 0x1000000 : intAt(b, p, isz);
        if (isz === 4 && b[p] !== 0) n = -n;
        p += ib;
        if (kind === OP_SECTION) {
          if (n < Section.None || n > Section.PostData) {
            throw new DumpError('corrupt', `${this.label}: ${this.where(i)} (dump ID ${dumpId}) has section ${n}; the TOC is corrupt`);
          }
          sections[i] = n;
          continue;
        }
        if (kind === OP_RELKIND) {
          relkinds[i] = n > 0 && n < 256 ? n : 0;
          continue;
        }
        if (n > lim - p) {
          if (atEnd) throw this.tooLong(i, n);
          p = start;
          short = true;
          continue entries;
        }
        refs[slot] = p - ib;
        if (n <= 0) {
          if (kind === OP_DESC) descIds[i] = -1;
          continue;
        }
        if (kind === OP_DESC) {
          // Runs of entries often share a desc: compare with the previous one before hashing.
          let id = lastDesc >= 0 && descs.len[lastDesc] === n ? lastDesc : -1;
          if (id >= 0) {
            const at = descs.at[id]!;
            for (let x = 0; x < n; x++) {
              if (b[at + x] !== b[p + x]) {
                id = -1;
                break;
              }
            }
          }
          if (id < 0) id = lastDesc = descs.intern(b, p, n);
          descIds[i] = id;
        }
        p += n;
      }
      // Dependencies: dump IDs as strings, ended by a NULL.
      let nDeps = 0;
      if (hasDeps) {
        for (;;) {
          if (p + ib > lim) {
            if (atEnd) throw this.truncated(i);
            p = start;
            short = true;
            continue entries;
          }
          let len = isz === 4 ? (b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) + b[p + 4]! * 0x1000000 : intAt(b, p, isz);
          if (isz === 4 && b[p] !== 0) len = -len;
          p += ib;
          if (len < 0) break;
          if (len > lim - p) {
            if (atEnd) throw this.tooLong(i, len);
            p = start;
            short = true;
            continue entries;
          }
          let dep = len > 0 && len < 10 ? 0 : Number.NaN;
          for (let k = p; k < p + len; k++) {
            const digit = b[k]! - 48;
            dep = digit >= 0 && digit <= 9 ? dep * 10 + digit : Number.NaN;
          }
          p += len;
          if (!Number.isNaN(dep)) {
            if (depsUsed + nDeps >= deps.length) deps = t.deps = grow(deps);
            deps[depsUsed + nDeps++] = dep;
          }
        }
      }
      if (offsetTail) {
        if (p + 1 + osz > lim) {
          if (atEnd) throw this.truncated(i);
          p = start;
          short = true;
          continue entries;
        }
        const flag = b[p]!;
        let value = 0;
        if (osz === 8) {
          // Two 32-bit halves, least significant first (as the loop below, in fewer steps).
          const lo = (b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16)) + b[p + 4]! * 0x1000000;
          const hi = (b[p + 5]! | (b[p + 6]! << 8) | (b[p + 7]! << 16)) + b[p + 8]! * 0x1000000;
          value = hi * 0x100000000 + lo;
        } else {
          for (let k = osz; k >= 1; k--) value = value * 256 + b[p + k]!;
        }
        if (value > Number.MAX_SAFE_INTEGER) throw new DumpError('corrupt', `${this.label}: the data offset of ${this.where(i)} is not plausible`);
        this.setOffset(i, flag, value);
        p += 1 + osz;
      } else {
        const end = this.tail(i, p);
        if (end < 0) {
          p = start;
          short = true;
          continue entries;
        }
        p = end;
      }
      depStarts[i] = depsUsed;
      depCounts[i] = nDeps;
      depsUsed += nDeps;
      if (!hasSection) sections[i] = sectionFromDesc(descIds[i]! < 0 ? null : descs.string(descIds[i]!, b, 'utf8'));
      if (listener !== null) listener.entry(i);
      i++;
    }
    t.count = i;
    t.depsUsed = depsUsed;
    this.p = p;
    this.lastDesc = lastDesc;
    return i - first;
  }

  /** The format's end of an entry at b[p]: its data's offset or file name. Returns the index after it, or -1 past the window. */
  private tail(i: number, p: number): number {
    const t = this.t;
    const b = this.b;
    const ib = 1 + this.intSize;
    if (this.custom && this.has.offsetFlag) {
      if (p + 1 + this.offSize > this.lim) {
        if (this.atEnd) throw this.truncated(i);
        return -1;
      }
      const flag = b[p]!;
      let value = 0;
      for (let k = this.offSize; k >= 1; k--) value = value * 256 + b[p + k]!;
      if (value > Number.MAX_SAFE_INTEGER) throw new DumpError('corrupt', `${this.label}: the data offset of ${this.where(i)} is not plausible`);
      this.setOffset(i, flag, value);
      return p + 1 + this.offSize;
    }
    if (this.custom) {
      if (p + 2 * ib > this.lim) {
        if (this.atEnd) throw this.truncated(i);
        return -1;
      }
      const pos = intAt(b, p, this.intSize);
      this.setOffset(i, pos < 0 ? K_OFFSET_POS_NOT_SET : pos === 0 ? K_OFFSET_NO_DATA : K_OFFSET_POS_SET, pos);
      return p + 2 * ib;
    }
    if (p + ib > this.lim) {
      if (this.atEnd) throw this.truncated(i);
      return -1;
    }
    const len = intAt(b, p, this.intSize);
    p += ib;
    if (len > this.lim - p) {
      if (this.atEnd) throw this.tooLong(i, len);
      return -1;
    }
    t.dataKind[i] = DATA_NONE;
    if (len > 0) {
      t.dataKind[i] = DATA_FILE;
      t.fileNames.set(i, b.toString('utf8', p, p + len));
      p += len;
    }
    return p;
  }

  private setOffset(i: number, flag: number, value: number): void {
    // Every column is written whatever the flag: a TOC's first entries (definitions) have no
    // data, and code V8 optimised on them would be thrown away at the first one that has.
    const t = this.t;
    const kind = flag === K_OFFSET_POS_SET ? DATA_OFFSET : flag === K_OFFSET_POS_NOT_SET ? DATA_OFFSET_NOT_SET : flag === K_OFFSET_NO_DATA ? DATA_NO_DATA : -1;
    if (kind < 0) throw new DumpError('corrupt', `${this.label}: unexpected data offset flag ${flag} in ${this.where(i)}; the TOC is corrupt`);
    // (No && or ||: every comparison is made for every entry, for the same reason.)
    const isOffset = kind === DATA_OFFSET ? 1 : 0;
    const isUnset = kind === DATA_OFFSET_NOT_SET ? 1 : 0;
    const isNoData = kind === DATA_NO_DATA ? 1 : 0;
    const dumper = t.hadDumper[i]!;
    t.dataOffset[i] = isOffset === 1 ? value : 0;
    // Only entries with a data dumper have data, whatever their flag says.
    t.dataKind[i] = (dumper | isOffset) !== 0 ? kind : DATA_NONE;
    const hasData = dumper & (1 - isNoData);
    if (this.nData === this.withData.length) this.withData = grow(this.withData);
    this.withData[this.nData] = i;
    this.nData += hasData;
    this.unset += hasData & isUnset;
  }
}

/** Bytes of TOC parsed before the rest is read: about a thousand entries of a pg_dump TOC. */
const WARM_UP = 1 << 18;

/**
 * ReadToc: `count` entries, each field gated by the archive version. The format-specific tail
 * is an offset in custom archives and a file name in directory and tar ones. Entries are
 * parsed a window at a time; one that runs past the window is parsed again once it has moved
 * on (or grown, for an entry larger than the window).
 */
export function readToc(r: ByteReader, header: ArchiveHeader, label: string, custom: boolean, listener: TocListener | null = null): TocTable {
  const vn = versionNumber(header.version);
  // Size the table by the count, but never beyond what the remaining bytes could hold.
  const expected = Math.min(header.tocCount, Math.floor((r.size - r.position) / 40) + 1);
  const t = new TocTable(expected);
  t.intSize = r.intSize;
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
  const f = new EntryParser(t, has, r.intSize, r.offSize, custom, label, header.tocCount, listener);
  listener?.begin(t);
  // The TOC's bytes are kept (names and texts are read from them): the window grows rather than
  // moves, to the size the entries read so far suggest for the whole TOC when the first guess
  // was short.
  r.keepAll();
  // The window is sized for the whole TOC at a generous 512 bytes an entry (capped at 64 MB; any
  // excess is trimmed below). Before that, the entries of the first WARM_UP bytes (already read
  // with the header) are parsed alone: V8 marks the parse loop (and the listener) for
  // optimisation meanwhile and compiles them on another thread while this one waits for the rest
  // of the TOC to be read, instead of running thousands of entries unoptimised (several times
  // slower) while it compiles. The parser asks for more (`more`) from inside its loop rather
  // than returning for it: a loop left and entered again is compiled by V8 once more.
  const tocStart = r.position;
  let chunk = Math.min(Math.max(header.tocCount * 512, 1 << 16), 1 << 26);
  let at = 0; // index in the window of the reader's position
  const show = (warm: number) => {
    at = r.prefetch(warm > 0 ? Math.min(warm, chunk) : chunk);
    // Positions are indexes in the window, which keeps its start (keepAll): the listener reads
    // the entries' names from it while the TOC is read.
    t.bytes = r.window;
    f.b = r.window;
    f.lim = warm > 0 ? Math.min(r.windowEnd, at + warm) : r.windowEnd;
    f.atEnd = r.windowAtEnd && f.lim === r.windowEnd;
  };
  let stuckAt = -1;
  f.more = (p, i) => {
    r.advance(p - at);
    if (i > 0) r.sizeHint = tocStart - r.windowStart + Math.ceil(((r.position - tocStart) / i) * header.tocCount * 1.05) + (1 << 16);
    if (r.position - r.windowStart > 0x7fffffff) throw new DumpError('unsupported', `${label}: a TOC larger than 2 GB is not supported`);
    // After the warm-up, the whole first guess; then 64 kB more each time (the window grows by
    // the size hint), doubled while one entry is larger than what the window holds.
    if (r.position === stuckAt) chunk = Math.max(chunk, 1 << 16) * 2;
    else if (stuckAt >= 0) chunk = 1 << 16;
    stuckAt = r.position;
    show(0);
    return true;
  };
  show(WARM_UP);
  f.p = at;
  for (let i = 0; i < header.tocCount; ) {
    t.reserve(); // room for more rows when the table is full (a count larger than the first guess)
    i += f.parseSome(i);
  }
  r.advance(f.p - at);
  // Kept without the bytes read beyond the TOC, when they are many.
  const used = r.position - r.windowStart;
  t.entriesStart = tocStart - r.windowStart;
  t.entriesEnd = used;
  t.bytes = r.window.length > used + (used >> 3) + (1 << 20) ? Buffer.from(r.window.subarray(0, used)) : r.window;
  t.withData = f.withData.subarray(0, f.nData);
  t.unsetOffsets = f.unset;
  return t;
}

/** client_encoding names whose bytes must be kept one-to-one rather than decoded as UTF-8. */
function bufferEncodingFor(defn: string | null): BufferEncoding {
  const m = /client_encoding\s*=\s*'([^']*)'/i.exec(defn ?? '');
  const name = (m?.[1] ?? 'UTF8').toUpperCase().replace(/[-_]/g, '');
  return name === 'UTF8' || name === 'UNICODE' ? 'utf8' : 'latin1';
}

/** Sets how the TOC's strings are decoded: as the ENCODING entry (if any) says. */
export function attachSource(t: TocTable): void {
  for (let i = 0; i < t.count; i++) {
    if (t.get(i, 'desc') === 'ENCODING') {
      t.encoding = bufferEncodingFor(t.get(i, 'defn'));
      if (t.encoding !== 'utf8') t.forgetStrings();
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
