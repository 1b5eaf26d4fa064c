import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';
import { createDatabase, query } from '../support/pgServer';
import { snapshot } from '../support/targetDb';
import { e2e, keepForReadme, screenshot } from './context';
import { confirmRestore, escaped, findings, onScreen, oneLine, preflightDone, restoreButton, resultHeadline, waitForCleanCheck } from './restoreFlow';
import {
  answerQuickInput,
  archiveSummaryFrame,
  chooseQuickPickItem,
  clickDumpsTitleAction,
  closeAllEditors,
  closeOtherDumps,
  collapseTreeRow,
  expandTreeRow,
  historyPane,
  openInDumpExplorer,
  quickInput,
  restorePanelFrame,
  runCommand,
  setTreeCheckbox,
  tabLabels,
  toast,
  treeRow,
  visibleEditorText,
  waitUntil,
} from './workbench';

/**
 * The restore flow as a user meets it, in the browser: a table ticked in the Dumps view,
 * "Restore Selected…" from the view's title bar, the target picker (the connection the
 * environment gives, then a database), the restore panel's pre-flight check and its fix, the
 * modal confirmation naming host, port and database, the result; then the database itself,
 * asked with real queries. Also a restore that fails (nothing changed, the error linked to its
 * entry in the tree) and one cancelled from its progress notification while it waits on a lock.
 */

const DUMP = 'rich.dump';
/** The rows of the dump's `sales.order`, counted in what the real pg_restore writes out of it. */
function rowsInDump(file: string, schema: string, table: string): number {
  const { server } = e2e().session;
  const sql = execFileSync(path.join(server.binDir, 'pg_restore'), ['-a', '-n', schema, '-t', table, '-f', '-', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const lines = sql.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`COPY ${schema}.`));
  const end = lines.indexOf('\\.', start);
  assert.ok(start >= 0 && end > start, `pg_restore -a -t ${table} wrote no COPY block`);
  return end - start - 1;
}

