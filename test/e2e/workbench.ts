/**
 * Driving VS Code's web workbench (code-server) from playwright: the Explorer, context menus, the
 * command palette, editors. Selectors are VS Code's own DOM (role and aria-label where it has them).
 */
import type { Frame, Locator, Page } from 'playwright-core';
import { until } from '../support/poll';

/** Resolves once the Explorer shows the workspace folder's files. */
export async function waitForExplorer(page: Page, timeoutMs = 120_000): Promise<void> {
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: timeoutMs });
}

/** The Explorer row of a top-level file or folder of the workspace. */
export function explorerRow(page: Page, name: string): Locator {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label=${JSON.stringify(name)}]`);
}

/** The labels of the open context menu. */
async function menuLabels(page: Page): Promise<string[]> {
  await page.getByRole('menu').first().waitFor({ timeout: 10_000 });
  return (await page.locator('.monaco-menu .action-menu-item .action-label').allTextContents()).map((l) => l.trim()).filter(Boolean);
}

/**
 * Right-clicks `target` and returns the labels of its context menu, leaving the menu open. With
 * `waitFor`, re-opens the menu until that label shows or the time runs out: the workbench draws
 * the Explorer before the extension host has read the development extension's contributions.
 */
export async function openContextMenu(page: Page, target: Locator, options: { waitFor?: string; timeoutMs?: number } = {}): Promise<string[]> {
  const { waitFor } = options;
  const open = async () => {
    await target.click({ button: 'right' });
    return menuLabels(page);
  };
  if (waitFor === undefined) return open();
  let seen: string[] = [];
  return until(
    `the context menu to offer "${waitFor}"`,
    async () => {
      // A menu still open from the last try goes first.
      if (await page.locator('.monaco-menu').first().isVisible()) await page.keyboard.press('Escape');
      seen = await open();
      return seen.includes(waitFor) && seen;
    },
    { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 1_000, onTimeout: () => `the menu offered: ${seen.join(' | ')}` },
  );
}

/** An item of the open context menu, by its label. */
export function menuItem(page: Page, label: string): Locator {
  return page.locator(`.monaco-menu .action-menu-item:has(.action-label[aria-label=${JSON.stringify(label)}])`);
}

/**
 * Chooses a context-menu item. The workbench's menu runs an item on mouse up and sometimes only
 * highlights it on a synthetic click; Enter on the highlighted item always runs it.
 */
export async function chooseMenuItem(page: Page, label: string): Promise<void> {
  const item = menuItem(page, label);
  await item.hover();
  await item.click();
  const stillOpen = await page
    .locator('.monaco-menu')
    .first()
    .waitFor({ state: 'hidden', timeout: 1_000 })
    .then(() => false, () => true);
  if (stillOpen) await page.keyboard.press('Enter');
}

/**
 * The Explorer's files in the side bar, its folder section expanded: a test may have left another
 * view there, or collapsed the section.
 */
export async function showExplorer(page: Page): Promise<void> {
  const rows = page.locator('.explorer-folders-view .monaco-list-row').first();
  if (await rows.isVisible()) return;
  await runCommand(page, 'View: Show Explorer');
  // The Explorer's first section is the workspace folder's files.
  const folderSection = page.locator('.part.sidebar .pane-header').first();
  await folderSection.waitFor({ timeout: 10_000 });
  if ((await folderSection.getAttribute('aria-expanded')) === 'false') await folderSection.click();
  await rows.waitFor({ timeout: 10_000 });
}

/** Runs a command from the palette by its title as the palette shows it (`Category: Title`). */
export async function runCommand(page: Page, title: string): Promise<void> {
  const input = page.locator('.quick-input-widget input').first();
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  // The palette can close under the typing (an editor that just opened takes the focus) and,
  // just after the workbench loads, F1 can go unanswered: then again, three times at most.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press('F1');
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`, { timeout: 5_000 });
      await row.waitFor({ timeout: attempt < 3 ? 10_000 : 30_000 });
      break;
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  await page.keyboard.press('Enter');
}

