import type * as vscode from 'vscode';

/**
 * One typed value in a Memento (globalState or workspaceState), with its default: the one place
 * that knows the key and the shape, so callers never pass untyped `get` calls around. Values
 * are stored as JSON, so give plain data.
 */
export class StoredValue<T> {
  constructor(
    private readonly memento: vscode.Memento,
    readonly key: string,
    private readonly defaultValue: T,
    /** Turns whatever is stored (possibly by an older version, or nothing) into a T. */
    private readonly read: (stored: unknown, fallback: T) => T = (stored, fallback) => (stored === undefined ? fallback : (stored as T)),
  ) {}

  get(): T {
    return this.read(this.memento.get<unknown>(this.key), this.defaultValue);
  }

  async set(value: T): Promise<void> {
    await this.memento.update(this.key, value);
  }
}
