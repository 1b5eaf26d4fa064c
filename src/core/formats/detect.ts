import { createReadStream, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { DumpError } from '../errors';
import type { Transform } from 'node:stream';
import { isJunkName } from '../io/directoryContainer';
import { indexTar, isTarHeader } from '../io/tarContainer';
import { openZipContainer } from '../io/zipContainer';
import { isClusterFolder } from '../dump/clusterFolder';
import { plainHeaderKind } from '../plain/header';
import { createDecompressor } from './compression';

export type PlainCompression = 'none' | 'gzip' | 'lz4' | 'zstd';

export type DetectedDump =
  | { kind: 'custom'; path: string }
  | { kind: 'directory'; path: string } // folder holding toc.dat or toc.dat.gz|.lz4|.zst
  | { kind: 'tar'; path: string } // pg_dump -Ft: first member is exactly `toc.dat`
  | { kind: 'wrapped-directory'; path: string; wrapper: 'tar' | 'zip'; root: string } // a directory dump inside a tar or zip
  | { kind: 'plain'; path: string; compression: PlainCompression } // pg_dump plain SQL
  | { kind: 'cluster'; path: string; compression: PlainCompression } // pg_dumpall, with databases
  | { kind: 'globals'; path: string; compression: PlainCompression }; // pg_dumpall --globals-only (or -r / -t)

/** How much of the (decompressed) start of a file is looked at to recognise it. */
const HEAD_SIZE = 64 * 1024;

/** Names pg_restore accepts for a directory dump's TOC (pg_dump itself writes only toc.dat). */
export const TOC_NAMES: readonly string[] = ['toc.dat', 'toc.dat.gz', 'toc.dat.lz4', 'toc.dat.zst'];

/** A directory dump is opened as its folder: the folder of `path` when `path` is its toc.dat, else undefined. */
export function directoryOfToc(path: string): string | undefined {
  return TOC_NAMES.includes(basename(path)) ? dirname(path) : undefined;
}

const EXPECTED = 'expected a custom archive (PGDMP), a tar or directory archive, or a plain SQL dump';

const COMPRESSION_NAMES: Record<PlainCompression, string> = { none: 'uncompressed', gzip: 'gzip', lz4: 'LZ4', zstd: 'zstd' };

/**
 * Says what kind of PostgreSQL dump `path` is, from its first bytes (and, for a tar or zip,
 * its member names). Anything that is not a dump is a one-line DumpError naming the file and
 * saying what it looks like instead.
 */
export async function detectDump(path: string): Promise<DetectedDump> {
  const label = basename(path) || path;
  let info: Stats;
  try {
    info = await stat(path);
  } catch (err) {
    throw fsError(err, path, label);
  }
  if (info.isDirectory()) return detectDirectory(path, label);
  if (!info.isFile()) throw new DumpError('not-a-dump', `${label} is not a regular file or folder; ${EXPECTED}`);
  if (info.size === 0) throw new DumpError('not-a-dump', `${label} is empty (0 bytes); expected a pg_dump archive or SQL dump`);

  let head: Buffer;
  try {
    head = await readHead(path, Math.min(HEAD_SIZE, info.size));
  } catch (err) {
    throw fsError(err, path, label);
  }

  if (startsWith(head, MAGIC.pgdmp)) return detectCustom(path, label, head, info.size);
  if (info.size >= 512 && isTarHeader(head.subarray(0, 512))) return detectTar(path, label);
  if (startsWith(head, MAGIC.zip) || startsWith(head, MAGIC.emptyZip)) return detectZip(path, label);
  const compression = compressionOf(head);
  if (compression !== 'none') return detectCompressed(path, label, compression);
  return detectText(path, label, head, 'none', null);
}

// ---------------------------------------------------------------------------------------------
// Directory

async function detectDirectory(path: string, label: string): Promise<DetectedDump> {
  let names: string[];
  try {
    names = await readdir(path);
  } catch (err) {
    throw fsError(err, path, label);
  }
  for (const name of TOC_NAMES) {
    if (names.includes(name) && (await isFile(join(path, name)))) return { kind: 'directory', path };
  }
  if (await isClusterFolder(path)) {
    throw new DumpError('cluster-dump', `folder ${label} is a cluster folder: its databases are the archives in it (${names.filter((n) => n.endsWith('.dump')).sort().join(', ') || 'none'}), its roles and tablespaces globals.sql; open one of those, or the folder in the Dumps view`);
  }
  // A friendlier hint when the user picked the folder above the dump.
  const nested: string[] = [];
  for (const name of names.sort()) {
    if (isJunkName(name) || !(await isDirectory(join(path, name)))) continue;
    if (await isFile(join(path, name, 'toc.dat'))) nested.push(name);
  }
  const hint = nested.length === 1 ? `; its subfolder ${nested[0]} is one, open that` : nested.length > 1 ? `; its subfolders ${nested.join(', ')} are, open one of them` : '';
  throw new DumpError('not-a-dump', `folder ${label} holds no toc.dat: not a directory-format dump${hint}`);
}

// ---------------------------------------------------------------------------------------------
// Custom archive (and other PGDMP files)

async function detectCustom(path: string, label: string, head: Buffer, fileSize: number): Promise<DetectedDump> {
  const cutShort = new DumpError('truncated', `${label} is cut short: it ends inside the pg_dump archive header (${fileSize} bytes)`);
  const vmaj = head[5];
  const vmin = head[6];
  if (vmaj === undefined || vmin === undefined) throw cutShort;
  const after10 = vmaj > 1 || (vmaj === 1 && vmin > 0);
  const from17 = vmaj > 1 || (vmaj === 1 && vmin >= 7);
  let p = 7;
  const vrev = after10 ? head[p++] : 0;
  const intSize = head[p++];
  const offSize = from17 ? head[p++] : intSize;
  const format = head[p++];
  if (vrev === undefined || intSize === undefined || offSize === undefined || format === undefined) throw cutShort;

  switch (format) {
    case 1:
      if (!headerFits(head, p, fileSize, vmaj, vmin, intSize)) throw cutShort;
      return { kind: 'custom', path };
    case 3:
    case 5:
      throw new DumpError(
        'not-a-dump',
        `${label} is the table of contents of a directory-format dump (a toc.dat file, format byte ${format}), not a dump by itself; open the folder that holds it`,
      );
    case 2:
      throw new DumpError('unsupported', `${label} is a pg_dump archive in the old "files" format (format byte 2), which current pg_restore no longer reads`);
    default:
      throw new DumpError(
        'not-a-dump',
        `${label} starts with PGDMP but its format byte is ${format}, which no pg_dump archive file has (1 is custom, 3 a tar or directory TOC)`,
      );
  }
}

/**
 * Whether the whole header of a custom archive is in the file: compression, creation time,
 * database name, version strings and the TOC count (pg_backup_archiver.c ReadHead). Only what
 * lies in `head` is checked; a header longer than that is left to the archive reader.
 */
function headerFits(head: Buffer, start: number, fileSize: number, vmaj: number, vmin: number, intSize: number): boolean {
  if (intSize < 1 || intSize > 32) return true; // nonsense the reader reports better
  const ver = vmaj * 256 + vmin;
  const at = (major: number, minor: number) => ver >= major * 256 + minor;
  const signed = ver > 256; // archive 1.0 has no sign byte
  let p = start;
  let gaveUp = false;
  const int = (): number | null => {
    if (p + (signed ? 1 : 0) + intSize > head.length) return null;
    const negative = signed && head[p] !== 0;
    if (signed) p++;
    let value = 0;
    for (let i = intSize - 1; i >= 0; i--) value = value * 256 + (head[p + i] ?? 0);
    p += intSize;
    return negative ? -value : value;
  };
  const str = (): boolean => {
    const len = int();
    if (len === null) return false;
    if (len > 0) {
      if (len > 1 << 20) {
        gaveUp = true; // an implausible length: corruption the reader reports better
        return false;
      }
      p += len;
    }
    return true;
  };
  const steps: (() => boolean)[] = [];
  if (at(1, 15)) steps.push(() => ((p += 1), true));
  else if (at(1, 4)) steps.push(() => int() !== null);
  else if (at(1, 2)) steps.push(() => ((p += 1), true));
  if (at(1, 4)) {
    for (let i = 0; i < 7; i++) steps.push(() => int() !== null);
    steps.push(str);
  }
  if (at(1, 10)) steps.push(str, str);
  steps.push(() => int() !== null);
  for (const step of steps) {
    if (!step()) return gaveUp || head.length < fileSize; // ran out of head, not of file
    if (p > fileSize) return false;
  }
  return p <= fileSize;
}

// ---------------------------------------------------------------------------------------------
// Tar and zip

async function detectTar(path: string, label: string): Promise<DetectedDump> {
  const index = await indexTar(path);
  const names = index.members.map((m) => m.name).filter((n) => !isJunkName(n));
  const hasCompressedData = names.some((n) => /\.dat\.(gz|lz4|zst)$/.test(n));
  if (names[0] === 'toc.dat' && !hasCompressedData) return { kind: 'tar', path };
  const root = wrappedRoot(names, label);
  if (root !== null) return { kind: 'wrapped-directory', path, wrapper: 'tar', root };
  throw new DumpError('not-a-dump', `${label} is a tar file but holds no pg_dump archive (no toc.dat member)${insideHint(names)}`);
}

async function detectZip(path: string, label: string): Promise<DetectedDump> {
  const container = await openZipContainer(path, '');
  const names = container.members.map((m) => m.name);
  await container.close();
  const root = wrappedRoot(names, label);
  if (root !== null) return { kind: 'wrapped-directory', path, wrapper: 'zip', root };
  throw new DumpError('not-a-dump', `${label} is a zip file but holds no pg_dump archive (no toc.dat member)${insideHint(names)}`);
}

/** The folder of the one directory dump among `names` ('' = top level), or null if none. */
function wrappedRoot(names: readonly string[], label: string): string | null {
  const roots = new Set<string>();
  for (const name of names) {
    if (isJunkName(name) || !TOC_NAMES.includes(posix.basename(name))) continue;
    const dir = posix.dirname(name);
    roots.add(dir === '.' ? '' : dir);
  }
  const list = [...roots];
  if (list.length > 1) {
    const shown = list.map((r) => (r === '' ? '(top level)' : `${r}/`)).join(', ');
    throw new DumpError('unsupported', `${label} holds ${list.length} directory-format dumps (${shown}); extract it and open one of the folders`);
  }
  return list[0] ?? null;
}

/** Names a dump-like file inside a tar or zip that holds no directory dump. */
function insideHint(names: readonly string[]): string {
  const candidates = names.filter((n) => !isJunkName(n) && /\.(dump|backup|bak|pgdump|tar|sql|sql\.gz|sql\.lz4|sql\.zst|gz)$/i.test(n));
  const first = candidates[0];
  if (first === undefined) return '';
  const more = candidates.length > 1 ? ` and ${candidates.length - 1} more` : '';
  return `; it holds ${first}${more}: extract it and open that`;
}

// ---------------------------------------------------------------------------------------------
// Compressed files and plain SQL

async function detectCompressed(path: string, label: string, compression: Exclude<PlainCompression, 'none'>): Promise<DetectedDump> {
  const source = new ByteSource(path, createDecompressor(compression, label));
  try {
    const head = await source.head(HEAD_SIZE);
    const name = COMPRESSION_NAMES[compression];
    const a = name === 'LZ4' ? 'an' : 'a';
    if (head.length === 0) {
      if (source.error) {
        throw new DumpError('corrupt', `${label} starts like ${a} ${name}-compressed file but cannot be decompressed: ${oneLineOf(source.error)}`, { cause: source.error });
      }
      throw new DumpError('not-a-dump', `${label} is ${name}-compressed but empty inside; expected a pg_dump archive or SQL dump`);
    }
    if (startsWith(head, MAGIC.pgdmp)) {
      throw new DumpError('unsupported', `${label} is ${a} ${name}-compressed pg_dump archive; decompress it first and open the result (pg_restore cannot read it compressed either)`);
    }
    if (head.length >= 512 && isTarHeader(head.subarray(0, 512))) {
      throw new DumpError('unsupported', `${label} is ${a} ${name}-compressed tar file; extract it first and open the dump inside`);
    }
    if (startsWith(head, MAGIC.zip)) {
      throw new DumpError('not-a-dump', `${label} is ${a} ${name}-compressed zip file, not a PostgreSQL dump`);
    }
    return await detectText(path, label, head, compression, source);
  } finally {
    source.close();
  }
}

/** Plain SQL from pg_dump or pg_dumpall, or a friendly account of what the bytes are instead. */
async function detectText(path: string, label: string, head: Buffer, compression: PlainCompression, source: ByteSource | null): Promise<DetectedDump> {
  const inner = compression === 'none' ? '' : `${COMPRESSION_NAMES[compression]}-compressed `;
  const text = head.toString('latin1', startsWith(head, MAGIC.utf8Bom) ? 3 : 0, Math.min(head.length, 4096));
  const header = plainHeaderKind(text);
  if (header === 'pg_dump') return { kind: 'plain', path, compression };
  if (header === 'pg_dumpall') {
    const own = source ?? new ByteSource(path, null);
    try {
      const databases = await hasDatabases(own, label, compression);
      return { kind: databases ? 'cluster' : 'globals', path, compression };
    } finally {
      if (!source) own.close();
    }
  }
  if (/^--\r?\n-- NOTE:\r?\n--\r?\n-- File paths need to be edited/.test(text)) {
    throw new DumpError('not-a-dump', `${label} is the restore script (restore.sql) of a tar-format dump and needs the dump's data files; open the .tar file itself`);
  }
  if (/^;\r?\n; Archive created at /.test(text)) {
    throw new DumpError('not-a-dump', `${label} is a pg_restore -l listing (a list file for pg_restore -L), not a dump`);
  }
  const known = knownType(head);
  if (known) throw new DumpError(known.code, `${label} ${compression === 'none' ? '' : `is ${COMPRESSION_NAMES[compression]}-compressed and `}${known.text}`);
  if (isText(head)) {
    const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
    const quoted = JSON.stringify(snippet(firstLine));
    throw new DumpError(
      'not-a-dump',
      `${label} is ${inner === '' ? 'a text file' : `${inner}text`} but not a PostgreSQL dump: it starts with ${quoted}; expected a pg_dump SQL script, which begins with the comment "-- PostgreSQL database dump"`,
    );
  }
  const bytes = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const what = compression === 'none' ? 'it starts with bytes' : `decompressed, it starts with bytes`;
  throw new DumpError('not-a-dump', `${label} is not a PostgreSQL dump: ${what} ${bytes}${head.length > 8 ? ' ...' : ''}; ${EXPECTED}`);
}

/**
 * Reads a pg_dumpall script until it shows that it dumps databases: pg_dumpall's "Databases"
 * header (11+), a `-- Database "x" dump` header, the "Database creation" header (10 and
 * earlier), a nested pg_dump header, or a `\connect` after the script has started. Stops as
 * soon as one appears; the end of the file without any means a globals-only dump.
 */
async function hasDatabases(source: ByteSource, label: string, compression: PlainCompression): Promise<boolean> {
  let lineNo = 0;
  let preamble = true; // before the first statement: old pg_dumpall put `\connect postgres` here
  const judge = (raw: string): boolean => {
    lineNo++;
    if (lineNo <= 3) return false; // the cluster dump header itself
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '-- Databases' || line === '-- Database creation' || line === '-- PostgreSQL database dump') return true;
    if (/^-- Database ".*" dump$/.test(line)) return true;
    if (/^\\(connect|c)\s/.test(line)) return !preamble;
    if (line !== '' && !line.startsWith('--') && !line.startsWith('\\')) preamble = false;
    return false;
  };

  const MAX_KEPT = 256; // only line starts matter; long COPY rows are not kept whole
  let carry = '';
  for await (const chunk of source.chunks()) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (carry.length < MAX_KEPT) carry += chunk.toString('latin1', start, Math.min(end, start + MAX_KEPT - carry.length));
      if (nl < 0) break;
      if (judge(carry)) return true;
      carry = '';
      start = nl + 1;
    }
  }
  if (source.error) {
    const what = compression === 'none' ? 'read' : `decompressed (${COMPRESSION_NAMES[compression]})`;
    const code = /unexpected end|truncat/i.test(source.error.message) ? 'truncated' : 'corrupt';
    throw new DumpError(code, `${label} is a pg_dumpall script that cannot be ${what} to the end: ${oneLineOf(source.error)}`, { cause: source.error });
  }
  return carry !== '' && judge(carry);
}

