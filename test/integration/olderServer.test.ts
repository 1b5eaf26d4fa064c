/**
 * Plain dumps of a newer pg_dump restored into an older server, through the real psql and the
 * CLI: pg_dump 18's `SET transaction_timeout = 0;` is left out for the PostgreSQL 15 server
 * (which lacks the parameter) and said so, in a selective restore, a whole one and a database of
 * a pg_dumpall script; any other error still stops the restore with nothing changed.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withDump } from '../../src/core/archive';
import { settingParameters } from '../../src/core/plain/slices';
import { buildPlan } from '../../src/core/plan/closure';
import { preflight } from '../../src/core/target/preflight';
import { cli, fixturePath, pgTool, sharedFixture, testEnv } from '../support/env';
import { query } from '../support/pgServer';
import { connectionTo, dropCreatedDatabases, footprint, freshDatabase, snapshot } from '../support/targetDb';

const DUMP = sharedFixture('pg18-rich.plain.sql');
const PREFLIGHT_INFO = /^info: the target \(PostgreSQL 15\) has no parameter transaction_timeout: its SET is left out$/m;
const RESULT_NOTE = /^note: the target has no parameter transaction_timeout: its SET was left out$/m;
const OLDER_WARNING = /^warning: the dump comes from PostgreSQL 18\.3 and the target runs PostgreSQL 15\.\d+: pg_dump output is not meant for older servers/m;

describe('a newer pg_dump\'s plain dump into an older server', function () {
  this.timeout(180_000);
  const url = (db: string) => {
    const { server } = testEnv();
    return `postgresql://${server.user}@${server.host}:${server.port}/${db}`;
  };
  let work: string;

  before(function () {
    // The harness's first server is Debian's PostgreSQL 15: older than the pg_dump 17 that began writing transaction_timeout.
    if (Number(testEnv().server.version.split('.')[0]) !== 15) this.skip();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-older-'));
  });
  after(async () => {
    await dropCreatedDatabases();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** A copy of `file` in the test's folder with `edit` applied. */
  const edited = (file: string, name: string, edit: (text: string) => string) => {
    const out = path.join(work, name);
    const text = fs.readFileSync(file, 'utf8');
    const changed = edit(text);
    assert.notEqual(changed, text, `${name}: the edit changed nothing`);
    fs.writeFileSync(out, changed);
    return out;
  };

  it('the pre-flight check asks the target which of the plan\'s settings it lacks: transaction_timeout', async () => {
    const db = await freshDatabase('older_preflight');
    await withDump(DUMP, async (opened) => {
      const plan = buildPlan(opened.archive, { tables: ['sales.order'], withDeps: true });
      const parameters = settingParameters(opened.plain!, plan.entries.map((p) => p.entry));
      assert.ok(parameters.includes('transaction_timeout') && parameters.includes('default_table_access_method'), parameters.join(', '));
      const report = await preflight(opened.archive, plan, connectionTo(db), { noOwner: true, noPrivileges: true, settingParameters: parameters });
      assert.deepEqual(report.missingParameters, ['transaction_timeout']);
      const info = report.findings.filter((f) => f.code === 'parameter-missing');
      assert.deepEqual(info.map((f) => [f.severity, f.message]), [['info', 'the target (PostgreSQL 15) has no parameter transaction_timeout: its SET is left out']]);
      // The warning about a server older than the dump stays.
      assert.equal(report.findings.find((f) => f.code === 'server-older')?.severity, 'warning');
      assert.equal(report.blocking, false, JSON.stringify(report.findings));
    });
  });

  it('CLI: --table sales.order --with-deps restores the table with its indexes, trigger and rows, and names what was left out', async () => {
    const db = await freshDatabase('older_table');
    const r = await cli(['restore', DUMP, '--dbname', url(db), '--table', 'sales.order', '--with-deps', '--no-owner', '--no-privileges', '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, OLDER_WARNING);
    assert.match(r.stderr, PREFLIGHT_INFO);
    assert.match(r.stderr, RESULT_NOTE);
    assert.match(r.stderr, /^restored 25 entries into /m);
    assert.match(r.stderr, /rows: 2 of 2 tables hold what the archive has/);
    // What the dump defines for the table, as the catalogs give it back.
    const expected = await withDump(DUMP, async (o) => {
      const sqlOf = (desc: string, tag: string) => o.archive.entries.find((e) => e.desc === desc && e.namespace === 'sales' && e.tag === tag)!.defn!.trim().replace(/;$/, '');
      const data = o.plain!.entries.find((e) => e.desc === 'TABLE DATA' && e.namespace === 'sales' && e.tag === 'order')!;
      return { indexes: [sqlOf('INDEX', 'order_created_idx'), sqlOf('INDEX', 'order_status_partial_idx')], trigger: sqlOf('TRIGGER', 'order order_touch'), rows: data.rows };
    });
    const f = await footprint(db, 'sales."order"');
    const indexes = String(f.indexes).split(' | ');
    for (const index of expected.indexes) assert.ok(indexes.includes(index), `${index} in ${f.indexes}`);
    assert.ok(indexes.includes('CREATE UNIQUE INDEX order_pkey ON sales."order" USING btree (id)'), String(f.indexes));
    assert.equal(f.triggers, expected.trigger);
    assert.match(String(f.constraints), /order_customer_id_fkey FOREIGN KEY \(customer_id\) REFERENCES sales\.customer\(id\)/);
    assert.ok(expected.rows !== undefined && expected.rows > 0);
    assert.equal(f.rows, expected.rows);
    assert.equal(f.owner, testEnv().server.user);
  });

  it('CLI: the whole dump into a new database, as psql restores it with that SET taken out by hand', async () => {
    const reference = await freshDatabase('older_whole_ref');
    const byHand = await pgTool('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', reference, '-f', '-'], { input: fs.readFileSync(DUMP, 'utf8').replace(/^SET transaction_timeout = 0;\n/m, ''), encoding: 'utf8' });
    assert.equal(byHand.exitCode, 0, byHand.stderr);
    const db = await freshDatabase('older_whole');
    const r = await cli(['restore', DUMP, '--dbname', url(db), '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, PREFLIGHT_INFO);
    assert.match(r.stderr, RESULT_NOTE);
    assert.match(r.stderr, /^restored 61 entries into /m);
    assert.deepEqual(await snapshot(db), await snapshot(reference));
    const largeObjects = (d: string) => query<{ n: string }>(testEnv().server, d, 'select count(*)::text as n from pg_largeobject_metadata');
    assert.deepEqual(await largeObjects(db), [{ n: '1' }]);
    assert.deepEqual(await largeObjects(reference), [{ n: '1' }]);
  });

  it('CLI: a database of a pg_dumpall script (--database) whose settings name transaction_timeout, before and after its \\connect', async () => {
    // cluster.sql is pg_dumpall 15's: give each database part's settings what pg_dumpall 17+ writes.
    const script = edited(fixturePath('cluster.sql'), 'cluster17.sql', (t) => t.replace(/^SET idle_in_transaction_session_timeout = 0;\n/gm, '$&SET transaction_timeout = 0;\n'));
    const plain = await freshDatabase('older_cluster_ref');
    const reference = await cli(['restore', fixturePath('cluster.sql'), '--database', 'rich', '--table', 'sales.order', '--with-deps', '--dbname', url(plain), '--yes'], { encoding: 'utf8' });
    assert.equal(reference.exitCode, 0, reference.stderr);
    assert.doesNotMatch(reference.stderr, /transaction_timeout/);
    const db = await freshDatabase('older_cluster');
    const r = await cli(['restore', script, '--database', 'rich', '--table', 'sales.order', '--with-deps', '--dbname', url(db), '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, PREFLIGHT_INFO);
    assert.match(r.stderr, RESULT_NOTE);
    assert.deepEqual(await snapshot(db), await snapshot(plain));
  });

  it('any other error still fails the restore and changes nothing: a bad value beside the left-out SET, a table that exists', async () => {
    const badValue = edited(DUMP, 'bad-value.sql', (t) => t.replace(/^SET transaction_timeout = 0;\n/m, "$&SET lock_timeout = 'soon';\n"));
    const db = await freshDatabase('older_failing');
    const before = await snapshot(db);
    const r = await cli(['restore', badValue, '--dbname', url(db), '--table', 'sales.order', '--with-deps', '--no-owner', '--no-privileges', '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 5, r.stderr);
    assert.match(r.stderr, PREFLIGHT_INFO);
    assert.match(r.stderr, /^error: preamble: invalid value for parameter "lock_timeout": "soon"$/m);
    assert.match(r.stderr, /restore failed with 1 error: nothing was changed \(one transaction\)/);
    assert.doesNotMatch(r.stderr, RESULT_NOTE);
    assert.deepEqual(await snapshot(db), before);

    await query(testEnv().server, db, 'create schema sales; create table sales."order" (id int); insert into sales."order" values (1)');
    const taken = await snapshot(db);
    const conflict = await cli(['restore', DUMP, '--dbname', url(db), '--table', 'sales.order', '--with-deps', '--no-owner', '--no-privileges', '--yes'], { encoding: 'utf8' });
    assert.equal(conflict.exitCode, 5, conflict.stderr);
    assert.match(conflict.stderr, PREFLIGHT_INFO);
    assert.match(conflict.stderr, /^blocking: 1 planned object already exist in the target \(TABLE sales\.order\)/m);
    assert.match(conflict.stderr, /^error: entry \d+ \(TABLE order\): relation "order" already exists$/m);
    assert.deepEqual(await snapshot(db), taken);
  });
});
