import type * as vscode from 'vscode';
import type { Config } from './config';
import type { ConnectionCommands } from './connections/connectionCommands';
import type { CopyCommands } from './copy/copyCommands';
import type { ConnectionStore } from './connections/connectionStore';
import type { ArchiveFolders } from './dumps/archiveFolders';
import type { DumpCommands } from './dumps/dumpCommands';
import type { DumpCommands as DumpDatabaseCommands } from './dump/dumpCommands';
import type { OpenDumps } from './dumps/openDumps';
import type { ArchiveEditorProvider } from './editors/archiveEditor';
import type { Log } from './log';
import type { PlainDumps } from './plain/plainDumps';
import type { RestoreCommands } from './restore/restoreCommands';
import type { ConnectionsTree } from './views/connectionsTree';
import type { DumpTreeView } from './views/dumpTree';
import type { EntryCommands } from './views/entryCommands';
import type { JobHistory } from './core/history/jobHistory';
import type { HistoryCommands } from './history/historyCommands';
import type { HistoryView } from './history/historyView';
import type { shownPicks } from './util/quickPick';
import type { TreeCommands } from './views/treeCommands';
import type { VerifyCommands } from './verify/verifyCommands';
import type { VerifyMarks } from './verify/verifyMarks';

/** What activation makes once and every feature is given: no feature makes its own. */
export interface Services {
  context: vscode.ExtensionContext;
  log: Log;
  config: Config;
  dumps: OpenDumps;
  dumpCommands: DumpCommands;
  /** The archive summary editor (custom editor `pgDumpExplorer.archive`). */
  archiveEditor: ArchiveEditorProvider;
  /** Folders holding a toc.dat, for the Explorer menu's when clause. */
  archiveFolders: ArchiveFolders;
  restore: RestoreCommands;
  /** Dump Database…: the dump panel of a live database. */
  dump: DumpDatabaseCommands;
  /** Copy Database To…, Copy Selected To…: pg_dump piped into pg_restore, no file. */
  copy: CopyCommands;
  /** Plain SQL dumps: editor navigation and the Large Dump Viewer. */
  plain: PlainDumps;
  /** Saved and discovered connections, their secrets, the target picker (pickTarget). */
  connections: ConnectionStore;
  connectionCommands: ConnectionCommands;
  connectionsTree: ConnectionsTree;
  /** The Dump Explorer tree: revealEntry(dumpKey, dumpId) shows an entry's node (e.g. one a restore error names). */
  tree: DumpTreeView;
  treeCommands: TreeCommands;
  entryCommands: EntryCommands;
  /** Every dump, copy, restore and verification made from the extension (the History view). */
  history: JobHistory;
  /** The History view (`pgDumpExplorer.history`) and its actions. */
  historyView: HistoryView;
  historyCommands: HistoryCommands;
  /** Verify Dump…: the restore drill, and the marks it leaves on the Dumps view's rows. */
  verify: VerifyCommands;
  verifyMarks: VerifyMarks;
  /** The extension's quick pick on screen, for tests to wait on before they accept an item. */
  quickPicks: typeof shownPicks;
}
