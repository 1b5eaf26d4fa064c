import * as path from 'node:path';
import * as vscode from 'vscode';
import { oneLine } from '../core/errors';
import type { PlainIndex } from '../core/plain/indexer';
import { IndexingCancelled } from '../core/plain/indexInWorker';
import { outlineRows, plainOutline, type OutlineRow, type PlainOutlineNode } from '../core/plain/plainOutline';
import type { PlainDumpProtocol, RowQuery, RowView, ViewerStatus } from '../protocol/plainDump';
import { formatBytes, plural } from '../core/units';
import { Disposable } from '../util/disposable';
import { webviewHtml, webviewOptions, WebviewChannel } from '../webviews/webviewHost';
import type { IndexedDump, PlainDumpIndexes } from './plainIndexes';
import type { PlainSectionDocuments } from './plainSections';

export const PLAIN_VIEWER = 'pgDumpExplorer.plainDump';

/** A dump shown in the viewer: its index once made, and the outline built from it. */
class PlainDumpDocument implements vscode.CustomDocument {
  /** The index being made (or made) for this document; replaced when indexing again after a failure. */
  indexed: Promise<IndexedDump> | undefined;
  index: PlainIndex | undefined;
  outline: PlainOutlineNode[] = [];
  /** The rows of the last query, kept while the webview scrolls through them. */
  private rowsOf: { key: string; rows: OutlineRow[] } | undefined;

  constructor(
    readonly uri: vscode.Uri,
    private readonly onDispose: () => void,
  ) {}

  setIndex(index: PlainIndex): void {
    this.index = index;
    this.outline = plainOutline(index.entries);
    this.rowsOf = undefined;
  }

  rows(q: RowQuery): OutlineRow[] {
    const key = `${q.filter}\u0000${[...q.collapsed].sort().join('\u0000')}`;
    if (!this.index) return [];
    if (this.rowsOf?.key !== key) this.rowsOf = { key, rows: outlineRows(this.outline, this.index.entries, { filter: q.filter, collapsed: new Set(q.collapsed) }) };
    return this.rowsOf.rows;
  }

  /** Called by VS Code when the last editor on the document closes. */
  dispose(): void {
    this.onDispose();
  }
}

/**
 * The Large Dump Viewer: a read-only custom editor for plain dumps of any size (`.sql`,
 * `.sql.gz`). VS Code gives it only the file's URI; the dump is indexed in a worker (or read from
 * the index cache), never read whole, and the webview lists its sections grouped schema → kind →
 * object, asking the host for the rows it shows. Any section opens as a small SQL document.
 */
export class PlainDumpEditorProvider extends Disposable implements vscode.CustomReadonlyEditorProvider<PlainDumpDocument> {
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly indexes: PlainDumpIndexes,
    private readonly sections: PlainSectionDocuments,
    private readonly restore: (uri: vscode.Uri, entry: number) => Promise<void>,
  ) {
    super();
    this.register(vscode.window.registerCustomEditorProvider(PLAIN_VIEWER, this, { supportsMultipleEditorsPerDocument: true }));
  }

  /** Called by VS Code when a dump is opened with the viewer. */
  openCustomDocument(uri: vscode.Uri): PlainDumpDocument {
    const document = new PlainDumpDocument(uri, () => {
      if (document.indexed) this.indexes.release(uri);
    });
    return document;
  }

  /** Called by VS Code for each editor (tab) showing the document. */
  resolveCustomEditor(document: PlainDumpDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    webview.options = webviewOptions(this.extensionUri);
    const name = path.basename(document.uri.fsPath);
    let status: ViewerStatus = { state: 'indexing', name, done: 0, total: null };
    const channel = new WebviewChannel<PlainDumpProtocol>(webview, {
      rows: ({ from, count, ...q }) => {
        const rows = document.rows(q);
        return { total: rows.length, rows: rows.slice(from, from + Math.min(count, 500)).map((r) => this.rowView(document.index!, r)) };
      },
      openSection: async ({ entry }) => {
        const index = indexOf(document);
        const e = index.entries[entry];
        if (!e) throw new Error(`no section ${entry} in ${name}`);
        await this.sections.open(index.path, index.compression, e);
      },
      restore: ({ entry }) => this.restore(document.uri, entry),
      reindex: () => {
        start();
      },
    });
    const setStatus = (s: ViewerStatus) => {
      status = s;
      channel.notify('status', s);
    };
    const start = () => {
      setStatus({ state: 'indexing', name, done: 0, total: null });
      // One index per document, shared by its editors, released when the document closes.
      document.indexed ??= this.indexes.acquire(document.uri);
      const indexed = document.indexed;
      indexed.then(
        ({ index, source, ms }) => {
          if (!document.index) document.setIndex(index);
          const how = source === 'cache' ? 'index read from the cache' : `indexed in ${(ms / 1000).toFixed(1)} s`;
          setStatus({ state: 'ready', name, sections: index.entries.length, summary: `${plural(index.entries.length, 'section')} · ${formatBytes(index.size)} of SQL${index.compression === 'none' ? '' : ` (${index.compression})`} · ${how}` });
        },
        (err: unknown) => {
          if (document.indexed === indexed) document.indexed = undefined;
          setStatus({ state: 'failed', name, message: err instanceof IndexingCancelled ? 'Indexing was cancelled.' : oneLine(err), cancelled: err instanceof IndexingCancelled });
        },
      );
    };
    channel.onReady(() => channel.notify('status', status));
    panel.onDidDispose(() => channel.dispose());
    webview.html = webviewHtml(webview, this.extensionUri, { script: 'plainDump', title: name });
    start();
  }

  private rowView(index: PlainIndex, r: OutlineRow): RowView {
    const view: RowView = { key: r.key, kind: r.kind, label: r.label, depth: r.depth, count: r.count, expanded: r.expanded };
    if (r.entry === undefined) return view;
    const e = index.entries[r.entry]!;
    const rows = e.rows !== undefined ? `${plural(e.rows, 'row')} · ` : '';
    return { ...view, entry: r.entry, desc: e.desc, detail: `${rows}${formatBytes(e.length)}${e.owner ? ` · owner ${e.owner}` : ''}`, hasRows: e.desc === 'TABLE DATA' };
  }
}

function indexOf(document: PlainDumpDocument): PlainIndex {
  if (!document.index) throw new Error(`${path.basename(document.uri.fsPath)} is still being indexed`);
  return document.index;
}
