/**
 * Restores of a directory dump packed in a tar or zip file (with the macOS junk a Mac adds), by
 * the real pg_restore from a temporary copy of what it reads: the same result as from the folder,
 * in parallel too, and the copy gone afterwards whether the restore succeeds, fails or is
 * cancelled.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withArchive } from '../../src/core/archive';
import { buildPlan } from '../../src/core/plan/closure';
import type { Selection } from '../../src/core/plan/selection';
import { runRestore } from '../../src/core/restore/restoreArchive';
import type { RestoreEvent, RestoreResult, RestoreRunOptions } from '../../src/core/restore/types';
import { cli, fixturePath, pgTool, testEnv } from '../support/env';
import { query } from '../support/pgServer';
import { until } from '../support/poll';
import { connectionTo, dropCreatedDatabases, footprint, freshDatabase, snapshot, waitForLockWait, withTableLocked } from '../support/targetDb';

type Unpack = Extract<RestoreEvent, { kind: 'unpack' }>;

/** A restore with the copy it was made from, as its `unpack` event said. */
async function restoreWith(file: string, db: string, selection: Selection, options: RestoreRunOptions = {}, hooks: { signal?: AbortSignal; onEvent?: (e: RestoreEvent) => void } = {}): Promise<{ result: RestoreResult; unpacked: Unpack[] }> {
  const unpacked: Unpack[] = [];
  const result = await withArchive(file, (opened) =>
    runRestore(opened, buildPlan(opened.archive, selection), connectionTo(db), options, {
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onEvent: (e) => {
        if (e.kind === 'unpack') unpacked.push(e);
        hooks.onEvent?.(e);
      },
    }),
  );
  return { result, unpacked };
}

const errorsOf = (r: RestoreResult) => [...r.errors.map((e) => e.message), ...r.problems].join('\n');
const ORDER: Selection = { tables: ['sales.order'], withDeps: true };

