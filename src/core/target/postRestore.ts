/**
 * The work after a restore, on the tables the restore wrote to and nothing else:
 *
 * 1. ANALYZE them (and materialized views whose data was restored, and a partitioned table
 *    whose partitions were all restored), so that the planner does not work from empty
 *    statistics until autovacuum comes by (it never analyzes partitioned tables). A table whose
 *    statistics came with the restore (PostgreSQL 18's STATISTICS DATA entries, planned and found
 *    in the target afterwards) is left as it is, as `vacuumdb --missing-stats-only` leaves it.
 * 2. Sequences owned by their columns (serial, identity, `OWNED BY`): when a sequence is behind
 *    the column's largest value (smallest, for a descending one), the next insert would fail
 *    with a duplicate key, so it is set forward with `setval(seq, max, true)`. A sequence is
 *    never moved back. Reading it and setting it are two statements: this is meant to run
 *    right after the restore, before applications write to the tables again.
 * 3. Rows: each table's rows against the rows of its TABLE DATA in the archive, counted natively
 *    by streaming the entry's data (countRows.ts) while the database works. The table's rows are
 *    its `count(*)` (`FROM ONLY`), unless the server has already counted them: see
 *    `restoredBy` below (insertCounts).
 *
 * "Restored tables" are the tables of the plan's TABLE DATA entries. A definition-only plan
 * restores no rows: its TABLEs are analyzed, and neither sequences nor rows are checked.
 *
 * Failures about one table or sequence (missing after the restore, no privilege, …) become
 * problem lines and the rest goes on; a connection that cannot be made or is lost rejects.
 */
import { DatabaseError, type Client } from 'pg';
import type { ResolvedConnection } from '../connections/resolve';
import { abortError, countArchiveRows, holdsCopyData } from '../data/countRows';
import { countRowsInProcess, type RowCounterProgram } from '../data/rowCounterProcess';
import { oneLine } from '../errors';
import type { OpenedArchive } from '../formats/archive/openedArchive';
import type { TocEntry } from '../model/types';
import type { RestorePlan } from '../plan/closure';
import { openServerSession, type ServerSession } from '../server/session';

export { countArchiveRows } from '../data/countRows';

export interface TableRowCount {
  dumpId: number;
  /** `schema.name` as the archive names it. */
  table: string;
  /** Rows of the entry's data in the archive. */
  archiveRows: number;
  /** Rows of the table itself in the database (`count(*) FROM ONLY`); 0 when it is missing. */
  databaseRows: number;
  /** What the table should hold: the archive's rows plus the rows it held before (options.rowsBefore). */
  expectedRows: number;
  /** The rows the table held before the restore, as given in options.rowsBefore (0 when not given). */
  rowsBefore: number;
  matches: boolean;
  /** The table is not in the database. */
  missing?: boolean;
  /**
   * How `databaseRows` was learnt: `count(*)`, or from the server's own counts of the rows the
   * restore's sessions inserted into the table (`statistics`, PostgreSQL 15 and later).
   */
  countedBy: 'count' | 'statistics';
}

export interface SequenceFix {
  /** `schema.name` of the sequence. */
  sequence: string;
  /** `schema.name` of the table that owns it. */
  table: string;
  column: string;
  /** `identity` (deptype i) or `owned` (serial or OWNED BY, deptype a). */
  kind: 'identity' | 'owned';
  /** Its increment; a negative one makes the column's minimum the value compared. */
  increment: number;
  /** The sequence's last value; null when nextval has never been called (or setval(…, false)). */
  lastValueBefore: number | null;
  /** What nextval would have returned: last value + increment, or the pending value when never called. */
  nextValueBefore: number;
  /** The column's maximum (its minimum for a descending sequence); null for an empty table. */
  columnMax: number | null;
  lastValueAfter: number | null;
  /** The column has reached the sequence's next value: nextval would return a value the column may already hold. */
  behind: boolean;
  /** setval was called (false for a sequence that is behind but whose range cannot reach the column's value). */
  changed: boolean;
}

export interface PostRestoreReport {
  /** Relations ANALYZE refreshed, `schema.name`. */
  analyzed: string[];
  sequences: SequenceFix[];
  rowCounts: TableRowCount[];
  /** One line each: row-count mismatches, tables missing after the restore, statements that failed. */
  problems: string[];
  /** One line each: checks that were left out, and why (not problems). */
  notes: string[];
  durationMs: number;
}

export interface PostRestoreOptions {
  /** ANALYZE the restored tables. Default true. */
  analyze?: boolean;
  /** Set owned sequences that are behind their column forward. Default true. */
  fixSequences?: boolean;
  /** Compare each restored table's rows with the archive's. Default true. */
  countRows?: boolean;
  /** Aborting stops the archive streams, cancels the running query, and rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * Rows tables held before their data was restored, by `schema.name` as the archive names the
   * table: data restored by appending to existing rows (data-only into a non-empty table) is
   * expected to leave archive rows + rows before.
   */
  rowsBefore?: Map<string, number>;
  /**
   * The archive's rows of TABLE DATA entries, by dump ID, counted already or being counted (a
   * restore starts them while pg_restore runs: startArchiveCounts); the others are counted here.
   */
  archiveCounts?: Map<number, Promise<number>>;
  /**
   * The rows each table should get, by `schema.name`, when they do not come from the archive (a
   * copy counts them in the source, in the snapshot pg_dump used); `opened` is then not read.
   */
  sourceRows?: Map<string, number>;
  /**
   * The application_name of the restore's own sessions (PGAPPNAME of pg_restore or psql), which
   * have ended. From PostgreSQL 15 a session's statistics are in shared memory once it has gone,
   * so a table whose counters say that it holds exactly what was expected — its rows inserted in
   * all its life equal to them, nothing updated or deleted, its live rows equal to them — needs
   * no `count(*)`; every other table (and any server before 15) is counted.
   */
  restoredBy?: string;
  /**
   * An open session on the target that the checks take over for their first strand of work
   * (and close): the restore's progress session, which spares them a connection of their own.
   */
  session?: ServerSession;
}

