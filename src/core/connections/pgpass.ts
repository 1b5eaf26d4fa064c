/**
 * The password file (libpq section "The Password File"): `passfile`, else PGPASSFILE, else
 * `~/.pgpass` (`%APPDATA%\postgresql\pgpass.conf` on Windows).
 *
 * Each line is `hostname:port:database:username:password`. A field that is exactly `*`
 * matches anything; `\:` and `\\` stand for `:` and `\` (a backslash takes any next character
 * literally). Lines starting with `#` are comments. The first line whose four fields match
 * gives the password, which ends at the next unescaped `:`. A line with fewer than four `:`
 * separators matches nothing.
 *
 * Matching: the hostname field is compared with the `host` parameter, or with `hostaddr` when
 * no host is given; an empty host, or a Unix-socket connection in the default socket directory,
 * is looked up as `localhost`. The port defaults to 5432.
 *
 * On Unix-like systems the file is ignored when it grants any group or world permission (mode
 * not 0600 or less), or when it is not a plain file; `reason` says why, in libpq's words.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DumpError } from '../errors';
import { userConfigDir } from './serviceFile';

export interface PgpassEntry {
  /** Field values with escapes removed; `*` here is the wildcard only when `wildcard[i]`. */
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
  /** Which of host, port, database, user are the `*` wildcard. */
  wildcard: readonly [boolean, boolean, boolean, boolean];
  /** 1-based line number in the file. */
  line: number;
}

export interface PgpassFile {
  path: string;
  /** `ok`: read; `missing`: no such file (not an error); `ignored`: present but not used, see `reason`. */
  status: 'ok' | 'missing' | 'ignored';
  reason?: string;
  entries: PgpassEntry[];
}

export interface PgpassLocationOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  platform?: NodeJS.Platform;
  /** The `passfile` connection parameter, when given: it wins over PGPASSFILE. */
  passfile?: string;
}

/** Which password file libpq would read. */
export function pgpassPath(options: PgpassLocationOptions = {}): string {
  const env = options.env ?? process.env;
  if (options.passfile) return options.passfile;
  if (env.PGPASSFILE) return env.PGPASSFILE;
  const platform = options.platform ?? process.platform;
  const dir = userConfigDir({ env, home: options.home, platform });
  return platform === 'win32' ? path.win32.join(dir, 'pgpass.conf') : path.posix.join(dir, '.pgpass');
}

/**
 * Splits one line into fields at unescaped `:`. Returns the raw fields (escapes kept), so the
 * caller can tell a bare `*` from `\*`.
 */
function splitRaw(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (ch === '\\' && i + 1 < line.length) {
      current += ch + (line[i + 1] as string);
      i++;
    } else if (ch === ':') {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  fields.push(current);
  return fields;
}

/** Removes escapes: a backslash takes the next character literally (a trailing one stays). */
function unescapeField(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '\\' && i + 1 < raw.length) {
      out += raw[i + 1];
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

/** The entries of a password file's text (comments, blank and too-short lines left out). */
export function parsePgpass(text: string): PgpassEntry[] {
  const entries: PgpassEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '' || line.startsWith('#')) continue;
    const raw = splitRaw(line);
    // Four separators at least: libpq needs a ':' after the user field.
    if (raw.length < 5) continue;
    const [host, port, database, user, password] = raw as [string, string, string, string, string];
    // A field with a trailing lone backslash before ':' cannot occur (the backslash escapes the ':').
    entries.push({
      host: unescapeField(host),
      port: unescapeField(port),
      database: unescapeField(database),
      user: unescapeField(user),
      password: unescapeField(password),
      wildcard: [host === '*', port === '*', database === '*', user === '*'],
      line: i + 1,
    });
  }
  return entries;
}

export interface ReadPgpassOptions {
  /** Default process.platform; the permission rule applies everywhere but on Windows. */
  platform?: NodeJS.Platform;
}

/** Reads and checks a password file. Never throws for a missing or unreadable file: see `status`. */
export function readPgpass(file: string, options: ReadPgpassOptions = {}): PgpassFile {
  const platform = options.platform ?? process.platform;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return { path: file, status: 'missing', entries: [] };
  }
  if (!stat.isFile()) return { path: file, status: 'ignored', reason: `password file "${file}" is not a plain file`, entries: [] };
  if (platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    return {
      path: file,
      status: 'ignored',
      reason: `password file "${file}" has group or world access (mode ${mode}); permissions should be u=rw (0600) or less`,
      entries: [],
    };
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { path: file, status: 'ignored', reason: `password file "${file}" cannot be read (${code})`, entries: [] };
  }
  return { path: file, status: 'ok', entries: parsePgpass(text) };
}

export const DEFAULT_PORT = '5432';

