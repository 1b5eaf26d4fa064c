// `npm run bench`: speed and memory of the CLI against the PostgreSQL tool that does the same
// job, in the same run, alternating, medians. Not a test: it prints figures for README.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { benchArchive, BIG_ROWS, cacheDir, eventsArchive, EVENTS_ROWS, fillBigDatabase, plainBenchDump, stopServersOnExit } from './archives.mjs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSystemPackages } from '../scripts/systemPackages.mjs';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { startServer, createDatabase, query } = require('../test/support/pgServer.ts');

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
// BENCH_CLI: another copy of dist/cli.js (`npm run test:repeat` runs the bench beside test runs
// that rebuild dist/).
const CLI = resolve(process.env.BENCH_CLI ?? join(root, 'dist', 'cli.js'));
stopServersOnExit();

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error}`);
  return r.stdout;
}

function hasGnuTime() {
  return spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0;
}

/**
 * One timed run with stdout to /dev/null. NODE_EXTRA_CA_CERTS and NODE_OPTIONS are removed
 * from the environment of both commands: the first makes every Node start-up parse a
 * certificate bundle, which has nothing to do with reading a dump.
 */
function timeOnce(cmd, args, stdoutFile = '/dev/null') {
  const env = { ...process.env, LC_ALL: 'C' };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  const devnull = openSync(stdoutFile, 'w');
  try {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', cmd, ...args], { env, stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 30 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    // Peak RSS of the largest process; CPU (user + system) of the command and the programs it ran.
    const [rssKb, user, sys] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
    return { ms, rssMb: rssKb / 1024, cpuMs: (user + sys) * 1000 };
  } finally {
    closeSync(devnull);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** `before(side)` runs untimed before each run (e.g. to make a fresh target database). */
/**
 * `stdoutFile`: where both commands write (default /dev/null). GNU grep stops at the first match
 * when its output is /dev/null, so a grep that must count everything writes to a file.
 */
async function compare(title, ours, theirs, targets, { runs = RUNS, before, stdoutFile, cpu = false } = {}) {
  const a = { ms: [], rss: [], cpu: [] };
  const b = { ms: [], rss: [], cpu: [] };
  for (let i = 0; i < runs; i++) {
    for (const [side, run] of i % 2 ? [[b, theirs], [a, ours]] : [[a, ours], [b, theirs]]) {
      const args = before ? await before(side === a ? 'ours' : 'theirs', run) : run;
      const r = timeOnce(...args, stdoutFile);
      side.ms.push(r.ms);
      side.rss.push(r.rssMb);
      side.cpu.push(r.cpuMs);
    }
  }
  const ratio = median(a.ms) / median(b.ms);
  const peak = Math.max(...a.rss);
  // The client side's CPU: the command and the programs it ran (pg_restore), not the server's.
  const cpuOf = (x) => (cpu ? `, client CPU median ${(median(x.cpu) / 1000).toFixed(1)} s` : '');
  console.log(`\n${title}`);
  console.log(`  ours:   median ${median(a.ms).toFixed(0)} ms${cpuOf(a)}, peak RSS ${peak.toFixed(0)} MB   (${ours[0]} ${ours[1].join(' ')})`);
  console.log(`  theirs: median ${median(b.ms).toFixed(0)} ms${cpuOf(b)}, peak RSS ${Math.max(...b.rss).toFixed(0)} MB   (${theirs[0]} ${theirs[1].join(' ')})`);
  if (process.env.BENCH_VERBOSE) console.log(`  ours ms: ${a.ms.map((x) => x.toFixed(0)).join(' ')}; theirs ms: ${b.ms.map((x) => x.toFixed(0)).join(' ')}`);
  if (!targets) console.log(`  ratio ${ratio.toFixed(2)}`);
  else console.log(`  ratio ${ratio.toFixed(2)} (target <= ${targets.ratio}), peak ${peak.toFixed(0)} MB (target <= ${targets.rssMb} MB): ${ratio <= targets.ratio && peak <= targets.rssMb ? 'met' : 'NOT met'}`);
}

/**
 * Restoring one table (with what it needs) into a fresh database: the engine (`restore`:
 * plan, pre-flight, pg_restore, ANALYZE / sequences / row counts) against pg_restore given the
 * same entries in a hand-written -L list, one transaction each; then against a full restore.
 */
async function benchRestore(archive, pgRestore) {
  const server = await startServer();
  try {
    const table = 's50.t50';
    const list = join(cacheDir, 'one-table.list');
    writeFileSync(list, sh(process.execPath, [CLI, 'plan', archive, '--table', table, '--with-deps']));
    const entries = readFileSync(list, 'utf8').split('\n').filter((l) => /^\d+;/.test(l)).length;
    let n = 0;
    const fresh = async () => {
      const db = `bench_restore_${++n}`;
      await createDatabase(server, db);
      return db;
    };
    const url = (db) => `postgresql://${server.user}@${server.host}:${server.port}/${db}`;
    const conn = (db) => ['-h', server.host, '-p', String(server.port), '-U', server.user, '-d', db];
    const withTarget = async (side, [cmd, args]) => {
      const db = await fresh();
      return [cmd, args.map((a) => (a === '@URL' ? url(db) : a === '@CONN' ? conn(db) : [a])).flat()];
    };
    const ours = [process.execPath, [CLI, 'restore', archive, '--dbname', '@URL', '--table', table, '--with-deps', '--yes']];
    const theirs = [pgRestore, ['@CONN', '--single-transaction', '--exit-on-error', '-L', list, archive]];
    await compare(`restore one table (${table} with what it needs, ${entries} entries) into a new database: engine vs pg_restore -L of the same entries`, ours, theirs, { ratio: 1.1, rssMb: Infinity }, { before: withTarget });
    const full = [pgRestore, ['@CONN', '--single-transaction', '--exit-on-error', archive]];
    await compare('restore one table through the engine vs a full restore with pg_restore', ours, full, undefined, { runs: Number(process.env.BENCH_FULL_RUNS ?? 3), before: withTarget });
  } finally {
    await server.stop();
  }
}