/** A relation of the restore, found in the target database. */
interface Relation {
  /** `schema.name` as the archive names it, for the report. */
  name: string;
  schema: string;
  relname: string;
  oid: string;
  relkind: string;
}

const qualified = (schema: string, name: string) => `${schema}.${name}`;
const entryName = (e: TocEntry) => qualified(e.namespace ?? '', e.tag ?? '');
const quoted = (client: Client, r: { schema: string; relname: string }) => `${client.escapeIdentifier(r.schema)}.${client.escapeIdentifier(r.relname)}`;
const relKey = (schema: string, name: string) => `${schema}\u0000${name}`;

/** Integer types a sequence value can be compared with (and domains over them). */
const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

export async function postRestore(opened: OpenedArchive | undefined, plan: RestorePlan, connection: ResolvedConnection, options: PostRestoreOptions = {}): Promise<PostRestoreReport> {
  const started = Date.now();
  const { signal } = options;
  const doAnalyze = options.analyze ?? true;
  const doSequences = options.fixSequences ?? true;
  const doCount = options.countRows ?? true;
  const rowsBefore = options.rowsBefore ?? new Map<string, number>();
  if (signal?.aborted) {
    await options.session?.close();
    throw abortError(signal);
  }

  const report: PostRestoreReport = { analyzed: [], sequences: [], rowCounts: [], problems: [], notes: [], durationMs: 0 };
  const restoresData = plan.mode !== 'definition-only';
  const named = (e: TocEntry) => e.namespace !== null && e.tag !== null;
  const planned = plan.entries.map((p) => p.entry).filter(named);
  const tableData = restoresData ? planned.filter((e) => e.desc === 'TABLE DATA') : [];
  const viewData = restoresData ? planned.filter((e) => e.desc === 'MATERIALIZED VIEW DATA') : [];
  const definedTables = restoresData ? [] : planned.filter((e) => e.desc === 'TABLE');
  const statisticsPlanned = new Set(restoresData ? planned.filter((e) => e.desc === 'STATISTICS DATA').map((e) => relKey(e.namespace!, e.tag!)) : []);

  // The archive's counts, one entry at a time, while the database works; stopped with the rest.
  // Counts the caller started earlier (while the restore ran: archiveCounts below) are used as they are.
  const streams = new AbortController();
  const stopStreams = () => streams.abort(signal?.reason);
  signal?.addEventListener('abort', stopStreams, { once: true });
  const countable: TocEntry[] = [];
  if (doCount) {
    for (const e of tableData) {
      if (holdsCopyData(e)) countable.push(e);
      else report.notes.push(`rows of ${entryName(e)} not compared: the archive holds INSERT statements for it (pg_dump --inserts), not COPY data`);
    }
  }
  const given = options.archiveCounts;
  const missingCounts = countable.filter((e) => !given?.has(e.dumpId));
  const archiveCounts = new Map<number, Promise<number>>([...(given ?? new Map<number, Promise<number>>())].filter(([id]) => countable.some((e) => e.dumpId === id)));
  const sourceRows = options.sourceRows;
  for (const e of missingCounts) {
    if (!sourceRows && opened) continue;
    const counting = sourceRows
      ? Promise.resolve().then(() => {
          const n = sourceRows.get(entryName(e));
          if (n === undefined) throw new Error('not counted in the source');
          return n;
        })
      : Promise.reject(new Error('no archive to count them in'));
    counting.catch(() => undefined); // awaited (and reported) below
    archiveCounts.set(e.dumpId, counting);
  }
  if (!sourceRows && opened) for (const [id, counting] of startArchiveCounts(opened, missingCounts, streams.signal).counts) archiveCounts.set(id, counting);

  // On abort: the archive streams stop, the running queries are cancelled from another session,
  // and the promise rejects once the work has stopped, or after a grace period if the server
  // does not let go (the sessions are then closed in the background).
  const backends: Backend[] = [];
  const cancelling: Promise<void>[] = [];
  let timer: NodeJS.Timeout | undefined;
  let onAbort: () => void = () => undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    onAbort = () => {
      for (const backend of backends) cancelling.push(cancelRunningQuery(connection, backend));
      timer = setTimeout(() => reject(abortError(signal)), backends.length > 0 ? ABORT_GRACE_MS : 0);
    };
  });
  gaveUp.catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });

  const sessions: ServerSession[] = [];
  let handed = options.session;
  /** Sessions being opened: waited for before the sessions are closed, so that none is left open. */
  const openings: Promise<unknown>[] = [];
  /** A session of its own for one strand of the work, known to the abort. */
  const open = (): Promise<TargetWork> => {
    const opening = openStrand();
    openings.push(opening.catch(() => undefined));
    return opening;
  };
  const openStrand = async (): Promise<TargetWork> => {
    const taken = handed;
    handed = undefined;
    const session = taken ?? (await openServerSession(connection, { applicationName: APPLICATION_NAME, ...(signal ? { signal } : {}) }));
    sessions.push(session);
    if (signal?.aborted) throw abortError(signal);
    const backend = await prepareSession(session);
    if (backend) {
      backends.push(backend);
      if (signal?.aborted) cancelling.push(cancelRunningQuery(connection, backend));
    }
    if (signal?.aborted) throw abortError(signal);
    return new TargetWork(session, emptyPart(), signal);
  };
  const onTarget = (async () => {
    try {
      await targetWork(open, report, {
        tableData,
        viewData,
        definedTables,
        countable,
        archiveCounts,
        rowsBefore,
        restoresData,
        statisticsPlanned,
        doAnalyze,
        doSequences,
        doCount,
        sourceLabel: options.sourceRows ? 'the source' : 'the archive',
        ...(options.restoredBy ? { restoredBy: options.restoredBy } : {}),
      });
    } finally {
      await Promise.allSettled(cancelling);
      await Promise.allSettled(openings);
      await Promise.allSettled([...sessions, ...(handed ? [handed] : [])].map((s) => s.close()));
    }
  })();
  onTarget.catch(() => undefined);

  try {
    await Promise.race([onTarget, gaveUp]);
    if (signal?.aborted) throw abortError(signal);
  } catch (err) {
    if (signal?.aborted) throw abortError(signal);
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    signal?.removeEventListener('abort', stopStreams);
    streams.abort();
    await Promise.allSettled(archiveCounts.values());
  }
  report.durationMs = Date.now() - started;
  return report;
}

