/**
 * A new dump read back natively (the archive reader, or the plain index): every selected table is
 * in its TOC, with its rows where they were dumped, and no entry's data is missing or cut short.
 */
import { withDump } from '../archive';
import { formatBytes, plural } from '../units';
import type { Archive } from '../model/types';
import type { DumpCheck, DumpOptions, DumpPlanView } from './types';

const key = (desc: string, schema: string, name: string) => `${desc}\u0000${schema}\u0000${name}`;

/**
 * The TABLE and TABLE DATA entries of a dump as keys, and how many entries it has. An archive's
 * are read from its TOC columns: a TOC of 90,000 entries made into objects would cost tens of MB.
 */
function tableEntries(archive: Archive): { keys: Set<string>; entries: number } {
  const keys = new Set<string>();
  const t = archive.table;
  if (t) {
    for (let i = 0; i < t.count; i++) {
      const desc = t.get(i, 'desc');
      if (desc === 'TABLE' || desc === 'TABLE DATA') keys.add(key(desc, t.get(i, 'namespace') ?? '', t.get(i, 'tag') ?? ''));
    }
    return { keys, entries: t.count };
  }
  for (const e of archive.entries) if (e.desc === 'TABLE' || e.desc === 'TABLE DATA') keys.add(key(e.desc, e.namespace ?? '', e.tag ?? ''));
  return { keys, entries: archive.entries.length };
}

export async function checkDump(file: string, tables: DumpPlanView['tables'], options: DumpOptions): Promise<DumpCheck> {
  return withDump(file, async (opened) => {
    const archive = opened.archive;
    const { keys, entries } = tableEntries(archive);
    const has = (desc: string, t: { schema: string; name: string }) => keys.has(key(desc, t.schema, t.name));
    const content = options.content ?? 'all';
    const missingTables: string[] = [];
    for (const t of tables) {
      const name = `${t.schema}.${t.name}`;
      // A data-only dump holds no definitions; its tables are there as their rows.
      if (content !== 'data-only' && !has('TABLE', t)) missingTables.push(name);
      else if (t.data && !has('TABLE DATA', t)) missingTables.push(`${name} (its rows)`);
    }
    // Entries are made only when a problem needs naming.
    const dataProblems = archive.dataProblems.map((p) => {
      const e = archive.entries.find((x) => x.dumpId === p.dumpId);
      return `entry ${p.dumpId}${e ? ` (${e.desc} ${e.namespace ?? '-'} ${e.tag ?? ''})` : ''}: data ${p.problem}: ${p.detail}`;
    });
    let tableCount = 0;
    for (const k of keys) if (k.startsWith('TABLE\u0000')) tableCount++;
    return { entries, tables: tableCount, missingTables, dataProblems };
  });
}

/** What the check found wrong, one line each. */
export function checkProblems(check: DumpCheck): string[] {
  return [...check.missingTables.map((t) => `${t} was selected but is not in the dump`), ...check.dataProblems];
}

/** `146 entries, 11 tables, 96 kB (7% of the tables' 1.3 MB) in 1.4 s` */
export function dumpSummary(check: DumpCheck | undefined, bytes: number, sourceBytes: number, durationMs: number): string {
  const parts = check ? [plural(check.entries, 'entry', 'entries'), plural(check.tables, 'table')] : [];
  const percent = (bytes / sourceBytes) * 100;
  const ratio = sourceBytes > 0 ? ` (${percent < 1 ? '<1' : Math.round(percent)}% of the tables' ${formatBytes(sourceBytes)})` : '';
  parts.push(`${formatBytes(bytes)}${ratio}`);
  return `${parts.join(', ')} in ${(durationMs / 1000).toFixed(1)} s`;
}
