/**
 * Verify Dump… in the extension host: the server picked in the quick pick (the throwaway local
 * server), the report beside the dump and in the Markdown preview, the dump's row in the Dumps
 * view marked, the job in the history; a failing dump verified on the test server by its Uri.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OpenDump } from '../../../src/dumps/openDumps';
import type { Services } from '../../../src/services';
import type { VerifyOutcome } from '../../../src/verify/verifyCommands';
import { until } from '../../support/poll';
import { acceptQuickPick, extensionServices, testServerUri, workspaceFile } from '../extension';

describe('Verify Dump…', function () {
  this.timeout(180_000);
  let s: Services;
  let dir: string;

  before(async () => {
    s = await extensionServices();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-vscode-verify-'));
    // As root the throwaway server runs as another user, who reads nothing in here but must not be kept out of it.
    fs.chmodSync(dir, 0o755);
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const d of s.dumps.list().filter((x) => x.uri.fsPath.startsWith(dir))) await s.dumps.close(d.key);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const open = async (file: string): Promise<OpenDump> => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', vscode.Uri.file(file));
    const dump = s.dumps.list().find((d) => d.uri.fsPath === file);
    assert.ok(dump, `${file} is open in the Dumps view`);
    return dump;
  };

  const rowOf = (dump: OpenDump): vscode.TreeItem => {
    const element = s.tree.getChildren(undefined).find((e) => e.dumpKey === dump.key && !e.node);
    assert.ok(element, 'the dump has a row');
    // With its tooltip as VS Code resolves it on hover: the dump's facts, then the mark's line.
    return s.tree.resolveTreeItem(s.tree.getTreeItem(element), element);
  };

  it('from the tree, on the throwaway local server: restores cleanly, the row marked verified, the report shown, the job recorded', async () => {
    const file = path.join(dir, 'rich-verify.dump');
    fs.copyFileSync(workspaceFile('rich.dump').fsPath, file);
    const dump = await open(file);
    assert.doesNotMatch(String(rowOf(dump).description), /verified/);

    const running = Promise.resolve(vscode.commands.executeCommand<VerifyOutcome | undefined>('pgDumpExplorer.dumps.verify', { dumpKey: dump.key }));
    assert.match((await acceptQuickPick(s, /^Verify rich-verify\.dump/, running)) ?? '', /Throwaway local server/);
    const outcome = await running;
    assert.ok(outcome, 'the command returns its outcome');
    assert.deepEqual(outcome.report.failures, []);
    assert.equal(outcome.report.verdict, 'restores cleanly');
    assert.equal(outcome.report.server.kind, 'throwaway');
    assert.equal(outcome.paths.markdown, `${file}.verify.md`);
    assert.match(fs.readFileSync(outcome.paths.markdown, 'utf8'), /restores cleanly/);

    const row = rowOf(dump);
    assert.match(String(row.description), /^✓ verified \d{4}-\d{2}-\d{2}/);
    assert.match(String((row.tooltip as vscode.MarkdownString).value), /Verified .*restores cleanly/);
    assert.match(String((row.tooltip as vscode.MarkdownString).value), /TOC entries/, 'the facts are still there');
    assert.equal((row.iconPath as vscode.ThemeIcon).id, 'verified');

    const [job] = await s.history.list();
    assert.equal(job?.kind, 'verify');
    assert.equal(job?.outcome, 'succeeded');
    assert.equal(job?.file, file);
    assert.equal(job?.reportPath, outcome.paths.markdown);

    await until('the report in the Markdown preview', () =>
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.includes('rich-verify.dump.verify.md') && t.input instanceof vscode.TabInputWebview),
    );

    // The mark belongs to the dump as it was: once the file changes, the row is no longer marked.
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    assert.doesNotMatch(String(rowOf(dump).description), /verified/);
  });

  it('a dump given by its Uri, on a named server: fails with the entry named, the row marked failed', async () => {
    const file = path.join(dir, 'corrupt-verify.dump');
    // An uncompressed custom archive: one digit of public.bulk_rows' COPY data becomes a letter.
    const bytes = fs.readFileSync(workspaceFile('rich-uncompressed.dump').fsPath);
    const at = bytes.indexOf('2\trow 2\t');
    assert.ok(at > 0, 'the row is in the archive');
    bytes.write('X', at, 'latin1');
    fs.writeFileSync(file, bytes);
    const dump = await open(file);

    const outcome = await vscode.commands.executeCommand<VerifyOutcome | undefined>('pgDumpExplorer.dumps.verify', vscode.Uri.file(file), { server: testServerUri('postgres'), confirmed: true, showReport: false });
    assert.ok(outcome);
    assert.equal(outcome.report.ok, false);
    assert.equal(outcome.report.server.kind, 'given');
    assert.ok(outcome.report.failures.some((f) => f.entry === 'TABLE DATA public.bulk_rows' && /invalid input syntax/.test(f.message)), JSON.stringify(outcome.report.failures));
    const row = rowOf(dump);
    assert.match(String(row.description), /^✗ verify failed/);
    assert.equal((row.iconPath as vscode.ThemeIcon).id, 'error');
    const [job] = await s.history.list();
    assert.equal(job?.outcome, 'failed');
    assert.match(job?.summary ?? '', /^does not restore cleanly/);
  });
});
