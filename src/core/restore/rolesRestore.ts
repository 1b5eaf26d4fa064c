import { Readable } from 'node:stream';
import type { ResolvedConnection } from '../connections/resolve';
import { DumpError } from '../errors';
import type { ClusterIndex, GlobalStatement } from '../plain/clusterDump';
import { openServerSession } from '../server/session';
import { psqlRestrictFinding } from '../target/preflightFindings';
import type { ToolCandidate } from '../tools/findTools';
import { findPsql, runPsqlRestore, type PsqlError } from './psqlRestore';

/**
 * "Restore roles only" from a pg_dumpall script: its role statements (CREATE ROLE, ALTER ROLE
 * attributes and settings, comments, memberships), streamed to psql in one transaction, so
 * that a failure creates none of them.
 *
 * A role that exists already in the target is left as it is: its CREATE ROLE would fail, and
 * its ALTER ROLE would change a role someone uses (its attributes, password, settings). Which
 * roles those are is said before anything runs (rolesPreflight). A membership is granted when
 * its role and member exist afterwards; one whose grantor (`GRANTED BY`) does not is left out,
 * as is a setting `IN DATABASE` a database the target lacks. Tablespaces only when asked:
 * CREATE TABLESPACE cannot run in a transaction block, so then the statements run one by one
 * (not atomic), tablespaces first, and existing tablespaces are left as they are.
 */

export interface RolesOptions {
  /** Also create the script's tablespaces (not in one transaction). Default false. */
  tablespaces?: boolean;
  signal?: AbortSignal;
  /** A configured psql. */
  psqlPath?: string;
  standardLocations?: boolean;
  onOutput?: (line: string) => void;
}

export interface RolesPlan {
  /** Roles the script creates that the target lacks: they will be created. */
  create: string[];
  /** Roles the script creates that the target has: left as they are. */
  existing: string[];
  /** Tablespaces to create (with `tablespaces`), and those that exist (left as they are). */
  createTablespaces: string[];
  existingTablespaces: string[];
  /** The statements that will run, in the script's order. */
  statements: GlobalStatement[];
  /** One line each: statements left out, and why (never their text: it may hold a password). */
  leftOut: string[];
  /** Whether it runs in one transaction (not with tablespaces). */
  singleTransaction: boolean;
  target: { where: string; serverVersion: string; user: string; isSuperuser: boolean; canCreateRoles: boolean };
}

export interface RolesResult {
  ok: boolean;
  cancelled: boolean;
  plan: RolesPlan;
  command: string;
  tool: ToolCandidate;
  errors: PsqlError[];
  durationMs: number;
}

const ROLE_KINDS = new Set(['create-role', 'alter-role', 'role-setting', 'role-comment']);

