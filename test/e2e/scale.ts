/**
 * The scale figures, measured by the end-to-end run and compared with their targets (printed, met
 * or NOT met; a figure is a measurement, not a test, so a miss under load fails nothing) as the
 * median of 5 runs, each on a freshly opened dump (min, median and max printed): the
 * 90,000-entry benchmark archive (bench/archives.mjs, `.cache/bench/bench-90k-*.dump`) opened in
 * the Dump Explorer tree of a real workbench (target: at most 1 s), a schema of 10,000 tables
 * (`.cache/bench/bench-wide10k-*.dump`) ticked by a click on its check-box once the tree is still
 * (at most 300 ms; the same click made at once is printed too), and what that costs the extension
 * host in memory (at most +200 MB).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { projectRoot } from '../support/fixtures';
import { benchArchives } from '../support/workspace';
import { e2e, screenshot } from './context';
import { chooseMenuItem, dumpsPane, explorerRow, openContextMenu, runCommand, showExplorerFiles, treeRow } from './workbench';

interface Manifest {
  contributes: { commands: { command: string; title: string }[]; menus?: Record<string, { command: string }[]>; views?: Record<string, { id: string; name: string }[]> };
}

const manifest = (): Manifest => JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as Manifest;

/** Resident memory of the extension host(s) of a code-server, in MB: processes of its group started with `--type=extensionHost`. */
export function extensionHostRssMb(codeServerPid: number): number | undefined {
  const out = execFileSync('ps', ['-o', 'rss=,args=', '-g', String(codeServerPid)], { encoding: 'utf8' });
  const kb = out
    .split('\n')
    .filter((l) => l.includes('--type=extensionHost'))
    .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0] ?? 0), 0);
  return kb > 0 ? Math.round(kb / 1024) : undefined;
}

/** The Explorer context-menu command that opens a dump, by its title in package.json. */
function openTitle(): string {
  const { contributes } = manifest();
  const ids = (contributes.menus?.['explorer/context'] ?? []).map((m) => m.command);
  const title = contributes.commands.find((c) => ids.includes(c.command))?.title;
  if (!title) throw new Error('no Explorer context-menu command');
  return title;
}

/** Puts `file` into the workspace as `name` (a symbolic link) and waits for the Explorer to show it. */
async function linkIntoWorkspace(page: Page, file: string, name: string): Promise<string> {
  const link = path.join(e2e().session.workspace, name);
  fs.rmSync(link, { force: true });
  fs.symlinkSync(file, link);
  await showExplorerFiles(page);
  // The file watcher may not report a new link at once.
  await runCommand(page, 'Refresh Explorer');
  await explorerRow(page, name).waitFor({ timeout: 30_000 });
  return link;
}

/** Time from choosing the Explorer's "Open in PG Dump Explorer" on `name` to its root, expanded, and its first schema on screen. */
async function timeTreeOpen(page: Page, name: string, firstSchema: string): Promise<number> {
  const title = openTitle();
  // The tree draws only the rows in view: collapse what the specs left open, so the new root lands in view.
  await runCommand(page, 'Focus on Dumps View');
  const collapseAll = dumpsPane(page).locator('.pane-header .codicon-collapse-all');
  if ((await dumpsPane(page).locator('.monaco-list-row').count()) > 0) {
    await dumpsPane(page).hover();
    await collapseAll.click();
  }
  await showExplorerFiles(page);
  await openContextMenu(page, explorerRow(page, name), { waitFor: title });
  const started = Date.now();
  await chooseMenuItem(page, title);
  await treeRow(page, firstSchema, 2).waitFor({ timeout: 120_000 });
  return Date.now() - started;
}

/** Each figure is the median of this many runs, each on a freshly opened dump. */
const RUNS = 5;
const OPEN_TARGET_MS = 1000;
const TICK_TARGET_MS = 300;
const MEMORY_TARGET_MB = 200;

/** Closes the dump `name` with its root's inline "Close Dump" button, when it is open, and waits until its root is gone. */
async function closeDump(page: Page, name: string): Promise<void> {
  const root = treeRow(page, name, 1);
  if ((await root.count()) === 0) return;
  await root.hover();
  await root.locator('.actions .action-label[aria-label="Close Dump"]').click();
  await root.waitFor({ state: 'detached', timeout: 30_000 });
}

