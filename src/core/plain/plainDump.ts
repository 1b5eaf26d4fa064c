import * as fs from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { DumpError } from '../errors';
import type { LargeObject, OpenedArchive } from '../formats/archive/openedArchive';
import type { DataLocation, DataProblem, PlainArchive, Section, TocEntry } from '../model/types';
import { indexPlainDump, PLAIN_INDEX_VERSION, type PlainEntry, type PlainIndex } from './indexer';
import { planRelations } from './plainDependencies';
import { rangeStream, readRangeTexts } from './sqlRanges';

/**
 * A plain SQL dump as the same model as an archive: one TocEntry per section of the index
 * (dumpId = position in the file + 1), with kind, schema, name and owner from pg_dump's headers,
 * the section pg_dump assigns the kind, the SQL as `defn`, the COPY statement, and dependencies
 * read from the SQL (plainDependencies.ts), so that listings, outlines, picks and plans work on
 * it unchanged. Entries' data is read from the file by byte range.
 */

export interface OpenPlainOptions {
  /** An index made before (e.g. cached): the file is then not read to open the dump. */
  index?: PlainIndex;
  signal?: AbortSignal;
  /** Bytes of SQL text indexed so far, when the index is made here. */
  onProgress?: (bytes: number) => void;
}

/** One section of a plain dump as a TOC entry. */
class PlainTocEntry implements TocEntry {
  readonly tableoid = null;
  readonly oid = null;
  readonly dropStmt = null;
  readonly tableam = null;
  readonly relkind = null;
  readonly withOids = null;
  readonly desc: string;
  readonly tag: string;
  readonly namespace: string | null;
  readonly owner: string | null;
  readonly tablespace: string | null;
  readonly hadDumper: boolean;
  readonly defn: string | null;
  readonly hasDefinition: boolean;
  readonly copyStmt: string | null;
  readonly data: DataLocation | null;
  readonly dataSize: number | null;

  constructor(
    readonly dumpId: number,
    e: PlainEntry,
    sql: string | null,
    readonly section: Section,
    readonly dependencies: number[],
  ) {
    this.desc = e.desc;
    this.tag = e.tag;
    this.namespace = e.namespace;
    this.owner = e.owner;
    this.tablespace = e.tablespace;
    this.hadDumper = e.data === true;
    this.defn = e.data ? null : sql;
    this.hasDefinition = this.defn !== null && this.defn.trim() !== '';
    this.copyStmt = e.copyStmt ?? null;
    this.data = e.dataOffset !== undefined && e.dataLength !== undefined ? { kind: 'range', offset: e.dataOffset, length: e.dataLength } : null;
    this.dataSize = e.dataLength ?? (e.data ? e.bodyLength : null);
  }
}

