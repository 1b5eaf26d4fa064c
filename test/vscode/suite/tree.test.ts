import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Services } from '../../../src/services';
import type { DumpElement } from '../../../src/views/dumpTree';
import { pgTool } from '../../support/env';
import { until } from '../../support/poll';
import { acceptQuickPick, extensionServices, workspaceFile } from '../extension';

/**
 * The Dump Explorer tree inside a real VS Code: dumps opened with the command, read back through
 * the tree's own TreeDataProvider (the extension's exports), check-boxes, filter, selection and
 * the item commands.
 */

const FORMATS = [
  { file: 'rich.dump', format: 'custom' },
  { file: 'rich.tar', format: 'tar' },
  { file: 'rich-dir', format: 'directory' },
] as const;

describe('Dump Explorer tree', () => {
  let s: Services;
  const item = (e: DumpElement) => s.tree.getTreeItem(e);
  const label = (e: DumpElement) => {
    const l = item(e).label;
    return typeof l === 'string' ? l : (l?.label ?? '');
  };
  const description = (e: DumpElement) => String(item(e).description ?? '');
  const checked = (e: DumpElement) => {
    const c = item(e).checkboxState;
    const state = typeof c === 'object' ? c.state : c;
    return state === undefined ? 'none' : state === vscode.TreeItemCheckboxState.Checked ? 'checked' : 'unchecked';
  };
  const child = (parent: DumpElement | undefined, name: string): DumpElement => {
    const children = s.tree.getChildren(parent);
    const found = children.find((c) => label(c) === name);
    assert.ok(found, `no "${name}" under ${parent ? label(parent) : 'the view'}: ${children.map(label).join(', ')}`);
    return found;
  };
  const rootOf = (file: string) => child(undefined, file);

  before(async () => {
    s = await extensionServices();
    // Other suites may leave dumps open (with picks): start from none.
    for (const d of s.dumps.list()) await s.dumps.close(d.key);
  });

  afterEach(async () => {
    s.tree.setFilter(undefined);
    for (const d of s.dumps.list()) await s.dumps.close(d.key);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it("hands VS Code's UI (which gets a command's result as JSON) the opened dump's key and label, not the dump", async () => {
    const opened = (await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'))) as unknown[];
    const dump = s.dumps.list().find((d) => d.label === 'rich.dump');
    assert.ok(dump);
    assert.equal(opened[0], dump, 'in the extension host the command returns the open dump itself');
    assert.deepEqual(JSON.parse(JSON.stringify(opened)), [{ key: dump.key, label: 'rich.dump' }]);
  });

  for (const { file, format } of FORMATS) {
    it(`opens ${file} (${format}) with the command: schema → kind → object → parts`, async () => {
      await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile(file));
      const root = rootOf(file);
      assert.match(item(root).contextValue ?? '', new RegExp(`^dump;archive;format=${format}$`));
      assert.match(description(root), new RegExp(`^${format} · \\d+ entries$`));
      assert.equal(s.tree.view.selection[0]?.id, root.id, 'the open command reveals and selects the dump');
      const order = child(child(child(root, 'sales'), 'Tables'), 'order');
      assert.equal(order.id, `${root.dumpKey}#o:${order.dumpId}`);
      assert.match(item(order).contextValue ?? '', /^object;kind=table;hasDefinition;hasData$/);
      const parts = s.tree.getChildren(order);
      const kinds = parts.map((p) => item(p).contextValue ?? '');
      for (const want of ['kind=table-data', 'kind=index', 'kind=constraint', 'kind=trigger', 'kind=fk-constraint']) {
        assert.ok(kinds.some((k) => k.startsWith('part;') && k.includes(want)), `no ${want} under order: ${kinds.join(' | ')}`);
      }
      assert.ok(parts.every((p) => item(p).checkboxState === undefined), 'parts have no check-box');
      assert.match(String(item(parts[0]!).tooltip), /Comes with sales\.order/);
      // Partitions sit under their table; getParent walks back up, as reveal needs.
      const measurement = child(child(child(root, 'sales'), 'Tables'), 'measurement');
      const partition = child(measurement, 'measurement_2024');
      assert.equal(s.tree.getParent(partition), measurement);
      assert.equal(s.tree.getParent(child(root, 'sales')), root);
      assert.equal(s.tree.getParent(root), undefined);
    });
  }

  it('ticking a table picks it (the handler VS Code\'s check-box event calls: a test cannot click)', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const root = rootOf('rich.dump');
    const tables = child(child(root, 'sales'), 'Tables');
    const order = child(tables, 'order');
    const redrawn: unknown[] = [];
    const listening = s.tree.onDidChangeTreeData((e) => redrawn.push(e));
    s.tree.applyCheckboxChanges([[order, vscode.TreeItemCheckboxState.Checked]]);
    listening.dispose();
    assert.deepEqual(redrawn, [root], 'only the dump\'s subtree is redrawn');
    assert.equal(checked(order), 'checked');
    assert.equal(checked(tables), 'unchecked', 'a partly picked parent is not checked…');
    assert.match(description(tables), /1 of \d+ picked$/, '…and says how much is picked');
    assert.match(description(root), /· 1 picked$/);
    s.tree.updateSummary();
    assert.match(s.tree.view.message ?? '', /^1 object picked · restoring it takes \d+ entries \(\d+ come with it: .*\) · \d+ needed from elsewhere \(with dependencies: \d+ more entries\)$/);

    // A schema ticked whole, without its nodes ever being fetched.
    const publicSchema = child(root, 'public');
    s.tree.applyCheckboxChanges([[publicSchema, vscode.TreeItemCheckboxState.Checked]]);
    const dump = s.dumps.get(root.dumpKey)!;
    assert.equal(checked(publicSchema), 'checked');
    assert.ok(dump.picks.count > 1);
    s.tree.applyCheckboxChanges([[publicSchema, vscode.TreeItemCheckboxState.Unchecked], [order, vscode.TreeItemCheckboxState.Unchecked]]);
    assert.equal(dump.picks.count, 0);
    s.tree.updateSummary();
    assert.equal(s.tree.view.message, undefined);
  });

  it('the filter shows only matching objects, and ticking under it picks only what it shows', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    s.tree.setFilter('order*');
    assert.equal(s.tree.view.description, 'filter: order*');
    const root = rootOf('rich.dump');
    assert.deepEqual(s.tree.getChildren(root).map(label), ['sales']);
    const tables = child(child(root, 'sales'), 'Tables');
    assert.deepEqual(s.tree.getChildren(tables).map(label), ['order', 'order_line']);
    s.tree.applyCheckboxChanges([[tables, vscode.TreeItemCheckboxState.Checked]]);
    assert.equal(checked(tables), 'checked', 'all it shows is picked');
    assert.equal(s.dumps.get(root.dumpKey)!.picks.count, 2);
    await vscode.commands.executeCommand('pgDumpExplorer.tree.clearFilter');
    assert.equal(s.tree.view.description, undefined);
    assert.ok(s.tree.getChildren(rootOf('rich.dump')).length > 1);
    assert.equal(checked(child(child(rootOf('rich.dump'), 'sales'), 'Tables')), 'unchecked');
  });

  it('select tables matching picks tables with their partitions; clear selection unpicks all', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const dump = s.dumps.list()[0]!;
    assert.match(s.treeCommands.pickMatching([dump], 'sales.m*'), /^Picked 3 objects: 3 tables match "sales\.m\*"$/);
    assert.equal(checked(child(child(child(rootOf('rich.dump'), 'sales'), 'Tables'), 'measurement')), 'checked');
    assert.match(s.treeCommands.pickMatching([dump], 'no_such_*'), /^No table matches "no_such_\*"/);
    await vscode.commands.executeCommand('pgDumpExplorer.tree.clearSelection');
    assert.equal(dump.picks.count, 0);
  });

  it('preview definition opens a read-only SQL document with the real CREATE TABLE and what comes with it', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const order = child(child(child(rootOf('rich.dump'), 'sales'), 'Tables'), 'order');
    await vscode.commands.executeCommand('pgDumpExplorer.entry.previewDefinition', order);
    const doc = vscode.window.activeTextEditor?.document;
    assert.ok(doc, 'no editor');
    assert.equal(doc.languageId, 'sql');
    assert.equal(doc.uri.scheme, 'pgdx-definition');
    const text = doc.getText();
    assert.match(text, /-- Name: order; Type: TABLE; Schema: sales; Owner: \S+\n--\n\nCREATE TABLE sales\."order" \(\n {4}id integer NOT NULL,/);
    assert.match(text, /CREATE INDEX order_created_idx ON sales\."order"/);
    assert.match(text, /-- Data for Name: order; Type: TABLE DATA;[^\n]*\n--\n\nCOPY sales\."order" \(/);
    // A content provider's document: VS Code shows it read-only and never offers to save it.
    assert.equal(doc.isUntitled, false);
    assert.equal(doc.isDirty, false);
  });

  it('copy restore list puts a list on the clipboard that the real pg_restore -l -L accepts', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const root = rootOf('rich.dump');
    const order = child(child(child(root, 'sales'), 'Tables'), 'order');
    await vscode.commands.executeCommand('pgDumpExplorer.entry.copyRestoreList', order);
    const list = await vscode.env.clipboard.readText();
    const planned = list.split('\n').filter((l) => /^\d+;/.test(l)).map((l) => Number(l.split(';')[0]));
    assert.ok(planned.includes(order.dumpId!), 'the table itself is in the list');
    assert.ok(planned.length > 5, 'with its rows, indexes, constraints…');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-list-'));
    try {
      const file = path.join(dir, 'order.list');
      fs.writeFileSync(file, list);
      const r = await pgTool('pg_restore', ['-l', '-L', file, workspaceFile('rich.dump').fsPath], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      const selected = r.stdout.split('\n').filter((l) => /^\d+;/.test(l)).map((l) => Number(l.split(';')[0]));
      assert.deepEqual([...selected].sort((a, b) => a - b), [...planned].sort((a, b) => a - b));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // On the dump's root: the picks, refused while nothing is picked.
    s.tree.applyCheckboxChanges([[order, vscode.TreeItemCheckboxState.Checked]]);
    await vscode.env.clipboard.writeText('');
    await vscode.commands.executeCommand('pgDumpExplorer.entry.copyRestoreList', root);
    assert.equal(await vscode.env.clipboard.readText(), list, 'the same plan: only sales.order is picked');
  });

  it('show dependencies lists what an object needs; choosing one shows it in the tree', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const root = rootOf('rich.dump');
    const sales = child(root, 'sales');
    const order = child(child(sales, 'Tables'), 'order');
    // The quick pick waits for a choice: accept its first item (under "Needs": the schema sales)
    // as a user pressing Enter would, once the list is on screen.
    const shown = vscode.commands.executeCommand('pgDumpExplorer.entry.showDependencies', order);
    assert.match((await acceptQuickPick(s, /^Dependencies of sales\.order in rich\.dump$/)) ?? '', /^SCHEMA\b.*\bsales$/);
    await shown;
    // VS Code tells the extension of the new selection a moment after the reveal has resolved.
    await until('sales.order needs its schema first: the schema sales selected in the tree', () => s.tree.view.selection[0]?.id === sales.id, { timeoutMs: 10_000 });
  });

  it('copy restore list of several selected items lists them all', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const tables = child(child(rootOf('rich.dump'), 'sales'), 'Tables');
    const order = child(tables, 'order');
    const customer = child(tables, 'customer');
    await vscode.commands.executeCommand('pgDumpExplorer.entry.copyRestoreList', order, [order, customer]);
    const ids = (await vscode.env.clipboard.readText()).split('\n').filter((l) => /^\d+;/.test(l)).map((l) => Number(l.split(';')[0]));
    assert.ok(ids.includes(order.dumpId!) && ids.includes(customer.dumpId!), 'both tables');
  });

  it('preview definition of a schema is its own SQL, not all it holds', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    await vscode.commands.executeCommand('pgDumpExplorer.entry.previewDefinition', child(rootOf('rich.dump'), 'sales'));
    const text = vscode.window.activeTextEditor?.document.getText() ?? '';
    assert.match(text, /CREATE SCHEMA sales;/);
    assert.doesNotMatch(text, /CREATE TABLE/);
  });

  it('show dependencies and reveal find an entry\'s node; a part reveals under its object', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const root = rootOf('rich.dump');
    const order = child(child(child(root, 'sales'), 'Tables'), 'order');
    const index = s.tree.getChildren(order).find((p) => label(p) === 'order_created_idx')!;
    assert.equal(await vscode.commands.executeCommand('pgDumpExplorer.entry.reveal', { dumpKey: root.dumpKey, dumpId: index.dumpId }), true);
    assert.equal(s.tree.view.selection[0]?.id, index.id);
    assert.equal(await s.tree.revealEntry(root.dumpKey, order.dumpId!), true);
    assert.equal(s.tree.view.selection[0]?.id, order.id);
  });

  it('preview data opens a panel of the table\'s rows; a view has none', async () => {
    await vscode.commands.executeCommand('pgDumpExplorer.open', workspaceFile('rich.dump'));
    const sales = child(rootOf('rich.dump'), 'sales');
    const order = child(child(sales, 'Tables'), 'order');
    const panel = await s.entryCommands.previewData(order);
    assert.equal(panel.title, 'Data: sales.order');
    assert.equal(panel.viewType, 'pgDumpExplorer.dataPreview');
    assert.match(panel.webview.html, /dataPreview\.js/);
    panel.dispose();
    const view = child(child(sales, 'Views'), 'big_orders');
    assert.doesNotMatch(item(view).contextValue ?? '', /hasData/);
    assert.throws(() => s.entryCommands.previewData(view), /sales\.big_orders has no rows in rich\.dump/);
  });
});
