/**
 * Making dumps against the harness's real servers: every format gives the TOC a hand-run pg_dump
 * with the same options gives; selections with include and exclude patterns dump exactly the
 * tables pg_dump's rules select; a server newer than every pg_dump is refused before anything
 * starts; a cancelled and a failing dump leave nothing behind; and the `dump` command line.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { withDump } from '../../src/core/archive';
import { resolveConnection } from '../../src/core/connections/resolve';
import { planDump } from '../../src/core/dump/planDump';
import { runDump } from '../../src/core/dump/runDump';
import type { DumpEvent, DumpOptions, DumpProgress } from '../../src/core/dump/types';
import { cli, pgTool, testEnv } from '../support/env';
import { clientEnv, projectRoot } from '../support/fixtures';
import { query } from '../support/pgServer';
import { until } from '../support/poll';
import { connectionTo, dropCreatedDatabases, freshDatabase } from '../support/targetDb';

const RICH = 'rich';
const FLAG = { custom: '-Fc', directory: '-Fd', tar: '-Ft', plain: '-Fp' } as const;

/** The same options as pg_dump's own arguments, for the hand-run reference. */
function handArgs(o: DumpOptions): string[] {
  const args: string[] = [FLAG[o.format ?? 'custom']];
  if (o.compress) args.push(`--compress=${o.compress}`);
  if (o.jobs) args.push(`--jobs=${o.jobs}`);
  for (const p of o.schemas ?? []) args.push(`--schema=${p}`);
  for (const p of o.excludeSchemas ?? []) args.push(`--exclude-schema=${p}`);
  for (const p of o.tables ?? []) args.push(`--table=${p}`);
  for (const p of o.excludeTables ?? []) args.push(`--exclude-table=${p}`);
  for (const p of o.excludeTableData ?? []) args.push(`--exclude-table-data=${p}`);
  if (o.content === 'schema-only') args.push('--schema-only');
  if (o.content === 'data-only') args.push('--data-only');
  if (o.noOwner) args.push('--no-owner');
  if (o.noPrivileges) args.push('--no-privileges');
  return args;
}

/** The TOC entries of a dump, read by our reader: desc, namespace, tag and owner, in order. */
async function tocOf(file: string): Promise<string[]> {
  return withDump(file, async (opened) => opened.archive.entries.map((e) => [e.desc, e.namespace ?? '-', e.tag ?? '', e.owner ?? '-'].join(' | ')));
}

/** The TABLE entries of a dump as `schema.name`, sorted; and the tables whose rows it holds. */
async function tablesOf(file: string): Promise<{ tables: string[]; data: string[] }> {
  return withDump(file, async (opened) => {
    const names = (desc: string) => opened.archive.entries.filter((e) => e.desc === desc).map((e) => `${e.namespace}.${e.tag}`).sort();
    return { tables: names('TABLE'), data: names('TABLE DATA') };
  });
}

/** pg_restore -l without its header: what pg_restore itself sees in an archive. */
async function listing(file: string): Promise<string[]> {
  const r = await pgTool('pg_restore', ['-l', file], { encoding: 'utf8' });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.trim() && !l.startsWith(';'));
}

const sorted = (xs: string[]) => [...xs].sort();

/** Resolves once pg_dump (not our planning session) waits for a lock on `db`: it is certainly running. */
function pgDumpWaitsForLock(db: string): Promise<boolean> {
  return until(`pg_dump to wait for a lock on ${db}`, async () => {
    const [row] = await query<{ n: string }>(testEnv().server, 'postgres', "select count(*)::text as n from pg_stat_activity where datname = $1 and application_name = 'pg_dump' and wait_event_type = 'Lock'", [db]);
    return row?.n !== '0';
  });
}