/** The archive's row counts being made (startArchiveCounts). */
export interface ArchiveCounts {
  /** By dump ID. */
  counts: Map<number, Promise<number>>;
  /**
   * The restore has ended: whatever the low-priority counter has not counted yet is counted here,
   * at normal priority, too (on a busy machine a nice-19 process gets little CPU), and the first
   * count of an entry to end is its count.
   */
  hurry(): void;
}

/**
 * Starts counting the rows of these TABLE DATA entries in the archive, one entry at a time (each
 * a stream of its decompressed data). Aborting `signal` stops them. A restore starts them while
 * pg_restore runs, so that the count costs no time after it; with `program`, in a process of its
 * own at the lowest CPU priority (rowCounterProcess.ts), so that its decompression takes only the
 * CPU time the restore leaves unused, and here for any entry that process could not count, or
 * has not counted when `hurry` is called.
 */
export function startArchiveCounts(opened: OpenedArchive, entries: readonly TocEntry[], signal?: AbortSignal, program?: RowCounterProgram): ArchiveCounts {
  const counts = new Map<number, Promise<number>>();
  // The counter process is ended once every entry has its count (or on abort).
  const elsewhereStop = new AbortController();
  const stopElsewhere = () => elsewhereStop.abort(signal?.reason);
  signal?.addEventListener('abort', stopElsewhere, { once: true });
  const elsewhere = program && opened.archive.format !== 'plain' && entries.length > 0 ? countRowsInProcess(opened.archive.path, entries, program, elsewhereStop.signal).counts : undefined;

  let chain: Promise<unknown> = Promise.resolve();
  const unsettled = new Map<number, { resolve: (n: number) => void; reject: (e: unknown) => void; here?: AbortController }>();
  const settle = (id: number, outcome: { rows: number } | { error: unknown }) => {
    const entry = unsettled.get(id);
    if (!entry) return;
    unsettled.delete(id);
    entry.here?.abort();
    if ('rows' in outcome) entry.resolve(outcome.rows);
    else entry.reject(outcome.error);
    if (unsettled.size === 0) {
      elsewhereStop.abort();
      signal?.removeEventListener('abort', stopElsewhere);
    }
  };
  /** Counts the entry in this process, after the ones started here before it. */
  const countHere = (e: TocEntry) => {
    const entry = unsettled.get(e.dumpId);
    if (!entry || entry.here) return;
    const here = new AbortController();
    entry.here = here;
    const both = signal ? AbortSignal.any([signal, here.signal]) : here.signal;
    chain = chain
      .then(() => (here.signal.aborted ? undefined : countArchiveRows(opened, e, both).then((rows) => settle(e.dumpId, { rows }))))
      .catch((error: unknown) => {
        if (!here.signal.aborted || signal?.aborted) settle(e.dumpId, { error: signal?.aborted ? abortError(signal) : error });
      });
  };
  for (const e of entries) {
    const counting = new Promise<number>((resolve, reject) => unsettled.set(e.dumpId, { resolve, reject }));
    counting.catch(() => undefined); // awaited (and reported) by whoever uses it
    counts.set(e.dumpId, counting);
  }
  for (const e of entries) {
    const there = elsewhere?.get(e.dumpId);
    if (!there) {
      countHere(e);
      continue;
    }
    there.then(
      (rows) => settle(e.dumpId, { rows }),
      () => {
        if (signal?.aborted) settle(e.dumpId, { error: abortError(signal) });
        else countHere(e);
      },
    );
  }
  return {
    counts,
    hurry: () => {
      for (const e of entries) countHere(e);
    },
  };
}

/** The TABLE DATA entries of a plan whose rows the checks after the restore compare (COPY data). */
export function countableEntries(plan: RestorePlan): TocEntry[] {
  if (plan.mode === 'definition-only') return [];
  return plan.entries.map((p) => p.entry).filter((e) => e.namespace !== null && e.tag !== null && holdsCopyData(e));
}

