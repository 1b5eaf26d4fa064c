import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../support/fixtures';
import { e2e, screenshot } from './context';
import type { Frame } from 'playwright-core';
import { archiveSummaryFrame, chooseMenuItem, closeAllEditors, explorerRow, openContextMenu, runCommand, tabLabels } from './workbench';

interface Manifest {
  contributes: { commands: { command: string; title: string }[]; menus?: Record<string, { command: string }[]> };
}

/** The titles package.json gives the extension's Explorer context-menu items, read now. */
function explorerMenuTitles(): string[] {
  const { contributes } = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as Manifest;
  const ids = (contributes.menus?.['explorer/context'] ?? []).map((m) => m.command);
  return contributes.commands.filter((c) => ids.includes(c.command)).map((c) => c.title);
}

describe('Explorer context menu', () => {
  const titles = explorerMenuTitles();
  const title = titles[0] ?? '(none)';

  afterEach(async () => {
    await e2e().page.keyboard.press('Escape');
  });

  it('package.json puts PG Dump Explorer in the Explorer context menu', () => {
    assert.ok(titles.length > 0, 'no explorer/context menu item');
  });

  it(`offers "${title}" on a .dump`, async () => {
    const { page } = e2e();
    const labels = await openContextMenu(page, explorerRow(page, 'rich.dump'), { waitFor: title });
    assert.ok(labels.includes(title), `context menu of rich.dump: ${labels.join(' | ')}`);
    await screenshot('explorer-context-menu', { readme: true });
  });

  for (const name of ['rich.tar', 'rich.sql', 'rich.sql.gz', 'cluster.sql', 'rich-dir']) {
    it(`offers it on ${name}${name === 'rich-dir' ? ' (a directory dump)' : ''}`, async () => {
      const { page } = e2e();
      const labels = await openContextMenu(page, explorerRow(page, name), { waitFor: title });
      assert.ok(labels.includes(title), `context menu of ${name}: ${labels.join(' | ')}`);
    });
  }

  it('does not offer it on a text file', async () => {
    const { page } = e2e();
    // The .dump's menu first, so the extension's contributions are known to be loaded.
    await openContextMenu(page, explorerRow(page, 'rich.dump'), { waitFor: title });
    await page.keyboard.press('Escape');
    const labels = await openContextMenu(page, explorerRow(page, 'notes.txt'));
    assert.ok(labels.length > 0, 'no context menu on notes.txt');
    assert.ok(!labels.includes(title), `offered on notes.txt: ${labels.join(' | ')}`);
  });

  it('clicking it on a .dump shows what the dump holds in the Dumps view', async () => {
    const { page } = e2e();
    const pane = page.locator('[id="workbench.view.extension.pgDumpExplorer"] .pane:has(.pane-header[aria-label="Dumps Section"])');
    const root = pane.locator('.monaco-list-row[aria-level="1"]', { has: page.locator('.label-name', { hasText: /^rich\.dump$/ }) });
    // The workbench redraws its context menu while contributions load, and a click can land on
    // a menu that is going away: try the menu again (three times at most) when nothing opens.
    let frame: Frame | undefined;
    for (let attempt = 1; !frame; attempt++) {
      await openContextMenu(page, explorerRow(page, 'rich.dump'), { waitFor: title });
      await chooseMenuItem(page, title);
      frame = await archiveSummaryFrame(page, 'rich.dump', 20_000).catch((err: unknown) => (attempt >= 3 ? Promise.reject(err) : undefined));
      if (!frame) await page.keyboard.press('Escape');
    }
    // The summary editor shows the archive's facts and entries…
    const summary = (await frame.locator('dl.summary').innerText()).replace(/\s+/g, ' ');
    assert.match(summary, /Database rich/);
    assert.match(summary, /Entries \d+/);
    await frame.locator('.rows .row[data-dump-id]', { hasText: 'customer' }).first().waitFor({ timeout: 20_000 });
    assert.ok((await tabLabels(page)).length > 0, 'no editor tab');
    // …and the Dumps view holds the dump, expanded to its schemas.
    await root.waitFor({ timeout: 20_000 });
    assert.equal(await root.getAttribute('aria-expanded'), 'true', 'the dump opens expanded');
    assert.match(await root.locator('.label-description').innerText(), /^custom · \d+ entries/);
    const schemas = await pane.locator('.monaco-list-row[aria-level="2"] .label-name').allInnerTexts();
    for (const schema of ['sales', 'public']) assert.ok(schemas.includes(schema), `no schema ${schema} under rich.dump: ${schemas.join(', ')}`);
    await screenshot('dump-summary');
    await closeAllEditors(page);
    // Back to the Explorer, where the other specs start.
    await runCommand(page, 'View: Show Explorer');
  });
});
