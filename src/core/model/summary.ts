import { formatBytes } from '../units';
import { formatCreated, listedFlags } from './listing';
import type { Archive, ArchiveHeader, PlainDumpHeader } from './types';

/**
 * What the archive summary editor shows at the top: where the dump came from and what it holds,
 * read from the header and TOC only (no data is read).
 */
export interface ArchiveSummary {
  /** The database pg_dump dumped (`dbname` in the header); null in very old archives. */
  database: string | null;
  /** The server version as pg_dump recorded it ("Dumped from database version"), e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  serverVersion: string | null;
  /** "Dumped by pg_dump version". */
  pgDumpVersion: string | null;
  /** The dump host's wall clock, as `pg_restore -l` prints it (no zone is stored). */
  created: string;
  format: Archive['format'];
  container: Archive['container'];
  /** `custom`, `directory`, `tar`, or `directory inside a zip file`. */
  formatText: string;
  /** `1.14-0`, as `pg_restore -l` prints "Dump Version". */
  archiveVersion: string;
  /** `gzip`, `gzip, level 6`, `none`, `lz4`, `zstd`. */
  compression: string;
  /** Every TOC entry, hidden ones included. */
  entries: number;
  /** The entries `pg_restore -l` lists (it hides ENCODING, STDSTRINGS, SEARCHPATH, DATABASE, …). */
  listedEntries: number;
  /** Entries whose data pg_dump stored separately (TABLE DATA, BLOBS, …). */
  dataEntries: number;
  /** Stored (compressed) bytes of all entries' data whose size is known. */
  dataBytes: number;
  dataText: string;
  /** Data entries whose stored size is not known. */
  dataSizeUnknown: number;
  /** client_encoding of the ENCODING entry, e.g. `UTF8`; null when the archive has none. */
  encoding: string | null;
  /** standard_conforming_strings of the STDSTRINGS entry: `on` / `off`; null when none. */
  standardConformingStrings: string | null;
}

const CONTAINER_NAMES = { file: '', directory: '', tar: 'a tar file', zip: 'a zip file' } as const;

/** `directory inside a zip file`: a directory dump someone packed up; pg_restore cannot read it there. */
function formatText(a: Archive): string {
  const wrapped = a.format === 'directory' && (a.container === 'tar' || a.container === 'zip');
  return wrapped ? `directory inside ${CONTAINER_NAMES[a.container]}` : a.format;
}

/**
 * Before 1.15 the header stores a zlib level (-1: zlib's default, 0: none); from 1.15 on it
 * names the algorithm and keeps no level.
 */
export function compressionText(h: ArchiveHeader | PlainDumpHeader): string {
  if (h.compressionLevel === null) return h.compression;
  if (h.compressionLevel === 0) return 'none';
  return h.compressionLevel < 0 ? 'gzip, default level' : `gzip, level ${h.compressionLevel}`;
}

/** The value set by an ENCODING or STDSTRINGS entry's `SET name = 'value';`. */
function setValue(defn: string | null, name: string): string | null {
  const m = new RegExp(`${name}\\s*=\\s*'([^']*)'`, 'i').exec(defn ?? '');
  return m ? m[1]! : null;
}

/** `listed`: listedFlags(a), when the caller has them already. */
export function summarizeArchive(a: Archive, listed: Uint8Array = listedFlags(a)): ArchiveSummary {
  const h = a.header;
  let listedCount = 0;
  for (const flag of listed) listedCount += flag;
  let dataEntries = 0;
  let dataBytes = 0;
  let dataSizeUnknown = 0;
  let encoding: string | null = null;
  let stdStrings: string | null = null;
  for (const e of a.entries) {
    if (e.hadDumper) {
      dataEntries++;
      if (e.dataSize === null) dataSizeUnknown++;
      else dataBytes += e.dataSize;
    }
    if (e.desc === 'ENCODING') encoding = setValue(e.defn, 'client_encoding');
    else if (e.desc === 'STDSTRINGS') stdStrings = setValue(e.defn, 'standard_conforming_strings');
  }
  return {
    database: h.dbname,
    serverVersion: h.serverVersion,
    pgDumpVersion: h.pgDumpVersion,
    created: formatCreated(h.createdAt),
    format: a.format,
    container: a.container,
    formatText: formatText(a),
    archiveVersion: h.version ? `${h.version.major}.${h.version.minor}-${h.version.rev}` : 'none (a plain SQL script)',
    compression: compressionText(h),
    entries: a.entries.length,
    listedEntries: listedCount,
    dataEntries,
    dataBytes,
    dataText: formatBytes(dataBytes),
    dataSizeUnknown,
    encoding,
    standardConformingStrings: stdStrings,
  };
}
