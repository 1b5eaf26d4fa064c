import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type OpenedArchive, withArchive } from '../../src/core/archive';
import type { TocEntry } from '../../src/core/model/types';
import { buildPlan } from '../../src/core/plan/closure';
import { writeRestoreList } from '../../src/core/plan/listFile';
import type { Selection } from '../../src/core/plan/selection';
import { writeCustomArchive } from '../support/archiveWriter';
import { cli, fixturePath, pgTool, testEnv } from '../support/env';
import { createDatabase, query } from '../support/pgServer';

/** The 1.14 archives the local pg_restore reads, one per format. */
const FORMATS = ['custom.dump', 'dir-gzip', 'archive.tar'];

/** The dumpIds of the entry lines of a `pg_restore -l` listing (or of a list file), in order. */
const listedIds = (listing: string) =>
  listing
    .split('\n')
    .filter((l) => /^\d+;/.test(l))
    .map((l) => Number(l.slice(0, l.indexOf(';'))));

/** `desc schema tag` of each entry line of a listing (names may hold spaces; good enough to compare). */
const listedKeys = (listing: string) =>
  listing
    .split('\n')
    .filter((l) => /^\d+;/.test(l))
    .map((l) => l.replace(/^\d+; \d+ \d+ /, '').replace(/ \S*$/, ''));


