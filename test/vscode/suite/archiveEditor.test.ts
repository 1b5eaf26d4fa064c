import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../../../src/services';
import { pgTool, testEnv } from '../../support/env';
import { extensionServices, workspaceFile } from '../extension';
import { until } from '../../support/poll';

const VIEW_TYPE = 'pgDumpExplorer.archive';


/** The tab of a custom editor of our type on `uri`, once it is open. */
function archiveTab(uri: vscode.Uri): vscode.Tab | undefined {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .find((t) => t.input instanceof vscode.TabInputCustom && t.input.viewType === VIEW_TYPE && t.input.uri.toString() === uri.toString());
}

/** Opens `uri` with the archive editor and waits until its page has asked the host what to show. */
async function openSummary(s: Services, uri: vscode.Uri): Promise<vscode.Tab> {
  await vscode.commands.executeCommand('vscode.openWith', uri, VIEW_TYPE);
  const tab = await until(`an archive editor tab on ${path.basename(uri.fsPath)}`, () => archiveTab(uri));
  // A webview's page can take long to start on a loaded machine: a wait, not a timing check.
  await until('the summary page to load in its webview', () => s.archiveEditor.viewsServed(uri) > 0, { timeoutMs: 90_000 });
  return tab;
}

/** The `TOC Entries` count and the entry lines of the real `pg_restore -l`. */
async function pgRestoreList(file: string): Promise<{ tocEntries: number; listed: number }> {
  const r = await pgTool('pg_restore', ['-l', file], { encoding: 'utf8' });
  assert.equal(r.exitCode, 0, r.stderr);
  const tocEntries = Number(/^;\s+TOC Entries: (\d+)$/m.exec(r.stdout)?.[1]);
  const listed = r.stdout.split('\n').filter((l) => l !== '' && !l.startsWith(';')).length;
  return { tocEntries, listed };
}

