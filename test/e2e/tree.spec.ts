import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { e2e, screenshot } from './context';
import { chooseMenuItem, closeAllEditors, closeOtherDumps, collapseTreeRow, dumpsPane, expandTreeRow as expand, openContextMenu, openInDumpExplorer, runCommand, setTreeCheckbox, treeRow, waitUntil } from './workbench';

/**
 * The Dump Explorer tree as a user meets it: the Explorer's context menu opens a dump in the
 * Dumps view, the user expands it, ticks a table by clicking its check-box, reads what is picked
 * and what the plan takes, and previews the table's rows.
 */

/** The webview's content frame: VS Code puts the page in an iframe inside the webview's iframe. */
function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

describe('Dump Explorer tree', () => {
  after(async () => {
    await closeAllEditors(e2e().page);
  });

  it('opens rich.dump from the Explorer\'s context menu in the Dumps view', async () => {
    const { page } = e2e();
    await openInDumpExplorer(page, 'rich.dump');
    // Other specs leave their dumps open, with rows of the same labels (sales, Tables, order): they go.
    await closeOtherDumps(page, 'rich.dump');
    const description = await treeRow(page, 'rich.dump').locator('.label-description').innerText();
    assert.match(description, /^custom · \d+ entries( · \d+ picked)?$/);
    if (/picked$/.test(description)) {
      await runCommand(page, 'PG Dump Explorer: Clear Selection');
      await waitUntil('rich.dump to have nothing picked', async () => !/picked/.test(await treeRow(page, 'rich.dump', 1).locator('.label-description').innerText()));
    }
    const toasts = await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
    assert.deepEqual(toasts.filter((t) => /error/i.test(t)), [], 'no error shows');
  });

  it('ticking sales → Tables → order by its check-box picks it, and the view counts the plan', async () => {
    const { page } = e2e();
    await expand(page, 'rich.dump', 1);
    await expand(page, 'sales', 2);
    await expand(page, 'Tables', 3);
    const order = treeRow(page, 'order', 4);
    await order.waitFor();
    await setTreeCheckbox(page, 'order', true, 4);
    assert.match(await treeRow(page, 'rich.dump').locator('.label-description').innerText(), /1 picked$/);
    assert.match(await treeRow(page, 'Tables', 3).locator('.label-description').innerText(), /1 of \d+ picked$/);
    const message = dumpsPane(page).locator('.message');
    // With other dumps open (the summary specs leave theirs), the view names the dump the line is about.
    await message.getByText(/^(rich\.dump: )?1 object picked · restoring it takes \d+ entries/).waitFor({ timeout: 10_000 });
    const text = await message.innerText();
    assert.match(text, /\(\d+ come with it: .*\) · \d+ needed from elsewhere/);
    assert.equal(await order.locator('.custom-view-tree-node-item-checkbox').getAttribute('aria-checked'), 'true');
    await screenshot('tree-ticked-table', { readme: true });
  });

  it('Preview Data shows the real rows of sales.order in a grid', async () => {
    const { page } = e2e();
    await openContextMenu(page, treeRow(page, 'order', 4), { waitFor: 'Preview Data' });
    await chooseMenuItem(page, 'Preview Data');
    const frame = webviewFrame(page);
    await frame.locator('h1', { hasText: 'sales.order' }).waitFor({ timeout: 30_000 });
    const headers = await frame.locator('vscode-table-header-cell').allInnerTexts();
    assert.deepEqual(headers.map((h) => h.trim()), ['id', 'customer_id', 'status', 'total', 'created']);
    const firstRow = (await frame.locator('vscode-table-body vscode-table-row').first().locator('vscode-table-cell').allInnerTexts()).map((c) => c.trim());
    assert.deepEqual(firstRow.slice(0, 4), ['1', '2', 'paid', '1.50'], 'the first row of the fixture\'s sales.order');
    assert.match(await frame.locator('.summary').innerText(), /^The first 100 rows, as stored in rich\.dump/);
    await screenshot('tree-data-preview');
  });

  it('Preview Data shows NULL apart from text, and escaped tabs and line breaks decoded', async () => {
    const { page } = e2e();
    // sales (expanded above) has a "Tables" row too: folded away, public's is the only one.
    await collapseTreeRow(page, 'sales', 2);
    await expand(page, 'public', 2);
    await expand(page, 'Tables', 3);
    const name = 'bulk "odd" name';
    await openContextMenu(page, treeRow(page, name), { waitFor: 'Preview Data' });
    await chooseMenuItem(page, 'Preview Data');
    const frame = webviewFrame(page);
    await frame.locator('h1', { hasText: `public.${name}` }).waitFor({ timeout: 30_000 });
    const rows = frame.locator('vscode-table-body vscode-table-row');
    assert.equal(await rows.count(), 4);
    const note = (i: number) => rows.nth(i).locator('vscode-table-cell span.value').nth(1);
    assert.equal(await note(0).textContent(), 'tab\there');
    assert.equal(await note(1).textContent(), 'new\nline');
    assert.equal(await note(2).textContent(), 'back\\slash');
    assert.equal(await note(3).textContent(), 'NULL');
    assert.match((await note(3).getAttribute('class')) ?? '', /\bnull\b/, 'NULL is drawn as NULL, not as the text "NULL"');
    assert.doesNotMatch((await note(0).getAttribute('class')) ?? '', /\bnull\b/);
  });
});
