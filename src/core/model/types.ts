import type { TocTable } from '../formats/archive/toc';

/** The archive model shared by every reader: what `pg_restore` reads from a header and TOC. */

/** `teSection` in pg_backup.h; the numbers are what the archive stores. */
export enum Section {
  None = 1,
  PreData = 2,
  Data = 3,
  PostData = 4,
}

export const SECTION_NAMES: Record<Section, string> = {
  [Section.None]: 'none',
  [Section.PreData]: 'pre-data',
  [Section.Data]: 'data',
  [Section.PostData]: 'post-data',
};

/** The archive formats pg_restore reads (with a TOC), and plain SQL scripts (no TOC: an index of their comment headers). */
export type ArchiveFormat = 'custom' | 'directory' | 'tar' | 'plain';
export type TocFormat = Exclude<ArchiveFormat, 'plain'>;

/** Compression algorithms, numbered as pg_compress_algorithm stores them on disk (1.15+). */
export type CompressionAlgorithm = 'none' | 'gzip' | 'lz4' | 'zstd';

export interface ArchiveVersion {
  major: number;
  minor: number;
  rev: number;
}

/** The wall-clock time of the pg_dump host; no zone is stored, so none is invented. */
export interface WallClock {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  isDst: number;
}

export interface ArchiveHeader {
  version: ArchiveVersion;
  intSize: number;
  offSize: number;
  /** The format byte as stored: 1 custom, 3 tar (also directory toc.dat), 5 directory. */
  formatByte: number;
  compression: CompressionAlgorithm;
  /** Archives before 1.15 store a zlib level (-1 default, 0 none, 1-9); null from 1.15 on. */
  compressionLevel: number | null;
  createdAt: WallClock | null;
  dbname: string | null;
  serverVersion: string | null;
  pgDumpVersion: string | null;
  tocCount: number;
}

/** Where an entry's data lives; absent when the entry has none. */
export type DataLocation =
  | { kind: 'offset'; offset: number } // custom, K_OFFSET_POS_SET
  | { kind: 'offset-not-set' } // custom written to a pipe
  | { kind: 'no-data' } // custom, K_OFFSET_NO_DATA
  | { kind: 'file'; name: string } // directory and tar: the member / file name as stored
  | { kind: 'range'; offset: number; length: number }; // plain: bytes of the (decompressed) SQL text

export interface TocEntry {
  dumpId: number;
  hadDumper: boolean;
  tableoid: string | null;
  oid: string | null;
  tag: string | null;
  desc: string | null;
  section: Section;
  defn: string | null;
  /**
   * Whether `defn` creates something: not NULL, not "", and not the `-- load via partition
   * root` marker of a TABLE DATA entry. Known without decoding `defn`.
   */
  hasDefinition: boolean;
  dropStmt: string | null;
  copyStmt: string | null;
  namespace: string | null;
  tablespace: string | null;
  tableam: string | null;
  /** pg_class.relkind as a one-letter string (1.16+), null when not stored or 0. */
  relkind: string | null;
  owner: string | null;
  withOids: string | null;
  dependencies: number[];
  data: DataLocation | null;
  /** Bytes of stored (possibly compressed) data; null when unknown or the entry has none. */
  dataSize: number | null;
}

/** Data that is missing or cut short, found without reading every data byte. */
export interface DataProblem {
  dumpId: number;
  problem: 'missing' | 'incomplete' | 'corrupt';
  detail: string;
}

/**
 * What a plain SQL dump says about itself, in the comments pg_dump writes at its top: the
 * archive-only fields are null (a script has no format version, integer sizes or creation time).
 */
export interface PlainDumpHeader {
  version: null;
  intSize: null;
  offSize: null;
  formatByte: null;
  /** How the file is compressed (`.sql.gz`, …); the SQL inside is text. */
  compression: CompressionAlgorithm;
  compressionLevel: null;
  createdAt: null;
  /** From the DATABASE entry (`pg_dump --create`) or the `\connect` of a pg_dumpall part; else null. */
  dbname: string | null;
  /** `-- Dumped from database version X`. */
  serverVersion: string | null;
  /** `-- Dumped by pg_dump version X`. */
  pgDumpVersion: string | null;
  /** Number of object sections (entries). */
  tocCount: number;
}

interface ArchiveCommon {
  path: string;
  /** How the archive reached us: as itself, or inside a tar or zip file. */
  container: 'file' | 'directory' | 'tar' | 'zip';
  /** One object per entry, in TOC order (plain dumps: file order); made on first use. */
  readonly entries: TocEntry[];
  /** How TOC strings were decoded: UTF-8, or byte for byte for other client encodings. */
  stringEncoding: 'utf8' | 'latin1';
  /** Problems with data found while indexing (cheap checks only). */
  dataProblems: DataProblem[];
  /**
   * Custom archives: entries whose data offset pg_dump left unset, as it does when writing to a
   * pipe (the reader finds their data by walking the blocks). pg_restore must read through the
   * file to find such data. Absent for other formats.
   */
  unsetOffsets?: number;
}

/** An archive with a TOC: custom, directory or tar. */
export interface TocArchive extends ArchiveCommon {
  format: TocFormat;
  header: ArchiveHeader;
  /** The TOC as columns, for readers of every entry (the listing) that need no objects. */
  table: TocTable;
}

/** A plain SQL dump seen through its index: entries made from pg_dump's comment headers. */
export interface PlainArchive extends ArchiveCommon {
  format: 'plain';
  header: PlainDumpHeader;
  table?: undefined;
}

/** Switch on `format` where the two differ: only archives have a format version and a TOC table. */
export type Archive = TocArchive | PlainArchive;
