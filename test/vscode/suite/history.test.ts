/**
 * The History view in a real VS Code: a restore and a dump made through the extension (the same
 * flows the panels drive) each leave a job with its outcome, source, target, file, size and log;
 * the view's items say it, and its actions open the log and the dump, refuse a file that is gone,
 * and forget jobs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { JobRecord } from '../../../src/core/history/jobHistory';
import type { DumpSession } from '../../../src/dump/dumpSession';
import type { OpenDump } from '../../../src/dumps/openDumps';
import type { RestoreSession } from '../../../src/restore/restoreSession';
import type { Services } from '../../../src/services';
import { testEnv } from '../../support/env';
import { query } from '../../support/pgServer';
import { dropCreatedDatabases, freshDatabase, snapshot } from '../../support/targetDb';
import { until } from '../../support/poll';
import { acceptQuickPick, extensionServices, testServerUri, tick, workspaceFile } from '../extension';

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

/** The job the view lists for `match`, with the item it draws, once the view has it. */
async function listed(s: Services, what: string, match: (j: JobRecord) => boolean): Promise<{ job: JobRecord; item: vscode.TreeItem }> {
  return until(`the History view to list ${what}`, async () => (await s.historyView.items()).find((x) => match(x.job)));
}

const activeFile = () => vscode.window.activeTextEditor?.document.uri.fsPath;

