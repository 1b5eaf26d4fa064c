import { buildPlan } from '../plan/closure';
import type { Selection } from '../plan/selection';
import { formatBytes } from '../units';
import type { Archive, TocEntry } from './types';

/**
 * The SQL that restoring a selection runs, entry by entry in archive order, each under the
 * comment header a plain pg_dump script gives it (`-- Name: order; Type: TABLE; Schema: sales;
 * Owner: app`), so that a person sees what restoring an object would do before doing it.
 * Table data is shown as its COPY statement: the rows are for the data preview.
 */

const oneLine = (s: string | null) => (s ?? '').replace(/[\r\n]+/g, ' ');

/** pg_dump's header of an entry in a plain script (pg_backup_archiver.c, _printTocEntry). */
export function entryHeader(e: TocEntry): string {
  const isData = e.hadDumper || e.desc === 'TABLE DATA';
  const tablespace = e.tablespace ? `; Tablespace: ${oneLine(e.tablespace)}` : '';
  return `--\n-- ${isData ? 'Data for ' : ''}Name: ${oneLine(e.tag)}; Type: ${oneLine(e.desc)}; Schema: ${e.namespace ? oneLine(e.namespace) : '-'}; Owner: ${oneLine(e.owner)}${tablespace}\n--\n`;
}

/** One entry's SQL, under its header. */
export function entrySql(e: TocEntry): string {
  const header = entryHeader(e);
  if (e.desc === 'TABLE DATA' || (e.hadDumper && e.copyStmt)) {
    const size = e.dataSize !== null ? `${formatBytes(e.dataSize)} stored` : 'stored';
    return `${header}\n${(e.copyStmt ?? '').trimEnd()}\n-- (rows: ${size} in the archive; Preview Data shows the first 100)\n\\.\n\n`;
  }
  if (e.hadDumper) return `${header}\n-- (${oneLine(e.desc).toLowerCase()}: data, not SQL; ${e.dataSize !== null ? `${formatBytes(e.dataSize)} stored` : 'stored'} in the archive)\n\n`;
  const defn = e.hasDefinition ? (e.defn ?? '').trimEnd() : '';
  return `${header}\n${defn === '' ? `-- (no SQL of its own)` : defn}\n\n`;
}

/** The SQL of every entry a selection's plan restores, with a first comment saying what it is. */
export function definitionText(archive: Archive, selection: Selection, title: string): string {
  const plan = buildPlan(archive, selection);
  const entries = plan.entries.map((p) => p.entry);
  const lead = `-- ${oneLine(title)}: what restoring it runs, ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'} of the archive (read only)\n`;
  return lead + '\n' + entries.map(entrySql).join('');
}
