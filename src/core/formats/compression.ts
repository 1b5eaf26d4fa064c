import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { DumpError, oneLine } from '../errors';
import { Lz4FrameDecoder } from './lz4Frame';

/**
 * How a stream of pg_dump data is compressed: 'zlib' is the RFC 1950 stream of custom archives,
 * 'gzip' the RFC 1952 files of directory archives (several members allowed), 'lz4' LZ4 frames,
 * 'zstd' zstd frames.
 */
export type StreamCompression = 'none' | 'zlib' | 'gzip' | 'lz4' | 'zstd';

/**
 * A Transform that turns compressed bytes into plain bytes. 'none' passes bytes through.
 * Bad bytes and input that ends inside the compressed stream are emitted as one-line DumpErrors
 * ('corrupt', 'truncated') that start with `label`, the name of what is being read.
 *
 * The decoders hold back their latest piece of output until the next one is ready or the
 * compressed stream has been checked to end properly: a reader that stops at the end marker of
 * COPY data, a few bytes before the end, still gets the error of a stream that lacks its end.
 */
export function createDecompressor(kind: StreamCompression, label: string): Transform {
  switch (kind) {
    case 'none':
      return new PassThrough();
    case 'zlib':
      return new ZlibDecompressor(zlib.createInflate(ZLIB_OPTIONS), 'zlib', label);
    case 'gzip':
      return new ZlibDecompressor(zlib.createGunzip(ZLIB_OPTIONS), 'gzip', label);
    case 'lz4':
      return new DecoderStream(new Lz4FrameDecoder(label), 'LZ4', label);
    case 'zstd':
      return new DecoderStream(new ZstdDecoder(label), 'zstd', label);
    default:
      throw new DumpError('unsupported', `${label} uses an unknown compression (${String(kind)})`);
  }
}

/**
 * Z_FINISH at the end of input (Node's default, spelled out because it matters): a stream that
 * stops before its end then fails with Z_BUF_ERROR "unexpected end of file" instead of ending
 * quietly as it would with Z_SYNC_FLUSH.
 */
const ZLIB_OPTIONS: zlib.ZlibOptions = { finishFlush: zlib.constants.Z_FINISH, chunkSize: 256 * 1024 };

/**
 * Node's inflate or gunzip (which reads every member of a multi-member .gz file) behind a
 * Transform of our own, so that its errors leave this stream as DumpErrors (the inner stream's
 * own `errored` never reaches callers) while keeping backpressure: the inner stream is paused
 * while our readable side is full.
 */
class ZlibDecompressor extends Transform {
  private held: Buffer | null = null;

  constructor(
    private readonly inner: zlib.Inflate | zlib.Gunzip,
    format: string,
    label: string,
  ) {
    super();
    inner.on('data', (chunk: Buffer) => {
      const ready = this.held;
      this.held = chunk;
      if (ready && !this.push(ready)) inner.pause();
    });
    inner.on('error', (err: NodeJS.ErrnoException) => {
      this.destroy(
        err.code === 'Z_BUF_ERROR'
          ? new DumpError('truncated', `${label} is truncated: the ${format} data ends inside the compressed stream`, { cause: err })
          : new DumpError('corrupt', `${label} is not valid ${format} data: ${oneLine(err)}`, { cause: err }),
      );
    });
  }

  override _read(size: number): void {
    this.inner.resume();
    super._read(size);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // The callback waits until the inner stream has taken the chunk; after an inner error it never
    // runs, and the error destroys this stream instead.
    this.inner.write(chunk, (err) => {
      if (!err) callback();
    });
  }

  override _flush(callback: TransformCallback): void {
    this.inner.once('end', () => {
      if (this.held) this.push(this.held);
      this.held = null;
      callback();
    });
    this.inner.end();
  }

  override _destroy(err: Error | null, callback: (error: Error | null) => void): void {
    this.inner.destroy();
    callback(err);
  }
}