describe('archive summary editor', function () {
  this.timeout(180_000);
  let s: Services;
  before(async () => {
    s = await extensionServices();
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens rich.dump as the summary, read once through the registry', async () => {
    const uri = workspaceFile('rich.dump');
    const tab = await openSummary(s, uri);
    assert.ok(tab.input instanceof vscode.TabInputCustom);
    assert.equal(tab.input.viewType, VIEW_TYPE);
    const dump = s.dumps.get(uri.toString());
    assert.ok(dump, 'the dump is not in the registry (the Dumps view)');
    const state = s.archiveEditor.stateOf(uri);
    assert.ok(state?.status === 'archive', JSON.stringify(state));
    assert.equal(state.dumpKey, dump.key);
    const reference = await pgRestoreList(uri.fsPath);
    assert.equal(state.summary.entries, reference.tocEntries);
    assert.equal(state.summary.listedEntries, reference.listed);
    assert.equal(state.summary.formatText, 'custom');
    assert.equal(state.summary.database, testEnv().database);
    assert.match(state.summary.serverVersion ?? '', new RegExp(`^${testEnv().server.version.replace('.', '\\.')}`));
  });

  it('opens rich.tar with openWith although the selector does not list .tar', async () => {
    const uri = workspaceFile('rich.tar');
    const tab = await openSummary(s, uri);
    assert.ok(tab.input instanceof vscode.TabInputCustom && tab.input.viewType === VIEW_TYPE);
    assert.ok(s.dumps.get(uri.toString()), 'rich.tar is not in the registry');
    const state = s.archiveEditor.stateOf(uri);
    assert.ok(state?.status === 'archive');
    assert.equal(state.summary.format, 'tar');
    assert.equal(state.summary.entries, (await pgRestoreList(uri.fsPath)).tocEntries);
  });

  it("opens a directory dump's toc.dat as the summary of its folder", async () => {
    const toc = workspaceFile('rich-dir', 'toc.dat');
    const folder = workspaceFile('rich-dir');
    await openSummary(s, toc);
    assert.ok(s.dumps.get(folder.toString()), 'the folder, not its toc.dat, is the dump in the registry');
    assert.equal(s.dumps.get(toc.toString()), undefined);
    const state = s.archiveEditor.stateOf(toc);
    assert.ok(state?.status === 'archive');
    assert.equal(state.summary.format, 'directory');
    assert.equal(state.dumpKey, folder.toString());
    assert.equal(state.summary.entries, (await pgRestoreList(folder.fsPath)).tocEntries);
  });

  it('Show Archive Summary works on a folder, a tree node and the Explorer command', async () => {
    const folder = workspaceFile('rich-dir');
    await vscode.commands.executeCommand('pgDumpExplorer.dumps.showSummary', folder);
    await until('the summary of rich-dir', () => archiveTab(workspaceFile('rich-dir', 'toc.dat')));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const dump = workspaceFile('rich-uncompressed.dump');
    await s.dumps.open(dump);
    await vscode.commands.executeCommand('pgDumpExplorer.dumps.showSummary', { dumpKey: dump.toString() });
    await until('the summary of rich-uncompressed.dump', () => archiveTab(dump));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    const rich = workspaceFile('rich.dump');
    await vscode.commands.executeCommand('pgDumpExplorer.open', rich);
    await until('the summary after Open in PG Dump Explorer', () => archiveTab(rich));
  });

  it('honours pgDumpExplorer.pgRestorePath, and finds the warnings again when it changes', async () => {
    const uri = workspaceFile('rich.dump');
    await openSummary(s, uri);
    const codes = async () => (await s.archiveEditor.warningsOf(uri))?.map((w) => w.code) ?? [];
    assert.deepEqual(await codes(), [], 'the test server\'s pg_restore reads this archive');
    const settings = vscode.workspace.getConfiguration('pgDumpExplorer');
    await settings.update('pgRestorePath', '/nonexistent/bin/pg_restore', vscode.ConfigurationTarget.Global);
    try {
      await until('the warning about the setting', async () => (await codes()).includes('configured-pg-restore-broken'));
      const w = (await s.archiveEditor.warningsOf(uri))!.find((x) => x.code === 'configured-pg-restore-broken')!;
      assert.match(w.message, /^pgDumpExplorer\.pgRestorePath is set to \/nonexistent\/bin\/pg_restore, which cannot be used \(not found\)/);
    } finally {
      await settings.update('pgRestorePath', undefined, vscode.ConfigurationTarget.Global);
    }
    await until('the warning to go with the setting', async () => (await codes()).length === 0);
  });

  it('a file that is not a dump gets a page with the error and what to do, not a blank editor', async () => {
    const uri = workspaceFile('not-a-dump.dump');
    fs.writeFileSync(uri.fsPath, 'This is a shopping list, renamed by mistake.\n');
    try {
      const tab = await openSummary(s, uri);
      assert.ok(tab.input instanceof vscode.TabInputCustom && tab.input.viewType === VIEW_TYPE);
      const state = s.archiveEditor.stateOf(uri);
      assert.ok(state?.status === 'error', JSON.stringify(state));
      assert.equal(state.problem.code, 'not-a-dump');
      assert.match(state.problem.message, /^not-a-dump\.dump does not start with PGDMP|^not-a-dump\.dump /);
      assert.doesNotMatch(state.problem.message, /\n|\bat .*\.js:\d+/);
      assert.match(state.problem.whatToDo, /text editor/);
      assert.equal(s.dumps.get(uri.toString()), undefined, 'a file that is not a dump is not in the registry');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(uri.fsPath, { force: true });
    }
  });

  it('knows which folders hold a toc.dat, for the Explorer menu', async () => {
    await s.archiveFolders.ready();
    assert.deepEqual(s.archiveFolders.list(), [workspaceFile('rich-dir').fsPath]);
    const toc = workspaceFile('rich-dir', 'toc.dat').fsPath;
    // A folder made with its files at once (a copy): the watcher reports the folder alone.
    const outer = workspaceFile('copied-later');
    const inner = path.join(outer.fsPath, 'nightly', 'dump');
    fs.mkdirSync(inner, { recursive: true });
    fs.copyFileSync(toc, path.join(inner, 'toc.dat'));
    try {
      await until('the copied directory dump to be noticed', () => s.archiveFolders.list().includes(inner), { timeoutMs: 60_000 });
      // A toc.dat written into a folder that was there already (as pg_dump -Fd does last).
      const later = path.join(outer.fsPath, 'second');
      // The folder's creation handled first, on its own: VS Code reports it to this test's
      // watcher (the same glob as the extension's) and the extension's at once.
      const watcher = vscode.workspace.createFileSystemWatcher('**/*', false, true, true);
      try {
        const seen = new Promise<void>((resolve) => watcher.onDidCreate((uri) => uri.fsPath === later && resolve()));
        fs.mkdirSync(later);
        await seen;
      } finally {
        watcher.dispose();
      }
      await s.archiveFolders.ready();
      assert.ok(!s.archiveFolders.list().includes(later), 'an empty folder is no directory dump');
      fs.copyFileSync(toc, path.join(later, 'toc.dat'));
      await until('the second directory dump to be noticed', () => s.archiveFolders.list().includes(later), { timeoutMs: 60_000 });
      fs.rmSync(path.join(later, 'toc.dat'));
      await until('its toc.dat to be gone', () => !s.archiveFolders.list().includes(later), { timeoutMs: 60_000 });
    } finally {
      fs.rmSync(outer.fsPath, { recursive: true, force: true });
    }
    await until('the folders deleted with their parent to be gone', () => s.archiveFolders.list().length === 1, { timeoutMs: 60_000 });
    assert.deepEqual(s.archiveFolders.list(), [workspaceFile('rich-dir').fsPath]);
  });
});
