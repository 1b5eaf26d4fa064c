import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { ConnectionCommands } from './connections/connectionCommands';
import { ConnectionStore } from './connections/connectionStore';
import { ArchiveFolders } from './dumps/archiveFolders';
import { DumpCommands as DumpDatabaseCommands } from './dump/dumpCommands';
import { DumpCommands } from './dumps/dumpCommands';
import { OpenDumps } from './dumps/openDumps';
import { ArchiveEditorProvider } from './editors/archiveEditor';
import { PlainDumpIndexes } from './editors/plainIndexes';
import { Log } from './log';
import { JobHistory } from './core/history/jobHistory';
import { HistoryCommands } from './history/historyCommands';
import { HistoryView } from './history/historyView';
import { CopyCommands } from './copy/copyCommands';
import { PlainDumps } from './plain/plainDumps';
import { RestoreCommands } from './restore/restoreCommands';
import type { Services } from './services';
import { ConnectionsTree } from './views/connectionsTree';
import { DefinitionDocuments, DEFINITION_SCHEME } from './views/definitionDocuments';
import { DumpTreeView } from './views/dumpTree';
import { EntryCommands } from './views/entryCommands';
import { TreeCommands } from './views/treeCommands';
import { VerifyCommands } from './verify/verifyCommands';
import { VerifyMarks } from './verify/verifyMarks';
import { shownPicks } from './util/quickPick';
import { DataPreviewPanels } from './webviews/dataPreviewPanel';

/**
 * Activation wiring only: make the services once, register the views, editors and the command
 * table. Every registration goes into context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): Services {
  const log = new Log();
  const config = new Config();
  const plainIndexes = new PlainDumpIndexes(vscode.Uri.joinPath(context.globalStorageUri, 'plain-index').fsPath, vscode.Uri.joinPath(context.extensionUri, 'dist', 'plainIndexWorker.js').fsPath, log);
  const dumps = new OpenDumps(plainIndexes);
  const history = new JobHistory(vscode.Uri.joinPath(context.globalStorageUri, 'history', 'jobs.jsonl').fsPath);
  const historyView = new HistoryView(history, log);
  const connections = new ConnectionStore(context, log);
  const connectionsTree = new ConnectionsTree(connections);
  const verifyMarks = new VerifyMarks(context.globalState);
  const tree = new DumpTreeView(dumps, log, verifyMarks);
  const previews = new DataPreviewPanels(context.extensionUri);
  const dumpCommands = new DumpCommands(dumps, log);
  const archiveEditor = new ArchiveEditorProvider({ extensionUri: context.extensionUri, dumps, dumpCommands, config, log });
  const archiveFolders = new ArchiveFolders();
  const restore = new RestoreCommands({ context, log, config, dumps, dumpCommands, connections, history });
  const plain = new PlainDumps({ context, log, config, dumps }, plainIndexes);
  const copy = new CopyCommands({ log, connections, history });
  const dump = new DumpDatabaseCommands({ context, log, config, connections, dumpCommands, tree, history, copy });
  const verify = new VerifyCommands({ context, log, config, dumps, dumpCommands, connections, history, marks: verifyMarks });
  context.subscriptions.push(verifyMarks, log, plainIndexes, dumps, connections, connectionsTree, tree, previews, archiveEditor, archiveFolders, restore, plain, dump, historyView);
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(DEFINITION_SCHEME, new DefinitionDocuments(dumps)));
  const services: Services = {
    context,
    log,
    config,
    dumps,
    dumpCommands,
    archiveEditor,
    archiveFolders,
    restore,
    dump,
    copy,
    plain,
    connections,
    connectionCommands: new ConnectionCommands(connections, connectionsTree, log),
    connectionsTree,
    tree,
    treeCommands: new TreeCommands(dumps, tree),
    entryCommands: new EntryCommands(dumps, tree, previews),
    history,
    historyView,
    historyCommands: new HistoryCommands(history, historyView),
    verify,
    verifyMarks,
    quickPicks: shownPicks,
  };
  registerCommands(context, services);
  return services;
}

export function deactivate(): void {}
