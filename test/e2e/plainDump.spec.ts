import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { e2e, screenshot } from './context';
import { closeAllEditors, explorerRow, runCommand, visibleEditorText } from './workbench';
import { until } from '../support/poll';

/** 1-based line of the first line of rich.sql that starts with `text`, and the file's lines. */
function richLine(text: string): number {
  const lines = fs.readFileSync(e2e().session.fixtures['plain.sql'], 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith(text));
  assert.ok(at >= 0, `rich.sql has no line starting ${text}`);
  return at + 1;
}

/** The cursor's line as the status bar shows it (`Ln 12, Col 3`). */
async function cursorLine(): Promise<number> {
  const text = await e2e().page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+/ }).first().innerText();
  return Number(/Ln (\d+)/.exec(text)?.[1]);
}

/**
 * Puts the cursor on `line`:`column` with Go to Line (Ctrl+G), as a user does; again when the
 * editor did not move there (the quick input can take Enter before it has read the typing).
 */
async function goToLine(line: number, column: number): Promise<void> {
  const { page } = e2e();
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, 'View: Focus Active Editor Group');
    await page.keyboard.press('Control+G');
    await input.waitFor();
    await input.fill(`:${line}:${column}`);
    await page.locator('.quick-input-widget', { hasText: `${line}` }).first().waitFor();
    await page.keyboard.press('Enter');
    const moved = await until(`the cursor to be on line ${line}`, async () => (await cursorLine()) === line, { timeoutMs: 10_000 }).catch((err: unknown) =>
      attempt >= 3 ? Promise.reject(err) : false,
    );
    if (moved) return;
    await page.keyboard.press('Escape');
  }
}

describe('plain dump in the editor', () => {
  after(async () => {
    await closeAllEditors(e2e().page);
  });

  it('the Outline view shows schemas, kinds and objects of rich.sql', async () => {
    const { page } = e2e();
    await explorerRow(page, 'rich.sql').dblclick();
    await page.locator('.editor-group-container.active .monaco-editor .view-lines', { hasText: 'PostgreSQL database dump' }).first().waitFor({ timeout: 30_000 });
    // Room for the Outline: fold the Explorer's file list away.
    await page.locator('.pane-header', { hasText: /^dumps/i }).first().click();
    await runCommand(page, 'Explorer: Focus on Outline View');
    const outline = page.locator('.outline-pane .monaco-list-row');
    await outline.filter({ hasText: /^Audit Log/ }).first().waitFor({ timeout: 60_000 });
    // The Outline opens everything, in file order: fold the schemas to see them all, then open sales.
    const labels = async () => (await outline.allInnerTexts()).map((t) => t.split('\n')[0]!.trim());
    const twistie = (name: string) => outline.filter({ hasText: new RegExp(`^${name}\\s*schema`) }).first().locator('.monaco-tl-twistie');
    for (const name of ['Audit Log', 'sales']) {
      await twistie(name).click();
      await outline.filter({ hasText: new RegExp(`^${name}\\s*schema`) }).first().and(page.locator('[aria-expanded="false"]')).waitFor();
    }
    const roots = await labels();
    for (const schema of ['Audit Log', 'public', 'sales']) assert.ok(roots.some((l) => l.startsWith(schema)), `outline rows: ${roots.join(' | ')}`);
    await twistie('sales').click();
    await outline.filter({ hasText: /^Tables/ }).first().waitFor();
    const customer = outline.filter({ hasText: /^customer\s*TABLE$/ }).first();
    await customer.click();
    await page.locator('.editor-group-container.active .view-lines', { hasText: 'CREATE TABLE sales.customer' }).first().waitFor();
    await screenshot('plain-outline', { readme: true });
  });

  it('F12 on a REFERENCES name jumps to the CREATE TABLE', async () => {
    const { page } = e2e();
    const line = richLine('    ADD CONSTRAINT order_customer_id_fkey');
    const text = fs.readFileSync(e2e().session.fixtures['plain.sql'], 'utf8').split('\n')[line - 1]!;
    await goToLine(line, text.indexOf('REFERENCES sales.customer') + 'REFERENCES sales.cu'.length + 1);
    assert.equal(await cursorLine(), line);
    await page.keyboard.press('F12');
    const target = richLine('CREATE TABLE sales.customer (');
    await until(`the cursor to be on line ${target}, the CREATE TABLE`, async () => (await cursorLine()) === target, { timeoutMs: 20_000, onTimeout: async () => `the cursor is on line ${await cursorLine()}` });
    assert.match(await visibleEditorText(page), /CREATE TABLE sales\.customer \(/);
  });

  it('opens rich.sql in the Large Dump Viewer, which lists its sections', async () => {
    const { page } = e2e();
    await runCommand(page, 'PG Dump Explorer: Open in Large Dump Viewer');
    const frame = page.frameLocator('iframe.webview.ready').frameLocator('iframe');
    const row = frame.locator('.row', { hasText: 'customer' }).first();
    await row.waitFor({ timeout: 60_000 });
    const summary = await frame.locator('.summary').innerText();
    assert.match(summary, /rich\.sql · \d+ sections/);
    const labels = await frame.locator('.row .label').allInnerTexts();
    for (const l of ['sales', 'Tables', 'customer']) assert.ok(labels.includes(l), `viewer rows: ${labels.slice(0, 30).join(' | ')}`);
    await frame.locator('vscode-textfield.search').locator('input').fill('order_line');
    // The list is drawn again for the filter: other objects go, order_line's sections stay.
    await frame.locator('.row .label', { hasText: /^customer$/ }).first().waitFor({ state: 'detached', timeout: 20_000 });
    await frame.locator('.row .label', { hasText: /^order_line order_line_pkey$/ }).first().waitFor();
    const filtered = await frame.locator('.row .label').allInnerTexts();
    assert.ok(filtered.every((l) => /order_line/.test(l) || !/_/.test(l) || l === 'sales'), `filtered rows: ${filtered.join(' | ')}`);
    await screenshot('plain-viewer', { readme: true });
  });
});