/**
 * The bytes of a file, decompressed if need be, read chunk by chunk: `head` buffers the start,
 * `chunks` replays it and goes on, and `close` stops reading, however far it got. A read or
 * decompression error ends the stream and is kept in `error`.
 */
class ByteSource {
  error: Error | null = null;
  private readonly buffered: Buffer[] = [];
  private bufferedSize = 0;
  private done = false;
  private readonly raw: Readable;
  private readonly stream: Readable;
  private readonly iterator: AsyncIterator<unknown>;

  /** `decompressor`: null for a file that is not compressed. */
  constructor(path: string, decompressor: Transform | null) {
    this.raw = createReadStream(path, { highWaterMark: HEAD_SIZE });
    if (!decompressor) {
      this.stream = this.raw;
    } else {
      this.raw.on('error', (err) => decompressor.destroy(err));
      this.stream = this.raw.pipe(decompressor);
    }
    this.iterator = this.stream[Symbol.asyncIterator]();
  }

  async head(size: number): Promise<Buffer> {
    while (this.bufferedSize < size) {
      const chunk = await this.pull();
      if (!chunk) break;
      this.buffered.push(chunk);
      this.bufferedSize += chunk.length;
    }
    return Buffer.concat(this.buffered).subarray(0, size);
  }

  async *chunks(): AsyncGenerator<Buffer> {
    yield* this.buffered;
    for (;;) {
      const chunk = await this.pull();
      if (!chunk) return;
      yield chunk;
    }
  }

