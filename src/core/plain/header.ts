/**
 * Whether SQL text starts as pg_dump's or pg_dumpall's output does: a comment block naming the
 * kind of dump on the first lines. Used on the first few lines of an editor's document, where
 * reading the file again (as detectDump does) would be wasted work.
 */

export type PlainHeaderKind = 'pg_dump' | 'pg_dumpall';

const PG_DUMP = /^--\r?\n-- PostgreSQL database dump\r?\n--\r?\n/;
const PG_DUMPALL = /^--\r?\n-- PostgreSQL database cluster dump\r?\n--\r?\n/;

/** The kind of dump `head` (the text's first lines, a BOM allowed) begins; null for anything else. */
export function plainHeaderKind(head: string): PlainHeaderKind | null {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head;
  if (PG_DUMP.test(text)) return 'pg_dump';
  if (PG_DUMPALL.test(text)) return 'pg_dumpall';
  return null;
}
