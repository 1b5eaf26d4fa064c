import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { oneLine } from '../core/errors';
import { isEnvelope, type Envelope, type Protocol } from '../protocol/channel';

/**
 * What every webview of the extension shares: its HTML (a strict Content Security Policy with a
 * nonce, resources only from dist/webview and media), and a typed channel over postMessage.
 */

/** The folders a webview may load from. */
export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** Options for a webview panel or custom editor: scripts on, resources limited to webviewResourceRoots. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, localResourceRoots: webviewResourceRoots(extensionUri) };
}

/**
 * The page of a webview: `dist/webview/<script>.js` (built from webview/<script>/main.ts), the
 * shared stylesheet (and the webview's own from media/, when given) and the codicon font, under
 * `default-src 'none'`.
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, options: { script: string; title: string; stylesheet?: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('dist', 'webview', 'codicons', 'codicon.css')}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${asset('media', 'webview.css')}">${options.stylesheet ? `\n<link rel="stylesheet" href="${asset('media', options.stylesheet)}">` : ''}
<title>${escape(options.title)}</title>
</head>
<body>
<div id="app"></div>
<script type="module" nonce="${nonce}" src="${asset('dist', 'webview', `${options.script}.js`)}"></script>
</body>
</html>`;
}

type Handlers<P extends Protocol> = {
  [M in keyof P['requests']]: (params: P['requests'][M]['params']) => Promise<P['requests'][M]['result']> | P['requests'][M]['result'];
};

type NotificationHandlers<P extends Protocol> = {
  [M in keyof P['fromWebview']]?: (params: P['fromWebview'][M]) => void;
};

/**
 * The host end of a webview's channel. Requests from the webview go to `handlers`; an error
 * thrown there reaches the webview as one line. Notifications to the webview wait for its
 * `ready` (sent again each time the webview reloads, e.g. after being hidden).
 */
export class WebviewChannel<P extends Protocol> implements vscode.Disposable {
  private ready = false;
  private readonly pending: Envelope[] = [];
  private readonly subscription: vscode.Disposable;
  private readonly readyListeners: (() => void)[] = [];

  constructor(
    private readonly webview: vscode.Webview,
    private readonly handlers: Handlers<P>,
    private readonly notifications: NotificationHandlers<P> = {},
  ) {
    this.subscription = webview.onDidReceiveMessage((message: unknown) => void this.receive(message));
  }

  /** Called each time the webview (re)starts its script; the host may then send its state. */
  onReady(listener: () => void): void {
    this.readyListeners.push(listener);
  }

  notify<M extends keyof P['toWebview'] & string>(method: M, params: P['toWebview'][M]): void {
    const message: Envelope = { kind: 'notify', method, params };
    if (this.ready) void this.webview.postMessage(message);
    else this.pending.push(message);
  }

  private async receive(message: unknown): Promise<void> {
    if (!isEnvelope(message)) return;
    switch (message.kind) {
      case 'ready':
        this.ready = true;
        for (const m of this.pending.splice(0)) void this.webview.postMessage(m);
        for (const l of this.readyListeners) l();
        return;
      case 'request': {
        const handler = (this.handlers as Record<string, ((params: unknown) => unknown) | undefined>)[message.method];
        let reply: Envelope;
        try {
          if (!handler) throw new Error(`unknown request ${message.method}`);
          reply = { kind: 'response', id: message.id, result: await handler(message.params) };
        } catch (err) {
          reply = { kind: 'response', id: message.id, error: oneLine(err) };
        }
        void this.webview.postMessage(reply);
        return;
      }
      case 'notify': {
        const handler = (this.notifications as Record<string, ((params: unknown) => void) | undefined>)[message.method];
        handler?.(message.params);
        return;
      }
      default:
        return;
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
