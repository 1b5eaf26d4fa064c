import * as vscode from 'vscode';
import { OutlineFilter, type OutlineNode } from '../core/model/outline';
import { describePickSummary, summarizePicks } from '../core/plan/pickSummary';
import { OpenCluster, type OpenDump, type OpenDumps } from '../dumps/openDumps';
import type { Log } from '../log';
import { setContext } from '../util/contextKeys';
import { Disposable } from '../util/disposable';
import { addMarkTooltip, applyMark, type VerifyMarks } from '../verify/verifyMarks';
import { clusterGlobalItem, clusterGlobalsItem, clusterRootItem, dumpRootItem, dumpRootTooltip, outlineNodeItem, type DumpElement } from './dumpTreeItems';

export type { DumpElement } from './dumpTreeItems';

/**
 * How long ticking must pause before the plan summary is worked out again: planning 10,000
 * tables takes a tenth of a second, so it waits until VS Code has redrawn the tree (VS Code
 * batches a tree's changes for 200 ms).
 */
const SUMMARY_DELAY_MS = 300;
/**
 * After a tick, the summary waits for VS Code to ask for the redrawn dump's children (then
 * SUMMARY_DELAY_MS more): planning blocks the extension host, and a redraw asked for while it
 * plans waits for it. When VS Code does not ask (the dump's root is collapsed or the view is
 * hidden), the summary comes after this long.
 */
const SUMMARY_WITHOUT_REDRAW_MS = 1000;
/** How long a reveal that selects waits for VS Code to report the selection before revealing again. */
const SELECTION_WAIT_MS = 2000;

/**
 * The Dump Explorer tree: one root per open dump, then its outline (schema → kind → object →
 * parts), children made when VS Code asks for them. What is picked lives in each dump's Picks;
 * the tree only shows it, and a check-box click changes the Picks (applyCheckboxChanges) and
 * redraws that dump's subtree. The view's message says what the picks come to as a restore.
 */