describe('restoring a directory dump packed in a tar or zip file', function () {
  this.timeout(180_000);
  let tmp = '';
  let folder = '';
  const wrapped: Record<'zip' | 'tar', string> = { zip: '', tar: '' };
  let fromFolder = '';

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-wrapped-restore-'));
    // The fixture directory dump (gzip-compressed data files, large objects) as a Mac user packs it.
    folder = fixturePath('dir-gzip');
    const src = path.join(tmp, 'src');
    fs.cpSync(folder, path.join(src, 'nightly'), { recursive: true });
    fs.writeFileSync(path.join(src, 'nightly', '._toc.dat'), 'AppleDouble junk');
    const firstData = fs.readdirSync(folder).find((n) => /^\d+\.dat\.gz$/.test(n))!;
    fs.writeFileSync(path.join(src, 'nightly', `._${firstData}`), 'AppleDouble junk');
    fs.mkdirSync(path.join(src, '__MACOSX', 'nightly'), { recursive: true });
    fs.writeFileSync(path.join(src, '__MACOSX', 'nightly', '._toc.dat'), 'AppleDouble junk');
    wrapped.zip = path.join(tmp, 'nightly.zip');
    wrapped.tar = path.join(tmp, 'nightly.tar');
    execFileSync('zip', ['-qr', wrapped.zip, 'nightly', '__MACOSX'], { cwd: src });
    execFileSync('tar', ['-cf', wrapped.tar, 'nightly', '__MACOSX'], { cwd: src });

    // The reference: the same selection restored from the folder itself.
    fromFolder = await freshDatabase('wrap_folder');
    const { result } = await restoreWith(folder, fromFolder, ORDER);
    assert.equal(result.ok, true, errorsOf(result));
  });

  after(async () => {
    await dropCreatedDatabases();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const kind of ['zip', 'tar'] as const) {
    it(`${kind}: sales.order with what it needs arrives as from the folder, from a copy of only the files it reads, removed afterwards`, async () => {
      const db = await freshDatabase(`wrap_${kind}`);
      const { result, unpacked } = await restoreWith(wrapped[kind], db, ORDER);
      assert.equal(result.ok, true, errorsOf(result));
      assert.deepEqual(await footprint(db, 'sales."order"'), await footprint(fromFolder, 'sales."order"'));
      assert.deepEqual(await snapshot(db), await snapshot(fromFolder));
      assert.equal(Number((await query<{ n: string }>(testEnv().server, db, 'select count(*)::text as n from sales."order"'))[0]?.n), 2000);

      // The copy: toc.dat and the data files of the planned entries, as stored (compressed).
      const plan = await withArchive(folder, async (o) => buildPlan(o.archive, ORDER));
      const dataFiles = plan.entries.flatMap((p) => (p.entry.data?.kind === 'file' ? [`${p.entry.data.name}.gz`] : []));
      assert.ok(dataFiles.length >= 1);
      const expectedBytes = ['toc.dat', ...dataFiles].reduce((sum, n) => sum + fs.statSync(path.join(folder, n)).size, 0);
      assert.equal(unpacked.length, 1);
      assert.deepEqual({ files: unpacked[0]!.files, bytes: unpacked[0]!.bytes }, { files: 1 + dataFiles.length, bytes: expectedBytes });
      assert.ok(result.command.includes(unpacked[0]!.dir), result.command);
      assert.equal(fs.existsSync(unpacked[0]!.dir), false, 'the copy is removed');
    });
  }

  it('zip: a whole restore with --jobs 2 restores everything, large objects included', async () => {
    const db = await freshDatabase('wrap_jobs');
    const reference = await freshDatabase('wrap_jobs_ref');
    const r = await pgTool('pg_restore', ['-d', reference, folder], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    const { result, unpacked } = await restoreWith(wrapped.zip, db, { sections: ['pre-data', 'data', 'post-data'] }, { jobs: 2 });
    assert.equal(result.ok, true, errorsOf(result));
    assert.ok(result.command.includes('--jobs=2') && !result.command.includes('--single-transaction'), result.command);
    assert.deepEqual(await snapshot(db), await snapshot(reference));
    const largeObjects = "select string_agg(oid::text || ':' || md5(lo_get(oid)), ',' order by oid) as los from pg_largeobject_metadata";
    const [ours] = await query<{ los: string }>(testEnv().server, db, largeObjects);
    const [theirs] = await query<{ los: string }>(testEnv().server, reference, largeObjects);
    assert.ok(ours?.los?.includes('424242:'), String(ours?.los));
    assert.equal(ours?.los, theirs?.los);
    // Every file of the folder was copied (the junk was not), and the copy is gone.
    assert.equal(unpacked[0]?.files, fs.readdirSync(folder).length);
    assert.equal(fs.existsSync(unpacked[0]!.dir), false);
  });

  it('tar: a failing restore leaves the target as it was and removes the copy', async () => {
    const db = await freshDatabase('wrap_fail');
    await query(testEnv().server, db, 'create schema sales; create table sales."order"(id int)');
    const before = await snapshot(db);
    const { result, unpacked } = await restoreWith(wrapped.tar, db, ORDER);
    assert.equal(result.ok, false);
    assert.equal(result.cancelled, false);
    assert.match(result.errors[0]?.message ?? '', /already exists/);
    assert.deepEqual(await snapshot(db), before);
    assert.equal(unpacked.length, 1);
    assert.equal(fs.existsSync(unpacked[0]!.dir), false, 'the copy is removed');
  });

  it('zip: a cancelled restore leaves the target as it was and removes the copy', async () => {
    const db = await freshDatabase('wrap_cancel');
    const r = await pgTool('pg_restore', ['-d', db, folder], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    await query(testEnv().server, db, 'delete from sales.order_line; delete from public.bulk_rows');
    const before = await snapshot(db);
    // Another session holds a SHARE lock on order_line (reads pass, COPY waits): the restore is
    // certainly still running, from its copy, when it is cancelled.
    let copy = '';
    await withTableLocked(db, 'sales.order_line', 'share', async () => {
      const controller = new AbortController();
      let reached = false;
      const waiting = restoreWith(wrapped.zip, db, { tables: ['public.bulk_rows', 'sales.order_line'], mode: 'data-only' }, {}, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.kind === 'unpack') copy = e.dir;
          if (e.kind === 'progress' && e.snapshot.running.some((x) => x.name === 'sales.order_line')) reached = true;
        },
      });
      await until('the restore to reach sales.order_line', () => reached);
      await waitForLockWait(db);
      assert.ok(fs.readdirSync(copy).includes('toc.dat'), 'pg_restore reads the copy while it runs');
      controller.abort();
      const { result } = await waiting;
      assert.equal(result.cancelled, true);
      assert.equal(result.ok, false);
    });
    assert.deepEqual(await snapshot(db), before);
    assert.notEqual(copy, '');
    assert.equal(fs.existsSync(copy), false, 'the copy is removed');
  });

  it('the restore command restores sales.order from the zip file (exit 0) and leaves nothing in the temporary folder', async () => {
    const db = await freshDatabase('wrap_cli');
    const { server } = testEnv();
    const scratch = fs.mkdtempSync(path.join(tmp, 'tmpdir-'));
    const r = await cli(['restore', wrapped.zip, '--dbname', `postgresql://${server.user}@${server.host}:${server.port}/${db}`, '--table', 'sales.order', '--with-deps', '--yes'], {
      encoding: 'utf8',
      env: { TMPDIR: scratch },
    });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /^copying \d+ files \([\d.]+ kB\) out of nightly\.zip into a temporary folder for pg_restore \(removed afterwards\)…$/m);
    assert.match(r.stderr, /rows: (\d+) of \1 tables hold what the archive has/);
    assert.deepEqual(await snapshot(db), await snapshot(fromFolder));
    assert.deepEqual(fs.readdirSync(scratch), []);
  });
});
