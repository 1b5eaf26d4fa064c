/**
 * A custom-format archive writer, for tests only. It re-encodes an archive that our reader has
 * opened into another archive version (1.10 to 1.16) and compression, with the byte layout
 * pg_dump uses (pg_backup_archiver.c WriteHead / WriteToc / WriteInt / WriteStr / WriteOffset,
 * pg_backup_custom.c for the data blocks). It lets the tests reach archive versions and
 * compressions that no local pg_dump can make.
 *
 * Layout written, in order:
 *  - header: `PGDMP`, major, minor, rev, intSize (4), offSize (8), format (1 = custom), then
 *    the compression as an algorithm byte (1.15+) or as a zlib level int (before 1.15), seven
 *    creation-time ints, database name, server version and pg_dump version;
 *  - TOC: entry count, then per entry the fields of its version (tablespace 1.10, section 1.11,
 *    tableam 1.14, relkind 1.16), dependencies as decimal strings ended by a NULL string, and an
 *    offset (flag byte + 8 bytes);
 *  - data: one block per entry with a data dumper, in TOC order: `BLK_DATA` (1) or `BLK_BLOBS`
 *    (3), the dump ID, then chunk lists (int length + bytes, ended by int 0); a BLOBS block has
 *    an OID before each large object's list and an OID of 0 at the end.
 *
 * As pg_dump does on a seekable output, the TOC is written first with unset offsets and then
 * written again over itself with the real block positions; with `offsets: false` the first
 * TOC stays, as in an archive that pg_dump wrote to a pipe.
 *
 * Each stream is compressed by the real thing: zlib (`deflate`, the RFC 1950 stream of custom
 * archives) for gzip, and the `lz4` and `zstd` command-line tools for the LZ4 frame and the
 * zstd frame. The compressed stream is sliced into chunks of at most 4096 bytes
 * (DEFAULT_IO_BUFFER_SIZE); uncompressed data gets one chunk per write pg_dump would make.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import type { OpenedArchive } from '../../src/core/archive';
import type { ArchiveVersion, CompressionAlgorithm, TocEntry } from '../../src/core/model/types';

export interface WriteOptions {
  /** The archive version to write: 1.10 to 1.16 (rev is written as given). */
  version: ArchiveVersion;
  /** lz4 and zstd need 1.15 or later: older headers can only give a zlib level. */
  compression: CompressionAlgorithm;
  /** true: rewrite the TOC with the blocks' positions (seekable output); false: leave them unset (a pipe). */
  offsets: boolean;
  /** Largest chunk of a compressed stream; pg_dump uses 4096. Smaller values test chunk joining. */
  chunkSize?: number;
  /** Changes one compressed stream before it is sliced, to make a damaged archive. */
  alterStream?: (dumpId: number, compressed: Buffer) => Buffer;
}

/** Where the writer put one data block. */
export interface WrittenBlock {
  dumpId: number;
  type: number;
  /** Position of the block's type byte. */
  offset: number;
  /** Bytes from the type byte to just after the block's last terminator. */
  length: number;
  /** Chunks in the block, over all its chunk lists. */
  chunks: number;
}

export interface WrittenArchive {
  file: string;
  size: number;
  /** Bytes of header plus TOC: the first block starts here. */
  dataStart: number;
  blocks: WrittenBlock[];
}

const INT_SIZE = 4;
const OFF_SIZE = 8;
const FORMAT_CUSTOM = 1;
const BLK_DATA = 1;
const BLK_BLOBS = 3;
const K_OFFSET_POS_NOT_SET = 1;
const K_OFFSET_POS_SET = 2;
const K_OFFSET_NO_DATA = 3;
/** pg_compress_algorithm, as stored in 1.15+ headers. */
const ALGORITHM_BYTE: Record<CompressionAlgorithm, number> = { none: 0, gzip: 1, lz4: 2, zstd: 3 };
/** DEFAULT_IO_BUFFER_SIZE: the largest chunk a compressor hands to the custom format. */
const IO_BUFFER_SIZE = 4096;
/** LOBBUFSIZE: pg_dump reads (and, uncompressed, writes) large objects in pieces of this size. */
const LO_BUFFER_SIZE = 16384;
/** pg_dump's closing line of COPY data (dumpTableData_copy). */
const COPY_END = Buffer.from('\\.\n\n\n');

const vnum = (v: ArchiveVersion) => (v.major << 16) | (v.minor << 8) | v.rev;
const V = (minor: number) => vnum({ major: 1, minor, rev: 0 });

/** Appends primitives as pg_dump encodes them. */
class Out {
  private parts: Buffer[] = [];
  length = 0;

  constructor(private readonly encoding: BufferEncoding) {}

  bytes(b: Buffer): void {
    this.parts.push(b);
    this.length += b.length;
  }

  byte(value: number): void {
    this.bytes(Buffer.from([value & 0xff]));
  }

