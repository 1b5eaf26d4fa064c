/**
 * After-restore work against the real pg_restore and the harness's throwaway server: restores
 * made with buildPlan + writeRestoreList (a -L list), then postRestore's ANALYZE, sequence fixes
 * and row counts, checked in the catalogs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { type OpenedArchive, openArchive, withArchive } from '../../src/core/archive';
import { resolveConnection, type ResolvedConnection } from '../../src/core/connections/resolve';
import { copyRows } from '../../src/core/data/copyRows';
import { countArchiveRows, holdsCopyData } from '../../src/core/data/countRows';
import { countRowsInProcess, rowCounterBeside } from '../../src/core/data/rowCounterProcess';
import { buildPlan, type RestorePlan } from '../../src/core/plan/closure';
import { writeRestoreList } from '../../src/core/plan/listFile';
import type { Selection } from '../../src/core/plan/selection';
import { openServerSession } from '../../src/core/server/session';
import { describePostRestore, postRestore, startArchiveCounts, type PostRestoreReport, type SequenceFix } from '../../src/core/target/postRestore';
import { fixturePath, pgTool, testEnv } from '../support/env';
import { projectRoot } from '../support/fixtures';
import { createDatabase, query } from '../support/pgServer';
import { until } from '../support/poll';

// ---------------------------------------------------------------------------------------------
// Helpers

let serial = 0;
const created: string[] = [];

/** A new empty database with a name no other test uses; dropped in `after`. */
async function freshDatabase(label: string): Promise<string> {
  const name = `pgdx_post_${label}_${process.pid}_${++serial}`;
  await createDatabase(testEnv().server, name);
  created.push(name);
  return name;
}

function connectionTo(db: string): ResolvedConnection {
  const { server } = testEnv();
  return resolveConnection({ host: server.host, port: server.port, user: server.user, dbname: db }, { env: {}, home: os.tmpdir(), sysconfDirs: [] });
}

let tmp: string;

/** Restores what the plan selects with the real pg_restore and a -L list; returns its stderr. */
async function restorePlan(file: string, plan: RestorePlan, archive: OpenedArchive['archive'], db: string, extra: string[] = []): Promise<string> {
  const list = path.join(tmp, `${db}.list`);
  fs.writeFileSync(list, writeRestoreList(archive, plan));
  const r = await pgTool('pg_restore', ['-d', db, '-L', list, ...extra, file], { encoding: 'utf8' });
  assert.equal(r.exitCode, 0, r.stderr);
  return r.stderr;
}

/** analyze_count (manual ANALYZE only; autovacuum's are counted apart) of every user relation. */
async function analyzeCounts(db: string): Promise<Map<string, number>> {
  const rows = await query<{ name: string; n: string }>(testEnv().server, db, 'select schemaname || \'.\' || relname as name, analyze_count::text as n from pg_stat_user_tables');
  return new Map(rows.map((r) => [r.name, Number(r.n)]));
}

/** The relations whose analyze_count went up between two snapshots. */
function analyzedBetween(before: Map<string, number>, after: Map<string, number>): string[] {
  return [...after].filter(([name, n]) => n > (before.get(name) ?? 0)).map(([name]) => name).sort();
}

async function sql<Row extends Record<string, unknown> = Record<string, unknown>>(db: string, text: string): Promise<Row[]> {
  return query<Row>(testEnv().server, db, text);
}

const seq = (report: PostRestoreReport, name: string): SequenceFix => {
  const s = report.sequences.find((x) => x.sequence === name);
  assert.ok(s, `no sequence ${name} in ${JSON.stringify(report.sequences.map((x) => x.sequence))}`);
  return s;
};