/** Closes every editor, answering "Don't Save" for untitled documents. */
export async function closeAllEditors(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await runCommand(page, 'View: Close All Editors');
  const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Don't Save/ }).first();
  const tabs = page.locator('.tabs-container .tab');
  await until('every editor to close', async () => {
    if (await dontSave.isVisible()) {
      await dontSave.click();
      await dontSave.waitFor({ state: 'detached', timeout: 10_000 });
    }
    return (await tabs.count()) === 0;
  }, { timeoutMs: 20_000, onTimeout: async () => `tabs: ${(await tabLabels(page)).join(' | ')}` });
}

/** The text of the lines the active editor shows (only the visible ones: the editor is virtualised). */
export async function visibleEditorText(page: Page): Promise<string> {
  const text = await page.locator('.editor-group-container.active .monaco-editor .view-lines').first().innerText();
  return text.replace(/\u00a0/g, ' ');
}

/** The labels of the open editor tabs. */
export async function tabLabels(page: Page): Promise<string[]> {
  return (await page.locator('.tabs-container .tab .label-name').allTextContents()).map((l) => l.trim());
}

/**
 * The frame of a webview whose content passes `matches`. A webview is two nested iframes (the
 * workbench's host frame, then the extension's page): this looks at every frame of the page.
 */