export class DumpTreeView extends Disposable implements vscode.TreeDataProvider<DumpElement> {
  readonly view: vscode.TreeView<DumpElement>;
  private readonly changed = this.register(new vscode.EventEmitter<DumpElement | DumpElement[] | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  /** Elements by id, per dump, so that VS Code gets the same object for the same node. */
  private readonly elements = new Map<string, Map<string, DumpElement>>();
  private summaryTimer: NodeJS.Timeout | undefined;
  private filterPattern: string | undefined;
  /** Dumps whose root the user has collapsed; a dump opens expanded. */
  private readonly collapsed = new Set<string>();
  /** Dumps whose picks changed and whose root's children VS Code has not asked for since. */
  private readonly redrawPending = new Set<string>();
  /** Dumps opened whose root VS Code has not drawn yet, with who waits for it. */
  private readonly unseen = new Map<string, (() => void)[]>();

  /**
   * VS Code asks for a root's children once its tree holds the root (a new root is drawn
   * expanded): from then on the root can be revealed.
   */
  private rootDrawn(key: string): void {
    const waiters = this.unseen.get(key);
    if (!waiters) return;
    this.unseen.delete(key);
    for (const waiter of waiters) setTimeout(waiter, 0);
  }

  constructor(
    private readonly dumps: OpenDumps,
    private readonly log: Log,
    private readonly marks?: VerifyMarks,
  ) {
    super();
    if (marks) this.register(marks.onDidChange(() => this.changed.fire(undefined)));
    this.view = this.register(
      vscode.window.createTreeView('pgDumpExplorer.dumps', { treeDataProvider: this, manageCheckboxStateManually: true, showCollapseAll: true, canSelectMany: true }),
    );
    this.register(this.view.onDidChangeCheckboxState((e) => this.applyCheckboxChanges(e.items)));
    this.register(
      dumps.onDidChange(() => {
        for (const key of [...this.elements.keys()]) if (!dumps.get(key) && !dumps.getCluster(key)) this.elements.delete(key);
        for (const key of [...this.collapsed]) if (!dumps.get(key)) this.collapsed.delete(key);
        for (const r of dumps.roots()) if (!this.elements.has(r.key) && !this.unseen.has(r.key)) this.unseen.set(r.key, []);
        // A dump opened while a filter is on is filtered too.
        if (this.filterPattern !== undefined) for (const d of dumps.list()) d.filter ??= new OutlineFilter(d.outline, this.filterPattern);
        this.changed.fire(undefined);
        this.scheduleSummary();
      }),
    );
    this.register(
      dumps.onDidChangePicks((dump) => {
        // The dump's root says what is picked, so its whole (expanded) subtree is redrawn; other dumps are not.
        this.changed.fire(this.rootOf(dump));
        this.redrawPending.add(dump.key);
        this.scheduleSummary(SUMMARY_WITHOUT_REDRAW_MS);
      }),
    );
    this.register({ dispose: () => clearTimeout(this.summaryTimer) });
    this.register(this.view.onDidCollapseElement((e) => !e.element.node && this.collapsed.add(e.element.dumpKey)));
    this.register(this.view.onDidExpandElement((e) => !e.element.node && this.collapsed.delete(e.element.dumpKey)));
  }

  /** Called by VS Code for each element it shows. */
  getTreeItem(element: DumpElement): vscode.TreeItem {
    if (element.clusterKey !== undefined) {
      const cluster = this.dumps.getCluster(element.clusterKey);
      if (!cluster) return new vscode.TreeItem('(closed)');
      if (element.global) return clusterGlobalItem(element);
      if (element.globals) return clusterGlobalsItem(cluster, element);
      const root = clusterRootItem(cluster, element);
      if (!cluster.folder) applyMark(root, this.marks?.get(cluster.uri.fsPath));
      return root;
    }
    const dump = this.dumps.get(element.dumpKey);
    if (!dump) return new vscode.TreeItem('(closed)');
    if (!element.node) {
      const item = dumpRootItem(dump, element);
      if (!dump.part) applyMark(item, this.marks?.get(dump.uri.fsPath));
      if (!this.collapsed.has(dump.key)) item.collapsibleState = vscode.TreeItemCollapsibleState.Expanded;
      return item;
    }
    const parent = element.node.kind === 'part' ? dump.outline.parent(element.node) : null;
    return outlineNodeItem(dump, element, parent ? (parent.schema && parent.kind === 'object' ? `${parent.schema}.${parent.label}` : parent.label) : undefined);
  }

  /** Called by VS Code when it is about to show an element's tooltip: a dump root's facts are worked out then. */
  resolveTreeItem(item: vscode.TreeItem, element: DumpElement): vscode.TreeItem {
    if (element.clusterKey === undefined && !element.node) {
      const dump = this.dumps.get(element.dumpKey);
      if (dump && !(item.tooltip instanceof vscode.MarkdownString)) {
        // The facts, then the verification mark's line (getTreeItem put only that one there).
        const facts = dumpRootTooltip(dump); // cached per dump: copied before a mark's line is added
        const mark = dump.part ? undefined : this.marks?.get(dump.uri.fsPath);
        item.tooltip = mark ? new vscode.MarkdownString(facts.value) : facts;
        addMarkTooltip(item, mark);
      }
    }
    return item;
  }

  /** Called by VS Code when an element is expanded (or the view first shows). */
  getChildren(element?: DumpElement): DumpElement[] {
    if (!element) return this.dumps.roots().map((r) => (r instanceof OpenCluster ? this.clusterRootOf(r) : this.rootOf(r)));
    if (element.clusterKey !== undefined) {
      const cluster = this.dumps.getCluster(element.clusterKey);
      if (!cluster || element.global) return [];
      if (element.globals) {
        const { roles, tablespaces } = cluster.index;
        return [...roles.map((name) => ({ kind: 'role' as const, name })), ...tablespaces.map((name) => ({ kind: 'tablespace' as const, name }))].map((global) =>
          this.cached(cluster, `${cluster.key}#globals/${global.kind}:${global.name}`, () => ({ id: `${cluster.key}#globals/${global.kind}:${global.name}`, dumpKey: '', clusterKey: cluster.key, globals: true, global })),
        );
      }
      this.rootDrawn(cluster.key);
      return [this.globalsOf(cluster), ...cluster.databases.map((d) => this.rootOf(d))];
    }
    const dump = this.dumps.get(element.dumpKey);
    if (!dump) return [];
    if (!element.node) {
      this.rootDrawn(dump.key);
      // The tick is being redrawn: the summary's planning may start once VS Code has had the children.
      if (this.redrawPending.delete(dump.key)) this.scheduleSummary();
    }
    const nodes = dump.filter ? dump.filter.children(element.node) : dump.outline.children(element.node);
    return nodes.map((n) => this.elementOf(dump, n));
  }

  /** Called by VS Code to reveal an element: the path up to its dump's root. */
  getParent(element: DumpElement): DumpElement | undefined {
    if (element.clusterKey !== undefined) {
      const cluster = this.dumps.getCluster(element.clusterKey);
      if (!cluster || !element.globals) return undefined;
      return element.global ? this.globalsOf(cluster) : this.clusterRootOf(cluster);
    }
    const dump = this.dumps.get(element.dumpKey);
    if (!dump) return undefined;
    if (!element.node) return dump.part ? this.clusterRootOf(dump.part.cluster) : undefined;
    const parent = dump.filter ? dump.filter.parent(element.node) : dump.outline.parent(element.node);
    return parent ? this.elementOf(dump, parent) : this.rootOf(dump);
  }

  /**
   * What a click on check-boxes does (VS Code's onDidChangeCheckboxState calls it; tests call it
   * too): pick or unpick everything under each element, only what the filter shows when one is
   * on, then tell everyone who shows the picks.
   */
  applyCheckboxChanges(items: readonly (readonly [DumpElement, vscode.TreeItemCheckboxState])[]): void {
    const touched = new Set<OpenDump>();
    for (const [element, state] of items) {
      const dump = this.dumps.get(element.dumpKey);
      if (!dump) continue;
      const picked = state === vscode.TreeItemCheckboxState.Checked;
      const filter = dump.filter;
      const only = filter ? (leaf: number) => filter.showsLeaf(leaf) : undefined;
      const nodes = element.node ? [element.node] : dump.outline.roots.filter((r) => !filter || filter.shows(r));
      for (const node of nodes) dump.picks.set(node, picked, only);
      touched.add(dump);
    }
    for (const dump of touched) this.dumps.picksDidChange(dump);
  }

  /** The element of a dump's root. */
  rootOf(dump: OpenDump): DumpElement {
    return this.cached(dump, dump.key, () => ({ id: dump.key, dumpKey: dump.key }));
  }

  /** The element of a cluster dump's root. */
  clusterRootOf(cluster: OpenCluster): DumpElement {
    return this.cached(cluster, cluster.key, () => ({ id: cluster.key, dumpKey: '', clusterKey: cluster.key }));
  }

  private globalsOf(cluster: OpenCluster): DumpElement {
    return this.cached(cluster, `${cluster.key}#globals`, () => ({ id: `${cluster.key}#globals`, dumpKey: '', clusterKey: cluster.key, globals: true }));
  }

  /** The element of a node. */
  elementOf(dump: OpenDump, node: OutlineNode): DumpElement {
    const id = `${dump.key}#${node.id}`;
    return this.cached(dump, id, () => ({ id, dumpKey: dump.key, node, ...(node.dumpId !== undefined ? { dumpId: node.dumpId } : {}) }));
  }

  /** The element `id` of a dump (or cluster dump), made once: VS Code needs the same object for the same node. */
  private cached(owner: OpenDump | OpenCluster, id: string, make: () => DumpElement): DumpElement {
    let map = this.elements.get(owner.key);
    if (!map) this.elements.set(owner.key, (map = new Map()));
    let element = map.get(id);
    if (!element) map.set(id, (element = make()));
    return element;
  }

  /** Shows a dump's root, expanded, selected and focused (after the dump was opened). */
  async revealDump(dump: OpenDump | OpenCluster): Promise<void> {
    // A hidden view asks for nothing: show it first. VS Code asks for the roots a moment after a
    // change (it batches them): revealing a root before its tree holds it fails ("node not found").
    if (!this.view.visible) await vscode.commands.executeCommand('pgDumpExplorer.dumps.focus');
    const waiting = this.unseen.get(dump.key);
    if (waiting) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5_000);
        waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.reveal(dump instanceof OpenCluster ? this.clusterRootOf(dump) : this.rootOf(dump), { select: true, focus: true, expand: true });
  }

