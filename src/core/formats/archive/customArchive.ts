import * as fs from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DumpError } from '../../errors';
import type { DataProblem, TocArchive, TocEntry } from '../../model/types';
import { createDecompressor, type StreamCompression } from '../compression';
import { AsyncFileReader, chunkList, joinedChunkList } from './asyncReader';
import { BLK_BLOBS, BLK_DATA, FileWindow, walkBlock } from './blocks';
import { ByteReader } from './byteReader';
import { archiveOf, type LargeObject, type OpenedArchive } from './openedArchive';
import { attachSource, DATA_OFFSET, FORMAT_CUSTOM, readHeader, readToc, type TocListener, type TocTable } from './toc';
import { basename } from 'node:path';

/**
 * A custom-format (`pg_dump -Fc`) archive: header and TOC at the start, then one data block per
 * entry with data. Sizes come from offset deltas when pg_dump could seek back and write them,
 * and from a walk over block headers when it could not (output written to a pipe).
 */
export function openCustomArchive(path: string, listener: TocListener | null = null): OpenedArchive<TocArchive> {
  const label = basename(path);
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const r = ByteReader.fromFile(label, fd, size);
    const header = readHeader(r, label);
    if (header.formatByte !== FORMAT_CUSTOM) {
      throw new DumpError('corrupt', `${label}: format byte ${header.formatByte} in a file that starts like a custom archive; expected 1`);
    }
    const table = readToc(r, header, label, true, listener);
    attachSource(table);
    // Counted before the walk over the data blocks fills in the positions it finds.
    const unsetOffsets = table.unsetOffsets;
    const { problems, lastBlock } = indexCustomData(new FileWindow(fd, size), table, r.position, header.intSize, label);
    // Whether the last block is whole is known only by walking its chunk headers, which takes a
    // read through the whole block (a big table's, often): done on first use of dataProblems, on
    // a descriptor of its own (the archive may have been closed by then).
    const dataProblems = lastBlock ? () => [...problems, ...lastBlockProblems(path, size, lastBlock, header.intSize, label)] : problems;
    const archive = archiveOf({ path, format: 'custom', container: 'file', header, table, dataProblems, unsetOffsets });
    const compression: StreamCompression = header.compression === 'gzip' ? 'zlib' : header.compression;
    return new CustomArchive(archive, fd, size, compression, label);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/**
 * The largest last block that is walked chunk by chunk to see that it is whole; a larger one is
 * checked by its header and its last bytes, so that a dump of hundreds of GB opens without
 * reading them.
 */
export const WALK_LAST_BLOCK_UP_TO = 64 << 20;

/** The last data block of an archive with offsets, whose end is the file's end: walked on demand. */
interface LastBlock {
  dumpId: number;
  start: number;
}

function lastBlockProblems(path: string, size: number, last: LastBlock, intSize: number, label: string): DataProblem[] {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    return [{ dumpId: last.dumpId, problem: 'missing', detail: `its data could not be read: ${err instanceof Error ? err.message : String(err)}` }];
  }
  try {
    const w = new FileWindow(fd, size);
    if (size - last.start > WALK_LAST_BLOCK_UP_TO) {
      // Walking a block reads through all of it (its chunks are a few kB each): for a big one,
      // its header and its end. A whole block ends the file with the 0 that ends its chunk list
      // (or its list of large objects); a file cut short ends inside a chunk's data instead.
      const problem = blockHeadProblem(w, last.start, last.dumpId, intSize);
      if (problem) return [problem];
      const end = w.read(size - (1 + intSize), 1 + intSize);
      if (end.length < 1 + intSize || end.some((b) => b !== 0)) return [{ dumpId: last.dumpId, problem: 'incomplete', detail: `its data does not end as a whole block does: the file was probably cut short at byte ${size}` }];
      return [];
    }
    const block = walkBlock(w, last.start, intSize, label);
    if (block.dumpId !== last.dumpId) return [{ dumpId: last.dumpId, problem: 'corrupt', detail: `the block at byte ${last.start} belongs to entry ${block.dumpId}` }];
    if (!block.complete) return [{ dumpId: last.dumpId, problem: 'incomplete', detail: `its data is cut short at byte ${size}` }];
    return [];
  } catch (err) {
    return [{ dumpId: last.dumpId, problem: 'corrupt', detail: err instanceof Error ? err.message : String(err) }];
  } finally {
    fs.closeSync(fd);
  }
}

/** What is wrong with the head of entry `dumpId`'s block at `start` (its type byte and the dump ID after it), if anything. */
function blockHeadProblem(w: FileWindow, start: number, dumpId: number, intSize: number): DataProblem | undefined {
  if (!w.blockHead(start, intSize) || (w.type !== BLK_DATA && w.type !== BLK_BLOBS)) return { dumpId, problem: 'corrupt', detail: `no data block starts at byte ${start}` };
  if (w.dumpId !== dumpId) return { dumpId, problem: 'corrupt', detail: `the block at byte ${start} belongs to entry ${w.dumpId}` };
  return undefined;
}

