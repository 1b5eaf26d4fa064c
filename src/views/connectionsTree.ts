import * as vscode from 'vscode';
import { CONNECTION_GROUPS, type ConnectionProfile, type ConnectionStore } from '../connections/connectionStore';
import { oneLine } from '../core/errors';
import { listDatabases } from '../core/server/server';
import { Disposable } from '../util/disposable';

/** A node of the Connections view. Commands run on a node get it as their first argument. */
export type ConnectionsNode =
  | { type: 'connection'; profile: ConnectionProfile }
  | { type: 'group'; source: ConnectionProfile['source']; label: string }
  | { type: 'database'; profile: ConnectionProfile; database: string }
  | { type: 'message'; key: string; text: string; tooltip?: string; icon: 'error' | 'warning' | 'info' };

/**
 * The `pgDumpExplorer.connections` view: saved connections, then what the machine offers,
 * grouped by where it comes from. A connection expands, when opened, to the databases of its
 * server; what goes wrong while listing them shows as an item saying so.
 */
export class ConnectionsTree extends Disposable implements vscode.TreeDataProvider<ConnectionsNode> {
  private readonly changed = this.register(new vscode.EventEmitter<ConnectionsNode | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<ConnectionsNode>;

  constructor(private readonly store: ConnectionStore) {
    super();
    this.view = this.register(vscode.window.createTreeView('pgDumpExplorer.connections', { treeDataProvider: this, showCollapseAll: true }));
    this.register(store.onDidChange(() => this.refresh()));
  }

  /** Draws the view again (a connection's databases are listed again when it is open). */
  refresh(node?: ConnectionsNode): void {
    this.changed.fire(node);
  }

  /** Called by VS Code for the root (no node) and for each node it expands. */
  async getChildren(node?: ConnectionsNode): Promise<ConnectionsNode[]> {
    if (!node) return this.roots();
    if (node.type === 'group') return this.store.discovered().candidates.filter((c) => c.source === node.source).map((profile) => ({ type: 'connection', profile }));
    if (node.type === 'connection') return this.databases(node.profile);
    return [];
  }

  private roots(): ConnectionsNode[] {
    const saved: ConnectionsNode[] = this.store.saved().map((profile) => ({ type: 'connection', profile }));
    const { candidates, notes } = this.store.discovered();
    const groups: ConnectionsNode[] = CONNECTION_GROUPS.filter((g) => g.source !== 'saved' && candidates.some((c) => c.source === g.source)).map((g) => ({ type: 'group', source: g.source, label: g.label }));
    const warnings: ConnectionsNode[] = notes.map((text, i) => ({ type: 'message', key: `note:${i}`, text, icon: 'warning' }));
    return [...saved, ...groups, ...warnings];
  }

  private async databases(profile: ConnectionProfile): Promise<ConnectionsNode[]> {
    try {
      const names = await this.store.withConnection(profile, listDatabases);
      if (names.length === 0) return [{ type: 'message', key: `${profile.id}:none`, text: 'No database you may connect to', icon: 'info' }];
      return names.map((database) => ({ type: 'database', profile, database }));
    } catch (err) {
      const text = oneLine(err);
      return [{ type: 'message', key: `${profile.id}:error`, text: `Could not list databases: ${text}`, tooltip: text, icon: 'error' }];
    }
  }

  /** Called by VS Code for each node it shows. */
  getTreeItem(node: ConnectionsNode): vscode.TreeItem {
    switch (node.type) {
      case 'group': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `group:${node.source}`;
        item.contextValue = 'group';
        return item;
      }
      case 'connection': {
        const { profile } = node;
        const item = new vscode.TreeItem(profile.name, vscode.TreeItemCollapsibleState.Collapsed);
        const summary = this.store.summary(profile);
        item.id = `connection:${profile.id}`;
        item.description = summary.text;
        item.tooltip = [`${profile.name}: ${summary.text}`, summary.error, profile.origin ? `From ${profile.origin}` : undefined, profile.params.dbname ? `Database ${profile.params.dbname}` : undefined]
          .filter(Boolean)
          .join('\n');
        item.iconPath = new vscode.ThemeIcon(summary.error ? 'warning' : 'server');
        item.contextValue = `connection;${profile.kind}`;
        return item;
      }
      case 'database': {
        const item = new vscode.TreeItem(node.database, vscode.TreeItemCollapsibleState.None);
        item.id = `database:${node.profile.id}:${node.database}`;
        item.iconPath = new vscode.ThemeIcon('database');
        if (node.database === node.profile.params.dbname) item.description = "the connection's database";
        item.contextValue = 'database';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.id = `message:${node.key}`;
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = node.tooltip ?? node.text;
        item.contextValue = 'message';
        return item;
      }
    }
  }
}
