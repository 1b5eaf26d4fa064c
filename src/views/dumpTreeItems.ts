import * as vscode from 'vscode';
import { rowEntries } from '../core/data/previewRows';
import type { OutlineNode } from '../core/model/outline';
import { archiveFacts, dumpDescription, nodeDescription, nodePickState } from '../core/model/outlineText';
import type { PickState } from '../core/plan/picks';
import type { OpenCluster, OpenDump } from '../dumps/openDumps';
import { formatBytes, plural } from '../core/units';

/**
 * How the Dump Explorer tree draws one element: label, description, tooltip, icon, check-box and
 * the contextValue tokens package.json's menus match (`dump`, `archive`, `object`, `part`,
 * `hasDefinition`, `hasData`, `format=custom`, `kind=fk-constraint`…). Everything it says comes
 * from the core (outlineText); this only puts it on a TreeItem.
 */

/**
 * An element of the tree: a dump's root (no node) or a node of its outline; or, for a pg_dumpall
 * script, its root (`clusterKey`, no dumpKey) and its globals (roles and tablespaces).
 */
export interface DumpElement {
  /** `${dumpKey}#${node.id}`, or the dump's key for its root: unique and stable. */
  readonly id: string;
  /** '' for the elements of a cluster dump itself (its root, its globals). */
  readonly dumpKey: string;
  /** The cluster dump's key, on its root and globals elements. */
  readonly clusterKey?: string;
  /** The cluster dump's roles and tablespaces, or (with `role`) one of them. */
  readonly globals?: boolean;
  readonly global?: { kind: 'role' | 'tablespace'; name: string };
  readonly node?: OutlineNode;
  /** The TOC entry of an object or part (or schema) node: entry commands take `{ dumpKey, dumpId }`. */
  readonly dumpId?: number;
}

const GROUP_ICONS: Record<string, string> = {
  tables: 'table',
  'foreign-tables': 'table',
  views: 'eye',
  'materialized-views': 'layers',
  sequences: 'symbol-number',
  functions: 'symbol-method',
  types: 'symbol-class',
  extensions: 'extensions',
  'large-objects': 'file-binary',
};

const ENTRY_ICONS: Record<string, string> = {
  TABLE: 'table',
  'FOREIGN TABLE': 'table',
  VIEW: 'eye',
  'MATERIALIZED VIEW': 'layers',
  SEQUENCE: 'symbol-number',
  FUNCTION: 'symbol-method',
  PROCEDURE: 'symbol-method',
  AGGREGATE: 'symbol-operator',
  TYPE: 'symbol-enum',
  DOMAIN: 'symbol-type-parameter',
  EXTENSION: 'extensions',
  BLOB: 'file-binary',
  'BLOB METADATA': 'file-binary',
  BLOBS: 'file-binary',
  'TABLE DATA': 'list-flat',
  'MATERIALIZED VIEW DATA': 'refresh',
  'SEQUENCE SET': 'symbol-number',
  'SEQUENCE OWNED BY': 'link',
  INDEX: 'list-ordered',
  'INDEX ATTACH': 'link',
  'TABLE ATTACH': 'link',
  CONSTRAINT: 'symbol-key',
  'CHECK CONSTRAINT': 'check',
  'FK CONSTRAINT': 'references',
  TRIGGER: 'zap',
  RULE: 'symbol-ruler',
  POLICY: 'shield',
  'ROW SECURITY': 'shield',
  ACL: 'lock',
  COMMENT: 'comment',
  'SECURITY LABEL': 'tag',
  DEFAULT: 'symbol-constant',
  'STATISTICS DATA': 'graph',
  STATISTICS: 'graph',
  'EVENT TRIGGER': 'zap',
  'PUBLICATION': 'broadcast',
  'SUBSCRIPTION': 'rss',
};

