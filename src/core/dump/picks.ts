/**
 * What is ticked in a live database's tree, as pg_dump's selection switches. pg_dump ignores -n
 * once a -t is given, so: everything ticked, no switch (the whole database, functions and types
 * included); only whole schemas, `-n` each; otherwise `-t` for each ticked table.
 */
import type { DumpOptions } from './types';

export interface PickedSchema {
  name: string;
  tables: { name: string; picked: boolean }[];
  /** The schema itself is ticked (one without tables still counts). */
  picked: boolean;
}

/** A name as a pg_dump pattern that matches it and nothing else (quoted: no wildcards inside). */
export function exactPattern(...parts: string[]): string {
  return parts.map((p) => `"${p.replace(/"/g, '""')}"`).join('.');
}

/** The selection switches for the picks; undefined when nothing is picked. */
export function selectionForPicks(schemas: readonly PickedSchema[]): Pick<DumpOptions, 'schemas' | 'tables'> | undefined {
  const whole = (s: PickedSchema) => s.picked && s.tables.every((t) => t.picked);
  if (schemas.length > 0 && schemas.every(whole)) return {};
  if (schemas.every((s) => whole(s) || (!s.picked && !s.tables.some((t) => t.picked)))) {
    const picked = schemas.filter(whole);
    return picked.length > 0 ? { schemas: picked.map((s) => exactPattern(s.name)) } : undefined;
  }
  const tables = schemas.flatMap((s) => s.tables.filter((t) => t.picked).map((t) => exactPattern(s.name, t.name)));
  return tables.length > 0 ? { tables } : undefined;
}
