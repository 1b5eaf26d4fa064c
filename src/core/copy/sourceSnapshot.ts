/**
 * The source side of a copy: one session that holds a repeatable-read transaction open and exports
 * its snapshot (`pg_export_snapshot()`), which every pg_dump of the copy uses (`--snapshot`), so that
 * the pre-flight's TOC, the copied data and the rows counted for the check all see the same
 * database, however much it is written to meanwhile. The rows are counted in this very session.
 */
import type { ResolvedConnection } from '../connections/resolve';
import { DumpError, oneLine } from '../errors';
import { openServerSession, serverMajor, type ServerSession } from '../server/session';

export interface SourceSnapshot {
  /** What pg_dump --snapshot takes. */
  readonly id: string;
  readonly where: string;
  readonly serverVersion: string;
  readonly major: number;
  /** `count(*)` of each table's own rows, in the snapshot, by `schema.name`. */
  countRows(tables: readonly { schema: string; name: string }[], signal?: AbortSignal): Promise<Map<string, number>>;
  /** Ends the transaction and the session. */
  close(): Promise<void>;
}

export async function openSourceSnapshot(connection: ResolvedConnection): Promise<SourceSnapshot> {
  const session: ServerSession = await openServerSession(connection, { applicationName: 'pg-dump-explorer copy source' });
  const { client } = session;
  let id: string;
  try {
    await client.query('begin transaction isolation level repeatable read read only');
    id = (await client.query<{ id: string }>('select pg_catalog.pg_export_snapshot() as id')).rows[0]!.id;
  } catch (err) {
    await session.close();
    // A standby cannot export a snapshot before PostgreSQL 10, and a role may lack the right to.
    throw new DumpError('connection', `could not take a snapshot of ${session.where}: ${oneLine(err)}`, { cause: err });
  }
  let closed = false;
  return {
    id,
    where: session.where,
    serverVersion: session.serverVersion.split(' ')[0] || String(session.serverVersionNum),
    major: serverMajor(session.serverVersionNum),
    async countRows(tables, signal) {
      const counts = new Map<string, number>();
      for (const t of tables) {
        if (signal?.aborted || closed) break;
        const name = `${client.escapeIdentifier(t.schema)}.${client.escapeIdentifier(t.name)}`;
        const { rows } = await client.query<{ n: string }>(`select count(*)::text as n from only ${name}`);
        counts.set(`${t.schema}.${t.name}`, Number(rows[0]?.n ?? 0));
      }
      return counts;
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.query('rollback').catch(() => undefined);
      await session.close();
    },
  };
}
