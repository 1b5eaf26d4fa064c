import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { withArchive } from '../../src/core/archive';
import { e2e, screenshot } from './context';
import { chooseMenuItem, closeAllEditors, openContextMenu, runCommand, showConnectionsView, toastTexts, treeRow, waitUntil, webviewFrame } from './workbench';

/**
 * Dump Database… as a user meets it: a database of the server the environment gives, in the
 * Connections view, right-clicked; the dump panel shows the live database's schemas and tables, the
 * pg_dump that will run and its command; one table is ticked and dumped; the new dump opens in the
 * Dumps view, and its TOC holds that table.
 */

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** A row of the Connections view by its label, exactly. */
function connectionsRow(page: Page, view: Locator, label: RegExp): Locator {
  return view.locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
}

async function expandRow(row: Locator): Promise<void> {
  await row.waitFor({ timeout: 30_000 });
  await waitUntil('the row to expand', async () => {
    if ((await row.getAttribute('aria-expanded')) === 'true') return true;
    await row.locator('.monaco-tl-twistie').click();
    return (await row.getAttribute('aria-expanded')) === 'true';
  }, { timeoutMs: 20_000 });
}

function dumpPanelFrame(page: Page, database: string): Promise<Frame> {
  return webviewFrame(page, `the dump panel of ${database}`, async (f) => (await f.locator('h1', { hasText: new RegExp(`^Dump ${database}$`) }).count()) > 0 && (await f.locator('section.plan li.schema').count()) > 0);
}

describe('Dump Database…', () => {
  after(async () => {
    const { page } = e2e();
    await page.keyboard.press('Escape');
    await closeAllEditors(page);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'View: Show Explorer');
  });

  it('from the Connections view: one table ticked in the live database, dumped, opened in the Dumps view', async () => {
    const { page, session } = e2e();
    const before = new Set(fs.readdirSync(session.workspace));
    const view = await showConnectionsView(page);
    await expandRow(connectionsRow(page, view, /^From the environment$/));
    const server = connectionsRow(page, view, /PG\* environment$/);
    await expandRow(server);
    const database = connectionsRow(page, view, /^rich$/);
    await openContextMenu(page, database, { waitFor: 'Dump Database…' });
    await chooseMenuItem(page, 'Dump Database…');

    const frame = await dumpPanelFrame(page, 'rich');
    const facts = oneLine(await frame.locator('section.target').innerText());
    assert.match(facts, new RegExp(`${session.server.host}:${session.server.port}/rich`));
    assert.match(facts, /PostgreSQL \d+\.\d+/);
    await waitUntil('the panel to name the pg_dump that will run', async () => /pg_dump \d+\.\d+ at /.test(oneLine(await frame.locator('section.target').innerText())));
    // Only sales.order: the whole database unticked, then the table.
    await frame.locator('section.plan > vscode-checkbox').first().click();
    await waitUntil('nothing to be ticked', async () => /^0 tables picked/.test(oneLine(await frame.locator('section.plan p.muted').first().innerText())));
    await frame.locator('section.plan li.schema li', { hasText: /(^|\s)order\s+table · / }).locator('vscode-checkbox').first().click();
    const command = frame.locator('pre.command');
    await waitUntil('the command line to name sales.order', async () => /order/.test(await command.innerText().catch(() => '')) && (await frame.locator('vscode-button.dump').getAttribute('disabled')) === null, {
      onScreen: async () => oneLine(await frame.locator('body').innerText()),
    });
    assert.match(await command.innerText(), /^pg_dump /);
    assert.doesNotMatch(await command.innerText(), /password/i);
    await screenshot('dump-panel', { readme: true });

    await frame.locator('vscode-button.dump').click();
    const headline = frame.locator('section.result h2');
    await waitUntil('the dump to finish', async () => /^(Dumped|The dump|Cancelled)/.test(oneLine(await headline.innerText().catch(() => ''))), {
      timeoutMs: 90_000,
      onScreen: async () => `${oneLine(await frame.locator('body').innerText())}\ntoasts: ${(await toastTexts(page)).join(' | ')}`,
    });
    assert.match(oneLine(await headline.innerText()), /^Dumped .*\/rich to .*rich-\d{8}-\d{4}\.dump\.$/);
    const made = fs.readdirSync(session.workspace).filter((n) => !before.has(n));
    assert.equal(made.length, 1, `new in the workspace: ${made.join(', ')}`);
    const file = path.join(session.workspace, made[0]!);
    const tables = await withArchive(file, async ({ archive }) => archive.entries.filter((e) => e.desc === 'TABLE').map((e) => `${e.namespace}.${e.tag}`));
    assert.deepEqual(tables, ['sales.order']);
    await treeRow(page, made[0]!, 1).waitFor({ timeout: 30_000 });
    fs.rmSync(file, { force: true });
  });
});
