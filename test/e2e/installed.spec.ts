import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startCodeServer, workbenchUrl, type CodeServer } from '../support/codeServer';
import { HUGE_DUMP_ROWS, makeHugePlainDump } from '../support/hugeDump';
import { query } from '../support/pgServer';
import { fillWorkspace } from '../support/workspace';
import { e2e, screenshot, setContext, type E2EContext } from './context';
import { confirmRestore, escaped, onScreen, oneLine, resultHeadline, waitForCleanCheck } from './restoreFlow';
import {
  answerQuickInput,
  archiveSummaryFrame,
  chooseMenuItem,
  chooseQuickPickItem,
  clickDumpsTitleAction,
  closeAllEditors,
  expandTreeRow,
  explorerRow,
  openContextMenu,
  openInDumpExplorer,
  quickInput,
  restorePanelFrame,
  setTreeCheckbox,
  showExplorerFiles,
  toast,
  treeRow,
  waitForExplorer,
  waitUntil,
} from './workbench';

/**
 * The extension as a user gets it: the .vsix that `npm run package` writes, installed into a
 * second code-server with `--install-extension` (no development path, no source tree), in a
 * folder of its own. A smoke test of what needs the package to be whole: the tree, the summary
 * and data preview webviews, a restore with the real pg_restore, and the Large Dump Viewer, whose
 * index is built in a worker thread loaded from the package.
 */
