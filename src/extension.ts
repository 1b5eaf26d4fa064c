import * as vscode from 'vscode';
import { openArchive } from './core/archive';
import { oneLine } from './core/errors';
import { formatRestoreList } from './core/model/listing';

/**
 * Activation wiring only: one log, one command table. Later features (tree, editors, restore)
 * register here the same way.
 */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('PG Dump Explorer', { log: true });
  context.subscriptions.push(log);

  const commands: Record<string, (...args: unknown[]) => unknown> = {
    'pgDumpExplorer.showSummary': async (uri?: unknown) => {
      const target = uri instanceof vscode.Uri ? uri : (await vscode.window.showOpenDialog({ canSelectMany: false }))?.[0];
      if (!target) return;
      try {
        const opened = await openArchive(target.fsPath);
        try {
          const doc = await vscode.workspace.openTextDocument({ content: formatRestoreList(opened.archive).toString(opened.archive.stringEncoding), language: 'plaintext' });
          await vscode.window.showTextDocument(doc, { preview: true });
        } finally {
          await opened.close();
        }
      } catch (err) {
        log.error(`${target.fsPath}: ${oneLine(err)}`);
        void vscode.window.showErrorMessage(oneLine(err));
      }
    },
  };
  for (const [id, handler] of Object.entries(commands)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  }
}

export function deactivate(): void {}
