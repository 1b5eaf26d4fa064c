/**
 * A cluster's globals (roles, their memberships and settings, tablespaces) through
 * `pg_dumpall --globals-only` (or `--roles-only`), with the pg_dumpall of the server's major or
 * newer. The script holds password hashes: it is written 0600, under a temporary name beside the
 * target, and renamed only when pg_dumpall succeeded.
 *
 * pg_dumpall reads role passwords from pg_authid, which only superusers may read; on managed
 * services and as an ordinary user it fails with `permission denied for table pg_authid`. Then
 * it runs again with `--no-role-passwords` (roles without their passwords), and the result says so.
 */
import * as fs from 'node:fs/promises';
import { looksLikeConnectionString } from '../connections/conninfo';
import type { ResolvedConnection } from '../connections/resolve';
import { oneLine } from '../errors';
import { runClientProgram } from '../process/clientProgram';
import { CancelledError, RunError } from '../process/run';
import { openServerSession, serverMajor } from '../server/session';
import { findToolForServer, type ToolCandidate } from '../tools/findTools';
import { checkTarget, moveIntoPlace, removeQuietly, temporaryNameBeside } from './atomicOutput';

export interface GlobalsOptions {
  /** `--roles-only`: no tablespaces. */
  rolesOnly?: boolean;
  /** `--no-role-passwords` from the start (else only when pg_authid may not be read). */
  noRolePasswords?: boolean;
  /** Replace an existing file (only once the new one is complete). */
  overwrite?: boolean;
}

export interface GlobalsHooks {
  signal?: AbortSignal;
  /** Each line pg_dumpall prints on stderr (for the log). */
  onOutput?: (line: string) => void;
  /** A configured pg_dumpall (the executable or its folder). */
  toolPath?: string;
  /** The setting that configures it, named when none is new enough. */
  setting?: string;
  /** Where to look besides the configured path (tests: PATH only). */
  standardLocations?: boolean;
  /** Once the server and the tool are known, before pg_dumpall starts (what the CLI prints first). */
  onStart?: (start: { where: string; serverVersion: string; tool: ToolCandidate }) => void;
}

export interface GlobalsResult {
  ok: boolean;
  cancelled: boolean;
  /** Where the script is (only when ok: otherwise nothing was left there). */
  path: string;
  command: string;
  tool: ToolCandidate;
  /** One line each: what pg_dumpall said went wrong. */
  errors: string[];
  /** One line each, e.g. that passwords were left out because pg_authid may not be read. */
  notes: string[];
  /** Whether the script was made with `--no-role-passwords` (asked for, or fallen back to). */
  noRolePasswords: boolean;
  bytes: number;
  durationMs: number;
}

/** Whether pg_dumpall failed because this user may not read pg_authid (not a superuser; a managed service). */
export function deniedPgAuthid(stderrLines: readonly string[]): boolean {
  return stderrLines.some((line) => /permission denied/i.test(line) && /\bpg_authid\b/.test(line));
}

export const NO_PASSWORDS_NOTE = 'this user may not read pg_authid (it is not a superuser, or the server is a managed service): the roles were dumped with --no-role-passwords, without their passwords; set them after restoring';

/** pg_dumpall's arguments after the connection's: which globals, written to `file`. */
export function globalsArgs(connectionArgs: string[], dbname: string, file: string, o: { rolesOnly: boolean; noRolePasswords: boolean }): string[] {
  // pg_dumpall's --dbname takes only a connection string, whose database name it ignores: a bare
  // name is dropped, and -l (--database) makes it connect where the user said.
  const connection = connectionArgs.filter((a) => !a.startsWith('--dbname=') || looksLikeConnectionString(a.slice('--dbname='.length)));
  return [...connection, `--database=${dbname}`, o.rolesOnly ? '--roles-only' : '--globals-only', ...(o.noRolePasswords ? ['--no-role-passwords'] : []), `--file=${file}`];
}

