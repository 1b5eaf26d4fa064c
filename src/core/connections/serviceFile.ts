/**
 * The connection service file (libpq section "The Connection Service File"): INI-style
 * `[name]` sections of `keyword=value` lines, `#` comments.
 *
 * Where: the per-user file is the `servicefile` parameter, else PGSERVICEFILE, else
 * `~/.pg_service.conf` (`%APPDATA%\postgresql\.pg_service.conf` on Windows). The system-wide
 * file is `pg_service.conf` in PGSYSCONFDIR, else in libpq's compiled-in sysconfdir. A service
 * defined in the per-user file wins; the system file is read only when the per-user file does
 * not define it. A default file that does not exist is skipped; a file named by PGSERVICEFILE
 * (or `servicefile`) must exist.
 *
 * Parsing follows libpq: each line is trimmed at both ends; blank lines and lines starting with
 * `#` are skipped; `[name]` starts a section (anything after the `]` is ignored); inside the
 * wanted section every line must be `keyword=value`, split at the first `=` with nothing else
 * trimmed (so `host = x` is an error, as in psql), the keyword must be a connection keyword and
 * may not be `service`. Lines of other sections are not checked. A keyword repeated in the
 * section keeps its first value.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DumpError } from '../errors';
import { isConnKeyword, type ConnParams } from './conninfo';

/**
 * Compiled-in sysconfdirs of common libpq builds, tried in order when PGSYSCONFDIR is not set:
 * Debian and Ubuntu, the PGDG RPMs, a default source build.
 */
export const DEFAULT_SYSCONF_DIRS: readonly string[] = ['/etc/postgresql-common', '/etc/sysconfig/pgsql', '/usr/local/pgsql/etc'];

export interface ServiceFileOptions {
  /** Environment to read PGSERVICEFILE and PGSYSCONFDIR from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Home directory; default os.homedir(). */
  home?: string;
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** The `servicefile` connection parameter (libpq 18), when given: used instead of PGSERVICEFILE. */
  servicefile?: string;
  /** Sysconfdirs to try when PGSYSCONFDIR is not set; default DEFAULT_SYSCONF_DIRS (none on Windows). */
  sysconfDirs?: readonly string[];
}

export interface ServiceFileLocation {
  path: string;
  kind: 'user' | 'system';
  /** Where the path comes from, for messages: `servicefile`, `PGSERVICEFILE`, `PGSYSCONFDIR`, `default`. */
  from: string;
}

/**
 * libpq's own directory for per-user files: the home directory, or `%APPDATA%\postgresql` on
 * Windows. `.pgpass`/`pgpass.conf`, `.pg_service.conf` and `.postgresql/` live there.
 */
export function userConfigDir(options: { env?: NodeJS.ProcessEnv; home?: string; platform?: NodeJS.Platform }): string {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const home = options.home ?? os.homedir();
  if (platform === 'win32') return path.win32.join(env.APPDATA ?? path.win32.join(home, 'AppData', 'Roaming'), 'postgresql');
  return home;
}

const isFile = (p: string): boolean => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

/** The per-user file, then the system file, that a lookup reads (existing or not). */
export function serviceFileLocations(options: ServiceFileOptions = {}): ServiceFileLocation[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  const out: ServiceFileLocation[] = [];
  if (options.servicefile) out.push({ path: options.servicefile, kind: 'user', from: 'servicefile' });
  else if (env.PGSERVICEFILE) out.push({ path: env.PGSERVICEFILE, kind: 'user', from: 'PGSERVICEFILE' });
  else out.push({ path: join(userConfigDir({ env, home: options.home, platform }), '.pg_service.conf'), kind: 'user', from: 'default' });
  if (env.PGSYSCONFDIR) {
    out.push({ path: join(env.PGSYSCONFDIR, 'pg_service.conf'), kind: 'system', from: 'PGSYSCONFDIR' });
  } else {
    // libpq reads one system file, its own build's; the first of the usual places that has one stands for it.
    const dirs = options.sysconfDirs ?? (platform === 'win32' ? [] : DEFAULT_SYSCONF_DIRS);
    const candidates = dirs.map((d) => join(d, 'pg_service.conf'));
    const found = candidates.find(isFile) ?? candidates[0];
    if (found) out.push({ path: found, kind: 'system', from: 'default' });
  }
  return out;
}

