import * as vscode from 'vscode';
import { setContext } from '../util/contextKeys';
import { Disposable } from '../util/disposable';

/** The TOC file names of a directory dump (pg_restore also accepts a compressed toc.dat). */
const TOC_GLOB = '**/{toc.dat,toc.dat.gz,toc.dat.lz4,toc.dat.zst}';
/** Enough for any real workspace; the search stops there. */
const MAX_TOC_FILES = 10_000;

/**
 * Keeps the context key `pgDumpExplorer.archiveFolders` listing the workspace's folders that hold a
 * toc.dat, so the Explorer's menu can offer "Open in PG Dump Explorer" on directory dumps
 * (`resourcePath in pgDumpExplorer.archiveFolders`) and on no other folder: a when clause cannot
 * look inside a folder itself.
 *
 * Found once with findFiles, then kept up to date by a file watcher; renames and deletions of
 * whole folders (which the watcher reports for the folder, not for the toc.dat in it) make it
 * search again.
 */
export class ArchiveFolders extends Disposable {
  /** Folder path → its TOC files (a folder may hold toc.dat and toc.dat.gz). */
  private readonly folders = new Map<string, Set<string>>();
  private rescanTimer: ReturnType<typeof setTimeout> | undefined;
  private scanning: Promise<void> | undefined;

  constructor() {
    super();
    const watcher = this.register(vscode.workspace.createFileSystemWatcher(TOC_GLOB, false, true, false));
    this.register(
      watcher.onDidCreate((uri) => {
        if (this.add(uri)) this.publish();
      }),
    );
    this.register(
      watcher.onDidDelete((uri) => {
        if (this.remove(uri)) this.publish();
      }),
    );
    const later = () => this.rescanSoon();
    this.register(vscode.workspace.onDidRenameFiles(later));
    this.register(vscode.workspace.onDidDeleteFiles(later));
    this.register(vscode.workspace.onDidCreateFiles(later));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(later));
    this.register({ dispose: () => clearTimeout(this.rescanTimer) });
    this.scanning = this.scan();
  }

  /** Resolves once the first search is done (tests wait for it). */
  ready(): Promise<void> {
    return this.scanning ?? Promise.resolve();
  }

  /** The folders now known to hold a toc.dat (as file system paths). */
  list(): string[] {
    return [...this.folders.keys()].sort();
  }

  private async scan(): Promise<void> {
    const found = await vscode.workspace.findFiles(TOC_GLOB, undefined, MAX_TOC_FILES);
    if (this.isDisposed) return;
    this.folders.clear();
    for (const uri of found) this.add(uri);
    this.publish();
  }

  private rescanSoon(): void {
    clearTimeout(this.rescanTimer);
    this.rescanTimer = setTimeout(() => {
      this.scanning = this.scan();
    }, 500);
  }

  private add(toc: vscode.Uri): boolean {
    const folder = vscode.Uri.joinPath(toc, '..').fsPath;
    const tocs = this.folders.get(folder) ?? new Set<string>();
    const had = this.folders.has(folder);
    tocs.add(toc.fsPath);
    this.folders.set(folder, tocs);
    return !had;
  }

  private remove(toc: vscode.Uri): boolean {
    const folder = vscode.Uri.joinPath(toc, '..').fsPath;
    const tocs = this.folders.get(folder);
    if (!tocs?.delete(toc.fsPath) || tocs.size > 0) return false;
    this.folders.delete(folder);
    return true;
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
