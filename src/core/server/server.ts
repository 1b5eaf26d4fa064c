/**
 * The server behind a connection, for the connection picker and the Connections view: what it
 * is and who we are on it (Test connection), which databases it has, and a new database for a
 * fresh restore target. Every failure is one DumpError line that says what to do.
 */
import { escapeIdentifier } from 'pg';
import { MissingPasswordError, type ResolvedConnection } from '../connections/resolve';
import { DumpError, oneLine } from '../errors';
import { isMissingDatabase, openMaintenanceSession, openServerSession, sqlState, type ServerSession } from './session';

const APPLICATION_NAME = 'pg-dump-explorer connections';

export interface ServerInfo {
  /** `host:port/dbname` of the host that answered. */
  where: string;
  /** `server_version` as the server prints it, e.g. `15.18 (Debian 15.18-0+deb12u1)`. */
  serverVersion: string;
  /** `server_version_num`, e.g. 150018. */
  serverVersionNum: number;
  user: string;
  database: string;
  isSuperuser: boolean;
  canCreateDatabases: boolean;
}

/**
 * Connects as `connection` says and reports the server and the user. A database that does not
 * exist is an error here (the test is of this connection, database included).
 */
export async function testConnection(connection: ResolvedConnection): Promise<ServerInfo> {
  const session = await openServerSession(connection, { applicationName: APPLICATION_NAME }).catch((err: unknown) => {
    if (isMissingDatabase(err)) {
      throw new DumpError('connection', `database "${connection.dbname}" does not exist on ${serverOf(connection)}: create it, or connect to another database`, { cause: err });
    }
    throw err;
  });
  try {
    const row = (
      await session.client.query<{ user: string; database: string; superuser: boolean; createdb: boolean }>(
        `select current_user as user, current_database() as database,
                coalesce(r.rolsuper, false) as superuser, coalesce(r.rolsuper or r.rolcreatedb, false) as createdb
           from (select 1) one left join pg_catalog.pg_roles r on r.rolname = current_user`,
      )
    ).rows[0];
    return {
      where: session.where,
      serverVersion: session.serverVersion,
      serverVersionNum: session.serverVersionNum,
      user: row?.user ?? connection.user,
      database: row?.database ?? connection.dbname,
      isSuperuser: row?.superuser ?? false,
      canCreateDatabases: row?.createdb ?? false,
    };
  } finally {
    await session.close();
  }
}

/** `PostgreSQL 15.18 at 127.0.0.1:5432/postgres as alice (superuser)`: one line for a notification or the CLI. */
export function describeServer(info: ServerInfo): string {
  const version = info.serverVersion.split(' ')[0] || String(info.serverVersionNum);
  const role = info.isSuperuser ? ' (superuser)' : info.canCreateDatabases ? ' (may create databases)' : '';
  return `PostgreSQL ${version} at ${info.where} as ${info.user}${role}`;
}

/**
 * The databases of the server one may connect to (templates and databases that refuse
 * connections left out), sorted by name. Works when the connection's own database does not
 * exist: then it asks the maintenance database.
 */
export async function listDatabases(connection: ResolvedConnection): Promise<string[]> {
  const session = await openOwnOrMaintenance(connection);
  try {
    const rows = (
      await session.client.query<{ datname: string }>(
        `select datname from pg_catalog.pg_database
          where not datistemplate and datallowconn and pg_catalog.has_database_privilege(datname, 'CONNECT')
          order by datname collate "C"`,
      )
    ).rows;
    return rows.map((r) => r.datname);
  } finally {
    await session.close();
  }
}

async function openOwnOrMaintenance(connection: ResolvedConnection): Promise<ServerSession> {
  try {
    return await openServerSession(connection, { applicationName: APPLICATION_NAME });
  } catch (err) {
    if (!isMissingDatabase(err)) throw err;
    return openMaintenanceSession(connection, { applicationName: APPLICATION_NAME });
  }
}

/** PostgreSQL's NAMEDATALEN - 1: longer names are cut short by the server, with only a notice. */
const MAX_NAME_BYTES = 63;