export async function webviewFrame(page: Page, what: string, matches: (frame: Frame) => Promise<boolean>, timeoutMs = 60_000): Promise<Frame> {
  return until(
    `a webview showing ${what}`,
    async () => {
      for (const frame of page.frames()) {
        if (frame === page.mainFrame() || frame.isDetached()) continue;
        if (await matches(frame).catch(() => false)) return frame;
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** The archive summary editor's page for `title` (the dump's file or folder name), once it shows its facts. */
export function archiveSummaryFrame(page: Page, title: string, timeoutMs?: number): Promise<Frame> {
  return webviewFrame(page, `the archive summary of ${title}`, async (f) => (await f.locator('h1', { hasText: title }).count()) > 0 && (await f.locator('dl.summary, .problem').count()) > 0, timeoutMs);
}

/** The Dumps view's pane, in the PG Dump Explorer view container (the Explorer's folder pane may be named "dumps" too). */
export function dumpsPane(page: Page): Locator {
  return page.locator('[id="workbench.view.extension.pgDumpExplorer"] .pane:has(.pane-header[aria-label="Dumps Section"])');
}

/**
 * The History view's pane, in the PG Dump Explorer view container, expanded or collapsed (it starts
 * collapsed: expanded, it takes room the Dumps view's deep rows need).
 */
export async function historyPane(page: Page, expanded = true): Promise<Locator> {
  const pane = page.locator('[id="workbench.view.extension.pgDumpExplorer"] .pane:has(.pane-header[aria-label^="History"])').first();
  await pane.waitFor({ timeout: 20_000 });
  const header = pane.locator('.pane-header').first();
  const want = String(expanded);
  if ((await header.getAttribute('aria-expanded')) !== want) await header.click();
  await until(`the History view to be ${expanded ? 'expanded' : 'collapsed'}`, async () => (await header.getAttribute('aria-expanded')) === want, { timeoutMs: 10_000, intervalMs: 150 });
  return pane;
}

const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);

/** A row of the Dumps view by its label, exactly; with `level`, only rows at that depth (1: a dump's root). */
export function treeRow(page: Page, label: string, level?: number): Locator {
  return dumpsPane(page)
    .locator(level === undefined ? '.monaco-list-row' : `.monaco-list-row[aria-level="${level}"]`, { has: page.locator('.label-name', { hasText: exactly(label) }) })
    .first();
}

/** Expands a row of the Dumps view (when it is not expanded yet) and waits until it is. */
export async function expandTreeRow(page: Page, label: string, level?: number): Promise<void> {
  await setTreeRowExpanded(page, label, true, level);
}

/**
 * Clicks a Dumps view row's twistie until the row is `expanded` (or collapsed): a click that
 * landed while VS Code redrew the row is clicked again, three times at most.
 */
async function setTreeRowExpanded(page: Page, label: string, expanded: boolean, level?: number): Promise<void> {
  const row = treeRow(page, label, level);
  await row.waitFor({ timeout: 30_000 });
  const want = String(expanded);
  for (let attempt = 1; (await row.getAttribute('aria-expanded')) !== want; attempt++) {
    await row.locator('.monaco-tl-twistie').click();
    const done = await until(`"${label}" to be ${expanded ? 'expanded' : 'collapsed'}`, async () => (await row.getAttribute('aria-expanded')) === want, { timeoutMs: 5_000, intervalMs: 150 }).catch((err: unknown) =>
      attempt >= 3 ? Promise.reject(err) : false,
    );
    if (done) return;
  }
}

/** Shows the Explorer with the workspace folder's files (expanding its section when another spec collapsed it). */
export async function showExplorerFiles(page: Page): Promise<void> {
  await runCommand(page, 'View: Show Explorer');
  // The workspace folder's section is the Explorer's first.
  const header = page.locator('[id="workbench.view.explorer"] .pane > .pane-header').first();
  await header.waitFor({ timeout: 10_000 });
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  await waitForExplorer(page, 30_000);
}

/**
 * Polls `check` until it holds. On timeout the error names `what` and, with `onScreen`, what the
 * window showed then (a failure says what was on screen, not only that time ran out). Not
 * frame.waitForFunction: it evaluates its predicate with eval, which a webview's Content
 * Security Policy rightly refuses.
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, options: { timeoutMs?: number; onScreen?: () => Promise<string> } = {}): Promise<void> {
  await until(what, check, { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 150, ...(options.onScreen ? { onTimeout: async () => `on screen:\n${await options.onScreen!()}` } : {}) });
}

/** The text of the notification toasts on screen, one per toast (for failure messages). */
export async function toastTexts(page: Page): Promise<string[]> {
  return (await page.locator('.notifications-toasts .notification-toast').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
}

/** A notification toast whose text matches. */
export function toast(page: Page, text: RegExp): Locator {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
}

/** The quick input's text box (QuickPick or InputBox) once it shows. */
export async function quickInput(page: Page): Promise<Locator> {
  const input = page.locator('.quick-input-widget input.input').first();
  await input.waitFor({ state: 'visible', timeout: 20_000 });
  return input;
}

/** Waits for the quick input showing `expect` (its title or prompt), types `text` (when given) and accepts with Enter. */
export async function answerQuickInput(page: Page, expect: RegExp, text: string | undefined): Promise<void> {
  const input = await quickInput(page);
  await page.locator('.quick-input-widget', { hasText: expect }).first().waitFor({ timeout: 20_000 });
  if (text !== undefined) await input.fill(text);
  await page.keyboard.press('Enter');
}

/**
 * Waits for the quick pick titled `title`, optionally types `filter` into it, and clicks the item
 * whose label matches `label` (a click accepts a single-choice pick, as for a user).
 */
export async function chooseQuickPickItem(page: Page, title: RegExp, label: RegExp, filter?: string): Promise<void> {
  const input = await quickInput(page);
  const widget = page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: title }) }).first();
  await widget.waitFor({ timeout: 20_000 }).catch(async (err: unknown) => {
    throw new Error(`no quick pick titled ${title}; the quick input shows: ${(await page.locator('.quick-input-widget').first().innerText().catch(() => '')).replace(/\s+/g, ' ')}`, { cause: err });
  });
  if (filter !== undefined) {
    await input.fill(filter);
    // The extension may answer what was typed with other items (asynchronously): click only once
    // the list has stopped changing, so that the click does not land on a row that just moved.
    const rows = widget.locator('.quick-input-list .monaco-list-row');
    let last = '';
    let same = 0;
    await waitUntil(`the quick pick ${title} to settle after typing "${filter}"`, async () => {
      const now = (await rows.allInnerTexts()).join('\n');
      same = now === last ? same + 1 : 0;
      last = now;
      return same >= 2;
    }, { timeoutMs: 10_000 });
  }
  const item = widget.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
  await item.waitFor({ timeout: 20_000 }).catch(async (err: unknown) => {
    const rows = await widget.locator('.quick-input-list .monaco-list-row').allInnerTexts();
    throw new Error(`no item ${label} in the quick pick ${title}; it lists: ${rows.map((r) => r.replace(/\s+/g, ' ').trim()).join(' | ')}`, { cause: err });
  });
  // The click accepts: the pick closes (or the next step's shows). One VS Code dropped is clicked again.
  for (let attempt = 1; ; attempt++) {
    await item.click();
    const accepted = await until(`the quick pick ${title} to take the click on ${label}`, async () => !(await widget.isVisible()), { timeoutMs: 5_000, intervalMs: 150 }).catch((err: unknown) =>
      attempt >= 3 ? Promise.reject(err) : false,
    );
    if (accepted || !(await item.isVisible())) return;
  }
}