/** What one strand of the work found: merged into the report in a fixed order, whatever order they end in. */
type ReportPart = Pick<PostRestoreReport, 'analyzed' | 'sequences' | 'rowCounts' | 'problems' | 'notes'>;
const emptyPart = (): ReportPart => ({ analyzed: [], sequences: [], rowCounts: [], problems: [], notes: [] });
function merge(into: ReportPart, part: ReportPart): void {
  into.analyzed.push(...part.analyzed);
  into.sequences.push(...part.sequences);
  into.rowCounts.push(...part.rowCounts);
  into.problems.push(...part.problems);
  into.notes.push(...part.notes);
}

/** How long the row check waits for the restore's sessions to end before counting with count(*). */
const SESSIONS_GONE_WAIT_MS = 3000;
/** How long an abort waits for the server to give up the running query before rejecting anyway. */
const ABORT_GRACE_MS = 3000;
const APPLICATION_NAME = 'pg-dump-explorer post-restore';

interface TargetJob {
  tableData: TocEntry[];
  viewData: TocEntry[];
  definedTables: TocEntry[];
  /** TABLE DATA entries whose archive rows are being counted, with their counts to come. */
  countable: TocEntry[];
  archiveCounts: Map<number, Promise<number>>;
  rowsBefore: Map<string, number>;
  restoresData: boolean;
  /** Tables (relKey) whose STATISTICS DATA entry the plan restores. */
  statisticsPlanned: Set<string>;
  doAnalyze: boolean;
  doSequences: boolean;
  doCount: boolean;
  /** `the archive`, or `the source` for a copy. */
  sourceLabel: string;
  /** PostRestoreOptions.restoredBy. */
  restoredBy?: string;
}

/**
 * Everything done in the target database: find the relations, then ANALYZE, sequences and rows
 * at once, each in a session of its own (they take no locks that conflict: ANALYZE a SHARE
 * UPDATE EXCLUSIVE lock, the others ACCESS SHARE), so that the checks cost the longest of them.
 */
async function targetWork(open: () => Promise<TargetWork>, report: PostRestoreReport, job: TargetJob): Promise<void> {
  const wanted = [...job.tableData, ...job.viewData, ...job.definedTables];
  // The sequences' session connects while the main one asks what ANALYZE needs (open takes the
  // session it is handed, if any, at its call: the main strand gets it).
  const opening = open();
  const sequencesWork = job.doSequences && job.tableData.length > 0 ? open() : undefined;
  sequencesWork?.catch(() => undefined); // awaited below
  const main = await opening;
  const found = await main.resolve(wanted);
  const missing = new Set<string>();
  for (const e of wanted) {
    const name = entryName(e);
    if (!found.has(relKey(e.namespace!, e.tag!)) && !missing.has(name)) {
      missing.add(name);
      report.problems.push(`${name} is missing after the restore (${e.desc === 'MATERIALIZED VIEW DATA' ? 'materialized view' : 'table'} not found in ${main.session.where})`);
    }
  }
  const restoredTables = uniqueRelations(job.tableData, found);
  // Read before ANALYZE starts: it replaces the live-row count with its estimate.
  const serverCounts = job.doCount && job.restoredBy && job.countable.length > 0 ? await main.insertCounts(restoredTables, job.restoredBy) : new Map<string, InsertCounts>();

  const analyzing = job.doAnalyze
    ? (async () => {
        if (job.restoresData) {
          const parents = await main.wholePartitionedParents(restoredTables);
          const withStatistics = await main.restoredStatistics(restoredTables.filter((r) => job.statisticsPlanned.has(relKey(r.schema, r.relname))));
          if (withStatistics.length > 0) {
            main.report.notes.push(`ANALYZE left out for ${withStatistics.map((r) => r.name).join(', ')}: their statistics came with the restore (STATISTICS DATA)`);
          }
          const analyzed = restoredTables.filter((r) => !withStatistics.includes(r));
          await main.analyze([...analyzed, ...uniqueRelations(job.viewData, found)], parents);
        } else {
          await main.analyze(uniqueRelations(job.definedTables, found), []);
        }
        return main.report;
      })()
    : Promise.resolve(emptyPart());
  const sequencing =
    sequencesWork && restoredTables.length > 0
      ? (async () => {
          const work = await sequencesWork;
          await work.fixSequences(restoredTables);
          return work.report;
        })()
      : Promise.resolve(emptyPart());
  const counting =
    job.doCount && job.countable.length > 0
      ? (async () => {
          const part = emptyPart();
          await countAndCompare(open, part, job, found, serverCounts, main.signal);
          return part;
        })()
      : Promise.resolve(emptyPart());
  // All three run to their end (or failure) before the sessions close.
  const parts = await Promise.allSettled([analyzing, sequencing, counting]);
  for (const p of parts) if (p.status === 'rejected') throw p.reason;
  for (const p of parts) if (p.status === 'fulfilled') merge(report, p.value);
}

/**
 * Each table's rows in the target against the archive's: from the server's counts where they
 * settle it (serverCounts), else `count(*)` in a session of its own, opened when first needed.
 */
