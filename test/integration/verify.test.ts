/**
 * The restore drill against real servers: good dumps of every format restore cleanly on a
 * throwaway server started from the machine's PostgreSQL binaries (and on the harness's server
 * with --server); a corrupted data block, a dump cut short and a missing extension each fail
 * with the entry named. No scratch database, server process or temporary folder is left behind.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withArchive } from '../../src/core/archive';
import { resolveConnection, type ResolvedConnection } from '../../src/core/connections/resolve';
import { findPgRestoreFor } from '../../src/core/tools/findTools';
import { reportPaths } from '../../src/core/verify/report';
import { verifyDump, type VerifyOptions, type VerifyReport } from '../../src/core/verify/verify';
import { cli, fixturePath, testEnv } from '../support/env';
import { query } from '../support/pgServer';

let tmp: string;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-verify-test-'));
  // As root the throwaway server runs as another user, who must reach its folder in here.
  fs.chmodSync(tmp, 0o755);
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The harness's server, as `--server` would name it. */
function harnessServer(): ResolvedConnection {
  const { server } = testEnv();
  return resolveConnection({ host: server.host, port: server.port, user: server.user, dbname: 'postgres' }, { env: {}, home: os.tmpdir(), sysconfDirs: [] });
}

async function scratchDatabases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(testEnv().server, 'postgres', "select datname from pg_database where datname like 'pgdx_verify_%'");
  return rows.map((r) => r.datname);
}

/** Server processes whose command line names a folder under `dir`. */
function serverProcessesIn(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes(dir));
}

let serial = 0;

/**
 * verifyDump with its throwaway server's folder in a private folder of this test, then the checks
 * that nothing is left behind: no folder, no server process, no scratch database on the harness.
 */
async function verify(file: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const own = path.join(tmp, `run-${++serial}`);
  fs.mkdirSync(own, { mode: 0o755 });
  const scratchBefore = await scratchDatabases();
  let report: VerifyReport;
  try {
    report = await verifyDump(file, { ...options, tmpDir: own });
  } finally {
    assert.deepEqual(fs.readdirSync(own), [], 'the throwaway server folder is removed');
    assert.deepEqual(serverProcessesIn(own), [], 'no server process of the drill is left');
    assert.deepEqual(await scratchDatabases(), scratchBefore, 'no scratch database is left on the harness server');
  }
  return report;
}

function assertClean(report: VerifyReport): void {
  assert.deepEqual(report.failures, [], `failures: ${JSON.stringify(report.failures, null, 1)}`);
  assert.equal(report.ok, true);
  assert.equal(report.verdict, 'restores cleanly');
  // A plain dump does not name its database: then it is named by the file.
  const db = report.databases.find((d) => d.name === 'rich') ?? (report.databases.length === 1 ? report.databases[0] : undefined);
  assert.ok(db, `the rich database was verified: ${report.databases.map((d) => d.name).join(', ')}`);
  assert.equal(db.tables.length, 9, 'every table with data was compared');
  assert.ok(db.tables.every((t) => t.matches));
  assert.equal(db.tables.find((t) => t.table === 'public.bulk_rows')?.databaseRows, 5000);
  const kinds = new Map(db.objects.map((k) => [k.kind, k]));
  assert.equal(kinds.get('TABLE')?.database, 10);
  assert.equal(kinds.get('CONSTRAINT')?.database, 7);
  assert.equal(kinds.get('FK CONSTRAINT')?.database, 2);
  assert.ok(db.objects.every((k) => k.matches));
  assert.ok(db.analyzed >= 9, `analyzed ${db.analyzed}`);
  assert.equal(db.sequences.length, 3);
  for (const phase of ['server', 'restore', 'analyze', 'sequences', 'rows', 'objects', 'clean up']) assert.ok(report.phases.some((p) => p.phase === phase), `phase ${phase} timed`);
  assert.match(report.server.version, /^\d+\.\d+/);
  assert.ok(report.tools.length > 0);
}

/** A copy of a fixture in this test's folder, changed by `edit`. */
function editedCopy(name: string, as: string, edit: (b: Buffer) => Buffer): string {
  const out = path.join(tmp, as);
  fs.writeFileSync(out, edit(fs.readFileSync(fixturePath(name))));
  return out;
}

