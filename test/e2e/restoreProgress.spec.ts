import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createDatabase, query } from '../support/pgServer';
import { e2e, screenshot } from './context';
import { confirmRestore, escaped, onScreen, oneLine, preflightDone, resultHeadline } from './restoreFlow';
import {
  archiveSummaryFrame,
  chooseQuickPickItem,
  clickDumpsTitleAction,
  closeAllEditors,
  closeOtherDumps,
  expandTreeRow,
  openInDumpExplorer,
  restorePanelFrame,
  runCommand,
  setTreeCheckbox,
  toast,
  treeRow,
  waitUntil,
} from './workbench';

/**
 * Progress inside a big table's COPY, in VS Code's progress notification: a custom archive of
 * 4,000,000 rows made here by the real pg_dump (a COPY of about five seconds), one table
 * restored into a new database, and the notification's text read from the page while it runs:
 * the COPY's byte count must show and then move.
 */

const DUMP = 'big-copy.dump';
const ROWS = 4_000_000;

describe('Restore progress inside a COPY', () => {
  const made: string[] = [];
  const where = (db: string) => {
    const { server } = e2e().session;
    return `${server.host}:${server.port}/${db}`;
  };

  before(async function () {
    this.timeout(180_000);
    const { page, session } = e2e();
    const { server } = session;
    const source = `pgdx_e2e_bigsource_${process.pid}`;
    made.push(source);
    await createDatabase(server, source);
    await query(server, source, `create table public.big_events (id bigint, account int, at timestamptz, label text); insert into public.big_events select g, g % 1000, timestamptz '2025-01-01' + g * interval '1 second', 'event ' || g from generate_series(1, ${ROWS}) g`);
    execFileSync(path.join(server.binDir, 'pg_dump'), ['-Fc', '-d', source, '-f', path.join(session.workspace, DUMP)], { env: { ...process.env, ...server.env }, stdio: 'pipe' });
    await closeAllEditors(page);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await openInDumpExplorer(page, DUMP);
    await archiveSummaryFrame(page, DUMP);
    await closeAllEditors(page);
    await closeOtherDumps(page, DUMP);
  });

  after(async () => {
    const { page, session } = e2e();
    await page.keyboard.press('Escape');
    await closeAllEditors(page);
    for (const db of made) await query(session.server, 'postgres', `drop database if exists "${db}" with (force)`);
    fs.rmSync(path.join(session.workspace, DUMP), { force: true });
  });

  it("the notification shows the COPY's byte count, and it moves", async function () {
    this.timeout(180_000);
    const { page, session } = e2e();
    const { server } = session;
    await expandTreeRow(page, DUMP, 1);
    await expandTreeRow(page, 'public', 2);
    await expandTreeRow(page, 'Tables', 3);
    await setTreeCheckbox(page, 'big_events', true, 4);
    await treeRow(page, DUMP, 1).locator('.label-description', { hasText: /1 picked$/ }).waitFor({ timeout: 10_000 });

    const db = `pgdx_e2e_bigtarget_${process.pid}`;
    made.push(db);
    await createDatabase(server, db);
    await clickDumpsTitleAction(page, 'Restore Selected…');
    const title = `Restore 1 object from ${DUMP} into…`;
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}$`), /PG\* environment$/);
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}: database on `), new RegExp(`^${db}$`), db);
    const frame = await restorePanelFrame(page, DUMP);
    await waitUntil('the pre-flight check', () => preflightDone(frame), { onScreen: () => onScreen(page, frame) });
    await confirmRestore(page, frame, DUMP, where(db), 'Restore…');

    // The notification's text, as the page shows it, each time it is read.
    const notification = toast(page, new RegExp(`Restoring into ${escaped(where(db))}:`));
    const copying = async (): Promise<string | undefined> => {
      const text = oneLine(await notification.innerText({ timeout: 1_000 }).catch(() => ''));
      return /copying public\.big_events ([\d.,]+ [kMG]?B), [\d,]+ rows/.exec(text)?.[1];
    };
    let first: string | undefined;
    await waitUntil("the notification to show the COPY's byte count", async () => (first = await copying()) !== undefined, { onScreen: () => onScreen(page, frame) });
    await screenshot('restore-copy-progress');
    let later: string | undefined;
    await waitUntil(`the COPY's byte count to move from ${first}`, async () => {
      later = await copying();
      return later !== undefined && later !== first;
    }, { timeoutMs: 10_000, onScreen: () => onScreen(page, frame) });

    const headline = await resultHeadline(page, frame, /^(Restored|The restore|Cancelled)/);
    assert.match(headline, /^Restored/, await onScreen(page, frame));
    const [{ n }] = (await query(server, db, 'select count(*)::int as n from public.big_events')) as [{ n: number }];
    assert.equal(n, ROWS);
  });
});
