import type { FileHandle } from 'node:fs/promises';
import { DumpError } from '../../errors';

/** Forward-only buffered reads from an open file, for streaming a data block's chunks. */
export class AsyncFileReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fh: FileHandle,
    private pos: number,
    private readonly size: number,
    private readonly label: string,
  ) {}

  private async need(n: number): Promise<Buffer> {
    const offsetInBuf = this.pos - this.bufStart;
    if (offsetInBuf >= 0 && offsetInBuf + n <= this.buf.length) return this.buf.subarray(offsetInBuf, offsetInBuf + n);
    if (this.pos + n > this.size) {
      throw new DumpError('truncated', `${this.label} is cut short: the file ends at byte ${this.size}, inside this entry's data`);
    }
    const want = Math.min(Math.max(n, 1 << 20), this.size - this.pos);
    const next = Buffer.allocUnsafe(want);
    const { bytesRead } = await this.fh.read(next, 0, want, this.pos);
    this.buf = next.subarray(0, bytesRead);
    this.bufStart = this.pos;
    if (bytesRead < n) {
      throw new DumpError('truncated', `${this.label} is cut short: the file ends at byte ${this.pos + bytesRead}, inside this entry's data`);
    }
    return this.buf.subarray(0, n);
  }

  async byte(): Promise<number> {
    const b = await this.need(1);
    this.pos += 1;
    return b[0]!;
  }

  async int(intSize: number): Promise<number> {
    const b = await this.need(1 + intSize);
    let value = 0;
    let scale = 1;
    for (let i = 0; i < intSize; i++) {
      value += b[1 + i]! * scale;
      scale *= 256;
    }
    this.pos += 1 + intSize;
    return b[0] === 0 ? value : -value;
  }

  /** Copies the next `n` bytes (at most the window's 1 MB) into `target` at `at`. */
  async copyTo(target: Buffer, at: number, n: number): Promise<void> {
    (await this.need(n)).copy(target, at);
    this.pos += n;
  }

  /** The next `n` bytes, copied (the window is reused). Large reads are split by the caller. */
  async bytes(n: number): Promise<Buffer> {
    const b = Buffer.from(await this.need(n));
    this.pos += n;
    return b;
  }
}

/** Yields the payloads of one chunk list (int length, bytes; ended by length 0). */
export async function* chunkList(r: AsyncFileReader, intSize: number, label: string): AsyncGenerator<Buffer> {
  for (;;) {
    const len = await r.int(intSize);
    if (len === 0) return;
    if (len < 0) throw new DumpError('corrupt', `${label}: negative chunk length; the archive is corrupt`);
    let left = len;
    while (left > 0) {
      const piece = Math.min(left, 1 << 20);
      yield await r.bytes(piece);
      left -= piece;
    }
  }
}

/**
 * The payloads of one chunk list, as chunkList, joined into pieces of `size` bytes (the last may
 * be smaller), copied straight from the read window. pg_dump writes a custom archive's data in
 * chunks of about 4 kB: handed to a decompressor one by one, each costs a round trip to the
 * thread that inflates (more than the inflating) and a Buffer of its own for the collector.
 */
export async function* joinedChunkList(r: AsyncFileReader, intSize: number, label: string, size = 1 << 20): AsyncGenerator<Buffer> {
  let buf = Buffer.allocUnsafe(size);
  let used = 0;
  for (;;) {
    const len = await r.int(intSize);
    if (len === 0) break;
    if (len < 0) throw new DumpError('corrupt', `${label}: negative chunk length; the archive is corrupt`);
    let left = len;
    while (left > 0) {
      const piece = Math.min(left, size - used);
      await r.copyTo(buf, used, piece);
      used += piece;
      left -= piece;
      if (used === size) {
        yield buf;
        buf = Buffer.allocUnsafe(size);
        used = 0;
      }
    }
  }
  if (used > 0) yield buf.subarray(0, used);
}
