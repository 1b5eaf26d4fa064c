import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { DumpError } from '../errors';
import type { Container, ContainerMember } from './container';
import { normalizeMemberName, selectUnderRoot } from './directoryContainer';

/*
 * A tar walker that reads headers, not data. Each 512-byte header says how long its member's
 * data is, so the next header's position is known without touching the data: indexing a 10 GB
 * tar with a thousand members costs about a thousand small reads. (Runs of tiny members, such
 * as large objects, are read in small windows instead of one read per header.)
 */

const BLOCK = 512;
/** GNU long names and pax records are small; anything bigger is not a header we understand. */
const MAX_META_SIZE = 1 << 20;

export type TarMagic = 'ustar' | 'gnu' | 'ustar00' | 'none';

/** One header block, decoded. `size` is the header's own size field (pax may override it). */
export interface TarHeader {
  name: string;
  typeflag: string;
  size: number;
  magic: TarMagic;
}

/** A regular-file member: its name as stored (normalised) and where its data lies. */
export interface TarMember extends ContainerMember {
  /** Byte offset of the member's data in the tar file. */
  offset: number;
}

export interface TarIndex {
  path: string;
  fileSize: number;
  /** Regular files in stored order, junk included, directories and links left out. */
  members: TarMember[];
}

/** Whether the header checksum matches, summing bytes as unsigned or (old tars) signed chars. */
export function tarChecksumMatches(block: Uint8Array): boolean {
  if (block.length < BLOCK) return false;
  const stored = parseOctal(block.subarray(148, 156));
  if (stored === null) return false;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return stored === unsigned || stored === signed;
}

/**
 * True when `block` starts a tar file as pg_restore accepts one: a correct checksum and the
 * magic of POSIX ustar (`ustar\0` + `00`), GNU tar (`ustar  \0`) or pg_dump before 9.3
 * (`ustar00\0`).
 */
export function isTarHeader(block: Uint8Array): boolean {
  return block.length >= BLOCK && magicOf(block) !== 'none' && tarChecksumMatches(block);
}

/**
 * The size field of a header: octal digits (ended by a space or NUL), or GNU base-256 when the
 * first byte has its high bit set (0x80 followed by a big-endian number). Throws a plain Error
 * for anything else; callers add the file name and offset.
 */
export function parseTarSize(field: Uint8Array): number {
  const first = field[0] ?? 0;
  if (first & 0x80) {
    if (first === 0xff) throw new Error('negative base-256 size');
    let value = first & 0x7f;
    for (let i = 1; i < field.length; i++) {
      value = value * 256 + (field[i] ?? 0);
      if (!Number.isSafeInteger(value)) throw new Error('base-256 size too large');
    }
    return value;
  }
  const value = parseOctal(field);
  if (value === null) throw new Error(`size field is not octal (${JSON.stringify(Buffer.from(field).toString('latin1'))})`);
  return value;
}

/** Decodes one header block; the checksum is checked separately. */
export function parseTarHeader(block: Uint8Array): TarHeader {
  const magic = magicOf(block);
  let name = cString(block.subarray(0, 100));
  // The prefix field exists in POSIX ustar only; GNU tar keeps access/change times there.
  if (magic === 'ustar' || magic === 'ustar00') {
    const prefix = cString(block.subarray(345, 500));
    if (prefix !== '') name = `${prefix}/${name}`;
  }
  const flag = block[156] ?? 0;
  return { name, typeflag: flag === 0 ? '0' : String.fromCharCode(flag), size: parseTarSize(block.subarray(124, 136)), magic };
}

/**
 * Walks the headers of a tar file. A member whose data runs past the end of the file is kept
 * with `truncated: true` and ends the walk; a header with a bad checksum is a DumpError.
 */