export interface ServiceDefinition {
  name: string;
  /** The file whose section was used. */
  file: string;
  kind: 'user' | 'system';
  params: ConnParams;
}

export interface ServiceEntry {
  name: string;
  file: string;
  kind: 'user' | 'system';
}

/**
 * A service file's text; undefined when it does not exist and may be absent (libpq skips the
 * default per-user file and the system file then, but a file named by PGSERVICEFILE or
 * `servicefile` must exist).
 */
function readText(location: ServiceFileLocation): string | undefined {
  const file = location.path;
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    if (location.from === 'default' || location.kind === 'system') return undefined;
    throw new DumpError('not-found', `service file "${file}" not found (named by ${location.from})`);
  }
  if (!stat.isFile()) throw new DumpError('usage', `service file "${file}" is not a plain file`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DumpError('usage', `service file "${file}" cannot be read (${code})`, { cause: err });
  }
}

/** Name of the section a trimmed line opens, or undefined when it opens none. */
function sectionName(line: string): string | undefined {
  if (!line.startsWith('[')) return undefined;
  const close = line.indexOf(']');
  return close < 0 ? line.slice(1) : line.slice(1, close);
}

/**
 * The parameters of section `service` in a file's text, or undefined when the file has no such
 * section. Throws a one-line DumpError naming the file and line for a bad line in that section.
 */
export function parseServiceSection(text: string, service: string, file: string): ConnParams | undefined {
  const lines = text.split('\n');
  let inSection = false;
  let params: ConnParams | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      if (inSection) break; // the section ended: libpq stops at the next one
      // libpq compares the name and checks that a ']' follows it; what comes after is ignored.
      inSection = line.startsWith(`[${service}]`);
      if (inSection) params = {};
      continue;
    }
    if (!inSection || !params) continue;
    const where = `service file "${file}", line ${i + 1}`;
    const eq = line.indexOf('=');
    if (eq < 0) throw new DumpError('usage', `syntax error in ${where}: expected keyword=value`);
    const keyword = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (keyword === 'service') throw new DumpError('usage', `nested service specifications not supported in ${where}`);
    if (!isConnKeyword(keyword)) {
      const hint = keyword !== keyword.trim() && isConnKeyword(keyword.trim()) ? ` (no spaces are allowed around "=")` : '';
      throw new DumpError('usage', `syntax error in ${where}: unknown keyword "${keyword}"${hint}`);
    }
    if (params[keyword] === undefined) params[keyword] = value;
  }
  return params;
}

/** Every section name in a file's text, in order, without duplicates. */
export function parseServiceNames(text: string): string[] {
  const names: string[] = [];
  for (const raw of text.split('\n')) {
    const name = sectionName(raw.trim());
    if (name !== undefined && name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Looks service `name` up as libpq does: the per-user file first, then the system file.
 * Undefined when neither defines it (the caller says so: resolve.ts throws libpq's error).
 */
export function findService(name: string, options: ServiceFileOptions = {}): ServiceDefinition | undefined {
  for (const location of serviceFileLocations(options)) {
    const text = readText(location);
    if (text === undefined) continue;
    const params = parseServiceSection(text, name, location.path);
    if (params) return { name, file: location.path, kind: location.kind, params };
  }
  return undefined;
}

/**
 * Every service a lookup could find, for a picker: the per-user file's, then the system file's
 * that the per-user file does not also define. Files that do not exist or cannot be read are skipped.
 */
export function listServices(options: ServiceFileOptions = {}): ServiceEntry[] {
  const out: ServiceEntry[] = [];
  const seen = new Set<string>();
  for (const location of serviceFileLocations(options)) {
    let text: string | undefined;
    try {
      text = readText(location);
    } catch {
      continue; // a picker lists what it can read
    }
    if (text === undefined) continue;
    for (const name of parseServiceNames(text)) {
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, file: location.path, kind: location.kind });
    }
  }
  return out;
}
