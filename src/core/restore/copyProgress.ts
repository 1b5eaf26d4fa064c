/**
 * Progress inside a running COPY: a big table's data is one item to pg_restore and psql, which
 * say nothing until it is done. The target says how far each COPY is (pg_stat_progress_copy,
 * PostgreSQL 14 and later): its bytes and rows so far, for the sessions of this restore only (they
 * carry an application_name of their own). Asked once a second, in a session of its own.
 */
import type { ResolvedConnection } from '../connections/resolve';
import { openServerSession, type ServerSession } from '../server/session';

/** One running COPY as the target reports it. */
export interface CopyInProgress {
  /** `schema.table`, as the restore's progress names tables. */
  table: string;
  bytes: number;
  rows: number;
}

/** application_name of a restore's client program: what its sessions are found by. */
export function restoreApplicationName(): string {
  return `pg-dump-explorer restore ${process.pid}-${++restores}`;
}
let restores = 0;

const COPY_PROGRESS_SINCE = 140000;

const QUERY = `select n.nspname || '.' || t.relname as table, c.bytes_processed::text as bytes, c.tuples_processed::text as rows
  from pg_stat_progress_copy c
  join pg_stat_activity a on a.pid = c.pid
  join pg_class t on t.oid = c.relid
  join pg_namespace n on n.oid = t.relnamespace
  where a.application_name = $1 and c.command = 'COPY FROM'
  order by a.pid`;

export interface CopyWatcher {
  /** Stops asking and closes the session. */
  stop(): Promise<void>;
}

/**
 * Asks the target every `intervalMs` (1 s) for the COPYs of the sessions named `applicationName`
 * and hands them to `onSample` (an empty list when none runs). Does nothing on a server older than
 * PostgreSQL 14 or when it cannot connect: progress then comes from the items alone. Never throws.
 */
export async function watchCopyProgress(connection: ResolvedConnection, applicationName: string, onSample: (copies: CopyInProgress[]) => void, intervalMs = 1000): Promise<CopyWatcher> {
  let session: ServerSession | undefined;
  try {
    session = await openServerSession(connection, { applicationName: 'pg-dump-explorer progress' });
  } catch {
    return { stop: async () => undefined };
  }
  if (session.serverVersionNum < COPY_PROGRESS_SINCE) {
    await session.close();
    return { stop: async () => undefined };
  }
  const open = session;
  let stopped = false;
  let asking: Promise<void> = Promise.resolve();
  const ask = async () => {
    try {
      const result = await open.client.query<{ table: string; bytes: string; rows: string }>(QUERY, [applicationName]);
      if (!stopped) onSample(result.rows.map((r) => ({ table: r.table, bytes: Number(r.bytes), rows: Number(r.rows) })));
    } catch {
      // The target went away or refused: the restore itself will say so.
    }
  };
  const timer = setInterval(() => {
    asking = asking.then(ask);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await asking;
      await open.close();
    },
  };
}