/** Opens a plain dump (`.sql`, `.sql.gz`, …): indexes it, or takes `options.index`. */
export async function openPlainDump(path: string, options: OpenPlainOptions = {}): Promise<OpenedArchive<PlainArchive>> {
  let index = options.index;
  if (index) await checkIndex(path, index);
  else index = await indexPlainDump(path, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  return plainDumpOf(index, await sqlNotInIndex(index));
}

async function checkIndex(path: string, index: PlainIndex): Promise<void> {
  const label = basename(path);
  if (index.formatVersion !== PLAIN_INDEX_VERSION) {
    throw new DumpError('usage', `the index of ${label} was made by another version of this tool (format ${index.formatVersion}, this one reads ${PLAIN_INDEX_VERSION}): index the dump again`);
  }
  if (index.compression !== 'none') return;
  let size: number;
  try {
    size = (await fs.promises.stat(path)).size;
  } catch (err) {
    throw new DumpError('not-found', `${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (size < index.size) throw new DumpError('usage', `${label} is smaller (${size} bytes) than when it was indexed (${index.size} bytes): index it again`);
}

/** The SQL of non-data sections too long for the index (SQL_TEXT_LIMIT), read from the file in one pass. */
async function sqlNotInIndex(index: PlainIndex): Promise<Map<number, string>> {
  const missing = index.entries.flatMap((e, i) => (!e.data && e.sql === undefined && e.bodyLength > 0 ? [i] : []));
  const out = new Map<number, string>();
  if (missing.length === 0) return out;
  const texts = await readRangeTexts(
    index.path,
    index.compression,
    missing.map((i) => ({ offset: index.entries[i]!.bodyOffset, length: index.entries[i]!.bodyLength })),
    index.encoding,
  );
  missing.forEach((i, k) => out.set(i, texts[k]!));
  return out;
}

/** The model of an indexed plain dump. `extraSql`: SQL of sections the index does not hold, by position. */
export function plainDumpOf(index: PlainIndex, extraSql: ReadonlyMap<number, string> = new Map()): OpenedArchive<PlainArchive> {
  const sqlAt = (i: number) => index.entries[i]!.sql ?? extraSql.get(i) ?? null;
  const relations = planRelations(index.entries.map((e, i) => ({ desc: e.desc, namespace: e.namespace, tag: e.tag, sql: e.data ? null : sqlAt(i) })));
  const entries: TocEntry[] = index.entries.map(
    (e, i) =>
      new PlainTocEntry(
        i + 1,
        e,
        sqlAt(i),
        relations.sections[i]!,
        relations.dependencies[i]!.map((p) => p + 1),
      ),
  );
  const database = index.entries.find((e) => e.desc === 'DATABASE');
  const archive: PlainArchive = {
    path: index.path,
    format: 'plain',
    container: 'file',
    header: {
      version: null,
      intSize: null,
      offSize: null,
      formatByte: null,
      compression: index.compression,
      compressionLevel: null,
      createdAt: null,
      dbname: database?.tag ?? index.database ?? null,
      serverVersion: index.serverVersion,
      pgDumpVersion: index.pgDumpVersion,
      tocCount: entries.length,
    },
    entries,
    stringEncoding: index.encoding,
    dataProblems: dataProblems(index),
  };
  return new PlainDump(archive, index);
}

/** What the index shows of a dump that was cut short. */
function dataProblems(index: PlainIndex): DataProblem[] {
  const out: DataProblem[] = [];
  index.entries.forEach((e, i) => {
    if (e.dataIncomplete) out.push({ dumpId: i + 1, problem: 'incomplete', detail: 'its COPY data runs to the end of the file without the \\. line that ends it' });
  });
  const last = index.entries.length;
  if (!index.complete && last > 0 && !out.some((p) => p.dumpId === last)) {
    out.push({ dumpId: last, problem: 'incomplete', detail: 'the dump ends after this entry without pg_dump\'s "dump complete" trailer' });
  }
  return out;
}

class PlainDump implements OpenedArchive<PlainArchive> {
  constructor(
    readonly archive: PlainArchive,
    readonly plain: PlainIndex,
  ) {}

  openData(entry: TocEntry): Readable {
    const name = `${entry.namespace ?? '-'}.${entry.tag ?? ''}`;
    const location = entry.data;
    if (location?.kind !== 'range') {
      const why =
        entry.desc === 'TABLE DATA'
          ? 'its data is INSERT statements, not COPY text (a dump made with --inserts), or it has none'
          : `it is a ${entry.desc ?? 'entry'} without COPY data`;
      throw new DumpError('missing-data', `${basename(this.archive.path)}: entry ${entry.dumpId} (${entry.desc} ${name}) has no data to read: ${why}`);
    }
    return rangeStream(this.plain.path, this.plain.compression, location);
  }

  // eslint-disable-next-line require-yield
  async *largeObjects(entry: TocEntry): AsyncGenerator<LargeObject> {
    throw new DumpError('unsupported', `${basename(this.archive.path)}: the large objects of entry ${entry.dumpId} are SQL statements (lo_open, lowrite) in a plain dump, not data to read; restore them`);
  }

  async close(): Promise<void> {
    // Nothing is held open between reads.
  }
}
