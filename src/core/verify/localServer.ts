/**
 * A throwaway PostgreSQL server on this machine, for a restore drill with nothing configured:
 * `initdb` into a private temporary folder, a free loopback port, the unix socket in that
 * folder, stopped and removed afterwards (also after a failure, a cancel or Ctrl-C).
 *
 * The server binaries (initdb, pg_ctl, postgres) come from a configured folder, PATH, or the
 * usual install locations (Debian's /usr/lib/postgresql/<major>/bin, Homebrew, Postgres.app);
 * the newest major wins. PostgreSQL refuses to run as root, so as root the server programs run
 * as an unprivileged user (`postgres`, else `nobody`) through runuser.
 *
 * Only its owner reaches it: local connections are trusted, but the socket lives in a 0700
 * folder, and TCP on 127.0.0.1 asks for a random password nobody else knows.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConnection, type ResolvedConnection } from '../connections/resolve';
import { DumpError } from '../errors';
import { CancelledError, run } from '../process/run';
import { parseToolVersion, searchDirectories, type ToolVersion } from '../tools/findTools';

const SERVER_PROGRAMS = ['initdb', 'pg_ctl', 'postgres'] as const;
/** The superuser of the throwaway cluster. */
const SUPERUSER = 'postgres';

export interface ServerBinaries {
  binDir: string;
  /** From `postgres --version`. */
  version: ToolVersion;
}

export interface FindServerOptions {
  /** A configured folder of server binaries; tried first. */
  configuredDir?: string;
  env?: NodeJS.ProcessEnv;
  /** false: the configured folder and PATH only. Default true. */
  standardLocations?: boolean;
  signal?: AbortSignal;
}