describe('the installed extension (.vsix)', function () {
  this.timeout(300_000);
  let server: CodeServer | undefined;
  let page: Page | undefined;
  let development: E2EContext | undefined;
  let folder: string;
  const db = `pgdx_e2e_installed_${process.pid}`;

  before(async () => {
    development = e2e();
    const { session, vsix } = development;
    assert.ok(vsix && fs.existsSync(vsix), 'the e2e runner packages the extension first (npm run package)');
    folder = fillWorkspace(path.join(session.tmp, 'installed-workspace'), session.fixtures, ['rich.dump']);
    const size = await makeHugePlainDump(session.server, path.join(folder, 'huge.sql'));
    assert.ok(size > 50 * 1024 * 1024, `the generated dump is only ${size} bytes`);
    // Stopped in after(); on a crash, by the runner's cleanup (closeAll stops every code-server started here).
    server = await startCodeServer({ folder, env: session.env, userDataDir: path.join(session.tmp, 'code-server-installed'), install: [vsix] });
    const browser = development.page.context().browser();
    assert.ok(browser, 'no browser behind the page');
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // From here on, screenshots (a failed test's too) are of this window.
    setContext({ ...development, page, codeServer: server });
    await page.goto(workbenchUrl(server, {}));
    await waitForExplorer(page);
  });

  after(async () => {
    if (development) {
      setContext(development);
      await query(development.session.server, 'postgres', `drop database if exists "${db}" with (force)`);
    }
    await page?.close().catch(() => undefined);
    await server?.stop();
  });

  it('is the packaged extension: installed in the extensions folder, with its bundles and without sources', () => {
    const extensionsDir = path.join(e2e().session.tmp, 'code-server-installed', 'extensions');
    const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('pg-dump-explorer.pg-dump-explorer-'));
    assert.equal(installed.length, 1, `extensions folder: ${fs.readdirSync(extensionsDir).join(', ')}`);
    const root = path.join(extensionsDir, installed[0]!);
    for (const file of ['dist/extension.js', 'dist/plainIndexWorker.js', 'package.json']) assert.ok(fs.existsSync(path.join(root, file)), `${file} is not in the installed extension`);
    for (const absent of ['src', 'test', 'node_modules', 'dist/extension.js.map']) assert.ok(!fs.existsSync(path.join(root, absent)), `${absent} is in the installed extension`);
  });

  it('opens rich.dump from the Explorer menu with its summary, ticks sales.order and previews its rows', async () => {
    assert.ok(page);
    await openInDumpExplorer(page, 'rich.dump');
    const summary = await archiveSummaryFrame(page, 'rich.dump');
    assert.equal(oneLine(await summary.locator('dl.summary dt', { hasText: /^Database$/ }).locator('xpath=following-sibling::dd[1]').innerText()), 'rich');
    await closeAllEditors(page);
    await expandTreeRow(page, 'rich.dump', 1);
    await expandTreeRow(page, 'sales', 2);
    await expandTreeRow(page, 'Tables', 3);
    await setTreeCheckbox(page, 'order', true, 4);
    assert.match(await treeRow(page, 'rich.dump', 1).locator('.label-description').innerText(), /1 picked$/);

    await openContextMenu(page, treeRow(page, 'order', 4), { waitFor: 'Preview Data' });
    await chooseMenuItem(page, 'Preview Data');
    const grid = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await grid.locator('h1', { hasText: 'sales.order' }).waitFor({ timeout: 30_000 });
    const headers = (await grid.locator('vscode-table-header-cell').allInnerTexts()).map((h) => h.trim());
    assert.deepEqual(headers, ['id', 'customer_id', 'status', 'total', 'created']);
    const firstRow = (await grid.locator('vscode-table-body vscode-table-row').first().locator('vscode-table-cell').allInnerTexts()).map((c) => c.trim());
    assert.deepEqual(firstRow.slice(0, 4), ['1', '2', 'paid', '1.50'], "the first row of the fixture's sales.order");
    await closeAllEditors(page);
  });

  it('restores sales.order with what it needs into a new database, and the database has its rows', async () => {
    assert.ok(page);
    const { server: pg } = e2e().session;
    const where = `${pg.host}:${pg.port}`;
    await clickDumpsTitleAction(page, 'Restore Selected…');
    const title = 'Restore 1 object from rich.dump into…';
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}$`), /PG\* environment$/);
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}: database on ${escaped(where)}`), /Create database…$/, db);
    const nameBox = await quickInput(page);
    await waitUntil("the new database's name box to hold the typed name", async () => (await nameBox.inputValue()) === db, { timeoutMs: 10_000 });
    await answerQuickInput(page, new RegExp(`A new, empty database on ${escaped(where)}`), undefined);
    await toast(page, new RegExp(`Created database "${db}" on ${escaped(where)}`)).waitFor({ timeout: 30_000 });

    const frame = await restorePanelFrame(page, 'rich.dump');
    await waitUntil('the pre-flight check to offer what the selection needs', async () => (await frame.locator('section.preflight li.finding vscode-button', { hasText: 'Include what the selection needs' }).count()) > 0, {
      onScreen: () => onScreen(page!, frame),
    });
    await frame.locator('section.preflight li.finding vscode-button', { hasText: 'Include what the selection needs' }).first().click();
    await waitForCleanCheck(page, frame, 'with what the selection needs');
    await confirmRestore(page, frame, 'rich.dump', `${where}/${db}`, 'Restore…');
    const headline = await resultHeadline(page, frame, /^(Restored|The restore|Cancelled)/);
    assert.match(headline, new RegExp(`^Restored \\d+ items into ${escaped(`${where}/${db}`)} in \\d+\\.\\d s\\.$`), await onScreen(page, frame));

    const count = async (database: string) => (await query<{ n: string }>(pg, database, 'select count(*)::text as n from sales."order"'))[0]?.n;
    const restored = await count(db);
    assert.equal(restored, await count('rich'), 'rows of sales.order: the restored table against the database the dump was made of');
    assert.ok(Number(restored) > 0);
    await screenshot('installed-restore-result');
    await closeAllEditors(page);
  });

  it('opens a generated plain dump above 50 MB in the Large Dump Viewer, indexed by the packaged worker', async () => {
    assert.ok(page);
    await showExplorerFiles(page);
    await openContextMenu(page, explorerRow(page, 'huge.sql'), { waitFor: 'Open in Large Dump Viewer' });
    await chooseMenuItem(page, 'Open in Large Dump Viewer');
    const viewer = page.frameLocator('iframe.webview.ready').frameLocator('iframe');
    await viewer.locator('.row .label', { hasText: /^events$/ }).first().waitFor({ timeout: 120_000 });
    assert.match(await viewer.locator('.summary').innerText(), /huge\.sql · \d+ sections/);
    const labels = await viewer.locator('.row .label').allInnerTexts();
    for (const l of ['big', 'Tables', 'account', 'events']) assert.ok(labels.includes(l), `viewer rows: ${labels.slice(0, 30).join(' | ')}`);
    // The worker counted the COPY block's rows.
    const eventsData = viewer.locator('.row', { has: viewer.locator('.label', { hasText: /^events$/ }) }).filter({ hasText: 'TABLE DATA' }).first();
    assert.match(oneLine(await eventsData.innerText()), new RegExp(`\\b${HUGE_DUMP_ROWS.toLocaleString('en-US')} rows\\b`));
    await screenshot('installed-large-dump-viewer');
  });
});
