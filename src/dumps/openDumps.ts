import * as path from 'node:path';
import * as vscode from 'vscode';
import { openArchive, openPlainDump, type OpenedArchive } from '../core/archive';
import { isClusterFolder, readClusterFolder, type ClusterFolder } from '../core/dump/clusterFolder';
import { detectDump, directoryOfToc } from '../core/formats/detect';
import { readClusterDump, type ClusterIndex, type IndexedCluster } from '../core/plain/clusterDump';
import type { PlainIndex } from '../core/plain/indexer';
import { DumpOutline, OutlineFilter } from '../core/model/outline';
import { Picks } from '../core/plan/picks';
import { setContext } from '../util/contextKeys';
import { Disposable } from '../util/disposable';
import { DumpError } from '../core/errors';

/**
 * The dumps open in the extension: each read once (its TOC or plain-dump index, the outline of
 * its objects) and kept open until closed, with what the user has picked in it. The tree, the
 * editors and the restore flow all look at the same OpenDump. A pg_dumpall script is an
 * OpenCluster: its globals, and one OpenDump per database in it; so is a cluster folder
 * (dump-cluster), whose globals.sql is a pg_dumpall script and whose databases are its archives.
 */
export class OpenDump {
  /** What the tree shows with a filter on; undefined: everything. */
  filter: OutlineFilter | undefined;
  readonly picks: Picks;

  constructor(
    readonly uri: vscode.Uri,
    readonly opened: OpenedArchive,
    readonly outline: DumpOutline,
    /** The pg_dumpall script (or cluster folder) this dump is a database of. */
    readonly part?: { cluster: OpenCluster; database: string },
  ) {
    this.picks = new Picks(outline);
  }

  /** Unique among open dumps: the dump's URI (and, in a cluster dump, the database's name). */
  get key(): string {
    return this.part ? `${this.uri.toString()}#database=${encodeURIComponent(this.part.database)}` : this.uri.toString();
  }

  /** The file or folder name (`cluster.sql · rich` for a database of a cluster dump). */
  get label(): string {
    return this.part ? `${this.part.cluster.label} · ${this.part.database}` : path.basename(this.uri.fsPath);
  }

  /**
   * What a command returning the dump hands back to VS Code's UI (a menu or the palette): VS Code
   * sends the reply as JSON, and the whole dump (its TOC's bytes as arrays of numbers, its
   * outline) made some 800 MB of garbage per opening of a 90,000-entry archive.
   */
  toJSON(): { key: string; label: string } {
    return { key: this.key, label: this.label };
  }
}

/**
 * A pg_dumpall script, or a cluster folder: its globals (roles, tablespaces; a folder's
 * globals.sql) and its databases, each an OpenDump.
 */
export class OpenCluster {
  readonly databases: OpenDump[] = [];

  constructor(
    readonly uri: vscode.Uri,
    readonly index: ClusterIndex,
    /** A cluster folder's manifest and parts; undefined for a pg_dumpall script. */
    readonly folder?: ClusterFolder,
  ) {}

  /** What a command returning the cluster dump hands back to VS Code's UI: its key and label, not its databases (see OpenDump.toJSON). */
  toJSON(): { key: string; label: string; databases: { key: string; label: string }[] } {
    return { key: this.key, label: this.label, databases: this.databases.map((d) => d.toJSON()) };
  }

  get key(): string {
    return this.uri.toString();
  }

  get label(): string {
    return path.basename(this.uri.fsPath);
  }
}

/** Where plain dumps' indexes come from (a worker thread and a cache), held while a dump is open. */
export interface PlainIndexSource {
  acquire(uri: vscode.Uri): Promise<{ index: PlainIndex }>;
  release(uri: vscode.Uri): void;
  /** A pg_dumpall script's parts and its databases' indexes. */
  indexCluster(uri: vscode.Uri): Promise<IndexedCluster>;
}

/** Where the dump at `uri` is: the folder of a directory dump for its toc.dat, else `uri` itself. */
export function dumpLocation(uri: vscode.Uri): vscode.Uri {
  const folder = uri.scheme === 'file' ? directoryOfToc(uri.fsPath) : undefined;
  return folder ? vscode.Uri.file(folder) : uri;
}

export class OpenDumps extends Disposable {
  private readonly dumps = new Map<string, OpenDump>();
  private readonly clusters = new Map<string, OpenCluster>();
  private readonly opening = new Map<string, Promise<OpenDump | OpenCluster>>();
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  private readonly picksChanged = this.register(new vscode.EventEmitter<OpenDump>());

  /** A dump was opened or closed. */
  readonly onDidChange = this.changed.event;
  /** What is picked in a dump changed (or its filter). */
  readonly onDidChangePicks = this.picksChanged.event;

  constructor(private readonly plainIndexes: PlainIndexSource) {
    super();
  }

  /** Every open dump of one database, the databases of cluster dumps included. */
  list(): OpenDump[] {
    return [...this.dumps.values()];
  }

  /** What the Dumps view shows at its top level: dumps of one database and cluster dumps, in the order opened. */
  roots(): (OpenDump | OpenCluster)[] {
    const out: (OpenDump | OpenCluster)[] = [];
    for (const d of this.dumps.values()) {
      if (!d.part) out.push(d);
      else if (!out.includes(d.part.cluster)) out.push(d.part.cluster);
    }
    for (const c of this.clusters.values()) if (!out.includes(c)) out.push(c);
    return out;
  }

  get(key: string): OpenDump | undefined {
    return this.dumps.get(key);
  }

  getCluster(key: string): OpenCluster | undefined {
    return this.clusters.get(key);
  }

