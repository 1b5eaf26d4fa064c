import * as vscode from 'vscode';
import type { RestoreProtocol } from '../protocol/restore';
import { Disposable } from '../util/disposable';
import { WebviewChannel, webviewHtml, webviewOptions } from '../webviews/webviewHost';
import type { RestoreSession } from './restoreSession';

/**
 * The restore panel of one session: the options form, the pre-flight report with its fixes as
 * buttons, progress, and the result. It renders the session's state and forwards what the user
 * does; closing it while a restore runs leaves the restore running (the notification has Cancel).
 */
export class RestorePanel extends Disposable {
  static readonly viewType = 'pgDumpExplorer.restore';
  private readonly panel: vscode.WebviewPanel;
  private readonly closed = this.register(new vscode.EventEmitter<void>());
  readonly onDidClose = this.closed.event;

  constructor(
    extensionUri: vscode.Uri,
    session: RestoreSession,
    actions: { changeTarget(): Promise<void>; reveal(dumpId: number): Promise<void>; openLog(): void; showList(): Promise<void> },
  ) {
    super();
    this.panel = vscode.window.createWebviewPanel(RestorePanel.viewType, `Restore ${session.dump.label}`, vscode.ViewColumn.Active, webviewOptions(extensionUri));
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'dump.svg');
    this.panel.webview.html = webviewHtml(this.panel.webview, extensionUri, { script: 'restore', title: `Restore ${session.dump.label}`, stylesheet: 'restore.css' });
    const channel = this.register(
      new WebviewChannel<RestoreProtocol>(this.panel.webview, {
        setForm: (form) => session.setForm(form),
        check: () => session.check(),
        applyFix: ({ finding, fix }) => session.applyFix(finding, fix),
        changeTarget: () => actions.changeTarget(),
        restore: async () => {
          await session.restore();
        },
        cancel: () => session.cancel(),
        reveal: ({ dumpId }) => actions.reveal(dumpId),
        openLog: () => actions.openLog(),
        showList: () => actions.showList(),
        restoreAgain: () => session.restoreAgain(),
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
