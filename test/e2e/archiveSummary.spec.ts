import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConsoleMessage, Frame, Page } from 'playwright-core';
import { findToolCandidates, formatToolVersion, minimumMajorFor } from '../../src/core/tools/findTools';
import { sharedFixturesDir } from '../support/fixtures';
import { benchArchives } from '../support/workspace';
import { e2e, screenshot } from './context';
import { archiveSummaryFrame, closeAllEditors, dumpsPane, explorerRow, openContextMenu, showExplorer, toastTexts, visibleEditorText, waitUntil } from './workbench';

const number = new Intl.NumberFormat('en-US');

/** What the real pg_restore of the test server says a dump holds. */
function pgRestoreTocEntries(file: string): number {
  const out = execFileSync(path.join(e2e().session.server.binDir, 'pg_restore'), ['-l', file], { encoding: 'utf8', env: { ...process.env, LC_MESSAGES: 'C' } });
  return Number(/^;\s+TOC Entries: (\d+)$/m.exec(out)?.[1]);
}

/** The value the summary shows for a label (`Dumped from`, `Entries`, …). */
async function fact(frame: Frame, label: string): Promise<string> {
  const dd = frame.locator('dl.summary dt', { hasText: new RegExp(`^${label}$`) }).locator('xpath=following-sibling::dd[1]');
  return (await dd.innerText()).replace(/\s+/g, ' ').trim();
}

/** The rows the table has in the DOM now (the virtualiser keeps only those on screen, and a few more). */
async function domRows(frame: Frame): Promise<{ dumpId: number; cells: string[] }[]> {
  return frame.locator('.rows .row[data-dump-id]').evaluateAll((rows) =>
    rows.map((r) => ({ dumpId: Number(r.getAttribute('data-dump-id')), cells: [...r.querySelectorAll('.cell')].map((c) => (c.textContent ?? '').trim()) })),
  );
}

/**
 * Double-clicks `name` in the Explorer and returns the summary's frame. Early on, the workbench
 * may take the double-click before it knows the extension's custom editor: then it opens
 * nothing, and the double-click is tried again (three times at most).
 */
async function openByDoubleClick(page: Page, name: string, timeoutMs = 60_000): Promise<Frame> {
  await showExplorer(page);
  await explorerRow(page, name).waitFor({ timeout: 30_000 });
  for (let attempt = 1; ; attempt++) {
    await explorerRow(page, name).dblclick();
    const frame = await archiveSummaryFrame(page, name, attempt < 3 ? Math.min(20_000, timeoutMs) : timeoutMs).catch((err: unknown) => (attempt >= 3 ? Promise.reject(err) : undefined));
    if (frame) return frame;
    // Whatever opened instead (the text editor, before the custom editor was known) goes first.
    await closeAllEditors(page);
  }
}

/**
 * The dumpIds of the rows on screen, once the virtualiser has drawn rows from the top of the
 * table's visible area to its bottom (after a scroll it draws the new ones a moment later).
 */
async function rowsFillingView(frame: Frame): Promise<number[]> {
  let ids: number[] | undefined;
  await waitUntil('the table to draw the rows of where it is scrolled to', async () => {
    ids = await frame.locator('.rows').evaluate((host) => {
      const box = host.getBoundingClientRect();
      const rows = [...host.querySelectorAll('.row[data-dump-id]')].map((r) => ({ id: Number(r.getAttribute('data-dump-id')), b: r.getBoundingClientRect() }));
      const onScreen = rows.filter(({ b }) => b.bottom > box.top + 1 && b.top < box.bottom - 1).sort((x, y) => x.b.top - y.b.top);
      const filled = onScreen.length > 0 && onScreen[0]!.b.top <= box.top + 1 && onScreen[onScreen.length - 1]!.b.bottom >= box.bottom - 1;
      return filled ? onScreen.map((r) => r.id) : undefined;
    });
    return ids !== undefined;
  });
  return ids!;
}