/** What a roles-only restore would do on the target: read-only catalog queries. */
export async function rolesPreflight(cluster: ClusterIndex, connection: ResolvedConnection, options: Pick<RolesOptions, 'tablespaces'> = {}): Promise<RolesPlan> {
  const session = await openServerSession(connection, { applicationName: 'pg-dump-explorer pre-flight' });
  let roles: Set<string>;
  let tablespaces: Set<string>;
  let databases: Set<string>;
  let me: { user: string; superuser: boolean; createrole: boolean };
  try {
    const q = async <R extends Record<string, unknown>>(sql: string) => (await session.client.query<R>(sql)).rows;
    roles = new Set((await q<{ rolname: string }>('select rolname from pg_catalog.pg_roles')).map((r) => r.rolname));
    tablespaces = new Set((await q<{ spcname: string }>('select spcname from pg_catalog.pg_tablespace')).map((r) => r.spcname));
    databases = new Set((await q<{ datname: string }>('select datname from pg_catalog.pg_database')).map((r) => r.datname));
    const [row] = await q<{ user: string; superuser: boolean; createrole: boolean }>(
      'select current_user as user, rolsuper as superuser, rolcreaterole as createrole from pg_catalog.pg_roles where rolname = current_user',
    );
    me = row ?? { user: connection.user ?? '', superuser: false, createrole: false };
  } finally {
    await session.close();
  }
  const all = cluster.globals.statements;
  const existing = cluster.roles.filter((r) => roles.has(r));
  const create = cluster.roles.filter((r) => !roles.has(r));
  const after = new Set([...roles, ...create]);
  const wantTablespaces = options.tablespaces ?? false;
  const existingTablespaces = wantTablespaces ? cluster.tablespaces.filter((t) => tablespaces.has(t)) : [];
  const createTablespaces = wantTablespaces ? cluster.tablespaces.filter((t) => !tablespaces.has(t)) : [];
  const leftOut: string[] = [];
  const statements: GlobalStatement[] = [];
  const existingSet = new Set(existing);
  for (const s of all) {
    if (ROLE_KINDS.has(s.kind)) {
      if (existingSet.has(s.role!)) continue; // said once, below
      if (s.kind === 'role-setting' && s.database !== undefined && !databases.has(s.database)) {
        leftOut.push(`a setting of role ${s.role} in database ${s.database}: the target has no such database`);
        continue;
      }
      statements.push(s);
    } else if (s.kind === 'membership') {
      const missing = [s.role, s.member].filter((r) => r === undefined || !after.has(r));
      if (missing.length > 0) {
        leftOut.push(`the membership of ${s.member} in ${s.role}: role ${missing.join(' and ')} will not exist`);
        continue;
      }
      if (s.grantor !== undefined && !after.has(s.grantor)) {
        leftOut.push(`the membership of ${s.member} in ${s.role}: its grantor ${s.grantor} does not exist in the target`);
        continue;
      }
      statements.push(s);
    } else if (s.kind === 'tablespace') {
      if (!wantTablespaces) continue;
      if (s.tablespace !== undefined && tablespaces.has(s.tablespace)) continue;
      statements.push(s);
    }
  }
  if (existing.length > 0) leftOut.unshift(`${existing.length === 1 ? 'role' : 'roles'} ${existing.join(', ')} already ${existing.length === 1 ? 'exists' : 'exist'} in the target: left as ${existing.length === 1 ? 'it is' : 'they are'} (no CREATE, ALTER, settings or comments)`);
  if (!wantTablespaces && cluster.tablespaces.length > 0) leftOut.push(`tablespaces ${cluster.tablespaces.join(', ')}: not asked for`);
  const tablespaceStatements = statements.filter((s) => s.kind === 'tablespace');
  return {
    create,
    existing,
    createTablespaces,
    existingTablespaces,
    // Tablespaces first: a role's settings may name one.
    statements: [...tablespaceStatements, ...statements.filter((s) => s.kind !== 'tablespace')],
    leftOut,
    singleTransaction: tablespaceStatements.length === 0,
    target: { where: session.where, serverVersion: session.serverVersion, user: me.user, isSuperuser: me.superuser, canCreateRoles: me.superuser || me.createrole },
  };
}

/** Runs a roles plan (from rolesPreflight) through psql. */
export async function restoreRoles(cluster: ClusterIndex, plan: RolesPlan, connection: ResolvedConnection, options: RolesOptions = {}): Promise<RolesResult> {
  const started = Date.now();
  if (plan.statements.length === 0) throw new DumpError('usage', 'nothing to restore: every role of the script exists in the target already');
  const tool = await findPsql({ ...(options.psqlPath ? { toolPath: options.psqlPath } : {}), ...(options.standardLocations === false ? { standardLocations: false } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const restrict = psqlRestrictFinding(tool.version, cluster.restrictKey !== null);
  if (restrict) throw new DumpError('unsupported', restrict.message);
  const settings = cluster.globals.statements.filter((s) => s.kind === 'setting').map((s) => s.text);
  const lines = [
    ...(cluster.restrictKey !== null ? [`\\restrict ${cluster.restrictKey}`] : []),
    ...settings,
    ...plan.statements.map((s) => s.text),
    ...(cluster.restrictKey !== null ? [`\\unrestrict ${cluster.restrictKey}`] : []),
  ];
  const outcome = await runPsqlRestore(Readable.from([Buffer.from(`${lines.join('\n')}\n`, 'utf8')]), connection, {
    tool,
    singleTransaction: plan.singleTransaction,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
  return { ok: outcome.ok, cancelled: outcome.cancelled, plan, command: outcome.command, tool, errors: outcome.errors, durationMs: Date.now() - started };
}