describe('restore plan: the list round-trips through the real pg_restore -L', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-plan-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const CASES: { args: string[]; selection: Selection }[] = [
    { args: ['--table', 'sales.order'], selection: { tables: ['sales.order'] } },
    { args: ['--table', 'sales.customer', '--with-deps'], selection: { tables: ['sales.customer'], withDeps: true } },
    { args: ['--table', 'sales.order', '--with-deps'], selection: { tables: ['sales.order'], withDeps: true } },
    { args: ['--schema', 'sales', '--schema', 'public'], selection: { schemas: ['sales', 'public'] } },
    { args: ['--table', 'sales.order_line', '--data-only', '--with-deps'], selection: { tables: ['sales.order_line'], mode: 'data-only', withDeps: true } },
    { args: ['--table', 'sales.measurement', '--schema-only'], selection: { tables: ['sales.measurement'], mode: 'definition-only' } },
    { args: ['--table', 'sales.order', '--drop-dangling-fks'], selection: { tables: ['sales.order'], dropDanglingForeignKeys: true } },
    { args: ['--table', 'public.bulk "odd" name', '--table', 'Audit Log.Event "Quoted" Name'], selection: { tables: ['public.bulk "odd" name', 'Audit Log.Event "Quoted" Name'] } },
  ];

  for (const name of FORMATS) {
    it(`${name}: pg_restore -l -L lists exactly the planned entries`, async () => {
      const file = fixturePath(name);
      await withArchive(file, async ({ archive }) => {
        for (const { args, selection } of CASES) {
          const planned = buildPlan(archive, selection).entries.map((p) => p.entry.dumpId);
          assert.ok(planned.length > 0, args.join(' '));
          const ours = await cli(['plan', file, ...args]);
          assert.equal(ours.exitCode, 0, ours.stderr.toString());
          const list = path.join(dir, `${name}.list`);
          fs.writeFileSync(list, ours.stdout);
          assert.deepEqual(listedIds(ours.stdout.toString()), planned, `${args.join(' ')}: the CLI's list`);
          const theirs = await pgTool('pg_restore', ['-l', '-L', list, file], { encoding: 'utf8' });
          assert.equal(theirs.exitCode, 0, theirs.stderr);
          assert.equal(theirs.stderr, '', `${args.join(' ')}: pg_restore warned`);
          assert.deepEqual(listedIds(theirs.stdout), planned, `${args.join(' ')}: what pg_restore -L selects`);
        }
      });
    });
  }

  it('what the plan needs and the dangling foreign key are said on stderr, one line each', async () => {
    const r = await cli(['plan', fixturePath('custom.dump'), '--table', 'sales.order'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0);
    const lines = r.stderr.trimEnd().split('\n');
    assert.ok(lines.every((l) => l.startsWith('pg-dump-explorer: warning: ')), r.stderr);
    assert.ok(lines.some((l) => /\d+ SCHEMA - sales is needed but not planned; needed by \d+ \(its schema\)/.test(l)), r.stderr);
    assert.ok(lines.some((l) => /foreign key \d+ FK CONSTRAINT sales order order_customer_id_fkey references \d+ TABLE sales customer/.test(l)), r.stderr);
    const quiet = await cli(['plan', fixturePath('custom.dump'), '--table', 'sales.order', '--with-deps'], { encoding: 'utf8' });
    assert.equal(quiet.stderr, '');
  });

  it('usage errors: no selection, both modes, an unknown table', async () => {
    const file = fixturePath('custom.dump');
    const none = await cli(['plan', file], { encoding: 'utf8' });
    assert.equal(none.exitCode, 2);
    assert.match(none.stderr, /plan needs --table/);
    const both = await cli(['plan', file, '--table', 'sales.order', '--data-only', '--schema-only'], { encoding: 'utf8' });
    assert.equal(both.exitCode, 2);
    const unknown = await cli(['plan', file, '--table', 'sales.nope', '--table', 'sales.order', '--schema', 'nowhere'], { encoding: 'utf8' });
    assert.equal(unknown.exitCode, 2);
    assert.equal(unknown.stdout, '');
    assert.equal(unknown.stderr, 'pg-dump-explorer: error: not in the archive: table sales.nope, schema nowhere\n');
  });

  it('a table whose tag holds a line break cannot add a line to the list', async () => {
    // pg_dump quotes such names in SQL, but the TOC tag holds the raw name. Re-encode custom.dump
    // (1.14) with the tag of public."bulk ""odd"" name" changed to carry a whole second line
    // naming an entry that is not planned.
    const crafted = path.join(dir, 'newline-tag.dump');
    await withArchive(fixturePath('custom.dump'), async (source) => {
      const entries = source.archive.entries;
      const victim = entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'bulk_rows')!;
      const target = entries.find((e) => e.desc === 'TABLE' && e.tag === 'bulk "odd" name')!;
      const evilTag = `bulk "odd" name\n${victim.dumpId}; 0 0 TABLE DATA public bulk_rows postgres\n`;
      const forged = entries.map((e) => (e === target ? (Object.create(e, { tag: { value: evilTag } }) as TocEntry) : e));
      const archive = { ...source.archive, entries: forged };
      const forgedSource: OpenedArchive = {
        archive,
        openData: (e) => source.openData(e),
        largeObjects: (e) => source.largeObjects(e),
        close: async () => undefined,
      };
      await writeCustomArchive(forgedSource, crafted, { version: { major: 1, minor: 14, rev: 0 }, compression: 'gzip', offsets: true });
    });
    await withArchive(crafted, async ({ archive }) => {
      const table = archive.entries.find((e) => e.desc === 'TABLE' && (e.tag ?? '').startsWith('bulk "odd" name\n'))!;
      assert.ok(table, 'the crafted archive reads back with the line break in the tag');
      const plan = buildPlan(archive, { tables: [`public.${table.tag}`] });
      const planned = plan.entries.map((p) => p.entry.dumpId);
      assert.ok(planned.includes(table.dumpId));
      const text = writeRestoreList(archive, plan);
      assert.deepEqual(listedIds(text), planned);
      const list = path.join(dir, 'newline-tag.list');
      fs.writeFileSync(list, text);
      const theirs = await pgTool('pg_restore', ['-l', '-L', list, crafted], { encoding: 'utf8' });
      assert.equal(theirs.exitCode, 0, theirs.stderr);
      assert.equal(theirs.stderr, '');
      assert.deepEqual(listedIds(theirs.stdout), planned);
      // pg_restore -l shows the same line break as a space, as our line does.
      const ourLine = text.split('\n').find((l) => l.startsWith(`${table.dumpId}; `));
      assert.ok(theirs.stdout.split('\n').includes(ourLine!), `pg_restore -l prints ${ourLine}`);
    });
  });

  it('brings more than pg_restore -t: the identity sequence, keys, policy and row security of sales.customer', async () => {
    const file = fixturePath('custom.dump');
    const theirs = await pgTool('pg_restore', ['-l', '-t', 'customer', file], { encoding: 'utf8' });
    const ours = await cli(['plan', file, '--table', 'sales.customer'], { encoding: 'utf8' });
    const theirKeys = listedKeys(theirs.stdout);
    const ourKeys = listedKeys(ours.stdout);
    for (const k of theirKeys) assert.ok(ourKeys.includes(k), `pg_restore -t has ${k}, the plan does not`);
    const extra = ourKeys.filter((k) => !theirKeys.includes(k));
    assert.deepEqual(extra.sort(), [
      'CONSTRAINT sales customer customer_email_key',
      'CONSTRAINT sales customer customer_pkey',
      'POLICY sales customer customer_self',
      'ROW SECURITY sales customer',
      'SEQUENCE SET sales customer_id_seq',
      'SEQUENCE sales customer_id_seq',
    ]);
  });

  it('brings more than pg_restore -n: the CREATE SCHEMA itself', async () => {
    const file = fixturePath('custom.dump');
    const theirs = listedKeys((await pgTool('pg_restore', ['-l', '-n', 'sales', file], { encoding: 'utf8' })).stdout);
    const ours = listedKeys((await cli(['plan', file, '--schema', 'sales'], { encoding: 'utf8' })).stdout);
    for (const k of theirs) assert.ok(ours.includes(k), `pg_restore -n has ${k}, the plan does not`);
    assert.ok(!theirs.includes('SCHEMA - sales') && ours.includes('SCHEMA - sales'));
  });

  it('restored into an empty database, sales.order with what it needs arrives whole, where pg_restore -t leaves out its keys, indexes and trigger', async () => {
    const { server } = testEnv();
    const file = fixturePath('custom.dump');
    const db = `pgdx_plan_${process.pid}`;
    const dbT = `pgdx_plan_t_${process.pid}`;
    await createDatabase(server, db);
    await createDatabase(server, dbT);
    const list = path.join(dir, 'order.list');
    const plan = await cli(['plan', file, '--table', 'sales.order', '--with-deps']);
    fs.writeFileSync(list, plan.stdout);
    const restored = await pgTool('pg_restore', ['-d', db, '-L', list, file], { encoding: 'utf8' });
    assert.equal(restored.exitCode, 0, restored.stderr);
    assert.equal(restored.stderr, '');

    const shape = async (database: string) => {
      const [row] = await query<{ indexes: string; triggers: string; fks: string; nextval: string }>(
        server,
        database,
        `select (select string_agg(indexname, ',' order by indexname) from pg_indexes where schemaname = 'sales' and tablename = 'order') as indexes,
                (select string_agg(tgname, ',' order by tgname) from pg_trigger where tgrelid = to_regclass('sales."order"') and not tgisinternal) as triggers,
                (select string_agg(conname, ',' order by conname) from pg_constraint where conrelid = to_regclass('sales."order"') and contype = 'f') as fks`,
      );
      return row!;
    };
    const source = await query<{ n: string; m: string }>(server, testEnv().database, 'select (select count(*) from sales."order")::text as n, (select last_value from sales.order_id_seq)::text as m');
    const copy = await query<{ n: string; m: string }>(server, db, 'select (select count(*) from sales."order")::text as n, (select last_value from sales.order_id_seq)::text as m');
    assert.deepEqual(copy, source, 'rows and the sequence value');
    assert.deepEqual(await shape(db), {
      indexes: 'order_created_idx,order_pkey,order_status_partial_idx',
      triggers: 'order_touch',
      fks: 'order_customer_id_fkey',
    });

    // pg_restore -t, given the schema and the type it needs first, restores the table bare.
    await query(server, dbT, `create schema sales; create type sales.order_status as enum ('new','paid','shipped','cancelled')`);
    const t = await pgTool('pg_restore', ['-d', dbT, '-t', 'order', file], { encoding: 'utf8' });
    assert.equal(t.exitCode, 0, t.stderr);
    assert.deepEqual(await shape(dbT), { indexes: null, triggers: null, fks: null });
  });
});
