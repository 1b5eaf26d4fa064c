import * as path from 'node:path';
import * as vscode from 'vscode';
import { isClusterFolder, MANIFEST_FILE } from '../core/dump/clusterFolder';
import { TOC_NAMES } from '../core/formats/detect';
import { setContext } from '../util/contextKeys';
import { Disposable } from '../util/disposable';

/**
 * The files that make a folder a dump: a directory dump's TOC (pg_restore also accepts a
 * compressed toc.dat), or a cluster folder's manifest.json.
 */
const MARKER_NAMES: readonly string[] = [...TOC_NAMES, MANIFEST_FILE];
const MARKER_GLOB = `**/{${MARKER_NAMES.join(',')}}`;
/** Enough for any real workspace; the search stops there. */
const MAX_MARKER_FILES = 10_000;
/** Created folders searched one by one after a burst of changes; past this, the whole workspace is searched once. */
const MAX_FOLDER_SEARCHES = 20;
const SETTLE_MS = 300;

/** Whether a marker file found marks a dump: a TOC does; a manifest.json only a cluster folder's (many tools write one). */
async function marksDump(file: string): Promise<boolean> {
  return path.basename(file) !== MANIFEST_FILE || isClusterFolder(path.dirname(file));
}

/**
 * Keeps the context key `pgDumpExplorer.archiveFolders` listing the workspace's folders that hold a
 * toc.dat (directory dumps) or a cluster manifest (cluster folders), so the Explorer's menu can
 * offer "Open in PG Dump Explorer" on them (`resourcePath in pgDumpExplorer.archiveFolders`) and on
 * no other folder: a when clause cannot look inside a folder itself.
 *
 * Found once with findFiles, then kept up to date from a file watcher. The watcher reports a folder
 * created or deleted with its files in it (a copy, an unzip, `rm -r`) as one event for the folder,
 * so every created path is looked at: a toc.dat is added, a new folder is searched; a deleted path
 * takes every folder at or under it along.
 */
export class ArchiveFolders extends Disposable {
  /** Folder path → its marker files (a folder may hold toc.dat and toc.dat.gz). */
  private readonly folders = new Map<string, Set<string>>();
  private readonly created = new Map<string, vscode.Uri>();
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves once the created paths waiting for the settle timer have been looked at. */
  private settling: Promise<void> | undefined;
  private settled: (() => void) | undefined;
  private work: Promise<void>;

  constructor() {
    super();
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*', false, true, false));
    this.register(
      watcher.onDidCreate((uri) => {
        this.created.set(uri.fsPath, uri);
        this.settleSoon();
      }),
    );
    this.register(
      watcher.onDidDelete((uri) => {
        if (this.removeAt(uri.fsPath)) this.publish();
      }),
    );
    this.register(
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.work = this.work.then(() => this.scan());
      }),
    );
    this.register({
      dispose: () => {
        clearTimeout(this.settleTimer);
        this.settled?.();
      },
    });
    this.work = this.scan();
  }

  /** Resolves once the changes reported so far are in the list (tests wait for it). */
  async ready(): Promise<void> {
    await this.settling;
    await this.work;
  }

  /** The folders now known to hold a toc.dat or a cluster manifest (as file system paths). */
  list(): string[] {
    return [...this.folders.keys()].sort();
  }

  /** The whole workspace, searched again. */
  private async scan(): Promise<void> {
    const found = await this.dumpMarkers(await vscode.workspace.findFiles(MARKER_GLOB, undefined, MAX_MARKER_FILES));
    if (this.isDisposed) return;
    this.folders.clear();
    for (const file of found) this.add(file);
    this.publish();
  }

  private settleSoon(): void {
    clearTimeout(this.settleTimer);
    this.settling ??= new Promise<void>((resolve) => (this.settled = resolve));
    this.settleTimer = setTimeout(() => {
      const batch = [...this.created.values()];
      this.created.clear();
      this.work = this.work.then(() => this.look(batch)).catch(() => undefined);
      this.settled?.();
      this.settling = this.settled = undefined;
    }, SETTLE_MS);
  }

  /** The paths of those found files that mark a dump. */
  private async dumpMarkers(found: vscode.Uri[]): Promise<string[]> {
    const marks = await Promise.all(found.map((uri) => marksDump(uri.fsPath)));
    return found.filter((_, i) => marks[i]).map((uri) => uri.fsPath);
  }

  /** Created paths: marker files are added; new folders are searched (one by one, or all at once after a big burst). */
  private async look(batch: vscode.Uri[]): Promise<void> {
    let changed = false;
    const folders: vscode.Uri[] = [];
    for (const uri of batch) {
      if (MARKER_NAMES.includes(path.basename(uri.fsPath))) {
        if (await marksDump(uri.fsPath)) changed = this.add(uri.fsPath) || changed;
        continue;
      }
      const stat = await vscode.workspace.fs.stat(uri).then(
        (s) => s,
        () => undefined,
      );
      if (stat && stat.type & vscode.FileType.Directory) folders.push(uri);
    }
    // Folders inside another new folder are found by searching that one.
    const roots = folders.filter((f) => !folders.some((o) => o !== f && f.fsPath.startsWith(o.fsPath + path.sep)));
    if (roots.length > MAX_FOLDER_SEARCHES) return this.scan();
    for (const root of roots) {
      const found = await this.dumpMarkers(await vscode.workspace.findFiles(new vscode.RelativePattern(root, MARKER_GLOB), undefined, MAX_MARKER_FILES));
      for (const file of found) changed = this.add(file) || changed;
    }
    if (changed && !this.isDisposed) this.publish();
  }

  private add(marker: string): boolean {
    const folder = path.dirname(marker);
    const markers = this.folders.get(folder);
    if (markers) {
      markers.add(marker);
      return false;
    }
    this.folders.set(folder, new Set([marker]));
    return true;
  }

  /** A deleted path: a marker file, a dump's folder, or a folder holding dumps somewhere below. */
  private removeAt(deleted: string): boolean {
    let changed = false;
    for (const [folder, markers] of this.folders) {
      if (folder === deleted || folder.startsWith(deleted + path.sep)) {
        this.folders.delete(folder);
        changed = true;
      } else if (markers.delete(deleted) && markers.size === 0) {
        this.folders.delete(folder);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * The Explorer's `resourcePath` is the path of the resource's URI: the file system path for
   * `file:` resources, the URI's path for remote ones; both forms are listed where they differ.
   */
  private publish(): void {
    const paths = new Set<string>();
    for (const folder of this.folders.keys()) {
      const uri = vscode.Uri.file(folder);
      paths.add(uri.fsPath);
      paths.add(uri.path);
    }
    setContext('pgDumpExplorer.archiveFolders', [...paths]);
  }
}