/**
 * Restoring one big table into a fresh database: `restore --table public.events --yes` (8 entries,
 * every check on: the dump's rows against count(*), ANALYZE, sequences) against pg_restore -L of
 * the same entries, both in one transaction. The client CPU is the command's and pg_restore's.
 */
async function benchBigTable(pgRestore) {
  const archive = await eventsArchive();
  const server = await startServer();
  try {
    const table = 'public.events';
    const list = join(cacheDir, 'events.list');
    writeFileSync(list, sh(process.execPath, [CLI, 'plan', archive, '--table', table]));
    const entries = readFileSync(list, 'utf8').split('\n').filter((l) => /^\d+;/.test(l)).length;
    let n = 0;
    let last;
    const withTarget = async (side, [cmd, args]) => {
      // One database at a time: the previous run's is dropped first (8 million rows each).
      if (last) await query(server, 'postgres', `DROP DATABASE IF EXISTS ${last}`);
      last = `bench_events_${++n}`;
      await createDatabase(server, last);
      // Each run starts with nothing of the last one left to write: its GB of table and index
      // flushed by a checkpoint and the kernel, so neither side pays for the other's writes.
      await query(server, 'postgres', 'CHECKPOINT');
      spawnSync('sync');
      const url = `postgresql://${server.user}@${server.host}:${server.port}/${last}`;
      const conn = ['-h', server.host, '-p', String(server.port), '-U', server.user, '-d', last];
      return [cmd, args.map((a) => (a === '@URL' ? url : a === '@CONN' ? conn : [a])).flat()];
    };
    const ours = [process.execPath, [CLI, 'restore', archive, '--dbname', '@URL', '--table', table, '--yes']];
    const theirs = [pgRestore, ['@CONN', '--single-transaction', '--exit-on-error', '-L', list, archive]];
    await compare(
      `restore one big table (${table}, ${EVENTS_ROWS.toLocaleString('en-US')} rows, ${(statSync(archive).size / 1e6).toFixed(0)} MB archive, ${entries} entries) into a new database, every check on: engine vs pg_restore -L, one transaction each`,
      ours,
      theirs,
      { ratio: 1.05, rssMb: Infinity },
      { runs: Number(process.env.BENCH_BIG_RUNS ?? 7), before: withTarget, cpu: true },
    );
  } finally {
    await server.stop();
  }
}

/** Indexing a plain dump against grep counting its object headers, plain and gzip-compressed. */
async function benchIndex() {
  const { file, gz } = await plainBenchDump();
  const headers = Number(sh('grep', ['-c', '^-- Name: ', file]).trim());
  console.log(`\nplain dump: ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB, ${headers} "-- Name:" headers; .gz ${(statSync(gz).size / 1e6).toFixed(0)} MB)`);
  const cli = [process.execPath, [CLI, 'index']];
  const runs = Number(process.env.BENCH_INDEX_RUNS ?? 5);
  const stdoutFile = join(cacheDir, 'index-output.txt');
  await compare("index: node dist/cli.js index FILE.sql vs grep -c '^-- Name: ' FILE.sql", [cli[0], [...cli[1], file]], ['grep', ['-c', '^-- Name: ', file]], { ratio: 1.5, rssMb: 150 }, { runs, stdoutFile });
  await compare(
    "index: node dist/cli.js index FILE.sql.gz vs zcat FILE.sql.gz | grep -c '^-- Name: '",
    [cli[0], [...cli[1], gz]],
    ['bash', ['-c', `zcat '${gz}' | grep -c '^-- Name: '`]],
    { ratio: 1.5, rssMb: 150 },
    { runs, stdoutFile },
  );
}