/** The modal dialog (VS Code's own, for `showWarningMessage(…, { modal: true })`) once it shows. */
export async function modalDialog(page: Page, timeoutMs = 20_000): Promise<{ text: string; choose(button: string): Promise<void>; buttons(): Promise<string[]> }> {
  const box = page.locator('.monaco-dialog-box').first();
  await box.waitFor({ timeout: timeoutMs });
  const text = (await box.locator('.dialog-message-container, .dialog-message').first().innerText()).replace(/[ \t]+/g, ' ').trim();
  return {
    text,
    /** Clicks the button whose label (its first line: some buttons carry a description under it) is `button`. */
    async choose(button: string) {
      const buttons = box.locator('.dialog-buttons .monaco-button');
      const labels = (await buttons.allInnerTexts()).map((t) => t.split('\n')[0]!.trim());
      const i = labels.indexOf(button);
      if (i < 0) throw new Error(`the dialog "${text}" has no button "${button}", only: ${labels.join(', ')}`);
      await buttons.nth(i).click();
      await box.waitFor({ state: 'detached', timeout: 10_000 });
    },
    buttons: async () => (await box.locator('.dialog-buttons .monaco-button').allInnerTexts()).map((t) => t.split('\n')[0]!.trim()),
  };
}

/**
 * Opens a workspace file or folder in the Dumps view through the Explorer's context menu ("Open
 * in PG Dump Explorer"), as a user does. The menu is tried again (three times at most) when a
 * click landed on a menu the workbench was redrawing and nothing opened.
 */
export async function openInDumpExplorer(page: Page, name: string): Promise<void> {
  const title = 'Open in PG Dump Explorer';
  await showExplorerFiles(page);
  for (let attempt = 1; ; attempt++) {
    await openContextMenu(page, explorerRow(page, name), { waitFor: title });
    await chooseMenuItem(page, title);
    const shown = await treeRow(page, name, 1)
      .waitFor({ timeout: 20_000 })
      .then(() => true, (err: unknown) => (attempt >= 3 ? Promise.reject(err) : false));
    if (shown) break;
    await page.keyboard.press('Escape');
  }
  // The command ends by revealing the dump's root, selected, focused and expanded. The row is drawn
  // before that; a context menu opened in between closes when the reveal takes the focus.
  const row = treeRow(page, name, 1);
  await waitUntil(`the Dumps view to select and expand ${name}`, async () => {
    const [selected, expanded] = await row.evaluate((el) => [el.classList.contains('selected'), el.getAttribute('aria-expanded')] as const).catch(() => [false, null] as const);
    return selected && expanded === 'true';
  }, { onScreen: async () => (await dumpsPane(page).locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('aria-label')} [${r.className}] expanded=${r.getAttribute('aria-expanded')}`))).join('\n') });
}

/**
 * The description of the dump's root row above `row` in the Dumps view: it says what the dump has
 * picked, so a change in it is the extension's word that a tick reached it. Empty when the root
 * is not drawn.
 */
function dumpRootDescription(row: Locator): Promise<string> {
  return row.evaluate((el) => {
    const index = Number(el.getAttribute('data-index'));
    let root: { getAttribute(name: string): string | null; querySelector(selector: string): { textContent: string | null } | null } | undefined;
    for (const r of el.parentElement?.querySelectorAll('.monaco-list-row[aria-level="1"]') ?? []) {
      const i = Number(r.getAttribute('data-index'));
      if (i <= index && (!root || i > Number(root.getAttribute('data-index')))) root = r;
    }
    return root?.querySelector('.label-description')?.textContent ?? '';
  });
}

/**
 * Clicks the check-box of a Dumps view row until it shows `checked` (true: ticked, false: not)
 * and the extension has taken the change (its dump's root says so). A click VS Code drops (it
 * landed while the row was being redrawn) is clicked again, three times at most.
 */
export async function setTreeCheckbox(page: Page, label: string, checked: boolean, level?: number): Promise<void> {
  const row = treeRow(page, label, level);
  const box = row.locator('.custom-view-tree-node-item-checkbox');
  await box.waitFor({ timeout: 20_000 });
  const want = String(checked);
  if ((await box.getAttribute('aria-checked')) === want) return;
  const before = await dumpRootDescription(row);
  for (let attempt = 1; ; attempt++) {
    await box.click();
    const taken = await until(
      `the check-box of "${label}" to be ${checked ? 'ticked' : 'unticked'}`,
      async () => (await box.getAttribute('aria-checked')) === want && (before === '' || (await dumpRootDescription(row)) !== before),
      { timeoutMs: 5_000, intervalMs: 150 },
    ).catch((err: unknown) => (attempt >= 3 ? Promise.reject(err) : false));
    if (taken) return;
    // Ticked on screen but not (yet) taken: a second click would untick it; wait longer instead.
    if ((await box.getAttribute('aria-checked')) === want) {
      await until(`the extension to take the ${checked ? 'tick' : 'untick'} of "${label}"`, async () => (await dumpRootDescription(row)) !== before, {
        timeoutMs: 15_000,
        onTimeout: async () => `the dump's root says: ${await dumpRootDescription(row)}`,
      });
      return;
    }
  }
}

