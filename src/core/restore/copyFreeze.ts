import { copyWithFreeze } from '../data/copyText';
import type { TocEntry } from '../model/types';
import type { RestoreRunOptions } from './types';

/**
 * COPY … FREEZE for the tables a restore creates. In one transaction, a table created by that
 * transaction may be loaded with its rows already frozen and its pages all-visible: the ANALYZE
 * after the restore, the first queries and VACUUM then do not rewrite every page to set hint
 * bits or freeze it. PostgreSQL allows it only for a table created (or truncated) in the same
 * transaction, and refuses the COPY otherwise, so it is asked for only where that is certain.
 */

/**
 * The first line of the server's error when it refuses the FREEZE: the table was not created in
 * the transaction, prior activity in it, a partitioned table ("cannot perform FREEZE …" in older
 * releases, "cannot perform COPY FREEZE …" in newer ones), or the option is unknown.
 */
export const FREEZE_REFUSED = /cannot perform (?:COPY )?FREEZE|option "freeze" not recognized/i;

/**
 * The COPY statement, with FREEZE, of each planned TABLE DATA entry whose table the same restore
 * creates, by dump ID: a restore in one transaction that runs the pre-data and data sections,
 * the TABLE entry the data depends on planned too (not used as the target has it), and the
 * COPY pg_dump's plain one into that very table (not into a partition root).
 */
export function frozenCopies(planned: readonly TocEntry[], options: RestoreRunOptions, oneTransaction: boolean): Map<number, string> {
  const out = new Map<number, string>();
  if (options.freeze === false || !oneTransaction) return out;
  const sections = options.sections ?? [];
  if (sections.length > 0 && !(sections.includes('pre-data') && sections.includes('data'))) return out;
  const created = new Map<number, TocEntry>();
  for (const e of planned) if (e.desc === 'TABLE' && createsTable(e.defn)) created.set(e.dumpId, e);
  if (created.size === 0) return out;
  for (const e of planned) {
    if (e.desc !== 'TABLE DATA' || !e.hadDumper || e.namespace === null || e.tag === null) continue;
    const table = e.dependencies.map((id) => created.get(id)).find((t) => t && t.namespace === e.namespace && t.tag === e.tag);
    if (!table) continue;
    const copy = copyWithFreeze(e.copyStmt, e.namespace, e.tag);
    if (copy) out.set(e.dumpId, copy);
  }
  return out;
}

/** Whether a TABLE entry's definition creates a table with storage of its own (not a foreign or partitioned one). */
function createsTable(defn: string | null): boolean {
  if (!defn || !/^\s*CREATE (?:UNLOGGED )?TABLE /.test(defn)) return false;
  // A partitioned table holds no rows (and pg_dump writes no data for it): its partitions do.
  return !/\)\s*PARTITION BY /.test(defn);
}