/**
 * Dumping the database of the plain bench (the 90,000-entry schema and 8 million rows), live:
 * `dump` (plan, pg_dump --verbose with progress, the dump read back and checked) against the same
 * pg_dump by hand, custom format, alternating. Our peak memory is our process's own (selfRss.cjs),
 * not pg_dump's.
 */
async function benchDump() {
  const server = await startServer();
  try {
    const started = Date.now();
    console.log(`\nloading the dump bench's database (${BIG_ROWS.toLocaleString('en-US')} rows and 10,000 tables; a few minutes) ...`);
    await fillBigDatabase(server);
    const [size] = await query(server, 'bench', "select pg_size_pretty(pg_database_size('bench')) as size");
    console.log(`loaded in ${((Date.now() - started) / 1000).toFixed(0)} s: ${size.size}`);
    const pgDump = sh('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin/pg_dump | sort -V | tail -1']).trim() || 'pg_dump';
    const outDir = join(cacheDir, 'dump-out');
    mkdirSync(outDir, { recursive: true });
    const ourFile = join(outDir, 'ours.dump');
    const theirFile = join(outDir, 'theirs.dump');
    const rssFile = join(outDir, 'self-rss.txt');
    process.env.PGDX_SELF_RSS_FILE = rssFile;
    const url = `postgresql://${server.user}@${server.host}:${server.port}/bench`;
    const ours = [process.execPath, ['--require', join(root, 'bench', 'selfRss.cjs'), CLI, 'dump', '--dbname', url, '--file', ourFile]];
    const theirs = [pgDump, ['-h', server.host, '-p', String(server.port), '-U', server.user, '-Fc', '-f', theirFile, 'bench']];
    // One untimed pg_dump first, so that neither side pays for reading the tables into the cache.
    timeOnce(...theirs);
    const runs = Number(process.env.BENCH_DUMP_RUNS ?? 5);
    const a = { ms: [], self: [] };
    const b = { ms: [], rss: [] };
    for (let i = 0; i < runs; i++) {
      for (const side of i % 2 ? ['theirs', 'ours'] : ['ours', 'theirs']) {
        rmSync(side === 'ours' ? ourFile : theirFile, { force: true });
        const r = timeOnce(...(side === 'ours' ? ours : theirs));
        if (side === 'ours') {
          a.ms.push(r.ms);
          a.self.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
        } else {
          b.ms.push(r.ms);
          b.rss.push(r.rssMb);
        }
      }
    }
    const ratio = median(a.ms) / median(b.ms);
    const peak = Math.max(...a.self);
    const met = ratio <= 1.03 && peak <= 100;
    console.log(`\ndump: node dist/cli.js dump (custom) vs pg_dump -Fc, ${runs} runs each, alternating; dumps of ${(statSync(ourFile).size / 1e6).toFixed(0)} and ${(statSync(theirFile).size / 1e6).toFixed(0)} MB`);
    console.log(`  ours:   median ${median(a.ms).toFixed(0)} ms, our process's peak RSS ${peak.toFixed(0)} MB`);
    console.log(`  theirs: median ${median(b.ms).toFixed(0)} ms, pg_dump's peak RSS ${Math.max(...b.rss).toFixed(0)} MB`);
    console.log(`  ratio ${ratio.toFixed(3)} (target <= 1.03), peak ${peak.toFixed(0)} MB (target <= 100 MB): ${met ? 'met' : 'NOT met'}`);
    rmSync(outDir, { recursive: true, force: true });
  } finally {
    await server.stop();
  }
}

/**
 * Copying the dump bench's database (10,000 tables and 8 million rows) into a new database of the
 * same server: `copy` (pre-flight, pg_dump | pg_restore in one transaction, ANALYZE, sequences,
 * rows counted in the source's snapshot and the target) against the hand pipe
 * `pg_dump -Fc src | pg_restore -d dst`, alternating; then `copy --jobs 2` (pgcopydb). Each run
 * gets a fresh target; the previous one is dropped first, so that the disk holds one copy at a time.
 */
