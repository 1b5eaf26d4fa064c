import * as vscode from 'vscode';

/** An AbortSignal that aborts when the token is cancelled: the core takes signals, VS Code gives tokens. */
export function toAbortSignal(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}
