/**
 * Copy without a file, against real servers: pg_dump | pg_restore of the fixture database whole
 * and of one table with what it needs (the same catalog footprint as a restore from a full dump),
 * failures and cancels that leave the target as it was, PostgreSQL 15 into 18, the check in the
 * snapshot pg_dump used while the source is written to, and `--jobs` through pgcopydb.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withArchive } from '../../src/core/archive';
import { resolveConnection } from '../../src/core/connections/resolve';
import { prepareCopy, WHOLE_DATABASE } from '../../src/core/copy/copyDatabase';
import type { CopyEvent } from '../../src/core/copy/types';
import { cli, pgTool, testEnv } from '../support/env';
import { createDatabase, query } from '../support/pgServer';
import { connectionTo, dropCreatedDatabases, footprint, freshDatabase, snapshot } from '../support/targetDb';

const RICH = 'rich';

describe('copy from one server to another, no file', function () {
  this.timeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-copy-test-'));
  const server = () => testEnv().server;
  const url = (db: string, s: { host: string; port: number; user: string } = server()) => `postgresql://${encodeURIComponent(s.user)}@${encodeURIComponent(s.host)}:${s.port}/${db}`;
  let dumpFile = '';
  let reference = '';

  before(async () => {
    // The reference: the source dumped to a file and restored whole by pg_restore.
    dumpFile = path.join(tmp, 'rich.dump');
    const d = await pgTool('pg_dump', ['-Fc', '-f', dumpFile, RICH], { encoding: 'utf8' });
    assert.equal(d.exitCode, 0, d.stderr);
    reference = await freshDatabase('copyref');
    const r = await pgTool('pg_restore', ['-d', reference, dumpFile], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
  });

  after(async () => {
    await dropCreatedDatabases();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('copies the whole fixture database: the same catalogs and rows as pg_restore of its dump, rows checked against the source', async () => {
    const db = await freshDatabase('copywhole');
    const r = await cli(['copy', '--from', url(RICH), '--to', url(db), '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /in one transaction/);
    assert.match(r.stderr, /rows: (\d+) of \1 tables hold what the source has/);
    assert.deepEqual(await snapshot(db), await snapshot(reference));
  });

  it('one table with --with-deps: the same catalog footprint as restoring it from a full dump of the source', async () => {
    const copied = await freshDatabase('copyone');
    const restored = await freshDatabase('copyonerestored');
    const c = await cli(['copy', '--from', url(RICH), '--to', url(copied), '--table', 'sales.customer', '--with-deps', '--yes'], { encoding: 'utf8' });
    assert.equal(c.exitCode, 0, c.stderr);
    const r = await cli(['restore', dumpFile, '--dbname', url(restored), '--table', 'sales.customer', '--with-deps', '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    const f = await footprint(copied, 'sales.customer');
    assert.deepEqual(f, await footprint(restored, 'sales.customer'));
    assert.ok(String(f.constraints).length > 0 && Number(f.rows) > 0, JSON.stringify(f));
    assert.deepEqual(await snapshot(copied), await snapshot(restored));
    // Only the data of what was planned went through the pipe: other tables are not there.
    const others = await query<{ n: string }>(server(), copied, "select count(*)::text as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname = 'sales' and c.relname = 'order'");
    assert.equal(others[0]?.n, '0');
  });

  it("the pre-flight's TOC has the dump IDs of a file dump taken in the same snapshot", async () => {
    const db = await freshDatabase('copyids');
    const prepared = await prepareCopy(connectionTo(RICH), connectionTo(db), { selection: { ...WHOLE_DATABASE } });
    try {
      const file = path.join(tmp, 'same-snapshot.dump');
      const d = await pgTool('pg_dump', ['-Fc', '--compress=0', `--snapshot=${prepared.snapshot.id}`, '-f', file, RICH], { encoding: 'utf8' });
      assert.equal(d.exitCode, 0, d.stderr);
      const ids = (entries: readonly { dumpId: number; desc: string | null; namespace: string | null; tag: string | null }[]) => entries.map((e) => `${e.dumpId} ${e.desc} ${e.namespace} ${e.tag}`);
      await withArchive(file, async (opened) => assert.deepEqual(ids(prepared.archive.entries), ids(opened.archive.entries)));
    } finally {
      await prepared.close();
    }
  });

  it('a copy failing on a conflict leaves the target as it was (exit 5), after the pre-flight said so (exit 4 without --yes)', async () => {
    const db = await freshDatabase('copyconflict');
    await query(server(), db, 'create schema sales; create table sales.customer (id int); insert into sales.customer values (1)');
    const before = await snapshot(db);
    const blocked = await cli(['copy', '--from', url(RICH), '--to', url(db)], { encoding: 'utf8' });
    assert.equal(blocked.exitCode, 4, blocked.stderr);
    assert.match(blocked.stderr, /sales\.customer/);
    const failed = await cli(['copy', '--from', url(RICH), '--to', url(db), '--yes'], { encoding: 'utf8' });
    assert.equal(failed.exitCode, 5, failed.stderr);
    assert.match(failed.stderr, /error: .*customer.*already exists/);
    assert.match(failed.stderr, /nothing was changed \(one transaction\)/);
    assert.deepEqual(await snapshot(db), before);
  });

  it('--schema-only, then --data-only: definitions first, then the rows, checked against the source', async () => {
    const db = await freshDatabase('copysplit');
    const defs = await cli(['copy', '--from', url(RICH), '--to', url(db), '--table', 'sales.customer', '--with-deps', '--schema-only', '--yes'], { encoding: 'utf8' });
    assert.equal(defs.exitCode, 0, defs.stderr);
    const [empty] = await query<{ n: string }>(server(), db, 'select count(*)::text as n from sales.customer');
    assert.equal(empty?.n, '0');
    const rows = await cli(['copy', '--from', url(RICH), '--to', url(db), '--table', 'sales.customer', '--data-only', '--yes'], { encoding: 'utf8' });
    assert.equal(rows.exitCode, 0, rows.stderr);
    assert.match(rows.stderr, /rows: 1 of 1 tables hold what the source has/);
    const [a] = await query<{ n: string }>(server(), RICH, 'select count(*)::text as n from sales.customer');
    const [b] = await query<{ n: string }>(server(), db, 'select count(*)::text as n from sales.customer');
    assert.equal(b?.n, a?.n);
  });

  it('a copy cancelled in the middle of a COPY ends pg_dump and pg_restore and leaves the target as it was', async () => {
    const db = await freshDatabase('copycancel');
    // The definitions first; then a trigger that sleeps on every row makes the data copy take long.
    const defs = await cli(['copy', '--from', url(RICH), '--to', url(db), '--table', 'public.bulk_rows', '--schema-only', '--yes'], { encoding: 'utf8' });
    assert.equal(defs.exitCode, 0, defs.stderr);
    await query(server(), db, "create function public.slow() returns trigger language plpgsql as $$ begin perform pg_sleep(0.002); return new; end $$; create trigger slow before insert on public.bulk_rows for each row execute function public.slow()");
    const before = await snapshot(db);
    const controller = new AbortController();
    const seen: CopyEvent[] = [];
    const prepared = await prepareCopy(connectionTo(RICH), connectionTo(db), { selection: { tables: ['public.bulk_rows'], mode: 'data-only' } });
    const result = await prepared.run({
      signal: controller.signal,
      onEvent: (e) => {
        seen.push(e);
        if (e.kind === 'progress' && e.snapshot.copying?.some((c) => /bulk_rows/.test(c.table) && (c.rows ?? 0) > 0)) controller.abort();
      },
    });
    assert.equal(result.cancelled, true, JSON.stringify(result.problems));
    assert.ok(seen.some((e) => e.kind === 'progress' && e.streamedBytes > 0), 'bytes were streamed before the cancel');
    assert.deepEqual(await snapshot(db), before);
    const left = await query<{ n: string }>(server(), db, "select count(*)::text as n from pg_stat_activity where application_name like 'pg-dump-explorer restore%'");
    assert.equal(left[0]?.n, '0', 'no pg_restore session is left on the target');
  });

  it('rows written to the source while it is copied do not make the check fail: it counts in the snapshot pg_dump used', async () => {
    const src = await freshDatabase('copysource');
    await query(server(), src, 'create table public.events (id bigserial primary key, note text); insert into public.events (note) select md5(g::text) from generate_series(1, 20000) g');
    const db = await freshDatabase('copyconsistent');
    const prepared = await prepareCopy(connectionTo(src), connectionTo(db), { selection: { ...WHOLE_DATABASE } });
    // After the snapshot, before and while the copy runs.
    await query(server(), src, "insert into public.events (note) select 'later' from generate_series(1, 500)");
    let wrote: Promise<unknown> = Promise.resolve();
    const result = await prepared.run({
      onEvent: (e) => {
        if (e.kind === 'stage' && e.stage === 'copy') wrote = query(server(), src, "insert into public.events (note) select 'during' from generate_series(1, 500)");
      },
    });
    await wrote;
    assert.equal(result.ok, true, [...result.problems, ...result.errors.map((e) => e.message)].join('\n'));
    assert.deepEqual(result.postRestore?.problems, []);
    assert.deepEqual(
      result.postRestore?.rowCounts.map((r) => [r.table, r.archiveRows, r.databaseRows, r.matches]),
      [['public.events', 20000, 20000, true]],
    );
    const [now] = await query<{ n: string }>(server(), src, 'select count(*)::text as n from public.events');
    assert.equal(now?.n, '21000');
    // Sequences are not in the snapshot (pg_dump reads their state as it is): never behind the copied column.
    const [seq] = await query<{ v: string }>(server(), db, 'select last_value::text as v from public.events_id_seq');
    assert.ok(Number(seq?.v) >= 20000, seq?.v);
  });

  it('copies from the PostgreSQL 15 server into the 18 one', async () => {
    const second = testEnv().secondServer;
    if (!second) throw new Error('the harness started no second server');
    const db = `pgdx_copy18_${process.pid}`;
    await createDatabase(second, db);
    // A policy names this role: policies are copied whatever --no-privileges says.
    await query(second, 'postgres', 'do $$ begin create role app_reader nologin; exception when duplicate_object then null; end $$');
    try {
      const r = await cli(['copy', '--from', url(RICH), '--to', url(db, second), '--no-owner', '--no-privileges', '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /rows: (\d+) of \1 tables hold what the source has/);
      const to = resolveConnection({ host: second.host, port: second.port, user: second.user, dbname: db }, { env: {} });
      assert.equal(to.dbname, db);
      const [a] = await query<{ n: string }>(server(), RICH, 'select count(*)::text as n from sales.customer');
      const [b] = await query<{ n: string }>(second, db, 'select count(*)::text as n from sales.customer');
      assert.equal(b?.n, a?.n);
    } finally {
      await query(second, 'postgres', `drop database if exists ${db} with (force)`);
      await query(second, 'postgres', 'drop role if exists app_reader');
    }
  });

  it('--jobs 2 copies a whole database through pgcopydb, with the same checks after it', async () => {
    const src = await freshDatabase('copyjobssrc');
    await query(server(), src, 'create schema app; create table app.a (id serial primary key, v text); create table app.b (id int primary key references app.a, w int); create index on app.b (w);');
    await query(server(), src, "insert into app.a (v) select 'v' || g from generate_series(1, 5000) g; insert into app.b select g, g % 7 from generate_series(1, 5000) g");
    const db = await freshDatabase('copyjobs');
    const r = await cli(['copy', '--from', url(src), '--to', url(db), '--jobs', '2', '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /with pgcopydb/);
    assert.match(r.stderr, /rows: 2 of 2 tables hold what the source has/);
    assert.deepEqual(await snapshot(db), await snapshot(src));
  });

  it('refuses --jobs from a server newer than pgcopydb knows, in one line, offering --jobs 1', async () => {
    const second = testEnv().secondServer;
    if (!second) throw new Error('the harness started no second server');
    const db = await freshDatabase('copyjobs18');
    const r = await cli(['copy', '--from', url('postgres', second), '--to', url(db), '--jobs', '2', '--yes'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 1, r.stderr);
    assert.match(r.stderr, /^pg-dump-explorer: error: pgcopydb [\d.]+ works with PostgreSQL up to 15, and the source runs 18\.[\d.]+: copy with --jobs 1/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });

  it('refuses --jobs for a selection, and says what to do, before anything runs', async () => {
    const r = await cli(['copy', '--from', url(RICH), '--to', url('nowhere'), '--table', 'sales.customer', '--jobs', '2'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /--jobs 1/);
  });
});