  /**
   * Shows the node of a TOC entry (its object, or the part under its object), selected. When the
   * filter hides it, the filter is cleared first. Returns false when the tree does not show the
   * entry at all (an entry `pg_restore -l` hides, or a schema's privileges).
   */
  async revealEntry(dumpKey: string, dumpId: number): Promise<boolean> {
    const dump = this.dumps.get(dumpKey);
    const node = dump?.outline.nodeOfEntry(dumpId);
    if (!dump || !node) return false;
    if (dump.filter && !dump.filter.shows(node)) this.setFilter(undefined);
    await this.reveal(this.elementOf(dump, node), { select: true, focus: true, expand: false }, { untilSelected: true });
    return true;
  }

  /**
   * view.reveal, again a moment later when VS Code's tree does not hold the element yet: it
   * draws a change a little after it hears of it, and a reveal in between fails with "Tree
   * element not found" / "Data tree node not found". With `untilSelected` (an entry's node shown
   * by Show Dependencies or a reveal), it is also repeated when the selection does not follow:
   * VS Code's window skips a reveal without a word when its tree has not fetched the element's
   * item yet (while it redraws after a change).
   */
  private async reveal(element: DumpElement, options: { select: boolean; focus: boolean; expand: boolean }, { untilSelected = false } = {}): Promise<void> {
    for (let round = 1; ; round++) {
      const selected = options.select && untilSelected ? this.selectionOf(element, SELECTION_WAIT_MS) : Promise.resolve(true);
      await this.revealOnce(element, options);
      if ((await selected) || round >= 3) return;
    }
  }

