import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { query } from '../support/pgServer';
import { e2e, screenshot } from './context';
import { answerQuickInput, chooseMenuItem, openContextMenu, runCommand, showConnectionsView, toast } from './workbench';

/** Adds a connection through the dialogs: Add Connection… → from a URI → a name. */
async function addFromUri(page: Page, uri: string, name: string): Promise<void> {
  await runCommand(page, 'PG Dump Explorer: Add Connection…');
  await answerQuickInput(page, /Add Connection/, 'URI');
  await answerQuickInput(page, /Add Connection: URI or connection string/, uri);
  await answerQuickInput(page, /Add Connection: name/, name);
}

/** Removes a saved connection through its context menu, answering the confirmation. */
async function removeConnection(page: Page, view: Locator, name: string): Promise<void> {
  const row = view.locator('.monaco-list-row', { hasText: name }).first();
  if (!(await row.isVisible().catch(() => false))) return;
  await openContextMenu(page, row, { waitFor: 'Remove Connection' });
  await chooseMenuItem(page, 'Remove Connection');
  await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Remove$/ }).first().click();
  await row.waitFor({ state: 'detached', timeout: 10_000 });
}

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('Connections', () => {
  const name = 'local test server';
  const pwName = 'password login';
  const role = `e2e_pw_${process.pid}`;
  const password = 'e2e s3cret';

  after(async () => {
    const { page, session } = e2e();
    await page.keyboard.press('Escape');
    // Leave no saved connection, role or pg_hba.conf line behind for the specs that follow.
    const view = await showConnectionsView(page);
    await removeConnection(page, view, name);
    await removeConnection(page, view, pwName);
    await restoreHba?.();
    await query(session.server, 'postgres', `drop role if exists ${role}`);
    // The specs that follow start from the Explorer, with no notification in the way.
    await runCommand(page, 'Notifications: Clear All Notifications');
    await runCommand(page, 'View: Show Explorer');
    await page.locator('.explorer-folders-view').first().waitFor({ timeout: 20_000 });
  });
  let restoreHba: (() => Promise<void>) | undefined;

  it('Add Connection… from a URI, shown in the Connections view; Test Connection shows the server version', async () => {
    const { page, session } = e2e();
    const { server } = session;
    const view = await showConnectionsView(page);

    await addFromUri(page, `postgresql://${server.user}@${server.host}:${server.port}/postgres?sslmode=disable`, name);
    await toast(page, new RegExp(`Saved connection "${name}" \\(${escaped(server.host)}:${server.port}, ${server.user}\\)`)).waitFor({ timeout: 20_000 });

    const row = view.locator('.monaco-list-row', { hasText: name }).first();
    await row.waitFor({ timeout: 20_000 });
    assert.match(await row.innerText(), new RegExp(`${escaped(server.host)}:${server.port}, ${server.user}`));

    await openContextMenu(page, row, { waitFor: 'Test Connection' });
    await chooseMenuItem(page, 'Test Connection');
    const [version] = await query<{ server_version: string }>(server, 'postgres', 'show server_version');
    const short = String(version?.server_version).split(' ')[0] ?? '';
    const shown = toast(page, /PostgreSQL \d/);
    await shown.waitFor({ timeout: 30_000 });
    assert.equal((await shown.innerText()).split('\n')[0]?.trim(), `PostgreSQL ${short} at ${server.host}:${server.port}/postgres as ${server.user} (superuser)`);

    // Expanded, the connection lists the server's databases.
    await row.click();
    await view.locator('.monaco-list-row', { hasText: /^rich$/ }).first().waitFor({ timeout: 20_000 });
    await toast(page, /^Testing/).waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await screenshot('connections-test', { readme: true });
  });

  it('asks for the password the server wants (again when it is refused), then offers to keep it', async () => {
    const { page, session } = e2e();
    const { server } = session;
    // A role the server checks a real password for: a pg_hba.conf line for it alone, first.
    await query(server, 'postgres', `create role ${role} login password '${password}'`);
    const hbaFile = String((await query(server, 'postgres', 'show hba_file'))[0]?.hba_file);
    const hba = fs.readFileSync(hbaFile, 'utf8');
    fs.writeFileSync(hbaFile, `host all ${role} ${server.host}/32 scram-sha-256\n${hba}`);
    restoreHba = async () => {
      fs.writeFileSync(hbaFile, hba);
      await query(server, 'postgres', 'select pg_reload_conf()');
      restoreHba = undefined;
    };
    await query(server, 'postgres', 'select pg_reload_conf()');

    await runCommand(page, 'Notifications: Clear All Notifications');
    const view = await showConnectionsView(page);
    await addFromUri(page, `postgresql://${role}@${server.host}:${server.port}/postgres?sslmode=disable`, pwName);
    const row = view.locator('.monaco-list-row', { hasText: pwName }).first();
    await row.waitFor({ timeout: 20_000 });
    await openContextMenu(page, row, { waitFor: 'Test Connection' });
    await chooseMenuItem(page, 'Test Connection');

    await answerQuickInput(page, new RegExp(`The server asks for a password: password for ${role} at ${escaped(server.host)}:${server.port}`), 'not the password');
    await answerQuickInput(page, /The server refused the password/, password);
    // One notification: the result, and the offer to keep the password that worked.
    const offer = toast(page, new RegExp(`PostgreSQL \\S+ at ${escaped(server.host)}:${server.port}/postgres as ${role}\\. Keep the password of "${pwName}" in VS Code's secret storage\\?`));
    await offer.waitFor({ timeout: 30_000 });
    await toast(page, /^Testing/).waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
    await screenshot('connections-password-offer');
    await offer.locator('.monaco-button', { hasText: 'Keep Password' }).click();

    // Kept: Edit Connection… now offers to forget the saved password.
    await openContextMenu(page, row, { waitFor: 'Edit Connection…' });
    await chooseMenuItem(page, 'Edit Connection…');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Forget the saved password' }).first().waitFor({ timeout: 20_000 });
    await page.keyboard.press('Escape');
  });
});