async function benchCopy() {
  const server = await startServer();
  try {
    const runs = Number(process.env.BENCH_COPY_RUNS ?? 3);
    const started = Date.now();
    if (runs > 0) {
      console.log(`\nloading the copy bench's database (${BIG_ROWS.toLocaleString('en-US')} rows and 10,000 tables; a few minutes) ...`);
      await fillBigDatabase(server);
      const [size] = await query(server, 'bench', "select pg_size_pretty(pg_database_size('bench')) as size");
      console.log(`loaded in ${((Date.now() - started) / 1000).toFixed(0)} s: ${size.size}`);
    }
    const bin = (tool) => sh('bash', ['-c', `ls -d /usr/lib/postgresql/*/bin/${tool} | sort -V | tail -1`]).trim() || tool;
    const conn = `-h '${server.host}' -p ${server.port} -U '${server.user}'`;
    const url = (db) => `postgresql://${server.user}@${server.host}:${server.port}/${db}`;
    let n = 0;
    let previous;
    const fresh = async () => {
      if (previous) await query(server, 'postgres', `drop database if exists ${previous} with (force)`);
      previous = `bench_copy_${++n}`;
      await createDatabase(server, previous);
      return previous;
    };
    const withTarget = async (_side, [cmd, args]) => {
      const db = await fresh();
      return [cmd, args.map((a) => a.replaceAll('@URL', url(db)).replaceAll('@DB', db))];
    };
    const ours = [process.execPath, [CLI, 'copy', '--from', url('bench'), '--to', '@URL', '--yes']];
    const theirs = ['bash', ['-c', `set -o pipefail; '${bin('pg_dump')}' ${conn} -Fc bench | '${bin('pg_restore')}' ${conn} -d @DB`]];
    // One untimed pg_dump first, so that neither side pays for reading the tables into the cache.
    if (runs > 0) timeOnce(bin('pg_dump'), ['-h', server.host, '-p', String(server.port), '-U', server.user, '-Fc', 'bench']);
    if (runs > 0) await compare('copy: node dist/cli.js copy (checks on) vs pg_dump -Fc src | pg_restore -d dst', ours, theirs, { ratio: 1.05, rssMb: Infinity }, { runs, before: withTarget });
    // pgcopydb 0.10 cannot take the 10,000 tables (each of its processes grew past 12 GB here):
    // its path is measured on the 8,000,000-row table alone, against our pipe and the hand pipe.
    await query(server, 'postgres', 'create database big template template0');
    await query(server, 'big', 'CREATE TABLE public.big_rows (id bigint primary key, label text, digest text, digest2 text, amount numeric(10,2), day date)');
    await query(server, 'big', `INSERT INTO public.big_rows SELECT g, 'row ' || g, md5(g::text), md5((g * 7)::text), (g % 100000) / 100.0, date '2024-01-01' + g % 366 FROM generate_series(1, ${BIG_ROWS}) g`);
    const bigRuns = Number(process.env.BENCH_COPY_JOBS_RUNS ?? 1);
    const bigTheirs = ['bash', ['-c', `set -o pipefail; '${bin('pg_dump')}' ${conn} -Fc big | '${bin('pg_restore')}' ${conn} -d @DB`]];
    const jobs = [process.execPath, [CLI, 'copy', '--from', url('big'), '--to', '@URL', '--jobs', '2', '--yes']];
    const pipe = [process.execPath, [CLI, 'copy', '--from', url('big'), '--to', '@URL', '--yes']];
    await compare('copy --jobs 2 (pgcopydb, checks on) of the 8,000,000-row table alone vs pg_dump -Fc | pg_restore', jobs, bigTheirs, undefined, { runs: bigRuns, before: withTarget });
    await compare('copy (pipe, checks on) of the 8,000,000-row table alone vs pg_dump -Fc | pg_restore', pipe, bigTheirs, undefined, { runs: bigRuns, before: withTarget });
  } finally {
    await server.stop();
  }
}

async function main() {
  const missing = ensureSystemPackages('bench');
  if (missing) throw new Error(missing);
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  if (!hasGnuTime()) throw new Error('the bench measures peak memory with GNU time: install Debian\'s "time" package');
  const only = process.argv[2];
  if (only === 'index') return benchIndex();
  if (only === 'dump') return benchDump();
  if (only === 'copy') return benchCopy();
  if (only === 'big-restore') return benchBigTable(sh('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin/pg_restore | sort -V | tail -1']).trim() || 'pg_restore');
  const archive = await benchArchive();
  const pgRestore = sh('bash', ['-c', 'ls -d /usr/lib/postgresql/*/bin/pg_restore | sort -V | tail -1']).trim() || 'pg_restore';
  const entries = sh(pgRestore, ['-l', archive]).split('\n').filter((l) => /^\d+;/.test(l)).length;
  console.log(`archive: ${archive} (${(statSync(archive).size / 1e6).toFixed(1)} MB, ${entries} listed entries), ${RUNS} runs each, alternating`);
  if (!only || only === 'list') {
    await compare('list: node dist/cli.js list FILE vs pg_restore -l FILE', [process.execPath, [CLI, 'list', archive]], [pgRestore, ['-l', archive]], { ratio: 0.8, rssMb: 200 });
  }
  if (!only || only === 'restore') await benchRestore(archive, pgRestore);
  if (!only || only === 'restore') await benchBigTable(pgRestore);
  if (!only) await benchIndex();
  if (!only) await benchDump();
  if (!only) await benchCopy();
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
