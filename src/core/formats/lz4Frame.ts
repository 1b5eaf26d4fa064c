import { DumpError } from '../errors';

/**
 * A streaming decoder of the LZ4 frame format (what LZ4F, and so pg_dump's lz4 compression,
 * writes). It exists because no pure-JS package streams LZ4 *frames*: the ones on npm decode a
 * whole buffer at once or need a native build, and one table's data can be many gigabytes.
 *
 * Handles linked and independent blocks, uncompressed blocks, every maximum block size, the
 * content-size field, concatenated frames and skippable frames. Checksums (header, block and
 * content) are skipped, not verified: damaged bytes are still caught wherever they break the
 * block structure, and memory stays bounded by the frame's declared maximum block size.
 */

const FRAME_MAGIC = 0x184d2204;
/** Skippable frames use the magic numbers 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MAGIC_HIGH = 0x184d2a5;
/** How far back a match can reach: the history a linked block may use. */
const WINDOW = 64 * 1024;
/** Maximum block size by the BD byte's code; codes 0 to 3 are reserved. */
const MAX_BLOCK: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
/** Below this many bytes, a loop beats a Buffer copy. */
const SHORT_COPY = 32;

type Step =
  | 'magic' // 4 bytes: frame or skippable-frame magic
  | 'descriptor' // FLG and BD
  | 'descriptor-rest' // content size, dictionary ID, header checksum
  | 'block-size' // 4 bytes: size and uncompressed flag, or 0 for the EndMark
  | 'block' // the block's bytes and its checksum
  | 'content-checksum' // 4 bytes after the EndMark
  | 'skippable-size' // 4 bytes
  | 'skip'; // the body of a skippable frame

export class Lz4FrameDecoder {
  private step: Step = 'magic';
  /** Current input chunk and read position in it. */
  private input: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Bytes of a step that straddles chunks, gathered until the step has all it needs. */
  private stage: Buffer = Buffer.alloc(0);
  private staged = 0;
  /** Where the last completed take() found its bytes: the input chunk or the stage. */
  private view: Buffer = this.input;
  /** Input bytes consumed by finished steps: where the current step starts. */
  private offset = 0;
  private skipLeft = 0;

  // The current frame's settings.
  private flg = 0;
  private linked = false;
  private blockChecksum = false;
  private contentChecksum = false;
  private maxBlock = 0;
  private blockSize = 0;
  private blockStored = false;

  /** Decoded history (at most WINDOW bytes) followed by room for one block. */
  private window: Buffer = Buffer.alloc(0);
  private history = 0;

  constructor(private readonly label: string) {}

  /** Feeds compressed bytes; `emit` receives each decoded block as a new Buffer. */
  push(chunk: Buffer, emit: (data: Buffer) => void): void {
    this.input = chunk;
    this.pos = 0;
    for (;;) {
      if (this.step === 'skip') {
        const n = Math.min(this.skipLeft, chunk.length - this.pos);
        this.pos += n;
        this.offset += n;
        this.skipLeft -= n;
        if (this.skipLeft > 0) return;
        this.step = 'magic';
        continue;
      }
      const need = this.need();
      const at = this.take(need);
      if (at < 0) return;
      const start = this.offset;
      this.offset += need;
      this.advance(this.view, at, start, emit);
    }
  }

  /** Checks that the input ended between frames. An empty input is no data, not an error. */
  end(): void {
    if (this.step !== 'magic' || this.staged > 0) {
      throw new DumpError(
        'truncated',
        `${this.label} is truncated: the LZ4 data ends after ${this.offset + this.staged} bytes, inside a frame`,
      );
    }
  }

  /** How many bytes the current step needs. */
  private need(): number {
    switch (this.step) {
      case 'descriptor':
        return 2;
      case 'descriptor-rest':
        return (this.flg & 0x08 ? 8 : 0) + (this.flg & 0x01 ? 4 : 0) + 1;
      case 'block':
        return this.blockSize + (this.blockChecksum ? 4 : 0);
      default:
        return 4;
    }
  }

  /**
   * Offset in `view` of the next `n` contiguous bytes: in the input chunk when it holds them all,
   * else in the stage once enough chunks have arrived. -1 while more input is needed.
   */
  private take(n: number): number {
    const avail = this.input.length - this.pos;
    if (this.staged === 0 && avail >= n) {
      this.view = this.input;
      this.pos += n;
      return this.pos - n;
    }
    if (this.stage.length < n) {
      const bigger = Buffer.allocUnsafe(Math.max(n, 64));
      this.stage.copy(bigger, 0, 0, this.staged);
      this.stage = bigger;
    }
    const k = Math.min(n - this.staged, avail);
    this.input.copy(this.stage, this.staged, this.pos, this.pos + k);
    this.pos += k;
    this.staged += k;
    if (this.staged < n) return -1;
    this.staged = 0;
    this.view = this.stage;
    return 0;
  }

  private corrupt(why: string): DumpError {
    return new DumpError('corrupt', `${this.label} is not valid LZ4 data: ${why}`);
  }

