/**
 * What the end-to-end specs (test/e2e/*.spec.ts) share, set up by test/e2e/run.mjs before mocha
 * loads them: the browser page showing the workbench, the code-server behind it, the PostgreSQL
 * session, and where screenshots go.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { CodeServer } from '../support/codeServer';
import { projectRoot } from '../support/fixtures';
import type { Session } from '../support/vscodeHarness';

export interface E2EContext {
  page: Page;
  codeServer: CodeServer;
  session: Session;
  /** Every screenshot goes here (test-results/e2e, git-ignored). */
  shotsDir: string;
  /** The extension packaged as users get it (`npm run package`), for the installed-extension spec. */
  vsix?: string;
}

/** Screenshots README shows: copied to media/screenshots/ by the runner. */
export const README_SHOTS_DIR = path.join(projectRoot, 'media', 'screenshots');

let current: E2EContext | undefined;
const readmeShots = new Set<string>();

export function setContext(context: E2EContext): void {
  current = context;
}

export function e2e(): E2EContext {
  if (!current) throw new Error('no end-to-end context: run the specs with "node test/e2e/run.mjs"');
  return current;
}

/**
 * Saves a screenshot of the whole window as test-results/e2e/NAME.png and returns its path. With
 * `readme`, the runner also copies it to media/screenshots/ (take it after the test's assertions,
 * so a failing test never replaces a good picture).
 */
export async function screenshot(name: string, options: { readme?: boolean } = {}): Promise<string> {
  const { page, shotsDir } = e2e();
  const file = path.join(shotsDir, `${name}.png`);
  fs.mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: file });
  if (options.readme) readmeShots.add(file);
  return file;
}

/**
 * Marks a screenshot taken earlier in a test as one README shows: for a picture of a moment
 * before the test's last assertions, called once they have passed.
 */
export function keepForReadme(file: string): void {
  readmeShots.add(file);
}

/** The screenshots taken with `readme: true` in this run. */
export function takenReadmeShots(): string[] {
  return [...readmeShots];
}
