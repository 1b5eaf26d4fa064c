/**
 * The restore panel as the e2e specs drive it: its pre-flight report, its main button and the
 * modal confirmation, its result; and what a failure message should show of it.
 */
import assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { modalDialog, toastTexts, waitUntil } from './workbench';

export const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
export const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Everything a failure message should show: the panel's text, the toasts and any dialog. */
export async function onScreen(page: Page, frame?: Frame): Promise<string> {
  const panel = frame ? oneLine(await frame.locator('body').innerText().catch(() => '(the panel is gone)')) : '(no panel)';
  const dialog = await page.locator('.monaco-dialog-box').first().innerText({ timeout: 500 }).catch(() => '');
  return [`panel: ${panel}`, `toasts: ${(await toastTexts(page)).join(' | ') || '(none)'}`, ...(dialog ? [`dialog: ${oneLine(dialog)}`] : [])].join('\n');
}

/** The pre-flight section's findings, one line each (`blocking: …`). */
export async function findings(frame: Frame): Promise<string[]> {
  const items = frame.locator('section.preflight li.finding');
  const out: string[] = [];
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    const severity = (await item.getAttribute('class'))?.match(/\b(blocking|warning|info)\b/)?.[1] ?? '?';
    out.push(`${severity}: ${oneLine(await item.locator(':scope > span:not(.severity)').first().innerText())}`);
  }
  return out;
}

/** The pre-flight check has answered (no spinner), for the plan and form the panel shows. */
export async function preflightDone(frame: Frame): Promise<boolean> {
  const section = frame.locator('section.preflight');
  if ((await section.locator('vscode-progress-ring').count()) > 0) return false;
  const text = await section.innerText();
  return !/Not checked yet/.test(text);
}

/** The panel's main button (Restore… / Restore Anyway…). */
export const restoreButton = (frame: Frame) => frame.locator('.actions.sticky vscode-button').first();

/** Waits until the pre-flight check came back with no blocking finding, and the main button says "Restore…". */
export async function waitForCleanCheck(page: Page, frame: Frame, what: string): Promise<void> {
  await waitUntil(
    `the pre-flight check to come back without blocking findings (${what})`,
    async () => (await preflightDone(frame)) && (await frame.locator('section.preflight li.finding.blocking').count()) === 0 && oneLine(await restoreButton(frame).innerText()) === 'Restore…',
    { timeoutMs: 30_000, onScreen: () => onScreen(page, frame) },
  );
}

/** Clicks the main button, checks the modal confirmation names the dump, host, port and database, and answers Restore. */
export async function confirmRestore(page: Page, frame: Frame, dump: string, where: string, button: 'Restore…' | 'Restore Anyway…'): Promise<string> {
  assert.equal(oneLine(await restoreButton(frame).innerText()), button);
  await restoreButton(frame).click();
  const dialog = await modalDialog(page);
  assert.match(dialog.text, new RegExp(`^Restore \\d+ entr(y|ies) of ${escaped(dump)} into ${escaped(where)}\\?`), dialog.text);
  await dialog.choose('Restore');
  return dialog.text;
}

/** The result section's headline once it shows one matching `headline`. */
export async function resultHeadline(page: Page, frame: Frame, headline: RegExp): Promise<string> {
  const h2 = frame.locator('section.result h2');
  await waitUntil(`the result section to say ${headline}`, async () => headline.test(oneLine(await h2.innerText())), { timeoutMs: 90_000, onScreen: () => onScreen(page, frame) });
  return oneLine(await h2.innerText());
}
