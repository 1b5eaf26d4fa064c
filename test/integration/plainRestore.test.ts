/**
 * Selective restores from plain dumps through the real psql, against the harness's servers:
 * one table with what it needs, compared in the catalogs with the same restore from the
 * archive; .sql.gz; a failing slice and a cancellation that leave the target as it was; the
 * options psql gets no flag for (--no-owner, --no-privileges) into PostgreSQL 18, which lacks
 * the fixture's roles; and the CLI. Then pg_dumpall scripts: their parts, and roles only.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDump, withDump } from '../../src/core/archive';
import type { ResolvedConnection } from '../../src/core/connections/resolve';
import { DumpError } from '../../src/core/errors';
import { openClusterDatabase, readClusterDump } from '../../src/core/plain/clusterDump';
import { buildPlan } from '../../src/core/plan/closure';
import type { Selection } from '../../src/core/plan/selection';
import { runRestore } from '../../src/core/restore/restoreArchive';
import type { RestoreEvent, RestoreRunOptions } from '../../src/core/restore/types';
import { restoreRoles, rolesPreflight } from '../../src/core/restore/rolesRestore';
import { preflight } from '../../src/core/target/preflight';
import { cli, fixturePath, sharedFixture, testEnv } from '../support/env';
import { query, type ServerAddress } from '../support/pgServer';
import { until } from '../support/poll';
import { connectionTo, dropCreatedDatabases, footprint, freshDatabase, snapshot } from '../support/targetDb';

const key = (e: { desc: string | null; namespace: string | null; tag: string | null }) => `${e.desc}|${e.namespace ?? '-'}|${e.tag}`;

async function restore(file: string, connection: ResolvedConnection, selection: Selection, options: RestoreRunOptions = {}, hooks: { signal?: AbortSignal; onEvent?: (e: RestoreEvent) => void } = {}) {
  return withDump(file, async (opened) => runRestore(opened, buildPlan(opened.archive, selection), connection, options, hooks));
}

/** Waits for every session of ours on `db` to be gone: closed sessions leave pg_stat_activity as their backends exit. */
async function noSessionsLeft(db: string): Promise<void> {
  await until(`the sessions on ${db} to be gone`, async () => {
    const [r] = await query<{ n: number }>(testEnv().server, 'postgres', "select count(*)::int as n from pg_stat_activity where datname = $1 and application_name like 'pg-dump-explorer%'", [db]);
    return r?.n === 0;
  });
}

