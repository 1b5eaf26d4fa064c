/**
 * A cluster folder, as `dump-cluster` writes it: `globals.sql` (a pg_dumpall globals script),
 * one custom-format archive per database and `manifest.json`, which says what the folder holds
 * (a format marker, the server's and the tools' versions, the times, and each database with its
 * size and file). What the manifest may say is checked here; the dump itself is in cluster.ts.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DumpError } from '../errors';

export const CLUSTER_FORMAT = 'pg-dump-explorer cluster';
export const CLUSTER_FORMAT_VERSION = 1;
export const MANIFEST_FILE = 'manifest.json';
export const GLOBALS_FILE = 'globals.sql';

export interface ClusterManifestDatabase {
  name: string;
  /** The archive's file name in the folder. */
  file: string;
  /** `pg_database_size` when it was dumped. */
  databaseBytes: number;
  /** The archive's size. */
  archiveBytes: number;
}

export interface ClusterManifest {
  format: typeof CLUSTER_FORMAT;
  formatVersion: number;
  server: { version: string; versionNum: number };
  /** What `--version` printed, e.g. `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`. */
  tools: { pg_dump: string; pg_dumpall: string };
  /** ISO 8601 times. */
  startedAt: string;
  finishedAt: string;
  globals: { file: string; rolesOnly: boolean; noRolePasswords: boolean };
  databases: ClusterManifestDatabase[];
}

/** A cluster folder read: its manifest, and where its parts are. */
export interface ClusterFolder {
  dir: string;
  manifest: ClusterManifest;
  globalsPath: string;
  databases: (ClusterManifestDatabase & { path: string })[];
}

/** Names Windows keeps for devices, with any extension. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * A database name as a file name that any file system takes: letters, digits, `_` and `-` stay;
 * every other character (and a leading dot) becomes `%XX` per UTF-8 byte, so that different names
 * stay different and the name can be read back; Windows' device names get a `_`.
 */
