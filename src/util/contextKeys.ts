import * as vscode from 'vscode';

/** Context keys this extension sets for `when` clauses; all prefixed `pgDumpExplorer.`. */
export type ContextKey = 'pgDumpExplorer.hasOpenDumps' | 'pgDumpExplorer.treeFiltered' | 'pgDumpExplorer.hasPicks';

export function setContext(key: ContextKey, value: unknown): void {
  void vscode.commands.executeCommand('setContext', key, value);
}
