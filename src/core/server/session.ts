import { Client, DatabaseError } from 'pg';
import type { ResolvedConnection } from '../connections/resolve';
import { DumpError, oneLine } from '../errors';

/**
 * One node-postgres session on the restore target, for the pre-flight checks and the
 * post-restore work. Tries the connection's hosts in order, as libpq does with a host list.
 */
export interface ServerSession {
  readonly client: Client;
  /** `server_version_num`, e.g. 150014. */
  readonly serverVersionNum: number;
  /** `server_version` as the server prints it, e.g. `15.14 (Debian 15.14-0+deb12u1)`. */
  readonly serverVersion: string;
  /** Which host of the connection answered (for messages: host, port, database). */
  readonly where: string;
  close(): Promise<void>;
}

/** The major release of a `server_version_num` (150018 → 15; 90624 → 9), as tools compare it. */
export function serverMajor(versionNum: number): number {
  return Math.floor(versionNum / 10000);
}

export interface SessionOptions {
  applicationName?: string;
  /**
   * Queries asked together go out together (node-postgres's pipeline mode), their answers read
   * in order: a step that asks several independent questions waits one round trip for them, not
   * one each. Only for sessions that never hold a cursor open.
   */
  pipeline?: boolean;
  /** Aborting ends a connection still being made (its promise then rejects). */
  signal?: AbortSignal;
}

export async function openServerSession(connection: ResolvedConnection, options: SessionOptions = {}): Promise<ServerSession> {
  let lastError: unknown;
  for (let i = 0; i < connection.hosts.length; i++) {
    const config = connection.toPgClientConfig(i);
    if (options.signal?.aborted) break;
    const client = new Client({ ...config, application_name: options.applicationName ?? 'pg-dump-explorer', ...(options.pipeline ? { pipeline: true } : {}) });
    // A dropped connection must not crash the process; the pending query rejects instead.
    client.on('error', () => undefined);
    // Its socket is destroyed, not ended: a connection still being made to a host that does not
    // answer would otherwise wait out the TCP timeout (client.end() waits for it).
    const abandon = () => client.connection.stream.destroy();
    options.signal?.addEventListener('abort', abandon, { once: true });
    try {
      await client.connect();
      const row = (await client.query<{ num: string; version: string }>("select current_setting('server_version_num') as num, current_setting('server_version') as version")).rows[0];
      if (options.signal?.aborted) throw new Error('abandoned');
      const host = connection.hosts[i];
      return {
        client,
        serverVersionNum: Number(row?.num ?? 0),
        serverVersion: row?.version ?? '',
        where: `${host?.host || host?.hostaddr || 'localhost'}:${host?.port ?? ''}/${connection.dbname}`,
        close: () => client.end().catch(() => undefined),
      };
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
    } finally {
      options.signal?.removeEventListener('abort', abandon);
    }
  }
  throw new DumpError('connection', `could not connect to ${connection.describe()}: ${oneLine(lastError)}`, { cause: lastError });
}

/** A session opened ahead of the step that needs it, so that connecting overlaps other work. */
export interface SessionAhead {
  /** The session, or the error of opening it; whoever takes it closes it. */
  take(): Promise<ServerSession>;
  /** Closes the session, or stops its connecting, unless it was taken. */
  release(): void;
}

export function openAhead(connection: ResolvedConnection, options: SessionOptions = {}): SessionAhead {
  const abandon = new AbortController();
  const opening = openServerSession(connection, { ...options, signal: abandon.signal });
  opening.catch(() => undefined); // taken (and reported) by the step that needs it
  let taken = false;
  return {
    take() {
      taken = true;
      return opening;
    },
    release() {
      if (taken) return;
      taken = true;
      abandon.abort();
      void opening.then((s) => s.close(), () => undefined);
    },
  };
}

/** The server's error code (SQLSTATE) behind a failed session or query, e.g. `3D000`, if the server sent one. */
export function sqlState(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DatabaseError) return e.code;
  }
  return undefined;
}

/** Whether a session failed because the connection's database does not exist (the server said so). */
export const isMissingDatabase = (err: unknown): boolean => sqlState(err) === '3D000';

/** The databases every cluster has, in the order libpq-based tools (createdb, psql -l) fall back on them. */
export const MAINTENANCE_DATABASES: readonly string[] = ['postgres', 'template1'];

/**
 * A session on the same server as `connection` in its maintenance database (`postgres`, else
 * `template1`), for work that needs the server rather than one database: listing and creating
 * databases, or checking a target whose database does not exist yet. Throws the one-line
 * DumpError('connection') of the last attempt when neither can be reached.
 */
export async function openMaintenanceSession(connection: ResolvedConnection, options: SessionOptions = {}): Promise<ServerSession> {
  let lastError: unknown;
  for (const dbname of MAINTENANCE_DATABASES) {
    try {
      return await openServerSession(connection.withDatabase(dbname), options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}
