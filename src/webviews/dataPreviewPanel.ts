import * as vscode from 'vscode';
import { previewRows } from '../core/data/previewRows';
import { tocIndex } from '../core/plan/dependencies';
import { formatBytes } from '../core/units';
import type { OpenDump } from '../dumps/openDumps';
import type { DataPreviewContent, DataPreviewProtocol } from '../protocol/dataPreview';
import { Disposable } from '../util/disposable';
import { webviewHtml, webviewOptions, WebviewChannel } from './webviewHost';

export const PREVIEW_ROWS = 100;

/**
 * The data preview panels: one per table (or partition) of a dump, showing its first rows as
 * the archive stores them. Showing the same table again brings its panel forward.
 */
export class DataPreviewPanels extends Disposable {
  private readonly panels = new Map<string, vscode.WebviewPanel>();

  constructor(private readonly extensionUri: vscode.Uri) {
    super();
  }

  /** The panel of an entry's rows (a table, a partition, a partitioned table or a TABLE DATA entry). */
  show(dump: OpenDump, dumpId: number, title: string): vscode.WebviewPanel {
    const key = `${dump.key}#${dumpId}`;
    const known = this.panels.get(key);
    if (known) {
      known.reveal();
      return known;
    }
    const panel = vscode.window.createWebviewPanel('pgDumpExplorer.dataPreview', `Data: ${title}`, vscode.ViewColumn.Active, webviewOptions(this.extensionUri));
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, { script: 'dataPreview', title: `Data: ${title}` });
    // Read once; a reload of the webview (hidden and shown again) asks again and gets the same rows.
    let content: Promise<DataPreviewContent> | undefined;
    const channel = new WebviewChannel<DataPreviewProtocol>(panel.webview, {
      load: () => (content ??= this.read(dump, dumpId)),
    });
    this.panels.set(key, panel);
    panel.onDidDispose(() => {
      channel.dispose();
      this.panels.delete(key);
    });
    return panel;
  }

  private async read(dump: OpenDump, dumpId: number): Promise<DataPreviewContent> {
    const preview = await previewRows(dump.opened, dumpId, PREVIEW_ROWS);
    const stored = preview.sources
      .map((s) => tocIndex(dump.opened.archive).byId(s.dumpId)?.dataSize ?? 0)
      .reduce((a, b) => a + b, 0);
    const what = preview.more ? `The first ${preview.rows.length} rows` : `All ${preview.rows.length} row${preview.rows.length === 1 ? '' : 's'}`;
    const from = preview.rowSources ? `, from its partitions ${preview.sources.map((s) => `${s.table} (${s.rows})`).join(', ')}` : '';
    return {
      table: preview.table,
      dump: dump.label,
      columns: preview.columns,
      rows: preview.rows,
      ...(preview.rowSources ? { rowSources: preview.rowSources } : {}),
      more: preview.more,
      summary: `${what}${from}, as stored in ${dump.label} (${formatBytes(stored)} of data): read from the archive, nothing restored.`,
    };
  }

  override dispose(): void {
    for (const panel of [...this.panels.values()]) panel.dispose();
    super.dispose();
  }
}