export function archiveBaseName(database: string): string {
  let out = '';
  for (const ch of database) {
    if (/^[A-Za-z0-9_-]$/.test(ch) || (ch === '.' && out !== '')) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return RESERVED.test(out) ? `${out}_` : out;
}

/**
 * The archive file of each database, in order: `<name>.dump`, made safe (archiveBaseName); on a
 * file system that ignores case `Sales` and `sales` would be one file, so a later one of such
 * names gets `~2`, `~3` (`~` never comes out of archiveBaseName).
 */
export function archiveFileNames(databases: readonly string[]): string[] {
  const taken = new Set<string>([GLOBALS_FILE, MANIFEST_FILE]);
  return databases.map((db) => {
    const base = archiveBaseName(db);
    let name = `${base}.dump`;
    for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${base}~${n}.dump`;
    taken.add(name.toLowerCase());
    return name;
  });
}

/** Whether `name` is a plain file name inside the folder (never a path out of it). */
function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && name !== '' && name !== '.' && name !== '..' && !/[/\\\0]/.test(name);
}

const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;

/**
 * The manifest's text, checked: the format marker, a version this code reads, and fields of the
 * right types; file names that would lead out of the folder are refused. Throws one line naming
 * what is wrong.
 */
export function parseClusterManifest(text: string): ClusterManifest {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new DumpError('corrupt', `${MANIFEST_FILE} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const bad = (what: string) => new DumpError('corrupt', `${MANIFEST_FILE}: ${what}`);
  if (!isObject(doc) || doc.format !== CLUSTER_FORMAT) throw new DumpError('not-a-dump', `${MANIFEST_FILE} is not the manifest of a cluster folder (no "format": "${CLUSTER_FORMAT}")`);
  if (!isCount(doc.formatVersion)) throw bad('formatVersion is not a whole number');
  if (doc.formatVersion > CLUSTER_FORMAT_VERSION) throw new DumpError('unsupported-version', `${MANIFEST_FILE} is of format version ${doc.formatVersion}; this version of PG Dump Explorer reads up to ${CLUSTER_FORMAT_VERSION}: update it`);
  const { server, tools, globals, databases } = doc;
  if (!isObject(server) || typeof server.version !== 'string' || !isCount(server.versionNum)) throw bad('server is not { version, versionNum }');
  if (!isObject(tools) || typeof tools.pg_dump !== 'string' || typeof tools.pg_dumpall !== 'string') throw bad('tools is not { pg_dump, pg_dumpall }');
  if (typeof doc.startedAt !== 'string' || typeof doc.finishedAt !== 'string') throw bad('startedAt and finishedAt must be times');
  if (!isObject(globals) || !isPlainFileName(globals.file) || typeof globals.rolesOnly !== 'boolean' || typeof globals.noRolePasswords !== 'boolean') throw bad('globals is not { file, rolesOnly, noRolePasswords } with a file name in the folder');
  if (!Array.isArray(databases)) throw bad('databases is not a list');
  const seen = new Set<string>();
  const list = databases.map((d: unknown, i): ClusterManifestDatabase => {
    if (!isObject(d) || typeof d.name !== 'string' || d.name === '') throw bad(`databases[${i}] has no name`);
    if (!isPlainFileName(d.file)) throw bad(`databases[${i}] (${d.name}): file is not a file name in the folder`);
    if (!isCount(d.databaseBytes) || !isCount(d.archiveBytes)) throw bad(`databases[${i}] (${d.name}): databaseBytes and archiveBytes must be whole numbers`);
    if (seen.has(d.name)) throw bad(`database ${d.name} is listed twice`);
    seen.add(d.name);
    return { name: d.name, file: d.file, databaseBytes: d.databaseBytes, archiveBytes: d.archiveBytes };
  });
  return {
    format: CLUSTER_FORMAT,
    formatVersion: doc.formatVersion,
    server: { version: server.version, versionNum: server.versionNum },
    tools: { pg_dump: tools.pg_dump, pg_dumpall: tools.pg_dumpall },
    startedAt: doc.startedAt,
    finishedAt: doc.finishedAt,
    globals: { file: globals.file, rolesOnly: globals.rolesOnly, noRolePasswords: globals.noRolePasswords },
    databases: list,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Far above any real manifest: a bigger manifest.json is another tool's, and is not read. */
const MAX_MANIFEST_BYTES = 16 << 20;

/** Whether `dir` is a folder with a cluster manifest (the Explorer menu, the Dumps view and the CLI ask it). */
export async function isClusterFolder(dir: string): Promise<boolean> {
  try {
    if (!(await fs.stat(dir)).isDirectory()) return false;
    const file = path.join(dir, MANIFEST_FILE);
    const info = await fs.stat(file);
    return info.isFile() && info.size <= MAX_MANIFEST_BYTES && looksLikeClusterManifest(await fs.readFile(file, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether a manifest.json's text carries the cluster folder's format marker (many tools write a manifest.json). */
export function looksLikeClusterManifest(text: string): boolean {
  try {
    const doc: unknown = JSON.parse(text);
    return isObject(doc) && doc.format === CLUSTER_FORMAT;
  } catch {
    return false;
  }
}

/**
 * Reads a cluster folder: its manifest, checked, and the paths of its globals and archives, each
 * of which must be there. Throws one line otherwise.
 */
export async function readClusterFolder(dir: string): Promise<ClusterFolder> {
  const label = path.basename(dir) || dir;
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DumpError('not-a-dump', code === 'ENOENT' ? `folder ${label} holds no ${MANIFEST_FILE}: not a cluster folder` : `cannot read ${MANIFEST_FILE} of ${label}: ${(err as Error).message}`);
  }
  const manifest = parseClusterManifest(text);
  const globalsPath = path.join(dir, manifest.globals.file);
  const databases = manifest.databases.map((d) => ({ ...d, path: path.join(dir, d.file) }));
  const missing: string[] = [];
  for (const p of [globalsPath, ...databases.map((d) => d.path)]) {
    if (!(await fs.stat(p).then((s) => s.isFile(), () => false))) missing.push(path.basename(p));
  }
  if (missing.length > 0) throw new DumpError('truncated', `cluster folder ${label} lacks ${missing.join(', ')}, which its ${MANIFEST_FILE} lists: it is incomplete`);
  return { dir, manifest, globalsPath, databases };
}