/** The lines of pg_dumpall's stderr that say what went wrong, else the run's own message. */
export function errorLines(err: unknown): string[] {
  const tail = err instanceof RunError ? err.stderrTail : [];
  const said = tail.filter((l) => /^pg_dump(all)?: error: /.test(l)).map((l) => l.replace(/^pg_dump(all)?: error: /, ''));
  return said.length > 0 ? said : [oneLine(err)];
}

/**
 * Connects to learn the server's version, finds a pg_dumpall for it (one line before anything
 * starts when none is new enough) and writes the globals to `file`. Throws (a one-line DumpError)
 * before starting: no connection, no suitable pg_dumpall, `file` exists and may not be replaced.
 */
export async function dumpGlobals(connection: ResolvedConnection, file: string, options: GlobalsOptions = {}, hooks: GlobalsHooks = {}): Promise<GlobalsResult> {
  await checkTarget(file, 'file', options.overwrite ?? false);
  const session = await openServerSession(connection, { applicationName: 'pg-dump-explorer dump' });
  const server = { major: serverMajor(session.serverVersionNum), version: session.serverVersion.split(' ')[0] ?? session.serverVersion };
  const where = session.where.replace(/\/[^/]*$/, '');
  await session.close();
  const tool = await findToolForServer('pg_dumpall', server, {
    ...(hooks.toolPath ? { configuredPath: hooks.toolPath } : {}),
    ...(hooks.setting ? { setting: hooks.setting } : {}),
    ...(hooks.standardLocations === false ? { standardLocations: false } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  hooks.onStart?.({ where, serverVersion: session.serverVersion, tool });
  return writeGlobals(tool, connection, file, options, hooks);
}

/**
 * Runs `tool` (a pg_dumpall found for the server) into a temporary file beside `file` and renames
 * it there on success; falls back to `--no-role-passwords` once when pg_authid may not be read.
 */
export async function writeGlobals(tool: ToolCandidate, connection: ResolvedConnection, file: string, options: GlobalsOptions, hooks: GlobalsHooks): Promise<GlobalsResult> {
  const started = Date.now();
  const notes: string[] = [];
  let noRolePasswords = options.noRolePasswords ?? false;
  const temporary = temporaryNameBeside(file);
  let command = '';
  const result = (fields: Pick<GlobalsResult, 'ok' | 'cancelled' | 'errors'> & { bytes?: number }): GlobalsResult => ({ bytes: 0, path: file, command, tool, notes, noRolePasswords, durationMs: Date.now() - started, ...fields });
  const attempt = async () => {
    const args = (c: string[]) => globalsArgs(c, connection.dbname, temporary, { rolesOnly: options.rolesOnly ?? false, noRolePasswords });
    try {
      command = (await runClientProgram(tool, connection, args, { ...(hooks.signal ? { signal: hooks.signal } : {}), onStderrLine: (line) => hooks.onOutput?.(line) })).command;
    } catch (err) {
      if (err instanceof RunError || err instanceof CancelledError) command = err.command;
      throw err;
    }
  };
  try {
    // Created 0600 before pg_dumpall opens it (and truncates it on a second attempt): the script holds password hashes.
    await fs.writeFile(temporary, '', { mode: 0o600 });
    try {
      await attempt();
    } catch (err) {
      if (!(err instanceof RunError) || noRolePasswords || !deniedPgAuthid(err.stderrTail)) throw err;
      noRolePasswords = true;
      notes.push(NO_PASSWORDS_NOTE);
      await attempt();
    }
    const { size } = await fs.stat(temporary);
    await moveIntoPlace(temporary, file, options.overwrite ?? false);
    return result({ ok: true, cancelled: false, errors: [], bytes: size });
  } catch (err) {
    await removeQuietly(temporary);
    if (err instanceof CancelledError) return result({ ok: false, cancelled: true, errors: [] });
    if (err instanceof RunError) return result({ ok: false, cancelled: false, errors: errorLines(err) });
    throw err;
  }
}