  /** WriteInt: a sign byte, then the magnitude in INT_SIZE bytes, least significant first. */
  int(value: number): void {
    if (!Number.isInteger(value) || Math.abs(value) > 0x7fffffff) throw new Error(`int ${value} does not fit a 4-byte archive int`);
    const b = Buffer.alloc(1 + INT_SIZE);
    b[0] = value < 0 ? 1 : 0;
    let mag = Math.abs(value);
    for (let i = 1; i <= INT_SIZE; i++) {
      b[i] = mag & 0xff;
      mag = Math.floor(mag / 256);
    }
    this.bytes(b);
  }

  /** WriteStr: length and bytes; NULL is length -1, "" is length 0. */
  str(value: string | null): void {
    if (value === null) {
      this.int(-1);
      return;
    }
    const b = Buffer.from(value, this.encoding);
    this.int(b.length);
    this.bytes(b);
  }

  /** WriteOffset: a flag byte, then the position in OFF_SIZE bytes, least significant first. */
  offset(position: number, flag: number): void {
    const b = Buffer.alloc(1 + OFF_SIZE);
    b[0] = flag;
    let rest = position;
    for (let i = 1; i <= OFF_SIZE; i++) {
      b[i] = rest % 256;
      rest = Math.floor(rest / 256);
    }
    this.bytes(b);
  }

