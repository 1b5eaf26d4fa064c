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

/** The Archive model over a TOC table: entries are made on first use, strings decode as stored. */
export function archiveOf(fields: Omit<Archive, 'entries' | 'stringEncoding'>): Archive {
  const { table } = fields;
  return {
    ...fields,
    get entries() {
      return table.entries;
    },
    stringEncoding: table.encoding === 'utf8' ? 'utf8' : 'latin1',
  };
}
