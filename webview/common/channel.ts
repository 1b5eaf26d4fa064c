import { isEnvelope, type Envelope, type Protocol } from '../../src/protocol/channel';

/**
 * The webview end of the channel (see src/protocol/channel.ts): typed requests answered by the
 * host, notifications both ways, and the `ready` handshake. Also the webview's saved state
 * (kept by VS Code while the panel is hidden).
 */

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface Channel<P extends Protocol> {
  request<M extends keyof P['requests'] & string>(method: M, params: P['requests'][M]['params']): Promise<P['requests'][M]['result']>;
  notify<M extends keyof P['fromWebview'] & string>(method: M, params: P['fromWebview'][M]): void;
  on<M extends keyof P['toWebview'] & string>(method: M, handler: (params: P['toWebview'][M]) => void): void;
  getState<S>(): S | undefined;
  setState<S>(state: S): void;
}

export function connect<P extends Protocol>(): Channel<P> {
  const api = acquireVsCodeApi();
  let nextId = 1;
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  const handlers = new Map<string, (params: unknown) => void>();
  const post = (m: Envelope) => api.postMessage(m);

  window.addEventListener('message', (event: MessageEvent) => {
    const m: unknown = event.data;
    if (!isEnvelope(m)) return;
    if (m.kind === 'response') {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (!w) return;
      if (m.error !== undefined) w.reject(new Error(m.error));
      else w.resolve(m.result);
    } else if (m.kind === 'notify') {
      handlers.get(m.method)?.(m.params);
    }
  });

  const channel: Channel<P> = {
    request(method, params) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
        post({ kind: 'request', id, method, params });
      });
    },
    notify(method, params) {
      post({ kind: 'notify', method, params });
    },
    on(method, handler) {
      handlers.set(method, handler as (params: unknown) => void);
    },
    getState<S>() {
      return api.getState() as S | undefined;
    },
    setState(state) {
      api.setState(state);
    },
  };
  // Handlers are registered synchronously by the caller; tell the host once they are.
  queueMicrotask(() => post({ kind: 'ready' }));
  return channel;
}
