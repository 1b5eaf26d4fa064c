import type { OpenedArchive } from '../archive';
import { DumpError } from '../errors';
import type { TocEntry } from '../model/types';
import { ownership } from '../plan/closure';
import { tocIndex } from '../plan/dependencies';
import { copyColumns, decodeCopyRow, type CopyValue } from './copyText';
import { copyRows } from './copyRows';

/**
 * The first rows of a table as stored in the archive, decoded, for a look at the data without
 * restoring anything. A partitioned table has no rows of its own: its partitions' rows are read
 * one partition after another, each row saying which partition it came from.
 */

export interface DataPreview {
  /** `schema.table` of what was asked for. */
  table: string;
  /** From the COPY statement (the first partition's, for a partitioned table). */
  columns: string[];
  rows: CopyValue[][];
  /** For rows read from several partitions: the partition of each row; otherwise undefined. */
  rowSources?: string[];
  /** Whether the archive holds more rows than were read. */
  more: boolean;
  /** The TABLE DATA entries the rows were read from, with how many each gave. */
  sources: { dumpId: number; table: string; rows: number }[];
}

const qualified = (e: TocEntry) => (e.namespace ? `${e.namespace}.${e.tag ?? ''}` : (e.tag ?? ''));

/**
 * The TABLE DATA entries that hold an entry's rows: itself (a TABLE DATA entry), a table's own,
 * or, for a partitioned table, its partitions' (and theirs), in the order the archive has them.
 */
export function rowEntries(opened: Pick<OpenedArchive, 'archive'>, dumpId: number): TocEntry[] {
  const archive = opened.archive;
  const index = tocIndex(archive);
  const own = ownership(archive);
  const root = index.byId(dumpId);
  if (!root) return [];
  if (root.desc === 'TABLE DATA') return [root];
  const out: TocEntry[] = [];
  const seen = new Set<number>();
  const visit = (e: TocEntry) => {
    if (seen.has(e.dumpId)) return;
    seen.add(e.dumpId);
    for (const part of own.parts(e.dumpId)) {
      if (part.desc === 'TABLE DATA') out.push(part);
      else if (part.desc === 'TABLE' && e.desc === 'TABLE') visit(part);
    }
  };
  visit(root);
  return out.sort((a, b) => index.position(a.dumpId) - index.position(b.dumpId));
}

/** Reads up to `limit` rows of an entry's table (see rowEntries). Nothing is restored, nothing written. */
export async function previewRows(opened: OpenedArchive, dumpId: number, limit = 100): Promise<DataPreview> {
  const entry = tocIndex(opened.archive).byId(dumpId);
  if (!entry) throw new DumpError('usage', `entry ${dumpId} is not in the archive`);
  const name = qualified(entry);
  const sources = rowEntries(opened, dumpId);
  if (sources.length === 0) {
    throw new DumpError('missing-data', `${name} has no rows in this dump (${entry.desc === 'TABLE' ? 'a schema-only dump, or a table whose data pg_dump left out' : `a ${(entry.desc ?? 'entry').toLowerCase()} holds no table data`})`);
  }
  const columns = copyColumns(sources[0]!.copyStmt);
  const several = sources.length > 1;
  const rows: CopyValue[][] = [];
  const rowSources: string[] = [];
  const counts: DataPreview['sources'] = [];
  let more = false;
  for (const source of sources) {
    if (rows.length >= limit) {
      // Whether anything is left: a partition with stored data, or rows unread.
      more ||= (source.dataSize ?? 1) > 0;
      continue;
    }
    // A partition may list its columns in another order: map them onto the first one's.
    const own = copyColumns(source.copyStmt);
    const order = own.length === columns.length && own.some((c, k) => c !== columns[k]) ? columns.map((c) => own.indexOf(c)) : undefined;
    let n = 0;
    for await (const line of copyRows(opened.openData(source), limit - rows.length + 1)) {
      if (rows.length >= limit) {
        more = true;
        break;
      }
      const values = decodeCopyRow(line);
      rows.push(order ? order.map((k) => (k >= 0 ? (values[k] ?? null) : null)) : values);
      if (several) rowSources.push(qualified(source));
      n++;
    }
    counts.push({ dumpId: source.dumpId, table: qualified(source), rows: n });
  }
  return { table: name, columns, rows, ...(several ? { rowSources } : {}), more, sources: counts };
}