describe('postRestore', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-post-'));
  });
  after(async () => {
    fs.rmSync(tmp, { recursive: true, force: true });
    for (const db of created) await query(testEnv().server, 'postgres', `drop database if exists "${db}" with (force)`);
  });

  // ---------------------------------------------------------------------------------------------

  describe('countArchiveRows on every archive format pg_dump writes', () => {
    const FORMATS = ['custom.dump', 'custom-z0.dump', 'custom-piped.dump', 'dir-gzip', 'dir-z0', 'dir-j2', 'archive.tar'];

    it('each table\'s count equals copyRows\' count and count(*) in the database the archives were dumped from', async () => {
      const { database } = testEnv();
      for (const name of FORMATS) {
        await withArchive(fixturePath(name), async (opened) => {
          const tableData = opened.archive.entries.filter((e) => e.desc === 'TABLE DATA');
          assert.ok(tableData.length >= 8, name);
          for (const entry of tableData) {
            const label = `${name}: ${entry.namespace}.${entry.tag}`;
            let reference = 0;
            for await (const _row of copyRows(opened.openData(entry))) reference++;
            const ours = await countArchiveRows(opened, entry);
            assert.equal(ours, reference, `${label}: copyRows`);
            const [row] = await sql<{ n: string }>(database, `select count(*)::text as n from only "${entry.namespace!.replace(/"/g, '""')}"."${entry.tag!.replace(/"/g, '""')}"`);
            assert.equal(ours, Number(row!.n), `${label}: the source database`);
          }
          const bulk = tableData.find((e) => e.tag === 'bulk_rows')!;
          assert.equal(await countArchiveRows(opened, bulk), 5000, `${name}: bulk_rows`);
        });
      }
    });
  });

  describe('the row counter program (dist/rowCounter.js), at the lowest CPU priority', () => {
    const program = () => {
      const found = rowCounterBeside(path.join(projectRoot, 'dist'));
      assert.ok(found, 'dist/rowCounter.js is built (npm run build)');
      return found;
    };

    it('counts what countArchiveRows counts, for custom, directory and tar archives, at nice 19', async () => {
      for (const name of ['custom.dump', 'custom-piped.dump', 'dir-gzip', 'archive.tar']) {
        await withArchive(fixturePath(name), async (opened) => {
          const tableData = opened.archive.entries.filter((e) => e.desc === 'TABLE DATA' && holdsCopyData(e));
          const { counts, priority } = countRowsInProcess(opened.archive.path, tableData, program());
          assert.equal(await priority, os.constants.priority.PRIORITY_LOW, `${name}: the counter's nice value`);
          for (const e of tableData) assert.equal(await counts.get(e.dumpId), await countArchiveRows(opened, e), `${name}: ${e.namespace}.${e.tag}`);
        });
      }
    });

    it('an entry it cannot count rejects with why; startArchiveCounts then counts it here', async () => {
      await withArchive(fixturePath('custom.dump'), async (opened) => {
        const bulk = opened.archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'bulk_rows')!;
        const ghost = { ...bulk, dumpId: 999999 };
        const { counts } = countRowsInProcess(opened.archive.path, [bulk, ghost], program());
        assert.equal(await counts.get(bulk.dumpId), 5000);
        await assert.rejects(counts.get(999999)!, /no entry 999999 in the archive/);
        // A counter that cannot start: every entry is counted in this process instead.
        const broken = { script: path.join(tmp, 'no-such-counter.js'), node: process.execPath };
        const started = startArchiveCounts(opened, [bulk], undefined, broken);
        assert.equal(await started.counts.get(bulk.dumpId), 5000);
      });
    });

    it('hurry: what the counter has not counted when the restore ends is counted here; the counter is then ended', async () => {
      // A counter that never answers, as a nice-19 process may not on a busy machine.
      const pidFile = path.join(tmp, 'stuck-counter.pid');
      const stuck = path.join(tmp, 'stuck-counter.js');
      fs.writeFileSync(stuck, `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 60000);\n`);
      await withArchive(fixturePath('custom.dump'), async (opened) => {
        const bulk = opened.archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'bulk_rows')!;
        const started = startArchiveCounts(opened, [bulk], undefined, { script: stuck, node: process.execPath });
        await until('the counter has started', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').length > 0);
        const pid = Number(fs.readFileSync(pidFile, 'utf8'));
        started.hurry();
        assert.equal(await started.counts.get(bulk.dumpId), 5000);
        const alive = () => {
          try {
            process.kill(pid, 0);
            return true;
          } catch {
            return false;
          }
        };
        await until('the counter process has ended', () => !alive());
      });
    });

    it('aborting ends the program and rejects with an AbortError', async () => {
      await withArchive(fixturePath('custom.dump'), async (opened) => {
        const tableData = opened.archive.entries.filter((e) => e.desc === 'TABLE DATA' && holdsCopyData(e));
        const controller = new AbortController();
        const started = startArchiveCounts(opened, tableData, controller.signal, program());
        controller.abort();
        for (const e of tableData) await assert.rejects(started.counts.get(e.dumpId)!, (err: Error) => err.name === 'AbortError');
      });
    });
  });

  describe('postRestore on a selective restore of the rich fixture', () => {
    let opened: OpenedArchive;
    let file: string;
    let db: string;
    let plan: RestorePlan;
    const selection: Selection = { tables: ['sales.order', 'sales.measurement', 'public.ünïcødé_tàble'], materializedViews: ['sales.daily_totals'], withDeps: true };

    before(async () => {
      file = fixturePath('custom.dump');
      opened = await openArchive(file);
      db = await freshDatabase('rich');
      plan = buildPlan(opened.archive, selection);
      await restorePlan(file, plan, opened.archive, db);
      // Something the plan does not restore, to see that it is left alone.
      const other = await pgTool('pg_restore', ['-d', db, '-t', 'bulk_rows', file], { encoding: 'utf8' });
      assert.equal(other.exitCode, 0, other.stderr);
    });
    after(() => opened.close());

    it('analyzes exactly the restored tables, the whole partitioned table and the materialized view; the rows match', async () => {
      const before = await analyzeCounts(db);
      const report = await postRestore(opened, plan, connectionTo(db));
      const after = await analyzeCounts(db);

      const tableData = plan.entries.filter((p) => p.entry.desc === 'TABLE DATA').map((p) => `${p.entry.namespace}.${p.entry.tag}`);
      // With its dependencies the plan brings the customers (the orders' foreign key), not the order lines.
      assert.ok(tableData.includes('sales.order') && tableData.includes('sales.customer') && tableData.includes('sales.measurement_2024'));
      assert.ok(!tableData.includes('sales.order_line') && !tableData.includes('public.bulk_rows'));
      const expected = [...tableData, 'sales.measurement', 'sales.daily_totals'].sort();
      assert.deepEqual([...report.analyzed].sort(), expected);
      assert.deepEqual(analyzedBetween(before, after), expected, 'analyze_count in pg_stat_user_tables');
      assert.ok(after.has('sales.order') && after.has('public.bulk_rows'));
      assert.equal(after.get('public.bulk_rows'), before.get('public.bulk_rows'), 'a table the plan did not restore is not analyzed');
      const [lastAnalyze] = await sql<{ t: string | null }>(db, "select last_analyze::text as t from pg_stat_user_tables where schemaname = 'sales' and relname = 'order'");
      assert.ok(lastAnalyze?.t, 'sales.order has a last_analyze');

      assert.deepEqual(report.problems, []);
      assert.deepEqual(
        report.rowCounts.map((r) => r.table).sort(),
        [...tableData].sort(),
      );
      assert.ok(report.rowCounts.every((r) => r.matches && r.archiveRows === r.databaseRows && r.expectedRows === r.archiveRows), JSON.stringify(report.rowCounts));
      const order = report.rowCounts.find((r) => r.table === 'sales.order')!;
      assert.equal(order.archiveRows, 2000);
      assert.equal(report.rowCounts.find((r) => r.table === 'public.ünïcødé_tàble')!.databaseRows, 10);

      // The values SEQUENCE SET restored are right: nothing to change.
      assert.deepEqual(report.sequences.map((s) => `${s.sequence} ${s.kind} ${s.table}.${s.column}`).sort(), [
        'sales.customer_id_seq identity sales.customer.id',
        'sales.order_id_seq owned sales.order.id',
      ]);
      assert.ok(report.sequences.every((s) => !s.changed && s.lastValueAfter === s.lastValueBefore));
      assert.equal(seq(report, 'sales.order_id_seq').lastValueBefore, 2000);
      assert.equal(seq(report, 'sales.order_id_seq').columnMax, 2000);
      assert.ok(report.durationMs >= 0);
    });

    it('a session it is given (the restore\'s progress session) does the first strand of work, then is closed', async () => {
      const session = await openServerSession(connectionTo(db), { applicationName: 'handed over' });
      const [{ pid } = { pid: 0 }] = (await session.client.query<{ pid: number }>('select pg_catalog.pg_backend_pid() as pid')).rows;
      const asked: string[] = [];
      const query = session.client.query.bind(session.client) as (text: string, values?: unknown[]) => Promise<unknown>;
      (session.client as unknown as { query: typeof query }).query = (text, values) => {
        asked.push(String(text));
        return query(text, values);
      };
      const report = await postRestore(opened, plan, connectionTo(db), { session });
      assert.deepEqual(report.problems, []);
      assert.ok(report.analyzed.includes('sales.order'), report.analyzed.join(', '));
      assert.ok(asked.some((q) => /^analyze /i.test(q)), `the given session ran ANALYZE: ${asked.join(' | ')}`);
      // Closed by the client; the server's backend ends just after.
      await until('the given session to be gone from pg_stat_activity', async () => (await sql(db, `select 1 from pg_stat_activity where pid = ${pid}`)).length === 0);
    });

    it('options switch each part off', async () => {
      const before = await analyzeCounts(db);
      const report = await postRestore(opened, plan, connectionTo(db), { analyze: false, fixSequences: false, countRows: false });
      assert.deepEqual(report.analyzed, []);
      assert.deepEqual(report.sequences, []);
      assert.deepEqual(report.rowCounts, []);
      assert.deepEqual(analyzedBetween(before, await analyzeCounts(db)), []);
    });

    it('rows deleted after the restore, or rows the table held before, are a mismatch; rowsBefore accounts for the latter', async () => {
      await sql(db, 'delete from sales."order" where id > 1990');
      await sql(db, 'insert into public.ünïcødé_tàble values (11), (12), (13)');
      try {
        const report = await postRestore(opened, plan, connectionTo(db), { analyze: false, fixSequences: false });
        const order = report.rowCounts.find((r) => r.table === 'sales.order')!;
        assert.deepEqual({ archive: order.archiveRows, database: order.databaseRows, matches: order.matches }, { archive: 2000, database: 1990, matches: false });
        assert.ok(report.problems.includes('rows of sales.order differ: 1990 in the database, 2000 in the archive'), report.problems.join('\n'));
        assert.ok(report.problems.includes('rows of public.ünïcødé_tàble differ: 13 in the database, 10 in the archive'), report.problems.join('\n'));
        assert.equal(report.problems.length, 2, report.problems.join('\n'));
        assert.ok(report.rowCounts.find((r) => r.table === 'sales.customer')!.matches);

        // The three extra rows were there before a data-only restore appended the archive's.
        const withBefore = await postRestore(opened, plan, connectionTo(db), { analyze: false, fixSequences: false, rowsBefore: new Map([['public.ünïcødé_tàble', 3]]) });
        const unicode = withBefore.rowCounts.find((r) => r.table === 'public.ünïcødé_tàble')!;
        assert.deepEqual({ expected: unicode.expectedRows, before: unicode.rowsBefore, matches: unicode.matches }, { expected: 13, before: 3, matches: true });
        assert.deepEqual(withBefore.problems, ['rows of sales.order differ: 1990 in the database, 2000 in the archive']);
        const wrongBefore = await postRestore(opened, plan, connectionTo(db), { analyze: false, fixSequences: false, rowsBefore: new Map([['public.ünïcødé_tàble', 5]]) });
        assert.ok(wrongBefore.problems.includes('rows of public.ünïcødé_tàble differ: 13 in the database, 10 in the archive + 5 before the restore = 15'), wrongBefore.problems.join('\n'));
      } finally {
        await sql(db, 'delete from public.ünïcødé_tàble where x > 10');
      }
    });

    describe('rows from the server\'s counters (restoredBy, PostgreSQL 15 and later)', () => {
      // pg_restore run under an application_name of its own, as the restore engine runs it.
      const restoredBy = `pgdx-test-restore-${process.pid}`;
      let statsDb: string;
      const tableData = () => plan.entries.filter((p) => p.entry.desc === 'TABLE DATA').map((p) => `${p.entry.namespace}.${p.entry.tag}`).sort();
      const by = (report: PostRestoreReport) => Object.fromEntries(report.rowCounts.map((r) => [r.table, `${r.countedBy} ${r.databaseRows}/${r.expectedRows} ${r.matches}`]));

      before(async () => {
        statsDb = await freshDatabase('stats');
        const list = path.join(tmp, `${statsDb}.list`);
        fs.writeFileSync(list, writeRestoreList(opened.archive, plan));
        const r = await pgTool('pg_restore', ['-d', statsDb, '-L', list, '--single-transaction', file], { encoding: 'utf8', env: { PGAPPNAME: restoredBy } });
        assert.equal(r.exitCode, 0, r.stderr);
      });

      it('a table the restore made and filled: its counters settle the count, no count(*)', async () => {
        const report = await postRestore(opened, plan, connectionTo(statsDb), { analyze: false, fixSequences: false, restoredBy });
        assert.deepEqual(report.problems, []);
        assert.deepEqual(report.rowCounts.map((r) => r.table).sort(), tableData());
        for (const r of report.rowCounts) assert.equal(`${r.countedBy} ${r.matches}`, 'statistics true', JSON.stringify(by(report)));
        assert.equal(report.rowCounts.find((r) => r.table === 'sales.order')!.databaseRows, 2000);
        assert.ok(describePostRestore(report).includes(`rows: ${tableData().length} of ${tableData().length} tables hold what the archive has (${tableData().length} by the server's counts of the rows the restore inserted, 0 by count(*))`), describePostRestore(report).join('\n'));
      });

      it('rows deleted or updated since, or counters reset: count(*) decides, and a difference is found', async () => {
        await sql(statsDb, 'delete from sales."order" where id > 1995');
        await sql(statsDb, 'update sales.customer set name = name');
        const report = await postRestore(opened, plan, connectionTo(statsDb), { analyze: false, fixSequences: false, restoredBy });
        const order = report.rowCounts.find((r) => r.table === 'sales.order')!;
        assert.deepEqual({ countedBy: order.countedBy, database: order.databaseRows, matches: order.matches }, { countedBy: 'count', database: 1995, matches: false });
        assert.equal(report.rowCounts.find((r) => r.table === 'sales.customer')!.countedBy, 'count');
        assert.ok(report.rowCounts.find((r) => r.table === 'sales.customer')!.matches);
        assert.deepEqual(report.problems, ['rows of sales.order differ: 1995 in the database, 2000 in the archive']);

        // Counters reset (pg_stat_reset): they no longer say what the tables hold.
        await sql(statsDb, 'select pg_stat_reset()');
        const reset = await postRestore(opened, plan, connectionTo(statsDb), { analyze: false, fixSequences: false, restoredBy });
        assert.ok(reset.rowCounts.every((r) => r.countedBy === 'count'), JSON.stringify(by(reset)));
        assert.deepEqual(reset.problems, ['rows of sales.order differ: 1995 in the database, 2000 in the archive']);
      });

      it('while a session of the restore is still there, the counters are not read: count(*)', async () => {
        const db = await freshDatabase('statswait');
        const list = path.join(tmp, `${db}.list`);
        fs.writeFileSync(list, writeRestoreList(opened.archive, plan));
        const r = await pgTool('pg_restore', ['-d', db, '-L', list, '--single-transaction', file], { encoding: 'utf8', env: { PGAPPNAME: restoredBy } });
        assert.equal(r.exitCode, 0, r.stderr);
        const { server } = testEnv();
        const lingering = new Client({ host: server.host, port: server.port, user: server.user, database: db, application_name: restoredBy });
        await lingering.connect();
        try {
          const report = await postRestore(opened, plan, connectionTo(db), { analyze: false, fixSequences: false, restoredBy });
          assert.ok(report.rowCounts.length > 0 && report.rowCounts.every((x) => x.countedBy === 'count' && x.matches), JSON.stringify(by(report)));
        } finally {
          await lingering.end();
        }
      });

      it('without restoredBy every table is counted with count(*)', async () => {
        const report = await postRestore(opened, plan, connectionTo(db), { analyze: false, fixSequences: false });
        assert.ok(report.rowCounts.length > 0 && report.rowCounts.every((x) => x.countedBy === 'count'), JSON.stringify(by(report)));
      });
    });

    it('sets a sequence that is behind its column forward, with the values before and after; leaves one that is ahead alone', async () => {
      await sql(db, "select setval('sales.order_id_seq', 1), setval('sales.customer_id_seq', 1000)");
      const [{ max }] = (await sql<{ max: number }>(db, 'select max(id) as max from sales."order"')) as [{ max: number }];
      const report = await postRestore(opened, plan, connectionTo(db), { analyze: false, countRows: false });
      const order = seq(report, 'sales.order_id_seq');
      assert.deepEqual(
        { before: order.lastValueBefore, next: order.nextValueBefore, max: order.columnMax, after: order.lastValueAfter, changed: order.changed, increment: order.increment },
        { before: 1, next: 2, max, after: max, changed: true, increment: 1 },
      );
      const customer = seq(report, 'sales.customer_id_seq');
      assert.deepEqual({ before: customer.lastValueBefore, max: customer.columnMax, after: customer.lastValueAfter, changed: customer.changed }, { before: 1000, max: 200, after: 1000, changed: false });
      const [state] = await sql<{ order: string; customer: string }>(db, "select (select last_value from sales.order_id_seq)::text as order, (select last_value from sales.customer_id_seq)::text as customer");
      assert.deepEqual(state, { order: String(max), customer: '1000' }, 'in the database');
      // The next insert no longer collides with the restored rows.
      await sql(db, 'insert into sales."order"(customer_id, total) values (1, 1)');
      await sql(db, 'delete from sales."order" where id > 1990');
    });

    it('a table that is missing after the restore is a problem, and the rest is still done', async () => {
      await sql(db, 'alter table public.ünïcødé_tàble rename to gone');
      try {
        const report = await postRestore(opened, plan, connectionTo(db), { fixSequences: false });
        assert.ok(report.problems.some((p) => /^public\.ünïcødé_tàble is missing after the restore \(table not found in /.test(p)), report.problems.join('\n'));
        const gone = report.rowCounts.find((r) => r.table === 'public.ünïcødé_tàble')!;
        assert.deepEqual({ missing: gone.missing, matches: gone.matches, archiveRows: gone.archiveRows }, { missing: true, matches: false, archiveRows: 10 });
        assert.ok(!report.analyzed.includes('public.ünïcødé_tàble'));
        assert.ok(report.analyzed.includes('sales.order'));
      } finally {
        await sql(db, 'alter table public.gone rename to ünïcødé_tàble');
      }
    });

    it('an abort while a query waits cancels it on the server and rejects with an AbortError', async () => {
      const { server } = testEnv();
      const locker = new Client({ host: server.host, port: server.port, user: server.user, database: db });
      locker.on('error', () => undefined);
      await locker.connect();
      try {
        await locker.query('begin');
        await locker.query('lock table sales.customer in access exclusive mode');
        const controller = new AbortController();
        const started = Date.now();
        const running = postRestore(opened, plan, connectionTo(db), { signal: controller.signal });
        // Wait until its ANALYZE is blocked on the lock.
        await until('its ANALYZE to wait for the lock', async () => (await sql(db, "select 1 from pg_stat_activity where application_name = 'pg-dump-explorer post-restore' and wait_event_type = 'Lock'")).length > 0);
        controller.abort();
        await assert.rejects(running, { name: 'AbortError' });
        assert.ok(Date.now() - started < 15_000);
        // Cancelled on the server, and the session closed, while the lock is still held.
        await until('the post-restore session to be gone', async () => (await sql(db, "select 1 from pg_stat_activity where application_name like 'pg-dump-explorer%'")).length === 0, { timeoutMs: 10_000 });
        await locker.query('rollback');
        // Aborted before it starts: nothing is done.
        const before = await analyzeCounts(db);
        await assert.rejects(postRestore(opened, plan, connectionTo(db), { signal: controller.signal }), { name: 'AbortError' });
        assert.deepEqual(analyzedBetween(before, await analyzeCounts(db)), []);
      } finally {
        await locker.end();
      }
    });
  });

  describe('postRestore: sequences of every kind (a database made for it, dumped with the real pg_dump)', () => {
    let source: string;
    let file: string;
    let opened: OpenedArchive;

    before(async () => {
      source = await freshDatabase('seqsrc');
      await sql(
        source,
        `create table t_serial(id serial primary key, v text);
         insert into t_serial(v) select 'v' || g from generate_series(1, 30) g;
         create table t_identity(id bigint generated always as identity primary key, v text);
         insert into t_identity(v) select 'v' || g from generate_series(1, 40) g;
         create table t_desc(id int generated by default as identity (increment by -1 start with -1 minvalue -1000 maxvalue -1) primary key);
         insert into t_desc select from generate_series(1, 25);
         create table t_owned(id int primary key, label text);
         create sequence t_owned_seq owned by t_owned.id;
         insert into t_owned select g, 'x' from generate_series(1, 12) g;
         select setval('t_owned_seq', 12);
         create sequence t_text_seq owned by t_owned.label;
         create table t_empty(id serial primary key);
         create table t_far(id int primary key);
         create sequence t_far_seq start 1000 owned by t_far.id;
         insert into t_far select generate_series(1, 10);
         create table t_small(id int primary key);
         create sequence t_small_seq maxvalue 100 owned by t_small.id;
         insert into t_small values (500);
         create table t_part(id serial, k int not null) partition by range (k);
         create table t_part_a partition of t_part for values from (0) to (100);
         create table t_part_b partition of t_part for values from (100) to (200);
         insert into t_part(k) select g from generate_series(1, 150) g;
         create table t_inh(id serial, v text);
         create table t_inh_child(extra int) inherits (t_inh);
         insert into t_inh(v) select 'p' from generate_series(1, 5);
         insert into t_inh_child(v) select 'c' from generate_series(1, 7);
         create table t_untouched(id serial primary key);
         insert into t_untouched default values;`,
      );
      file = path.join(tmp, 'sequences.dump');
      const dumped = await pgTool('pg_dump', ['-Fc', '-f', file, '-d', source], { encoding: 'utf8' });
      assert.equal(dumped.exitCode, 0, dumped.stderr);
      opened = await openArchive(file);
    });
    after(() => opened.close());

    const TABLES = ['public.t_serial', 'public.t_identity', 'public.t_desc', 'public.t_owned', 'public.t_empty', 'public.t_far', 'public.t_small', 'public.t_part', 'public.t_inh', 'public.t_inh_child'];

    it('restored as dumped, every sequence is where it should be; then set back, each is fixed as its kind needs', async () => {
      const db = await freshDatabase('seq');
      const plan = buildPlan(opened.archive, { tables: TABLES });
      await restorePlan(file, plan, opened.archive, db);
      await sql(db, 'create table t_other(id serial primary key); insert into t_other default values');

      const first = await postRestore(opened, plan, connectionTo(db));
      assert.deepEqual(first.sequences.map((s) => `${s.sequence} ${s.kind} ${s.table}.${s.column}`), [
        'public.t_desc_id_seq identity public.t_desc.id',
        'public.t_empty_id_seq owned public.t_empty.id',
        'public.t_far_seq owned public.t_far.id',
        'public.t_identity_id_seq identity public.t_identity.id',
        'public.t_inh_id_seq owned public.t_inh.id',
        'public.t_owned_seq owned public.t_owned.id',
        'public.t_part_id_seq owned public.t_part.id',
        'public.t_serial_id_seq owned public.t_serial.id',
        'public.t_small_seq owned public.t_small.id',
      ]);
      assert.deepEqual(
        first.sequences.filter((s) => s.changed).map((s) => s.sequence),
        [],
        'nothing to fix after a faithful restore',
      );
      assert.deepEqual(first.notes, ['sequence public.t_text_seq not checked: it is owned by public.t_owned.label, of type text, not an integer']);
      // Never called, pending at 1000; the column's maximum, 10, is below it: not lowered.
      assert.deepEqual(pick(seq(first, 'public.t_far_seq')), { before: null, next: 1000, max: 10, after: null, changed: false });
      // An empty table has no maximum.
      assert.deepEqual(pick(seq(first, 'public.t_empty_id_seq')), { before: null, next: 1, max: null, after: null, changed: false });
      // A sequence whose range cannot reach the column's values is a problem, not an error.
      assert.deepEqual(first.problems, ['sequence public.t_small_seq is behind public.t_small.id (maximum 500) but cannot be set to it: the sequence\'s range is 1 to 100']);
      assert.deepEqual(first.sequences.filter((s) => s.behind).map((s) => `${s.sequence} ${s.changed}`), ['public.t_small_seq false']);
      // The partitioned table: its partitions are the restored tables, analyzed through the parent (PostgreSQL 15).
      assert.deepEqual([...first.analyzed].sort(), [...TABLES.filter((t) => t !== 'public.t_part'), 'public.t_part', 'public.t_part_a', 'public.t_part_b'].sort());
      assert.ok(first.rowCounts.every((r) => r.matches));
      assert.deepEqual(first.rowCounts.map((r) => `${r.table} ${r.archiveRows}`).sort(), [
        'public.t_desc 25',
        'public.t_empty 0',
        'public.t_far 10',
        'public.t_identity 40',
        'public.t_inh 5',
        'public.t_inh_child 7',
        'public.t_owned 12',
        'public.t_part_a 99',
        'public.t_part_b 51',
        'public.t_serial 30',
        'public.t_small 1',
      ]);

      // Set every sequence back (and one never called, and the unrestored table's too).
      await sql(
        db,
        `select setval('t_serial_id_seq', 3), setval('t_identity_id_seq', 1), setval('t_desc_id_seq', -2), setval('t_owned_seq', 5),
                setval('t_part_id_seq', 7), setval('t_empty_id_seq', 50), setval('t_other_id_seq', 1, false), setval('t_inh_id_seq', 6);
         alter sequence t_far_seq restart with 5;`,
      );
      await sql(db, 'alter table t_identity alter column id restart with 2');
      const second = await postRestore(opened, plan, connectionTo(db), { analyze: false, countRows: false });
      assert.deepEqual(pick(seq(second, 'public.t_serial_id_seq')), { before: 3, next: 4, max: 30, after: 30, changed: true });
      // `restart with 2` leaves the identity sequence not called, pending at 2.
      assert.deepEqual(pick(seq(second, 'public.t_identity_id_seq')), { before: null, next: 2, max: 40, after: 40, changed: true });
      // Descending: the column's minimum (-25) is compared; -2 is behind it.
      const desc = seq(second, 'public.t_desc_id_seq');
      assert.deepEqual({ ...pick(desc), increment: desc.increment }, { before: -2, next: -3, max: -25, after: -25, changed: true, increment: -1 });
      assert.deepEqual(pick(seq(second, 'public.t_owned_seq')), { before: 5, next: 6, max: 12, after: 12, changed: true });
      // The parent's sequence against the rows of all its partitions.
      assert.deepEqual(pick(seq(second, 'public.t_part_id_seq')), { before: 7, next: 8, max: 150, after: 150, changed: true });
      // An inheritance parent's sequence: the child's rows (ids 6 to 12) count too.
    assert.deepEqual(pick(seq(second, 'public.t_inh_id_seq')), { before: 6, next: 7, max: 12, after: 12, changed: true });
    // Pending at 5, the column reaches 10: set to 10.
      assert.deepEqual(pick(seq(second, 'public.t_far_seq')), { before: null, next: 5, max: 10, after: 10, changed: true });
      // Ahead of an empty table: left alone.
      assert.deepEqual(pick(seq(second, 'public.t_empty_id_seq')), { before: 50, next: 51, max: null, after: 50, changed: false });
      assert.ok(!second.sequences.some((s) => s.sequence === 'public.t_other_id_seq'), 'a table the plan did not restore');

      const [state] = await sql<Record<string, string>>(
        db,
        `select (select last_value::text from t_serial_id_seq) as serial, (select last_value::text from t_identity_id_seq) as identity,
                (select last_value::text from t_desc_id_seq) as "desc", (select last_value::text || ' ' || is_called from t_other_id_seq) as other`,
      );
      assert.deepEqual(state, { serial: '30', identity: '40', desc: '-25', other: '1 false' });
      // Inserts that take the next values now succeed.
      await sql(db, "insert into t_serial(v) values ('new'); insert into t_identity(v) values ('new'); insert into t_desc default values; insert into t_part(k) values (5)");
      const [next] = await sql<Record<string, string>>(db, "select (select max(id)::text from t_serial) as serial, (select min(id)::text from t_desc) as \"desc\", (select max(id)::text from t_part) as part");
      assert.deepEqual(next, { serial: '31', desc: '-26', part: '151' });

      // Run again: nothing left to change.
      const third = await postRestore(opened, plan, connectionTo(db), { analyze: false, countRows: false });
      assert.deepEqual(third.sequences.filter((s) => s.changed), []);

      const text = describePostRestore(second);
      assert.equal(text[0], 'analyzed nothing');
      assert.ok(text.includes("sequence public.t_serial_id_seq (public.t_serial.id) set from 3 to 30, the column's maximum"), text.join('\n'));
      assert.ok(text.includes("sequence public.t_desc_id_seq (public.t_desc.id) set from -2 to -25, the column's minimum"), text.join('\n'));
      assert.ok(text.includes("sequence public.t_identity_id_seq (public.t_identity.id) set from never used, next 2 to 40, the column's maximum"), text.join('\n'));
      assert.ok(text.includes('sequences: 7 set forward, 1 already ahead of their column, 1 behind but not set (see the problems)'), text.join('\n'));
      assert.ok(text.includes("problem: sequence public.t_small_seq is behind public.t_small.id (maximum 500) but cannot be set to it: the sequence's range is 1 to 100"), text.join('\n'));
    });

    it('definition only: the planned tables are analyzed; no rows or sequences are checked', async () => {
      const db = await freshDatabase('seqdef');
      const plan = buildPlan(opened.archive, { tables: TABLES, mode: 'definition-only' });
      assert.ok(!plan.entries.some((p) => p.entry.desc === 'TABLE DATA'));
      await restorePlan(file, plan, opened.archive, db);
      await sql(db, "select setval('t_serial_id_seq', 1)");
      const before = await analyzeCounts(db);
      const report = await postRestore(opened, plan, connectionTo(db));
      const planned = plan.entries.filter((p) => p.entry.desc === 'TABLE').map((p) => `${p.entry.namespace}.${p.entry.tag}`);
      assert.ok(planned.includes('public.t_part_a') && planned.includes('public.t_part'));
      assert.deepEqual([...report.analyzed].sort(), [...planned].sort());
      assert.deepEqual(analyzedBetween(before, await analyzeCounts(db)), [...planned].sort());
      assert.deepEqual(report.rowCounts, []);
      assert.deepEqual(report.sequences, []);
      assert.deepEqual(report.problems, []);
    });

    it('a dump made with --inserts: the rows are not compared, and a note says why', async () => {
      const inserts = path.join(tmp, 'inserts.dump');
      const dumped = await pgTool('pg_dump', ['-Fc', '--inserts', '-f', inserts, '-d', source, '-t', 't_serial'], { encoding: 'utf8' });
      assert.equal(dumped.exitCode, 0, dumped.stderr);
      await withArchive(inserts, async (archive) => {
        const db = await freshDatabase('inserts');
        const plan = buildPlan(archive.archive, { tables: ['public.t_serial'] });
        await restorePlan(inserts, plan, archive.archive, db);
        const report = await postRestore(archive, plan, connectionTo(db));
        assert.deepEqual(report.rowCounts, []);
        assert.deepEqual(report.notes, ['rows of public.t_serial not compared: the archive holds INSERT statements for it (pg_dump --inserts), not COPY data']);
        assert.deepEqual(report.analyzed, ['public.t_serial']);
        assert.deepEqual(report.problems, []);
      });
    });

    it('a role that may not analyze, read or count: one problem line each, and nothing thrown', async () => {
      const { server } = testEnv();
      const role = `pgdx_post_nobody_${process.pid}`;
      const db = await freshDatabase('noright');
      const plan = buildPlan(opened.archive, { tables: ['public.t_serial', 'public.t_far'] });
      await restorePlan(file, plan, opened.archive, db);
      await query(server, 'postgres', `create role ${role} login`);
      try {
        await sql(db, `grant select on public.t_far to ${role}; grant select, update on public.t_far_seq to ${role}`);
        const connection = resolveConnection({ host: server.host, port: server.port, user: role, dbname: db }, { env: {}, home: os.tmpdir(), sysconfDirs: [] });
        const report = await postRestore(opened, plan, connection);
        assert.deepEqual(report.analyzed, [], 'ANALYZE skips what the role does not own');
        assert.deepEqual(report.problems, [
          'ANALYZE public.t_far: skipping "t_far" --- only table or database owner can analyze it',
          'ANALYZE public.t_serial: skipping "t_serial" --- only table or database owner can analyze it',
          'sequence public.t_serial_id_seq of public.t_serial.id could not be checked: permission denied for sequence t_serial_id_seq',
          'rows of public.t_serial could not be counted: permission denied for table t_serial',
        ]);
        assert.deepEqual(report.rowCounts.map((r) => `${r.table} ${r.matches}`), ['public.t_far true']);
        assert.deepEqual(report.sequences.map((s) => s.sequence), ['public.t_far_seq']);
      } finally {
        await sql(db, `drop owned by ${role}`);
        await query(server, 'postgres', `drop role ${role}`);
      }
    });

    it('data only into tables that already hold rows: rowsBefore makes the appended rows expected', async () => {
      const db = await freshDatabase('seqdata');
      const full = buildPlan(opened.archive, { tables: ['public.t_far'] });
      await restorePlan(file, full, opened.archive, db);
      const dataOnly = buildPlan(opened.archive, { tables: ['public.t_far'], mode: 'data-only' });
      assert.deepEqual(dataOnly.entries.map((p) => p.entry.desc).sort(), ['SEQUENCE SET', 'TABLE DATA']);
      await sql(db, 'alter table t_far drop constraint t_far_pkey');
      const [{ n }] = (await sql<{ n: string }>(db, 'select count(*)::text as n from t_far')) as [{ n: string }];
      await restorePlan(file, dataOnly, opened.archive, db);
      const report = await postRestore(opened, dataOnly, connectionTo(db), { rowsBefore: new Map([['public.t_far', Number(n)]]) });
      assert.deepEqual(report.rowCounts.map((r) => ({ table: r.table, archive: r.archiveRows, db: r.databaseRows, expected: r.expectedRows, matches: r.matches })), [
        { table: 'public.t_far', archive: 10, db: 20, expected: 20, matches: true },
      ]);
      assert.deepEqual(report.analyzed, ['public.t_far']);
      assert.deepEqual(report.problems, []);
      const without = await postRestore(opened, dataOnly, connectionTo(db), { analyze: false });
      assert.deepEqual(without.problems, ['rows of public.t_far differ: 20 in the database, 10 in the archive']);
    });
  });
});

function pick(s: SequenceFix): { before: number | null; next: number; max: number | null; after: number | null; changed: boolean } {
  return { before: s.lastValueBefore, next: s.nextValueBefore, max: s.columnMax, after: s.lastValueAfter, changed: s.changed };
}
