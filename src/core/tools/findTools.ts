/**
 * Which pg_restore / psql / pg_dump to run.
 *
 * Candidates come from a configured path, PATH, and the places PostgreSQL installs put its
 * binaries (Debian/Ubuntu `/usr/lib/postgresql/<major>/bin`, Homebrew, Postgres.app, Windows
 * `Program Files\PostgreSQL\<major>\bin`). Each is asked for its version (`--version`), the same
 * file reached twice (symlinks, `latest` links) counts once, and the newest is preferred.
 *
 * A pg_restore reads archives up to its own format version only and fails on newer ones
 * ("unsupported version (1.16) in file header"), so an archive is never handed to one that
 * cannot read it: `findPgRestoreFor` picks among those that can, or throws one line saying
 * which major is needed and what was found.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DumpError } from '../errors';
import type { ArchiveVersion } from '../model/types';
import { run } from '../process/run';

export type PgToolName = 'pg_restore' | 'psql' | 'pg_dump' | 'pg_dumpall';

export interface ToolVersion {
  /** 15 for 15.18; 9 for 9.6.24 (before 10 a major had two parts: minor is then 6). */
  major: number;
  minor: number;
  /** Third number of a pre-10 version (9.6.24 → 24); 0 otherwise. */
  patch: number;
  /** What `--version` printed, trimmed: `pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
  text: string;
}

export type CandidateSource = 'configured' | 'PATH' | 'debian' | 'homebrew' | 'postgres.app' | 'windows';

export interface ToolCandidate {
  tool: PgToolName;
  /** The path as found (what gets run). */
  path: string;
  /** The file it resolves to, symlinks followed: what duplicates are recognised by. */
  realPath: string;
  source: CandidateSource;
  /** null when `--version` failed or printed something unexpected (see `problem`). */
  version: ToolVersion | null;
  problem?: string;
}

export interface FindToolOptions {
  /** A user setting: the executable itself, or the directory holding it. Tried first. */
  configuredPath?: string;
  /** For PATH and, on Windows, the Program Files variables. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: process.platform. Decides which install locations are looked at. */
  platform?: NodeJS.Platform;
  /** false: only the configured path and PATH (tests). Default true. */
  standardLocations?: boolean;
  signal?: AbortSignal;
}

/**
 * Parses `--version` output: `pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`,
 * `psql (PostgreSQL) 9.6.24`, `pg_dump (PostgreSQL) 18beta1`. null when it is not that shape.
 */
export function parseToolVersion(text: string): ToolVersion | null {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const m = /^\S+ \(PostgreSQL\) (\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(line);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), text: line };
}

/** `15.18`, `9.6.24`, `18.0`. */
export function formatToolVersion(v: ToolVersion): string {
  return v.major < 10 ? `${v.major}.${v.minor}.${v.patch}` : `${v.major}.${v.minor}`;
}

/** The highest archive minor version (1.x) any released pg_restore knows. */
const NEWEST_KNOWN_ARCHIVE_MINOR = 16;

/**
 * The lowest pg_restore major that reads an archive of this format version (pg_restore reads
 * every version up to its own `K_VERS_MAX`):
 * - 1.16 (BLOB METADATA, relkind): PostgreSQL 17;
 * - 1.15 (compression algorithm in the header): 16;
 * - 1.14 (table access method): 12;
 * - 1.13 (search_path change): 11. The format came with the February 2018 security releases,
 *   so some 9.x/10.x minors may read it too; which ones is not pinned down, so 11 is asked for;
 * - 1.12 and older: 9 (1.12 came with 9.0; no older pg_restore is worth supporting).
 * Throws for a version newer than any known pg_restore reads.
 */
export function minimumMajorFor(version: ArchiveVersion): number {
  if (version.major !== 1 || version.minor > NEWEST_KNOWN_ARCHIVE_MINOR) {
    throw new DumpError('unsupported-version', `archive format ${version.major}.${version.minor} is newer than any pg_restore this version of the extension knows (the newest reads 1.${NEWEST_KNOWN_ARCHIVE_MINOR})`);
  }
  if (version.minor >= 16) return 17;
  if (version.minor === 15) return 16;
  if (version.minor === 14) return 12;
  if (version.minor === 13) return 11;
  return 9;
}

/** Whether a pg_restore of this version reads an archive of that format version. */
export function canRead(tool: ToolVersion, archive: ArchiveVersion): boolean {
  return tool.major >= minimumMajorFor(archive);
}

function exeName(tool: PgToolName, platform: NodeJS.Platform): string {
  return platform === 'win32' ? `${tool}.exe` : tool;
}

