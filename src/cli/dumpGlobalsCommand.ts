import * as fs from 'node:fs';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { dumpGlobals } from '../core/dump/globals';
import { DumpError } from '../core/errors';
import { CancelledError } from '../core/process/run';
import { readClusterDump } from '../core/plain/clusterDump';
import { describeCandidate } from '../core/tools/findTools';
import { formatBytes, plural } from '../core/units';
import { cancelOnInterrupt, EXIT_CANCELLED } from './terminal';

/** `dump-globals`: the roles and tablespaces of a cluster, through pg_dumpall. Messages go to stderr. */

export interface DumpGlobalsCommandOptions {
  dbname: string;
  file: string;
  rolesOnly: boolean;
  noRolePasswords: boolean;
  yes: boolean;
}

export const EXIT_DUMP_FAILED = 5;

const say = (line: string) => process.stderr.write(`${line}\n`);

/** As psql's -d: a connection string or URI, else a database name. Its notes are said once. */
export function connectionOf(dbname: string): ResolvedConnection {
  const connection = resolveConnection(looksLikeConnectionString(dbname) ? dbname : { dbname });
  for (const note of connection.notes) say(`note: ${note}`);
  return connection;
}

/** What is at `target` is replaced only with --yes (and only once the new dump is complete). */
export function refuseToReplace(target: string, yes: boolean): void {
  if (!yes && fs.existsSync(target)) throw new DumpError('usage', `${target} exists already: choose another name, or add --yes to replace it (it is replaced only once the new dump is complete)`);
}

export async function dumpGlobalsCommand(o: DumpGlobalsCommandOptions): Promise<number> {
  refuseToReplace(o.file, o.yes);
  const connection = connectionOf(o.dbname);
  const interrupt = cancelOnInterrupt();
  try {
    const result = await dumpGlobals(
      connection,
      o.file,
      { rolesOnly: o.rolesOnly, noRolePasswords: o.noRolePasswords, overwrite: o.yes },
      {
        signal: interrupt.signal,
        onStart: (s) => say(`dumping the ${o.rolesOnly ? 'roles' : 'roles and tablespaces'} of ${s.where} (PostgreSQL ${s.serverVersion.split(' ')[0]}) with ${describeCandidate(s.tool)}`),
      },
    );
    for (const note of result.notes) say(`note: ${note}`);
    if (result.cancelled) {
      say(`cancelled: nothing was written to ${o.file}`);
      return EXIT_CANCELLED;
    }
    if (!result.ok) {
      for (const e of result.errors) say(`error: ${e}`);
      say(`pg_dumpall failed: nothing was written to ${o.file}`);
      return EXIT_DUMP_FAILED;
    }
    // Read back: the script is what Restore Roles Only reads.
    const script = await readClusterDump(result.path);
    say(`wrote ${result.path}: ${plural(script.roles.length, 'role')}, ${plural(script.tablespaces.length, 'tablespace')} (${formatBytes(result.bytes)}) in ${(result.durationMs / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    // Cancelled before anything started (while the tools were asked for their versions).
    if (!(err instanceof CancelledError)) throw err;
    say(`cancelled: nothing was written to ${o.file}`);
    return EXIT_CANCELLED;
  } finally {
    interrupt.dispose();
  }
}