export async function indexTar(path: string): Promise<TarIndex> {
  const label = basename(path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DumpError('not-found', `${path} does not exist`, { cause: err });
    throw new DumpError('corrupt', `${label} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  try {
    const fileSize = (await fh.stat()).size;
    return { path, fileSize, members: await walk(fh, fileSize, label) };
  } finally {
    await fh.close();
  }
}

/**
 * Positioned reads of header blocks. After a small member the next header is probably near,
 * so the read takes a window of READ_AHEAD bytes and serves the following headers from it;
 * after a large member it reads the one block only, so big data is never read.
 */
const READ_AHEAD = 32 * 1024;

class HeaderReader {
  private cache = Buffer.alloc(0);
  private cacheStart = 0;

  constructor(
    private readonly fh: FileHandle,
    private readonly fileSize: number,
    private readonly label: string,
  ) {}

  async read(pos: number, length: number, readAhead: boolean): Promise<Buffer> {
    if (pos >= this.cacheStart && pos + length <= this.cacheStart + this.cache.length) {
      return this.cache.subarray(pos - this.cacheStart, pos - this.cacheStart + length);
    }
    const wanted = Math.min(Math.max(length, readAhead ? READ_AHEAD : 0), this.fileSize - pos);
    const buf = Buffer.alloc(wanted);
    await readAt(this.fh, buf, pos, this.label);
    this.cache = buf;
    this.cacheStart = pos;
    return buf.subarray(0, length);
  }
}

async function walk(fh: FileHandle, fileSize: number, label: string): Promise<TarMember[]> {
  const members: TarMember[] = [];
  const reader = new HeaderReader(fh, fileSize, label);
  let readAhead = false;
  const globalPax = new Map<string, string>();
  let localPax = new Map<string, string>();
  let longName: string | null = null;
  let afterLoneZeroBlock = false;
  let pos = 0;

  while (pos + BLOCK <= fileSize) {
    const block = await reader.read(pos, BLOCK, readAhead);
    if (isZero(block)) {
      // Two zero blocks end the archive; so does one followed by the end of the file.
      if (pos + 2 * BLOCK > fileSize) break;
      if (isZero(await reader.read(pos + BLOCK, BLOCK, readAhead))) break;
      afterLoneZeroBlock = true;
      pos += BLOCK;
      continue;
    }
    if (!tarChecksumMatches(block)) {
      if (afterLoneZeroBlock) break; // garbage after an end marker, not a damaged member
      throw new DumpError('corrupt', `${label}: bad tar header checksum at byte offset ${pos}; the tar file is damaged`);
    }
    let header: TarHeader;
    try {
      header = parseTarHeader(block);
    } catch (err) {
      throw new DumpError('corrupt', `${label}: unreadable tar header at byte offset ${pos}: ${(err as Error).message}`, { cause: err });
    }
    const dataStart = pos + BLOCK;
    let size = header.size;
    const flag = header.typeflag;

    if (flag === 'L' || flag === 'x' || flag === 'g') {
      if (size > MAX_META_SIZE) throw new DumpError('corrupt', `${label}: tar header at byte offset ${pos} announces ${size} bytes of ${flag === 'L' ? 'long name' : 'pax records'}`);
      if (dataStart + size > fileSize) break; // cut off inside a header's own data: nothing more to index
      const data = await reader.read(dataStart, size, true);
      if (flag === 'L') longName = cString(data);
      else parsePax(data, flag === 'g' ? globalPax : localPax);
    } else {
      const paxSize = localPax.get('size') ?? globalPax.get('size');
      if (paxSize !== undefined && /^\d+$/.test(paxSize)) size = Number(paxSize);
      const name = localPax.get('path') ?? globalPax.get('path') ?? longName ?? header.name;
      localPax = new Map();
      longName = null;
      // '0' (or NUL) is a regular file, '7' a contiguous one; links, devices and folders have no data of their own.
      if (flag === '0' || flag === '7') {
        const normalized = normalizeMemberName(name);
        const truncated = dataStart + size > fileSize;
        if (!normalized.endsWith('/')) members.push({ name: normalized, size, offset: dataStart, truncated });
        if (truncated) break;
      }
    }
    pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    readAhead = size < READ_AHEAD / 4;
  }
  return members;
}

/** The members under folder `root` of a tar file, named relative to it ('' = top level). */
export async function openTarContainer(path: string, root: string, index?: TarIndex): Promise<Container> {
  const idx = index ?? (await indexTar(path));
  return new TarContainer(idx, selectUnderRoot(idx.members, root));
}

class TarContainer implements Container {
  readonly kind = 'tar' as const;
  readonly path: string;
  private readonly label: string;
  private readonly byName: Map<string, TarMember>;

  constructor(
    private readonly index: TarIndex,
    private readonly entries: readonly TarMember[],
  ) {
    this.path = index.path;
    this.label = basename(index.path);
    this.byName = new Map(entries.map((m) => [m.name, m]));
  }

  get members(): readonly ContainerMember[] {
    return this.entries;
  }

  member(name: string): ContainerMember | undefined {
    return this.byName.get(name);
  }

  async readAll(name: string): Promise<Buffer> {
    const m = this.require(name);
    const length = this.available(m);
    const out = Buffer.alloc(length);
    if (length === 0) return out;
    const fh = await open(this.path, 'r');
    try {
      await readAt(fh, out, m.offset, this.label);
    } finally {
      await fh.close();
    }
    return out;
  }

  openStream(name: string): Readable {
    const m = this.require(name);
    const length = this.available(m);
    if (length === 0) {
      return new Readable({
        read() {
          this.push(null);
        },
      });
    }
    return createReadStream(this.path, { start: m.offset, end: m.offset + length - 1 });
  }

  async close(): Promise<void> {
    // Nothing stays open: every read opens the tar file for itself.
  }

  /** Bytes of the member actually present (less than `size` when the tar is cut short). */
  private available(m: TarMember): number {
    return Math.max(0, Math.min(m.size, this.index.fileSize - m.offset));
  }

  private require(name: string): TarMember {
    const m = this.byName.get(name);
    if (!m) throw new DumpError('missing-data', `${this.label} has no member ${name}`);
    return m;
  }
}

async function readAt(fh: FileHandle, into: Buffer, position: number, label: string): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await fh.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new DumpError('truncated', `${label} ends unexpectedly at byte ${position + done}`);
    done += bytesRead;
  }
}

function magicOf(block: Uint8Array): TarMagic {
  const m = Buffer.from(block.subarray(257, 265)).toString('latin1');
  if (m === 'ustar  \0') return 'gnu';
  if (m === 'ustar00\0') return 'ustar00';
  if (m.startsWith('ustar\0')) return 'ustar';
  return 'none';
}

function isZero(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

/** Octal digits after optional spaces, ended by space, NUL or the field's end; null if none or invalid. */
function parseOctal(field: Uint8Array): number | null {
  let i = 0;
  while (i < field.length && field[i] === 0x20) i++;
  let value = 0;
  for (; i < field.length; i++) {
    const c = field[i] ?? 0;
    if (c === 0 || c === 0x20) break;
    if (c < 0x30 || c > 0x37) return null;
    value = value * 8 + (c - 0x30);
  }
  // What follows the digits may only be padding; an empty field means 0.
  for (; i < field.length; i++) if (field[i] !== 0 && field[i] !== 0x20) return null;
  return value;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

/** pax records: `<length> <key>=<value>\n`, length counting the whole record in bytes. */
function parsePax(data: Buffer, into: Map<string, string>): void {
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isInteger(length) || length <= space - pos || pos + length > data.length) break;
    const record = data.subarray(space + 1, pos + length - 1).toString('utf8'); // drop the final newline
    const eq = record.indexOf('=');
    if (eq > 0) {
      const key = record.slice(0, eq);
      const value = record.slice(eq + 1);
      // An empty value deletes the keyword (POSIX): fall back to the header fields.
      if (value === '') into.delete(key);
      else into.set(key, value);
    }
    pos += length;
  }
}