function icon(node: OutlineNode): vscode.ThemeIcon {
  switch (node.kind) {
    case 'schema':
      return new vscode.ThemeIcon('symbol-namespace');
    case 'group':
      return new vscode.ThemeIcon(GROUP_ICONS[node.group?.key ?? ''] ?? 'symbol-misc');
    case 'range':
      return new vscode.ThemeIcon('list-unordered');
    default:
      return new vscode.ThemeIcon(ENTRY_ICONS[node.desc ?? ''] ?? 'symbol-field');
  }
}

/** `kind=fk-constraint`: a TOC kind as one token. */
export function kindToken(desc: string): string {
  return `kind=${desc.toLowerCase().replace(/\s+/g, '-')}`;
}

function checkbox(state: PickState | undefined, what: string): vscode.TreeItem['checkboxState'] {
  if (state === undefined) return undefined;
  const checked = state === 'all';
  return {
    state: checked ? vscode.TreeItemCheckboxState.Checked : vscode.TreeItemCheckboxState.Unchecked,
    tooltip: checked ? `Picked: ${what} will be restored` : state === 'some' ? `Partly picked: tick to pick all of ${what}` : `Pick ${what} for restore`,
  };
}

/** A cluster dump's root (a pg_dumpall script, or a cluster folder): its globals and databases under it. */
export function clusterRootItem(cluster: OpenCluster, element: DumpElement): vscode.TreeItem {
  const item = new vscode.TreeItem(cluster.label, vscode.TreeItemCollapsibleState.Expanded);
  item.id = element.id;
  const { index, folder } = cluster;
  const kind = folder ? 'cluster folder' : `${index.kind === 'globals' ? 'globals-only' : 'cluster'} dump`;
  item.description = `${kind} · ${plural(cluster.databases.length, 'database')} · ${plural(index.roles.length, 'role')}`;
  const databases = `${plural(cluster.databases.length, 'database')} (${cluster.databases.map((d) => d.part!.database).join(', ') || 'none'})`;
  item.tooltip = folder
    ? `${cluster.uri.fsPath}\nA cluster folder: its roles and tablespaces (${folder.manifest.globals.file}), then ${databases}, each a custom archive\nFrom PostgreSQL ${folder.manifest.server.version}, finished ${folder.manifest.finishedAt}${folder.manifest.globals.noRolePasswords ? '\nRoles without their passwords (--no-role-passwords)' : ''}`
    : `${cluster.uri.fsPath}\nA pg_dumpall script: its roles and tablespaces, then ${databases}${index.complete ? '' : '\nThe script ends early: it was cut short'}`;
  item.iconPath = new vscode.ThemeIcon('server');
  item.contextValue = folder ? 'cluster;folder' : 'cluster;script';
  item.resourceUri = cluster.uri;
  return item;
}

