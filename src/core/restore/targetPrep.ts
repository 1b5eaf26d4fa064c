import type { ResolvedConnection } from '../connections/resolve';
import { DumpError } from '../errors';
import type { OpenedArchive } from '../formats/archive/openedArchive';
import type { RestorePlan } from '../plan/closure';
import { postRestore, type PostRestoreReport } from '../target/postRestore';
import { openServerSession, type ServerSession } from '../server/session';
import type { RestoreEvent, RestoreRunOptions } from './types';

/**
 * What a restore does on the target around the restore program itself, whichever program it is
 * (pg_restore for archives, psql for plain dumps): roles created on request (and dropped again
 * when the restore does not succeed), row counts before a data-only restore, and the checks
 * after one that succeeded.
 */

/** `select count(*)` of each table whose data is planned, for a data-only restore. */
export async function countTargetRows(connection: ResolvedConnection, plan: RestorePlan): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const tables = plan.entries.filter((p) => p.entry.desc === 'TABLE DATA' && p.entry.namespace !== null && p.entry.tag !== null).map((p) => p.entry);
  if (tables.length === 0) return counts;
  const session = await openServerSession(connection);
  try {
    for (const e of tables) {
      const name = `${session.client.escapeIdentifier(e.namespace as string)}.${session.client.escapeIdentifier(e.tag as string)}`;
      const exists = await session.client.query<{ ok: boolean }>('select to_regclass($1) is not null as ok', [name]);
      if (!exists.rows[0]?.ok) continue;
      const row = await session.client.query<{ n: string }>(`select count(*) as n from only ${name}`);
      counts.set(`${e.namespace}.${e.tag}`, Number(row.rows[0]?.n ?? 0));
    }
  } finally {
    await session.close();
  }
  return counts;
}

/** What was done on the target before the restore program ran, and how to take it back. */
export interface TargetPrep {
  createdRoles: string[];
  /** Puts back what prepareTarget changed: for a restore that failed or was cancelled. */
  undo(): Promise<void>;
}

/**
 * Before the restore program runs: the roles asked for are created, and each existing schema the
 * restore uses as it is (options.useExisting) gets the owner the dump gives it. undo() puts both
 * back, so that a restore that does not succeed leaves the target as it was.
 */
export async function prepareTarget(connection: ResolvedConnection, options: RestoreRunOptions): Promise<TargetPrep> {
  const createdRoles = await createRoles(connection, options.createRoles ?? []);
  let ownersBefore: { schema: string; owner: string }[] = [];
  try {
    ownersBefore = await setSchemaOwners(connection, options.noOwner ? [] : (options.useExisting?.schemaOwners ?? []));
  } catch (err) {
    await dropRoles(connection, createdRoles);
    throw err;
  }
  return {
    createdRoles,
    async undo() {
      await setSchemaOwners(connection, ownersBefore);
      await dropRoles(connection, createdRoles);
    },
  };
}

/** ALTER SCHEMA … OWNER TO, in one transaction; returns the owners the changed schemas had. */
async function setSchemaOwners(connection: ResolvedConnection, owners: readonly { schema: string; owner: string }[]): Promise<{ schema: string; owner: string }[]> {
  if (owners.length === 0) return [];
  const before: { schema: string; owner: string }[] = [];
  const session = await openServerSession(connection);
  const { client } = session;
  try {
    await client.query('begin');
    for (const { schema, owner } of owners) {
      const row = await client.query<{ owner: string }>('select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = $1', [schema]);
      const was = row.rows[0]?.owner;
      if (was === undefined || was === owner) continue;
      await client.query(`alter schema ${client.escapeIdentifier(schema)} owner to ${client.escapeIdentifier(owner)}`);
      before.push({ schema, owner: was });
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw new DumpError('connection', `could not give the existing schemas their owners from the dump: ${err instanceof Error ? err.message : String(err)}: restore with --no-owner, or as a superuser`, { cause: err });
  } finally {
    await session.close();
  }
  return before;
}

/** Creates the roles that do not exist yet (NOLOGIN); returns those it created. */
export async function createRoles(connection: ResolvedConnection, roles: readonly string[]): Promise<string[]> {
  if (roles.length === 0) return [];
  const created: string[] = [];
  const session = await openServerSession(connection);
  try {
    for (const role of roles) {
      const exists = await session.client.query('select 1 from pg_roles where rolname = $1', [role]);
      if (exists.rowCount) continue;
      await session.client.query(`create role ${session.client.escapeIdentifier(role)} nologin`);
      created.push(role);
    }
  } catch (err) {
    await session.close();
    await dropRoles(connection, created);
    throw new DumpError('connection', `could not create role: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  await session.close();
  return created;
}

/** Drops roles this restore created, so that a failed or cancelled restore leaves the cluster as it was. */
export async function dropRoles(connection: ResolvedConnection, roles: readonly string[]): Promise<void> {
  if (roles.length === 0) return;
  const session = await openServerSession(connection);
  try {
    for (const role of roles) await session.client.query(`drop role if exists ${session.client.escapeIdentifier(role)}`);
  } finally {
    await session.close();
  }
}

/**
 * The work after a restore that succeeded, as the options ask (ANALYZE, sequences, row counts).
 * When it cannot run to the end, the data is in all the same: that is a problem line, not a
 * failed restore.
 */
export async function checksAfterRestore(
  opened: OpenedArchive,
  plan: RestorePlan,
  connection: ResolvedConnection,
  options: RestoreRunOptions,
  hooks: { signal?: AbortSignal; onEvent?: (e: RestoreEvent) => void; restoredBy?: string; session?: ServerSession },
  rowsBefore: Map<string, number> | undefined,
  archiveCounts?: Map<number, Promise<number>>,
): Promise<{ report?: PostRestoreReport; problem?: string }> {
  const analyze = options.analyze ?? true;
  const fixSequences = options.fixSequences ?? true;
  const countRows = options.verifyRowCounts ?? true;
  if (!analyze && !fixSequences && !countRows) {
    await hooks.session?.close();
    return {};
  }
  try {
    hooks.onEvent?.({ kind: 'stage', stage: 'post-restore' });
  } catch (err) {
    await hooks.session?.close(); // the session handed over is this function's to close
    throw err;
  }
  try {
    const report = await postRestore(opened, plan, connection, { analyze, fixSequences, countRows, ...(rowsBefore ? { rowsBefore } : {}), ...(archiveCounts ? { archiveCounts } : {}), ...(hooks.signal ? { signal: hooks.signal } : {}), ...(hooks.restoredBy ? { restoredBy: hooks.restoredBy } : {}), ...(hooks.session ? { session: hooks.session } : {}) });
    return { report };
  } catch (err) {
    return { problem: `the restore succeeded, but the checks after it did not run to the end: ${err instanceof Error ? err.message : String(err)}` };
  }
}
