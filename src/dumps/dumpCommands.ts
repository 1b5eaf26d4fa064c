import * as vscode from 'vscode';
import { withArchive } from '../core/archive';
import { formatRestoreList } from '../core/model/listing';
import type { Log } from '../log';
import { OpenCluster, type OpenDump, type OpenDumps } from './openDumps';
import { pickOne } from '../util/quickPick';

/** Something a command was run on: a URI (Explorer), a tree node or editor that knows its dump. */
export type DumpTarget = vscode.Uri | { dumpKey: string } | undefined;

/** Commands on whole dumps: open, close, show the pg_restore -l listing. */
export class DumpCommands {
  constructor(
    private readonly dumps: OpenDumps,
    private readonly log: Log,
  ) {}

  /** The dump a command was run on, or the only open one, or the one the user picks. */
  async resolve(target: unknown): Promise<OpenDump | undefined> {
    if (target instanceof vscode.Uri) return this.dumps.openDump(target);
    const key = (target as { dumpKey?: unknown } | undefined)?.dumpKey;
    if (typeof key === 'string') return this.dumps.get(key);
    const open = this.dumps.list();
    if (open.length === 1) return open[0];
    if (open.length === 0) {
      const uri = await this.askForDump();
      return uri ? this.dumps.openDump(uri) : undefined;
    }
    const picked = await pickOne(
      open.map((d) => ({ label: d.label, description: vscode.workspace.asRelativePath(d.uri), dump: d })),
      { placeHolder: 'Which dump?' },
    );
    return picked?.dump;
  }

  /** Opens dumps chosen in the Explorer (several when several are selected), or asked for. */
  async open(uri: unknown, uris: unknown): Promise<(OpenDump | OpenCluster)[]> {
    const chosen = Array.isArray(uris) && uris.every((u) => u instanceof vscode.Uri) && uris.length > 0 ? (uris as vscode.Uri[]) : uri instanceof vscode.Uri ? [uri] : [];
    if (chosen.length === 0) {
      const asked = await this.askForDump();
      if (asked) chosen.push(asked);
    }
    const out: (OpenDump | OpenCluster)[] = [];
    for (const u of chosen) {
      const opened = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Reading ${vscode.workspace.asRelativePath(u)}` }, () => this.dumps.open(u));
      const dumps = opened instanceof OpenCluster ? opened.databases : [opened];
      for (const d of dumps) this.log.info(`opened ${d.label}: ${d.opened.archive.format === 'plain' ? 'plain SQL dump' : `${d.opened.archive.format} archive`}, ${d.opened.archive.entries.length} entries, ${d.outline.leafCount} objects`);
      if (opened instanceof OpenCluster) this.log.info(`opened ${opened.label}: cluster dump of ${opened.index.roles.length} roles, ${opened.index.tablespaces.length} tablespaces, ${opened.databases.length} databases`);
      out.push(opened);
    }
    return out;
  }

  /** Closes a dump, or a cluster dump with its databases (its root in the tree). */
  async close(target: unknown): Promise<void> {
    const clusterKey = (target as { clusterKey?: unknown } | undefined)?.clusterKey;
    if (typeof clusterKey === 'string') return this.dumps.close(clusterKey);
    const dump = await this.resolve(target);
    if (dump) await this.dumps.close(dump.part ? dump.part.cluster.key : dump.key);
  }

  /** The archive's `pg_restore -l` listing, byte for byte, in an untitled editor. */
  async showListing(target: unknown): Promise<void> {
    const dump = target instanceof vscode.Uri ? undefined : await this.resolve(target);
    const text = dump
      ? formatRestoreList(dump.opened.archive).toString(dump.opened.archive.stringEncoding)
      : await (async () => {
          const uri = target instanceof vscode.Uri ? target : await this.askForDump();
          if (!uri) return undefined;
          return withArchive(uri.fsPath, async (opened) => formatRestoreList(opened.archive).toString(opened.archive.stringEncoding));
        })();
    if (text === undefined) return;
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  private async askForDump(): Promise<vscode.Uri | undefined> {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, canSelectFiles: true, canSelectFolders: true, openLabel: 'Open Dump', title: 'Open a PostgreSQL dump (a file, or the folder of a directory dump)' });
    return picked?.[0];
  }
}
