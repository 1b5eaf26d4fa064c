/**
 * Progress inside a running COPY: a big table's data is one item to pg_restore and psql, which
 * say nothing until it is done. Asked once a second:
 *
 * - the target (pg_stat_progress_copy, PostgreSQL 14 and later): the bytes and rows of each
 *   COPY of this restore's sessions (they carry an application_name of their own), in a session
 *   of its own;
 * - where the target cannot say (before 14, a session that cannot be opened, a backend the
 *   watching role may not see), how far the restore program has read each table's data in its
 *   input (`readPosition`: inputPosition.ts for pg_restore, the stream psql is fed for plain dumps).
 */
import type { ResolvedConnection } from '../connections/resolve';
import { openServerSession, type ServerSession } from '../server/session';

/** One running COPY, as the target reports it or as far as its input has been read. */
export interface CopyInProgress {
  /** `schema.table`, as the restore's progress names tables. */
  table: string;
  /** Bytes of COPY text the target has taken (from the target), or bytes of the table's data read from the input (from the input: as stored, possibly compressed). */
  bytes: number;
  /** Rows the target has taken; absent when only the input's position is known. */
  rows?: number;
  /** From the input: the size of the table's data in it (as stored), when known. */
  of?: number;
  /** Where the figures come from. */
  from: 'target' | 'input';
}

/** application_name of a restore's client program: what its sessions are found by. */
export function restoreApplicationName(): string {
  return `pg-dump-explorer restore ${process.pid}-${++restores}`;
}
let restores = 0;

const COPY_PROGRESS_SINCE = 140000;

// No join with pg_class: a table created in the restore's own transaction (one transaction into
// a new database, the commonest restore) is not visible to this session; the restore's progress
// names it (runningTables).
const QUERY = `select c.relid::int8::text as relid, (select n.nspname || '.' || t.relname from pg_class t join pg_namespace n on n.oid = t.relnamespace where t.oid = c.relid) as table,
    c.bytes_processed::text as bytes, c.tuples_processed::text as rows
  from pg_stat_progress_copy c
  join pg_stat_activity a on a.pid = c.pid
  where a.application_name = $1 and c.command = 'COPY FROM'
  order by a.pid`;

export interface CopyWatcher {
  /** Stops asking and closes the session. */
  stop(): Promise<void>;
  /**
   * Stops asking and hands its session over, open, to the caller (who closes it) when the session
   * is sound: its last question answered and the connection not ended. Else closes it.
   */
  handOver(): Promise<ServerSession | undefined>;
}

export interface CopyWatchOptions {
  /** How often to ask (1 s). */
  intervalMs?: number;
  /** The tables whose data the restore program is sending now (TABLE DATA items running), `schema.table`: names COPYs of tables the target's session cannot see yet. */
  runningTables?: () => string[];
  /** How far the restore program has read each running table's data in its input: used for tables the target says nothing about. */
  readPosition?: () => CopyInProgress[] | Promise<CopyInProgress[]>;
  /** Progress from the input only, as where the target cannot say (tests of that path). */
  inputOnly?: boolean;
}

/**
 * Asks every second for the COPYs of the sessions named `applicationName` and hands them to
 * `onSample` (an empty list when none runs). From the target where it can say, else from the
 * input's position (options.readPosition); nothing at all when neither can. Never throws.
 */
export async function watchCopyProgress(connection: ResolvedConnection, applicationName: string, onSample: (copies: CopyInProgress[]) => void, options: CopyWatchOptions = {}): Promise<CopyWatcher> {
  const { readPosition, runningTables } = options;
  let session: ServerSession | undefined;
  if (!options.inputOnly) {
    try {
      session = await openServerSession(connection, { applicationName: 'pg-dump-explorer progress' });
    } catch {
      session = undefined;
    }
    if (session && session.serverVersionNum < COPY_PROGRESS_SINCE) {
      await session.close();
      session = undefined;
    }
  }
  if (!session && !readPosition) return { stop: async () => undefined, handOver: async () => undefined };
  const open = session;
  // A session whose question failed or whose connection ended is not handed over.
  let sound = open !== undefined;
  open?.client.once('end', () => (sound = false));
  let stopped = false;
  let asking: Promise<void> = Promise.resolve();
  const fromTarget = async (): Promise<CopyInProgress[]> => {
    if (!open) return [];
    try {
      const result = await open.client.query<{ relid: string; table: string | null; bytes: string; rows: string }>(QUERY, [applicationName]);
      const running = runningTables?.() ?? [];
      const named = new Set(result.rows.map((r) => r.table).filter((t) => t !== null));
      // Unnamed COPYs take the running tables the named ones do not account for, in order.
      const unnamed = running.filter((t) => !named.has(t));
      return result.rows.map((r) => ({ table: r.table ?? unnamed.shift() ?? `table ${r.relid}`, bytes: Number(r.bytes), rows: Number(r.rows), from: 'target' as const }));
    } catch {
      // The target went away or refused: the restore itself will say so.
      sound = false;
      return [];
    }
  };
  const ask = async () => {
    const target = await fromTarget();
    let input: CopyInProgress[] = [];
    const seen = new Set(target.map((c) => c.table));
    const running = runningTables ? runningTables() : undefined;
    // The input is read only for running tables the target says nothing of (reading it costs).
    if (readPosition && (!running || running.some((t) => !seen.has(t)))) {
      try {
        input = (await readPosition()).filter((c) => !seen.has(c.table) && (!running || running.includes(c.table)));
      } catch {
        input = [];
      }
    }
    if (!stopped) onSample([...target, ...input]);
  };
  const timer = setInterval(() => {
    asking = asking.then(ask);
  }, options.intervalMs ?? 1000);
  timer.unref();
  const halt = async () => {
    const first = !stopped;
    stopped = true;
    clearInterval(timer);
    await asking;
    return first;
  };
  return {
    async stop() {
      if (await halt()) await open?.close();
    },
    async handOver() {
      if (!(await halt())) return undefined;
      if (open && sound) return open;
      await open?.close();
      return undefined;
    },
  };
}