  private async revealOnce(element: DumpElement, options: { select: boolean; focus: boolean; expand: boolean }): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.view.reveal(element, options);
        return;
      } catch (err) {
        if (attempt >= 10 || !/not found/i.test(err instanceof Error ? err.message : String(err))) throw err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Whether the view's selection holds `element` now or comes to within `ms` (VS Code tells the extension a moment after it selects). */
  private selectionOf(element: DumpElement, ms: number): Promise<boolean> {
    const holds = (selection: readonly DumpElement[]) => selection.some((e) => e.id === element.id);
    return new Promise<boolean>((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        listener.dispose();
        resolve(value);
      };
      const listener = this.view.onDidChangeSelection((e) => {
        if (holds(e.selection)) done(true);
      });
      const timer = setTimeout(() => done(holds(this.view.selection)), ms);
    });
  }

  /** The name filter of every open dump (undefined: none). */
  get filter(): string | undefined {
    return this.filterPattern;
  }

  setFilter(pattern: string | undefined): void {
    const p = pattern?.trim() || undefined;
    this.filterPattern = p;
    for (const dump of this.dumps.list()) {
      dump.filter = p === undefined ? undefined : new OutlineFilter(dump.outline, p);
    }
    setContext('pgDumpExplorer.treeFiltered', p !== undefined);
    this.view.description = p === undefined ? undefined : `filter: ${p}`;
    this.changed.fire(undefined);
    for (const dump of this.dumps.list()) this.dumps.picksDidChange(dump);
  }

  /** Works the view's message out again once ticking pauses: planning 10,000 tables takes a moment. */
  private scheduleSummary(delayMs = SUMMARY_DELAY_MS): void {
    clearTimeout(this.summaryTimer);
    this.summaryTimer = setTimeout(() => this.updateSummary(), delayMs);
  }

  /** The view's message: what the picks of each dump come to as a restore. */
  updateSummary(): void {
    clearTimeout(this.summaryTimer);
    if (this.isDisposed) return;
    const lines: string[] = [];
    const open = this.dumps.list();
    for (const dump of open) {
      if (dump.picks.count === 0) continue;
      try {
        const line = describePickSummary(summarizePicks(dump.opened.archive, dump.picks.toSelection(), dump.picks.count));
        lines.push(open.length > 1 ? `${dump.label}: ${line}` : line);
      } catch (err) {
        this.log.warn(`plan of the picks in ${dump.label}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (this.filterPattern !== undefined) {
      const matches = open.reduce((n, d) => n + (d.filter?.matchCount ?? 0), 0);
      lines.push(`Filter "${this.filterPattern}": ${matches.toLocaleString('en-US')} object${matches === 1 ? '' : 's'} match`);
    }
    // Setting the message, even to what it was, makes VS Code hold back the tree's next redraw.
    const message = lines.length > 0 ? lines.join(' — ') : undefined;
    if (message !== this.view.message) this.view.message = message;
  }
}
