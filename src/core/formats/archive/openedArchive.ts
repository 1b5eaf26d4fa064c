import type { Readable } from 'node:stream';
import type { Container } from '../../io/container';
import type { Archive, DataProblem, TocArchive, TocEntry } from '../../model/types';
import type { PlainIndex } from '../../plain/indexer';

export interface LargeObject {
  oid: number;
  data: Buffer;
}

/**
 * An archive whose TOC has been read (or a plain dump whose index has been made), with access
 * to its entries' data. `openArchive` gives `OpenedArchive<TocArchive>`, `openPlainDump`
 * `OpenedArchive<PlainArchive>`, `openDump` either.
 */
export interface OpenedArchive<A extends Archive = Archive> {
  readonly archive: A;
  /**
   * The entry's data, decompressed (COPY text for TABLE DATA). Errors name the entry and file.
   * `onStored`, where the archive can say (a custom archive), is told how many of the data's
   * stored (compressed) bytes have been read so far.
   */
  openData(entry: TocEntry, onStored?: (bytes: number) => void): Readable;
  /** The large objects of a BLOBS entry, in stored order. */
  largeObjects(entry: TocEntry): AsyncGenerator<LargeObject>;
  close(): Promise<void>;
  /**
   * Plain dumps only: the index the entries were made from (entry i is the entry with dumpId
   * i + 1), for byte ranges, state lines and the preamble.
   */
  readonly plain?: PlainIndex;
  /**
   * Directory dumps and tar archives: the folder, tar or zip file holding their members, for
   * whoever must copy some of them (a restore of a directory dump packed in a tar or zip file).
   */
  readonly container?: Container;
}

/**
 * The Archive model over a TOC table: entries are made on first use, strings decode as stored.
 * `dataProblems` may be given as a function: it is then called on first use (a check that reads
 * through a big data block is not paid by whoever never asks, such as a restore).
 */
export function archiveOf(fields: Omit<TocArchive, 'entries' | 'stringEncoding' | 'dataProblems'> & { dataProblems: DataProblem[] | (() => DataProblem[]) }): TocArchive {
  const { table, dataProblems, ...rest } = fields;
  let problems = typeof dataProblems === 'function' ? undefined : dataProblems;
  return {
    ...rest,
    table,
    get entries() {
      return table.entries;
    },
    get dataProblems() {
      problems ??= (dataProblems as () => DataProblem[])();
      return problems;
    },
    stringEncoding: table.encoding === 'utf8' ? 'utf8' : 'latin1',
  };
}
