/**
 * A new dump read back natively (the archive reader, or the plain index): every selected table is
 * in its TOC, with its rows where they were dumped, and no entry's data is missing or cut short.
 */
import { withDump } from '../archive';
import { formatBytes, plural } from '../units';
import type { DumpCheck, DumpOptions, DumpPlanView } from './types';

export async function checkDump(file: string, tables: DumpPlanView['tables'], options: DumpOptions): Promise<DumpCheck> {
  return withDump(file, async (opened) => {
    const entries = opened.archive.entries;
    const have = new Set(entries.map((e) => `${e.desc}\u0000${e.namespace ?? ''}\u0000${e.tag ?? ''}`));
    const has = (desc: string, t: { schema: string; name: string }) => have.has(`${desc}\u0000${t.schema}\u0000${t.name}`);
    const content = options.content ?? 'all';
    const missingTables: string[] = [];
    for (const t of tables) {
      const name = `${t.schema}.${t.name}`;
      // A data-only dump holds no definitions; its tables are there as their rows.
      if (content !== 'data-only' && !has('TABLE', t)) missingTables.push(name);
      else if (t.data && !has('TABLE DATA', t)) missingTables.push(`${name} (its rows)`);
    }
    const byId = new Map(entries.map((e) => [e.dumpId, e]));
    const dataProblems = opened.archive.dataProblems.map((p) => {
      const e = byId.get(p.dumpId);
      return `entry ${p.dumpId}${e ? ` (${e.desc} ${e.namespace ?? '-'} ${e.tag ?? ''})` : ''}: data ${p.problem}: ${p.detail}`;
    });
    return { entries: entries.length, tables: entries.filter((e) => e.desc === 'TABLE').length, missingTables, dataProblems };
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
