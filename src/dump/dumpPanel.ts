import * as vscode from 'vscode';
import type { DumpProtocol } from '../protocol/dump';
import { Disposable } from '../util/disposable';
import { WebviewChannel, webviewHtml, webviewOptions } from '../webviews/webviewHost';
import type { DumpSession } from './dumpSession';

/**
 * The dump panel of one session: the source, what to dump (the live database's schemas and tables
 * with their sizes), the options, the pg_dump that will run and its command line, progress and the
 * result. It renders the session's state and forwards what the user does.
 */
export class DumpPanel extends Disposable {
  static readonly viewType = 'pgDumpExplorer.dump';
  private readonly panel: vscode.WebviewPanel;
  private readonly closed = this.register(new vscode.EventEmitter<void>());
  readonly onDidClose = this.closed.event;

  constructor(extensionUri: vscode.Uri, session: DumpSession, actions: { choosePath(): Promise<void>; openLog(): void; copyTo(): Promise<void> }) {
    super();
    const title = `Dump ${session.source.database}`;
    this.panel = vscode.window.createWebviewPanel(DumpPanel.viewType, title, vscode.ViewColumn.Active, webviewOptions(extensionUri));
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'dump.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, { script: 'dump', title, stylesheet: 'restore.css' });
    const channel = this.register(
      new WebviewChannel<DumpProtocol>(this.panel.webview, {
        setForm: (form) => session.setForm(form),
        pick: ({ key, schema, picked }) => session.pick(key, picked, schema ?? false),
        choosePath: () => actions.choosePath(),
        dump: async () => {
          await session.dump();
        },
        cancel: () => session.cancel(),
        openLog: () => actions.openLog(),
        copyTo: () => actions.copyTo(),
        again: () => session.again(),
      }),
    );
    channel.onReady(() => channel.notify('state', session.state()));
    this.register(session.onDidChange((state) => channel.notify('state', state)));
    this.register(
      this.panel.onDidDispose(() => {
        this.closed.fire();
        this.dispose();
      }),
    );
  }

  reveal(): void {
    this.panel.reveal();
  }

  override dispose(): void {
    super.dispose();
    this.panel.dispose();
  }
}
