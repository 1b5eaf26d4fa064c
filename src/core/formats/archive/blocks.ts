import * as fs from 'node:fs';
import { DumpError } from '../../errors';

/** Block types of custom-format data (pg_backup_custom.c). 2 was the old per-BLOB type. */
export const BLK_DATA = 1;
export const BLK_BLOBS = 3;

/** What a walk over one data block found. */
export interface BlockInfo {
  dumpId: number;
  type: number;
  offset: number;
  /** Bytes from the block's type byte to just after its terminator (or to end of file). */
  length: number;
  complete: boolean;
}

/**
 * Positioned, buffered reads of a file, for walking block and chunk headers without reading
 * the chunk bodies that lie between them.
 */
export class FileWindow {
  private buf = Buffer.allocUnsafe(1 << 16);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  /** What `blockHead` read: the block's type byte and the dump ID after it. */
  type = 0;
  dumpId = 0;

  /**
   * Reads the byte at `pos` and the sign-magnitude int of `intSize` bytes after it (a block's
   * type and dump ID) into `type` and `dumpId`, without making a Buffer: called once per data
   * block of the archive. False when the file ends first.
   */
  blockHead(pos: number, intSize: number): boolean {
    const n = 2 + intSize;
    if (pos < this.start || pos + n > this.end) {
      this.read(pos, n);
      if (pos + n > this.end) return false;
    }
    const b = this.buf;
    const at = pos - this.start;
    let value = 0;
    for (let k = intSize + 1; k >= 2; k--) value = value * 256 + b[at + k]!;
    this.type = b[at]!;
    this.dumpId = b[at + 1] !== 0 ? -value : value;
    return true;
  }

  /** Up to `n` bytes at `pos`; fewer only at end of file. */
  read(pos: number, n: number): Buffer {
    if (pos >= this.start && pos + n <= this.end) return this.buf.subarray(pos - this.start, pos - this.start + n);
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    const got = fs.readSync(this.fd, this.buf, 0, this.buf.length, pos);
    this.start = pos;
    this.end = pos + got;
    return this.buf.subarray(0, Math.min(n, got));
  }
}

/** Reads a sign-magnitude int of `intSize` bytes; null when the file ends first. */
export function intAt(w: FileWindow, pos: number, intSize: number): number | null {
  const b = w.read(pos, 1 + intSize);
  if (b.length < 1 + intSize) return null;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < intSize; i++) {
    value += b[1 + i]! * scale;
    scale *= 256;
  }
  return b[0] === 0 ? value : -value;
}

/**
 * Walks one block from `offset`: type byte, dump ID, then chunk lists (one for BLK_DATA; for
 * BLK_BLOBS an OID before each list and an OID of 0 at the end). Only the headers are read.
 */
export function walkBlock(w: FileWindow, offset: number, intSize: number, label: string): BlockInfo {
  const isz = 1 + intSize;
  const typeBuf = w.read(offset, 1);
  if (typeBuf.length < 1) return { dumpId: 0, type: 0, offset, length: 0, complete: false };
  const type = typeBuf[0]!;
  const dumpId = intAt(w, offset + 1, intSize);
  if (dumpId === null) return { dumpId: 0, type, offset, length: w.size - offset, complete: false };
  if (type !== BLK_DATA && type !== BLK_BLOBS) {
    throw new DumpError('corrupt', `${label}: unknown data block type ${type} at byte ${offset}; the archive is corrupt`);
  }
  let pos = offset + 1 + isz;
  const chunkList = (): boolean => {
    for (;;) {
      const len = intAt(w, pos, intSize);
      if (len === null) return false;
      pos += isz;
      if (len === 0) return true;
      if (len < 0) throw new DumpError('corrupt', `${label}: negative chunk length at byte ${pos - isz}; the archive is corrupt`);
      pos += len;
      if (pos > w.size) return false;
    }
  };
  let complete: boolean;
  if (type === BLK_DATA) {
    complete = chunkList();
  } else {
    complete = false;
    for (;;) {
      const oid = intAt(w, pos, intSize);
      if (oid === null) break;
      pos += isz;
      if (oid === 0) {
        complete = true;
        break;
      }
      if (!chunkList()) break;
    }
  }
  return { dumpId, type, offset, length: Math.min(pos, w.size) - offset, complete };
}
