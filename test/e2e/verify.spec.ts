import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { e2e, screenshot } from './context';
import { chooseMenuItem, chooseQuickPickItem, closeAllEditors, explorerRow, openContextMenu, openInDumpExplorer, runCommand, showExplorerFiles, tabLabels, toast, toastTexts, treeRow, waitUntil, webviewFrame } from './workbench';

/**
 * Verify Dump… as a user meets it: the context menu of a dump's row in the Dumps view, the
 * throwaway local server picked, the drill's progress, then the verdict in a notification and
 * the report in the Markdown preview, and the row marked verified.
 */

const NAME = 'verify-e2e.dump';

describe('Verify Dump…', () => {
  after(async () => {
    const { page, session } = e2e();
    await page.keyboard.press('Escape');
    await closeAllEditors(page);
    await runCommand(page, 'Notifications: Clear All Notifications');
    // The dump leaves the Dumps view before its file goes.
    const row = treeRow(page, NAME, 1);
    if (await row.isVisible()) {
      await row.hover();
      await row.locator('.actions .action-label[aria-label="Close Dump"]').click();
      await row.waitFor({ state: 'detached', timeout: 10_000 });
    }
    for (const f of [NAME, `${NAME}.verify.md`, `${NAME}.verify.json`]) fs.rmSync(path.join(session.workspace, f), { force: true });
  });

  it('from the Dumps view\'s context menu: restores cleanly on a throwaway server, the report shown, the row marked verified', async () => {
    const { page, session } = e2e();
    fs.copyFileSync(path.join(session.workspace, 'rich.dump'), path.join(session.workspace, NAME));
    await showExplorerFiles(page);
    // The workbench may not watch the folder: the Explorer is told to read it again.
    const header = page.locator('[id="workbench.view.explorer"] .pane > .pane-header').first();
    await header.hover();
    await header.locator('.action-label[aria-label="Refresh Explorer"]').click();
    await explorerRow(page, NAME).waitFor({ timeout: 30_000 });
    await openInDumpExplorer(page, NAME);
    const row = treeRow(page, NAME, 1);
    assert.doesNotMatch(await row.locator('.label-description').innerText(), /verified/);

    await openContextMenu(page, row, { waitFor: 'Verify Dump…' });
    await chooseMenuItem(page, 'Verify Dump…');
    await chooseQuickPickItem(page, new RegExp(`^Verify ${NAME.replace('.', '\\.')}`), /Throwaway local server/);

    await toast(page, new RegExp(`${NAME.replace('.', '\\.')}: restores cleanly`)).waitFor({ timeout: 120_000 }).catch(async (err: unknown) => {
      throw new Error(`no verdict; notifications: ${(await toastTexts(page)).join(' | ')}`, { cause: err });
    });
    await waitUntil('the row to be marked verified', async () => /^✓ verified \d{4}-\d{2}-\d{2}/.test(await row.locator('.label-description').innerText()));
    await waitUntil('the report in the Markdown preview', async () => (await tabLabels(page)).some((l) => l.includes(`${NAME}.verify.md`)), {
      onScreen: async () => (await tabLabels(page)).join(', '),
    });
    const preview = await webviewFrame(page, 'the report in the Markdown preview', async (f) => (await f.locator('strong', { hasText: /restores cleanly/ }).count()) > 0);
    assert.match(await preview.locator('h1').first().innerText(), new RegExp(`Restore drill: ${NAME.replace('.', '\\.')}`));
    const report = fs.readFileSync(path.join(session.workspace, `${NAME}.verify.md`), 'utf8');
    assert.match(report, /\*\*Verdict: ✓ restores cleanly\*\*/);
    await screenshot('verify-dump', { readme: true });
  });
});