/** Whether some frame of the page shows the archive summary of `title`. */
async function summaryShown(page: Page, title: string): Promise<boolean> {
  for (const frame of page.frames()) {
    if (!frame.isDetached() && (await frame.locator('h1', { hasText: title }).count().catch(() => 0)) > 0) return true;
  }
  return false;
}

function scrollTop(frame: Frame): Promise<number> {
  return frame.locator('.rows').evaluate((el) => el.scrollTop);
}

async function search(frame: Frame, text: string): Promise<void> {
  const input = frame.locator('vscode-textfield input');
  await input.click();
  await input.fill(text);
}

/** Waits for the table's count line to match, and returns it. */
async function countLine(frame: Frame, pattern: RegExp): Promise<string> {
  const count = frame.locator('.toolbar .count');
  await count.filter({ hasText: pattern }).waitFor({ timeout: 30_000 });
  return (await count.innerText()).trim();
}

describe('archive summary editor', () => {
  /** Every console message about the Content Security Policy while these specs run, from any frame. */
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  const onConsole = (msg: ConsoleMessage) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to (load|apply|execute|evaluate|connect|create)/i.test(text)) cspViolations.push(text.split('\n')[0]!);
  };
  const onPageError = (err: Error) => pageErrors.push(err.message.split('\n')[0]!);
  const added: string[] = [];

  before(async () => {
    const { page } = e2e();
    page.on('console', onConsole);
    page.on('pageerror', onPageError);
    // The workbench shows the Explorer before it has read the extension's contributions: once
    // the Explorer menu offers the extension's command, it knows the custom editor too.
    await openContextMenu(page, explorerRow(page, 'rich.dump'), { waitFor: 'Open in PG Dump Explorer' });
    await page.keyboard.press('Escape');
  });
  after(() => {
    e2e().page.off('console', onConsole);
    e2e().page.off('pageerror', onPageError);
    for (const p of added) fs.rmSync(p, { recursive: true, force: true });
  });
  afterEach(async () => {
    await closeAllEditors(e2e().page);
  });

  /** Puts a file into the workspace for this spec (removed afterwards). */
  function addToWorkspace(name: string, make: (to: string) => void): string {
    const to = path.join(e2e().session.workspace, name);
    make(to);
    added.push(to);
    return to;
  }

  it('double-clicking rich.dump shows its summary: server version, entry count, format', async () => {
    const { page, session } = e2e();
    const frame = await openByDoubleClick(page, 'rich.dump');
    const entries = pgRestoreTocEntries(path.join(session.workspace, 'rich.dump'));
    assert.ok(entries > 20);
    assert.match(await fact(frame, 'Dumped from'), new RegExp(`^PostgreSQL ${session.server.version.replace(/\./g, '\\.')}\\b`));
    assert.match(await fact(frame, 'Entries'), new RegExp(`^${number.format(entries)} \\(\\d+ listed by pg_restore -l\\)$`));
    assert.equal(await fact(frame, 'Format'), 'custom');
    assert.equal(await fact(frame, 'Database'), 'rich');
    assert.match(await fact(frame, 'Dumped by'), /^pg_dump \d+\.\d+/);
    assert.match(await fact(frame, 'Created'), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
    await countLine(frame, new RegExp(`^${number.format(entries)} entries$`));
    const rows = await domRows(frame);
    assert.ok(rows.length > 10, `only ${rows.length} rows drawn`);
    // The warnings are looked for in the background; wait for their answer before the picture.
    await frame.locator('.warnings, .no-warnings').first().waitFor({ timeout: 30_000 });
    await screenshot('archive-summary', { readme: true });
  });

  it('searching for "order" shows only the rows that match, and a click on a row shows its entry in the Dumps view', async () => {
    const { page } = e2e();
    const frame = await openByDoubleClick(page, 'rich.dump');
    await countLine(frame, /^\d[\d,]* entries$/);
    const all = Number((await countLine(frame, /entries$/)).replace(/\D/g, ''));
    await search(frame, 'order');
    const line = await countLine(frame, /of [\d,]+ entries match$/);
    const matching = Number(/^([\d,]+) of/.exec(line)![1]!.replace(/,/g, ''));
    assert.ok(matching > 0 && matching < all, line);
    const shown = await domRows(frame);
    assert.equal(shown.length, matching, 'a short result shows all its rows');
    for (const r of shown) {
      // ID, kind, schema, name, owner, …: the word is in kind, schema, name or owner.
      assert.ok(r.cells.slice(1, 5).some((c) => c.toLowerCase().includes('order')), `row ${r.cells.join(' | ')} does not match "order"`);
    }
    assert.ok(shown.some((r) => r.cells[1] === 'TABLE' && r.cells[2] === 'sales' && r.cells[3] === 'order'));
    await screenshot('archive-summary-search');

    const table = shown.find((r) => r.cells[1] === 'TABLE' && r.cells[2] === 'sales' && r.cells[3] === 'order')!;
    await frame.locator(`.rows .row[data-dump-id="${table.dumpId}"]`).click();
    const selected = dumpsPane(page).locator('.monaco-list-row[aria-selected="true"]');
    await waitUntil('the Dumps view to show sales.order selected', async () => (await selected.locator('.label-name').allInnerTexts()).map((t) => t.trim()).includes('order'), {
      onScreen: async () => `selected rows: ${(await selected.allInnerTexts()).join(' | ') || '(none)'}; toasts: ${(await toastTexts(page)).join(' | ')}`,
    });
    const toasts = await toastTexts(page);
    assert.deepEqual(toasts.filter((t) => /reveal|not found|error/i.test(t)), [], toasts.join(' | '));
  });

  it('keeps the search and the scroll position when the editor is hidden and shown again', async () => {
    const { page } = e2e();
    let frame = await openByDoubleClick(page, 'rich.dump');
    await search(frame, 'sales');
    await countLine(frame, /of [\d,]+ entries match$/);
    // Scrolled down by whole rows (22 px each), so the first row on screen is exactly row 5.
    await frame.locator('.rows').evaluate((el) => (el.scrollTop = 5 * 22));
    await waitUntil('the table to scroll', async () => (await scrollTop(frame)) === 5 * 22);
    const before = await rowsFillingView(frame);
    assert.ok(before.length > 3);
    // Another editor in front of it: its webview is dropped (no retainContextWhenHidden).
    await showExplorer(page);
    await explorerRow(page, 'notes.txt').dblclick();
    await page.locator('.tabs-container .tab.active', { hasText: 'notes.txt' }).waitFor();
    await waitUntil('the summary\'s webview to be dropped', async () => !(await summaryShown(page, 'rich.dump')));
    await page.locator('.tabs-container .tab', { hasText: 'rich.dump' }).click();
    frame = await archiveSummaryFrame(page, 'rich.dump');
    assert.equal(await frame.locator('vscode-textfield').evaluate((el) => (el as unknown as { value: string }).value), 'sales');
    await countLine(frame, /of [\d,]+ entries match$/);
    await waitUntil('the scroll position to come back', async () => (await scrollTop(frame)) > 0);
    let after: number[] = [];
    await waitUntil(`row ${before[0]} to be the first on screen again, as before hiding`, async () => (after = await rowsFillingView(frame))[0] === before[0], {
      onScreen: async () => `the first rows on screen: ${after.slice(0, 3).join(', ')}`,
    });
  });

  it('its buttons show the listing and the Dumps view', async () => {
    const { page } = e2e();
    const frame = await openByDoubleClick(page, 'rich.dump');
    await frame.locator('vscode-button', { hasText: 'Show listing' }).click();
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().getByText('; Archive created at').waitFor({ timeout: 20_000 });
    assert.match(await visibleEditorText(page), /dbname: rich/);
    await page.locator('.tabs-container .tab', { hasText: 'rich.dump' }).click();
    const again = await archiveSummaryFrame(page, 'rich.dump');
    await again.locator('vscode-button', { hasText: 'Show in Dumps view' }).click();
    await page.locator('.pane-header', { hasText: /^Dumps/ }).first().waitFor({ timeout: 20_000 });
    await showExplorer(page);
  });

  it('a 1.16 archive (PostgreSQL 18) says what the pg_restore of this machine can and cannot do', async () => {
    const { page } = e2e();
    addToWorkspace('pg18-rich.dump', (to) => fs.copyFileSync(path.join(sharedFixturesDir, 'pg18-rich.custom.dump'), to));
    const frame = await openByDoubleClick(page, 'pg18-rich.dump');
    assert.equal(await fact(frame, 'Archive version'), '1.16-0');
    await frame.locator('.warnings, .no-warnings').first().waitFor({ timeout: 30_000 });
    // The real pg_restore(s) of this machine, found as the extension finds them.
    const working = (await findToolCandidates('pg_restore')).filter((c) => c.version);
    const needed = minimumMajorFor({ major: 1, minor: 16, rev: 0 });
    const warnings = (await frame.locator('.warning-message').allInnerTexts()).map((t) => t.trim());
    if (working.some((c) => c.version!.major >= needed)) {
      assert.ok(!warnings.some((w) => /pg_restore/.test(w)), `a pg_restore here reads 1.16, yet: ${warnings.join(' | ')}`);
    } else if (working.length === 0) {
      assert.ok(warnings.some((w) => w.startsWith('no pg_restore found on this machine')), warnings.join(' | '));
    } else {
      const newest = formatToolVersion(working[0]!.version!);
      const expected = `pg_restore found on this machine is ${newest}; this archive (format 1.16) needs pg_restore ${needed} or newer; set pgDumpExplorer.pgRestorePath or install PostgreSQL ${needed}+ client tools`;
      assert.ok(warnings.some((w) => w.includes(expected)), `expected "${expected}" among: ${warnings.join(' | ')}`);
      console.log(`      warning shown: ${warnings.find((w) => w.includes(expected))}`);
    }
    await screenshot('archive-summary-pg18-warning');
  });

  it('a file that is not a dump shows the error and what to do', async () => {
    const { page } = e2e();
    addToWorkspace('notes-renamed.dump', (to) => fs.writeFileSync(to, 'These are meeting notes, not a dump.\n'));
    const frame = await openByDoubleClick(page, 'notes-renamed.dump');
    const message = (await frame.locator('.problem .message').innerText()).trim();
    assert.match(message, /^notes-renamed\.dump does not start with PGDMP|^notes-renamed\.dump /);
    assert.match(await frame.locator('.problem .what-to-do').innerText(), /text editor/);
    assert.equal(await frame.locator('dl.summary').count(), 0);
    await frame.locator('vscode-button', { hasText: 'Reopen in Text Editor' }).click();
    await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().getByText('These are meeting notes').waitFor({ timeout: 20_000 });
  });

  it('the Explorer menu offers it on dumps and directory dumps only', async () => {
    const { page } = e2e();
    const title = 'Open in PG Dump Explorer';
    addToWorkspace('plain-folder', (to) => {
      fs.mkdirSync(to);
      fs.writeFileSync(path.join(to, 'readme.txt'), 'not a dump\n');
    });
    addToWorkspace('logs.txt.gz', (to) => fs.writeFileSync(to, Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0])));
    await showExplorer(page);
    await explorerRow(page, 'plain-folder').waitFor({ timeout: 30_000 });
    for (const name of ['rich-dir', 'rich.dump', 'rich.sql.gz']) {
      const labels = await openContextMenu(page, explorerRow(page, name), { waitFor: title });
      await page.keyboard.press('Escape');
      assert.ok(labels.includes(title), `not offered on ${name}: ${labels.join(' | ')}`);
    }
    for (const name of ['plain-folder', 'logs.txt.gz']) {
      const labels = await openContextMenu(page, explorerRow(page, name));
      await page.keyboard.press('Escape');
      assert.ok(labels.length > 0, `no context menu on ${name}`);
      assert.ok(!labels.includes(title), `offered on ${name}: ${labels.join(' | ')}`);
    }
  });

  it('the 90,000-entry bench archive opens and scrolls (time to first rows printed)', async function () {
    const bench = benchArchives()[0];
    if (!bench) {
      console.log('      not run: no 90,000-entry archive in .cache/bench (`npm run bench` makes it)');
      return this.skip();
    }
    const { page } = e2e();
    addToWorkspace('bench-summary.dump', (to) => fs.symlinkSync(bench, to));
    await showExplorer(page);
    await explorerRow(page, 'bench-summary.dump').waitFor({ timeout: 30_000 });
    const started = Date.now();
    await explorerRow(page, 'bench-summary.dump').dblclick();
    const frame = await archiveSummaryFrame(page, 'bench-summary.dump', 120_000);
    await frame.locator('.rows .row[data-dump-id]').first().waitFor({ timeout: 120_000 });
    const firstRowsMs = Date.now() - started;
    const total = Number((await countLine(frame, /^[\d,]+ entries$/)).replace(/\D/g, ''));
    assert.ok(total >= 90_000, `${total} entries`);
    const drawn = (await domRows(frame)).length;
    console.log(`      ${path.basename(bench)}: double-click to first rows on screen ${firstRowsMs} ms; ${number.format(total)} entries, ${drawn} rows in the DOM`);
    assert.ok(drawn < 500, `${drawn} rows in the DOM: the table is not virtualised`);

    // The keyboard: End goes to the last entry, Home back to the first.
    await frame.locator('.grid').focus();
    let t = Date.now();
    await page.keyboard.press('End');
    await frame.locator(`.rows .row[aria-rowindex="${total + 1}"][data-dump-id]`).waitFor({ timeout: 30_000 });
    console.log(`      End to the last row drawn: ${Date.now() - t} ms`);
    await page.keyboard.press('Home');
    await frame.locator('.rows .row[aria-rowindex="2"][data-dump-id]').waitFor({ timeout: 30_000 });
    // The wheel: far down, rows arrive for where it stops.
    const box = (await frame.locator('.rows').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    t = Date.now();
    for (let i = 0; i < 10; i++) await page.mouse.wheel(0, 4_000);
    await waitUntil('rows far down to be drawn', async () => (await frame.locator('.rows .row[data-dump-id]').evaluateAll((rows) => rows.some((r) => Number(r.getAttribute('aria-rowindex')) > 1000))));
    console.log(`      wheel scroll by 40,000 px to rows drawn: ${Date.now() - t} ms`);
    assert.ok((await domRows(frame)).length < 500);

    t = Date.now();
    await search(frame, 't50');
    const line = await countLine(frame, /of [\d,]+ entries match$/);
    console.log(`      search "t50": ${line} in ${Date.now() - t} ms (typing included)`);
    await screenshot('archive-summary-90k');
  });

  it('no Content Security Policy violation and no page error in any frame', async () => {
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(pageErrors, []);
    // The check can see the webview: an inline style, which the policy forbids, is reported.
    const frame = await openByDoubleClick(e2e().page, 'rich.dump');
    await frame.evaluate("document.head.appendChild(Object.assign(document.createElement('style'), { textContent: 'body { color: red }' }))");
    await waitUntil('the deliberate violation to be reported', async () => cspViolations.length > 0, { timeoutMs: 10_000 }).catch(() => undefined);
    assert.equal(cspViolations.length, 1, 'a deliberate violation in the webview was not seen: the check above would not see one either');
    assert.match(cspViolations[0]!, /style/i);
  });
});