describe('dump engine against a real server', function () {
  this.timeout(120_000);
  let dir: string;
  const out = (name: string) => path.join(dir, name);
  const rich = () => connectionTo(RICH);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-dump-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  after(() => dropCreatedDatabases());

  /** Runs our dump and the hand-run pg_dump with the same options; returns both paths and our result. */
  async function dumpBoth(name: string, options: DumpOptions, hand = handArgs(options)) {
    const events: DumpEvent[] = [];
    const result = await runDump(rich(), { path: out(name) }, options, { onEvent: (e) => events.push(e) });
    assert.equal(result.ok, true, result.errors.join('\n'));
    const reference = out(`reference-${path.basename(result.path)}`);
    const r = await pgTool('pg_dump', [...hand, '-f', reference, RICH], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    return { result, reference, events };
  }

  for (const format of ['custom', 'directory', 'tar', 'plain'] as const) {
    it(`${format}: the TOC of a hand-run pg_dump ${FLAG[format]}, entry for entry, checked and summed up`, async () => {
      const { result, reference, events } = await dumpBoth(`rich.${format}`, { format });
      assert.equal(result.path, out(`rich.${format}`));
      assert.deepEqual(await tocOf(result.path), await tocOf(reference));
      if (format !== 'plain') assert.deepEqual(await listing(result.path), await listing(reference));
      assert.deepEqual(result.check?.missingTables, []);
      assert.deepEqual(result.check?.dataProblems, []);
      assert.equal(result.check?.tables, 10);
      assert.match(result.summary, new RegExp(`^${result.check?.entries} entries, 10 tables, [\\d.]+ [kM]?B \\(\\d+% of the tables' [\\d.]+ [kM]B\\) in \\d+\\.\\d s$`));
      assert.match(result.command, /^pg_dump --verbose -F[cdtp] --file=\S+pgdx-partial-\d+ --host=127\.0\.0\.1 --port=\d+ --username=postgres --dbname=rich -w$/);
      // Progress: tables counted up to the total, the current table named on the way.
      const progress = events.filter((e): e is { kind: 'progress'; progress: DumpProgress } => e.kind === 'progress').map((e) => e.progress);
      assert.ok(progress.some((p) => p.current === 'sales.order_line'), 'a table named while it is dumped');
      assert.deepEqual(progress.at(-1), { tablesDone: 9, tablesTotal: 9, current: '', bytesWritten: result.bytes, bytesExpected: result.sourceBytes });
      assert.deepEqual(fs.readdirSync(dir).sort(), sorted([path.basename(result.path), path.basename(reference)]), 'nothing else is left beside it');
    });
  }

  it('plain with --compress gzip writes .sql.gz, read back through gzip', async () => {
    // pg_dump 15 takes a gzip level: gzip is zlib's default, 6.
    const { result, reference } = await dumpBoth('rich.sql', { format: 'plain', compress: 'gzip' }, ['-Fp', '--compress=6']);
    assert.equal(result.path, out('rich.sql.gz'));
    assert.equal(fs.readFileSync(result.path).subarray(0, 2).toString('hex'), '1f8b');
    assert.deepEqual(await tocOf(result.path), await tocOf(reference));
    assert.equal(result.check?.tables, 10);
  });

  it('directory with --jobs 2: the TOC of pg_dump -Fd -j 2', async () => {
    const { result, reference } = await dumpBoth('rich.dir', { format: 'directory', jobs: 2 });
    assert.deepEqual(await listing(result.path), await listing(reference));
    assert.equal(result.ok, true);
  });

  describe('selections: exactly the tables pg_dump selects', () => {
    const SALES = ['sales.customer', 'sales.measurement', 'sales.measurement_2024', 'sales.measurement_2025', 'sales.order', 'sales.order_line'];
    const PUBLIC = ['public.bulk "odd" name', 'public.bulk_rows', 'public.ünïcødé_tàble'];
    const cases: { title: string; options: DumpOptions; tables: string[]; data?: string[] }[] = [
      { title: 'one schema (-n sales)', options: { schemas: ['sales'] }, tables: SALES },
      { title: 'schemas excluded, one quoted (-N sales -N "Audit Log")', options: { excludeSchemas: ['sales', '"Audit Log"'] }, tables: PUBLIC },
      { title: 'a wildcard less an exclusion (-t sales.order* -T sales.order_line)', options: { tables: ['sales.order*'], excludeTables: ['sales.order_line'] }, tables: ['sales.order'] },
      { title: 'quoted names and ? (-t "Audit Log".* -t public.bulk?rows)', options: { tables: ['"Audit Log".*', 'public.bulk?rows'] }, tables: ['Audit Log.Event "Quoted" Name', 'public.bulk_rows'] },
      { title: 'an unqualified name matches the visible table, letters folded (-t BULK_ROWS)', options: { tables: ['BULK_ROWS'] }, tables: ['public.bulk_rows'] },
      { title: '-t makes -n irrelevant (-n sales -t public.bulk_rows)', options: { schemas: ['sales'], tables: ['public.bulk_rows'] }, tables: ['public.bulk_rows'] },
      {
        title: 'rows of one table left out (-n sales --exclude-table-data sales.order_line)',
        options: { schemas: ['sales'], excludeTableData: ['sales.order_line'] },
        tables: SALES,
        data: ['sales.customer', 'sales.measurement_2024', 'sales.measurement_2025', 'sales.order'],
      },
    ];
    for (const c of cases) {
      it(c.title, async () => {
        const plan = await planDump(rich(), c.options);
        assert.deepEqual(sorted(plan.tables.map((t) => `${t.schema}.${t.name}`)), sorted(c.tables), 'the plan');
        const { result, reference } = await dumpBoth('sel.dump', c.options);
        const ours = await tablesOf(result.path);
        assert.deepEqual(ours.tables, sorted(c.tables), 'the dump');
        assert.deepEqual(ours.data, sorted(c.data ?? c.tables.filter((t) => t !== 'sales.measurement')), 'the rows');
        assert.deepEqual(await listing(result.path), await listing(reference), 'the hand-run pg_dump');
      });
    }

    it('a table pattern that matches nothing is refused before pg_dump starts, as pg_dump refuses it', async () => {
      await assert.rejects(planDump(rich(), { tables: ['sales.nothing*'] }), /^DumpError: no matching tables were found for sales\.nothing\*$/);
      await assert.rejects(runDump(rich(), { path: out('x.dump') }, { schemas: ['nope'] }), /no matching schemas were found for nope/);
      assert.deepEqual(fs.readdirSync(dir), []);
    });
  });

  it('a PostgreSQL 18 server is refused before anything starts: our pg_dump 15 is too old, and the message says so', async () => {
    const second = testEnv().secondServer;
    assert.ok(second, 'the harness starts a second server');
    const connection = connectionTo('postgres', second);
    const refusal = /^DumpError: the server runs PostgreSQL 18\.\d+, and pg_dump must be of major 18 or newer; the newest found is pg_dump 15\.\d+ at \S+: install the PostgreSQL 18 client programs$/;
    await assert.rejects(planDump(connection), refusal);
    await assert.rejects(runDump(connection, { path: out('pg18.dump') }), refusal);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('a password goes in a temporary password file, never on the command line', async () => {
    const { server } = testEnv();
    // The test server trusts every local connection: the password is carried, not checked.
    const withPassword = resolveConnection({ host: server.host, port: server.port, user: server.user, dbname: RICH, password: 's3cret-word' }, { env: {} });
    const plan = await planDump(withPassword, { tables: ['sales.customer'] }, {}, { path: out('pw.dump') });
    assert.doesNotMatch(plan.command, /s3cret/);
    const result = await runDump(withPassword, { path: out('pw.dump') }, { tables: ['sales.customer'] }, {}, plan);
    assert.equal(result.ok, true, result.errors.join('\n'));
    assert.equal(result.command, plan.command, 'the command shown is the one that ran');
  });

  it('an existing target is kept unless it may be replaced; a folder that is not a directory dump is never replaced', async () => {
    fs.writeFileSync(out('old.dump'), 'old');
    await assert.rejects(runDump(rich(), { path: out('old.dump') }, { tables: ['sales.customer'] }), /old\.dump exists already/);
    assert.equal(fs.readFileSync(out('old.dump'), 'utf8'), 'old');
    const replaced = await runDump(rich(), { path: out('old.dump'), overwrite: true }, { tables: ['sales.customer'] });
    assert.equal(replaced.ok, true);
    assert.deepEqual((await tablesOf(out('old.dump'))).tables, ['sales.customer']);
    fs.mkdirSync(out('photos'));
    fs.writeFileSync(path.join(out('photos'), 'cat.jpg'), 'meow');
    await assert.rejects(runDump(rich(), { path: out('photos'), overwrite: true }, { format: 'directory' }), /not a directory dump: it is not replaced/);
    assert.deepEqual(fs.readdirSync(out('photos')), ['cat.jpg']);
  });

  describe('failure and cancel leave no file under the target name and no temporary file', () => {
    let db: string;
    const role = `pgdx_dump_reader_${process.pid}`;
    before(async () => {
      db = await freshDatabase('dump_src');
      const { server } = testEnv();
      await query(server, db, `create table public.open_t (id int primary key); insert into public.open_t select generate_series(1, 1000);
                               create table public.secret_t (id int); insert into public.secret_t values (1);
                               create role ${role} login; grant select on public.open_t to ${role}`);
    });
    after(async () => {
      await dropCreatedDatabases();
      await query(testEnv().server, 'postgres', `drop role if exists ${role}`);
    });

    it('a table the role may not read: the error names it and the privilege; nothing is left', async () => {
      const { server } = testEnv();
      const asReader = resolveConnection({ host: server.host, port: server.port, user: role, dbname: db }, { env: {} });
      const errors: string[] = [];
      for (const format of ['custom', 'directory'] as const) {
        const result = await runDump(asReader, { path: out(`secret.${format}`) }, { format }, { onEvent: (e) => e.kind === 'error' && errors.push(e.message) });
        assert.equal(result.ok, false);
        assert.equal(result.cancelled, false);
        assert.deepEqual(result.errors, ['permission denied for table public.secret_t: the role needs SELECT on it']);
        assert.equal(result.check, undefined);
        assert.deepEqual(fs.readdirSync(dir), [], `${format}: nothing left`);
      }
      assert.equal(errors.length, 2, 'each error reported as it came');
    });

    for (const format of ['custom', 'directory'] as const) {
      it(`${format}: a dump cancelled while pg_dump waits for a lock ends it`, async () => {
        const { server } = testEnv();
        const plan = await planDump(connectionTo(db), { format }, {}, { path: out(`cancel.${format}`) });
        const blocker = new Client({ host: server.host, port: server.port, user: server.user, database: db });
        blocker.on('error', () => undefined);
        await blocker.connect();
        try {
          await blocker.query('begin');
          await blocker.query('lock table public.open_t in access exclusive mode');
          const controller = new AbortController();
          const progressAt: number[] = [];
          const onEvent = (e: DumpEvent) => e.kind === 'progress' && progressAt.push(Date.now());
          const running = runDump(connectionTo(db), { path: out(`cancel.${format}`) }, { format }, { signal: controller.signal, onEvent }, plan);
          await pgDumpWaitsForLock(db);
          // While pg_dump says nothing, progress still comes once a second (the output's size).
          const from = progressAt.length;
          await until('two more progress events', () => progressAt.length >= from + 2, { timeoutMs: 5000 });
          assert.ok(progressAt.at(-1)! - progressAt.at(-2)! < 1500, `${progressAt.at(-1)! - progressAt.at(-2)!} ms between progress events`);
          controller.abort();
          const result = await running;
          assert.equal(result.cancelled, true);
          assert.equal(result.ok, false);
        } finally {
          await blocker.query('rollback').catch(() => undefined);
          await blocker.end();
        }
        assert.deepEqual(fs.readdirSync(dir), []);
        await until("pg_dump's session to be gone", async () => {
          const [left] = await query<{ n: string }>(server, 'postgres', "select count(*)::text as n from pg_stat_activity where datname = $1 and application_name = 'pg_dump'", [db]);
          return left?.n === '0';
        });
      });
    }

    describe('the dump command line', () => {
      it('prints the source, the pg_dump and why, the command, progress lines and the summary; exit 0', async () => {
        const r = await cli(['dump', '--dbname', RICH, '--file', out('cli.dump'), '--schema', 'sales'], { encoding: 'utf8' });
        assert.equal(r.exitCode, 0, r.stderr);
        const lines = r.stderr.trimEnd().split('\n');
        const { server } = testEnv();
        assert.match(lines[0]!, new RegExp(`^source: 127\\.0\\.0\\.1:${server.port}/rich, PostgreSQL 15\\.\\d+$`));
        assert.match(lines[1]!, /^using pg_dump 15\.\d+ at \S+: the newest found; the server runs PostgreSQL 15\.\d+, so pg_dump 15 or newer$/);
        assert.equal(lines[2], 'selected: 6 tables', 'their sizes are asked while pg_dump runs');
        assert.match(lines[3]!, /^command: pg_dump --verbose -Fc --schema=sales --file=\S+\.cli\.dump\.pgdx-partial-\d+ --host=127\.0\.0\.1 .* -w$/);
        // Bytes written, and of how many once the sizes asked beside pg_dump have come.
        assert.ok(lines.some((l) => /^\[\d\/5 tables\] \([\d.]+ k?B( of [\d.]+ kB)?\) sales\.order_line$/.test(l)), r.stderr);
        assert.ok(lines.some((l) => /^\[5\/5 tables\] \([\d.]+ kB of [\d.]+ kB\)$/.test(l)), r.stderr);
        assert.match(lines.at(-1)!, /^dumped \S+cli\.dump: \d+ entries, 6 tables, [\d.]+ kB \(\d+% of the tables' [\d.]+ kB\) in \d+\.\d s$/);
        assert.deepEqual((await tablesOf(out('cli.dump'))).tables.length, 6);
      });

      it('an existing file is not replaced without --yes when there is no terminal to ask (exit 4); --yes replaces it', async () => {
        fs.writeFileSync(out('keep.dump'), 'keep me');
        const r = await cli(['dump', '--dbname', RICH, '--file', out('keep.dump'), '--table', 'sales.customer'], { encoding: 'utf8' });
        assert.equal(r.exitCode, 4, r.stderr);
        assert.match(r.stderr, /keep\.dump exists already: nothing was written \(add --yes to replace it\)/);
        assert.equal(fs.readFileSync(out('keep.dump'), 'utf8'), 'keep me');
        const yes = await cli(['dump', '--dbname', RICH, '--file', out('keep.dump'), '--table', 'sales.customer', '--yes'], { encoding: 'utf8' });
        assert.equal(yes.exitCode, 0, yes.stderr);
        assert.deepEqual((await tablesOf(out('keep.dump'))).tables, ['sales.customer']);
      });

      it('refusals before the start: PostgreSQL 18 and lz4 with pg_dump 15 exit 4, usage errors 2, a missing database 1', async () => {
        const second = testEnv().secondServer!;
        const pg18 = await cli(['dump', '--dbname', `postgresql://${second.user}@${second.host}:${second.port}/postgres`, '--file', out('x.dump')], { encoding: 'utf8' });
        assert.equal(pg18.exitCode, 4, pg18.stderr);
        assert.match(pg18.stderr, /^pg-dump-explorer: error: the server runs PostgreSQL 18\.\d+, and pg_dump must be of major 18 or newer; the newest found is pg_dump 15/);
        const lz4 = await cli(['dump', '--dbname', RICH, '--file', out('x.dump'), '--compress', 'lz4'], { encoding: 'utf8' });
        assert.equal(lz4.exitCode, 4, lz4.stderr);
        assert.match(lz4.stderr, /pg_dump 15\.\d+ compresses with gzip only: lz4 needs pg_dump 16 or newer/);
        for (const args of [['--file', out('x.dump')], ['--dbname', RICH], ['--dbname', RICH, '--file', out('x.dump'), '--format', 'zip'], ['--dbname', RICH, '--file', out('x.dump'), '--jobs', '2']]) {
          const r = await cli(['dump', ...args], { encoding: 'utf8' });
          assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
        }
        const missing = await cli(['dump', '--dbname', 'no_such_db', '--file', out('x.dump')], { encoding: 'utf8' });
        assert.equal(missing.exitCode, 1, missing.stderr);
        assert.deepEqual(fs.readdirSync(dir), []);
      });

      it('pg_dump fails: the error names the table and the privilege; exit 5, nothing written', async () => {
        const { server } = testEnv();
        const r = await cli(['dump', '--dbname', `postgresql://${role}@${server.host}:${server.port}/${db}`, '--file', out('fail.dump')], { encoding: 'utf8' });
        assert.equal(r.exitCode, 5, r.stderr);
        assert.match(r.stderr, /^error: permission denied for table public\.secret_t: the role needs SELECT on it$/m);
        assert.match(r.stderr.trimEnd().split('\n').at(-1)!, /^dump failed: nothing was written to \S+fail\.dump$/);
        assert.deepEqual(fs.readdirSync(dir), []);
      });

      it('Ctrl-C cancels: exit 130, no file left', async () => {
        const { server } = testEnv();
        const blocker = new Client({ host: server.host, port: server.port, user: server.user, database: db });
        blocker.on('error', () => undefined);
        await blocker.connect();
        try {
          await blocker.query('begin');
          await blocker.query('lock table public.open_t in access exclusive mode');
          const child = spawn(process.execPath, [path.join(projectRoot, 'dist', 'cli.js'), 'dump', '--dbname', db, '--file', out('int.dump')], { env: clientEnv(server), stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
          const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
          // The plan reads the sizes from the catalog after a second (the lock holds pg_total_relation_size up too).
          await pgDumpWaitsForLock(db);
          child.kill('SIGINT');
          assert.equal(await exited, 130, stderr);
          assert.match(stderr, /^cancelled: nothing was written to \S+int\.dump$/m);
        } finally {
          await blocker.query('rollback').catch(() => undefined);
          await blocker.end();
        }
        assert.deepEqual(fs.readdirSync(dir), []);
      });
    });
  });
});
