import * as vscode from 'vscode';
import { rowEntries } from '../core/data/previewRows';
import { nodeSelection } from '../core/model/nodeSelection';
import type { OutlineNode } from '../core/model/outline';
import { buildPlan, describeEntry } from '../core/plan/closure';
import { planWarnings, writeRestoreList } from '../core/plan/listFile';
import { relationsOf, type Related } from '../core/plan/relations';
import type { OpenDump, OpenDumps } from '../dumps/openDumps';
import { plural } from '../core/units';
import type { DataPreviewPanels } from '../webviews/dataPreviewPanel';
import { DefinitionDocuments } from './definitionDocuments';
import type { DumpTreeView } from './dumpTree';
import { pickOne } from '../util/quickPick';

/** What an entry command was run on: a tree element, or any `{ dumpKey, dumpId }`; undefined: the tree's selection. */
interface EntryTarget {
  dump: OpenDump;
  /** Undefined for a dump's root. */
  node: OutlineNode | undefined;
}

const nameOf = (node: OutlineNode) => (node.schema && node.kind !== 'schema' ? `${node.schema}.${node.label}` : node.label);

/** Commands on one item of the tree: preview its SQL or its rows, its dependencies, its restore list. */
export class EntryCommands {
  constructor(
    private readonly dumps: OpenDumps,
    private readonly tree: DumpTreeView,
    private readonly previews: DataPreviewPanels,
  ) {}

  private resolve(target: unknown): EntryTarget {
    const t = (target ?? this.tree.view.selection[0]) as { dumpKey?: unknown; dumpId?: unknown; node?: OutlineNode } | undefined;
    if (typeof t?.dumpKey !== 'string') throw new Error('Run this on an item of the Dumps view');
    const dump = this.dumps.get(t.dumpKey);
    if (!dump) throw new Error('That dump is no longer open: open it again in PG Dump Explorer');
    if (t.node) return { dump, node: t.node };
    if (typeof t.dumpId === 'number') {
      const node = dump.outline.nodeOfEntry(t.dumpId);
      if (!node) throw new Error(`Entry ${t.dumpId} of ${dump.label} is not shown in the tree (pg_restore -l does not list it either)`);
      return { dump, node };
    }
    return { dump, node: undefined };
  }

  private objectTarget(target: unknown): EntryTarget & { node: OutlineNode } {
    const t = this.resolve(target);
    if (!t.node) throw new Error('Run this on an object of a dump (a table, a view, a function…), not on the dump itself');
    return t as EntryTarget & { node: OutlineNode };
  }

  async previewDefinition(target: unknown): Promise<vscode.TextEditor> {
    const { dump, node } = this.objectTarget(target);
    const doc = await vscode.workspace.openTextDocument(DefinitionDocuments.uriOf(dump, node));
    const sql = doc.languageId === 'sql' ? doc : await vscode.languages.setTextDocumentLanguage(doc, 'sql');
    return vscode.window.showTextDocument(sql, { preview: true });
  }

  previewData(target: unknown): vscode.WebviewPanel {
    const { dump, node } = this.objectTarget(target);
    if (node.dumpId === undefined || rowEntries(dump.opened, node.dumpId).length === 0) throw new Error(`${nameOf(node)} has no rows in ${dump.label}`);
    return this.previews.show(dump, node.dumpId, nameOf(node));
  }

  async showDependencies(target: unknown): Promise<void> {
    const { dump, node } = this.objectTarget(target);
    const relations = relationsOf(dump.opened.archive, nodeSelection(dump.outline, node));
    type Item = vscode.QuickPickItem & { dumpId?: number };
    const items: Item[] = [];
    const section = (label: string, list: Related[], none: string) => {
      items.push({ label, kind: vscode.QuickPickItemKind.Separator });
      if (list.length === 0) items.push({ label: none, description: '' });
      for (const r of list) items.push({ label: describeEntry(r.entry).replace(/^\d+ /, ''), description: r.why, detail: `entry ${r.entry.dumpId}`, dumpId: r.entry.dumpId });
    };
    section(`Needs (${relations.needs.length})`, relations.needs, 'nothing outside it');
    section(`Needed by (${relations.neededBy.length})`, relations.neededBy, 'nothing outside it');
    section(`Comes with it (${relations.comesWith.length})`, relations.comesWith, 'nothing');
    const picked = await pickOne(items, {
      title: `Dependencies of ${nameOf(node)} in ${dump.label}`,
      placeHolder: 'Choose one to show it in the tree',
      matchOnDescription: true,
    });
    if (picked?.dumpId === undefined) return;
    if (!(await this.tree.revealEntry(dump.key, picked.dumpId))) void vscode.window.showInformationMessage(`${picked.label} is not shown in the tree (it belongs to no object the tree lists)`);
  }

  /**
   * A pg_restore -L list of the item (or, on a dump's root, of what is picked in it), to the
   * clipboard. With several items of one dump selected (VS Code passes them second), of all of them.
   */
  async copyRestoreList(target: unknown, selected?: unknown): Promise<string> {
    const { dump, node } = this.resolve(target);
    const archive = dump.opened.archive;
    if (!node && dump.picks.count === 0) throw new Error(`Nothing is picked in ${dump.label}: tick what to restore first`);
    const others = node && Array.isArray(selected) ? (selected as unknown[]).map((t) => this.resolve(t)).filter((t) => t.dump === dump && t.node) : [];
    const nodes = others.length > 1 ? others.map((t) => t.node!) : node ? [node] : [];
    const objects = [...new Set(nodes.flatMap((n) => nodeSelection(dump.outline, n).objects ?? []))];
    const plan = buildPlan(archive, nodes.length > 0 ? { objects } : dump.picks.toSelection());
    const list = writeRestoreList(archive, plan);
    await vscode.env.clipboard.writeText(list);
    const warnings = planWarnings(plan).length;
    const what = nodes.length > 1 ? `${nodes.length} items` : node ? nameOf(node) : `the picks in ${dump.label}`;
    void vscode.window.showInformationMessage(
      `Copied a restore list of ${plural(plan.entries.length, 'entry', 'entries')} for ${what}: use it with pg_restore -L${warnings > 0 ? ` (${plural(warnings, 'line')} in it say${warnings === 1 ? 's' : ''} what may fail)` : ''}`,
    );
    return list;
  }

  /** Internal (not in package.json): shows the node of `{ dumpKey, dumpId }` in the tree, selected. */
  async reveal(target: unknown): Promise<boolean> {
    const t = target as { dumpKey?: unknown; dumpId?: unknown } | undefined;
    if (typeof t?.dumpKey !== 'string' || typeof t.dumpId !== 'number') throw new Error('pgDumpExplorer.entry.reveal needs { dumpKey, dumpId }');
    return this.tree.revealEntry(t.dumpKey, t.dumpId);
  }
}
