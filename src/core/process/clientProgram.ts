/**
 * The one way to run a PostgreSQL client program (pg_restore, psql, pg_dump, pg_dumpall) against a
 * connection: the connection as arguments, its password (when it has one) in a temporary 0600
 * password file that is removed afterwards — never on the command line or in the environment —
 * and the connection's libpq environment. Finding the program is the caller's: which one fits
 * depends on the job (tools/findTools.ts).
 */
import type { ResolvedConnection } from '../connections/resolve';
import { withTemporaryPassfile } from '../connections/pgpass';
import type { ToolCandidate } from '../tools/findTools';
import { run, type RunOptions, type RunResult } from './run';

export interface ClientRunOptions extends Omit<RunOptions, 'env'> {
  /** Variables added after the connection's (e.g. PGAPPNAME). */
  env?: Record<string, string | undefined>;
}

/**
 * Runs `tool` with `args(connectionArgs)`: the caller places the connection's arguments
 * (`--host=… --port=… --username=… --dbname=…`, and `-w`) among its own.
 */
export async function runClientProgram(
  tool: Pick<ToolCandidate, 'path'>,
  connection: ResolvedConnection,
  args: (connectionArgs: string[]) => string[],
  options: ClientRunOptions = {},
): Promise<RunResult> {
  const go = (passfile?: string) => run(tool.path, args(connection.toToolArgs()), { ...options, env: { ...connection.toToolEnv(passfile ? { passfile } : {}), ...options.env } });
  const content = connection.toolPassfileContent();
  return content === undefined ? go() : withTemporaryPassfile(content, go);
}
