import * as vscode from 'vscode';
import { pickTablesMatching } from '../core/plan/picks';
import type { OpenDump, OpenDumps } from '../dumps/openDumps';
import { plural } from '../core/units';
import type { DumpTreeView } from './dumpTree';

const PATTERN_HELP = 'psql-style: * matches any characters, ? one; write schema.name to match qualified names, or name alone; without wildcards, names containing the text match';

/** The tree's own commands: filter by name, select tables matching a pattern, clear the selection. */
export class TreeCommands {
  constructor(
    private readonly dumps: OpenDumps,
    private readonly tree: DumpTreeView,
  ) {}

  /** Dumps a command applies to: the one it was run on (its root's menu), or every open dump. */
  private targets(target: unknown): OpenDump[] {
    const key = (target as { dumpKey?: unknown } | undefined)?.dumpKey;
    const one = typeof key === 'string' ? this.dumps.get(key) : undefined;
    return one ? [one] : this.dumps.list();
  }

  async filter(): Promise<void> {
    const pattern = await vscode.window.showInputBox({
      title: 'Filter the Dumps view by name',
      prompt: `Show only objects whose name matches (${PATTERN_HELP}). Empty: show everything.`,
      placeHolder: 'e.g. sales.order*  or  *_log',
      value: this.tree.filter ?? '',
    });
    if (pattern === undefined) return;
    this.tree.setFilter(pattern);
  }

  clearFilter(): void {
    this.tree.setFilter(undefined);
  }

  async selectMatching(target: unknown): Promise<void> {
    const dumps = this.targets(target);
    if (dumps.length === 0) throw new Error('No dump is open: open one in PG Dump Explorer first');
    const pattern = await vscode.window.showInputBox({
      title: 'Select Tables Matching',
      prompt: `Pick the tables (partitioned ones with their partitions) whose name matches (${PATTERN_HELP}).`,
      placeHolder: 'e.g. sales.*  or  order*',
      validateInput: (v) => (v.trim() === '' ? 'Type a name or a pattern' : undefined),
    });
    if (pattern === undefined || pattern.trim() === '') return;
    const message = this.pickMatching(dumps, pattern.trim());
    void vscode.window.showInformationMessage(message);
  }

  /** Picks matching tables in these dumps; returns what it did, in words. */
  pickMatching(dumps: readonly OpenDump[], pattern: string): string {
    let matched = 0;
    let added = 0;
    for (const dump of dumps) {
      const r = pickTablesMatching(dump.picks, pattern);
      matched += r.matched;
      added += r.added;
      if (r.added > 0) this.dumps.picksDidChange(dump);
    }
    if (matched === 0) return `No table matches "${pattern}" (${PATTERN_HELP})`;
    const already = matched - Math.min(matched, added);
    return `Picked ${plural(added, 'object')}: ${plural(matched, 'table')} match "${pattern}"${already > 0 && added < matched ? `, ${plural(already, 'was', 'were')} picked already` : ''}`;
  }

  clearSelection(target: unknown): void {
    for (const dump of this.targets(target)) {
      if (dump.picks.count === 0) continue;
      dump.picks.clear();
      this.dumps.picksDidChange(dump);
    }
  }
}