  /**
   * Opens a dump (or returns it, when it is open already): an archive, a plain SQL dump (its
   * index made in a worker thread, or read from the cache), a pg_dumpall script or a cluster
   * folder (an OpenCluster, with its databases opened). A directory dump's toc.dat opens its folder.
   * Errors are one-line DumpErrors.
   */
  open(target: vscode.Uri): Promise<OpenDump | OpenCluster> {
    const uri = dumpLocation(target);
    const key = uri.toString();
    const known = this.dumps.get(key) ?? this.clusters.get(key) ?? this.archiveOfOpenFolder(key);
    if (known) return Promise.resolve(known);
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.read(uri).finally(() => this.opening.delete(key));
      this.opening.set(key, pending);
    }
    return pending;
  }

  /** An archive of an open cluster folder (its summary opens the same dump, not a second one). */
  private archiveOfOpenFolder(key: string): OpenDump | undefined {
    for (const d of this.dumps.values()) if (d.part?.cluster.folder && d.uri.toString() === key) return d;
    return undefined;
  }

  /** Opens a dump of one database; a cluster dump is a one-line error saying which of its databases to open. */
  async openDump(target: vscode.Uri): Promise<OpenDump> {
    const opened = await this.open(target);
    if (opened instanceof OpenDump) return opened;
    const names = opened.databases.map((d) => d.part!.database);
    const what = opened.folder ? 'a cluster folder' : 'a cluster dump made by pg_dumpall';
    throw new DumpError('cluster-dump', `${opened.label} is ${what}${names.length > 0 ? ` holding the databases ${names.join(', ')}` : ' (roles and tablespaces only)'}: pick what to restore under one of its databases in the Dumps view`);
  }

  private async read(uri: vscode.Uri): Promise<OpenDump | OpenCluster> {
    const file = uri.fsPath;
    if (await isClusterFolder(file)) return this.readClusterFolder(uri);
    const detected = await detectDump(file);
    if (detected.kind === 'cluster' || detected.kind === 'globals') return this.readCluster(uri);
    if (detected.kind !== 'plain') return this.add(uri, await openArchive(file));
    const { index } = await this.plainIndexes.acquire(uri);
    try {
      return this.add(uri, await openPlainDump(file, { index }));
    } catch (err) {
      this.plainIndexes.release(uri);
      throw err;
    }
  }

  private async readCluster(uri: vscode.Uri): Promise<OpenCluster> {
    const indexed = await this.plainIndexes.indexCluster(uri);
    const cluster = new OpenCluster(uri, indexed.cluster);
    try {
      for (const [i, { database }] of indexed.cluster.databases.entries()) {
        const opened = await openPlainDump(uri.fsPath, { index: indexed.databases[i]! });
        cluster.databases.push(new OpenDump(uri, opened, new DumpOutline(opened.archive), { cluster, database }));
      }
    } catch (err) {
      for (const d of cluster.databases) await d.opened.close();
      throw err;
    }
    return this.addCluster(cluster);
  }

  /** A cluster folder: its globals.sql read as the pg_dumpall script it is, each database its archive. */
  private async readClusterFolder(uri: vscode.Uri): Promise<OpenCluster> {
    const folder = await readClusterFolder(uri.fsPath);
    const cluster = new OpenCluster(uri, await readClusterDump(folder.globalsPath), folder);
    try {
      for (const d of folder.databases) {
        const opened = await openArchive(d.path);
        cluster.databases.push(new OpenDump(vscode.Uri.file(d.path), opened, new DumpOutline(opened.archive), { cluster, database: d.name }));
      }
    } catch (err) {
      for (const d of cluster.databases) await d.opened.close();
      throw err;
    }
    return this.addCluster(cluster);
  }

  private addCluster(cluster: OpenCluster): OpenCluster {
    this.clusters.set(cluster.key, cluster);
    for (const d of cluster.databases) this.dumps.set(d.key, d);
    this.update();
    return cluster;
  }

  /** A dump of one database, opened: its outline made, and it is listed. */
  private add(uri: vscode.Uri, opened: OpenedArchive): OpenDump {
    try {
      const dump = new OpenDump(uri, opened, new DumpOutline(opened.archive));
      this.dumps.set(dump.key, dump);
      this.update();
      return dump;
    } catch (err) {
      void opened.close();
      throw err;
    }
  }

  /** Closes a dump, or a cluster dump with all its databases. */
  async close(key: string): Promise<void> {
    const cluster = this.clusters.get(key);
    const closing = cluster ? cluster.databases : [this.dumps.get(key)].filter((d): d is OpenDump => d !== undefined);
    if (closing.length === 0 && !cluster) return;
    if (cluster) this.clusters.delete(key);
    for (const d of closing) this.dumps.delete(d.key);
    this.update();
    for (const d of closing) {
      await d.opened.close();
      if (!d.part && d.opened.archive.format === 'plain') this.plainIndexes.release(d.uri);
    }
  }

  /** Tell everyone who shows a dump's picks (or filter) that they changed. */
  picksDidChange(dump: OpenDump): void {
    setContext('pgDumpExplorer.hasPicks', this.list().some((d) => d.picks.count > 0));
    this.picksChanged.fire(dump);
  }

  private update(): void {
    setContext('pgDumpExplorer.hasOpenDumps', this.dumps.size + this.clusters.size > 0);
    this.changed.fire();
  }

  override dispose(): void {
    for (const dump of this.dumps.values()) void dump.opened.close();
    this.dumps.clear();
    this.clusters.clear();
    super.dispose();
  }
}