/** `min 1, median 2, max 3 ms` of the runs, and whether the median meets `target`. */
function spread(ms: number[], target: number): { text: string; met: boolean } {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  const met = median <= target;
  return { text: `${ms.length} runs: min ${sorted[0]} ms, median ${median} ms, max ${sorted[sorted.length - 1]} ms (${ms.join(', ')}; target: median <= ${target} ms): ${met ? 'met' : 'NOT met'}`, met };
}

/**
 * VS Code holds back a tree's redraw that comes within 200 ms of the one before (ExtHostTreeView
 * batches onDidChangeTreeData). A person's click comes well after the rows appear; a test's
 * comes within 100 ms, inside the window of the open's redraw.
 */
const SETTLED_MS = 250;

/** What treeSettled uses of the page's globals (the tests are compiled without the DOM's types). */
interface PageWatch {
  MutationObserver: new (callback: () => void) => { observe(node: unknown, options: object): void; disconnect(): void };
  performance: { now(): number };
  pgdxLastChange?: number;
  pgdxObserver?: { disconnect(): void };
}

/** Resolves once the Dumps view's DOM has not changed for `ms`: the tree has drawn what it was told. */
async function treeSettled(page: Page, ms: number): Promise<void> {
  await dumpsPane(page).evaluate((pane) => {
    const g = globalThis as unknown as PageWatch;
    g.pgdxObserver?.disconnect();
    g.pgdxLastChange = g.performance.now();
    const observer = new g.MutationObserver(() => {
      g.pgdxLastChange = g.performance.now();
    });
    observer.observe(pane, { subtree: true, childList: true, attributes: true, characterData: true });
    g.pgdxObserver = observer;
  });
  await page.waitForFunction(
    (quiet) => {
      const g = globalThis as unknown as PageWatch;
      return g.performance.now() - (g.pgdxLastChange ?? 0) >= quiet;
    },
    ms,
    { polling: 'raf', timeout: 30_000 },
  );
  await page.evaluate(() => (globalThis as unknown as PageWatch).pgdxObserver?.disconnect());
}

/**
 * Clicks the check-box of the wide archive's schema; ms to the check-box drawn ticked and the
 * root saying what is picked, and to the view's message. `settled`: the pointer is on the
 * check-box and the tree has been still for SETTLED_MS first, as when a person ticks; otherwise
 * the click comes as soon as the rows are there.
 */
async function timeTick(page: Page, wideName: string, settled: boolean): Promise<{ tickMs: number; messageMs: number }> {
  const schema = treeRow(page, 'wide', 2);
  const root = treeRow(page, wideName, 1);
  const checkbox = schema.locator('.custom-view-tree-node-item-checkbox');
  if (settled) {
    await checkbox.hover();
    await treeSettled(page, SETTLED_MS);
  }
  const started = Date.now();
  await checkbox.click();
  await page.waitForFunction(
    ([box, label]) => box?.getAttribute('aria-checked') === 'true' && /10,000 picked/.test(label?.textContent ?? ''),
    [await checkbox.elementHandle(), await root.locator('.label-description').elementHandle()] as const,
    { timeout: 60_000, polling: 'raf' },
  );
  const tickMs = Date.now() - started;
  await dumpsPane(page).locator('.message', { hasText: /10,000 objects picked/ }).waitFor({ timeout: 60_000 });
  return { tickMs, messageMs: Date.now() - started };
}

/**
 * The tree's figures, each the median of RUNS runs on a freshly opened dump (closed between
 * runs): open the 90,000-entry archive in the Dumps view (command to root and schemas on
 * screen), then tick the one schema of the 10,000-table archive by clicking its check-box (click
 * to the check-box drawn ticked and the dump's root saying what is picked; and to the view's
 * message counting the plan), on a still tree and, alternating with those, at once. Adds the
 * lines to print.
 */
