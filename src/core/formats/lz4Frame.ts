import { DumpError } from '../errors';

/**
 * A streaming decoder of LZ4 frames (the LZ4F format pg_dump writes with lz4 compression).
 * It exists because no maintained pure-JS package decodes LZ4 *frames* incrementally: the
 * ones that exist decode a whole buffer at once, and a table's data can be many gigabytes.
 *
 * Handles linked and independent blocks, uncompressed blocks, block and content checksums
 * (skipped, not verified), the content-size and dictionary-ID fields, concatenated frames and
 * skippable frames. Checksums are not verified: a corrupt block still fails on its structure.
 */
const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MIN = 0x184d2a50;
const SKIPPABLE_MAX = 0x184d2a5f;
const WINDOW = 64 * 1024;
const BLOCK_SIZES: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

type State =
  | { kind: 'magic' }
  | { kind: 'skip'; left: number }
  | { kind: 'header' }
  | { kind: 'block' }
  | { kind: 'content-checksum' };

export class Lz4FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private state: State = { kind: 'magic' };
  private framesDone = 0;
  private blockChecksum = false;
  private contentChecksum = false;
  private linked = false;
  private maxBlock = 0;
  /** Output history (last 64 KB) followed by room for one decoded block. */
  private out = Buffer.alloc(0);
  private history = 0;

  constructor(private readonly label: string) {}

  private corrupt(why: string): DumpError {
    return new DumpError('corrupt', `${this.label} is not valid LZ4 data: ${why}`);
  }

  /** Feeds compressed bytes; returns the plain bytes they complete. */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const output: Buffer[] = [];
    let p = 0;
    const buf = this.pending;
    for (;;) {
      const left = buf.length - p;
      const s = this.state;
      if (s.kind === 'magic') {
        if (left < 4) break;
        const magic = buf.readUInt32LE(p);
        if (magic === FRAME_MAGIC) this.state = { kind: 'header' };
        else if (magic >= SKIPPABLE_MIN && magic <= SKIPPABLE_MAX) {
          if (left < 8) break;
          this.state = { kind: 'skip', left: buf.readUInt32LE(p + 4) };
          p += 4;
        } else throw this.corrupt(`no LZ4 frame magic at byte ${p} (found ${magic.toString(16)})`);
        p += 4;
      } else if (s.kind === 'skip') {
        const n = Math.min(s.left, left);
        s.left -= n;
        p += n;
        if (s.left > 0) break;
        this.state = { kind: 'magic' };
      } else if (s.kind === 'header') {
        if (left < 2) break;
        const flg = buf[p]!;
        const bd = buf[p + 1]!;
        const size = 3 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
        if (left < size) break;
        if (flg >> 6 !== 1) throw this.corrupt(`unsupported frame version ${flg >> 6}`);
        const maxBlock = BLOCK_SIZES[(bd >> 4) & 7];
        if (!maxBlock) throw this.corrupt(`invalid block size code ${(bd >> 4) & 7}`);
        this.linked = (flg & 0x20) === 0;
        this.blockChecksum = (flg & 0x10) !== 0;
        this.contentChecksum = (flg & 0x04) !== 0;
        this.maxBlock = maxBlock;
        if (this.out.length < WINDOW + maxBlock) this.out = Buffer.alloc(WINDOW + maxBlock);
        this.history = 0;
        p += size;
        this.state = { kind: 'block' };
      } else if (s.kind === 'block') {
        if (left < 4) break;
        const word = buf.readUInt32LE(p);
        if (word === 0) {
          p += 4;
          this.state = this.contentChecksum ? { kind: 'content-checksum' } : { kind: 'magic' };
          if (!this.contentChecksum) this.framesDone++;
          continue;
        }
        const size = word & 0x7fffffff;
        if (size > this.maxBlock) throw this.corrupt(`a block of ${size} bytes is larger than the frame's maximum ${this.maxBlock}`);
        const total = 4 + size + (this.blockChecksum ? 4 : 0);
        if (left < total) break;
        output.push(this.block(buf, p + 4, size, (word & 0x80000000) !== 0));
        p += total;
      } else {
        if (left < 4) break;
        p += 4;
        this.framesDone++;
        this.state = { kind: 'magic' };
      }
    }
    this.pending = p === buf.length ? Buffer.alloc(0) : buf.subarray(p);
    return output;
  }

  /** Checks that the input ended between frames. */
  end(): void {
    if (this.state.kind !== 'magic' || this.pending.length > 0 || this.framesDone === 0) {
      throw new DumpError('truncated', `${this.label} is cut short: the LZ4 stream ends inside a frame`);
    }
  }

  /** Decodes one block after the kept history; returns a copy of its output. */
  private block(src: Buffer, start: number, size: number, stored: boolean): Buffer {
    const out = this.out;
    if (!this.linked) this.history = 0;
    let o = this.history;
    const oEnd = this.history + this.maxBlock;
    if (stored) {
      src.copy(out, o, start, start + size);
      o += size;
    } else {
      let i = start;
      const end = start + size;
      for (;;) {
        const token = src[i++]!;
        let lit = token >> 4;
        if (lit === 15) {
          let b: number;
          do {
            if (i >= end) throw this.corrupt('literal length runs past the block');
            b = src[i++]!;
            lit += b;
          } while (b === 255);
        }
        if (i + lit > end || o + lit > oEnd) throw this.corrupt('literals run past the block');
        src.copy(out, o, i, i + lit);
        i += lit;
        o += lit;
        if (i >= end) break; // the last sequence has literals only
        if (i + 2 > end) throw this.corrupt('a match offset runs past the block');
        const offset = src[i]! | (src[i + 1]! << 8);
        i += 2;
        if (offset === 0 || offset > o) throw this.corrupt(`match offset ${offset} points before the data`);
        let len = (token & 15) + 4;
        if ((token & 15) === 15) {
          let b: number;
          do {
            if (i >= end) throw this.corrupt('match length runs past the block');
            b = src[i++]!;
            len += b;
          } while (b === 255);
        }
        if (o + len > oEnd) throw this.corrupt('a match runs past the block size');
        let from = o - offset;
        if (offset >= len) {
          out.copy(out, o, from, from + len);
          o += len;
        } else {
          for (let k = 0; k < len; k++) out[o++] = out[from++]!;
        }
      }
    }
    const result = Buffer.from(out.subarray(this.history, o));
    // Keep the last 64 KB of output at the front, for the next linked block.
    const keep = Math.min(o, WINDOW);
    out.copy(out, 0, o - keep, o);
    this.history = keep;
    return result;
  }
}
