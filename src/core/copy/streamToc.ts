/**
 * The table of contents of a custom archive read from the start of a stream (`pg_dump -Fc` writing
 * to a pipe): pg_dump writes the header and the whole TOC before any table's data, so the TOC can
 * be read, natively, before a single row has gone by. A copy plans on it (the -L list names the
 * stream's own dump IDs), and the pre-flight reads it from a pg_dump stopped right after it.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { DumpError } from '../errors';
import { ByteReader } from '../formats/archive/byteReader';
import { archiveOf } from '../formats/archive/openedArchive';
import { attachSource, FORMAT_CUSTOM, readHeader, readToc } from '../formats/archive/toc';
import type { TocArchive } from '../model/types';

/**
 * The archive whose header and TOC `bytes` begins with; undefined while they are not all there.
 * A header that is not a custom archive's throws; inside the TOC, bytes cut short can read as a
 * length beyond the end, so there every failure means "not all there yet" (the caller says what
 * went wrong if the stream ends so).
 */
export function tocFromPrefix(bytes: Buffer, label: string): TocArchive | undefined {
  const r = ByteReader.fromBuffer(label, bytes);
  let header;
  try {
    header = readHeader(r, label);
  } catch (err) {
    if (err instanceof DumpError && err.code === 'truncated') return undefined;
    throw err;
  }
  if (header.formatByte !== FORMAT_CUSTOM) throw new DumpError('corrupt', `${label}: format byte ${header.formatByte}; pg_dump -Fc writes 1`);
  let table;
  try {
    table = readToc(r, header, label, true);
  } catch (err) {
    if (err instanceof DumpError && (err.code === 'truncated' || err.code === 'corrupt')) return undefined;
    throw err;
  }
  attachSource(table);
  return archiveOf({ path: label, format: 'custom', container: 'file', header, table, dataProblems: [], unsetOffsets: 0 });
}

/**
 * Passes a custom archive's bytes through, holding them back until its TOC has been read and
 * `onToc` has settled (a copy writes its -L list there): nothing reaches the reader before. Counts
 * the bytes that went through. When the TOC cannot be read or `onToc` throws, the stream fails.
 */
export class TocGate extends Transform {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #nextTry = 1 << 16;
  #open = false;
  /** Bytes passed on. */
  bytes = 0;
  archive: TocArchive | undefined;
  /** Why the stream failed (also emitted as its 'error'). */
  failure: unknown;

  constructor(
    private readonly label: string,
    private readonly onToc: (archive: TocArchive) => Promise<void> | void,
  ) {
    super();
    // Whoever reads or writes it listens too; this keeps an error without a listener from ending the process.
    this.on('error', (err) => (this.failure ??= err));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.#open) {
      this.bytes += chunk.length;
      done(null, chunk);
      return;
    }
    this.#held.push(chunk);
    this.#heldBytes += chunk.length;
    if (this.#heldBytes < this.#nextTry) return done();
    this.#tryOpen(false).then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.#open) return done();
    this.#tryOpen(true).then(() => done(), done);
  }

  async #tryOpen(atEnd: boolean): Promise<void> {
    const bytes = Buffer.concat(this.#held);
    this.#held = [bytes];
    const archive = tocFromPrefix(bytes, this.label);
    if (!archive) {
      if (atEnd) throw new DumpError('truncated', `${this.label} ended before its table of contents did (${bytes.length} bytes)`);
      this.#nextTry = bytes.length * 2;
      return;
    }
    this.archive = archive;
    await this.onToc(archive);
    this.#open = true;
    this.#held = [];
    this.bytes += bytes.length;
    this.push(bytes);
  }
}
