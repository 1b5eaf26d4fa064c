import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import { DumpError } from '../errors';
import { Lz4FrameDecoder } from './lz4Frame';

/**
 * How a stream of pg_dump data is compressed: 'zlib' is the RFC 1950 stream of custom archives,
 * 'gzip' the RFC 1952 files of directory archives, 'lz4' an LZ4 frame, 'zstd' a zstd frame.
 */
export type StreamCompression = 'none' | 'zlib' | 'gzip' | 'lz4' | 'zstd';

/** A Transform that turns compressed bytes into plain bytes; errors are one-line DumpErrors. */
export function createDecompressor(kind: StreamCompression, label: string): Transform {
  switch (kind) {
    case 'none':
      return new Transform({ transform: (chunk: Buffer, _enc, cb) => cb(null, chunk) });
    case 'zlib':
      return withDumpErrors(zlib.createInflate(), `${label} is not valid zlib data`, label);
    case 'gzip':
      return withDumpErrors(zlib.createGunzip(), `${label} is not valid gzip data`, label);
    case 'lz4':
      return new PushDecoder(new Lz4FrameDecoder(label));
    case 'zstd':
      return new PushDecoder(new ZstdDecoder(label));
  }
}

/**
 * Node's zlib streams already report a stream that ends early ("unexpected end of file");
 * this only rewrites their errors into one line that names what was being read.
 */
function withDumpErrors(stream: zlib.Inflate | zlib.Gunzip, what: string, label: string): Transform {
  const internal = stream as unknown as { _destroy(err: Error | null, cb: (err: Error | null) => void): void };
  const destroy = internal._destroy.bind(stream);
  internal._destroy = (err, cb) =>
    destroy(err, (e) => {
      if (!e || e instanceof DumpError) return cb(e);
      const truncated = (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR';
      cb(
        truncated
          ? new DumpError('truncated', `${label} is cut short: the compressed stream ends early`, { cause: e })
          : new DumpError('corrupt', `${what}: ${e.message}`, { cause: e }),
      );
    });
  return stream as unknown as Transform;
}

interface Decoder {
  push(chunk: Buffer): Buffer[];
  end(): void;
}

class ZstdDecoder implements Decoder {
  private out: Buffer[] = [];
  private readonly inner = new ZstdDecompress();
  private seen = false;
  private ended = false;

  constructor(private readonly label: string) {
    this.inner.ondata = (data, final) => {
      this.out.push(Buffer.from(data));
      if (final) this.ended = true;
    };
  }

  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) this.seen = true;
    try {
      this.inner.push(chunk);
    } catch (err) {
      throw new DumpError('corrupt', `${this.label} is not valid zstd data: ${(err as Error).message}`, { cause: err });
    }
    const out = this.out;
    this.out = [];
    return out;
  }

  end(): void {
    if (this.ended) return;
    try {
      this.inner.push(new Uint8Array(0), true);
    } catch (err) {
      throw new DumpError('truncated', `${this.label} is cut short: the zstd stream ends early (${(err as Error).message})`, { cause: err });
    }
    if (!this.seen) throw new DumpError('truncated', `${this.label} is empty: no zstd frame`);
  }
}

/** A Transform over a synchronous push decoder. */
class PushDecoder extends Transform {
  constructor(private readonly decoder: Decoder) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      for (const piece of this.decoder.push(chunk)) this.push(piece);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.decoder.end();
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}