describe('verify: good dumps restore cleanly on a throwaway server', function () {
  this.timeout(180_000);

  for (const name of ['custom.dump', 'dir-gzip', 'archive.tar', 'plain.sql', 'plain.sql.gz']) {
    it(name, async () => {
      // While the drill runs, its server is in the process table (so the check afterwards can fail).
      let running: string[] = [];
      const report = await verify(fixturePath(name), {
        onEvent: (e) => {
          if (e.kind === 'phase' && e.phase === 'restore') running = serverProcessesIn(tmp);
        },
      });
      assert.ok(running.length > 0, 'the throwaway server ran');
      assertClean(report);
      assert.equal(report.server.kind, 'throwaway');
      assert.deepEqual(report.roles.created.sort(), ['app_owner', 'app_reader'], 'the roles the dump names were created for the drill');
    });
  }

  it('a temporary folder too long for a unix socket: the server is reached over TCP with its password', async () => {
    const long = path.join(tmp, 'a-temporary-folder-whose-path-is-longer-than-a-unix-socket-path-may-be'.padEnd(90, '-'));
    fs.mkdirSync(long, { mode: 0o755 });
    const report = await verifyDump(fixturePath('custom.dump'), { tmpDir: long });
    assertClean(report);
    assert.deepEqual(fs.readdirSync(long), []);
    assert.deepEqual(serverProcessesIn(long), []);
  });

  it('a pg_dumpall script: its roles, then each of its databases', async () => {
    const report = await verify(fixturePath('cluster.sql'));
    assertClean(report);
    assert.equal(report.format, 'pg_dumpall script');
  });

  it('a directory dump in parallel (--jobs 2)', async () => {
    const report = await verify(fixturePath('dir-j2'), { jobs: 2 });
    assertClean(report);
    assert.match(report.databases[0]!.restoreCommand, /--jobs=2/);
  });
});

describe('verify: on a named server (--server)', function () {
  this.timeout(180_000);

  it('a good dump: the scratch database is created there and dropped afterwards', async () => {
    let seen: string[] = [];
    const report = await verify(fixturePath('custom.dump'), {
      server: harnessServer(),
      onEvent: (e) => {
        if (e.kind === 'phase' && e.phase === 'analyze') void scratchDatabases().then((d) => (seen = d));
      },
    });
    assertClean(report);
    assert.equal(report.server.kind, 'given');
    assert.equal(report.roles.handling, 'created');
    assert.deepEqual(report.roles.created, [], 'the harness server has the roles already');
    assert.match(report.databases[0]!.scratch, /^pgdx_verify_rich_\d{14}_[0-9a-f]{4}$/);
    assert.ok(seen.length === 0 || seen.includes(report.databases[0]!.scratch));
  });

  it('as a user who is not a superuser: --no-owner --no-privileges, said in the report', async () => {
    const { server } = testEnv();
    const user = `pgdx_verify_creator_${process.pid}`;
    await query(server, 'postgres', `create role ${user} login createdb`);
    try {
      const connection = resolveConnection({ host: server.host, port: server.port, user, dbname: 'postgres' }, { env: {}, home: os.tmpdir(), sysconfDirs: [] });
      const report = await verify(fixturePath('custom.dump'), { server: connection });
      assertClean(report);
      assert.equal(report.roles.handling, 'no-owner');
      assert.match(report.roles.note, /is not a superuser: restored with --no-owner --no-privileges/);
      assert.match(report.databases[0]!.restoreCommand, /--no-owner --no-privileges/);
    } finally {
      await query(server, 'postgres', `drop role ${user}`);
    }
  });

  it('--keep leaves the scratch database, with its rows', async () => {
    const server = harnessServer();
    const report = await verifyDump(fixturePath('custom.dump'), { server, keep: true });
    try {
      assert.equal(report.ok, true);
      assert.deepEqual(report.kept, [report.databases[0]!.scratch]);
      const rows = await query<{ n: string }>(testEnv().server, report.kept[0]!, 'select count(*)::text as n from public.bulk_rows');
      assert.equal(rows[0]?.n, '5000');
    } finally {
      for (const db of report.kept) await query(testEnv().server, 'postgres', `drop database "${db}" with (force)`);
    }
  });

  it('a corrupted table data block fails with its entry named, and the scratch database is dropped', async () => {
    // Custom archive without compression: the COPY text is in the file as is; one digit becomes a letter.
    const file = editedCopy('custom-z0.dump', 'corrupt.dump', (b) => {
      const at = b.indexOf('2\trow 2\t');
      assert.ok(at > 0, 'the row is in the archive');
      b.write('X', at, 'latin1');
      return b;
    });
    const report = await verify(file, { server: harnessServer() });
    assert.equal(report.ok, false);
    assert.match(report.verdict, /^does not restore cleanly/);
    const restore = report.failures.find((f) => f.check === 'restore');
    assert.ok(restore, JSON.stringify(report.failures));
    assert.equal(restore.entry, 'TABLE DATA public.bulk_rows');
    assert.match(restore.message, /invalid input syntax for type integer: "X"/);
    const rows = report.failures.find((f) => f.check === 'rows');
    assert.equal(rows?.entry, 'TABLE DATA public.bulk_rows');
    assert.match(rows?.message ?? '', /^0 rows in the database, 5000 in the dump/);
    // Nothing else failed: the other tables restored.
    assert.deepEqual([...new Set(report.failures.map((f) => f.entry))], ['TABLE DATA public.bulk_rows']);
  });

  it('a cancel during the restore drops the scratch database', async () => {
    const controller = new AbortController();
    const report = await verify(fixturePath('custom.dump'), {
      server: harnessServer(),
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'restore' && e.event.kind === 'stage') controller.abort();
      },
    });
    assert.equal(report.cancelled, true);
    assert.equal(report.ok, false);
    assert.equal(report.verdict, 'cancelled');
  });
});