  /** One chunk list: each chunk as int length + bytes, then int 0. */
  chunkList(chunks: readonly Buffer[]): void {
    for (const c of chunks) {
      if (c.length === 0) continue; // a zero length would end the list
      this.int(c.length);
      this.bytes(c);
    }
    this.int(0);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

function runTool(tool: string, args: string[], input: Buffer): Buffer {
  try {
    return execFileSync(tool, args, { input, maxBuffer: 1 << 30 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(`the ${tool} command is not installed; the test writer needs it to make ${tool} archives`);
    throw err;
  }
}

/** The whole compressed stream of one piece of data, as pg_dump's compressor would produce it. */
function compress(algorithm: CompressionAlgorithm, plain: Buffer): Buffer {
  switch (algorithm) {
    case 'none':
      return plain;
    case 'gzip':
      // deflateInit with the default level: a zlib stream, not the gzip wrapper
      return zlib.deflateSync(plain);
    case 'lz4':
      // LZ4F defaults: 64 KB blocks (-B4), linked blocks (-BD), no content checksum
      return runTool('lz4', ['-q', '-c', '-B4', '-BD', '--no-frame-crc'], plain);
    case 'zstd':
      // ZSTD_compressStream2 with default parameters writes no checksum
      return runTool('zstd', ['-q', '-c', '--no-check'], plain);
  }
}

function slices(stream: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < stream.length; at += size) out.push(stream.subarray(at, at + size));
  return out;
}

/**
 * Uncompressed data goes out one chunk per WriteData call: one per COPY row and one for the
 * closing `\.` lines of TABLE DATA, and LOBBUFSIZE pieces of a large object.
 */
function plainWrites(stream: Buffer, copyText: boolean, max: number): Buffer[] {
  if (!copyText) return slices(stream, max);
  const body = stream.length >= COPY_END.length && stream.subarray(-COPY_END.length).equals(COPY_END) ? stream.subarray(0, -COPY_END.length) : stream;
  const out: Buffer[] = [];
  let start = 0;
  while (start < body.length) {
    const nl = body.indexOf(0x0a, start);
    const end = nl < 0 ? body.length : nl + 1;
    out.push(...slices(body.subarray(start, end), max));
    start = end;
  }
  if (body.length < stream.length) out.push(stream.subarray(body.length));
  return out;
}

/** What one data block holds before it is encoded. */
type BlockSource = { type: typeof BLK_DATA; data: Buffer } | { type: typeof BLK_BLOBS; objects: { oid: number; data: Buffer }[] };

async function readBlockSource(source: OpenedArchive, entry: TocEntry): Promise<BlockSource> {
  if (entry.desc === 'BLOBS') {
    const objects: { oid: number; data: Buffer }[] = [];
    for await (const lo of source.largeObjects(entry)) objects.push({ oid: lo.oid, data: lo.data });
    return { type: BLK_BLOBS, objects };
  }
  return { type: BLK_DATA, data: await collect(source.openData(entry)) };
}

function checkOptions(options: WriteOptions): void {
  const { version, compression } = options;
  if (version.major !== 1 || version.minor < 10 || version.minor > 16 || version.rev < 0 || version.rev > 255) {
    throw new Error(`the test writer writes archive versions 1.10 to 1.16, not ${version.major}.${version.minor}.${version.rev}`);
  }
  if (vnum(version) < V(15) && compression !== 'none' && compression !== 'gzip') {
    throw new Error(`archive ${version.major}.${version.minor} can only say "zlib level"; ${compression} needs 1.15 or later`);
  }
}

function header(out: Out, source: OpenedArchive, options: WriteOptions): void {
  const h = source.archive.header;
  const vn = vnum(options.version);
  out.bytes(Buffer.from('PGDMP', 'latin1'));
  out.byte(options.version.major);
  out.byte(options.version.minor);
  out.byte(options.version.rev);
  out.byte(INT_SIZE);
  out.byte(OFF_SIZE);
  out.byte(FORMAT_CUSTOM);
  if (vn >= V(15)) out.byte(ALGORITHM_BYTE[options.compression]);
  else out.int(options.compression === 'gzip' ? -1 : 0); // Z_DEFAULT_COMPRESSION, or no compression
  const t = h.createdAt;
  if (!t) throw new Error('the source archive has no creation time');
  for (const value of [t.second, t.minute, t.hour, t.day, t.month - 1, t.year - 1900, t.isDst]) out.int(value);
  out.str(h.dbname);
  out.str(h.serverVersion);
  out.str(h.pgDumpVersion);
}

function toc(out: Out, entries: readonly TocEntry[], options: WriteOptions, positions: ReadonlyMap<number, number> | null): void {
  const vn = vnum(options.version);
  out.int(entries.length);
  for (const e of entries) {
    out.int(e.dumpId);
    out.int(e.hadDumper ? 1 : 0);
    out.str(e.tableoid ?? '0');
    out.str(e.oid ?? '0');
    out.str(e.tag);
    out.str(e.desc);
    if (vn >= V(11)) out.int(e.section);
    out.str(e.defn);
    out.str(e.dropStmt);
    out.str(e.copyStmt);
    out.str(e.namespace);
    out.str(e.tablespace);
    if (vn >= V(14)) out.str(e.tableam);
    if (vn >= V(16)) out.int(e.relkind ? e.relkind.charCodeAt(0) : 0);
    out.str(e.owner);
    out.str(e.withOids ?? 'false');
    for (const dep of e.dependencies) out.str(String(dep));
    out.str(null);
    if (!e.hadDumper) out.offset(0, K_OFFSET_NO_DATA);
    else if (positions) out.offset(positions.get(e.dumpId)!, K_OFFSET_POS_SET);
    else out.offset(0, K_OFFSET_POS_NOT_SET);
  }
}

/**
 * Writes `source` to `file` as a custom archive of the given version and compression. Every
 * entry with a data dumper gets a block, so the source must hold all of its data.
 */
export async function writeCustomArchive(source: OpenedArchive, file: string, options: WriteOptions): Promise<WrittenArchive> {
  checkOptions(options);
  if (options.chunkSize !== undefined && !(options.chunkSize >= 1)) throw new Error(`chunk size ${options.chunkSize} is not positive`);
  const encoding: BufferEncoding = source.archive.stringEncoding;
  const entries = source.archive.entries;

  const head = new Out(encoding);
  header(head, source, options);
  const firstToc = new Out(encoding);
  toc(firstToc, entries, options, null);
  const dataStart = head.length + firstToc.length;

  const stream = (dumpId: number, plain: Buffer, copyText: boolean): Buffer[] => {
    let compressed = compress(options.compression, plain);
    if (options.alterStream) compressed = options.alterStream(dumpId, compressed);
    return options.compression === 'none'
      ? plainWrites(compressed, copyText, options.chunkSize ?? LO_BUFFER_SIZE)
      : slices(compressed, options.chunkSize ?? IO_BUFFER_SIZE);
  };

  const data = new Out(encoding);
  const blocks: WrittenBlock[] = [];
  const positions = new Map<number, number>();
  for (const e of entries) {
    if (!e.hadDumper) continue;
    const src = await readBlockSource(source, e);
    const offset = dataStart + data.length;
    positions.set(e.dumpId, offset);
    let chunks = 0;
    data.byte(src.type);
    data.int(e.dumpId);
    if (src.type === BLK_DATA) {
      const list = stream(e.dumpId, src.data, e.desc === 'TABLE DATA');
      chunks += list.length;
      data.chunkList(list);
    } else {
      for (const lo of src.objects) {
        data.int(lo.oid | 0); // an OID of 2^31 or more goes out as a negative int, as in pg_dump
        const list = stream(e.dumpId, lo.data, false);
        chunks += list.length;
        data.chunkList(list);
      }
      data.int(0);
    }
    blocks.push({ dumpId: e.dumpId, type: src.type, offset, length: dataStart + data.length - offset, chunks });
  }

  let tocBytes = firstToc.toBuffer();
  if (options.offsets) {
    // pg_dump seeks back and writes the TOC again, now with the blocks' positions
    const second = new Out(encoding);
    toc(second, entries, options, positions);
    if (second.length !== firstToc.length) throw new Error('the rewritten TOC changed length');
    tocBytes = second.toBuffer();
  }
  const bytes = Buffer.concat([head.toBuffer(), tocBytes, data.toBuffer()]);
  fs.writeFileSync(file, bytes);
  return { file, size: bytes.length, dataStart, blocks };
}