  /** Acts on the bytes of a finished step (`at` in `src`, `start` in the whole input). */
  private advance(src: Buffer, at: number, start: number, emit: (data: Buffer) => void): void {
    switch (this.step) {
      case 'magic': {
        const magic = src.readUInt32LE(at);
        if (magic === FRAME_MAGIC) this.step = 'descriptor';
        else if (magic >>> 4 === SKIPPABLE_MAGIC_HIGH) this.step = 'skippable-size';
        else throw this.corrupt(`no LZ4 frame starts at byte ${start} (magic number ${magic.toString(16).padStart(8, '0')})`);
        return;
      }
      case 'skippable-size':
        this.skipLeft = src.readUInt32LE(at);
        this.step = 'skip';
        return;
      case 'descriptor': {
        const flg = src[at]!;
        const bd = src[at + 1]!;
        if (flg >> 6 !== 1) throw this.corrupt(`frame at byte ${start - 4} has version ${flg >> 6}, not 1`);
        if (flg & 0x02 || bd & 0x8f) throw this.corrupt(`frame at byte ${start - 4} sets reserved header bits`);
        if (flg & 0x01) {
          throw new DumpError('unsupported', `${this.label} is an LZ4 frame that needs a preset dictionary, which pg_dump never uses`);
        }
        const maxBlock = MAX_BLOCK[bd >> 4];
        if (maxBlock === undefined) throw this.corrupt(`frame at byte ${start - 4} has an invalid maximum block size code ${bd >> 4}`);
        this.flg = flg;
        this.linked = (flg & 0x20) === 0;
        this.blockChecksum = (flg & 0x10) !== 0;
        this.contentChecksum = (flg & 0x04) !== 0;
        this.maxBlock = maxBlock;
        if (this.window.length < WINDOW + maxBlock) this.window = Buffer.alloc(WINDOW + maxBlock);
        this.history = 0;
        this.step = 'descriptor-rest';
        return;
      }
      case 'descriptor-rest':
        // Content size is only informative and the header checksum byte is not verified.
        this.step = 'block-size';
        return;
      case 'block-size': {
        const word = src.readUInt32LE(at);
        if (word === 0) {
          this.step = this.contentChecksum ? 'content-checksum' : 'magic';
          return;
        }
        const size = word & 0x7fffffff;
        if (size > this.maxBlock) {
          throw this.corrupt(`block at byte ${start} claims ${size} bytes, more than the frame's maximum of ${this.maxBlock}`);
        }
        this.blockSize = size;
        this.blockStored = word >>> 31 === 1;
        this.step = 'block';
        return;
      }
      case 'block':
        if (this.blockSize > 0) emit(this.decodeBlock(src, at, this.blockSize, start));
        this.step = 'block-size';
        return;
      case 'content-checksum':
        // The xxHash32 of the content is not verified (see the top of this file).
        this.step = 'magic';
        return;
      case 'skip':
        return;
    }
  }

  /** Decodes one block after the kept history and returns a copy of its output. */
  private decodeBlock(src: Buffer, start: number, size: number, offset: number): Buffer {
    const out = this.window;
    if (!this.linked) this.history = 0;
    const base = this.history;
    let o = base;
    if (this.blockStored) {
      src.copy(out, o, start, start + size);
      o += size;
    } else {
      const limit = base + this.maxBlock;
      const end = start + size;
      let i = start;
      for (;;) {
        if (i >= end) throw this.corrupt(`block at byte ${offset} ends inside a sequence`);
        const token = src[i++]!;
        let literals = token >> 4;
        if (literals === 15) {
          let b: number;
          do {
            if (i >= end) throw this.corrupt(`block at byte ${offset} ends inside a literal length`);
            b = src[i++]!;
            literals += b;
          } while (b === 255);
        }
        if (literals > end - i) throw this.corrupt(`block at byte ${offset} has literals that run past its end`);
        if (literals > limit - o) throw this.corrupt(`block at byte ${offset} decodes to more than ${this.maxBlock} bytes`);
        if (literals < SHORT_COPY) {
          for (let k = 0; k < literals; k++) out[o++] = src[i++]!;
        } else {
          src.copy(out, o, i, i + literals);
          i += literals;
          o += literals;
        }
        if (i === end) break; // the last sequence has literals only
        if (end - i < 2) throw this.corrupt(`block at byte ${offset} ends inside a match offset`);
        const distance = src[i]! | (src[i + 1]! << 8);
        i += 2;
        if (distance === 0 || distance > o) {
          throw this.corrupt(`block at byte ${offset} has a match ${distance} bytes back, before the start of the data`);
        }
        let length = (token & 15) + 4;
        if ((token & 15) === 15) {
          let b: number;
          do {
            if (i >= end) throw this.corrupt(`block at byte ${offset} ends inside a match length`);
            b = src[i++]!;
            length += b;
          } while (b === 255);
        }
        if (length > limit - o) throw this.corrupt(`block at byte ${offset} decodes to more than ${this.maxBlock} bytes`);
        const from = o - distance;
        if (length < SHORT_COPY) {
          for (let k = 0; k < length; k++) out[o + k] = out[from + k]!;
          o += length;
        } else {
          // Copy in pieces that never overlap their source; with a short distance the
          // pieces double in size as the already copied bytes repeat the pattern.
          const stop = o + length;
          while (o < stop) {
            const n = Math.min(o - from, stop - o);
            out.copy(out, o, from, from + n);
            o += n;
          }
        }
      }
    }
    const result = Buffer.allocUnsafe(o - base);
    out.copy(result, 0, base, o);
    if (this.linked) {
      // Keep the last 64 KB of output at the front, as the next block's history.
      const keep = Math.min(o, WINDOW);
      out.copy(out, 0, o - keep, o);
      this.history = keep;
    }
    return result;
  }
}
