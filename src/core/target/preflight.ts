/**
 * The pre-flight check of a restore target: before pg_restore runs, ask the target database
 * (read-only, a few batched catalog queries) what would go wrong with this plan, and say it as
 * findings — blocking problems, warnings, information — each with the fixes that would help.
 *
 * What is checked:
 * - the server: reachable (else the one-line connection error), its major version against the
 *   dump's source server, the database itself (missing: propose creating it), the run-time
 *   parameters a plain dump's settings name that it lacks (their SET is left out);
 * - roles: owners pg_restore would set, roles named by privileges and policies;
 * - conflicts: planned objects that already exist (what `--clean --if-exists` would drop);
 * - what the plan needs but does not restore (its schema, a data-only plan's tables, the
 *   tables foreign keys reference), whether the target has it;
 * - extensions: available on the server, installed already, creatable by this user;
 * - permissions: CREATE on the database and schemas, INSERT on tables a data-only plan fills,
 *   whether ownership can be given to the dump's owners;
 * - whether the database is empty, and whether tables that get rows already have some.
 *
 * The work is in three steps: what the plan needs the target to answer (preflightWanted.ts,
 * from the archive alone), the answers (here, with targetFacts.ts and targetObjects.ts), and the
 * judgement (preflightFindings.ts, no I/O).
 */
import type { ResolvedConnection } from '../connections/resolve';
import type { Archive } from '../model/types';
import type { RestorePlan } from '../plan/closure';
import { judge, type Facts } from './preflightFindings';
import type { PreflightOptions, PreflightReport } from './preflightTypes';
import { collect, type Probe, type TableTarget, type Wanted } from './preflightWanted';
import { isMissingDatabase, openAhead, openMaintenanceSession, openServerSession, type SessionAhead, type ServerSession } from '../server/session';
import { actorFacts, databaseContents, extensionFacts, missingParameters, roleFacts, schemaFacts, tableFacts, tablesHaveRows, type DatabaseContents } from './targetFacts';
import { findObjects, refKey, type ObjectRef } from './targetObjects';

export type { ExtensionStatus, Finding, FindingSeverity, PreflightOptions, PreflightReport, ProposedFix, TargetObjectRef } from './preflightTypes';
export { classifyExtension, createRoleSql, missingParameterFindings, psqlRestrictFinding, versionNum, type ExtensionCheck } from './preflightFindings';

/** The pre-flight's sessions: its questions go out in a few groups (gather), each in one round trip. */
const SESSION = { applicationName: 'pg-dump-explorer pre-flight', pipeline: true } as const;

/** The pre-flight check's session, its connection started now: while the dump is opened and planned. */
export function preflightSessionAhead(connection: ResolvedConnection): SessionAhead {
  return openAhead(connection, SESSION);
}

/**
 * Checks `plan` against the target database of `connection`. Throws the one-line
 * DumpError('connection') when the server cannot be reached; a database that does not exist is
 * a blocking finding (with the other checks run against the server) instead. `ahead`: the
 * session, opened earlier (preflightSessionAhead).
 */
export async function preflight(archive: Archive, plan: RestorePlan, connection: ResolvedConnection, options: PreflightOptions = {}, ahead?: SessionAhead): Promise<PreflightReport> {
  let session: ServerSession;
  let databaseMissing = false;
  try {
    session = await (ahead ? ahead.take() : openServerSession(connection, SESSION));
  } catch (err) {
    const fallback = isMissingDatabase(err) ? await openMaintenanceSession(connection, SESSION).catch(() => undefined) : undefined;
    if (!fallback) throw err;
    // The report names the database the restore goes to, not the one the check could reach.
    session = { ...fallback, where: `${fallback.where.slice(0, fallback.where.lastIndexOf('/'))}/${connection.dbname}` };
    databaseMissing = true;
  }
  try {
    const wanted = collect(archive, plan);
    const facts = await gather(session, wanted, options, databaseMissing, connection.dbname);
    return judge(archive, plan, wanted, facts, options);
  } finally {
    // Not waited for: its transaction is read-only and already rolled back (gather), and over a
    // network the restore need not wait a round trip for the goodbye.
    void session.close();
  }
}