function indexCustomData(w: FileWindow, t: TocTable, dataStart: number, intSize: number, label: string): { problems: DataProblem[]; lastBlock?: LastBlock } {
  const problems: DataProblem[] = [];
  let lastBlock: LastBlock | undefined;
  // Entries with data, by TOC position, as the TOC reader noted them.
  const withData = t.withData;
  const n = withData.length;
  let positioned = 0;
  let ascending = true;
  for (let k = 0; k < n; k++) {
    const i = withData[k]!;
    if (t.dataKind[i] !== DATA_OFFSET) continue;
    positioned++;
    if (k > 0 && t.dataOffset[i]! < t.dataOffset[withData[k - 1]!]!) ascending = false;
  }
  if (positioned === n) {
    // Offsets written: sizes are deltas, and only the last block is read. A file cut short shows
    // as offsets past its end and a last block that is not whole. The other blocks' heads are
    // checked when their data is read (openData): checking them here would cost a read per
    // table, thousands of seeks on a big dump, to find only a damaged offset table.
    // pg_dump writes the data in TOC order, so the offsets are usually sorted already.
    const sorted = ascending ? withData.subarray(0, n) : Int32Array.from([...withData.subarray(0, n)].sort((a, b) => t.dataOffset[a]! - t.dataOffset[b]!));
    for (let k = 0; k < n; k++) {
      const i = sorted[k]!;
      const dumpId = t.dumpId[i]!;
      const start = t.dataOffset[i]!;
      const next = k + 1 < n ? t.dataOffset[sorted[k + 1]!]! : w.size;
      if (start >= w.size) {
        problems.push({ dumpId, problem: 'missing', detail: `its data at byte ${start} lies beyond the end of the file (${w.size} bytes)` });
        continue;
      }
      t.dataSize[i] = Math.min(next, w.size) - start;
      if (next >= w.size) lastBlock = { dumpId, start };
    }
    return lastBlock ? { problems, lastBlock } : { problems };
  }

  // Written to a pipe: walk the blocks in file order, as pg_restore does, noting where each is.
  const byId = new Map(Array.from(withData.subarray(0, n), (i) => [t.dumpId[i]!, i]));
  const seen = new Set<number>();
  let pos = dataStart;
  while (pos < w.size) {
    const block = walkBlock(w, pos, intSize, label);
    const i = byId.get(block.dumpId);
    if (i === undefined) {
      if (!block.complete) break;
      throw new DumpError('corrupt', `${label}: a data block at byte ${pos} names entry ${block.dumpId}, which has no data in the TOC`);
    }
    seen.add(i);
    t.setData(i, { kind: 'offset', offset: pos });
    t.dataSize[i] = block.length;
    if (!block.complete) {
      problems.push({ dumpId: block.dumpId, problem: 'incomplete', detail: `its data is cut short at byte ${w.size}` });
      break;
    }
    pos += block.length;
  }
  for (const i of withData.subarray(0, n)) {
    if (!seen.has(i)) problems.push({ dumpId: t.dumpId[i]!, problem: 'missing', detail: 'no data block for it before the end of the file' });
  }
  return { problems };
}

/** Passes the stored pieces on, telling `onStored` how many bytes have gone by. */
async function* storedProgress(pieces: AsyncGenerator<Buffer>, onStored: (bytes: number) => void): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const piece of pieces) {
    total += piece.length;
    onStored(total);
    yield piece;
  }
}

class CustomArchive implements OpenedArchive<TocArchive> {
  private closed = false;

  constructor(
    readonly archive: TocArchive,
    /** Kept open for reading data; closed by close(). */
    private readonly fd: number,
    private readonly size: number,
    private readonly compression: StreamCompression,
    private readonly label: string,
  ) {}

  private async reader(entry: TocEntry, expected: number): Promise<{ r: AsyncFileReader; close: () => Promise<void> }> {
    if (entry.data?.kind !== 'offset') {
      throw new DumpError('missing-data', `${this.label}: entry ${entry.dumpId} (${entry.desc} ${entry.tag}) has no data in this archive`);
    }
    const fh = await open(this.archive.path, 'r');
    const label = `data of TOC entry ${entry.dumpId} in ${this.label}`;
    try {
      const r = new AsyncFileReader(fh, entry.data.offset, this.size, label);
      const type = await r.byte();
      const id = await r.int(this.archive.header.intSize);
      if (type !== expected || id !== entry.dumpId) {
        throw new DumpError('corrupt', `${label}: expected a block of type ${expected} for entry ${entry.dumpId}, found type ${type} for entry ${id}`);
      }
      return { r, close: () => fh.close() };
    } catch (err) {
      // A block header cut short throws from the reader: the file is closed either way.
      await fh.close();
      throw err;
    }
  }

  openData(entry: TocEntry, onStored?: (bytes: number) => void): Readable {
    const label = `data of TOC entry ${entry.dumpId} (${entry.desc} ${entry.namespace ?? '-'}.${entry.tag}) in ${this.label}`;
    const out = new PassThrough();
    const run = async () => {
      const { r, close } = await this.reader(entry, BLK_DATA);
      try {
        const chunks = joinedChunkList(r, this.archive.header.intSize, label);
        const source = Readable.from(onStored ? storedProgress(chunks, onStored) : chunks);
        const decoder = createDecompressor(this.compression, label);
        await pipeline(source, decoder, out);
      } finally {
        await close();
      }
    };
    run().catch((err: unknown) => out.destroy(err as Error));
    return out;
  }

  async *largeObjects(entry: TocEntry): AsyncGenerator<LargeObject> {
    const { r, close } = await this.reader(entry, BLK_BLOBS);
    const intSize = this.archive.header.intSize;
    try {
      for (;;) {
        const raw = await r.int(intSize);
        if (raw === 0) return;
        const oid = raw >>> 0; // OIDs of 2^31 and above were written as negative ints
        const label = `large object ${oid} in ${this.label}`;
        const parts: Buffer[] = [];
        for await (const chunk of chunkList(r, intSize, label)) parts.push(chunk);
        const data = await collect(Readable.from(parts).pipe(createDecompressor(this.compression, label)));
        yield { oid, data };
      }
    } finally {
      await close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    fs.closeSync(this.fd);
  }
}

export async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
