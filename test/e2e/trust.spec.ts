import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startCodeServer, workbenchUrl, type CodeServer } from '../support/codeServer';
import { projectRoot } from '../support/fixtures';
import { e2e, screenshot, setContext, type E2EContext } from './context';
import { clickDumpsTitleAction, expandTreeRow, modalDialog, openInDumpExplorer, setTreeCheckbox, tabLabels, toastTexts, treeRow, waitForExplorer } from './workbench';

/**
 * The same workspace opened in Restricted Mode (a second code-server, with workspace trust on),
 * the user answering "No" to VS Code's question whether they trust its authors: inspecting a
 * dump works; restoring asks for trust first and does nothing else.
 */
describe('Restricted Mode (an untrusted workspace)', () => {
  let server: CodeServer | undefined;
  let page: Page | undefined;
  let trusted: E2EContext | undefined;

  before(async () => {
    trusted = e2e();
    const { session } = trusted;
    const dataDir = path.join(session.tmp, 'code-server-restricted');
    fs.mkdirSync(dataDir, { recursive: true });
    // Stopped in after(); on a crash, by the runner's cleanup (closeAll stops every code-server started here).
    server = await startCodeServer({ folder: session.workspace, env: session.env, userDataDir: dataDir, restricted: true });
    const browser = trusted.page.context().browser();
    assert.ok(browser, 'no browser behind the page');
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // From here on, screenshots (a failed test's too) are of this window.
    setContext({ ...trusted, page, codeServer: server });
    await page.goto(workbenchUrl(server, { extensionDevelopmentPath: projectRoot }));
    await waitForExplorer(page);
    // VS Code asks whether the user trusts the folder's authors; this user does not.
    const question = await modalDialog(page, 60_000);
    assert.match(question.text, /^Do you trust the authors of the files in this folder\?/);
    await question.choose("No, I don't trust the authors");
  });

  after(async () => {
    if (trusted) setContext(trusted);
    await page?.close().catch(() => undefined);
    await server?.stop();
  });

  it('inspection works: rich.dump opens in the Dumps view, expands, and a table can be ticked', async () => {
    assert.ok(page);
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 20_000 });
    await openInDumpExplorer(page, 'rich.dump');
    assert.match(await treeRow(page, 'rich.dump', 1).locator('.label-description').innerText(), /^custom · \d+ entries$/);
    await expandTreeRow(page, 'rich.dump', 1);
    await expandTreeRow(page, 'sales', 2);
    await expandTreeRow(page, 'Tables', 3);
    await setTreeCheckbox(page, 'order', true, 4);
    await treeRow(page, 'rich.dump', 1).locator('.label-description', { hasText: /1 picked$/ }).waitFor({ timeout: 10_000 });
  });

  it('Restore Selected… says restoring needs a trusted workspace, offers Manage Workspace Trust, and does nothing else', async () => {
    assert.ok(page);
    const tabsBefore = await tabLabels(page);
    await clickDumpsTitleAction(page, 'Restore Selected…');
    const dialog = await modalDialog(page);
    assert.match(dialog.text, /^Restoring runs pg_restore or psql and changes a database, so it needs a trusted workspace\. Inspecting dumps works without trust\./);
    assert.deepEqual((await dialog.buttons()).sort(), ['Cancel', 'Manage Workspace Trust']);
    await screenshot('trust-restore-refused', { readme: true });
    await dialog.choose('Cancel');
    // Nothing else: no target picker, no restore panel, no notification.
    await assertNothingFollows(page, tabsBefore);

    // The dialog's button opens VS Code's Workspace Trust editor, and still nothing else happens.
    await clickDumpsTitleAction(page, 'Restore Selected…');
    await (await modalDialog(page)).choose('Manage Workspace Trust');
    await page.locator('.tabs-container .tab', { hasText: 'Workspace Trust' }).first().waitFor({ timeout: 20_000 });
    await assertNothingFollows(page, [...tabsBefore, 'Workspace Trust']);
  });
});

/**
 * Nothing follows the refusal: no quick input (the target picker) within a moment, no new editor
 * (the restore panel), no notification. The extension's command returns right after the dialog,
 * so a target picker would show within milliseconds; two seconds is room enough.
 */
async function assertNothingFollows(page: Page, tabs: string[]): Promise<void> {
  const picker = await page
    .locator('.quick-input-widget')
    .first()
    .waitFor({ state: 'visible', timeout: 2_000 })
    .then(() => true, () => false);
  assert.equal(picker, false, `a quick input showed: ${await page.locator('.quick-input-widget').first().innerText().catch(() => '')}`);
  assert.deepEqual((await tabLabels(page)).sort(), [...tabs].sort(), 'no other editor opened');
  assert.deepEqual(await toastTexts(page), [], 'no notification');
}
