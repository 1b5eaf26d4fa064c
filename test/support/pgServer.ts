/**
 * A throwaway PostgreSQL server for integration tests: its own temporary data directory,
 * 127.0.0.1 on a free port, trust authentication, durability switched off for speed.
 *
 * PostgreSQL refuses to run as root, so when the tests run as root the server programs
 * (initdb, pg_ctl) run as an unprivileged user: `postgres` when it exists, else `nobody`.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, type QueryResult } from 'pg';

/** Where a server listens: enough for any client. */
export interface ServerAddress {
  host: string;
  port: number;
  user: string;
}

export interface PgServer extends ServerAddress {
  host: '127.0.0.1';
  user: 'postgres';
  /** The directory of initdb / pg_ctl / postgres; its client tools (psql, pg_dump, …) match the server. */
  binDir: string;
  /** Server version, e.g. `15.14`. */
  version: string;
  /** `PGHOST`, `PGPORT`, `PGUSER` (and nothing else) for client programs. */
  env: Record<string, string>;
  dataDir: string;
  /** Stops the server (immediate mode) and removes its temporary directory. Idempotent. */
  stop(): Promise<void>;
  /** The same, synchronously: for `process.on('exit')` and signal handlers. */
  stopSync(): void;
}

export interface StartOptions {
  /** Server binaries to use; default: `PGDX_PG_BIN`, else the newest `/usr/lib/postgresql/<major>/bin`. */
  binDir?: string;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
}

const SERVER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres'];
const DEBIAN_ROOT = '/usr/lib/postgresql';

const BASE_SETTINGS: Record<string, string> = {
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  max_locks_per_transaction: '1024',
  max_connections: '50',
};

function hasServerPrograms(dir: string): boolean {
  return SERVER_PROGRAMS.every((name) => {
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The server binaries to use when the caller names none. Throws one line when there are none. */
export function findServerBinDir(): string {
  const override = process.env.PGDX_PG_BIN;
  if (override) {
    if (!hasServerPrograms(override)) throw new Error(`PGDX_PG_BIN=${override} lacks one of ${SERVER_PROGRAMS.join(', ')}`);
    return override;
  }
  let majors: string[] = [];
  try {
    majors = fs.readdirSync(DEBIAN_ROOT).filter((d) => /^\d+$/.test(d));
  } catch {
    // no PostgreSQL installed at all
  }
  majors.sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const dir = path.join(DEBIAN_ROOT, major, 'bin');
    if (hasServerPrograms(dir)) return dir;
  }
  throw new Error(`no PostgreSQL server binaries (initdb, pg_ctl, postgres) in ${DEBIAN_ROOT}/<major>/bin: install Debian's postgresql package (or set PGDX_PG_BIN)`);
}

interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

/** Who runs the server programs: null means "this process's user". */
function serverUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { user, uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run the PostgreSQL server as');
}

/** The command line for a server program, wrapped in `runuser` when it must not run as root. */
function command(runAs: RunAs | null, program: string, args: string[]): [string, string[]] {
  return runAs ? ['runuser', ['-u', runAs.user, '--', program, ...args]] : [program, args];
}

const serverProgramEnv = (): NodeJS.ProcessEnv => ({ ...withoutPgVars(process.env), LC_ALL: 'C', LC_MESSAGES: 'C' });

/**
 * The environment without the caller's `PG*` variables, so nothing leaks into a test's
 * connection. The harness's own `PGDX_*` settings stay.
 */
export function withoutPgVars(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!/^PG/.test(key) || key.startsWith('PGDX_')) out[key] = value;
  return out;
}

/** Runs a program to completion; a failure becomes one line naming the program and its last message. */
function run(file: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  const program = path.basename(file === 'runuser' ? (args[args.indexOf('--') + 1] ?? file) : file);
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const detail = `${stdout}\n${stderr}`.split('\n').filter((l) => l.trim()).pop() ?? err.message;
      reject(new Error(`${program} failed: ${detail}`));
    });
  });
}

/** A TCP port on 127.0.0.1 that nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function chownTree(dir: string, uid: number, gid: number): void {
  fs.chownSync(dir, uid, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, uid, gid);
    else fs.chownSync(p, uid, gid);
  }
}

function lastLogLine(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.trim());
    return lines.filter((l) => /FATAL|ERROR|PANIC/.test(l)).pop() ?? lines.pop() ?? '';
  } catch {
    return '';
  }
}

/** Every server started in this process and not yet stopped, including ones still starting. */
const live = new Set<Pick<PgServer, 'stop' | 'stopSync'>>();