/** A synchronous decoder: bytes in, decoded pieces out through `emit`. */
interface PushDecoder {
  push(chunk: Buffer, emit: (data: Buffer) => void): void;
  /** Throws if the input stopped inside the compressed stream. */
  end(emit: (data: Buffer) => void): void;
}

/** A Transform over a PushDecoder; anything it throws leaves as a DumpError. */
class DecoderStream extends Transform {
  private held: Buffer | null = null;
  private readonly output = (data: Buffer): void => {
    if (this.held) this.push(this.held);
    this.held = data;
  };

  constructor(
    private readonly decoder: PushDecoder,
    private readonly format: string,
    private readonly label: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decoder.push(chunk, this.output);
      callback();
    } catch (err) {
      callback(this.asDumpError(err));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.end(this.output);
      if (this.held) this.push(this.held);
      this.held = null;
      callback();
    } catch (err) {
      callback(this.asDumpError(err));
    }
  }

  private asDumpError(err: unknown): DumpError {
    if (err instanceof DumpError) return err;
    return new DumpError('corrupt', `${this.label} is not valid ${this.format} data: ${oneLine(err)}`, { cause: err });
  }
}

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames use the magic numbers 0x184D2A50 to 0x184D2A5F. */
const ZSTD_SKIPPABLE_MAGIC_HIGH = 0x184d2a5;
/** The largest window libzstd's decoder accepts by default (window log 27), so the most pg_restore reads. */
const ZSTD_MAX_WINDOW = 1 << 27;
/** No zstd block holds or makes more than 128 KB. */
const ZSTD_MAX_BLOCK = 128 * 1024;

/** Size of a zstd frame header's dictionary ID field, by the descriptor's low two bits. */
function dictIdBytes(descriptor: number): number {
  return (descriptor & 3) === 3 ? 4 : descriptor & 3;
}

/**
 * fzstd's streaming decoder, with a walk of the frame structure run ahead of it: fzstd allocates
 * whatever window a frame header asks for (up to 2 GB), so headers are checked here first, and
 * the walk also tells whether the input ended between frames.
 */
class ZstdDecoder implements PushDecoder {
  private readonly inner = new ZstdDecompress();
  private emit: (data: Buffer) => void = () => {};
  private finished = false;

  // The walk: `need` bytes gathered into `head` for the current step, or `skip` bytes passed over.
  private step: 'magic' | 'skippable-size' | 'descriptor' | 'header' | 'block' = 'magic';
  private readonly head = Buffer.alloc(14);
  private have = 0;
  private need = 4;
  private skip = 0;
  private walked = 0;
  private descriptor = 0;

  constructor(private readonly label: string) {
    this.inner.ondata = (data, final) => {
      // Copied: fzstd does not promise the array it hands over is not reused.
      if (data.length > 0) this.emit(Buffer.from(data));
      if (final) this.finished = true;
    };
  }

  push(chunk: Buffer, emit: (data: Buffer) => void): void {
    this.walk(chunk);
    this.emit = emit;
    try {
      this.inner.push(chunk);
    } catch (err) {
      throw this.fzstdError(err);
    }
  }

  /** An empty input is no data, as pg_restore reads it, not a truncated stream. */
  end(emit: (data: Buffer) => void): void {
    this.emit = emit;
    const between = this.step === 'magic' && this.have === 0 && this.skip === 0;
    try {
      this.inner.push(new Uint8Array(0), true);
    } catch (err) {
      if (between) throw this.fzstdError(err);
    }
    if (!between || !this.finished) {
      throw new DumpError('truncated', `${this.label} is truncated: the zstd data ends after ${this.walked} bytes, inside a frame`);
    }
  }

  private fzstdError(err: unknown): DumpError {
    const code = (err as { code?: unknown }).code;
    const why = code === 0 ? 'a block does not decode' : oneLine(err);
    return new DumpError('corrupt', `${this.label} is not valid zstd data: ${why}`, { cause: err });
  }

