import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { DumpError } from '../errors';
import type { PlainCompression } from '../formats/detect';
import { plainText } from './indexer';

/**
 * Reading byte ranges of a plain dump's SQL text straight from the file: positioned reads of an
 * uncompressed file, or one pass over the decompressed stream of a compressed one (which cannot
 * be entered in the middle), skipping what lies between the ranges. Nothing is copied to disk.
 */

export interface ByteRange {
  offset: number;
  length: number;
}

const READ_SIZE = 1 << 20;

/**
 * The bytes of `ranges` (in ascending order, not overlapping), one range after another: yields
 * `[index of the range, chunk]`. Ranges next to each other are read as one.
 */
export async function* readRanges(path: string, compression: PlainCompression, ranges: readonly ByteRange[], signal?: AbortSignal): AsyncGenerator<[number, Buffer]> {
  for (let k = 1; k < ranges.length; k++) {
    if (ranges[k]!.offset < ranges[k - 1]!.offset + ranges[k - 1]!.length) throw new Error('readRanges: ranges must be in order and not overlap');
  }
  const source = compression === 'none' ? fileChunks(path, ranges) : streamChunks(path, compression);
  let k = 0;
  const skipEmpty = () => {
    while (k < ranges.length && ranges[k]!.length === 0) k++;
  };
  skipEmpty();
  if (k >= ranges.length) return;
  let reached = 0;
  try {
    for await (const [pos, chunk] of source) {
      if (signal?.aborted) throw new DumpError('usage', 'reading the dump was cancelled');
      const chunkEnd = pos + chunk.length;
      reached = chunkEnd;
      while (k < ranges.length) {
        const { offset, length } = ranges[k]!;
        const end = offset + length;
        if (offset >= chunkEnd) break;
        const from = Math.max(offset, pos) - pos;
        const to = Math.min(end, chunkEnd) - pos;
        if (to > from) yield [k, chunk.subarray(from, to)];
        if (end > chunkEnd) break;
        k++;
        skipEmpty();
      }
      if (k >= ranges.length) return;
    }
  } finally {
    await source.return(undefined);
  }
  throw cutShort(path, reached);
}

/** Ranges closer than this are read in one go (what lies between is read and dropped). */
const GAP = 256 * 1024;

/** Positioned reads of the file, in chunks, over the ranges (near ones joined). */
async function* fileChunks(path: string, ranges: readonly ByteRange[]): AsyncGenerator<[number, Buffer]> {
  const fh = await fs.promises.open(path, 'r');
  try {
    let k = 0;
    while (k < ranges.length) {
      const start = ranges[k]!.offset;
      let end = start + ranges[k]!.length;
      k++;
      while (k < ranges.length && ranges[k]!.offset - end < GAP) {
        end = Math.max(end, ranges[k]!.offset + ranges[k]!.length);
        k++;
      }
      for (let at = start; at < end; ) {
        const want = Math.min(READ_SIZE, end - at);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, at);
        if (bytesRead === 0) return;
        yield [at, buf.subarray(0, bytesRead)];
        at += bytesRead;
      }
    }
  } finally {
    await fh.close();
  }
}

/** The decompressed text from its start, with the position of each chunk. */
async function* streamChunks(path: string, compression: PlainCompression): AsyncGenerator<[number, Buffer]> {
  const stream = plainText(path, compression);
  try {
    let pos = 0;
    for await (const chunk of stream) {
      yield [pos, chunk as Buffer];
      pos += (chunk as Buffer).length;
    }
  } finally {
    stream.destroy();
  }
}

function cutShort(path: string, at: number): DumpError {
  return new DumpError('truncated', `${path} ends at byte ${at} of its SQL text, before the part the index points to: the file is shorter than when it was indexed (changed, or cut short)`);
}

/** One range as a stream (an entry's COPY data). */
export function rangeStream(path: string, compression: PlainCompression, range: ByteRange): Readable {
  async function* chunks() {
    for await (const [, chunk] of readRanges(path, compression, [range])) yield chunk;
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The text of several ranges, as strings in the given encoding (sections' SQL the index does not hold). */
export async function readRangeTexts(path: string, compression: PlainCompression, ranges: readonly ByteRange[], encoding: BufferEncoding): Promise<string[]> {
  const parts: Buffer[][] = ranges.map(() => []);
  for await (const [k, chunk] of readRanges(path, compression, ranges)) parts[k]!.push(Buffer.from(chunk));
  return parts.map((p) => Buffer.concat(p).toString(encoding));
}