describe('verify: broken dumps fail with the entry named (throwaway server)', function () {
  this.timeout(180_000);

  it('a dump cut short in the middle of a table data block', async () => {
    const file = editedCopy('custom-z0.dump', 'cut.dump', (b) => {
      const at = b.indexOf('2500\trow 2500\t');
      assert.ok(at > 0);
      return b.subarray(0, at);
    });
    const report = await verify(file);
    assert.equal(report.ok, false);
    const cut = report.failures.filter((f) => f.entry === 'TABLE DATA public.bulk_rows');
    assert.deepEqual(
      cut.map((f) => f.check),
      ['read'],
      JSON.stringify(report.failures, null, 1),
    );
    assert.match(cut[0]!.message, /incomplete: .*cut short/);
    // What lies beyond the cut is named too: the tables after it, and the post-data the restore never reached.
    assert.ok(report.failures.some((f) => f.entry === 'TABLE DATA sales.order_line' && f.check === 'read'));
    assert.ok(report.failures.some((f) => f.entry === 'CONSTRAINT sales.order order_pkey' && f.check === 'objects'));
  });

  it('a restore failing on a missing extension', async () => {
    // What pg_dump writes for an extension, for one this server does not have.
    const extension = '--\n-- Name: pgdx_missing_ext; Type: EXTENSION; Schema: -; Owner: -\n--\n\nCREATE EXTENSION IF NOT EXISTS pgdx_missing_ext WITH SCHEMA public;\n\n\n';
    const file = editedCopy('plain.sql', 'extension.sql', (b) => {
      const text = b.toString('utf8');
      const at = text.indexOf('--\n-- Name: ');
      assert.ok(at > 0);
      return Buffer.from(text.slice(0, at) + extension + text.slice(at), 'utf8');
    });
    const report = await verify(file);
    assert.equal(report.ok, false);
    const failure = report.failures.find((f) => f.entry === 'EXTENSION pgdx_missing_ext');
    assert.ok(failure, JSON.stringify(report.failures, null, 1));
    assert.equal(failure.check, 'restore');
    assert.match(failure.message, /extension "pgdx_missing_ext" is not available|could not open extension control file/);
    // The extension is missing from the objects too; everything else restored.
    assert.ok(report.failures.some((f) => f.check === 'objects' && f.entry === 'EXTENSION pgdx_missing_ext'));
    assert.ok(report.databases[0]!.tables.every((t) => t.matches));
  });

  it('a sequence the dump leaves behind its column', async () => {
    const file = editedCopy('plain.sql', 'sequence.sql', (b) => {
      const text = b.toString('utf8');
      const setval = /SELECT pg_catalog\.setval\('sales\.order_id_seq', \d+, true\);/;
      assert.match(text, setval);
      return Buffer.from(text.replace(setval, "SELECT pg_catalog.setval('sales.order_id_seq', 5, true);"), 'utf8');
    });
    const report = await verify(file);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.failures.map((f) => `${f.check} ${f.entry}`),
      ['sequences SEQUENCE sales.order_id_seq'],
    );
    assert.match(report.failures[0]!.message, /^behind its column sales\.order\.id: the next value would be 6, the column holds up to 2000$/);
  });

  it('no PostgreSQL server programs to be found: one line asking for --server', async () => {
    const path0 = process.env.PATH;
    // Only the folder of node itself on PATH, and no standard locations: no initdb anywhere.
    process.env.PATH = path.dirname(process.execPath);
    try {
      await assert.rejects(verify(fixturePath('plain.sql'), { standardLocations: false }), (err: Error) => {
        assert.equal(err.message, 'no PostgreSQL server programs (initdb, pg_ctl, postgres) found on PATH or in the usual install locations to start a throwaway server: install the PostgreSQL server package, or verify on a server you name (--server CONNINFO_OR_URI)');
        return true;
      });
    } finally {
      process.env.PATH = path0;
    }
  });

  it('a cancel on the throwaway server stops and removes it', async () => {
    const controller = new AbortController();
    const report = await verify(fixturePath('custom.dump'), {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'restore' && e.event.kind === 'stage') controller.abort();
      },
    });
    assert.equal(report.cancelled, true);
  });
});

