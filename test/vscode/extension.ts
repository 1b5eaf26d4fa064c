/**
 * What the extension-host suites share: the extension's services (its exports), the workspace's
 * fixture files, and the test server as a connection string.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { OpenDump } from '../../src/dumps/openDumps';
import type { OutlineNode } from '../../src/core/model/outline';
import type { Services } from '../../src/services';
import { testEnv } from '../support/env';

/** The extension under test, activated: its exports are the services activation made. */
export async function extensionServices(): Promise<Services> {
  const { publisher, name } = JSON.parse(fs.readFileSync(path.join(testEnv().projectRoot, 'package.json'), 'utf8')) as { publisher: string; name: string };
  const ext = vscode.extensions.getExtension<Services>(`${publisher}.${name}`);
  assert.ok(ext, `extension ${publisher}.${name} is not loaded`);
  return ext.activate();
}

/** A file (or folder) of the workspace the suite runs in: copies of the fixture dumps. */
export function workspaceFile(...parts: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder open');
  return vscode.Uri.joinPath(folder.uri, ...parts);
}

/** `postgresql://user@host:port/db` of the test server. */
export function testServerUri(db: string): string {
  const { server } = testEnv();
  return `postgresql://${encodeURIComponent(server.user)}@${server.host}:${server.port}/${db}`;
}

/** Ticks an object of a dump, as the tree's check-box handler does (a test cannot click in the tree). */
export function tick(s: Services, dump: OpenDump, desc: string, schema: string, name: string): void {
  const entry = dump.opened.archive.entries.find((e) => e.desc === desc && e.namespace === schema && e.tag === name);
  assert.ok(entry, `no ${desc} ${schema}.${name} in ${dump.label}`);
  const node = dump.outline.nodeOfEntry(entry.dumpId);
  assert.ok(node && node.kind === 'object', `${schema}.${name} is not an object of the outline`);
  dump.picks.set(node, true);
  s.dumps.picksDidChange(dump);
}

/**
 * Resolves with the first truthy value of `read`, read now and after every `event`; with
 * undefined when `unless` settles first; rejects naming `what` after `timeoutMs`.
 */
export function whenTrue<T>(what: string, event: vscode.Event<unknown>, read: () => T | undefined | false, options: { timeoutMs?: number; unless?: Promise<unknown> } = {}): Promise<T | undefined> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise<T | undefined>((resolve, reject) => {
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      subscription.dispose();
      clearTimeout(timer);
      settle();
    };
    const check = () => {
      const value = read();
      if (value) finish(() => resolve(value));
    };
    const subscription = event(check);
    const timer = setTimeout(() => finish(() => reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`))), timeoutMs);
    void options.unless?.then(
      () => finish(() => resolve(undefined)),
      () => finish(() => resolve(undefined)),
    );
    check();
  });
}

/**
 * Accepts the focused item of the extension's quick pick whose title matches, with the
 * workbench's own command (as Enter would), once the workbench has drawn its list; resolves with
 * that item's label when the pick has closed. With `unless`, resolves undefined when it settles
 * before such a pick shows.
 */
export async function acceptQuickPick(s: Services, title: RegExp, unless?: Promise<unknown>): Promise<string | undefined> {
  const ready = await whenTrue(
    `a quick pick titled ${title} to show its items`,
    s.quickPicks.onDidChange,
    () => {
      const shown = s.quickPicks.current;
      return shown?.activeLabel !== undefined && title.test(shown.title ?? '') && shown;
    },
    { unless },
  );
  if (!ready) return undefined;
  await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  await whenTrue(`the quick pick "${ready.title}" to close after Enter`, s.quickPicks.onDidChange, () => s.quickPicks.current?.id !== ready.id);
  return ready.activeLabel;
}

/** `schema kind name` of every object of a dump's outline, sorted: comparable text. */
export function outlineObjects(dump: OpenDump): string[] {
  const out: string[] = [];
  const walk = (node?: OutlineNode) => {
    for (const child of dump.outline.children(node)) {
      if (child.kind === 'part') continue;
      if (child.kind === 'object') out.push(`${child.schema ?? '-'} ${child.desc} ${child.label}`);
      walk(child);
    }
  };
  walk();
  return out.sort();
}
