// The generated dumps the benchmark and the end-to-end scale figures use, each made once by
// the real pg_dump from a throwaway server and cached in .cache/bench/ (named by generator
// version and pg_dump version, so that a change of either makes a new one).
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { startServer, query, createDatabase, stopAllServersSync } = require('../test/support/pgServer.ts');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = join(root, '.cache', 'bench');

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
  return r.stdout;
}

/**
 * Makes `name-g<version>-pg<pg_dump version>.dump` once: `fill(server)` loads database `bench` on
 * a new server, then pg_dump -Fc writes it (to a `.part` file, renamed when complete).
 */
async function cachedArchive(name, version, note, fill) {
  const server = await startServer();
  try {
    const pgDump = join(server.binDir, 'pg_dump');
    const pgVersion = /\d+(\.\d+)?/.exec(sh(pgDump, ['--version']))?.[0] ?? 'unknown';
    const file = join(cacheDir, `${name}-g${version}-pg${pgVersion}.dump`);
    if (existsSync(file)) return file;
    mkdirSync(cacheDir, { recursive: true });
    const started = Date.now();
    console.log(`generating ${file} (once; ${note}) ...`);
    await createDatabase(server, 'bench');
    await fill(server);
    const tmp = `${file}.part`;
    sh(pgDump, ['-h', server.host, '-p', String(server.port), '-U', server.user, '-Fc', '-f', tmp, 'bench'], { env: { ...process.env, ...server.env } });
    renameSync(tmp, file);
    console.log(`generated ${file} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return file;
  } finally {
    await server.stop();
  }
}

/** 100 schemas x 100 tables, each with a serial primary key, a second index, a comment, 2 rows. */
const GENERATE_SCHEMA = (s) => `
DO $$
BEGIN
  EXECUTE 'CREATE SCHEMA s${s}';
  FOR t IN 1..100 LOOP
    EXECUTE format('CREATE TABLE s${s}.t%s (id serial PRIMARY KEY, v text)', t);
    EXECUTE format('CREATE INDEX ON s${s}.t%s (v)', t);
    EXECUTE format('COMMENT ON TABLE s${s}.t%s IS %L', t, 'table ' || t);
    EXECUTE format('INSERT INTO s${s}.t%s (v) VALUES (''a''), (''b'')', t);
  END LOOP;
END $$;`;

/** The 90,000-entry archive: 100 schemas of 100 tables (90,104 TOC entries). */
export function benchArchive() {
  return cachedArchive('bench-90k', 1, 'about a minute', async (server) => {
    for (let s = 1; s <= 100; s++) await query(server, 'bench', GENERATE_SCHEMA(s));
  });
}

/** Tables `from`..`to` of schema `wide`: a primary key and two rows each. */
const GENERATE_WIDE = (from, to) => `
DO $$
BEGIN
  FOR t IN ${from}..${to} LOOP
    EXECUTE format('CREATE TABLE wide.t%s (id int PRIMARY KEY, v text)', t);
    EXECUTE format('INSERT INTO wide.t%s VALUES (1, ''a''), (2, ''b'')', t);
  END LOOP;
END $$;`;

/** One schema of 10,000 tables (`wide.t1` … `wide.t10000`), for ticking a whole schema in the tree. */
export function wideSchemaArchive() {
  return cachedArchive('bench-wide10k', 1, 'about 20 s', async (server) => {
    await query(server, 'bench', 'CREATE SCHEMA wide');
    for (let from = 1; from <= 10_000; from += 500) await query(server, 'bench', GENERATE_WIDE(from, from + 499));
  });
}

/** Rows of public.events in the big-table archive. */
export const EVENTS_ROWS = Number(process.env.BENCH_EVENTS_ROWS ?? 8_000_000);

/**
 * One big table in a custom archive: public.events, EVENTS_ROWS rows (about 200 MB compressed for
 * 8 million), a bigserial primary key and a second index; `--table public.events` plans 8 entries.
 */
export function eventsArchive(rows = EVENTS_ROWS) {
  return cachedArchive(`bench-events-${rows / 1e6}m`, 1, 'a few minutes', async (server) => {
    await query(
      server,
      'bench',
      `CREATE TABLE public.events (id bigserial PRIMARY KEY, account_id int NOT NULL, kind text NOT NULL, created_at timestamptz NOT NULL, payload text);
       INSERT INTO public.events (account_id, kind, created_at, payload)
       SELECT 1 + g % 5000, (array['view', 'click', 'buy', 'leave'])[1 + g % 4], timestamptz '2025-01-01' + g * interval '1 second', md5(g::text)
       FROM generate_series(1, ${rows}) g;
       CREATE INDEX events_account_idx ON public.events (account_id);`,
    );
  });
}

const PLAIN_GENERATOR_VERSION = 1;
/** Rows of the big table of the plain bench: about 105 bytes each in COPY text, 840 MB in all. */
export const BIG_ROWS = Number(process.env.BENCH_PLAIN_ROWS ?? 8_000_000);

/**
 * Loads database `bench` (created here) on `server`: the 90,000-entry schema of the archive bench
 * plus public.big_rows, a table of BIG_ROWS rows. The plain bench dumps it; the dump bench dumps it live.
 */
export async function fillBigDatabase(server) {
  await createDatabase(server, 'bench');
  for (let s = 1; s <= 100; s++) await query(server, 'bench', GENERATE_SCHEMA(s));
  await query(
    server,
    'bench',
    `CREATE TABLE public.big_rows (id bigint, label text, digest text, digest2 text, amount numeric(10,2), day date);
     INSERT INTO public.big_rows
     SELECT g, 'row ' || g, md5(g::text), md5((g * 7)::text), (g % 100000) / 100.0, date '2024-01-01' + g % 366
     FROM generate_series(1, ${BIG_ROWS}) g;`,
  );
}

/**
 * A plain dump of at least 800 MB and its .sql.gz, made once: the 90,000-entry schema of the
 * archive bench plus one table of 8 million rows.
 */
export async function plainBenchDump() {
  const server = await startServer();
  try {
    const pgDump = join(server.binDir, 'pg_dump');
    const pgVersion = /\d+(\.\d+)?/.exec(sh(pgDump, ['--version']))?.[0] ?? 'unknown';
    const file = join(cacheDir, `bench-plain-90k-${BIG_ROWS / 1e6}m-g${PLAIN_GENERATOR_VERSION}-pg${pgVersion}.sql`);
    const gz = `${file}.gz`;
    if (existsSync(file) && existsSync(gz)) return { file, gz };
    mkdirSync(cacheDir, { recursive: true });
    console.log(`generating ${file} and its .gz (once; a few minutes) ...`);
    await fillBigDatabase(server);
    const tmp = `${file}.part`;
    sh(pgDump, ['-h', server.host, '-p', String(server.port), '-U', server.user, '-Fp', '-f', tmp, 'bench'], { env: { ...process.env, ...server.env } });
    renameSync(tmp, file);
    await pipeline(createReadStream(file), createGzip(), createWriteStream(`${gz}.part`));
    renameSync(`${gz}.part`, gz);
    return { file, gz };
  } finally {
    await server.stop();
  }
}

/**
 * For a script that starts servers through this module: on Ctrl-C or SIGTERM (`npm run
 * test:repeat` ends its load so), and at exit, stop them and remove their directories. pg_ctl
 * detaches the server from this process, which it would otherwise outlive.
 */
export function stopServersOnExit() {
  process.on('exit', stopAllServersSync);
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
}

// `node bench/archives.mjs [bench] [wide] [plain]`: makes the named inputs (default: the two archives).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  stopServersOnExit();
  const makers = { bench: benchArchive, wide: wideSchemaArchive, events: () => eventsArchive(), plain: async () => (await plainBenchDump()).file };
  const names = process.argv.length > 2 ? process.argv.slice(2) : ['bench', 'wide'];
  for (const name of names) {
    if (!makers[name]) throw new Error(`usage: node bench/archives.mjs [${Object.keys(makers).join('] [')}]`);
    console.log(await makers[name]());
  }
}