describe('selective restore from plain dumps (psql)', function () {
  this.timeout(180_000);
  after(() => dropCreatedDatabases());

  const order = { tables: ['sales.order'], withDeps: true };

  it('one table with --with-deps: the same indexes, constraints, trigger, default, sequence value and rows as from the archive', async () => {
    const fromArchive = await freshDatabase('archive');
    const archiveResult = await restore(fixturePath('custom.dump'), connectionTo(fromArchive), order);
    assert.equal(archiveResult.ok, true, archiveResult.errors.map((e) => e.message).join('\n'));
    for (const file of [fixturePath('plain.sql'), fixturePath('plain.sql.gz')]) {
      const db = await freshDatabase('plain');
      const events: RestoreEvent[] = [];
      const result = await restore(file, connectionTo(db), order, {}, { onEvent: (e) => events.push(e) });
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.equal(result.tool.tool, 'psql');
      for (const table of ['sales."order"', 'sales.customer']) assert.deepEqual(await footprint(db, table), await footprint(fromArchive, table), `${file}: ${table}`);
      // Everything else too: what a restore can change, in the whole database.
      assert.deepEqual(await snapshot(db), await snapshot(fromArchive), file);
      const f = await footprint(db, 'sales."order"');
      assert.match(String(f.indexes), /order_status_partial_idx/);
      assert.match(String(f.constraints), /order_customer_id_fkey FOREIGN KEY/);
      assert.match(String(f.triggers), /order_touch/);
      assert.match(String(f.defaults), /nextval/);
      assert.ok(Number(f.rows) > 0);
      const [seq] = await query<{ last_value: string }>(testEnv().server, db, 'select last_value::text from sales.order_id_seq');
      const [fromDump] = await query<{ last_value: string }>(testEnv().server, fromArchive, 'select last_value::text from sales.order_id_seq');
      assert.equal(seq?.last_value, fromDump?.last_value);
      // Progress: every planned entry, in order, with bytes; the post-restore checks ran.
      const progress = events.filter((e): e is Extract<RestoreEvent, { kind: 'progress' }> => e.kind === 'progress').map((e) => e.snapshot);
      const last = progress.at(-1)!;
      assert.equal(last.finished, last.total);
      assert.equal(last.bytesDone, last.bytesTotal);
      assert.ok(progress.some((p) => p.running.some((r) => r.desc === 'TABLE DATA' && r.name === 'sales.order')));
      assert.ok(result.postRestore && result.postRestore.rowCounts.every((r) => r.matches), JSON.stringify(result.postRestore?.rowCounts));
    }
  });

  it('a whole plain dump restores like pg_restore of the archive, large objects in the same transaction', async () => {
    const fromArchive = await freshDatabase('whole_archive');
    const a = await restore(fixturePath('custom.dump'), connectionTo(fromArchive), { sections: ['pre-data', 'data', 'post-data'] });
    assert.equal(a.ok, true, a.errors.map((e) => e.message).join('\n'));
    const db = await freshDatabase('whole_plain');
    const p = await restore(fixturePath('plain.sql'), connectionTo(db), { sections: ['pre-data', 'data', 'post-data'] });
    assert.equal(p.ok, true, p.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(await snapshot(db), await snapshot(fromArchive));
    const [lo] = await query<{ n: string }>(testEnv().server, db, 'select count(*)::text as n from pg_largeobject_metadata');
    assert.equal(lo?.n, '2');
  });

  it('a failing slice (the table exists already) leaves the target as it was, and the error names the entry', async () => {
    const db = await freshDatabase('conflict');
    await query(testEnv().server, db, `create table public.bulk_rows (id int); insert into public.bulk_rows values (1), (2)`);
    const before = await snapshot(db);
    const result = await restore(fixturePath('plain.sql'), connectionTo(db), { tables: ['public.bulk_rows'] });
    assert.equal(result.ok, false);
    assert.equal(result.cancelled, false);
    assert.deepEqual(await snapshot(db), before);
    const error = result.errors[0]!;
    assert.match(error.message, /relation "bulk_rows" already exists/);
    assert.equal(error.entry?.desc, 'TABLE');
    assert.equal(error.entry?.tag, 'bulk_rows');
    // The pre-flight check had said so, without --clean for a plain dump.
    const report = await withDump(fixturePath('plain.sql'), async (o) => preflight(o.archive, buildPlan(o.archive, { tables: ['public.bulk_rows'] }), connectionTo(db)));
    const conflict = report.findings.find((f) => f.code === 'conflict')!;
    assert.equal(conflict.severity, 'blocking');
    assert.match(conflict.message, /drop them first/);
    assert.deepEqual(conflict.fixes, []);
  });

  it('a failure after the large objects leaves none behind (pg_dump\'s BEGIN/COMMIT around them are left out)', async () => {
    const db = await freshDatabase('late_failure');
    // The name of a constraint restored in post-data, after the large objects, is taken.
    await query(testEnv().server, db, 'create table public.bulk_rows_pkey (x int)');
    const before = await snapshot(db);
    const result = await restore(fixturePath('plain.sql'), connectionTo(db), { sections: ['pre-data', 'data', 'post-data'] });
    assert.equal(result.ok, false);
    assert.match(result.errors[0]!.message, /relation "bulk_rows_pkey" already exists/);
    assert.equal(result.errors[0]!.entry?.desc, 'CONSTRAINT');
    const [lo] = await query<{ n: string }>(testEnv().server, db, 'select count(*)::text as n from pg_largeobject_metadata');
    assert.equal(lo?.n, '0');
    assert.deepEqual(await snapshot(db), before);
  });

  it('cancelling while the data streams ends psql: nothing is committed', async () => {
    const db = await freshDatabase('cancel');
    const before = await snapshot(db);
    const controller = new AbortController();
    let sawData = false;
    const result = await restore(fixturePath('plain.sql.gz'), connectionTo(db), { sections: ['pre-data', 'data', 'post-data'] }, {}, {
      signal: controller.signal,
      onEvent: (e) => {
        // Once the big table's rows start: everything before them has been sent to psql.
        if (e.kind === 'progress' && e.snapshot.running.some((r) => r.name === 'public.bulk_rows' && r.desc === 'TABLE DATA')) {
          sawData = true;
          controller.abort();
        }
      },
    });
    assert.ok(sawData);
    assert.equal(result.cancelled, true);
    assert.equal(result.ok, false);
    assert.deepEqual(await snapshot(db), before);
  });

  const whenDone = { name: 'at the last progress', fails: (e: RestoreEvent) => e.kind === 'progress' && e.snapshot.finished === e.snapshot.total };
  const whenChecking = { name: 'as the checks start', fails: (e: RestoreEvent) => e.kind === 'stage' && e.stage === 'post-restore' };
  for (const { name, fails } of [whenDone, whenChecking]) {
    it(`a listener that throws ${name}: the restore rejects with its error and leaves no session of ours open`, async () => {
      const db = await freshDatabase('listenerthrows');
      const result = restore(fixturePath('plain.sql'), connectionTo(db), order, {}, {
        onEvent: (e) => {
          if (fails(e)) throw new Error('the listener failed');
        },
      });
      await assert.rejects(result, /the listener failed/);
      await noSessionsLeft(db);
    });
  }

  it('--no-owner and --no-privileges into PostgreSQL 18, which lacks the dump\'s roles', async () => {
    const second = testEnv().secondServer;
    assert.ok(second, 'the harness starts a second server');
    const db = await freshDatabase('pg18', second);
    const file = sharedFixture('pg18-rich.plain.sql');
    // The partitioned table brings schema sales (owned by app_owner, USAGE granted to app_reader).
    const measurement = { tables: ['sales.measurement'], withDeps: true };
    // Without the options the owner and the grantee are missing: pre-flight blocks.
    const strict = await withDump(file, async (o) => preflight(o.archive, buildPlan(o.archive, measurement), connectionTo(db, second)));
    assert.ok(strict.findings.some((f) => f.severity === 'blocking' && /app_owner/.test(f.message)), JSON.stringify(strict.findings));
    const failing = await restore(file, connectionTo(db, second), measurement);
    assert.equal(failing.ok, false);
    assert.match(failing.errors[0]!.message, /role "app_owner" does not exist/);
    const result = await restore(file, connectionTo(db, second), measurement, { noOwner: true, noPrivileges: true });
    assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
    assert.ok(result.notes.some((n) => /^ACL SCHEMA sales: left out \(--no-privileges\)$/.test(n)), result.notes.join('\n'));
    const f = await footprint(db, 'sales.measurement_2024', second);
    assert.equal(f.owner, second.user);
    assert.ok(Number(f.rows) > 0);
    const [schema] = await query<{ owner: string; acl: string | null }>(second, db, "select pg_get_userbyid(nspowner) as owner, nspacl::text as acl from pg_namespace where nspname = 'sales'");
    assert.equal(schema?.owner, second.user);
    assert.equal(schema?.acl, null);
  });

  it('options psql cannot apply are refused with one line', async () => {
    await withDump(fixturePath('plain.sql'), async (opened) => {
      const plan = buildPlan(opened.archive, order);
      for (const [options, pattern] of [
        [{ jobs: 2 }, /--jobs applies to custom and directory archives/],
        [{ clean: true }, /no DROP statements/],
        [{ create: true }, /create the database first/],
      ] as const) {
        await assert.rejects(runRestore(opened, plan, connectionTo('postgres'), options), (err: unknown) => err instanceof DumpError && pattern.test(err.message) && !err.message.includes('\n'));
      }
    });
  });

  it('CLI: restore FILE.sql --table … --with-deps --yes restores and reports; --jobs is one line and exit 1', async () => {
    const db = await freshDatabase('cli');
    const { server } = testEnv();
    const url = `postgresql://${server.user}@${server.host}:${server.port}/${db}`;
    const r = await cli(['restore', fixturePath('plain.sql.gz'), '--dbname', url, '--table', 'sales.order', '--with-deps', '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /plain dump: the sections are streamed to psql/);
    assert.match(r.stderr, /\[\d+\/\d+\] .*TABLE DATA sales\.order/);
    // psql's sessions run under the restore's application_name too: their counters settle the rows.
    assert.match(r.stderr, /rows: 2 of 2 tables hold what the archive has \(2 by the server's counts of the rows the restore inserted, 0 by count\(\*\)\)/);
    const [n] = await query<{ n: string }>(server, db, 'select count(*)::text as n from sales."order"');
    assert.ok(Number(n?.n) > 0);
    const bad = await cli(['restore', fixturePath('plain.sql'), '--dbname', url, '--jobs', '2', '--yes'], { encoding: 'utf8' });
    assert.equal(bad.exitCode, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  });
});

describe('pg_dumpall scripts', function () {
  this.timeout(120_000);

  it('splits cluster.sql into its globals and one part per database; each part opens as a plain dump', async () => {
    const cluster = await readClusterDump(fixturePath('cluster.sql'));
    assert.equal(cluster.kind, 'cluster');
    assert.deepEqual(cluster.databases.map((d) => d.database), ['template1', 'postgres', 'rich']);
    assert.ok(cluster.roles.includes('app_owner') && cluster.roles.includes('app_reader') && cluster.roles.includes(testEnv().server.user));
    assert.ok(cluster.complete);
    // The parts tile the file after the globals.
    let at = cluster.globals.offset + cluster.globals.length;
    for (const d of cluster.databases) {
      assert.ok(d.offset >= at);
      at = d.offset + d.length;
    }
    const text = fs.readFileSync(fixturePath('cluster.sql'), 'utf8');
    assert.match(text.slice(cluster.databases[2]!.offset, cluster.databases[2]!.offset + 40), /^--\n-- Database "rich" dump/);
    // The rich database: the objects of pg_dump's own plain dump of it, plus its DATABASE entry (pg_dumpall dumps it with --create).
    const rich = await openClusterDatabase(cluster, 'rich');
    const plain = await openDump(fixturePath('plain.sql'));
    assert.deepEqual(rich.archive.entries.filter((e) => e.desc !== 'DATABASE').map(key).sort(), plain.archive.entries.map(key).sort());
    assert.equal(rich.archive.header.dbname, 'rich');
    const rows = await new Promise<string>((resolve, reject) => {
      const data = rich.archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'customer')!;
      let s = '';
      rich.openData(data).on('data', (c: Buffer) => (s += c.toString())).on('end', () => resolve(s)).on('error', reject);
    });
    assert.match(rows, /^1\tcustomer 1\t/);
    await assert.rejects(openClusterDatabase(cluster, 'nope'), /holds no database "nope"; it holds template1, postgres, rich/);
    // A globals-only script has no parts.
    const globals = await readClusterDump(fixturePath('globals.sql'));
    assert.equal(globals.kind, 'globals');
    assert.deepEqual(globals.databases, []);
    assert.deepEqual(globals.roles, cluster.roles);
  });

  it('CLI index shows the parts', async () => {
    const r = await cli(['index', fixturePath('cluster.sql')], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => l.split('\t'));
    assert.equal(lines[0]![2], 'GLOBALS');
    assert.match(lines[0]![4]!, /roles: app_owner, app_reader/);
    assert.deepEqual(lines.slice(1).map((l) => [l[2], l[4]]), [['DATABASE', 'template1'], ['DATABASE', 'postgres'], ['DATABASE', 'rich']]);
    const json = JSON.parse((await cli(['index', fixturePath('cluster.sql'), '--json'], { encoding: 'utf8' })).stdout) as { globals: { statements: object[] } };
    assert.ok(json.globals.statements.every((s) => !('text' in s)), 'no statement text (passwords) in the output');
  });

  describe('roles only, into PostgreSQL 18 (which lacks the fixture\'s roles)', () => {
    let second: ServerAddress;
    before(function () {
      if (!testEnv().secondServer) this.skip();
      second = testEnv().secondServer!;
    });
    const dropFixtureRoles = () => query(second, 'postgres', 'drop role if exists app_owner; drop role if exists app_reader');
    after(async () => {
      if (second) await dropFixtureRoles();
    });

    it('creates the missing roles in one transaction and leaves the existing one as it is', async () => {
      await dropFixtureRoles();
      const cluster = await readClusterDump(fixturePath('cluster.sql'));
      const plan = await rolesPreflight(cluster, connectionTo('postgres', second));
      assert.deepEqual(plan.create.sort(), ['app_owner', 'app_reader']);
      assert.deepEqual(plan.existing, [second.user]);
      assert.ok(plan.leftOut[0]!.includes(`role ${second.user} already exists`));
      assert.ok(plan.statements.every((s) => s.role !== second.user));
      assert.equal(plan.singleTransaction, true);
      const before = await query<{ rolname: string; rolsuper: boolean }>(second, 'postgres', `select rolname, rolsuper from pg_roles where rolname = '${second.user}'`);
      const result = await restoreRoles(cluster, plan, connectionTo('postgres', second));
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      const roles = await query<{ rolname: string; rolcanlogin: boolean; rolsuper: boolean; rolinherit: boolean }>(
        second,
        'postgres',
        "select rolname, rolcanlogin, rolsuper, rolinherit from pg_roles where rolname in ('app_owner', 'app_reader') order by 1",
      );
      assert.deepEqual(roles, [
        { rolname: 'app_owner', rolcanlogin: false, rolsuper: false, rolinherit: true },
        { rolname: 'app_reader', rolcanlogin: false, rolsuper: false, rolinherit: true },
      ]);
      assert.deepEqual(await query(second, 'postgres', `select rolname, rolsuper from pg_roles where rolname = '${second.user}'`), before);
      // Again: everything exists, nothing to do.
      const again = await rolesPreflight(cluster, connectionTo('postgres', second));
      assert.deepEqual(again.create, []);
      await assert.rejects(restoreRoles(cluster, again, connectionTo('postgres', second)), /every role of the script exists/);
    });

    it('a failing statement creates none of the roles', async () => {
      await dropFixtureRoles();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-roles-'));
      try {
        // The fixture's globals with one statement the server refuses after the first CREATE ROLE.
        const text = fs.readFileSync(fixturePath('globals.sql'), 'utf8').replace(/^(CREATE ROLE app_reader;)$/m, '$1\nALTER ROLE app_reader WITH CONNECTION LIMIT -5;');
        const file = path.join(dir, 'globals.sql');
        fs.writeFileSync(file, text);
        const cluster = await readClusterDump(file);
        const result = await restoreRoles(cluster, await rolesPreflight(cluster, connectionTo('postgres', second)), connectionTo('postgres', second));
        assert.equal(result.ok, false);
        assert.match(result.errors[0]!.message, /connection limit|invalid/i);
        assert.deepEqual(await query(second, 'postgres', "select rolname from pg_roles where rolname in ('app_owner', 'app_reader')"), []);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('CLI: a database of cluster.sql is restored with --database, as from a plain dump; the whole script is refused with what to do', async () => {
      const { server } = testEnv();
      const url = (db: string) => `postgresql://${server.user}@${server.host}:${server.port}/${db}`;
      const fromArchive = await freshDatabase('cluster_archive');
      const archived = await restore(fixturePath('custom.dump'), connectionTo(fromArchive), { tables: ['sales.order'], withDeps: true });
      assert.equal(archived.ok, true);
      const db = await freshDatabase('cluster_part');
      const r = await cli(['restore', fixturePath('cluster.sql'), '--database', 'rich', '--table', 'sales.order', '--with-deps', '--dbname', url(db), '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /plain dump: the sections are streamed to psql/);
      assert.deepEqual(await footprint(db, 'sales."order"'), await footprint(fromArchive, 'sales."order"'));

      const whole = await cli(['restore', fixturePath('cluster.sql'), '--dbname', url(db), '--yes'], { encoding: 'utf8' });
      assert.equal(whole.exitCode, 2, whole.stderr);
      assert.match(whole.stderr, /is a pg_dumpall script: restore its roles with --roles-only, then a database of it \(.*\brich\b.*\) with --database NAME/);
      const missing = await cli(['restore', fixturePath('cluster.sql'), '--database', 'nope', '--dbname', url(db), '--yes'], { encoding: 'utf8' });
      assert.equal(missing.exitCode, 2);
      assert.match(missing.stderr, /holds no database "nope"; it holds .*rich/);
      const notCluster = await cli(['restore', fixturePath('plain.sql'), '--database', 'rich', '--dbname', url(db), '--yes'], { encoding: 'utf8' });
      assert.equal(notCluster.exitCode, 2);
      assert.match(notCluster.stderr, /--database picks a database of a pg_dumpall script/);
    });

    it('CLI: restore cluster.sql --roles-only', async () => {
      await dropFixtureRoles();
      const url = `postgresql://${second.user}@${second.host}:${second.port}/postgres`;
      const r = await cli(['restore', fixturePath('cluster.sql'), '--roles-only', '--dbname', url, '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /to create: app_owner, app_reader/);
      assert.match(r.stderr, new RegExp(`note: role ${second.user} already exists in the target: left as it is`));
      assert.match(r.stderr, /created 2 roles/);
      const wrong = await cli(['restore', fixturePath('plain.sql'), '--roles-only', '--dbname', url, '--yes'], { encoding: 'utf8' });
      assert.equal(wrong.exitCode, 2);
      assert.match(wrong.stderr, /--roles-only applies to pg_dumpall scripts/);
    });
  });
});
