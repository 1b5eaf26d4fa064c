import * as fs from 'node:fs';
import { DumpError } from '../../errors';

/**
 * Sequential reader of pg_dump's primitive encodings (sign-magnitude ints, length-prefixed
 * strings, offsets) through a window that is reused as it moves forward, over a file or over
 * bytes already in memory (a `toc.dat`).
 *
 * Reading a large TOC is dominated by touching fresh memory, so nothing is kept but what the
 * caller copies out (see `readToc`, which parses entries straight out of `window`). Every length is checked against what the source can still deliver before anything
 * is allocated, so a corrupt length can neither hang the reader nor allocate beyond the file.
 */
export class ByteReader {
  private win: Buffer;
  private winStart = 0; // source position of win[0]
  private winEnd: number; // source position after the last valid byte in win
  private pos = 0;
  intSize = 4;
  offSize = 8;

  private constructor(
    private readonly label: string,
    private readonly totalSize: number,
    initial: Buffer,
    private readonly fill: ((target: Buffer, sourcePos: number) => number) | null,
  ) {
    this.win = initial;
    this.winEnd = initial.length;
  }

  static fromBuffer(label: string, buffer: Buffer): ByteReader {
    return new ByteReader(label, buffer.length, buffer, null);
  }

  /** Reads the file at `fd` from position 0 on demand. */
  static fromFile(label: string, fd: number, size: number): ByteReader {
    const first = Buffer.allocUnsafe(Math.min(size, 1 << 20));
    const n = fs.readSync(fd, first, 0, first.length, 0);
    return new ByteReader(label, size, first.subarray(0, n), (target, at) => fs.readSync(fd, target, 0, target.length, at));
  }

  /** Position in the source of the next byte to read. */
  get position(): number {
    return this.pos;
  }

  get size(): number {
    return this.totalSize;
  }

  private truncated(what: string): DumpError {
    return new DumpError('truncated', `${this.label} ends unexpectedly at byte ${this.totalSize} while reading ${what}: the file is truncated`);
  }

  /**
   * From now on the window keeps every byte from its current start and grows instead of moving
   * on (to at least `sizeHint` bytes when it next grows): the TOC reader keeps the TOC's bytes
   * and reads its names and SQL texts from them, with no copy per field.
   */
  keepAll(sizeHint = 0): void {
    this.keeping = true;
    this.growHint = sizeHint;
  }

  private keeping = false;
  private growHint = 0;

  /** Index in the window of the byte at `pos`, while keepAll is on: the window does not move. */
  get windowStart(): number {
    return this.winStart;
  }

  /** A hint for the window's next growth, in bytes from its start (keepAll). */
  set sizeHint(n: number) {
    this.growHint = n;
  }

  /** Grows the kept window so that it holds `n` bytes from `pos`; returns their index in it. */
  private grow(n: number, what: string): number {
    if (this.pos + n > this.totalSize || !this.fill) throw this.truncated(what);
    const used = this.winEnd - this.winStart;
    const want = Math.min(this.totalSize - this.winStart, Math.max(this.pos + n - this.winStart, this.growHint, used * 2, 1 << 20));
    const next = Buffer.allocUnsafe(want);
    this.win.copy(next, 0, 0, used);
    const got = this.fill(next.subarray(used), this.winEnd);
    this.win = next;
    this.winEnd += got;
    if (this.pos + n > this.winEnd) throw this.truncated(what);
    return this.pos - this.winStart;
  }

  /** Makes `n` bytes at `pos` available in the window; returns their index in it. */
  private need(n: number, what: string): number {
    if (this.pos + n <= this.winEnd && this.pos >= this.winStart) return this.pos - this.winStart;
    if (this.keeping) return this.grow(n, what);
    if (this.pos + n > this.totalSize || !this.fill) throw this.truncated(what);
    let win = this.win.length >= n ? this.win : Buffer.allocUnsafe(n);
    if (win.length < 1 << 20) win = Buffer.allocUnsafe(1 << 20);
    // Keep the unread tail of the old window, then fill the rest from the file.
    const keep = this.pos < this.winEnd && this.pos >= this.winStart ? this.winEnd - this.pos : 0;
    if (keep > 0) this.win.copy(win, 0, this.pos - this.winStart, this.winEnd - this.winStart);
    const got = this.fill(win.subarray(keep), this.pos + keep);
    this.win = win;
    this.winStart = this.pos;
    this.winEnd = this.pos + keep + got;
    if (this.pos + n > this.winEnd) throw this.truncated(what);
    return 0;
  }

  /**
   * Makes at least `n` bytes from the current position available in `window` (fewer only at
   * the end of the source) and returns the index of the current position in it.
   */
  prefetch(n: number): number {
    const want = Math.min(n, this.totalSize - this.pos);
    return want <= 0 ? this.pos - this.winStart : this.need(want, 'the TOC');
  }

  /** The buffer `prefetch` filled; valid from its returned index to `windowEnd`. */
  get window(): Buffer {
    return this.win;
  }

  get windowEnd(): number {
    return this.winEnd - this.winStart;
  }

  /** Whether the window reaches the end of the source. */
  get windowAtEnd(): boolean {
    return this.winEnd >= this.totalSize;
  }

  /** Moves the position forward by `k` bytes already looked at through `window`. */
  advance(k: number): void {
    this.pos += k;
  }

  byte(what: string): number {
    const i = this.need(1, what);
    this.pos += 1;
    return this.win[i]!;
  }

  raw(n: number, what: string): Buffer {
    const i = this.need(n, what);
    this.pos += n;
    return Buffer.from(this.win.subarray(i, i + n));
  }

  /** WriteInt: a sign byte, then intSize bytes of magnitude, least significant first. */
  int(what: string): number {
    const size = this.intSize;
    const i = this.need(1 + size, what);
    const b = this.win;
    let value: number;
    if (size === 4) {
      value = b[i + 1]! + b[i + 2]! * 0x100 + b[i + 3]! * 0x10000 + b[i + 4]! * 0x1000000;
    } else {
      value = 0;
      let scale = 1;
      for (let k = 0; k < size; k++) {
        const byte = b[i + 1 + k]!;
        if (byte !== 0 && k >= 6) throw new DumpError('corrupt', `${this.label}: ${what} does not fit in 48 bits; the archive is corrupt`);
        value += byte * scale;
        scale *= 256;
      }
    }
    this.pos += 1 + size;
    return b[i] !== 0 ? -value : value;
  }

  private length(what: string): number {
    const len = this.int(what);
    if (len > 0 && this.pos + len > this.totalSize) {
      throw new DumpError(
        'corrupt',
        `${this.label}: ${what} at byte ${this.pos} claims ${len} bytes, more than the file holds; the archive is corrupt or truncated`,
      );
    }
    return len < 0 ? -1 : len;
  }

  /** WriteStr, decoded as UTF-8 (header strings, read before any ENCODING entry). */
  string(what: string): string | null {
    const len = this.length(what);
    if (len < 0) return null;
    const i = this.need(len, what);
    this.pos += len;
    return this.win.toString('utf8', i, i + len);
  }

}
