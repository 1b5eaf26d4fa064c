/**
 * Builds the dump fixtures the integration tests compare against: the shared `pg18-rich` source
 * (plus fixtures-extra.sql) loaded into database `rich` on the test server, then dumped by the
 * real pg_dump / pg_dumpall of the server's own binaries in every format.
 *
 * The dumps are cached in `.cache/fixtures/<key>/` (git-ignored), where the key hashes the SQL,
 * the pg_dump and server versions and BUILDER_VERSION: change what is dumped or how, and bump
 * BUILDER_VERSION. A cache directory is built under a temporary name and renamed when complete,
 * so a half-built one is never reused. Database `rich` is loaded on every run (the server is new
 * each time); only the dumping is skipped when the cache is warm.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createDatabase, withoutPgVars, type PgServer } from './pgServer';

/** Bump when the way fixtures are made changes, so cached ones are rebuilt. */
export const BUILDER_VERSION = 1;

export const RICH_DB = 'rich';

export const FIXTURE_NAMES = [
  'custom.dump',
  'custom-z0.dump',
  'custom-piped.dump',
  'dir-gzip',
  'dir-z0',
  'dir-j2',
  'archive.tar',
  'plain.sql',
  'plain.sql.gz',
  'cluster.sql',
  'globals.sql',
] as const;

export type FixtureName = (typeof FIXTURE_NAMES)[number];

export const projectRoot = path.resolve(__dirname, '../..');
/** Read-only fixtures shared between projects; they sit beside the project folder. */
export const sharedFixturesDir = path.resolve(projectRoot, '../shared/fixtures');
export const SOURCE_SQL = path.join(sharedFixturesDir, 'pg18-rich.source.sql');
export const EXTRA_SQL = path.join(__dirname, 'fixtures-extra.sql');
const CACHE_ROOT = path.join(projectRoot, '.cache', 'fixtures');
const MANIFEST = 'manifest.json';

/** Environment for the server's own client programs: the test server, C messages, no colour. */
export function clientEnv(server: Pick<PgServer, 'env'>): NodeJS.ProcessEnv {
  return { ...withoutPgVars(process.env), ...server.env, LC_MESSAGES: 'C', PG_COLOR: 'never' };
}

function runTool(server: PgServer, tool: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path.join(server.binDir, tool), args, { env: clientEnv(server), encoding: 'utf8', maxBuffer: 256 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const detail = stderr.split('\n').filter((l) => l.trim()).slice(0, 2).join(' / ') || err.message;
      reject(new Error(`${tool} ${args.join(' ')} failed: ${detail}`));
    });
  });
}

/** pg_dump writing the archive to a pipe, as `pg_dump -Fc | cat > file` would: no data offsets in the TOC. */
async function dumpThroughPipe(server: PgServer, args: string[], file: string): Promise<void> {
  const child = spawn(path.join(server.binDir, 'pg_dump'), args, { env: clientEnv(server), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  await pipeline(child.stdout, fs.createWriteStream(file));
  const code = await exited;
  if (code !== 0) throw new Error(`pg_dump ${args.join(' ')} (piped) failed: ${stderr.trim().split('\n')[0] ?? `exit ${code}`}`);
}

async function gzipFile(from: string, to: string): Promise<void> {
  await pipeline(fs.createReadStream(from), createGzip(), fs.createWriteStream(to));
}

/**
 * Creates database `rich` and loads the shared source and the extras into it. The source creates
 * the roles it grants to (app_reader, app_owner) itself; the server is new, so they do not exist yet.
 */
export async function loadRich(server: PgServer): Promise<void> {
  await createDatabase(server, RICH_DB);
  for (const file of [SOURCE_SQL, EXTRA_SQL]) {
    await runTool(server, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', RICH_DB, '-f', file]);
  }
}

async function dumpAll(server: PgServer, dir: string): Promise<void> {
  const out = (name: FixtureName) => path.join(dir, name);
  const db = ['-d', RICH_DB];
  await Promise.all([
    runTool(server, 'pg_dump', [...db, '-Fc', '-f', out('custom.dump')]),
    runTool(server, 'pg_dump', [...db, '-Fc', '-Z0', '-f', out('custom-z0.dump')]),
    dumpThroughPipe(server, [...db, '-Fc'], out('custom-piped.dump')),
    runTool(server, 'pg_dump', [...db, '-Fd', '-f', out('dir-gzip')]),
    runTool(server, 'pg_dump', [...db, '-Fd', '-Z0', '-f', out('dir-z0')]),
    runTool(server, 'pg_dump', [...db, '-Fd', '-j', '2', '-f', out('dir-j2')]),
    runTool(server, 'pg_dump', [...db, '-Ft', '-f', out('archive.tar')]),
    runTool(server, 'pg_dump', [...db, '-Fp', '-f', out('plain.sql')]).then(() => gzipFile(out('plain.sql'), out('plain.sql.gz'))),
    runTool(server, 'pg_dumpall', ['-f', out('cluster.sql')]),
    runTool(server, 'pg_dumpall', ['--globals-only', '-f', out('globals.sql')]),
  ]);
}

const pathsIn = (dir: string) => Object.fromEntries(FIXTURE_NAMES.map((n) => [n, path.join(dir, n)])) as Record<FixtureName, string>;

function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST)) && FIXTURE_NAMES.every((n) => fs.existsSync(path.join(dir, n)));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes half-built cache directories whose builder process is gone. */
function removeAbandonedBuilds(): void {
  for (const name of fs.readdirSync(CACHE_ROOT)) {
    const m = /\.tmp-(\d+)-/.exec(name);
    if (m && !pidAlive(Number(m[1]))) fs.rmSync(path.join(CACHE_ROOT, name), { recursive: true, force: true });
  }
}

/**
 * Loads `rich` into the server and returns the path of every fixture, dumping them only when the
 * cache has no complete set for this source, these tools and this builder.
 */
export async function buildFixtures(server: PgServer): Promise<Record<FixtureName, string>> {
  const source = fs.readFileSync(SOURCE_SQL);
  const extra = fs.readFileSync(EXTRA_SQL);
  await loadRich(server);
  const pgDumpVersion = (await runTool(server, 'pg_dump', ['--version'])).trim();

  const key = createHash('sha256')
    .update(`builder ${BUILDER_VERSION}\0${pgDumpVersion}\0server ${server.version}\0`)
    .update(source)
    .update('\0')
    .update(extra)
    .digest('hex')
    .slice(0, 16);
  const finalDir = path.join(CACHE_ROOT, key);
  if (isComplete(finalDir)) return pathsIn(finalDir);

  fs.mkdirSync(CACHE_ROOT, { recursive: true });
  removeAbandonedBuilds();
  const tmpDir = fs.mkdtempSync(path.join(CACHE_ROOT, `${key}.tmp-${process.pid}-`));
  try {
    await dumpAll(server, tmpDir);
    const manifest = { builderVersion: BUILDER_VERSION, pgDump: pgDumpVersion, serverVersion: server.version, fixtures: FIXTURE_NAMES };
    fs.writeFileSync(path.join(tmpDir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    if (fs.existsSync(finalDir) && !isComplete(finalDir)) fs.rmSync(finalDir, { recursive: true, force: true });
    try {
      fs.renameSync(tmpDir, finalDir);
    } catch (err) {
      // Another run finished the same set first: use theirs.
      if (!isComplete(finalDir)) throw err;
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return pathsIn(finalDir);
}
