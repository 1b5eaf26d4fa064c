import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { DumpCommands } from './dumps/dumpCommands';
import { OpenDumps } from './dumps/openDumps';
import { Log } from './log';
import { PlainDumps } from './plain/plainDumps';
import { RestoreCommands } from './restore/restoreCommands';
import type { Services } from './services';
import { DefinitionDocuments, DEFINITION_SCHEME } from './views/definitionDocuments';
import { DumpTreeView } from './views/dumpTree';
import { EntryCommands } from './views/entryCommands';
import { TreeCommands } from './views/treeCommands';
import { DataPreviewPanels } from './webviews/dataPreviewPanel';

/**
 * Activation wiring only: make the services once, register the views, editors and the command
 * table. Every registration goes into context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): Services {
  const log = new Log();
  const config = new Config();
  const dumps = new OpenDumps();
  const tree = new DumpTreeView(dumps, log);
  const previews = new DataPreviewPanels(context.extensionUri);
  context.subscriptions.push(log, dumps, tree, previews);
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(DEFINITION_SCHEME, new DefinitionDocuments(dumps)));
  const dumpCommands = new DumpCommands(dumps, log);
  const restore = new RestoreCommands({ context, log, config, dumps, dumpCommands });
  const plain = new PlainDumps({ context, log, config, dumps });
  context.subscriptions.push(restore, plain);
  const services: Services = {
    context,
    log,
    config,
    dumps,
    dumpCommands,
    restore,
    plain,
    tree,
    treeCommands: new TreeCommands(dumps, tree),
    entryCommands: new EntryCommands(dumps, tree, previews),
  };
  registerCommands(context, services);
  return services;
}

export function deactivate(): void {}