  private corrupt(why: string): DumpError {
    return new DumpError('corrupt', `${this.label} is not valid zstd data: ${why}`);
  }

  private walk(chunk: Buffer): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - p);
        this.skip -= n;
        this.walked += n;
        p += n;
        continue;
      }
      const n = Math.min(this.need - this.have, chunk.length - p);
      chunk.copy(this.head, this.have, p, p + n);
      this.have += n;
      this.walked += n;
      p += n;
      if (this.have < this.need) return;
      this.have = 0;
      this.next(this.walked - this.need);
    }
  }

  /** Acts on the `need` bytes now in `head`, which started at byte `at` of the input. */
  private next(at: number): void {
    const head = this.head;
    switch (this.step) {
      case 'magic': {
        const magic = head.readUInt32LE(0);
        if (magic === ZSTD_MAGIC) {
          this.step = 'descriptor';
          this.need = 1;
        } else if (magic >>> 4 === ZSTD_SKIPPABLE_MAGIC_HIGH) {
          this.step = 'skippable-size';
        } else throw this.corrupt(`no zstd frame starts at byte ${at} (magic number ${magic.toString(16).padStart(8, '0')})`);
        return;
      }
      case 'skippable-size':
        this.skip = head.readUInt32LE(0);
        this.step = 'magic';
        return;
      case 'descriptor': {
        const fhd = head[0]!;
        if (fhd & 0x08) throw this.corrupt(`frame at byte ${at - 4} sets a reserved header bit`);
        const singleSegment = (fhd & 0x20) !== 0;
        const fcsFlag = fhd >> 6;
        const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
        this.descriptor = fhd;
        this.step = 'header';
        this.need = (singleSegment ? 0 : 1) + dictIdBytes(fhd) + fcsSize;
        return;
      }
      case 'header': {
        const fhd = this.descriptor;
        const singleSegment = (fhd & 0x20) !== 0;
        let i = singleSegment ? 0 : 1;
        const dictIdSize = dictIdBytes(fhd);
        const dictId = dictIdSize > 0 ? head.readUIntLE(i, dictIdSize) : 0;
        i += dictIdSize;
        let window: number;
        if (singleSegment) {
          // The window is the whole content; its size field has 1, 2 (plus 256), 4 or 8 bytes.
          const size = this.need - i;
          window = size === 8 ? head.readUInt32LE(i) + head.readUInt32LE(i + 4) * 2 ** 32 : head.readUIntLE(i, size) + (size === 2 ? 256 : 0);
        } else {
          const exponent = head[0]! >> 3;
          const base = 2 ** (10 + exponent);
          window = base + (base / 8) * (head[0]! & 7);
        }
        if (dictId !== 0) {
          throw new DumpError('unsupported', `${this.label} is a zstd frame that needs dictionary ${dictId}, which pg_dump never uses`);
        }
        if (window > ZSTD_MAX_WINDOW) {
          throw new DumpError(
            'unsupported',
            `${this.label} is a zstd frame with a ${Math.ceil(window / 2 ** 20)} MB window, more than the ${ZSTD_MAX_WINDOW / 2 ** 20} MB zstd decoders accept by default`,
          );
        }
        this.step = 'block';
        this.need = 3;
        return;
      }
      case 'block': {
        const header = head.readUIntLE(0, 3);
        const last = (header & 1) === 1;
        const type = (header >> 1) & 3;
        const size = header >>> 3;
        if (type === 3) throw this.corrupt(`block at byte ${at} has the reserved block type`);
        if (size > ZSTD_MAX_BLOCK) throw this.corrupt(`block at byte ${at} claims ${size} bytes, more than zstd's 128 KB`);
        this.skip = type === 1 ? 1 : size; // an RLE block holds one byte
        if (last) {
          if (this.descriptor & 0x04) this.skip += 4; // content checksum
          this.step = 'magic';
          this.need = 4;
        }
        return;
      }
    }
  }
}
