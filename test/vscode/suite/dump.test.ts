/**
 * Dump Database… in the extension host: the dump session behind the panel, against the test
 * server's `rich` database, with the real pg_dump.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { withArchive } from '../../../src/core/archive';
import type { DumpSession } from '../../../src/dump/dumpSession';
import type { Services } from '../../../src/services';
import { testEnv } from '../../support/env';
import { waitForLockWait, withTableLocked } from '../../support/targetDb';
import { extensionServices, testServerUri } from '../extension';

describe('dump a database', function () {
  this.timeout(120_000);
  let s: Services;
  let dir: string;

  before(async () => {
    s = await extensionServices();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-vscode-dump-'));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = async (file: string) => {
    const session = await vscode.commands.executeCommand<DumpSession | undefined>('pgDumpExplorer.connections.dumpDatabase', undefined, { connection: testServerUri(testEnv().database), name: 'test server', path: file });
    assert.ok(session, 'no dump session');
    return session;
  };

  it('the panel\'s picks become pg_dump\'s switches: one table dumped, checked, opened in the Dumps view', async () => {
    const file = path.join(dir, 'order.dump');
    const session = await start(file);
    const schemas = session.state().schemas.map((x) => x.name);
    assert.deepEqual(schemas, ['Audit Log', 'public', 'sales']);
    assert.equal(session.state().everything, true);
    session.pick(null, false);
    session.pick('sales.order', true);
    await session.check();
    const state = session.state();
    assert.equal(state.planError, undefined);
    assert.match(state.plan?.tool ?? '', /^pg_dump \d+\.\d+ at /);
    assert.match(state.plan?.command ?? '', /"sales"\."order"/);
    const result = await session.dump({ confirmed: true });
    assert.equal(result?.ok, true, result?.errors.join('\n'));
    assert.equal(session.state().result?.outcome, 'dumped');
    assert.match(session.state().result?.summary ?? '', /entries/);
    const tables = await withArchive(file, async ({ archive }) => archive.entries.filter((e) => e.desc === 'TABLE').map((e) => `${e.namespace}.${e.tag}`));
    assert.deepEqual(tables, ['sales.order']);
    const opened = s.dumps.list().find((d) => d.uri.fsPath === file);
    assert.ok(opened, 'the new dump is open in the Dumps view');
    await s.dumps.close(opened.key);
    session.dispose();
  });

  it('cancelled while pg_dump waits for a lock: nothing is written, no temporary file is left', async () => {
    const file = path.join(dir, 'cancelled.dump');
    const session = await start(file);
    const { database } = testEnv();
    // Planned first (sizing a table waits for its lock too), then pg_dump waits for the lock.
    await session.check();
    try {
      await withTableLocked(database, 'sales.order_line', 'access exclusive', async () => {
        const running = session.dump({ confirmed: true });
        await waitForLockWait(database);
        session.cancel();
        const result = await running;
        assert.equal(result?.cancelled, true);
        assert.equal(session.state().result?.outcome, 'cancelled');
      });
    } finally {
      session.dispose();
    }
    assert.deepEqual(fs.readdirSync(dir).filter((n) => n.includes('cancelled')), [], 'no file, finished or not');
    // The History view lists it as cancelled, with no file to open.
    const job = (await s.history.list()).find((j) => j.kind === 'dump' && j.target === file);
    assert.equal(job?.outcome, 'cancelled', JSON.stringify(job));
    assert.equal(job.file, undefined);
  });
  it('Dump Roles and Tablespaces… and Dump Cluster…: a pg_dumpall script and a cluster folder, each opened in the Dumps view', async () => {
    const connection = testServerUri('postgres');
    const globals = path.join(dir, 'globals.sql');
    assert.equal(await vscode.commands.executeCommand('pgDumpExplorer.connections.dumpGlobals', undefined, { connection, path: globals }), globals);
    assert.match(fs.readFileSync(globals, 'utf8'), /^CREATE ROLE app_owner;$/m);
    const cluster = path.join(dir, 'cluster');
    assert.equal(await vscode.commands.executeCommand('pgDumpExplorer.connections.dumpCluster', undefined, { connection, path: cluster }), cluster);
    const manifest = JSON.parse(fs.readFileSync(path.join(cluster, 'manifest.json'), 'utf8')) as { databases: { name: string }[] };
    assert.ok(manifest.databases.some((d) => d.name === testEnv().database), JSON.stringify(manifest.databases));
    // Both in the History view: dumps of the server, their files and sizes.
    const jobs = await s.history.list();
    const { server } = testEnv();
    for (const made of [globals, cluster]) {
      const job = jobs.find((j) => j.kind === 'dump' && j.file === made);
      assert.equal(job?.outcome, 'succeeded', `${made}: ${JSON.stringify(job)}`);
      assert.equal(job.source, `${server.host}:${server.port}`);
      assert.ok((job.sizeBytes ?? 0) > 0, JSON.stringify(job));
    }
    const roots = s.dumps.roots().map((r) => r.uri.fsPath);
    assert.ok(roots.includes(globals) && roots.includes(cluster), `open in the Dumps view: ${roots.join(', ')}`);
    for (const r of s.dumps.roots().filter((x) => x.uri.fsPath === globals || x.uri.fsPath === cluster)) await s.dumps.close(r.key);
  });
});
