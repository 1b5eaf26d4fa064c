import * as path from 'node:path';
import * as vscode from 'vscode';
import { openArchive, type OpenedArchive } from '../core/archive';
import { directoryOfToc } from '../core/formats/detect';
import { DumpOutline, OutlineFilter } from '../core/model/outline';
import { Picks } from '../core/plan/picks';
import { setContext } from '../util/contextKeys';
import { Disposable } from '../util/disposable';

/**
 * The dumps open in the extension: each read once (its TOC, the outline of its objects) and kept
 * open until closed, with what the user has picked in it. The tree, the editors and the restore
 * flow all look at the same OpenDump.
 */
export class OpenDump {
  /** What the tree shows with a filter on; undefined: everything. */
  filter: OutlineFilter | undefined;
  readonly picks: Picks;

  constructor(
    readonly uri: vscode.Uri,
    readonly opened: OpenedArchive,
    readonly outline: DumpOutline,
  ) {
    this.picks = new Picks(outline);
  }

  /** Unique among open dumps: the dump's URI. */
  get key(): string {
    return this.uri.toString();
  }

  /** The file or folder name. */
  get label(): string {
    return path.basename(this.uri.fsPath);
  }
}

/** Where the dump at `uri` is: the folder of a directory dump for its toc.dat, else `uri` itself. */
export function dumpLocation(uri: vscode.Uri): vscode.Uri {
  const folder = uri.scheme === 'file' ? directoryOfToc(uri.fsPath) : undefined;
  return folder ? vscode.Uri.file(folder) : uri;
}

export class OpenDumps extends Disposable {
  private readonly dumps = new Map<string, OpenDump>();
  private readonly opening = new Map<string, Promise<OpenDump>>();
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  private readonly picksChanged = this.register(new vscode.EventEmitter<OpenDump>());

  /** A dump was opened or closed. */
  readonly onDidChange = this.changed.event;
  /** What is picked in a dump changed (or its filter). */
  readonly onDidChangePicks = this.picksChanged.event;

  list(): OpenDump[] {
    return [...this.dumps.values()];
  }

  get(key: string): OpenDump | undefined {
    return this.dumps.get(key);
  }

  /**
   * Opens a dump (or returns it, when it is open already). A directory dump's toc.dat opens its
   * folder. Errors are one-line DumpErrors.
   */
  open(target: vscode.Uri): Promise<OpenDump> {
    const uri = dumpLocation(target);
    const key = uri.toString();
    const known = this.dumps.get(key);
    if (known) return Promise.resolve(known);
    let pending = this.opening.get(key);
    if (!pending) {
      pending = (async () => {
        const opened = await openArchive(uri.fsPath);
        try {
          const dump = new OpenDump(uri, opened, new DumpOutline(opened.archive));
          this.dumps.set(key, dump);
          this.update();
          return dump;
        } catch (err) {
          await opened.close();
          throw err;
        }
      })().finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  async close(key: string): Promise<void> {
    const dump = this.dumps.get(key);
    if (!dump) return;
    this.dumps.delete(key);
    this.update();
    await dump.opened.close();
  }

  /** Tell everyone who shows a dump's picks (or filter) that they changed. */
  picksDidChange(dump: OpenDump): void {
    setContext('pgDumpExplorer.hasPicks', this.list().some((d) => d.picks.count > 0));
    this.picksChanged.fire(dump);
  }

  private update(): void {
    setContext('pgDumpExplorer.hasOpenDumps', this.dumps.size > 0);
    this.changed.fire();
  }

  override dispose(): void {
    for (const dump of this.dumps.values()) void dump.opened.close();
    this.dumps.clear();
    super.dispose();
  }
}
