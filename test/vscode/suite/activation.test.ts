import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { pgTool, testEnv } from '../../support/env';
import { query } from '../../support/pgServer';
import { workspaceFile } from '../extension';

interface Manifest {
  publisher: string;
  name: string;
  engines: { vscode: string };
  contributes: { commands: { command: string; title: string; category?: string }[]; menus?: Record<string, { command: string }[]> };
}

/** The extension's package.json as it is on disk now: the suite checks what it declares. */
function manifest(): Manifest {
  return JSON.parse(fs.readFileSync(path.join(testEnv().projectRoot, 'package.json'), 'utf8')) as Manifest;
}

function extension(): vscode.Extension<unknown> {
  const { publisher, name } = manifest();
  const ext = vscode.extensions.getExtension(`${publisher}.${name}`);
  assert.ok(ext, `extension ${publisher}.${name} is not loaded`);
  return ext;
}

const versionParts = (v: string) => (/(\d+)\.(\d+)\.(\d+)/.exec(v) ?? []).slice(1, 4).map(Number);
function atLeast(version: string, floor: string): boolean {
  const a = versionParts(version);
  const b = versionParts(floor);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

describe('extension host', () => {
  it('runs a VS Code no older than engines.vscode', () => {
    console.log(`VS Code ${vscode.version}, Node ${process.version}`);
    assert.match(vscode.version, /^\d+\.\d+\.\d+/);
    const floor = manifest().engines.vscode.replace(/^\^/, '');
    assert.ok(atLeast(vscode.version, floor), `VS Code ${vscode.version} is older than engines.vscode ${floor}`);
  });

  it('opens the workspace of fixture dumps', async () => {
    const stat = await vscode.workspace.fs.stat(workspaceFile('rich.dump'));
    assert.equal(stat.type, vscode.FileType.File);
    assert.ok(stat.size > 0);
  });

  it('reaches the test PostgreSQL server', async () => {
    const { server, database } = testEnv();
    const [row] = await query<{ n: string }>(server, database, 'select count(*) as n from pg_tables where schemaname = $1', ['sales']);
    assert.ok(Number(row?.n) > 0, `no tables in schema sales of ${database}`);
  });
});

describe('activation', () => {
  it('activates the extension', async () => {
    const ext = extension();
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('registers every command package.json contributes', async () => {
    await extension().activate();
    const contributed = manifest().contributes.commands.map((c) => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  it('gives every contributed command a category, and every menu item a contributed command', () => {
    const { commands, menus } = manifest().contributes;
    assert.deepEqual(commands.filter((c) => !c.category).map((c) => c.command), []);
    const ids = new Set(commands.map((c) => c.command));
    const dangling = Object.entries(menus ?? {}).flatMap(([menu, items]) => items.filter((i) => !ids.has(i.command)).map((i) => `${menu}: ${i.command}`));
    assert.deepEqual(dangling, []);
  });
});

describe('pgDumpExplorer.dumps.showListing', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('opens a .dump as the pg_restore -l listing', async () => {
    const uri = workspaceFile('rich.dump');
    await vscode.commands.executeCommand('pgDumpExplorer.dumps.showListing', uri);
    const doc = vscode.window.activeTextEditor?.document;
    assert.ok(doc, 'no active editor after the command');
    assert.equal(doc.isUntitled, true);
    const text = doc.getText();
    assert.match(text, /^;\n; Archive created at \d{4}-\d{2}-\d{2} /);
    assert.match(text, /^;\s+dbname: rich$/m);

    const reference = await pgTool('pg_restore', ['-l', uri.fsPath], { encoding: 'utf8' });
    assert.equal(reference.exitCode, 0, reference.stderr);
    assert.equal(text, reference.stdout);
  });
});
