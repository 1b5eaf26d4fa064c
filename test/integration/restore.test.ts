/**
 * The restore engine end to end against the harness's real PostgreSQL: plans run through the real
 * pg_restore / psql, pre-flight findings, failures and cancellation that leave the target as it
 * was, parallel restores, post-restore checks, and the `restore` command line.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withArchive, withDump, type OpenedArchive } from '../../src/core/archive';
import { buildPlan } from '../../src/core/plan/closure';
import { writeRestoreList } from '../../src/core/plan/listFile';
import type { Selection } from '../../src/core/plan/selection';
import { plainDumpUsesRestrict, readPlainDump, runPsqlRestore } from '../../src/core/restore/psqlRestore';
import { runRestore } from '../../src/core/restore/restoreArchive';
import type { RestoreEvent, RestoreRunOptions } from '../../src/core/restore/types';
import type { TocArchive, TocEntry } from '../../src/core/model/types';
import { writeCustomArchive } from '../support/archiveWriter';
import { formatProgress } from '../../src/core/restore/reportText';
import { preflight } from '../../src/core/target/preflight';
import { cli, fixturePath, pgTool, testEnv } from '../support/env';
import { query } from '../support/pgServer';
import { until } from '../support/poll';
import { connectionTo, dropCreatedDatabases, footprint, freshDatabase, snapshot, waitForLockWait, withTableLocked } from '../support/targetDb';

async function restoreWith(file: string, db: string, selection: Selection, options: RestoreRunOptions = {}, hooks: { signal?: AbortSignal; onEvent?: (e: RestoreEvent) => void } = {}) {
  return withArchive(file, async (opened: OpenedArchive) => runRestore(opened, buildPlan(opened.archive, selection), connectionTo(db), options, hooks));
}

/** restoreWith for any dump, a plain one too. */
async function restoreFrom(file: string, db: string, selection: Selection, options: RestoreRunOptions = {}, hooks: { signal?: AbortSignal; onEvent?: (e: RestoreEvent) => void } = {}) {
  return withDump(file, async (opened) => runRestore(opened, buildPlan(opened.archive, selection), connectionTo(db), options, hooks));
}