async function countAndCompare(
  open: () => Promise<TargetWork>,
  report: ReportPart,
  job: TargetJob,
  found: Map<string, Relation>,
  serverCounts: Map<string, InsertCounts>,
  signal: AbortSignal | undefined,
): Promise<void> {
  let work: TargetWork | undefined;
  for (const e of job.countable) {
    const relation = found.get(relKey(e.namespace!, e.tag!));
    let archiveRows: number;
    try {
      archiveRows = await job.archiveCounts.get(e.dumpId)!;
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      report.problems.push(`rows of ${entryName(e)} in ${job.sourceLabel} could not be counted: ${oneLine(err)}`);
      continue;
    }
    const before = job.rowsBefore.get(entryName(e)) ?? 0;
    const expectedRows = archiveRows + before;
    const counted = relation ? serverCounts.get(relation.oid) : undefined;
    let databaseRows: number;
    let countedBy: TableRowCount['countedBy'] = 'count';
    if (!relation) {
      databaseRows = 0;
    } else if (counted && settles(counted, expectedRows)) {
      databaseRows = counted.live;
      countedBy = 'statistics';
    } else {
      work ??= await open();
      const n = await work.countRows(relation);
      for (const p of work.report.problems.splice(0)) report.problems.push(p);
      if (n === null) continue;
      databaseRows = n;
    }
    if (signal?.aborted) throw abortError(signal);
    const row: TableRowCount = { dumpId: e.dumpId, table: entryName(e), archiveRows, databaseRows, expectedRows, rowsBefore: before, matches: relation !== undefined && databaseRows === expectedRows, countedBy };
    if (!relation) row.missing = true;
    report.rowCounts.push(row);
    if (relation && !row.matches) {
      const held = before > 0 ? `${archiveRows} in ${job.sourceLabel} + ${before} before the restore = ${expectedRows}` : `${archiveRows} in ${job.sourceLabel}`;
      const hint = e.defn !== null && e.defn.includes('load via partition root') ? " (the archive loads it through its partition root, which routes rows by the target's partition bounds)" : '';
      report.problems.push(`rows of ${entryName(e)} differ: ${databaseRows} in the database, ${held}${hint}`);
    }
  }
}

/** A table's counters in the server's cumulative statistics (pg_stat_all_tables). */
export interface InsertCounts {
  /** Rows inserted in the table's whole life (n_tup_ins). */
  inserted: number;
  /** Rows updated, HOT or not, and deleted (n_tup_upd + n_tup_del). */
  changed: number;
  /** Live rows as the counters have them (n_live_tup): exact until ANALYZE or VACUUM estimates them. */
  live: number;
}

/**
 * Whether a table's counters prove it holds `expected` rows: every row it ever had was inserted
 * by now, none was updated or deleted, and the live rows agree. A table that existed before with
 * a history of its own fails this and is counted; so does one whose counters were reset.
 */
export function settles(c: InsertCounts, expected: number): boolean {
  return c.changed === 0 && c.inserted === expected && c.live === expected;
}

/** The report as lines for a terminal or an output channel: what was done, then problems and notes. */
export function describePostRestore(report: PostRestoreReport, source = 'the archive'): string[] {
  const lines: string[] = [];
  lines.push(report.analyzed.length > 0 ? `analyzed ${report.analyzed.length}: ${report.analyzed.join(', ')}` : 'analyzed nothing');
  for (const s of report.sequences.filter((x) => x.changed)) {
    lines.push(`sequence ${s.sequence} (${s.table}.${s.column}) set from ${s.lastValueBefore ?? `never used, next ${s.nextValueBefore}`} to ${s.lastValueAfter}, the column's ${s.increment < 0 ? 'minimum' : 'maximum'}`);
  }
  if (report.sequences.length > 0) {
    const set = report.sequences.filter((x) => x.changed).length;
    const stuck = report.sequences.filter((x) => x.behind && !x.changed).length;
    const ahead = report.sequences.length - set - stuck;
    lines.push(`sequences: ${set} set forward, ${ahead} already ahead of their column${stuck > 0 ? `, ${stuck} behind but not set (see the problems)` : ''}`);
  }
  if (report.rowCounts.length > 0) {
    const matching = report.rowCounts.filter((r) => r.matches).length;
    const fromStatistics = report.rowCounts.filter((r) => r.countedBy === 'statistics').length;
    const how = fromStatistics > 0 ? ` (${fromStatistics} by the server's counts of the rows the restore inserted, ${report.rowCounts.length - fromStatistics} by count(*))` : '';
    lines.push(`rows: ${matching} of ${report.rowCounts.length} tables hold what ${source} has${how}`);
  }
  for (const p of report.problems) lines.push(`problem: ${p}`);
  for (const n of report.notes) lines.push(`note: ${n}`);
  lines.push(`done in ${report.durationMs} ms`);
  return lines;
}

/** The relations of these entries that were found, once each, in entry order. */
function uniqueRelations(entries: readonly TocEntry[], found: Map<string, Relation>): Relation[] {
  const out = new Map<string, Relation>();
  for (const e of entries) {
    const r = found.get(relKey(e.namespace!, e.tag!));
    if (r && !out.has(r.oid)) out.set(r.oid, r);
  }
  return [...out.values()];
}

/** The database side, on one session; per-object SQL errors become problem lines. */
class TargetWork {
  readonly #client: Client;

  constructor(
    readonly session: ServerSession,
    readonly report: ReportPart,
    readonly signal: AbortSignal | undefined,
  ) {
    this.#client = session.client;
  }

