import * as vscode from 'vscode';

/** Context keys this extension sets for `when` clauses; all prefixed `pgDumpExplorer.`. */
export type ContextKey =
  | 'pgDumpExplorer.hasOpenDumps'
  | 'pgDumpExplorer.treeFiltered'
  | 'pgDumpExplorer.hasPicks'
  /** The History view lists at least one job (Clear History is offered). */
  | 'pgDumpExplorer.hasHistory'
  /** Folders of the workspace that hold a toc.dat or a cluster manifest (ArchiveFolders), for `resourcePath in …`. */
  | 'pgDumpExplorer.archiveFolders';

export function setContext(key: ContextKey, value: unknown): void {
  void vscode.commands.executeCommand('setContext', key, value);
}