function hasServerPrograms(dir: string): boolean {
  const exe = (name: string) => (process.platform === 'win32' ? `${name}.exe` : name);
  return SERVER_PROGRAMS.every((name) => {
    try {
      fs.accessSync(path.join(dir, exe(name)), fs.constants.X_OK);
      return fs.statSync(path.join(dir, exe(name))).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * Every folder holding initdb, pg_ctl and postgres, with the server's version, newest first (the
 * configured folder first among equals). Folders whose `postgres --version` fails are left out.
 */
export async function findServerBinaries(options: FindServerOptions = {}): Promise<ServerBinaries[]> {
  const dirs: string[] = [];
  if (options.configuredDir) dirs.push(path.resolve(options.configuredDir));
  for (const { dir } of searchDirectories({ ...(options.env ? { env: options.env } : {}), ...(options.standardLocations === false ? { standardLocations: false } : {}) })) dirs.push(dir);
  const seen = new Set<string>();
  const found: ServerBinaries[] = [];
  for (const dir of dirs) {
    if (!hasServerPrograms(dir)) continue;
    let real: string;
    try {
      real = fs.realpathSync(path.join(dir, 'postgres'));
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const r = await run(path.join(dir, 'postgres'), ['--version'], { reject: false, killGraceMs: 1000, ...(options.signal ? { signal: options.signal } : {}) }).catch((err: unknown) => {
      if (err instanceof CancelledError) throw err;
      return undefined;
    });
    const version = r ? parseToolVersion(r.stdout) : null;
    if (version) found.push({ binDir: dir, version });
  }
  const rank = (v: ToolVersion) => v.major * 1e6 + v.minor * 1e3 + v.patch;
  return found.map((b, i) => ({ b, i })).sort((x, y) => rank(y.b.version) - rank(x.b.version) || x.i - y.i).map(({ b }) => b);
}

/** The one line said when no server binaries are installed. */
export const NO_SERVER_BINARIES =
  'no PostgreSQL server programs (initdb, pg_ctl, postgres) found on PATH or in the usual install locations to start a throwaway server: install the PostgreSQL server package, or verify on a server you name (--server CONNINFO_OR_URI)';

export interface LocalServer {
  binDir: string;
  version: ToolVersion;
  port: number;
  /** The private folder (data, socket, log); removed by stop(). */
  folder: string;
  /** The superuser's connection to database `postgres`, through the unix socket. */
  connection: ResolvedConnection;
  /** Who runs the server (`postgres` when started as root), or undefined for this process's user. */
  runAs: string | undefined;
  /** Stops the server (fast, then immediate) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

/** Who runs the server programs: undefined means "this process's user" (not root). */
async function serverUser(): Promise<RunAs | undefined> {
  if (process.platform === 'win32' || process.getuid?.() !== 0) return undefined;
  for (const user of ['postgres', 'nobody']) {
    const uid = await run('id', ['-u', user], { reject: false });
    const gid = await run('id', ['-g', user], { reject: false });
    if (uid.exitCode === 0 && gid.exitCode === 0) {
      const u = Number(uid.stdout.trim());
      const g = Number(gid.stdout.trim());
      if (Number.isInteger(u) && Number.isInteger(g) && u !== 0) return { user, uid: u, gid: g };
    }
  }
  throw new DumpError('unsupported', 'PostgreSQL does not run as root, and this machine has neither a postgres nor a nobody user to run the throwaway server as: verify on a server you name (--server)');
}

function command(runAs: RunAs | undefined, program: string, args: string[]): [string, string[]] {
  return runAs ? ['runuser', ['-u', runAs.user, '--', program, ...args]] : [program, args];
}

/** A TCP port on 127.0.0.1 that nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });
}

function lastLogLine(logFile: string): string {
  try {
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.trim());
    return lines.filter((l) => /FATAL|ERROR|PANIC/.test(l)).pop() ?? lines.pop() ?? '';
  } catch {
    return '';
  }
}

/** Servers of this process not stopped yet: stopped synchronously if the process exits first. */
const live = new Set<() => void>();
let exitHook = false;
function onExitStopAll(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const stop of [...live]) stop();
  });
}

const SETTINGS: Record<string, string> = {
  // A drill restores and reads; what a crash would lose is thrown away anyway.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  listen_addresses: '127.0.0.1',
  max_connections: '40',
  max_locks_per_transaction: '1024',
  log_min_messages: 'warning',
};

export interface StartLocalServerOptions {
  signal?: AbortSignal;
  /** Where the private folder goes; default the system's temporary folder. */
  tmpDir?: string;
}

/**
 * Starts a throwaway server from `binaries`. Throws one line when it cannot; whatever was made
 * on the way is removed first.
 */
export async function startLocalServer(binaries: ServerBinaries, options: StartLocalServerOptions = {}): Promise<LocalServer> {
  const { binDir, version } = binaries;
  const runAs = await serverUser();
  const folder = await fs.promises.mkdtemp(path.join(options.tmpDir ?? os.tmpdir(), 'pgdx-verify-'));
  const dataDir = path.join(folder, 'data');
  const socketDir = path.join(folder, 'socket');
  const logFile = path.join(folder, 'server.log');
  const pwFile = path.join(folder, 'pw');
  const password = randomBytes(24).toString('base64url');
  const pgCtl = path.join(binDir, 'pg_ctl');
  const env = { LC_ALL: 'C', LC_MESSAGES: 'C', PATH: process.env.PATH ?? '/usr/bin:/bin' };
  let started = false;
  let stopping: Promise<void> | undefined;

  const stopArgs = (mode: 'fast' | 'immediate') => ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '30', '-s'];
  const stopSync = (): void => {
    live.delete(stopSync);
    if (started) {
      const [file, args] = command(runAs, pgCtl, stopArgs('immediate'));
      spawnSync(file, args, { cwd: folder, env, stdio: 'ignore', timeout: 30_000 });
    }
    fs.rmSync(folder, { recursive: true, force: true });
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      live.delete(stopSync);
      if (started) {
        const [file, args] = command(runAs, pgCtl, stopArgs('fast'));
        const r = await run(file, args, { cwd: folder, env, reject: false, killGraceMs: 2000 }).catch(() => undefined);
        if (!r || r.exitCode !== 0) {
          const [f2, a2] = command(runAs, pgCtl, stopArgs('immediate'));
          await run(f2, a2, { cwd: folder, env, reject: false, killGraceMs: 2000 }).catch(() => undefined);
        }
        started = false;
      }
      await fs.promises.rm(folder, { recursive: true, force: true });
    })();
    return stopping;
  };
  onExitStopAll();
  live.add(stopSync);

  const step = async (what: string, file: string, args: string[]) => {
    const r = await run(file, args, { cwd: folder, env, reject: false, killGraceMs: 2000, ...(options.signal ? { signal: options.signal } : {}) });
    if (r.exitCode !== 0) {
      const said = r.stderrTail.filter((l) => l.trim()).at(-1) ?? r.stdout.split('\n').filter((l) => l.trim()).at(-1) ?? `exit ${r.exitCode}`;
      throw new DumpError('unsupported', `${what} failed: ${lastLogLine(logFile) || said}`);
    }
  };

  try {
    await fs.promises.mkdir(socketDir, { mode: 0o700 });
    await fs.promises.writeFile(pwFile, `${password}\n`, { mode: 0o600 });
    await fs.promises.chmod(folder, 0o700);
    if (runAs) {
      for (const p of [folder, socketDir, pwFile]) await fs.promises.chown(p, runAs.uid, runAs.gid);
    }
    const [initFile, initArgs] = command(runAs, path.join(binDir, 'initdb'), [
      '-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwFile}`, '--auth-local=trust', '--auth-host=scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C', '--no-instructions',
    ]);
    await step(`initdb ${version.major}`, initFile, version.major >= 14 ? initArgs : initArgs.filter((a) => a !== '--no-instructions'));
    await fs.promises.rm(pwFile, { force: true });

    // The socket in the private folder when it can be (only its owner reaches it); on Windows, or
    // where the folder's path is too long for a socket's (about 100 bytes), TCP with the password.
    const useSocket = process.platform !== 'win32' && Buffer.byteLength(path.join(socketDir, '.s.PGSQL.65535.lock')) <= 100;
    // A port free now may be taken before the server binds it: a few tries.
    let port = 0;
    let lastError: unknown;
    for (let attempt = 0; attempt < 3 && !started; attempt++) {
      port = await freePort();
      const settings = { ...SETTINGS, port: String(port), unix_socket_directories: useSocket ? socketDir : '' };
      const serverArgs = Object.entries(settings).map(([k, v]) => `-c ${k}=${shellQuote(v)}`).join(' ');
      const [ctlFile, ctlArgs] = command(runAs, pgCtl, ['start', '-D', dataDir, '-l', logFile, '-w', '-t', '60', '-s', '-o', serverArgs]);
      // Marked first: if pg_ctl gives up while the server still comes up, stop() must still run.
      started = true;
      try {
        await step(`starting the PostgreSQL ${version.major} server`, ctlFile, ctlArgs);
      } catch (err) {
        lastError = err;
        if (options.signal?.aborted) throw err;
        const [f, a] = command(runAs, pgCtl, stopArgs('immediate'));
        await run(f, a, { cwd: folder, env, reject: false }).catch(() => undefined);
        started = false;
      }
    }
    if (!started) throw lastError;
    const connection = resolveConnection(
      useSocket ? { host: socketDir, port, user: SUPERUSER, dbname: 'postgres', sslmode: 'disable' } : { host: '127.0.0.1', port, user: SUPERUSER, dbname: 'postgres', password, sslmode: 'disable' },
      { env: {}, home: folder },
    );
    return { binDir, version, port, folder, connection, runAs: runAs?.user, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Quotes one value for the shell that pg_ctl hands `-o` to. */
function shellQuote(word: string): string {
  return /^[\w./=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