  /**
   * Runs `fn`; an SQL error (the server's, with an SQLSTATE) becomes a problem line and
   * `undefined`, unless the caller aborted. Anything else (a lost connection) propagates.
   */
  async #attempt<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (this.signal?.aborted) throw abortError(this.signal);
    try {
      return await fn();
    } catch (err) {
      if (this.signal?.aborted) throw abortError(this.signal);
      if (err instanceof DatabaseError) {
        this.report.problems.push(`${what}: ${oneLine(err)}`);
        return undefined;
      }
      throw err;
    }
  }

  /** The relations of these entries that exist, by schema and name. */
  async resolve(entries: readonly TocEntry[]): Promise<Map<string, Relation>> {
    const out = new Map<string, Relation>();
    if (entries.length === 0) return out;
    const names = new Map<string, TocEntry>();
    for (const e of entries) names.set(relKey(e.namespace!, e.tag!), e);
    const schemas = [...names.values()].map((e) => e.namespace!);
    const relnames = [...names.values()].map((e) => e.tag!);
    const { rows } = await this.#client.query<{ nspname: string; relname: string; oid: string; relkind: string }>(
      `select n.nspname, c.relname, c.oid::int8::text as oid, c.relkind::text as relkind
         from unnest($1::text[], $2::text[]) as k(nsp, rel)
         join pg_catalog.pg_namespace n on n.nspname = k.nsp
         join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = k.rel`,
      [schemas, relnames],
    );
    for (const r of rows) {
      out.set(relKey(r.nspname, r.relname), { name: qualified(r.nspname, r.relname), schema: r.nspname, relname: r.relname, oid: r.oid, relkind: r.relkind });
    }
    return out;
  }

  /**
   * Of `tables`, those that hold planner statistics now: a row count (reltuples not -1) and
   * column statistics, and no extended statistics objects (whose data pg_dump 18 does not dump).
   * Only PostgreSQL 18 and later can have been given statistics by a restore.
   */
  async restoredStatistics(tables: readonly Relation[]): Promise<Relation[]> {
    if (tables.length === 0 || this.session.serverVersionNum < 180000) return [];
    const { rows } = await this.#client.query<{ oid: string }>(
      `select c.oid::int8::text as oid
         from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where c.oid = any($1::oid[]) and c.reltuples >= 0
          and exists (select from pg_catalog.pg_stats s where s.schemaname = n.nspname and s.tablename = c.relname)
          and not exists (select from pg_catalog.pg_statistic_ext x where x.stxrelid = c.oid)`,
      [tables.map((r) => r.oid)],
    );
    const kept = new Set(rows.map((r) => r.oid));
    return tables.filter((r) => kept.has(r.oid));
  }

  /**
   * Partitioned tables every leaf partition of which is among `restored` (so that analyzing them
   * as a whole reads nothing the restore did not write), with the oids of their descendants.
   */
  async wholePartitionedParents(restored: readonly Relation[]): Promise<{ parent: Relation; descendants: Set<string> }[]> {
    if (restored.length === 0) return [];
    const restoredOids = new Set(restored.map((r) => r.oid));
    const { rows } = await this.#client.query<{ parent: string; nspname: string; relname: string; descendant: string; relkind: string }>(
      `with recursive up(oid) as (
         select i.inhparent from pg_catalog.pg_inherits i where i.inhrelid = any($1::oid[])
         union
         select i.inhparent from pg_catalog.pg_inherits i join up on i.inhrelid = up.oid
       ), parents as (
         select c.oid, n.nspname, c.relname from up join pg_catalog.pg_class c on c.oid = up.oid
           join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.relkind = 'p'
       ), down(parent, oid) as (
         select p.oid, i.inhrelid from parents p join pg_catalog.pg_inherits i on i.inhparent = p.oid
         union
         select down.parent, i.inhrelid from down join pg_catalog.pg_inherits i on i.inhparent = down.oid
       )
       select p.oid::int8::text as parent, p.nspname, p.relname, d.oid::int8::text as descendant, c.relkind::text as relkind
         from parents p join down d on d.parent = p.oid join pg_catalog.pg_class c on c.oid = d.oid
        order by p.nspname, p.relname`,
      [restored.map((r) => r.oid)],
    );
    const byParent = new Map<string, { parent: Relation; descendants: Set<string>; whole: boolean }>();
    for (const r of rows) {
      let p = byParent.get(r.parent);
      if (!p) {
        p = { parent: { name: qualified(r.nspname, r.relname), schema: r.nspname, relname: r.relname, oid: r.parent, relkind: 'p' }, descendants: new Set(), whole: true };
        byParent.set(r.parent, p);
      }
      p.descendants.add(r.descendant);
      // Leaves hold the rows; a partitioned descendant holds none of its own.
      if (r.relkind !== 'p' && !restoredOids.has(r.descendant)) p.whole = false;
    }
    return [...byParent.values()].filter((p) => p.whole).map(({ parent, descendants }) => ({ parent, descendants }));
  }

  /**
   * ANALYZE each relation, then each partitioned parent. From PostgreSQL 17 a parent is analyzed
   * with ONLY (its partitions were just done); before 17, ANALYZE of a parent also analyzes its
   * partitions, so only the outermost parents are analyzed, and their partitions through them.
   */
  async analyze(relations: readonly Relation[], parents: readonly { parent: Relation; descendants: Set<string> }[]): Promise<void> {
    const only = this.session.serverVersionNum >= 170000;
    let tops = parents;
    const coveredBy = new Map<string, string>();
    if (!only) {
      const inner = new Set(parents.flatMap((p) => [...p.descendants]));
      tops = parents.filter((p) => !inner.has(p.parent.oid));
      for (const p of tops) for (const d of p.descendants) coveredBy.set(d, p.parent.oid);
    }
    for (const r of relations) {
      if (!coveredBy.has(r.oid) && (await this.#analyzeOne(r, ''))) this.report.analyzed.push(r.name);
    }
    // Inner parents first: an outer parent's statistics read through them.
    for (const { parent } of [...tops].sort((a, b) => a.descendants.size - b.descendants.size)) {
      if (!(await this.#analyzeOne(parent, only ? 'only ' : ''))) continue;
      this.report.analyzed.push(parent.name);
      for (const p of parents) if (coveredBy.get(p.parent.oid) === parent.oid) this.report.analyzed.push(p.parent.name);
      for (const r of relations) if (coveredBy.get(r.oid) === parent.oid) this.report.analyzed.push(r.name);
    }
  }

  /** One ANALYZE; false when it failed or the server skipped the relation (a warning, e.g. not its owner). */
  async #analyzeOne(r: Relation, only: string): Promise<boolean> {
    const warnings: string[] = [];
    const onNotice = (notice: { severity?: string; message?: string }) => {
      if (notice.severity === 'WARNING' && notice.message) warnings.push(notice.message);
    };
    this.#client.on('notice', onNotice);
    try {
      const done = await this.#attempt(`ANALYZE ${r.name} failed`, () => this.#client.query(`analyze ${only}${quoted(this.#client, r)}`));
      if (done === undefined) return false;
      for (const w of warnings) this.report.problems.push(`ANALYZE ${r.name}: ${w}`);
      return !warnings.some((w) => /skipping/i.test(w));
    } finally {
      this.#client.removeListener('notice', onNotice);
    }
  }

  /** Sequences owned by columns of the restored tables or of their ancestors (partitioned parents, inheritance parents). */
  async fixSequences(restored: readonly Relation[]): Promise<void> {
    const { rows } = await this.#client.query<{
      seq_oid: string;
      seq_schema: string;
      seq_name: string;
      table_schema: string;
      table_name: string;
      attname: string;
      coltype: string;
      deptype: string;
      increment: string;
      min: string;
      max: string;
    }>(
      `with recursive owners(oid) as (
         select unnest($1::oid[])
         union
         select i.inhparent from pg_catalog.pg_inherits i join owners o on i.inhrelid = o.oid
       )
       select distinct on (s.oid) s.oid::int8::text as seq_oid, sn.nspname as seq_schema, s.relname as seq_name,
              tn.nspname as table_schema, t.relname as table_name, a.attname,
              pg_catalog.format_type(coalesce(nullif(ty.typbasetype, 0), a.atttypid), null) as coltype,
              d.deptype::text as deptype, q.seqincrement::text as increment, q.seqmin::text as min, q.seqmax::text as max
         from owners o
         join pg_catalog.pg_depend d on d.refobjid = o.oid and d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              and d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.deptype in ('a', 'i') and d.refobjsubid > 0
         join pg_catalog.pg_class s on s.oid = d.objid and s.relkind = 'S'
         join pg_catalog.pg_namespace sn on sn.oid = s.relnamespace
         join pg_catalog.pg_sequence q on q.seqrelid = s.oid
         join pg_catalog.pg_class t on t.oid = d.refobjid
         join pg_catalog.pg_namespace tn on tn.oid = t.relnamespace
         join pg_catalog.pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid and not a.attisdropped
         join pg_catalog.pg_type ty on ty.oid = a.atttypid
        order by s.oid, d.deptype desc`,
      [restored.map((r) => r.oid)],
    );
    const sorted = [...rows].sort((a, b) => cmp(a.table_schema, b.table_schema) || cmp(a.table_name, b.table_name) || cmp(a.attname, b.attname));
    for (const s of sorted) {
      const sequence = qualified(s.seq_schema, s.seq_name);
      const table = qualified(s.table_schema, s.table_name);
      if (!INTEGER_TYPES.has(s.coltype)) {
        this.report.notes.push(`sequence ${sequence} not checked: it is owned by ${table}.${s.attname}, of type ${s.coltype}, not an integer`);
        continue;
      }
      await this.#attempt(`sequence ${sequence} of ${table}.${s.attname} could not be checked`, () => this.#checkSequence(s, sequence, table));
    }
  }

  async #checkSequence(
    s: { seq_oid: string; seq_schema: string; seq_name: string; table_schema: string; table_name: string; attname: string; deptype: string; increment: string; min: string; max: string },
    sequence: string,
    table: string,
  ): Promise<void> {
    const client = this.#client;
    const increment = BigInt(s.increment);
    const descending = increment < 0n;
    const seqRef = quoted(client, { schema: s.seq_schema, relname: s.seq_name });
    const readSequence = async () => {
      const row = (await client.query<{ last_value: string; is_called: boolean }>(`select last_value::text as last_value, is_called from ${seqRef}`)).rows[0]!;
      return { last: BigInt(row.last_value), called: row.is_called };
    };
    const state = await readSequence();
    const column = client.escapeIdentifier(s.attname);
    // Over the table and its children, which share the column's default.
    const extreme = (await client.query<{ v: string | null }>(`select ${descending ? 'min' : 'max'}(${column})::text as v from ${quoted(client, { schema: s.table_schema, relname: s.table_name })}`)).rows[0]?.v ?? null;
    const target = extreme === null ? null : BigInt(extreme);
    // nextval's next value, and whether the column already holds it (or is past it).
    const next = state.called ? state.last + increment : state.last;
    const behind = target !== null && (descending ? target <= next : target >= next);
    const fix: SequenceFix = {
      sequence,
      table,
      column: s.attname,
      kind: s.deptype === 'i' ? 'identity' : 'owned',
      increment: Number(increment),
      lastValueBefore: state.called ? Number(state.last) : null,
      nextValueBefore: Number(next),
      columnMax: target === null ? null : Number(target),
      lastValueAfter: state.called ? Number(state.last) : null,
      behind,
      changed: false,
    };
    if (behind && target !== null) {
      const [min, max] = [BigInt(s.min), BigInt(s.max)];
      if (target < min || target > max) {
        this.report.problems.push(
          `sequence ${sequence} is behind ${table}.${s.attname} (${descending ? 'minimum' : 'maximum'} ${target}) but cannot be set to it: the sequence's range is ${min} to ${max}`,
        );
      } else {
        await client.query('select pg_catalog.setval($1::oid::pg_catalog.regclass, $2::int8, true)', [s.seq_oid, target.toString()]);
        const after = await readSequence();
        fix.lastValueAfter = after.called ? Number(after.last) : null;
        fix.changed = true;
      }
    }
    this.report.sequences.push(fix);
  }

  /**
   * The counters of these tables once the restore's sessions (application_name `restoredBy`) have
   * ended, by oid; empty before PostgreSQL 15 (a statistics collector that may drop messages), with
   * track_counts off, or when the sessions are still there after a few seconds.
   */
  async insertCounts(tables: readonly Relation[], restoredBy: string): Promise<Map<string, InsertCounts>> {
    const out = new Map<string, InsertCounts>();
    if (tables.length === 0 || this.session.serverVersionNum < 150000) return out;
    const client = this.#client;
    const deadline = Date.now() + SESSIONS_GONE_WAIT_MS;
    for (;;) {
      // A backend writes its statistics to shared memory before it leaves pg_stat_activity.
      const { rows } = await client.query<{ left: number; on: boolean }>(
        "select (select count(*)::int from pg_catalog.pg_stat_activity where application_name = $1) as left, pg_catalog.current_setting('track_counts')::bool as on",
        [restoredBy],
      );
      if (!rows[0]?.on) return out;
      if (rows[0].left === 0) break;
      if (Date.now() > deadline || this.signal?.aborted) return out;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // A new transaction: statistics are read once per transaction (stats_fetch_consistency).
    const { rows } = await client.query<{ oid: string; inserted: string; changed: string; live: string }>(
      `select relid::int8::text as oid, n_tup_ins::text as inserted, (n_tup_upd + n_tup_del)::text as changed, n_live_tup::text as live
         from pg_catalog.pg_stat_all_tables where relid = any($1::oid[])`,
      [tables.map((t) => t.oid)],
    );
    for (const r of rows) out.set(r.oid, { inserted: Number(r.inserted), changed: Number(r.changed), live: Number(r.live) });
    return out;
  }

  /** `count(*)` of the table's own rows; null when the query failed (a problem line says why). */
  async countRows(r: Relation): Promise<number | null> {
    const n = await this.#attempt(`rows of ${r.name} could not be counted`, async () => {
      const { rows } = await this.#client.query<{ n: string }>(`select count(*)::text as n from only ${quoted(this.#client, r)}`);
      return Number(rows[0]?.n ?? 0);
    });
    return n ?? null;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Cancels the query the session is running, from a second session, as pg_cancel_backend does:
 * only the backend with the session's process ID *and* start time, so that a second session that
 * reached another host of a multi-host connection cannot cancel anything else. Best effort.
 */
async function cancelRunningQuery(connection: ResolvedConnection, backend: Backend): Promise<void> {
  let other: ServerSession | undefined;
  try {
    other = await openServerSession(connection, { applicationName: 'pg-dump-explorer cancel' });
    await other.client.query('select pg_catalog.pg_cancel_backend(pid) from pg_catalog.pg_stat_activity where pid = $1 and backend_start = $2::timestamptz', [
      backend.pid,
      backend.started,
    ]);
  } catch {
    // The session is closed next anyway, which ends the query soon after.
  } finally {
    await other?.close();
  }
}

/** Which server process a session is, for cancelling its query. */
interface Backend {
  pid: number;
  /** backend_start, as text with its time zone offset. */
  started: string;
}

/**
 * Readies a strand's session in one round trip: its application name (a session taken over from
 * the restore's progress has another), JIT off (a count(*) of a big table crosses
 * jit_above_cost, and compiling it costs more than it saves), and which backend it is.
 */
async function prepareSession(session: ServerSession): Promise<Backend | undefined> {
  const jitOff = session.serverVersionNum >= 110000 ? ", pg_catalog.set_config('jit', 'off', false)" : '';
  const { rows } = await session.client.query<{ pid: number; started: string | null }>(
    `select pg_catalog.set_config('application_name', $1, false)${jitOff}, pg_catalog.pg_backend_pid() as pid,
            (select backend_start::text from pg_catalog.pg_stat_activity where pid = pg_catalog.pg_backend_pid()) as started`,
    [APPLICATION_NAME],
  );
  const row = rows[0];
  return row && row.started !== null ? { pid: row.pid, started: row.started } : undefined;
}