describe('job history', function () {
  this.timeout(120_000);
  let s: Services;
  let dir: string;

  before(async () => {
    s = await extensionServices();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-vscode-history-'));
    // Verify Again's throwaway server runs as another user when the tests run as root: not kept out of here.
    fs.chmodSync(dir, 0o755);
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await dropCreatedDatabases();
  });

  it('a restore made through the extension is listed with its target, file, size and log; Open Log and Open Dump open them', async () => {
    const dump = await openDump(s, 'rich.dump');
    tick(s, dump, 'TABLE', 'sales', 'customer');
    const db = await freshDatabase('vscode_history_ok');
    const session = await startRestore(dump, db);
    session.setForm({ ...session.state().form, withDeps: true });
    await session.check();
    const result = await session.restore({ confirmed: true });
    assert.equal(result?.ok, true, result?.errors.map((e) => e.message).join('\n'));
    const { server } = testEnv();

    const { job, item } = await listed(s, `the restore into ${db}`, (j) => j.kind === 'restore' && j.target?.endsWith(`/${db}`) === true);
    assert.equal((await s.history.list())[0]?.id, job.id, 'the newest job comes first');
    assert.equal(job.outcome, 'succeeded');
    assert.equal(job.file, dump.uri.fsPath);
    assert.equal(job.source, 'rich.dump');
    assert.equal(job.target, `${server.host}:${server.port}/${db}`);
    assert.equal(job.sizeBytes, fs.statSync(dump.uri.fsPath).size);
    assert.match(job.summary, new RegExp(`^Restored \\d+ items into .*/${db} in \\d+\\.\\d s\\.$`));
    assert.ok(job.durationMs > 0 && job.durationMs <= result!.durationMs + 60_000, String(job.durationMs));
    assert.ok(Math.abs(Date.parse(job.startedAt) - Date.now()) < 120_000, job.startedAt);

    assert.equal(item.label, 'Restore rich.dump');
    assert.match(String(item.description), /^(just now|\d+ min ago) · succeeded$/);
    assert.equal(item.contextValue, 'job kind=restore outcome=succeeded hasLog hasFile');
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
    assert.match(String(item.tooltip), new RegExp(`^Target: ${server.host}:${server.port}/${db}$`, 'm'));

    // Its log: the command line pg_restore ran with, and what pg_restore printed.
    assert.ok(job.logPath && fs.existsSync(job.logPath), `no log file: ${job.logPath}`);
    const logText = fs.readFileSync(job.logPath, 'utf8');
    assert.match(logText, /\[info\] ran: \S*pg_restore .*-d/);
    assert.match(logText, /\[tool\] pg_restore: creating TABLE "sales\.customer"/);
    await vscode.commands.executeCommand('pgDumpExplorer.history.openLog', job);
    await until('the log to be the active editor', () => activeFile() === job.logPath);
    assert.equal(vscode.window.activeTextEditor?.document.getText(), logText);

    // Open Dump: the dump in PG Dump Explorer.
    await s.dumps.close(dump.key);
    const opened = (await vscode.commands.executeCommand('pgDumpExplorer.history.openDump', job)) as OpenDump[] | undefined;
    assert.equal(opened?.[0]?.uri.fsPath, dump.uri.fsPath);
    assert.ok(s.dumps.list().some((d) => d.uri.fsPath === dump.uri.fsPath), 'the dump is open in the Dumps view');
  });

  it('a restore that fails is recorded as failed, with the reason, and the target left as it was', async () => {
    const dump = await openDump(s, 'rich.dump');
    tick(s, dump, 'TABLE', 'sales', 'customer');
    const db = await freshDatabase('vscode_history_fails');
    await query(testEnv().server, db, 'create schema sales; create table sales.customer (id bigint primary key, name text)');
    const before = await snapshot(db);
    const session = await startRestore(dump, db);
    const result = await session.restore({ confirmed: true });
    assert.equal(result?.ok, false);
    assert.deepEqual(await snapshot(db), before);
    const { job, item } = await listed(s, `the failed restore into ${db}`, (j) => j.target?.endsWith(`/${db}`) === true);
    assert.equal(job.outcome, 'failed');
    assert.match(job.summary, /Nothing was changed.* First error: entry \d+ \(TABLE customer\): ERROR: +type "sales\.email" does not exist$/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'error');
    assert.match(fs.readFileSync(job.logPath!, 'utf8'), /\[error\] entry \d+ \(TABLE customer\): ERROR: +type "sales\.email" does not exist/);
  });

  it('a dump made through the extension is listed with its source, file and size; gone, its file is said missing and not offered', async () => {
    const file = path.join(dir, 'customer.dump');
    const session = await vscode.commands.executeCommand<DumpSession | undefined>('pgDumpExplorer.connections.dumpDatabase', undefined, { connection: testServerUri(testEnv().database), name: 'test server', path: file });
    assert.ok(session, 'no dump session');
    try {
      session.pick(null, false);
      session.pick('sales.customer', true);
      await session.check();
      const result = await session.dump({ confirmed: true });
      assert.equal(result?.ok, true, result?.errors.join('\n'));
    } finally {
      session.dispose();
    }
    const { server, database } = testEnv();
    const { job, item } = await listed(s, `the dump to ${file}`, (j) => j.kind === 'dump' && j.file === file);
    assert.equal(job.outcome, 'succeeded');
    assert.equal(job.source, `${server.host}:${server.port}/${database}`);
    assert.equal(job.sizeBytes, fs.statSync(file).size);
    assert.equal(item.label, 'Dump customer.dump');
    assert.match(item.contextValue ?? '', /\bhasFile\b/);
    assert.match(fs.readFileSync(job.logPath!, 'utf8'), /\[info\] ran: \S*pg_dump /);

    // Verify Again runs Verify Dump… on the file: the drill on a throwaway server, recorded with its report and log.
    const again = Promise.resolve(s.historyCommands.verifyAgain(job));
    assert.match((await acceptQuickPick(s, /^Verify customer\.dump/, again)) ?? '', /Throwaway local server/);
    await again;
    const { job: verified } = await listed(s, `the verification of ${file}`, (j) => j.kind === 'verify' && j.file === file);
    // One table without its schema does not restore into an empty database, and the drill says so, entry by entry.
    assert.equal(verified.outcome, 'failed', verified.summary);
    assert.match(verified.summary, /entry \d+ \(TABLE sales\.customer\): schema "sales" does not exist/);
    assert.ok(verified.reportPath && fs.existsSync(verified.reportPath), `report ${verified.reportPath}`);
    assert.match(fs.readFileSync(verified.logPath!, 'utf8'), /\[info\] verify customer\.dump: does not restore cleanly/);
    for (const f of [verified.reportPath!, verified.reportPath!.replace(/\.md$/, '.json')]) fs.rmSync(f, { force: true });

    for (const d of s.dumps.list().filter((x) => x.uri.fsPath === file)) await s.dumps.close(d.key);
    fs.rmSync(file);
    s.historyView.refresh();
    const gone = await until('the view to say the dump is gone', async () => (await s.historyView.items()).find((x) => x.job.id === job.id && /file no longer there/.test(String(x.item.description))));
    assert.doesNotMatch(gone.item.contextValue ?? '', /\bhasFile\b/);
    await assert.rejects(s.historyCommands.openDump(job), /is no longer there/);
  });

  it('Remove from History forgets one job and its log; Clear History all of them', async () => {
    const jobs = await s.history.list();
    assert.ok(jobs.length >= 3, `the jobs of the tests before: ${jobs.length}`);
    const first = jobs[0]!;
    await vscode.commands.executeCommand('pgDumpExplorer.history.remove', first);
    await until('the view to drop the job', async () => !(await s.historyView.items()).some((x) => x.job.id === first.id));
    assert.equal(fs.existsSync(first.logPath!), false, 'its log is deleted');
    assert.equal(await vscode.commands.executeCommand('pgDumpExplorer.history.clear', { confirmed: true }), true);
    await until('the view to be empty', async () => (await s.historyView.items()).length === 0);
  });
});
