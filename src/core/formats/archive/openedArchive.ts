import type { Readable } from 'node:stream';
import type { Archive, TocEntry } from '../../model/types';

export interface LargeObject {
  oid: number;
  data: Buffer;
}

/** An archive whose TOC has been read, with access to its entries' data. */
export interface OpenedArchive {
  readonly archive: Archive;
  /** The entry's data, decompressed (COPY text for TABLE DATA). Errors name the entry and file. */
  openData(entry: TocEntry): Readable;
  /** The large objects of a BLOBS entry, in stored order. */
  largeObjects(entry: TocEntry): AsyncGenerator<LargeObject>;
  close(): Promise<void>;
}
