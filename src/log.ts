import * as vscode from 'vscode';

/**
 * The extension's one log: a LogOutputChannel named "PG Dump Explorer". Tool output (pg_restore,
 * psql) goes here line by line; the user sees errors at command boundaries as messages.
 */
export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('PG Dump Explorer', { log: true });

  info(message: string): void {
    this.channel.info(message);
  }

  warn(message: string): void {
    this.channel.warn(message);
  }

  error(message: string): void {
    this.channel.error(message);
  }

  /** A line a client tool printed, as it printed it. */
  tool(line: string): void {
    this.channel.info(line);
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