describe('restore engine against a real server', function () {
  this.timeout(180_000);
  let full = '';

  before(async () => {
    // The reference: the whole archive restored by pg_restore alone.
    full = await freshDatabase('full');
    const r = await pgTool('pg_restore', ['-d', full, fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
  });

  after(() => dropCreatedDatabases());

  for (const file of ['custom.dump', 'plain.sql'] as const) {
    it(`${file}: progress inside a long COPY, from the target, at least once a second`, async () => {
      const db = await freshDatabase('copyprogress');
      const definitions = await restoreFrom(fixturePath(file), db, { tables: ['public.bulk_rows'], mode: 'definition-only' });
      assert.equal(definitions.ok, true, definitions.errors.map((e) => e.message).join('\n'));
      // A trigger that sleeps a millisecond per row makes the COPY of its 5,000 rows take seconds.
      await query(testEnv().server, db, "create function public.slow() returns trigger language plpgsql as $$ begin perform pg_sleep(0.001); return new; end $$; create trigger slow before insert on public.bulk_rows for each row execute function public.slow()");
      const seen: { at: number; rows: number; bytes: number; line: string }[] = [];
      const result = await restoreFrom(fixturePath(file), db, { tables: ['public.bulk_rows'], mode: 'data-only' }, {}, {
        onEvent: (e) => {
          const copy = e.kind === 'progress' ? e.snapshot.copying?.find((c) => /bulk_rows/.test(c.table)) : undefined;
          if (e.kind === 'progress' && copy) seen.push({ at: Date.now(), rows: copy.rows ?? 0, bytes: copy.bytes, line: formatProgress(e.snapshot) });
        },
      });
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.ok(seen.length >= 2, `the COPY was seen ${seen.length} time(s)`);
      for (let i = 1; i < seen.length; i++) {
        assert.ok(seen[i]!.rows >= seen[i - 1]!.rows && seen[i]!.bytes >= seen[i - 1]!.bytes, 'rows and bytes only go forward');
        assert.ok(seen[i]!.at - seen[i - 1]!.at < 2_000, 'a sample at least about once a second');
      }
      assert.ok(seen.at(-1)!.rows > seen[0]!.rows && seen.at(-1)!.rows <= 5000, JSON.stringify(seen.map((x) => x.rows)));
      assert.match(seen[0]!.line, /— copying public\.bulk_rows [\d.]+ [kM]?B, [\d,]+ rows$/);
      assert.equal(result.progress.copying, undefined, 'nothing is copying once it is done');
    });
  }

  for (const fixture of ['custom.dump', 'dir-gzip', 'archive.tar'] as const) {
    it(`${fixture}: one table arrives with the same indexes, constraints, triggers, sequence, comments, ACL and policy as in a full restore`, async () => {
      const db = await freshDatabase('one');
      const events: RestoreEvent[] = [];
      const result = await restoreWith(fixturePath(fixture), db, { tables: ['sales.customer'], withDeps: true }, {}, { onEvent: (e) => events.push(e) });
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.deepEqual(await footprint(db, 'sales.customer'), await footprint(full, 'sales.customer'));
      const f = await footprint(db, 'sales.customer');
      assert.ok(String(f.policies).includes('customer_self') && f.row_security === true && String(f.acl).includes('app_reader'), JSON.stringify(f));
      assert.ok(String(f.comments).includes('People who buy things') && String(f.comments).includes('Contact address'));
      assert.equal(f.rows, 200);
      // Progress: items counted up to the planned total; the post-restore report agrees with the dump.
      const last = [...events].reverse().find((e): e is Extract<RestoreEvent, { kind: 'progress' }> => e.kind === 'progress');
      assert.ok(last && last.snapshot.finished === last.snapshot.total && last.snapshot.total > 5, JSON.stringify(last?.snapshot));
      assert.deepEqual(result.postRestore?.rowCounts.map((c) => [c.table, c.archiveRows, c.databaseRows, c.matches]), [['sales.customer', 200, 200, true]]);
      assert.ok(result.postRestore?.analyzed.includes('sales.customer'));
    });
  }

  it('a schema selection brings the CREATE SCHEMA and everything in it', async () => {
    const db = await freshDatabase('schema');
    const result = await restoreWith(fixturePath('custom.dump'), db, { schemas: ['sales'] });
    assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
    const ours = await snapshot(db);
    const reference = await snapshot(full);
    const sales = (items: unknown) => (items as string[]).filter((i) => /^sales[ .]|^"?sales"?\./.test(i) || i.startsWith('sales.'));
    assert.deepEqual(sales(ours.relation), sales(reference.relation));
    assert.deepEqual(sales(ours.index), sales(reference.index));
    assert.equal((ours.rows as Record<string, number>)['sales."order"'], 2000);
  });

  it('data only into existing tables: rows appended, counts compared with what was there before', async () => {
    const db = await freshDatabase('dataonly');
    const schema = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'], mode: 'definition-only' });
    assert.equal(schema.ok, true);
    assert.equal(((await snapshot(db)).rows as Record<string, number>)['public.bulk_rows'], 0);
    const plan = await withArchive(fixturePath('custom.dump'), async (o) => buildPlan(o.archive, { tables: ['public.bulk_rows'], mode: 'data-only' }));
    const report = await withArchive(fixturePath('custom.dump'), async (o) => preflight(o.archive, plan, connectionTo(db)));
    assert.equal(report.blocking, false, JSON.stringify(report.findings));
    const result = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'], mode: 'data-only' });
    assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
    assert.deepEqual(result.postRestore?.rowCounts.map((c) => [c.table, c.databaseRows, c.matches]), [['public.bulk_rows', 5000, true]]);
  });

  for (const fixture of ['custom.dump', 'custom-z0.dump', 'custom-piped.dump'] as const) {
    it(`${fixture}: fed to pg_restore with its data uncompressed, rows counted on the way: the same database as pg_restore's own restore`, async () => {
      const db = await freshDatabase('fed');
      const whole = { sections: ['pre-data', 'data', 'post-data'], mode: 'definition-and-data' } as const;
      const result = await restoreWith(fixturePath(fixture), db, whole);
      assert.equal(result.ok, true, [...result.errors.map((e) => e.message), ...result.problems].join('\n'));
      // pg_restore read its standard input, not the file; the command says so.
      assert.ok(result.frozen !== undefined && result.frozen >= 5, `tables loaded with FREEZE: ${result.frozen}`);
      // Handed the TOC's entries but the one a whole restore leaves out (the DATABASE entry).
      const entries = await withArchive(fixturePath(fixture), async (o) => o.archive.entries.length);
      assert.ok(
        result.command.endsWith(
          `--format=custom (reading ${fixturePath(fixture)} from its standard input, ${entries - 1} of its ${entries} TOC entries, the data uncompressed, ${result.frozen} tables it creates loaded with COPY FREEZE)`,
        ),
        result.command,
      );
      assert.deepEqual(await snapshot(db), await snapshot(full));
      // The large objects (a BLOBS block, fed uncompressed too), byte for byte.
      const objects = (d: string) => query(testEnv().server, d, 'select oid::text, md5(lo_get(oid)) as sum from pg_largeobject_metadata order by oid');
      const restoredObjects = await objects(db);
      assert.ok(restoredObjects.length > 0, 'the fixture has large objects');
      assert.deepEqual(restoredObjects, await objects(full));
      const counts = result.postRestore?.rowCounts ?? [];
      assert.ok(counts.length >= 5 && counts.every((c) => c.matches && c.archiveRows === c.databaseRows), JSON.stringify(counts));
      assert.ok(counts.some((c) => c.table === 'public.bulk_rows' && c.archiveRows === 5000), JSON.stringify(counts));
      // And from the file (the path of --jobs, and of restores without row counts): the same.
      const fromFile = await freshDatabase('fromfile');
      const again = await withArchive(fixturePath(fixture), async (opened) => runRestore(opened, buildPlan(opened.archive, whole), connectionTo(fromFile), {}, { feedArchive: false }));
      assert.equal(again.ok, true, again.errors.map((e) => e.message).join('\n'));
      assert.ok(again.command.endsWith(fixturePath(fixture)), again.command);
      assert.deepEqual(again.postRestore?.rowCounts.map((c) => [c.table, c.archiveRows]), counts.map((c) => [c.table, c.archiveRows]));
      // Fed, the tables' pages were written all-visible (COPY FREEZE); from the file, as pg_restore writes them.
      assert.deepEqual(await visibility(db, 'public.bulk_rows'), { pages: 'some', allVisible: 'all' });
      assert.deepEqual(await visibility(fromFile, 'public.bulk_rows'), { pages: 'some', allVisible: 'none' });
    });
  }

  for (const fixture of ['custom.dump', 'custom-piped.dump'] as const) {
    it(`${fixture}: a selective restore hands pg_restore only the entries it restores, and gives the database pg_restore -L of the file gives`, async () => {
      const selection = { tables: ['sales.customer', 'public.bulk_rows'], withDeps: true };
      const db = await freshDatabase('trimmed');
      const result = await restoreWith(fixturePath(fixture), db, selection);
      assert.equal(result.ok, true, [...result.errors.map((e) => e.message), ...result.problems].join('\n'));
      const { list, planned, entries } = await withArchive(fixturePath(fixture), async (o) => {
        const plan = buildPlan(o.archive, selection);
        return { list: writeRestoreList(o.archive, plan), planned: plan.entries.length, entries: o.archive.entries.length };
      });
      // The planned entries and the three pg_restore acts on as it reads (ENCODING, STDSTRINGS, SEARCHPATH).
      assert.match(result.command, new RegExp(`from its standard input, ${planned + 3} of its ${entries} TOC entries, the data uncompressed`), result.command);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-trimmed-'));
      try {
        const listFile = path.join(dir, 'restore.list');
        fs.writeFileSync(listFile, list);
        const byHand = await freshDatabase('trimmedhand');
        const r = await pgTool('pg_restore', ['-d', byHand, '--single-transaction', '--exit-on-error', '-L', listFile, fixturePath(fixture)], { encoding: 'utf8' });
        assert.equal(r.exitCode, 0, r.stderr);
        assert.deepEqual(await snapshot(db), await snapshot(byHand));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(result.postRestore?.rowCounts.map((c) => [c.table, c.archiveRows, c.matches]).sort(), [['public.bulk_rows', 5000, true], ['sales.customer', 200, true]]);
    });
  }

  /** How many of a table's pages are all-visible, as the ANALYZE after the restore found them. */
  async function visibility(db: string, table: string): Promise<{ pages: string; allVisible: string }> {
    const [row] = await query(testEnv().server, db, 'select relpages, relallvisible from pg_class where oid = $1::regclass', [table]);
    const pages = Number(row!.relpages);
    const visible = Number(row!.relallvisible);
    return { pages: pages > 0 ? 'some' : 'none', allVisible: visible === 0 ? 'none' : visible === pages ? 'all' : `${visible} of ${pages}` };
  }

  it('COPY FREEZE: --clean over tables that exist, and a dump loading partitions through their root, restore as pg_restore does', async () => {
    // --clean: each table is dropped and created again in the one transaction, so it is frozen.
    const db = await freshDatabase('freezeclean');
    const first = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'] });
    assert.equal(first.ok, true, first.errors.map((e) => e.message).join('\n'));
    await query(testEnv().server, db, 'delete from public.bulk_rows where ctid in (select ctid from public.bulk_rows limit 10)');
    const again = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'] }, { clean: true });
    assert.equal(again.ok, true, again.errors.map((e) => e.message).join('\n'));
    assert.equal(again.frozen, 1);
    assert.deepEqual(again.postRestore?.rowCounts.map((c) => [c.table, c.databaseRows, c.matches]), [['public.bulk_rows', 5000, true]]);
    assert.deepEqual(await visibility(db, 'public.bulk_rows'), { pages: 'some', allVisible: 'all' });

    // --load-via-partition-root: the partitions' rows are COPYed into the root, which cannot be frozen.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-viaroot-'));
    try {
      const file = path.join(dir, 'viaroot.dump');
      const dumped = await pgTool('pg_dump', ['-Fc', '--load-via-partition-root', '-f', file, 'rich'], { encoding: 'utf8' });
      assert.equal(dumped.exitCode, 0, dumped.stderr);
      const target = await freshDatabase('viaroot');
      const result = await restoreWith(file, target, { tables: ['sales.measurement'], withDeps: true });
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.match(result.command, /the data uncompressed\)$/, 'fed, with no COPY FREEZE');
      assert.equal(result.frozen, undefined);
      const rows = await query(testEnv().server, target, 'select (select count(*) from sales.measurement_2024) as a, (select count(*) from sales.measurement_2025) as b');
      const reference = await query(testEnv().server, full, 'select (select count(*) from sales.measurement_2024) as a, (select count(*) from sales.measurement_2025) as b');
      assert.deepEqual(rows, reference);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('COPY FREEZE refused by the target: the restore is run again without it and succeeds', async () => {
    // An archive whose TABLE entry creates its table only if it is missing (pg_dump never writes
    // that; other tools may): over a table that exists, the COPY FREEZE is refused.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-freeze-refused-'));
    try {
      const file = path.join(dir, 'if-not-exists.dump');
      let create = '';
      await withArchive(fixturePath('custom.dump'), async (source) => {
        const table = source.archive.entries.find((e) => e.desc === 'TABLE' && e.tag === 'bulk_rows')!;
        create = table.defn!.slice(0, table.defn!.indexOf(';') + 1);
        const ifMissing = Object.create(table, { defn: { value: table.defn!.replace('CREATE TABLE ', 'CREATE TABLE IF NOT EXISTS ') } }) as TocEntry;
        const archive = Object.create(source.archive, { entries: { value: source.archive.entries.map((e) => (e === table ? ifMissing : e)) } }) as TocArchive;
        await writeCustomArchive({ archive, openData: (e: TocEntry) => source.openData(e), largeObjects: (e: TocEntry) => source.largeObjects(e) } as unknown as OpenedArchive, file, {
          version: (source.archive as TocArchive).header.version,
          compression: 'gzip',
          offsets: true,
        });
      });
      assert.match(create, /^CREATE TABLE public\.bulk_rows \(/);
      const db = await freshDatabase('freezerefused');
      await query(testEnv().server, db, create);
      const lines: string[] = [];
      const errorEvents: string[] = [];
      const result = await restoreWith(file, db, { tables: ['public.bulk_rows'] }, {}, { onEvent: (e) => (e.kind === 'output' ? lines.push(e.line) : e.kind === 'error' && errorEvents.push(e.error.message)) });
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.match(result.freezeRefused ?? '', /cannot perform COPY FREEZE/);
      assert.equal(result.frozen, undefined, 'the run that succeeded froze nothing');
      assert.ok(lines.some((l) => /^the target refused COPY FREEZE \(.*\): restoring again without it$/.test(l)), lines.join('\n'));
      // The refusal is said once, as that line, not as an error of the restore that succeeded.
      assert.deepEqual(errorEvents, []);
      assert.deepEqual(result.postRestore?.rowCounts.map((c) => [c.table, c.databaseRows, c.matches]), [['public.bulk_rows', 5000, true]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a data block that cannot be read while it is fed: the restore fails, says why, and the target is as it was', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-fed-bad-'));
    try {
      const bytes = Buffer.from(fs.readFileSync(fixturePath('custom.dump')));
      const block = await withArchive(fixturePath('custom.dump'), async ({ archive }) => {
        const e = archive.entries.find((x) => x.desc === 'TABLE DATA' && x.tag === 'bulk_rows')!;
        return { at: (e.data as { offset: number }).offset, size: e.dataSize! };
      });
      // Garbage in the middle of the table's compressed data.
      const middle = block.at + Math.floor(block.size / 2);
      for (let k = middle; k < middle + 64; k++) bytes[k] = bytes[k]! ^ 0x5a;
      const file = path.join(dir, 'damaged.dump');
      fs.writeFileSync(file, bytes);
      const db = await freshDatabase('fedbad');
      const before = await snapshot(db);
      const result = await restoreWith(file, db, { tables: ['public.bulk_rows'] });
      assert.equal(result.ok, false);
      assert.equal(result.cancelled, false);
      assert.ok(result.problems.some((p) => /^the archive could not be read: .*bulk_rows/.test(p)), JSON.stringify(result.problems));
      assert.deepEqual(await snapshot(db), before);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failure mid-restore leaves the target exactly as it was', async () => {
    // Data only into a copy of the full restore where bulk_rows was emptied: its COPY succeeds
    // inside the transaction, then sales.order's COPY (later in the archive) hits duplicate keys;
    // everything rolls back.
    const db = await freshDatabase('fail');
    const r = await pgTool('pg_restore', ['-d', db, fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    await query(testEnv().server, db, 'delete from public.bulk_rows');
    const before = await snapshot(db);
    const finished: string[] = [];
    const result = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows', 'sales.order'], mode: 'data-only' }, {}, {
      onEvent: (e) => {
        if (e.kind === 'progress' && e.snapshot.running.length > 0) finished.push(...e.snapshot.running.map((r) => r.name));
      },
    });
    assert.ok(finished.includes('public.bulk_rows') && finished.includes('sales.order'), `both COPYs started: ${finished.join(', ')}`);
    assert.equal(result.ok, false);
    assert.equal(result.cancelled, false);
    assert.ok(result.errors.length >= 1, 'the error is reported');
    assert.match(result.errors[0]!.message, /duplicate key/);
    assert.equal(result.errors[0]!.entry?.tag, 'order', 'the error is tied to the entry that failed');
    assert.deepEqual(await snapshot(db), before);
  });

  it('no session of the tool is left on the target after a restore, whether it succeeded or failed', async () => {
    const ours = async (db: string) =>
      (await query(testEnv().server, 'postgres', "select application_name as name from pg_stat_activity where datname = $1 and application_name like 'pg-dump-explorer%'", [db])).map((r) => String(r.name));
    const db = await freshDatabase('sessions');
    const ok = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'] });
    assert.equal(ok.ok, true, ok.errors.map((e) => e.message).join('\n'));
    assert.ok(ok.postRestore?.analyzed.includes('public.bulk_rows'), 'the checks ran (in the progress session they took over)');
    await until('the tool\'s sessions to be gone after a restore that succeeded', async () => (await ours(db)).length === 0, { onTimeout: async () => (await ours(db)).join(', ') });
    const failed = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'] });
    assert.equal(failed.ok, false, 'the table exists already');
    await until('the tool\'s sessions to be gone after a restore that failed', async () => (await ours(db)).length === 0, { onTimeout: async () => (await ours(db)).join(', ') });
  });

  for (const [name, fails] of [
    ['at the last progress', (e: RestoreEvent) => e.kind === 'progress' && e.snapshot.finished === e.snapshot.total],
    ['as the checks start', (e: RestoreEvent) => e.kind === 'stage' && e.stage === 'post-restore'],
  ] as const) {
    it(`a listener that throws ${name}: the restore rejects with its error and leaves no session of the tool open`, async () => {
      const db = await freshDatabase('listener');
      await assert.rejects(
        restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'] }, {}, {
          onEvent: (e) => {
            if (fails(e)) throw new Error('the listener failed');
          },
        }),
        /the listener failed/,
      );
      const ours = async () => (await query(testEnv().server, 'postgres', "select application_name as name from pg_stat_activity where datname = $1 and application_name like 'pg-dump-explorer%'", [db])).map((r) => String(r.name));
      await until('the tool\'s sessions to be gone', async () => (await ours()).length === 0, { onTimeout: async () => (await ours()).join(', ') });
    });
  }

  it('a cancelled restore ends pg_restore and leaves the target exactly as it was', async () => {
    const db = await freshDatabase('cancel');
    const r = await pgTool('pg_restore', ['-d', db, fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    await query(testEnv().server, db, 'delete from sales.order_line; delete from public.bulk_rows');
    const before = await snapshot(db);
    // Another session holds a SHARE lock on order_line (reads pass, COPY waits), so the restore
    // is certainly still running (bulk_rows copied, order_line waiting) when it is cancelled.
    await withTableLocked(db, 'sales.order_line', 'share', async () => {
      const controller = new AbortController();
      let sawProgress = false;
      const waiting = restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows', 'sales.order_line'], mode: 'data-only' }, {}, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === 'progress' && e.snapshot.running.some((x) => x.name === 'sales.order_line')) sawProgress = true;
        },
      });
      await until('the restore to reach sales.order_line', () => sawProgress);
      await waitForLockWait(db);
      controller.abort();
      const result = await waiting;
      assert.equal(sawProgress, true);
      assert.equal(result.cancelled, true);
      assert.equal(result.ok, false);
    });
    assert.deepEqual(await snapshot(db), before);
  });

  it('a parallel restore (--jobs 2) of a directory archive restores everything', async () => {
    const db = await freshDatabase('parallel');
    const result = await restoreWith(fixturePath('dir-gzip'), db, { sections: ['pre-data', 'data', 'post-data'] }, { jobs: 2 });
    assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
    assert.ok(result.command.includes('--jobs=2') && !result.command.includes('--single-transaction'));
    assert.deepEqual(await snapshot(db), await snapshot(full));
    assert.ok((result.postRestore?.rowCounts.length ?? 0) >= 8 && result.postRestore?.rowCounts.every((c) => c.matches));
  });

  it('a parallel restore of a custom archive written to a pipe (no data offsets) restores everything', async () => {
    // pg_restore's workers find each entry's data by reading through the file: slow, but it works.
    const db = await freshDatabase('parallel_piped');
    const result = await restoreWith(fixturePath('custom-piped.dump'), db, { sections: ['pre-data', 'data', 'post-data'] }, { jobs: 2 });
    assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
    assert.ok(result.command.includes('--jobs=2'));
    assert.deepEqual(await snapshot(db), await snapshot(full));
  });

  it('--jobs is refused for tar archives, with the reason', async () => {
    const db = await freshDatabase('tarjobs');
    await assert.rejects(restoreWith(fixturePath('archive.tar'), db, { tables: ['sales.customer'] }, { jobs: 2 }), /tar archive in parallel/);
  });

  it('sequences behind their column are moved forward after a restore', async () => {
    // The table's data without its SEQUENCE SET: the sequence stays at its start while ids reach 2000.
    const db = await freshDatabase('seq');
    const result = await withArchive(fixturePath('custom.dump'), async (opened) => {
      const plan = buildPlan(opened.archive, { tables: ['sales.order'], withDeps: true });
      plan.entries = plan.entries.filter((p) => p.entry.desc !== 'SEQUENCE SET');
      return runRestore(opened, plan, connectionTo(db));
    });
    assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
    const fix = result.postRestore?.sequences.find((s) => s.sequence.endsWith('order_id_seq'));
    assert.ok(fix?.changed, JSON.stringify(result.postRestore?.sequences));
    assert.equal(fix.columnMax, 2000);
    const [row] = await query<{ v: string }>(testEnv().server, db, `select last_value::text as v from sales.order_id_seq`);
    assert.equal(row?.v, '2000');
  });

  it('conflicts are found before anything runs, and clean drops exactly what the report lists', async () => {
    const db = await freshDatabase('conflict');
    const first = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'] });
    assert.equal(first.ok, true);
    await query(testEnv().server, db, 'create table public.bystander(x int); insert into public.bystander values (1)');
    const plan = await withArchive(fixturePath('custom.dump'), async (o) => buildPlan(o.archive, { tables: ['public.bulk_rows'] }));
    const report = await withArchive(fixturePath('custom.dump'), async (o) => preflight(o.archive, plan, connectionTo(db)));
    assert.equal(report.blocking, true);
    assert.ok(report.conflicts.some((c) => c.name.includes('bulk_rows')));
    const clean = report.findings.flatMap((f) => f.fixes).find((f) => f.kind === 'clean');
    assert.ok(clean && clean.kind === 'clean' && clean.drops.length > 0 && clean.drops.every((d) => !d.includes('bystander')));
    const second = await restoreWith(fixturePath('custom.dump'), db, { tables: ['public.bulk_rows'] }, { clean: true });
    assert.equal(second.ok, true, second.errors.map((e) => e.message).join('\n'));
    const drops = second.errors.length === 0 ? (await snapshot(db)) : {};
    assert.equal((drops.rows as Record<string, number>)['public.bystander'], 1, 'what the report did not list is untouched');
    assert.equal((drops.rows as Record<string, number>)['public.bulk_rows'], 5000, 'restored once, not appended');
  });

  it('a plain .sql and a .sql.gz dump go through psql in one transaction', async () => {
    for (const name of ['plain.sql', 'plain.sql.gz'] as const) {
      const db = await freshDatabase('plain');
      const result = await runPsqlRestore(readPlainDump(fixturePath(name), name.endsWith('.gz') ? 'gzip' : 'none'), connectionTo(db));
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.deepEqual((await snapshot(db)).rows, (await snapshot(full)).rows, name);
    }
  });

  it('sees whether a plain dump uses \\restrict (pg_dump 15.14 and later write it), compressed or not', async () => {
    assert.equal(await plainDumpUsesRestrict(fixturePath('plain.sql'), 'none'), true);
    assert.equal(await plainDumpUsesRestrict(fixturePath('plain.sql.gz'), 'gzip'), true);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-restrict-'));
    try {
      const old = path.join(dir, 'old.sql');
      fs.writeFileSync(old, '--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n-- \\restrict in a comment does not count\n');
      assert.equal(await plainDumpUsesRestrict(old, 'none'), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing plain restore changes nothing', async () => {
    const db = await freshDatabase('plainfail');
    await query(testEnv().server, db, 'create table public.bulk_rows(id int)');
    const before = await snapshot(db);
    const result = await runPsqlRestore(readPlainDump(fixturePath('plain.sql'), 'none'), connectionTo(db));
    assert.equal(result.ok, false);
    assert.match(result.errors[0]?.message ?? '', /already exists/);
    assert.ok((result.errors[0]?.line ?? 0) > 1);
    assert.deepEqual(await snapshot(db), before);
  });

  describe('the restore command', () => {
    it('restores one table, prints progress and the report, exits 0', async () => {
      const db = await freshDatabase('cli');
      const { server } = testEnv();
      const r = await cli(['restore', fixturePath('custom.dump'), '--dbname', `postgresql://${server.user}@${server.host}:${server.port}/${db}`, '--table', 'sales.order', '--with-deps', '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, /^\[\d+\/\d+\]/m);
      // The tables are new: the server's counters of what pg_restore inserted settle their rows.
      assert.match(r.stderr, /rows: (\d+) of \1 tables hold what the archive has \(\1 by the server's counts of the rows the restore inserted, 0 by count\(\*\)\)/);
      assert.match(r.stderr, new RegExp(`${server.host}:${server.port}/${db}`));
      assert.equal(Number((await query<{ n: string }>(server, db, 'select count(*)::text as n from sales."order"'))[0]?.n), 2000);
    });

    it('stops with exit 4 when pre-flight finds a blocking problem, and changes nothing', async () => {
      const db = await freshDatabase('cliblock');
      const before = await snapshot(db);
      // sales.order_line alone: its foreign key references sales."order", which the target lacks.
      const r = await cli(['restore', fixturePath('custom.dump'), '--dbname', db, '--table', 'sales.order_line'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 4, r.stderr);
      assert.match(r.stderr, /blocking/);
      assert.deepEqual(await snapshot(db), before);
    });

    it('exit 5 and nothing changed when the restore fails', async () => {
      const db = await freshDatabase('clifail');
      await query(testEnv().server, db, 'create table public.bulk_rows(id int)');
      const before = await snapshot(db);
      const r = await cli(['restore', fixturePath('plain.sql'), '--dbname', db, '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 5, r.stderr);
      assert.match(r.stderr, /nothing was changed/);
      assert.deepEqual(await snapshot(db), before);
    });

    it('a bad connection string is one line and exit 2', async () => {
      const r = await cli(['restore', fixturePath('custom.dump'), '--dbname', 'postgresql://x:notaport/db', '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 2);
      assert.equal(r.stderr.trim().split('\n')[0]!.startsWith('pg-dump-explorer: error:'), true);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  });
});