/** Subdirectories of `parent` whose names pass `keep`, newest-looking first (by the number in them). */
function subdirs(parent: string, keep: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return [];
  }
  const num = (n: string) => Number(/(\d+(?:\.\d+)?)/.exec(n)?.[1] ?? -1);
  return names
    .filter(keep)
    .sort((a, b) => num(b) - num(a) || a.localeCompare(b))
    .map((n) => path.join(parent, n));
}

/** Directories to look in, in order of preference when versions tie. */
export function searchDirectories(options: FindToolOptions = {}): { dir: string; source: CandidateSource }[] {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const out: { dir: string; source: CandidateSource }[] = [];
  const pathVar = env.PATH ?? env.Path ?? '';
  const delimiter = platform === 'win32' ? ';' : ':';
  const isAbsolute = platform === 'win32' ? path.win32.isAbsolute : path.posix.isAbsolute;
  // Relative PATH entries ("", ".") would mean "wherever the process happens to be": skipped.
  for (const dir of pathVar.split(delimiter)) if (dir.trim() && isAbsolute(dir.trim())) out.push({ dir: dir.trim(), source: 'PATH' });
  if (options.standardLocations === false) return out;

  if (platform === 'win32') {
    const roots = [env.ProgramFiles, env.ProgramW6432, env['ProgramFiles(x86)']].filter((r): r is string => !!r);
    for (const root of new Set(roots)) {
      for (const dir of subdirs(path.win32.join(root, 'PostgreSQL'), (n) => /^\d/.test(n))) out.push({ dir: path.win32.join(dir, 'bin'), source: 'windows' });
    }
    return out;
  }
  for (const dir of subdirs('/usr/lib/postgresql', (n) => /^\d+$/.test(n))) out.push({ dir: path.join(dir, 'bin'), source: 'debian' });
  for (const prefix of ['/opt/homebrew', '/usr/local']) {
    for (const dir of subdirs(path.join(prefix, 'opt'), (n) => /^postgresql(@\d+)?$/.test(n))) out.push({ dir: path.join(dir, 'bin'), source: 'homebrew' });
  }
  out.push({ dir: '/opt/homebrew/bin', source: 'homebrew' }, { dir: '/usr/local/bin', source: 'homebrew' });
  for (const dir of subdirs('/Applications/Postgres.app/Contents/Versions', () => true)) out.push({ dir: path.join(dir, 'bin'), source: 'postgres.app' });
  return out;
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const VERSION_TIMEOUT_MS = 15_000;

async function readVersion(file: string, signal?: AbortSignal): Promise<{ version: ToolVersion | null; problem?: string }> {
  // A hung program must not hang the search: its own deadline, and the caller's signal.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), VERSION_TIMEOUT_MS);
  const forward = () => deadline.abort();
  signal?.addEventListener('abort', forward, { once: true });
  try {
    const r = await run(file, ['--version'], { signal: deadline.signal, reject: false, killGraceMs: 1000 });
    const version = parseToolVersion(r.stdout);
    if (version) return { version };
    const said = (r.stdout.trim() || r.stderrTail.join(' ').trim()).split('\n')[0] ?? '';
    return { version: null, problem: `--version ${r.exitCode === 0 ? 'printed' : `failed (exit ${r.exitCode})`}${said ? `: ${said}` : ''}` };
  } catch (err) {
    if (signal?.aborted) throw err;
    return { version: null, problem: deadline.signal.aborted ? `--version did not answer within ${VERSION_TIMEOUT_MS / 1000} s` : err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', forward);
  }
}

/**
 * Every distinct `tool` found, with its version, best first: newest version, then the order of
 * `searchDirectories` (the configured path first). A configured path that is missing or not
 * executable is listed with a `problem`.
 */
export async function findToolCandidates(tool: PgToolName, options: FindToolOptions = {}): Promise<ToolCandidate[]> {
  const platform = options.platform ?? process.platform;
  const exe = exeName(tool, platform);
  const found: Omit<ToolCandidate, 'version'>[] = [];
  const failed: ToolCandidate[] = [];
  const seen = new Set<string>();
  const add = (file: string, source: CandidateSource) => {
    if (!isExecutableFile(file)) return false;
    let realPath: string;
    try {
      realPath = fs.realpathSync(file);
    } catch {
      return false;
    }
    if (!seen.has(realPath)) {
      seen.add(realPath);
      found.push({ tool, path: file, realPath, source });
    }
    return true;
  };

  if (options.configuredPath) {
    const configured = path.resolve(options.configuredPath);
    const file = isDirectory(configured) ? path.join(configured, exe) : configured;
    if (!add(file, 'configured')) {
      failed.push({ tool, path: file, realPath: file, source: 'configured', version: null, problem: fs.existsSync(file) ? 'not an executable file' : 'not found' });
    }
  }
  for (const { dir, source } of searchDirectories(options)) add(path.join(dir, exe), source);

  // Debian's pg_wrapper only ever runs one of the binaries under /usr/lib/postgresql: when those
  // are candidates already, asking it too (a Perl start-up) tells nothing new.
  const isWrapper = (c: { realPath: string }) => path.basename(c.realPath) === 'pg_wrapper';
  const probed = found.some((c) => c.source === 'debian') ? found.filter((c) => c.source === 'configured' || !isWrapper(c)) : found;
  const candidates: ToolCandidate[] = await Promise.all(probed.map(async (c) => ({ ...c, ...(await readVersion(c.path, options.signal)) })));
  const rank = (v: ToolVersion | null) => (v ? v.major * 1e6 + v.minor * 1e3 + v.patch : -1);
  // Debian's /usr/bin/pg_restore is postgresql-common's pg_wrapper, which picks a version per
  // call (it may depend on PG* variables); on a tie the binary it would pick is the safer choice.
  const wrapper = (c: ToolCandidate) => (isWrapper(c) ? 1 : 0);
  const ordered = candidates
    .map((c, i) => ({ c, i }))
    .sort((a, b) => rank(b.c.version) - rank(a.c.version) || wrapper(a.c) - wrapper(b.c) || a.i - b.i)
    .map(({ c }) => c);
  return [...ordered, ...failed];
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** `pg_restore 15.18 at /usr/lib/postgresql/15/bin/pg_restore` */
export function describeCandidate(c: ToolCandidate): string {
  return c.version ? `${c.tool} ${formatToolVersion(c.version)} at ${c.path}` : `${c.path} (${c.problem ?? 'version unknown'})`;
}

function notFound(tool: PgToolName, options: FindToolOptions, rejected: ToolCandidate[]): string {
  if (rejected.length > 0) return rejected.map(describeCandidate).join(', ');
  return `no ${tool} found on PATH${options.standardLocations === false ? '' : ' or in the usual PostgreSQL install locations'}`;
}

/**
 * The newest working `tool`; a configured path wins when it works. Throws DumpError('not-found')
 * (one line) when there is none.
 */
export async function findTool(tool: PgToolName, options: FindToolOptions = {}): Promise<ToolCandidate> {
  const candidates = await findToolCandidates(tool, options);
  const working = candidates.filter((c) => c.version);
  const pick = working.find((c) => c.source === 'configured') ?? working[0];
  if (!pick) throw new DumpError('not-found', notFound(tool, options, candidates));
  return pick;
}

/**
 * A pg_restore that reads archives of `archiveVersion`: the configured one when it can, else the
 * newest that can. Throws one line when none can, e.g.
 * `this archive (format 1.16) needs pg_restore 17 or newer; found pg_restore 15.18 at /usr/bin/pg_restore`.
 */
export async function findPgRestoreFor(archiveVersion: ArchiveVersion, options: FindToolOptions = {}): Promise<ToolCandidate> {
  const needed = minimumMajorFor(archiveVersion);
  const candidates = await findToolCandidates('pg_restore', options);
  const able = candidates.filter((c) => c.version && c.version.major >= needed);
  const pick = able.find((c) => c.source === 'configured') ?? able[0];
  if (pick) return pick;
  const what = `this archive (format ${archiveVersion.major}.${archiveVersion.minor}) needs pg_restore ${needed} or newer`;
  const working = candidates.filter((c) => c.version);
  if (working.length === 0) throw new DumpError('not-found', `${what}; ${notFound('pg_restore', options, candidates)}`);
  throw new DumpError('unsupported', `${what}; found ${candidates.map(describeCandidate).join(', ')}`);
}

/**
 * A pg_dump or pg_dumpall for a server of major `serverMajor` (`serverVersion` for messages):
 * they refuse a server newer than themselves ("server version mismatch"), so the configured one
 * when it is new enough, else the newest found that is. Throws one line before anything starts
 * when none is, naming the server's version, the newest found and what to install or set.
 */
export async function findToolForServer(
  tool: 'pg_dump' | 'pg_dumpall',
  server: { major: number; version: string },
  options: FindToolOptions & { setting?: string } = {},
): Promise<ToolCandidate> {
  const candidates = await findToolCandidates(tool, options);
  const able = candidates.filter((c) => c.version && c.version.major >= server.major);
  const pick = able.find((c) => c.source === 'configured') ?? able[0];
  if (pick) return pick;
  const todo = `install the PostgreSQL ${server.major} client programs${options.setting ? `, or set ${options.setting} to a ${tool} ${server.major} or newer` : ''}`;
  const what = `the server runs PostgreSQL ${server.version}, and ${tool} must be of major ${server.major} or newer`;
  const newest = candidates.find((c) => c.version);
  if (!newest) throw new DumpError('not-found', `${what}: ${notFound(tool, options, candidates)}; ${todo}`);
  throw new DumpError('unsupported', `${what}; the newest found is ${describeCandidate(newest)}: ${todo}`);
}