/** A cluster dump's roles and tablespaces: what "Restore Roles Only…" restores. */
export function clusterGlobalsItem(cluster: OpenCluster, element: DumpElement): vscode.TreeItem {
  const { roles, tablespaces } = cluster.index;
  const item = new vscode.TreeItem('Roles and tablespaces', roles.length + tablespaces.length > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = element.id;
  item.description = `${plural(roles.length, 'role')}, ${plural(tablespaces.length, 'tablespace')}`;
  item.tooltip = `The cluster-wide part of the ${cluster.folder ? `folder (${cluster.folder.manifest.globals.file})` : 'script (before its first database)'}: roles, their settings and memberships, tablespaces. Restore Roles Only… creates the roles a target lacks.`;
  item.iconPath = new vscode.ThemeIcon('organization');
  item.contextValue = 'clusterGlobals';
  return item;
}

/** One role or tablespace of a cluster dump's globals. */
export function clusterGlobalItem(element: DumpElement): vscode.TreeItem {
  const g = element.global!;
  const item = new vscode.TreeItem(g.name, vscode.TreeItemCollapsibleState.None);
  item.id = element.id;
  item.description = g.kind;
  item.iconPath = new vscode.ThemeIcon(g.kind === 'role' ? 'person' : 'folder');
  item.contextValue = `clusterGlobal;kind=${g.kind}`;
  return item;
}

/** The dump's root (a database's, under its cluster dump). */
export function dumpRootItem(dump: OpenDump, element: DumpElement): vscode.TreeItem {
  const item = new vscode.TreeItem(dump.part ? dump.part.database : dump.label, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = element.id;
  const archive = dump.opened.archive;
  item.description = dumpDescription(archive, dump.picks, dump.filter);
  // The tooltip comes when asked for (resolveTreeItem): the root is drawn again at each tick,
  // and the archive's facts take a pass over every entry.
  item.iconPath = new vscode.ThemeIcon('database');
  // `archive` has a TOC (a summary, a pg_restore -l listing); `plain` is a SQL script.
  item.contextValue = `dump;${archive.format === 'plain' ? 'plain' : 'archive'};format=${archive.format}${dump.part ? ';clusterDatabase' : ''}`;
  if (!dump.part) item.resourceUri = dump.uri;
  const roots = dump.outline.roots.filter((r) => !dump.filter || dump.filter.shows(r));
  const states = roots.map((r) => nodePickState(r, dump.picks, dump.filter)).filter((s) => s !== undefined);
  const state: PickState | undefined = states.length === 0 ? undefined : states.every((s) => s === 'all') ? 'all' : states.every((s) => s === 'none') ? 'none' : 'some';
  item.checkboxState = checkbox(state, `everything in ${dump.label}`);
  return item;
}

const rootTooltips = new WeakMap<OpenDump, vscode.MarkdownString>();

/** The tooltip of a dump's root: the archive's facts, worked out once per open dump. */
export function dumpRootTooltip(dump: OpenDump): vscode.MarkdownString {
  let tooltip = rootTooltips.get(dump);
  if (!tooltip) {
    tooltip = new vscode.MarkdownString();
    tooltip.appendMarkdown(`**${escapeMarkdown(dump.label)}**\n\n`);
    for (const line of archiveFacts(dump.opened.archive, dump.outline)) tooltip.appendMarkdown(`${escapeMarkdown(line)}  \n`);
    rootTooltips.set(dump, tooltip);
  }
  return tooltip;
}

/** A node of a dump's outline. */
export function outlineNodeItem(dump: OpenDump, element: DumpElement, parentLabel: string | undefined): vscode.TreeItem {
  const node = element.node!;
  const item = new vscode.TreeItem(node.label, node.expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
  item.id = element.id;
  item.description = nodeDescription(node, dump.picks, dump.filter);
  item.iconPath = icon(node);
  const qualified = node.schema && node.kind !== 'schema' ? `${node.schema}.${node.label}` : node.label;
  const tokens: string[] = [node.kind];
  if (node.kind === 'object' || node.kind === 'part') {
    tokens.push(kindToken(node.desc ?? ''));
    tokens.push('hasDefinition');
    if (rowEntries(dump.opened, node.dumpId!).length > 0) tokens.push('hasData');
  } else if (node.kind === 'schema' && node.dumpId !== undefined) {
    tokens.push('hasDefinition');
  }
  item.contextValue = tokens.join(';');
  if (node.kind === 'part') {
    const owner = parentLabel ?? 'its object';
    item.tooltip = `${node.desc} ${node.label}${node.dataBytes > 0 ? ` (${formatBytes(node.dataBytes)} stored)` : ''}\nComes with ${owner}: restored when ${owner} is picked; it cannot be picked on its own.`;
  } else {
    const what = node.kind === 'object' ? `${(node.desc ?? '').toLowerCase()} ${qualified}` : node.kind === 'schema' ? `schema ${node.label}` : `${node.label}${node.schema ? ` in ${node.schema}` : ''}`;
    item.tooltip = `${what}${node.dumpId !== undefined ? ` (entry ${node.dumpId})` : ''}${node.dataBytes > 0 ? `\n${formatBytes(node.dataBytes)} of stored data` : ''}`;
    item.checkboxState = checkbox(nodePickState(node, dump.picks, dump.filter), what);
  }
  return item;
}

function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