export interface PgpassTarget {
  /** The `host` of this connection attempt ('' or undefined when none). */
  host?: string;
  /** The `hostaddr`, used for matching when `host` is empty. */
  hostaddr?: string;
  port?: string | number;
  dbname: string;
  user: string;
  /** Socket directories that count as "the default one" and so match `localhost`. */
  defaultSocketDirs?: readonly string[];
}

/** The hostname and port a lookup compares with the file, as libpq computes them. */
export function pgpassKey(target: PgpassTarget): { host: string; port: string } {
  let host = target.host ?? '';
  if (host === '') host = target.hostaddr ?? '';
  if (host === '') host = 'localhost';
  else if ((target.defaultSocketDirs ?? []).includes(host)) host = 'localhost';
  const port = target.port === undefined || target.port === '' ? DEFAULT_PORT : String(target.port);
  return { host, port };
}

/**
 * The first entry matching the target, or undefined. Nothing matches an empty database or user
 * name (libpq does not look then).
 */
export function findPgpassEntry(entries: readonly PgpassEntry[], target: PgpassTarget): PgpassEntry | undefined {
  if (!target.dbname || !target.user) return undefined;
  const { host, port } = pgpassKey(target);
  const wanted = [host, port, target.dbname, target.user];
  return entries.find((e) => [e.host, e.port, e.database, e.user].every((value, i) => e.wildcard[i] || value === wanted[i]));
}

/**
 * The password for a target, or undefined. The first matching line decides: when its password
 * is empty there is no password, as in libpq.
 */
export function lookupPassword(file: PgpassFile | readonly PgpassEntry[], target: PgpassTarget): string | undefined {
  const entries = Array.isArray(file) ? (file as readonly PgpassEntry[]) : (file as PgpassFile).entries;
  const entry = findPgpassEntry(entries, target);
  return entry && entry.password !== '' ? entry.password : undefined;
}

export interface PgpassHost {
  host: string;
  /** Ports named for that host, in file order (`*` when any port). */
  ports: string[];
}

/** The distinct host names the file names (not the `*` wildcard), in file order, for a picker. */
export function pgpassHosts(file: PgpassFile | readonly PgpassEntry[]): PgpassHost[] {
  const entries = Array.isArray(file) ? (file as readonly PgpassEntry[]) : (file as PgpassFile).entries;
  const byHost = new Map<string, PgpassHost>();
  for (const e of entries) {
    if (e.wildcard[0]) continue;
    let h = byHost.get(e.host);
    if (!h) byHost.set(e.host, (h = { host: e.host, ports: [] }));
    const port = e.wildcard[1] ? '*' : e.port;
    if (!h.ports.includes(port)) h.ports.push(port);
  }
  return [...byHost.values()];
}

/** A field escaped for a password file line: `\` and `:` get a backslash. */
export function escapePgpassField(value: string): string {
  return value.replace(/[\\:]/g, (ch) => `\\${ch}`);
}

/** One password file line; `'*'` in any of the first four fields is the wildcard. */
export function formatPgpassLine(fields: { host: string; port: string; database: string; user: string; password: string }): string {
  const field = (v: string) => (v === '*' ? '*' : escapePgpassField(v));
  for (const v of Object.values(fields)) if (/[\r\n]/.test(v)) throw new DumpError('usage', 'a password file line cannot hold a line break (in a host, database, user name or password)');
  return `${field(fields.host)}:${field(fields.port)}:${field(fields.database)}:${field(fields.user)}:${escapePgpassField(fields.password)}`;
}

export interface TemporaryPassfile {
  path: string;
  /** Deletes the file and its directory. Safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Writes `content` to a new file, mode 0600, in a new private directory under the system's
 * temporary directory, for a child program's PGPASSFILE. The caller removes it when the child
 * has exited.
 */
export async function writeTemporaryPassfile(content: string, tmpDir: string = os.tmpdir()): Promise<TemporaryPassfile> {
  const dir = await fs.promises.mkdtemp(path.join(tmpDir, 'pgdx-pass-'));
  const file = path.join(dir, 'pgpass');
  try {
    await fs.promises.writeFile(file, content, { mode: 0o600, flag: 'wx' });
    await fs.promises.chmod(file, 0o600); // the umask may not have cleared every bit
  } catch (err) {
    await fs.promises.rm(dir, { recursive: true, force: true });
    throw err;
  }
  let removed = false;
  return {
    path: file,
    remove: async () => {
      if (removed) return;
      removed = true;
      await fs.promises.rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `fn` with a temporary password file holding `content` (see writeTemporaryPassfile) and
 * removes the file when `fn` settles, however it settles.
 */
export async function withTemporaryPassfile<T>(content: string, fn: (passfile: string) => Promise<T> | T): Promise<T> {
  const temp = await writeTemporaryPassfile(content);
  try {
    return await fn(temp.path);
  } finally {
    await temp.remove();
  }
}