/** Collapses a row of the Dumps view (when it is expanded) and waits until it is. */
export async function collapseTreeRow(page: Page, label: string, level?: number): Promise<void> {
  await setTreeRowExpanded(page, label, false, level);
}

/** Clicks an action of the Dumps view's title bar by its label (the bar shows its actions while the pointer is over the view). */
export async function clickDumpsTitleAction(page: Page, label: string): Promise<void> {
  const header = dumpsPane(page).locator('.pane-header').first();
  await header.hover();
  const action = header.locator(`.actions .action-label[aria-label=${JSON.stringify(label)}]`).first();
  await action.waitFor({ timeout: 20_000 });
  await action.click();
}

/** The restore panel's page (a webview) of the dump named `label`, once it shows. */
export function restorePanelFrame(page: Page, label: string, timeoutMs?: number): Promise<Frame> {
  return webviewFrame(page, `the restore panel of ${label}`, async (f) => (await f.locator('h1', { hasText: exactly(`Restore ${label}`) }).count()) > 0, timeoutMs);
}

/**
 * Closes every dump in the Dumps view but `keep`, with each root's inline "Close Dump" button
 * (rows of other dumps can carry the same labels as those of `keep`). "Collapse All" first, so
 * that every root is drawn.
 */
export async function closeOtherDumps(page: Page, keep: string): Promise<void> {
  await clickDumpsTitleAction(page, 'Collapse All');
  const others = dumpsPane(page).locator('.monaco-list-row[aria-level="1"]', { hasNot: page.locator('.label-name', { hasText: exactly(keep) }) });
  while ((await others.count()) > 0) {
    const row = others.first();
    const label = await row.locator('.label-name').innerText();
    await row.hover();
    await row.locator('.actions .action-label[aria-label="Close Dump"]').click();
    await dumpsPane(page).locator('.monaco-list-row[aria-level="1"]', { has: page.locator('.label-name', { hasText: exactly(label) }) }).first().waitFor({ state: 'detached', timeout: 10_000 });
  }
}

/** Opens the PG Dump Explorer container in the activity bar (when it is not open already) and returns its Connections view. */
export async function showConnectionsView(page: Page): Promise<Locator> {
  const view = page.locator('.pane:has(.pane-header[aria-label^="Connections"])');
  if (!(await view.isVisible().catch(() => false))) {
    await page.locator('.activitybar .action-item a[aria-label^="PG Dump Explorer"]').first().click();
    // The container takes the keyboard focus once it shows: a quick input opened before that closes again.
    await page.locator('.part.sidebar:focus-within').waitFor({ timeout: 20_000 });
  }
  await view.first().waitFor({ timeout: 20_000 });
  return view.first();
}
