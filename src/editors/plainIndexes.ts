import * as path from 'node:path';
import * as vscode from 'vscode';
import { readCachedIndex, stampOf, writeCachedIndex } from '../core/plain/indexCache';
import type { PlainIndex } from '../core/plain/indexer';
import type { IndexedCluster } from '../core/plain/clusterDump';
import { indexClusterInWorker, indexInWorker } from '../core/plain/indexInWorker';
import type { Log } from '../log';
import { formatBytes } from '../core/units';
import { Disposable } from '../util/disposable';

export interface IndexedDump {
  index: PlainIndex;
  /** Where the index came from: the on-disk cache, or a pass over the file. */
  source: 'cache' | 'scan';
  /** Milliseconds it took. */
  ms: number;
}

/**
 * Indexes of big plain dumps for the viewer: read from the cache under the extension's global
 * storage when the dump is unchanged (size and mtime), otherwise built in a worker thread with a
 * cancellable progress notification, then cached. While a viewer shows a dump its index stays
 * in memory (the workspace symbols search it too).
 */
export class PlainDumpIndexes extends Disposable {
  private readonly held = new Map<string, { users: number; result: Promise<IndexedDump> }>();
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** An index was made or let go. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly cacheDir: string,
    private readonly workerScript: string,
    private readonly log: Log,
  ) {
    super();
  }

  /**
   * The index of a dump, held until `release` (one call per acquire). The first acquire
   * indexes; later ones share it.
   */
  acquire(uri: vscode.Uri): Promise<IndexedDump> {
    const key = uri.toString();
    let held = this.held.get(key);
    if (!held) {
      held = { users: 0, result: this.indexWithProgress(uri) };
      this.held.set(key, held);
      const mine = held;
      mine.result.then(
        () => this.changed.fire(),
        () => {
          // A failed or cancelled index is not kept: the next acquire tries again.
          if (this.held.get(key) === mine) this.held.delete(key);
        },
      );
    }
    held.users++;
    return held.result;
  }

  release(uri: vscode.Uri): void {
    const key = uri.toString();
    const held = this.held.get(key);
    if (!held) return;
    if (--held.users <= 0) {
      this.held.delete(key);
      this.changed.fire();
    }
  }

  /** The index a viewer holds (or is making) for a dump, without holding it; undefined when none does. */
  heldFor(uri: vscode.Uri): Promise<IndexedDump> | undefined {
    return this.held.get(uri.toString())?.result;
  }

  /** The indexes in memory now (viewers open on them). */
  async loaded(): Promise<{ uri: vscode.Uri; index: PlainIndex }[]> {
    const out: { uri: vscode.Uri; index: PlainIndex }[] = [];
    for (const [key, held] of this.held) {
      const r = await held.result.catch(() => undefined);
      if (r) out.push({ uri: vscode.Uri.parse(key), index: r.index });
    }
    return out;
  }

  /** The cached index, or a new one made in the worker (reported through `onProgress`, stopped by `signal`). */
  async index(uri: vscode.Uri, options: { signal?: AbortSignal; onProgress?: (bytes: number) => void } = {}): Promise<IndexedDump> {
    const file = uri.fsPath;
    const started = Date.now();
    const before = await stampOf(file);
    const cached = await readCachedIndex(this.cacheDir, file, before);
    if (cached) {
      this.log.info(`plain dump index of ${file}: ${cached.entries.length} sections, from the cache`);
      return { index: cached, source: 'cache', ms: Date.now() - started };
    }
    const index = await indexInWorker(this.workerScript, file, options);
    const ms = Date.now() - started;
    this.log.info(`indexed ${file}: ${index.entries.length} sections, ${formatBytes(index.size)} of SQL in ${(ms / 1000).toFixed(1)} s`);
    // A dump that changed while it was read is not cached under either stamp.
    const after = await stampOf(file);
    if (after.size === before.size && after.mtimeMs === before.mtimeMs) {
      await writeCachedIndex(this.cacheDir, file, before, index).catch((err: unknown) => this.log.warn(`could not cache the index of ${file}: ${String(err)}`));
    }
    return { index, source: 'scan', ms };
  }

  /**
   * A pg_dumpall script read whole in the worker thread: its parts and the index of each of its
   * databases (a pass over the file to find the parts, then one over each database).
   */
  async indexCluster(uri: vscode.Uri): Promise<IndexedCluster> {
    const started = Date.now();
    const result = await this.withProgress(uri, 2, (options) => indexClusterInWorker(this.workerScript, uri.fsPath, options));
    this.log.info(`read ${uri.fsPath}: a pg_dumpall script of ${result.cluster.roles.length} roles and ${result.databases.length} databases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return result;
  }

  private indexWithProgress(uri: vscode.Uri): Promise<IndexedDump> {
    return this.withProgress(uri, 1, (options) => this.index(uri, options));
  }

  /** `work` behind a cancellable notification of the bytes done; `passes`: how many times it reads the file. */
  private async withProgress<T>(uri: vscode.Uri, passes: number, work: (options: { signal: AbortSignal; onProgress: (bytes: number) => void }) => Promise<T>): Promise<T> {
    const name = path.basename(uri.fsPath);
    const total = (await vscode.workspace.fs.stat(uri)).size * passes;
    const compressed = !/\.sql$/i.test(uri.fsPath);
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Indexing ${name}`, cancellable: true }, (progress, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      let last = 0;
      return work({
        signal: controller.signal,
        onProgress: (bytes) => {
          // For a compressed dump the bytes are of SQL text, more than the file holds: no percentage.
          const increment = compressed ? undefined : ((bytes - last) / Math.max(1, total)) * 100;
          last = bytes;
          progress.report({ message: compressed ? `${formatBytes(bytes)} of SQL read (${formatBytes(total / passes)} compressed)` : `${formatBytes(bytes)} of ${formatBytes(total)}`, ...(increment !== undefined ? { increment } : {}) });
        },
      });
    });
  }
}