async function measureTree(page: Page, bench: string, wide: string | undefined, rss: () => number | undefined, lines: string[]): Promise<void> {
  const before = rss();
  const benchName = 'bench-90k.dump';
  await linkIntoWorkspace(page, bench, benchName);
  const openMs: number[] = [];
  let afterOpen: number | undefined;
  for (let run = 0; run < RUNS; run++) {
    await closeDump(page, benchName);
    openMs.push(await timeTreeOpen(page, benchName, 's1'));
    // The memory the archive holds, once, before closing and opening it again leaves garbage to collect.
    if (run === 0) afterOpen = rss();
  }
  let wideOpen: number | undefined;
  const open = spread(openMs, OPEN_TARGET_MS);
  lines.push(`scale: ${path.basename(bench)} (${benchEntries(bench)}): "Open in PG Dump Explorer" to its root and schemas in the tree, ${open.text}`);
  if (!wide) {
    lines.push('scale: ticking a schema of 10,000 tables not measured: the 10,000-table archive could not be generated (see above)');
  } else {
    const wideName = 'bench-wide10k.dump';
    await linkIntoWorkspace(page, wide, wideName);
    const wideOpenMs: number[] = [];
    const tickMs: number[] = [];
    const messageMs: number[] = [];
    const atOnceMs: number[] = [];
    for (let run = 0; run < RUNS * 2; run++) {
      // Settled ticks (the figure with a target) and ticks at once, alternating.
      const settled = run % 2 === 0;
      await closeDump(page, wideName);
      const opened = await timeTreeOpen(page, wideName, 'wide');
      if (settled) wideOpenMs.push(opened);
      if (run === 0) wideOpen = rss();
      const tick = await timeTick(page, wideName, settled);
      if (settled) {
        tickMs.push(tick.tickMs);
        messageMs.push(tick.messageMs);
      } else atOnceMs.push(tick.tickMs);
    }
    await screenshot('scale-wide-schema-ticked');
    const errors = (await page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts()).filter((t) => /error/i.test(t));
    if (errors.length > 0) lines.push(`scale: the workbench showed: ${errors.join(' | ')}`);
    const tick = spread(tickMs, TICK_TARGET_MS);
    const info = (ms: number[]) => spread(ms, Infinity).text.replace(/; target.*$/, ')');
    lines.push(`scale: ${path.basename(wide)}: opened in the tree, ${info(wideOpenMs)}`);
    lines.push(`scale: ${path.basename(wide)}: ticking its schema of 10,000 tables, from the click to the tree showing it ticked, ${tick.text}`);
    lines.push(`scale: ${path.basename(wide)}: the same tick clicked as soon as the rows appear (inside VS Code's 200 ms batching of tree redraws), ${info(atOnceMs)}`);
    lines.push(`scale: ${path.basename(wide)}: from the click to the view's message counting the plan, ${info(messageMs)}`);
  }
  const after = rss();
  const mb = (n: number | undefined, since?: number) => (n === undefined ? '? MB' : `${n} MB${since !== undefined ? ` (${n >= since ? '+' : '−'}${Math.abs(n - since)} MB)` : ''}`);
  lines.push(
    `scale: extension host RSS ${mb(before)} before, ${mb(afterOpen, before)} with the 90,000-entry archive open (target <= +${MEMORY_TARGET_MB} MB)` +
      `${wide ? `, ${mb(wideOpen, afterOpen)} with the 10,000-table archive open too, ${mb(after, wideOpen)} after ticking its schema and planning it` : ''}`,
  );
  if (before !== undefined && afterOpen !== undefined) lines.push(`scale: memory target ${afterOpen - before <= MEMORY_TARGET_MB ? 'met' : 'NOT met'}`);
}

/** `90,104 TOC entries`, read from the archive's header by our own reader. */
function benchEntries(file: string): string {
  try {
    const out = execFileSync(process.execPath, [path.join(projectRoot, 'dist', 'cli.js'), 'list', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return `${/TOC Entries: (\d+)/.exec(out)?.[1] ?? '?'} TOC entries`;
  } catch {
    return 'TOC entries unknown';
  }
}

/**
 * Measures the tree with the newest bench archives and returns the lines to print. Never throws:
 * a figure that cannot be had is a line saying why. `wide` is the 10,000-table archive (test/e2e/run.mjs
 * generates it once when missing).
 */
export async function measureScale(wide?: string): Promise<{ lines: string[]; failures: string[] }> {
  const bench = benchArchives()[0];
  if (!bench) return { lines: ['scale: not measured: no 90,000-entry archive in .cache/bench (`npm run bench` generates it once, in a few minutes)'], failures: [] };
  const { page, codeServer } = e2e();
  const lines: string[] = [];
  const failures: string[] = [];
  try {
    await measureTree(page, bench, wide, () => extensionHostRssMb(codeServer.pid), lines);
  } catch (err) {
    const shot = await screenshot('failed-scale').catch(() => undefined);
    const line = `scale: not measured: ${String(err instanceof Error ? err.message : err).split('\n')[0]}${shot ? ` (screenshot: ${path.relative(projectRoot, shot)})` : ''}`;
    lines.push(line);
    failures.push(line);
  }
  return { lines, failures };
}
