import { formatBytes, formatCount } from '../units';
import type { PlainEntry } from './indexer';
import { readCopyPage, readSection, type PlainSource, type ReadOptions } from './sectionReader';

/**
 * The text of a small read-only document showing one section of a big plain dump: the section as
 * the dump has it (cut after MAX_SECTION_BYTES), or for a table's data a page of its COPY rows,
 * with a comment that says which rows these are and whether more follow.
 */

export const PAGE_ROWS = 1000;
export const MAX_SECTION_BYTES = 8 << 20;

/** Where a page of COPY rows starts: an offset in the SQL text, and the number of its first row. */
export interface PageStart {
  at: number;
  row: number;
}

export function sectionName(e: Pick<PlainEntry, 'namespace' | 'tag'>): string {
  return e.namespace ? `${e.namespace}.${e.tag}` : e.tag;
}

export async function sectionDocument(
  source: PlainSource,
  entry: Pick<PlainEntry, 'desc' | 'namespace' | 'tag' | 'offset' | 'length' | 'rows'>,
  options: ReadOptions & { page?: PageStart; pageRows?: number } = {},
): Promise<{ text: string; next: PageStart | null }> {
  if (entry.desc !== 'TABLE DATA') {
    const { text, truncated } = await readSection(source, entry.offset, entry.length, { ...options, maxBytes: MAX_SECTION_BYTES });
    const note = truncated ? `\n-- (${sectionName(entry)}: the first ${formatBytes(text.length)} of ${formatBytes(entry.length)} are shown)\n` : '';
    return { text: text.toString('utf8') + note, next: null };
  }
  const first = options.page?.row ?? 0;
  const page = await readCopyPage(source, entry, { ...options, count: options.pageRows ?? PAGE_ROWS, firstRow: first, ...(options.page ? { at: options.page.at } : {}) });
  const of = entry.rows !== undefined ? ` of ${formatCount(entry.rows)}` : '';
  const range = page.rows.length === 0 ? `no rows after row ${formatCount(first)}` : `rows ${formatCount(first + 1)}–${formatCount(first + page.rows.length)}${of}`;
  const lines = [`-- ${sectionName(entry)} (${entry.desc}): ${range}`, page.copyStatement, ...page.rows];
  const next = page.next === null ? null : { at: page.next, row: first + page.rows.length };
  lines.push(next ? `-- … more rows follow: "Next Page of Rows" (editor title bar) shows rows from ${formatCount(next.row + 1)}` : '\\.');
  return { text: `${lines.join('\n')}\n`, next };
}
