import * as path from 'node:path';
import * as vscode from 'vscode';
import { detectDump } from '../core/formats/detect';
import type { Config } from '../config';
import type { Log } from '../log';
import { formatBytes } from '../core/units';
import { Disposable } from '../util/disposable';
import { PLAIN_VIEWER } from './plainDumpEditor';

/**
 * When a big plain dump is opened in the text editor, offer the Large Dump Viewer instead: VS Code
 * gives extensions no document above 50 MB (no outline, folding or navigation), and a `.sql.gz`
 * is binary to the text editor. Tabs are watched (window.tabGroups lists them even for files too
 * large to reach extensions); each file is offered once per session.
 */
export class LargeDumpOffer extends Disposable {
  private readonly offered = new Set<string>();

  constructor(
    private readonly config: Config,
    private readonly log: Log,
  ) {
    super();
    this.register(vscode.window.tabGroups.onDidChangeTabs((e) => e.opened.forEach((tab) => void this.consider(tab))));
  }

  private async consider(tab: vscode.Tab): Promise<void> {
    if (!(tab.input instanceof vscode.TabInputText)) return;
    const uri = tab.input.uri;
    if (uri.scheme !== 'file' || !/\.sql(\.gz)?$/i.test(uri.path) || this.offered.has(uri.toString())) return;
    try {
      const { size } = await vscode.workspace.fs.stat(uri);
      if (size <= this.config.plainViewerThresholdBytes) return;
      const detected = await detectDump(uri.fsPath);
      if (detected.kind !== 'plain' && detected.kind !== 'cluster') return;
      this.offered.add(uri.toString());
      const open = 'Open in Large Dump Viewer';
      const why = size > 50 * 1024 * 1024 ? 'VS Code gives extensions no text above 50 MB, so the editor has no outline, folding or go to definition for it' : 'the viewer lists its objects and opens each one as a small document';
      const choice = await vscode.window.showInformationMessage(`${path.basename(uri.fsPath)} is a ${formatBytes(size)} PostgreSQL dump: ${why}.`, open);
      if (choice === open) await vscode.commands.executeCommand('vscode.openWith', uri, PLAIN_VIEWER);
    } catch (err) {
      this.log.warn(`could not look at ${uri.fsPath} for the large dump viewer: ${String(err)}`);
    }
  }
}
