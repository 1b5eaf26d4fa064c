import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { Config } from './config';
import { ArchiveFolders } from './dumps/archiveFolders';
import { DumpCommands } from './dumps/dumpCommands';
import { OpenDumps } from './dumps/openDumps';
import { ArchiveEditorProvider } from './editors/archiveEditor';
import { Log } from './log';
import { PlainDumps } from './plain/plainDumps';
import { RestoreCommands } from './restore/restoreCommands';
import type { Services } from './services';

/**
 * Activation wiring only: make the services once, register the views, editors and the command
 * table. Every registration goes into context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): Services {
  const log = new Log();
  const config = new Config();
  const dumps = new OpenDumps();
  context.subscriptions.push(log, dumps);
  const dumpCommands = new DumpCommands(dumps, log);
  const archiveEditor = new ArchiveEditorProvider({ extensionUri: context.extensionUri, dumps, dumpCommands, config, log });
  const archiveFolders = new ArchiveFolders();
  const restore = new RestoreCommands({ context, log, config, dumps, dumpCommands });
  const plain = new PlainDumps({ context, log, config, dumps });
  context.subscriptions.push(archiveEditor, archiveFolders, restore, plain);
  const services: Services = { context, log, config, dumps, dumpCommands, archiveEditor, archiveFolders, restore, plain };
  registerCommands(context, services);
  return services;
}

export function deactivate(): void {}