describe('verify: the CLI', function () {
  this.timeout(180_000);

  it('verify FILE --json: exit 0, the report beside the dump, the JSON on stdout', async () => {
    const dump = path.join(tmp, 'cli.dump');
    fs.copyFileSync(fixturePath('custom.dump'), dump);
    const before = fs.readFileSync(dump);
    const r = await cli(['verify', dump, '--json'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    const report = JSON.parse(r.stdout) as VerifyReport;
    assert.equal(report.verdict, 'restores cleanly');
    assert.match(r.stderr, /cli\.dump: restores cleanly/);
    const paths = reportPaths(dump);
    assert.equal(paths.markdown, `${dump}.verify.md`);
    assert.match(fs.readFileSync(paths.markdown, 'utf8'), /\*\*Verdict: ✓ restores cleanly\*\*/);
    assert.equal((JSON.parse(fs.readFileSync(paths.json, 'utf8')) as VerifyReport).ok, true);
    assert.ok(fs.readFileSync(dump).equals(before), 'the dump is not written');
  });

  it('a failing dump: exit 6, each failed entry on stderr, the report at --report', async () => {
    const file = editedCopy('custom-z0.dump', 'cli-corrupt.dump', (b) => {
      b.write('X', b.indexOf('2\trow 2\t'), 'latin1');
      return b;
    });
    const report = path.join(tmp, 'reports', 'corrupt.md');
    const r = await cli(['verify', file, '--server', `host=${testEnv().server.host} port=${testEnv().server.port} user=${testEnv().server.user} dbname=postgres`, '--report', report], { encoding: 'utf8' });
    assert.equal(r.exitCode, 6, r.stderr);
    assert.match(r.stderr, /failed: entry \d+ \(TABLE DATA public\.bulk_rows\): invalid input syntax/);
    assert.match(fs.readFileSync(report, 'utf8'), /## What failed/);
    assert.ok(fs.existsSync(path.join(tmp, 'reports', 'corrupt.json')));
  });

  it('Ctrl-C during the restore: exit 130, the throwaway server stopped and its folder removed', async () => {
    const own = fs.mkdtempSync(path.join(tmp, 'sigint-'));
    fs.chmodSync(own, 0o755);
    const child = spawn(process.execPath, [path.join(testEnv().projectRoot, 'dist', 'cli.js'), 'verify', fixturePath('custom.dump'), '--report', path.join(tmp, 'sigint.md')], {
      env: { ...process.env, TMPDIR: own },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let interrupted = false;
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (!interrupted && /^restore…$/m.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.ok(interrupted, `the restore was reached: ${stderr}`);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /: cancelled/);
    assert.deepEqual(fs.readdirSync(own), [], 'the throwaway server folder is removed');
    assert.deepEqual(serverProcessesIn(own), []);
  });

  it('an archive no pg_restore here can read: exit 4, and no server is started for it', async function () {
    const file = path.join(testEnv().sharedFixturesDir, 'pg18-rich.custom.dump');
    const readable = await withArchive(file, (o) => findPgRestoreFor(o.archive.header.version).then(() => true, () => false));
    if (readable) this.skip();
    const r = await cli(['verify', file, '--report', path.join(tmp, 'pg18.md')], { encoding: 'utf8' });
    assert.equal(r.exitCode, 4, r.stderr);
    assert.match(r.stderr, /cannot verify: this archive \(format 1\.16\) needs pg_restore 17 or newer/);
    assert.match(r.stderr, /pg18-rich\.custom\.dump: could not be verified/);
    assert.doesNotMatch(r.stderr, /^server…$/m);
  });

  it('--keep without --server is a usage error', async () => {
    const r = await cli(['verify', fixturePath('custom.dump'), '--keep'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 2);
    assert.match(r.stderr, /--keep needs --server/);
  });
});