/** Stops every server this process started: for the harness's `finally`. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...live].map((s) => s.stop()));
}

/** The same, synchronously: for `process.on('exit')` and signal handlers. */
export function stopAllServersSync(): void {
  for (const s of [...live]) s.stopSync();
}

export async function startServer(options: StartOptions = {}): Promise<PgServer> {
  const binDir = path.resolve(options.binDir ?? findServerBinDir());
  if (!hasServerPrograms(binDir)) throw new Error(`${binDir} lacks one of ${SERVER_PROGRAMS.join(', ')}`);
  const runAs = serverUser();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-pg-'));
  const dataDir = path.join(tmp, 'data');
  const socketDir = path.join(tmp, 'sock');
  const logFile = path.join(tmp, 'server.log');
  fs.mkdirSync(socketDir);
  if (runAs) chownTree(tmp, runAs.uid, runAs.gid);
  const env = serverProgramEnv();
  const pgCtl = path.join(binDir, 'pg_ctl');

  let started = false;
  let stopped = false;
  const stopArgs = ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-s'];
  const removeTmp = () => fs.rmSync(tmp, { recursive: true, force: true });
  let stopping: Promise<void> | undefined;

  const stopSync = (): void => {
    if (stopped) return;
    stopped = true;
    if (started) {
      const [file, args] = command(runAs, pgCtl, stopArgs);
      spawnSync(file, args, { cwd: tmp, env, stdio: 'ignore', timeout: 60_000 });
    }
    removeTmp();
    live.delete(handle);
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (stopped) return;
      if (started) {
        const [file, args] = command(runAs, pgCtl, stopArgs);
        await run(file, args, { cwd: tmp, env, timeoutMs: 60_000 }).catch(() => undefined);
      }
      stopped = true;
      removeTmp();
      live.delete(handle);
    })();
    return stopping;
  };
  const handle = { stop, stopSync };
  live.add(handle);

  try {
    const [initFile, initArgs] = command(runAs, path.join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    await run(initFile, initArgs, { cwd: tmp, env, timeoutMs: 120_000 });

    const settings = { ...BASE_SETTINGS, ...options.settings };
    // A port picked now may be taken before the server binds it: try a few.
    let port = 0;
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      port = await freePort();
      const serverArgs = [
        '-c', 'listen_addresses=127.0.0.1',
        '-c', `port=${port}`,
        '-c', `unix_socket_directories=${socketDir}`,
        ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
      ];
      const [ctlFile, ctlArgs] = command(runAs, pgCtl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-s', '-o', serverArgs.map(shellQuote).join(' ')]);
      try {
        // Marked as started first: if pg_ctl gives up while the server is still coming up, stop() must still run.
        started = true;
        await run(ctlFile, ctlArgs, { cwd: tmp, env, timeoutMs: 90_000 });
      } catch (err) {
        lastError = new Error(`PostgreSQL server did not start: ${lastLogLine(logFile) || (err as Error).message}`);
        const [stopFile, args] = command(runAs, pgCtl, stopArgs);
        await run(stopFile, args, { cwd: tmp, env, timeoutMs: 60_000 }).catch(() => undefined);
        started = false;
      }
    }
    if (!started) throw lastError;

    const address: ServerAddress = { host: '127.0.0.1', port, user: 'postgres' };
    const version = String((await query(address, 'postgres', 'show server_version'))[0]?.server_version ?? '').split(' ')[0] ?? '';
    return {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      binDir,
      version,
      env: { PGHOST: '127.0.0.1', PGPORT: String(port), PGUSER: 'postgres' },
      dataDir,
      stop,
      stopSync,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Quotes one word for the shell that pg_ctl hands `-o` to. */
function shellQuote(word: string): string {
  return /^[\w./=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Runs one statement (or a script without parameters) and returns the rows of the last result. */
export async function query<Row extends Record<string, unknown> = Record<string, unknown>>(
  server: ServerAddress,
  db: string,
  sql: string,
  params?: unknown[],
): Promise<Row[]> {
  const client = new Client({ host: server.host, port: server.port, user: server.user, database: db });
  await client.connect();
  try {
    // Several statements give one result each; the rows of the last one are what callers want.
    const result: QueryResult<Row> | QueryResult<Row>[] = await client.query<Row>(sql, params);
    return (Array.isArray(result) ? result[result.length - 1]?.rows : result.rows) ?? [];
  } finally {
    await client.end();
  }
}

/** `CREATE DATABASE` with a quoted name; template0, so it starts empty whatever template1 holds. */
export async function createDatabase(server: ServerAddress, name: string): Promise<void> {
  await query(server, 'postgres', `create database "${name.replace(/"/g, '""')}" template template0`);
}
