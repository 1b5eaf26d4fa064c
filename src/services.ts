import type * as vscode from 'vscode';
import type { Config } from './config';
import type { DumpCommands } from './dumps/dumpCommands';
import type { OpenDumps } from './dumps/openDumps';
import type { Log } from './log';
import type { PlainDumps } from './plain/plainDumps';
import type { RestoreCommands } from './restore/restoreCommands';
import type { DumpTreeView } from './views/dumpTree';
import type { EntryCommands } from './views/entryCommands';
import type { TreeCommands } from './views/treeCommands';

/** What activation makes once and every feature is given: no feature makes its own. */
export interface Services {
  context: vscode.ExtensionContext;
  log: Log;
  config: Config;
  dumps: OpenDumps;
  dumpCommands: DumpCommands;
  restore: RestoreCommands;
  /** Plain SQL dumps: editor navigation and the Large Dump Viewer. */
  plain: PlainDumps;
  /** The Dump Explorer tree: revealEntry(dumpKey, dumpId) shows an entry's node (e.g. one a restore error names). */
  tree: DumpTreeView;
  treeCommands: TreeCommands;
  entryCommands: EntryCommands;
}