describe('Restore flow', () => {
  const made: string[] = [];
  const newDatabase = (label: string) => {
    const name = `pgdx_e2e_${label}_${process.pid}`;
    made.push(name);
    return name;
  };
  const where = (db: string) => {
    const { server } = e2e().session;
    return `${server.host}:${server.port}/${db}`;
  };

  before(async () => {
    const { page } = e2e();
    await closeAllEditors(page);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await openInDumpExplorer(page, DUMP);
    // It also shows the dump's summary; once that has drawn (and taken the focus), it goes.
    await archiveSummaryFrame(page, DUMP);
    await closeAllEditors(page);
    // Other specs leave their dumps open; rows of theirs would carry the same labels.
    await closeOtherDumps(page, DUMP);
    // Another spec may have left picks: start from none.
    if (/picked/.test(await treeRow(page, DUMP, 1).locator('.label-description').innerText())) await runCommand(page, 'PG Dump Explorer: Clear Selection');
    await waitUntil(`${DUMP} to have nothing picked`, async () => !/picked/.test(await treeRow(page, DUMP, 1).locator('.label-description').innerText()));
  });

  afterEach(async () => {
    const { page } = e2e();
    await page.keyboard.press('Escape');
    // Closing the panel ends its session: the next Restore Selected… asks for a target again.
    await closeAllEditors(page);
    await runCommand(page, 'Notifications: Clear All Notifications');
  });

  after(async () => {
    const { page, session } = e2e();
    // The specs that follow start with nothing picked.
    if (/picked/.test(await treeRow(page, DUMP, 1).locator('.label-description').innerText().catch(() => ''))) await runCommand(page, 'PG Dump Explorer: Clear Selection');
    for (const db of made) await query(session.server, 'postgres', `drop database if exists "${db}" with (force)`);
  });

  it('ticks sales.order, picks a new database, applies the pre-flight\'s fix, restores, and the table arrives with its indexes, keys, trigger and rows', async () => {
    const { page, session } = e2e();
    const { server } = session;
    await expandTreeRow(page, DUMP, 1);
    await expandTreeRow(page, 'sales', 2);
    await expandTreeRow(page, 'Tables', 3);
    await setTreeCheckbox(page, 'order', true, 4);
    await treeRow(page, DUMP, 1).locator('.label-description', { hasText: /1 picked$/ }).waitFor({ timeout: 10_000 });

    // Restore Selected… → the connection the environment gives (the server VS Code was started
    // with: PGHOST and friends, as for psql) → a new database, made from the picker.
    const db = newDatabase('restore');
    await clickDumpsTitleAction(page, 'Restore Selected…');
    const title = `Restore 1 object from ${DUMP} into…`;
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}$`), /PG\* environment$/);
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}: database on ${escaped(`${server.host}:${server.port}`)}`), /Create database…$/, db);
    const nameBox = await quickInput(page);
    await waitUntil('the new database\'s name box to hold the typed name', async () => (await nameBox.inputValue()) === db, { timeoutMs: 10_000 });
    await answerQuickInput(page, new RegExp(`A new, empty database on ${escaped(`${server.host}:${server.port}`)}`), undefined);
    await toast(page, new RegExp(`Created database "${db}" on ${escaped(`${server.host}:${server.port}`)}`)).waitFor({ timeout: 30_000 });
    assert.equal((await query(server, 'postgres', 'select 1 from pg_database where datname = $1', [db])).length, 1, `database ${db} was not created`);

    // The panel checks the target by itself: an empty database lacks the schema and the table
    // the foreign key references.
    const frame = await restorePanelFrame(page, DUMP);
    const whereBox = frame.locator('section.target dd code');
    assert.equal(oneLine(await whereBox.innerText()), where(db));
    // Host, port and database stay readable in their column: a long name wraps, not runs under the pre-flight's.
    const [box, column] = await Promise.all([whereBox.boundingBox(), frame.locator('section.target').boundingBox()]);
    assert.ok(box && column && box.x + box.width <= column.x + column.width + 1, `the target's name runs out of its column: ${JSON.stringify({ box, column })}`);
    await waitUntil('the pre-flight check to find blocking problems', async () => (await preflightDone(frame)) && (await frame.locator('section.preflight li.finding.blocking').count()) > 0, {
      onScreen: () => onScreen(page, frame),
    });
    const found = await findings(frame);
    assert.ok(found.some((f) => /^blocking: foreign key .* references (TABLE )?sales\.customer\b/.test(f)), `no finding about the referenced table:\n${found.join('\n')}`);
    assert.ok(found.some((f) => /\bSCHEMA sales\b/.test(f)), `no finding about the missing schema:\n${found.join('\n')}`);
    assert.equal(oneLine(await restoreButton(frame).innerText()), 'Restore Anyway…');
    const preflightShot = await screenshot('restore-preflight');

    await frame.locator('section.preflight li.finding vscode-button', { hasText: 'Include what the selection needs' }).first().click();
    await waitForCleanCheck(page, frame, 'with what the selection needs');
    const planned = await frame.locator('section.plan vscode-table-row').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('vscode-table-cell')].map((c) => (c.textContent ?? '').trim()).join(' ')));
    assert.ok(planned.some((r) => /^\d+ TABLE sales\.customer\b/.test(r)), `the referenced table is not planned: ${planned.join(' | ')}`);

    const question = await confirmRestore(page, frame, DUMP, where(db), 'Restore…');
    assert.match(question, /In one transaction: if anything fails, or you cancel, nothing is changed\./);
    const headline = await resultHeadline(page, frame, /^(Restored|The restore|Cancelled)/);
    assert.match(headline, new RegExp(`^Restored \\d+ items into ${escaped(where(db))} in \\d+\\.\\d s\\.$`), await onScreen(page, frame));

    // What the check found in the database is now what it was before.
    const databaseFact = frame.locator('section.target dt', { hasText: /^Database$/ }).locator('xpath=following-sibling::dd[1]');
    assert.equal(oneLine(await databaseFact.innerText()), 'was empty before the restore');

    // The panel's row counts: every restored table holds what the dump has.
    const rowsHeading = oneLine(await frame.locator('section.result h3', { hasText: /^Rows:/ }).innerText());
    const [, matching, tables] = /^Rows: (\d+) of (\d+) tables hold what the dump has$/.exec(rowsHeading) ?? [];
    assert.ok(Number(tables) >= 2 && matching === tables, rowsHeading);
    const countRows = frame.locator('vscode-table.row-counts vscode-table-body vscode-table-row');
    const counted = new Map<string, { dump: string; db: string; ok: boolean }>();
    for (let i = 0; i < (await countRows.count()); i++) {
      const cells = countRows.nth(i).locator('vscode-table-cell');
      counted.set(oneLine(await cells.nth(0).innerText()), { dump: oneLine(await cells.nth(1).innerText()), db: oneLine(await cells.nth(2).innerText()), ok: (await cells.nth(3).locator('vscode-icon.ok').count()) === 1 });
    }
    assert.equal(counted.size, Number(tables));
    for (const [table, c] of counted) assert.ok(c.ok && c.dump === c.db, `${table}: ${JSON.stringify(c)}`);

    // The database, asked directly.
    const file = path.join(session.workspace, DUMP);
    const expectedRows = rowsInDump(file, 'sales', 'order');
    const [order] = await query<{ rows: string }>(server, db, 'select count(*)::text as rows from sales."order"');
    assert.equal(Number(order?.rows), expectedRows, 'rows of sales.order');
    assert.ok(expectedRows > 0);
    const orderCount = [...counted].find(([t]) => /^sales\."?order"?$/.test(t))?.[1];
    assert.equal(orderCount?.db.replace(/,/g, ''), String(expectedRows), `the panel's count of sales.order: ${JSON.stringify([...counted])}`);
    const indexes = async (database: string) =>
      (await query<{ def: string }>(server, database, `select pg_get_indexdef(indexrelid) as def from pg_index where indrelid = 'sales."order"'::regclass order by 1`)).map((r) => r.def);
    const restoredIndexes = await indexes(db);
    for (const name of ['order_pkey', 'order_created_idx', 'order_status_partial_idx']) assert.ok(restoredIndexes.some((d) => d.includes(`INDEX ${name} ON sales."order"`)), `no index ${name}: ${restoredIndexes.join('; ')}`);
    // The fixture database the dump was made of is on the same server: the same definitions.
    assert.deepEqual(restoredIndexes, await indexes('rich'));
    const constraints = async (database: string) =>
      (await query<{ c: string }>(server, database, `select conname || ' ' || pg_get_constraintdef(oid) as c from pg_constraint where conrelid = 'sales."order"'::regclass order by 1`)).map((r) => r.c);
    const restoredConstraints = await constraints(db);
    assert.ok(restoredConstraints.some((c) => /^order_pkey PRIMARY KEY \(id\)$/.test(c)), restoredConstraints.join('; '));
    assert.deepEqual(restoredConstraints, await constraints('rich'));
    const triggers = await query<{ t: string }>(server, db, `select pg_get_triggerdef(oid) as t from pg_trigger where tgrelid = 'sales."order"'::regclass and not tgisinternal`);
    assert.deepEqual(
      triggers.map((r) => r.t),
      ['CREATE TRIGGER order_touch BEFORE INSERT ON sales."order" FOR EACH ROW EXECUTE FUNCTION sales.touch()'],
    );

    await screenshot('restore-result', { readme: true });
    keepForReadme(preflightShot);

    // The History view lists the restore first, as succeeded; a click opens its log, which names the target.
    const history = await historyPane(page);
    const newest = history.locator('.monaco-list-row').first();
    const text = async (part: string) => oneLine(await newest.locator(part).first().innerText().catch(() => ''));
    await waitUntil('the History view to list the restore first', async () => (await text('.label-name')) === `Restore ${DUMP}` && /^(just now|\d+ min ago) · succeeded$/.test(await text('.label-description')), {
      onScreen: async () => oneLine(await history.innerText().catch(() => '')),
    });
    await screenshot('history-view');
    await newest.click();
    await waitUntil('the restore\'s log to open', async () => (await tabLabels(page)).some((t) => t.endsWith('.log')) && (await visibleEditorText(page)).includes(`into ${where(db)} (one transaction)`), {
      onScreen: async () => `tabs: ${(await tabLabels(page)).join(' | ')}\n${await visibleEditorText(page).catch(() => '')}`,
    });
    await historyPane(page, false);
  });

  it('a restore that fails says "Nothing was changed", leaves the target as it was, and links the error to its entry in the tree', async () => {
    const { page, session } = e2e();
    const { server } = session;
    await setTreeCheckbox(page, 'order', false, 4);
    await setTreeCheckbox(page, 'customer', true, 4);
    // The target has the schema and the dump's domain, and a sales.customer of its own, with other columns.
    const db = newDatabase('fails');
    await createDatabase(server, db);
    await query(
      server,
      db,
      "create schema sales; create domain sales.email as text check (value ~ '@'); create table sales.customer (id bigint primary key, email sales.email not null); insert into sales.customer values (1, 'someone@example.org')",
    );
    const before = await snapshot(db, server);

    await clickDumpsTitleAction(page, 'Restore Selected…');
    const title = `Restore 1 object from ${DUMP} into…`;
    // The last target of this dump is offered first; this one goes elsewhere: the connection, then the database.
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}$`), /PG\* environment$/);
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}: database on `), new RegExp(`^${db}$`), db);

    const frame = await restorePanelFrame(page, DUMP);
    await waitUntil('the pre-flight check to find the existing table', async () => (await preflightDone(frame)) && (await findings(frame)).some((f) => /^blocking: .*sales\.customer/.test(f)), {
      onScreen: () => onScreen(page, frame),
    });
    const question = await confirmRestore(page, frame, DUMP, where(db), 'Restore Anyway…');
    assert.match(question, /The pre-flight check found \d+ blocking problems?: the restore is likely to fail\./);

    const headline = await resultHeadline(page, frame, /^(Restored|The restore|Cancelled)/);
    assert.match(headline, new RegExp(`^The restore into ${escaped(where(db))} failed with \\d+ errors?\\.$`), await onScreen(page, frame));
    const result = frame.locator('section.result');
    assert.match(oneLine(await result.innerText()), /Nothing was changed: it ran in one transaction, which was rolled back\./);
    assert.deepEqual(await snapshot(db, server), before, 'the target is as it was');

    // The error names its entry; the link shows it in the Dumps view (here folded away first).
    const link = result.locator('ul.errors li a').first();
    assert.equal(oneLine(await link.innerText()), 'TABLE customer');
    assert.match(oneLine(await result.locator('ul.errors li pre').first().innerText()), /already exists/);
    await collapseTreeRow(page, 'Tables', 3);
    await treeRow(page, 'customer', 4).waitFor({ state: 'detached', timeout: 10_000 });
    await link.click();
    const revealed = treeRow(page, 'customer', 4);
    await waitUntil('the Dumps view to show sales.customer selected', async () => (await revealed.getAttribute('aria-selected')) === 'true', {
      onScreen: async () => `Dumps view rows: ${(await page.locator('[id="workbench.view.extension.pgDumpExplorer"] .monaco-list-row[aria-selected="true"]').allInnerTexts()).join(' | ') || '(none selected)'}`,
    });
    assert.equal(await treeRow(page, 'Tables', 3).getAttribute('aria-expanded'), 'true');
    await screenshot('restore-failed');
  });

  it('Cancel on the progress notification ends a restore held up by a lock, and the target is as it was', async () => {
    const { page, session } = e2e();
    const { server } = session;
    await expandTreeRow(page, 'Tables', 3);
    await setTreeCheckbox(page, 'customer', false, 4);
    await setTreeCheckbox(page, 'order_line', true, 4);
    // The whole dump restored by the real pg_restore, then one table emptied: its rows are
    // restored again (data only) while another session holds a SHARE lock on it, so the
    // restore certainly still runs (waiting on the lock) when Cancel is clicked.
    const db = newDatabase('cancel');
    await createDatabase(server, db);
    execFileSync(path.join(server.binDir, 'pg_restore'), ['-d', db, path.join(session.workspace, DUMP)], { env: { ...process.env, ...server.env }, stdio: 'pipe' });
    await query(server, db, 'delete from sales.order_line');

    await clickDumpsTitleAction(page, 'Restore Selected…');
    const title = `Restore 1 object from ${DUMP} into…`;
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}$`), /PG\* environment$/);
    await chooseQuickPickItem(page, new RegExp(`^${escaped(title)}: database on `), new RegExp(`^${db}$`), db);
    const frame = await restorePanelFrame(page, DUMP);
    await waitUntil('the first pre-flight check', () => preflightDone(frame), { onScreen: () => onScreen(page, frame) });
    await frame.locator('vscode-radio', { hasText: /^Data only/ }).click();
    await waitUntil('a data-only plan', async () => oneLine(await frame.locator('section.plan .kinds').innerText()) === '1 table data', { onScreen: () => onScreen(page, frame) });
    await waitForCleanCheck(page, frame, 'data only, into the tables the target has');
    const before = await snapshot(db, server);

    const blocker = new Client({ host: server.host, port: server.port, user: server.user, database: db });
    blocker.on('error', () => undefined);
    await blocker.connect();
    try {
      await blocker.query('begin; lock table sales.order_line in share mode');
      await confirmRestore(page, frame, DUMP, where(db), 'Restore…');
      await waitUntil('the panel to show the restore waiting on sales.order_line', async () => /order_line/.test(await frame.locator('section.progress').innerText()), {
        onScreen: () => onScreen(page, frame),
      });
      const notification = toast(page, new RegExp(`Restoring into ${escaped(where(db))}:`));
      await notification.waitFor({ timeout: 10_000 });
      await screenshot('restore-cancel-progress');
      await notification.locator('.monaco-button', { hasText: /^Cancel$/ }).click();
      const headline = await resultHeadline(page, frame, /^(Restored|The restore|Cancelled)/);
      assert.equal(headline, `Cancelled the restore into ${where(db)}.`, await onScreen(page, frame));
      assert.match(oneLine(await frame.locator('section.result').innerText()), /Nothing was changed: it ran in one transaction, which was rolled back\./);
    } finally {
      await blocker.query('rollback').catch(() => undefined);
      await blocker.end();
    }
    assert.deepEqual(await snapshot(db, server), before, 'the target is as it was');
  });
});