export interface CreateDatabaseOptions {
  /** The new database's owner; default the connecting user. */
  owner?: string;
  /**
   * Default `template0`: an empty database, as pg_restore's documentation advises for a restore
   * target (template1 may hold local additions that the dump's objects would collide with).
   */
  template?: string;
}

/**
 * `CREATE DATABASE name` on the server of `connection`, through its maintenance database (the
 * connection's own database may be the one to create). The name is quoted as an identifier, so
 * it is created exactly as given.
 */
export async function createDatabase(connection: ResolvedConnection, name: string, options: CreateDatabaseOptions = {}): Promise<void> {
  checkName(name, 'database name');
  if (options.owner !== undefined) checkName(options.owner, 'owner');
  const template = options.template ?? 'template0';
  checkName(template, 'template');
  const session = await openMaintenanceSession(connection, { applicationName: APPLICATION_NAME });
  const server = serverOf(connection);
  try {
    const owner = options.owner !== undefined ? ` OWNER ${escapeIdentifier(options.owner)}` : '';
    await session.client.query(`CREATE DATABASE ${escapeIdentifier(name)}${owner} TEMPLATE ${escapeIdentifier(template)}`);
  } catch (err) {
    throw createError(err, { name, template, owner: options.owner, server, user: connection.user });
  } finally {
    await session.close();
  }
}

/** Why `name` cannot be a database name, or undefined when it can: for a name box's live check. */
export function databaseNameProblem(name: string): string | undefined {
  return nameProblem(name, 'database name');
}

function nameProblem(value: string, what: string): string | undefined {
  if (value === '') return `the ${what} is empty: give a name`;
  if (value.includes('\0')) return `the ${what} may not contain a NUL character`;
  if (Buffer.byteLength(value, 'utf8') > MAX_NAME_BYTES) return `the ${what} "${value}" is longer than PostgreSQL's ${MAX_NAME_BYTES} bytes: choose a shorter one`;
  return undefined;
}

function checkName(value: string, what: string): void {
  const problem = nameProblem(value, what);
  if (problem !== undefined) throw new DumpError('usage', problem);
}

/** `host:port` of the connection's first host, for messages about the server rather than a database. */
function serverOf(connection: ResolvedConnection): string {
  return `${connection.host || connection.hosts[0]?.hostaddr || 'localhost'}:${connection.port}`;
}

/** What CREATE DATABASE's failure means and what to do about it, in one line. */
function createError(err: unknown, c: { name: string; template: string; owner: string | undefined; server: string; user: string }): DumpError {
  const detail = oneLine(err);
  const message = ((): string => {
    switch (sqlState(err)) {
      case '42P04':
        return `database "${c.name}" already exists on ${c.server}: pick it from the list, or choose another name`;
      case '42501':
        if (c.owner !== undefined && /role|member/i.test(detail) && !/permission denied to create database/i.test(detail)) {
          return `user "${c.user}" may not make "${c.owner}" the owner on ${c.server} (${detail}): leave the owner out, or connect as a member of that role`;
        }
        return `user "${c.user}" may not create databases on ${c.server} (no CREATEDB privilege): connect as a user who has it, or have an administrator run ALTER ROLE ${escapeIdentifier(c.user)} CREATEDB`;
      case '42704':
        return `role "${c.owner ?? ''}" does not exist on ${c.server}: leave the owner out, or create the role first`;
      case '3D000':
        return `template database "${c.template}" does not exist on ${c.server}: leave the template out (template0)`;
      case '55006':
        return `template database "${c.template}" is in use by other sessions on ${c.server}: close them, or use template0`;
      default:
        return `could not create database "${c.name}" on ${c.server}: ${detail}`;
    }
  })();
  return new DumpError('connection', message, { cause: err });
}

/**
 * Whether a failed connection wants a password from the user: `missing` when the server asked
 * for one and none was known, `refused` when the one given was wrong; undefined otherwise.
 */
export function passwordProblem(err: unknown): 'missing' | 'refused' | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof MissingPasswordError) return 'missing';
  }
  return sqlState(err) === '28P01' ? 'refused' : undefined;
}
