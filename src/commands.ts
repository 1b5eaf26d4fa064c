import * as vscode from 'vscode';
import { oneLine } from './core/errors';
import { OpenDump } from './dumps/openDumps';
import type { Services } from './services';

/**
 * The one table of the extension's commands: every command package.json contributes, and the
 * function that runs it. Handlers live with their feature; errors reach the user here, once,
 * as one line (and the log), never as a stack.
 */
export type CommandHandler = (...args: unknown[]) => unknown;

export function commandTable(s: Services): Record<string, CommandHandler> {
  return {
    // Opened from the Explorer: shown in the Dumps view, and an archive's summary beside it.
    'pgDumpExplorer.open': async (uri, uris) => {
      const opened = await s.dumpCommands.open(uri, uris);
      const last = opened[opened.length - 1];
      if (last) await s.tree.revealDump(last);
      for (const dump of opened) if (dump instanceof OpenDump && dump.opened.archive.format !== 'plain') await s.archiveEditor.showSummary(dump.uri);
      return opened;
    },
    'pgDumpExplorer.dumps.showSummary': (target) => s.archiveEditor.showSummary(target),
    'pgDumpExplorer.dumps.close': (node) => s.dumpCommands.close(node),
    'pgDumpExplorer.dumps.showListing': (target) => s.dumpCommands.showListing(target),
    /** A dump of the Dumps view, or a vscode.Uri of a dump (the History view's Verify Again); `request` skips the dialogs. */
    'pgDumpExplorer.dumps.verify': (target, request) => s.verify.verify(target, request ?? {}),
    'pgDumpExplorer.tree.filter': () => s.treeCommands.filter(),
    'pgDumpExplorer.tree.clearFilter': () => s.treeCommands.clearFilter(),
    'pgDumpExplorer.tree.selectMatching': (target) => s.treeCommands.selectMatching(target),
    'pgDumpExplorer.tree.clearSelection': (target) => s.treeCommands.clearSelection(target),
    'pgDumpExplorer.entry.previewDefinition': (target) => s.entryCommands.previewDefinition(target),
    'pgDumpExplorer.entry.previewData': (target) => s.entryCommands.previewData(target),
    'pgDumpExplorer.entry.showDependencies': (target) => s.entryCommands.showDependencies(target),
    'pgDumpExplorer.entry.copyRestoreList': (target, selected) => s.entryCommands.copyRestoreList(target, selected),
    /** Internal, not in package.json: `{ dumpKey, dumpId }` → the entry's node, revealed and selected. */
    'pgDumpExplorer.entry.reveal': (target) => s.entryCommands.reveal(target),
    'pgDumpExplorer.restore.selected': (arg) => s.restore.restoreSelected(arg),
    'pgDumpExplorer.restore.rolesOnly': (arg) => s.restore.rolesOnly(arg),
    'pgDumpExplorer.plain.openViewer': (target) => s.plain.openViewer(target),
    'pgDumpExplorer.plain.restoreObject': (args) => s.plain.restoreObject(args),
    'pgDumpExplorer.plain.nextPage': (target) => s.plain.nextPage(target),
    'pgDumpExplorer.connections.add': (args) => s.connectionCommands.add(args),
    'pgDumpExplorer.connections.edit': (target, changes) => s.connectionCommands.edit(target, changes),
    'pgDumpExplorer.connections.remove': (target, options) => s.connectionCommands.remove(target, options),
    'pgDumpExplorer.connections.test': (target) => s.connectionCommands.test(target),
    'pgDumpExplorer.connections.createDatabase': (target, name) => s.connectionCommands.createDatabase(target, name),
    'pgDumpExplorer.connections.refresh': () => s.connectionCommands.refresh(),
    'pgDumpExplorer.connections.dumpDatabase': (target, request) => s.dump.dumpDatabase(target, request ?? {}),
    'pgDumpExplorer.connections.copyDatabase': (target, request) => s.copy.copyDatabase(target, request ?? {}),
    'pgDumpExplorer.connections.dumpGlobals': (target, request) => s.dump.cluster.dumpGlobals(target, request ?? {}),
    'pgDumpExplorer.connections.dumpCluster': (target, request) => s.dump.cluster.dumpCluster(target, request ?? {}),
    'pgDumpExplorer.history.openLog': (job) => s.historyCommands.openLog(job),
    'pgDumpExplorer.history.openReport': (job) => s.historyCommands.openReport(job),
    'pgDumpExplorer.history.openDump': (job) => s.historyCommands.openDump(job),
    'pgDumpExplorer.history.verifyAgain': (job) => s.historyCommands.verifyAgain(job),
    'pgDumpExplorer.history.remove': (job) => s.historyCommands.remove(job),
    'pgDumpExplorer.history.clear': (options) => s.historyCommands.clear(options),
    'pgDumpExplorer.history.refresh': () => s.historyCommands.refresh(),
  };
}

export function registerCommands(context: vscode.ExtensionContext, s: Services): void {
  for (const [id, handler] of Object.entries(commandTable(s))) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (err) {
          s.log.error(`${id}: ${oneLine(err)}`);
          void vscode.window.showErrorMessage(oneLine(err));
          return undefined;
        }
      }),
    );
  }
}
