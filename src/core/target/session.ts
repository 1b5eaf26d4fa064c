import { Client } from 'pg';
import type { ResolvedConnection } from '../connections/resolve';
import { DumpError, oneLine } from '../errors';

/**
 * One node-postgres session on the restore target, for the pre-flight checks and the
 * post-restore work. Tries the connection's hosts in order, as libpq does with a host list.
 */
export interface TargetSession {
  readonly client: Client;
  /** `server_version_num`, e.g. 150014. */
  readonly serverVersionNum: number;
  /** `server_version` as the server prints it, e.g. `15.14 (Debian 15.14-0+deb12u1)`. */
  readonly serverVersion: string;
  /** Which host of the connection answered (for messages: host, port, database). */
  readonly where: string;
  close(): Promise<void>;
}

export async function openTargetSession(connection: ResolvedConnection, options: { applicationName?: string } = {}): Promise<TargetSession> {
  let lastError: unknown;
  for (let i = 0; i < connection.hosts.length; i++) {
    const config = connection.toPgClientConfig(i);
    const client = new Client({ ...config, application_name: options.applicationName ?? 'pg-dump-explorer' });
    // A dropped connection must not crash the process; the pending query rejects instead.
    client.on('error', () => undefined);
    try {
      await client.connect();
      const row = (await client.query<{ num: string; version: string }>("select current_setting('server_version_num') as num, current_setting('server_version') as version")).rows[0];
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
    }
  }
  throw new DumpError('connection', `could not connect to ${connection.describe()}: ${oneLine(lastError)}`, { cause: lastError });
}
