/**
 * The restore flow inside a real VS Code, into the real test server: a ticked table restored
 * with what it brings, the pre-flight's findings and fixes, a failing restore and a cancelled one
 * that leave the target as it was. The panel's buttons call the session's methods; the tests
 * call the same methods (the extension host cannot click in a webview; the end-to-end test does).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OpenDump } from '../../../src/dumps/openDumps';
import type { RestoreSession } from '../../../src/restore/restoreSession';
import type { Services } from '../../../src/services';
import { fixturePath, pgTool, sharedFixture, testEnv } from '../../support/env';
import { writeOldArchive } from '../../support/oldArchive';
import { query } from '../../support/pgServer';
import { dropCreatedDatabases, footprint, freshDatabase as newDatabase, snapshot, waitForLockWait, withTableLocked } from '../../support/targetDb';
import { extensionServices, testServerUri, tick, workspaceFile } from '../extension';

async function freshDatabase(label: string): Promise<string> {
  return newDatabase(`vscode_${label}`);
}

async function openDump(s: Services, name: string): Promise<OpenDump> {
  const [dump] = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile(name))) as OpenDump[];
  assert.ok(dump);
  dump.picks.clear();
  s.dumps.picksDidChange(dump);
  return dump;
}

async function startRestore(dump: OpenDump, db: string): Promise<RestoreSession> {
  const session = (await vscode.commands.executeCommand('pgDumpExplorer.restore.selected', { dumpKey: dump.key, target: { connection: testServerUri(db), name: 'test server' } })) as RestoreSession | undefined;
  assert.ok(session, 'no restore session');
  await session.check();
  return session;
}

const findingCodes = (session: RestoreSession) => session.state().preflight.findings.map((f) => `${f.severity}: ${f.message}`);

describe('restore flow', function () {
  this.timeout(120_000);
  let s: Services;

  before(async () => {
    s = await extensionServices();
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  after(() => dropCreatedDatabases());

  it('restores a ticked table with its indexes, constraints, trigger and rows, after the pre-flight\'s fix', async () => {
    const dump = await openDump(s, 'rich.dump');
    tick(s, dump, 'TABLE', 'sales', 'order');
    const db = await freshDatabase('one_table');
    const session = await startRestore(dump, db);

    // An empty database lacks the schema and the table the foreign key references.
    const state = session.state();
    assert.equal(state.target?.where.endsWith(`/${db}`), true, state.target?.where);
    assert.equal(state.preflight.status, 'done', state.preflight.error);
    assert.equal(state.preflight.blocking, true, findingCodes(session).join('\n'));
    const i = state.preflight.findings.findIndex((f) => f.fixes.some((x) => x.label === 'Include what the selection needs'));
    assert.ok(i >= 0, `no "include dependencies" fix among:\n${findingCodes(session).join('\n')}`);
    await session.applyFix(i, state.preflight.findings[i]!.fixes.findIndex((x) => x.label === 'Include what the selection needs'));
    await session.check();
    const after = session.state();
    assert.equal(after.form.withDeps, true);
    assert.equal(after.preflight.blocking, false, findingCodes(session).join('\n'));
    assert.ok(after.plan.rows.some((r) => r.name === 'sales.customer'), 'the referenced table is planned');

    const result = await session.restore({ confirmed: true });
    assert.ok(result, 'no result');
    assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
    assert.equal(session.state().phase, 'done');
    assert.equal(session.state().result?.outcome, 'restored', JSON.stringify(session.state().result?.problems));
    assert.ok((result.frozen ?? 0) >= 2, `the tables it created were loaded with COPY FREEZE: ${result.command}`);

    // The table arrives as a full restore of the archive by pg_restore makes it.
    const full = await freshDatabase('full');
    const { server } = testEnv();
    const reference = await pgTool('pg_restore', ['-d', full, fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(reference.exitCode, 0, reference.stderr);
    assert.deepEqual(await footprint(db, 'sales."order"'), await footprint(full, 'sales."order"'));
    const [rows] = await query<{ n: string }>(server, db, 'select count(*)::text as n from sales."order"');
    assert.ok(Number(rows?.n) > 0, 'rows arrived');
    const counts = session.state().result?.post?.rowCounts ?? [];
    assert.ok(counts.length >= 2 && counts.every((c) => c.matches), JSON.stringify(counts));
    // New tables on PostgreSQL 15+: the server's counters of what pg_restore inserted settle them.
    assert.ok(counts.every((c) => c.countedBy === 'statistics'), JSON.stringify(counts));
  });

  it('with pgDumpExplorer.restoreWithCopyFreeze off, the tables are loaded as pg_restore loads them', async () => {
    const settings = vscode.workspace.getConfiguration('pgDumpExplorer');
    await settings.update('restoreWithCopyFreeze', false, vscode.ConfigurationTarget.Global);
    try {
      assert.equal(vscode.workspace.getConfiguration('pgDumpExplorer').get('restoreWithCopyFreeze'), false);
      const dump = await openDump(s, 'rich.dump');
      tick(s, dump, 'TABLE', 'public', 'bulk_rows');
      const session = await startRestore(dump, await freshDatabase('no_freeze'));
      assert.equal(session.state().preflight.blocking, false, findingCodes(session).join('\n'));
      const result = await session.restore({ confirmed: true });
      assert.ok(result, 'no result');
      assert.equal(result.ok, true, result.errors.map((e) => e.message).join('\n'));
      assert.equal(result.frozen, undefined);
      assert.match(result.command, /the data uncompressed\)$/, 'fed, with no COPY FREEZE');
    } finally {
      await settings.update('restoreWithCopyFreeze', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('a dump from pg_dump 10 (archive 1.13, the public schema an entry of its own) restores whole into a new database: the schema is used as it is', async () => {
    const file = workspaceFile('pg10-layout.dump').fsPath;
    await writeOldArchive(fixturePath('custom.dump'), file, 13);
    const dump = await openDump(s, 'pg10-layout.dump');
    try {
      s.tree.applyCheckboxChanges([[s.tree.rootOf(dump), vscode.TreeItemCheckboxState.Checked]]);
      const db = await freshDatabase('pg10');
      const session = await startRestore(dump, db);
      session.setForm({ ...session.state().form, noOwner: true, noPrivileges: true });
      await session.check();
      const state = session.state();
      assert.equal(state.preflight.blocking, false, findingCodes(session).join('\n'));
      assert.ok(findingCodes(session).some((f) => /^info: schema "public" exists in the target: it is used as it is/.test(f)), findingCodes(session).join('\n'));
      assert.ok(!state.preflight.findings.some((f) => f.fixes.some((x) => /--clean/.test(x.label))), 'no finding proposes --clean');

      const result = await session.restore({ confirmed: true });
      assert.equal(result?.ok, true, result?.errors.map((e) => e.message).join('\n'));
      const view = session.state().result;
      assert.equal(view?.outcome, 'restored', JSON.stringify(view?.problems));
      assert.ok(view?.notes.some((n) => /^schema "public" exists in the target/.test(n)), JSON.stringify(view?.notes));
      assert.deepEqual((await snapshot(db)).rows, (await snapshot(testEnv().database)).rows);
    } finally {
      await s.dumps.close(dump.key);
      fs.rmSync(file, { force: true });
    }
  });

  it('a plain dump of pg_dump 18 into this older server: its SET transaction_timeout is left out, said before and after, and sales.order arrives', async () => {
    const file = workspaceFile('pg18-rich.plain.sql').fsPath;
    fs.copyFileSync(sharedFixture('pg18-rich.plain.sql'), file);
    const dump = await openDump(s, 'pg18-rich.plain.sql');
    try {
      tick(s, dump, 'TABLE', 'sales', 'order');
      const db = await freshDatabase('pg18plain');
      const session = await startRestore(dump, db);
      session.setForm({ ...session.state().form, withDeps: true, noOwner: true, noPrivileges: true });
      await session.check();
      assert.equal(session.state().preflight.blocking, false, findingCodes(session).join('\n'));
      assert.ok(findingCodes(session).some((f) => /^info: the target \(PostgreSQL \d+\) has no parameter transaction_timeout: its SET is left out/.test(f)), findingCodes(session).join('\n'));
      const result = await session.restore({ confirmed: true });
      assert.equal(result?.ok, true, result?.errors.map((e) => e.message).join('\n'));
      assert.ok(session.state().result?.notes.some((n) => /transaction_timeout/.test(n)), JSON.stringify(session.state().result?.notes));
      const [rows] = await query<{ n: string }>(testEnv().server, db, 'select count(*)::text as n from sales."order"');
      assert.ok(Number(rows?.n) > 0, 'rows arrived');
    } finally {
      await s.dumps.close(dump.key);
      fs.rmSync(file, { force: true });
    }
  });

  it('a directory dump inside a zip file restores from a temporary copy, removed afterwards', async () => {
    const zip = workspaceFile('nightly.zip').fsPath;
    execFileSync('zip', ['-qr', zip, 'rich-dir'], { cwd: path.dirname(zip) });
    const dump = await openDump(s, 'nightly.zip');
    try {
      tick(s, dump, 'TABLE', 'sales', 'order');
      const db = await freshDatabase('zipped');
      const session = await startRestore(dump, db);
      session.setForm({ ...session.state().form, withDeps: true });
      await session.check();
      assert.equal(session.state().preflight.blocking, false, findingCodes(session).join('\n'));
      const before = new Set(fs.readdirSync(os.tmpdir()));
      const result = await session.restore({ confirmed: true });
      assert.equal(result?.ok, true, result?.errors.map((e) => e.message).join('\n'));
      assert.deepEqual(fs.readdirSync(os.tmpdir()).filter((n) => !before.has(n) && n.startsWith('pgdx-unpacked-')), [], 'the temporary copy is gone');
      const full = await freshDatabase('zipped_ref');
      const reference = await pgTool('pg_restore', ['-d', full, fixturePath('dir-gzip')], { encoding: 'utf8' });
      assert.equal(reference.exitCode, 0, reference.stderr);
      assert.deepEqual(await footprint(db, 'sales."order"'), await footprint(full, 'sales."order"'));
    } finally {
      await s.dumps.close(dump.key);
      fs.rmSync(zip, { force: true });
    }
  });

  it('run with no dump named (the Dumps view\'s title button with no row focused), it restores the dump that has picks', async () => {
    for (const d of s.dumps.list()) {
      d.picks.clear();
      s.dumps.picksDidChange(d);
    }
    const other = await openDump(s, 'rich.tar');
    const dump = await openDump(s, 'rich.dump');
    tick(s, dump, 'TABLE', 'sales', 'customer');
    const db = await freshDatabase('picked');
    try {
      // No dumpKey: with two dumps open this asked "Which dump?" among both, nothing picked in one.
      const session = (await vscode.commands.executeCommand('pgDumpExplorer.restore.selected', { target: { connection: testServerUri(db), name: 'test server' } })) as RestoreSession | undefined;
      assert.ok(session, 'no restore session');
      assert.equal(session.dump.key, dump.key);
      assert.equal(session.state().plan.picked, 1);
    } finally {
      await s.dumps.close(other.key);
    }
  });

  it('a restore that fails leaves the target as it was, and says which entry failed', async () => {
    const dump = await openDump(s, 'rich.dump');
    tick(s, dump, 'TABLE', 'sales', 'customer');
    const db = await freshDatabase('fails');
    // The target has sales.customer already, with a row whose key the dump's rows repeat.
    await query(testEnv().server, db, 'create schema sales; create table sales.customer (id bigint primary key, name text)');
    const before = await snapshot(db);
    const session = await startRestore(dump, db);
    assert.equal(session.state().preflight.blocking, true, 'the existing table is a conflict');
    const result = await session.restore({ confirmed: true });
    assert.ok(result);
    assert.equal(result.ok, false);
    const view = session.state().result!;
    assert.equal(view.outcome, 'failed');
    assert.match(view.targetState ?? '', /Nothing was changed/);
    assert.ok(view.errors.some((e) => e.dumpId !== undefined), 'an error is tied to an entry');
    assert.deepEqual(await snapshot(db), before);
  });

  it('cancelling a running restore rolls it back', async () => {
    const dump = await openDump(s, 'rich.dump');
    tick(s, dump, 'TABLE', 'sales', 'order_line');
    tick(s, dump, 'TABLE', 'public', 'bulk_rows');
    const db = await freshDatabase('cancel');
    const { server } = testEnv();
    // The whole dump restored by pg_restore, then the two tables emptied: a data-only restore of
    // them runs while another session holds a SHARE lock on order_line, so it is certainly
    // still running (waiting on the lock) when it is cancelled.
    const full = await pgTool('pg_restore', ['-d', db, fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(full.exitCode, 0, full.stderr);
    await query(server, db, 'delete from sales.order_line; delete from public.bulk_rows');
    const setup = await startRestore(dump, db);
    setup.setForm({ ...setup.state().form, mode: 'data-only' });
    await setup.check();
    const before = await snapshot(db);

    await withTableLocked(db, 'sales.order_line', 'share', async () => {
      const sawWaiting = new Promise<void>((resolve) => {
        const sub = setup.onDidChange((state) => {
          if (state.progress?.current.includes('order_line')) {
            sub.dispose();
            resolve();
          }
        });
      });
      const running = setup.restore({ confirmed: true });
      await sawWaiting;
      await waitForLockWait(db);
      setup.cancel();
      const result = await running;
      assert.equal(result?.cancelled, true);
      assert.equal(setup.state().result?.outcome, 'cancelled');
    });
    assert.deepEqual(await snapshot(db), before);
    // The History view lists it as cancelled, its log holding what pg_restore printed until then.
    const job = (await s.history.list()).find((j) => j.kind === 'restore' && j.target?.endsWith(`/${db}`));
    assert.equal(job?.outcome, 'cancelled', JSON.stringify(job));
    assert.match(job.summary, /^Cancelled/);
    assert.match(fs.readFileSync(job.logPath!, 'utf8'), /\[tool\] pg_restore: processing data for table "sales\.order_line"/);
  });
});

