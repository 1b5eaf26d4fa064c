/**
 * The envelope every webview of this extension speaks, in both directions, over postMessage.
 * Each webview has its own protocol file (src/protocol/<feature>.ts) that names its messages as
 * a `Protocol`: the requests the webview sends (each answered by the host, matched by id),
 * notifications from the webview, and notifications from the host. Neither side sends anything
 * else: the host's channel (src/webviews/webviewHost.ts) and the webview's
 * (webview/common/channel.ts) are typed by the same Protocol.
 *
 * No `vscode` import here: the webview bundle compiles this file too.
 */

export interface Protocol {
  /** Webview → host, answered: method → { params, result }. */
  requests: Record<string, { params: unknown; result: unknown }>;
  /** Webview → host, not answered. */
  fromWebview: Record<string, unknown>;
  /** Host → webview. */
  toWebview: Record<string, unknown>;
}

export type Envelope =
  /** Webview → host, once its script runs: the host sends nothing before this. */
  | { kind: 'ready' }
  | { kind: 'request'; id: number; method: string; params: unknown }
  /** Host → webview: the answer to request `id`; `error` is one line for the user. */
  | { kind: 'response'; id: number; result?: unknown; error?: string }
  | { kind: 'notify'; method: string; params: unknown };

export function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const kind = (value as { kind?: unknown }).kind;
  return kind === 'ready' || kind === 'request' || kind === 'response' || kind === 'notify';
}