  close(): void {
    this.done = true;
    this.raw.destroy();
    if (this.stream !== this.raw) this.stream.destroy();
  }

  private async pull(): Promise<Buffer | null> {
    if (this.done) return null;
    try {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return null;
      }
      return Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value as Uint8Array);
    } catch (err) {
      this.done = true;
      this.error = err instanceof Error ? err : new Error(String(err));
      return null;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures

const MAGIC = {
  pgdmp: Buffer.from('PGDMP', 'latin1'),
  zip: Buffer.from([0x50, 0x4b, 0x03, 0x04]),
  emptyZip: Buffer.from([0x50, 0x4b, 0x05, 0x06]),
  gzip: Buffer.from([0x1f, 0x8b]),
  lz4: Buffer.from([0x04, 0x22, 0x4d, 0x18]),
  zstd: Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
  utf8Bom: Buffer.from([0xef, 0xbb, 0xbf]),
};

function compressionOf(head: Buffer): PlainCompression {
  if (startsWith(head, MAGIC.gzip)) return 'gzip';
  if (startsWith(head, MAGIC.lz4)) return 'lz4';
  if (startsWith(head, MAGIC.zstd)) return 'zstd';
  return 'none';
}

interface KnownType {
  code: 'not-a-dump' | 'unsupported';
  text: string;
}

/** Common files people pick by mistake, or dumps compressed with a tool pg_dump does not use. */
function knownType(head: Buffer): KnownType | null {
  const has = (bytes: number[] | string, at = 0) => startsWith(head.subarray(at), typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
  const looks = (what: string): KnownType => ({ code: 'not-a-dump', text: `looks like ${what}, not a PostgreSQL dump` });
  const compressed = (tool: string, command: string): KnownType => ({
    code: 'unsupported',
    text: `is ${tool}-compressed, which pg_dump never writes; decompress it first (${command}) and open the result`,
  });
  if (has([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return looks('a PNG image');
  if (has([0xff, 0xd8, 0xff])) return looks('a JPEG image');
  if (has('GIF87a') || has('GIF89a')) return looks('a GIF image');
  if (has('%PDF-')) return looks('a PDF document');
  if (has([0x7f, 0x45, 0x4c, 0x46])) return looks('an ELF executable');
  if (has('MZ') && head.length >= 64) return looks('a Windows executable');
  if (has('SQLite format 3\0')) return looks('an SQLite database');
  if (has([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return looks('a 7-Zip archive');
  if (has('Rar!\x1a\x07')) return looks('a RAR archive');
  if (has('BZh') && (head[3] ?? 0) >= 0x31 && (head[3] ?? 0) <= 0x39) return compressed('bzip2', 'bunzip2');
  if (has([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return compressed('xz', 'unxz');
  if (has([0xff, 0xfe]) || has([0xfe, 0xff])) {
    return { code: 'not-a-dump', text: 'is UTF-16 text, not a dump as pg_dump writes it (UTF-8); a shell redirect may have converted it: run pg_dump with -f instead' };
  }
  return null;
}

function isText(head: Buffer): boolean {
  const sample = head.subarray(0, 4096);
  for (const b of sample) {
    if (b === 0) return false;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1b) return false;
  }
  // Bytes above 0x7f must form UTF-8 (or be cut at the end of the sample).
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(trimPartialUtf8(sample));
    return true;
  } catch {
    return false;
  }
}

/** Drops an incomplete UTF-8 sequence at the very end of a sample cut from a longer file. */
function trimPartialUtf8(bytes: Buffer): Buffer {
  let i = bytes.length - 1;
  let back = 0;
  while (i >= 0 && back < 3 && ((bytes[i] ?? 0) & 0xc0) === 0x80) {
    i--;
    back++;
  }
  const lead = bytes[i] ?? 0;
  const needed = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
  return needed > back ? bytes.subarray(0, i) : bytes;
}

function snippet(line: string): string {
  const clean = Buffer.from(line, 'latin1').toString('utf8').replace(/\s+/g, ' ').trim();
  return clean.length > 60 ? `${clean.slice(0, 57)}...` : clean;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function startsWith(buf: Buffer, prefix: Buffer): boolean {
  return buf.length >= prefix.length && buf.subarray(0, prefix.length).equals(prefix);
}

async function readHead(path: string, size: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } finally {
    await fh.close();
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function fsError(err: unknown, path: string, label: string): DumpError {
  if (err instanceof DumpError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new DumpError('not-found', `${path} does not exist`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new DumpError('usage', `${label} cannot be read: permission denied`, { cause: err });
  return new DumpError('corrupt', `${label} cannot be read: ${oneLineOf(err)}`, { cause: err });
}

function oneLineOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