const NO_CONTENTS: DatabaseContents = { schemas: 0, relations: 0, functions: 0, types: 0, extensions: 0, largeObjects: 0 };

/**
 * Asks the target, in one read-only transaction that is rolled back. The session is pipelined:
 * the questions that do not depend on each other are asked together, in three groups (who acts;
 * the roles, extensions, objects, schemas and tables; which tables have rows), so that over a
 * network the check waits about three round trips rather than one per question.
 */
async function gather(session: ServerSession, wanted: Wanted, options: PreflightOptions, databaseMissing: boolean, dbname: string): Promise<Facts> {
  const { client, serverVersionNum } = session;
  const begun = client.query('begin read only');
  try {
    // Type names print as pg_dump writes them (qualified unless in pg_catalog); waits on locks are short.
    const settings = client.query("select pg_catalog.set_config('search_path', 'pg_catalog', true), pg_catalog.set_config('lock_timeout', '5s', true)");
    const [actor] = await Promise.all([actorFacts(client, options.role), begun, settings]);
    if (databaseMissing) actor.database = dbname;
    const who = actor.actorExists ? actor.actor : actor.user;
    const serverWide = Promise.all([
      roleFacts(client, serverVersionNum, [...wanted.roles.keys()], who),
      extensionFacts(client, serverVersionNum, [...wanted.extensions.keys()], !databaseMissing),
      missingParameters(client, options.settingParameters ?? []),
    ]);
    serverWide.catch(() => undefined); // awaited below; a failure is thrown there
    const known = { where: session.where, serverVersion: session.serverVersion, serverVersionNum, databaseMissing, actor, tables: new Map(), objects: new Map() };
    if (databaseMissing) {
      // Without the database, nothing of it exists: only the server-wide facts count.
      const [roles, extensions, missing] = await serverWide;
      return { ...known, roles, schemas: new Map(), extensions, missingParameters: missing, contents: NO_CONTENTS };
    }

    const refs = new Map<string, ObjectRef>();
    const addRefs = (p: Probe | undefined) => p?.refs.forEach((r) => refs.set(refKey(r), r));
    wanted.creates.forEach(addRefs);
    wanted.needs.forEach((n) => addRefs(n.probe));
    wanted.foreignKeys.forEach((f) => f.objects.forEach(addRefs));
    const list = [...refs.values()];
    const dataSchemas = wanted.filled.map((f) => f.table.schema);
    const tables = new Map<number, TableTarget>();
    for (const f of wanted.filled) tables.set(f.table.entry.dumpId, f.table);
    for (const f of wanted.foreignKeys) for (const t of f.tables) tables.set(t.entry.dumpId, t);
    const targets = [...tables.values()];
    const [[roles, extensions, missing], found, schemas, contents, tf] = await Promise.all([
      serverWide,
      findObjects(client, serverVersionNum, list),
      schemaFacts(client, [...new Set([...wanted.schemas, ...dataSchemas])], who),
      databaseContents(client),
      tableFacts(client, targets, who),
    ]);
    const facts: Facts = { ...known, roles, schemas, extensions, missingParameters: missing, contents };
    list.forEach((r, i) => {
      const f = found[i];
      if (f !== null && f !== undefined) facts.objects.set(refKey(r), f);
    });

    // Alone, after the rest: its savepoints must not enclose another question. Only tables we
    // may read are asked for rows (a permission error would cost a savepoint each).
    const readable = targets.filter((_, i) => tf[i]!.exists && tf[i]!.canSelect);
    const rows = await tablesHaveRows(client, readable);
    const rowsOf = new Map(readable.map((t, i) => [t.entry.dumpId, rows[i]]));
    targets.forEach((t, i) => facts.tables.set(t.entry.dumpId, { ...tf[i]!, rows: rowsOf.get(t.entry.dumpId) }));
    return facts;
  } finally {
    // Sent, not waited for: the session is closed next, and the server ends the transaction first.
    client.query('rollback').catch(() => undefined);
  }
}
