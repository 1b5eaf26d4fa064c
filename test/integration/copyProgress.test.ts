/**
 * Progress inside a COPY on dumps made here: two tables whose COPYs take seconds (a CHECK
 * constraint calls a function that sleeps half a millisecond per row while the restore runs) and
 * whose data is big enough (8 kB of hex per row, 32 MB a table) that the restore program's read
 * position moves while the target works, beyond what the pipes and sockets between them hold. From the target (a table created in the restore's own transaction
 * too), from the input's position where the target is not asked, and with --jobs every COPY.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withDump } from '../../src/core/archive';
import { buildPlan } from '../../src/core/plan/closure';
import type { CopyInProgress } from '../../src/core/restore/copyProgress';
import { runRestore } from '../../src/core/restore/restoreArchive';
import { formatProgress } from '../../src/core/restore/reportText';
import type { RestoreHooks, RestoreRunOptions } from '../../src/core/restore/types';
import { pgTool, testEnv } from '../support/env';
import { query } from '../support/pgServer';
import { connectionTo, dropCreatedDatabases, freshDatabase } from '../support/targetDb';

const ROWS = 4000;

interface Sample {
  at: number;
  copying: CopyInProgress[];
  line: string;
}

async function restoreWatching(file: string, db: string, tables: string[], options: RestoreRunOptions = {}, hooks: RestoreHooks = {}): Promise<Sample[]> {
  const samples: Sample[] = [];
  const result = await withDump(file, (opened) =>
    runRestore(opened, buildPlan(opened.archive, { functions: ['public.slow_ok'], tables }), connectionTo(db), options, {
      ...hooks,
      onEvent: (e) => {
        if (e.kind === 'progress' && e.snapshot.copying) samples.push({ at: Date.now(), copying: e.snapshot.copying, line: formatProgress(e.snapshot) });
      },
    }),
  );
  assert.equal(result.ok, true, [...result.errors.map((e) => e.message), ...result.problems].join('\n'));
  assert.deepEqual(result.postRestore?.problems ?? [], []);
  assert.equal(result.progress.copying, undefined, 'nothing is copying once it is done');
  return samples;
}

/** The samples of one table's COPY, in order. */
const of = (samples: Sample[], table: string) => samples.flatMap((s) => s.copying.filter((c) => c.table === table).map((c) => ({ at: s.at, ...c, line: s.line })));

/** At least two samples of the table, its bytes moving forward, a sample at least about once a second. */
function assertMoving(samples: Sample[], table: string, from: CopyInProgress['from']): void {
  const seen = of(samples, table);
  assert.ok(seen.length >= 2, `${table}: its COPY was seen ${seen.length} time(s)`);
  for (const c of seen) assert.equal(c.from, from, `${table}: ${JSON.stringify(c)}`);
  for (let i = 1; i < seen.length; i++) {
    assert.ok(seen[i]!.bytes >= seen[i - 1]!.bytes, `${table}: bytes only go forward: ${seen.map((c) => c.bytes).join(', ')}`);
    assert.ok(seen[i]!.at - seen[i - 1]!.at < 2_000, `${table}: a sample at least about once a second`);
  }
  assert.ok(seen.at(-1)!.bytes > seen[0]!.bytes, `${table}: the byte count moves: ${seen.map((c) => c.bytes).join(', ')}`);
}

describe('progress inside a COPY, on slow tables of a dump made here', function () {
  this.timeout(240_000);
  let dir = '';
  let custom = '';
  let plain = '';
  let directory = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-copyprogress-'));
    const source = await freshDatabase('copysource');
    // slow_ok sleeps unless the session says otherwise (the source's own inserts do).
    await query(testEnv().server, source, [
      "create function public.slow_ok(id int) returns boolean language plpgsql as $$ begin if current_setting('pgdx.fast', true) is distinct from 'on' then perform pg_sleep(0.0005); end if; return id > 0; end $$",
      'create table public.slow_a (id int primary key check (public.slow_ok(id)), payload text)',
      'create table public.slow_b (id int primary key check (public.slow_ok(id)), payload text)',
      "set pgdx.fast = 'on'",
      `insert into public.slow_a select g, (select string_agg(md5(g::text || ':' || k), '') from generate_series(1, 256) k) from generate_series(1, ${ROWS}) g`,
      `insert into public.slow_b select g, (select string_agg(md5(k || ':' || g::text), '') from generate_series(1, 256) k) from generate_series(1, ${ROWS}) g`,
    ].join('; '));
    custom = path.join(dir, 'slow.dump');
    plain = path.join(dir, 'slow.sql');
    directory = path.join(dir, 'slow.dir');
    for (const [format, file] of [['c', custom], ['p', plain], ['d', directory]] as const) {
      const r = await pgTool('pg_dump', ['-d', source, `-F${format}`, '-f', file], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
    }
  });

  after(async () => {
    await dropCreatedDatabases();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('from the target: a table created in the restore\'s own transaction is named, its rows and bytes move', async () => {
    const db = await freshDatabase('copytarget');
    const samples = await restoreWatching(custom, db, ['public.slow_a']);
    assertMoving(samples, 'public.slow_a', 'target');
    const rows = of(samples, 'public.slow_a').map((c) => c.rows ?? -1);
    assert.ok(rows.at(-1)! > rows[0]! && rows.at(-1)! <= ROWS, JSON.stringify(rows));
    assert.match(of(samples, 'public.slow_a')[0]!.line, /— copying public\.slow_a [\d.]+ [kM]?B, [\d,]+ rows$/);
  });

  if (process.platform === 'linux') {
    for (const [name, file] of [
      ['custom archive', () => custom],
      ['directory archive', () => directory],
    ] as const) {
      it(`${name}: where the target is not asked, how far pg_restore has read the table's data`, async () => {
        const db = await freshDatabase('copyinput');
        const samples = await restoreWatching(file(), db, ['public.slow_a'], {}, { copyProgressFrom: 'input' });
        assertMoving(samples, 'public.slow_a', 'input');
        const seen = of(samples, 'public.slow_a');
        assert.ok(seen.every((c) => c.of !== undefined && c.bytes <= c.of), JSON.stringify(seen));
        assert.match(of(samples, 'public.slow_a')[0]!.line, /— copying public\.slow_a [\d.]+ [kM]?B of [\d.]+ [kM]?B read$/);
      });
    }
  }

  it("plain dump: where the target is not asked, how much of the table's data psql has been fed", async () => {
    const db = await freshDatabase('copyplain');
    const samples = await restoreWatching(plain, db, ['public.slow_a'], {}, { copyProgressFrom: 'input' });
    assertMoving(samples, 'public.slow_a', 'input');
    assert.match(of(samples, 'public.slow_a')[0]!.line, /— copying public\.slow_a [\d.]+ [kM]?B of [\d.]+ [kM]?B read$/);
  });

  it('with --jobs 2: every running COPY, each with its own figures', async () => {
    const db = await freshDatabase('copyjobs');
    const samples = await restoreWatching(custom, db, ['public.slow_a', 'public.slow_b'], { jobs: 2 });
    const both = samples.filter((s) => s.copying.some((c) => c.table === 'public.slow_a') && s.copying.some((c) => c.table === 'public.slow_b'));
    assert.ok(both.length >= 1, `both COPYs at once in no sample: ${JSON.stringify(samples.map((s) => s.copying.map((c) => c.table)))}`);
    assert.ok(both.every((s) => s.copying.every((c) => c.from === 'target' && (c.rows ?? 0) >= 0)));
    assert.match(both[0]!.line, /— copying public\.slow_(a|b) [^;]+; public\.slow_(a|b) /);
  });
});
