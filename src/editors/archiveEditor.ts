import * as path from 'node:path';
import * as vscode from 'vscode';
import { openProblem, type OpenProblem } from '../core/errorAdvice';
import { TOC_NAMES, detectDump } from '../core/formats/detect';
import { EntryRows } from '../core/model/entryRows';
import { listedFlags } from '../core/model/listing';
import { summarizeArchive, type ArchiveSummary } from '../core/model/summary';
import { archiveWarnings, type ArchiveWarning } from '../core/tools/archiveWarnings';
import { findToolCandidates } from '../core/tools/findTools';
import type { Config } from '../config';
import type { DumpCommands } from '../dumps/dumpCommands';
import { dumpLocation, type OpenDump, type OpenDumps } from '../dumps/openDumps';
import type { Log } from '../log';
import type { ArchiveSummaryProtocol, SummaryAction, SummaryView } from '../protocol/archiveSummary';
import { Disposable } from '../util/disposable';
import { WebviewChannel, webviewHtml, webviewOptions } from '../webviews/webviewHost';

/** The custom editor package.json contributes for `*.dump`, `*.backup` and `toc.dat`. */
export const ARCHIVE_VIEW_TYPE = 'pgDumpExplorer.archive';

/** What an archive editor shows; the extension-host tests read it through `ArchiveEditorProvider.stateOf`. */
export type ArchiveEditorState =
  | { status: 'archive'; dumpKey: string; summary: ArchiveSummary; rows: EntryRows }
  | { status: 'error'; problem: OpenProblem };

/**
 * The document of an archive editor: the file the editor was opened on (a `.dump`, a `.tar`, a
 * directory dump's `toc.dat`) and the dump it shows, opened through the shared registry.
 */
export class ArchiveDocument implements vscode.CustomDocument {
  /** How many times the webview asked what to show: tests wait for it, to know the page was drawn. */
  viewsServed = 0;
  private warnings: Promise<ArchiveWarning[]> | undefined;

  constructor(
    readonly uri: vscode.Uri,
    /** The dump's location: the file, or the folder of a directory dump. */
    readonly dumpUri: vscode.Uri,
    readonly state: ArchiveEditorState,
    /** The registry and the dump's key (none when it could not be opened): the document keeps no closed dump alive. */
    private readonly source: { dumps: OpenDumps; key: string; uri: vscode.Uri } | undefined,
  ) {}

  /** The document's dump while it is open in the registry (closed from the Dumps view: undefined). */
  get dump(): OpenDump | undefined {
    return this.source?.dumps.get(this.source.key);
  }

  /** The document's dump, opened again in the registry if it was closed meanwhile. */
  reopened(): Promise<OpenDump | undefined> {
    return this.source ? this.source.dumps.openDump(this.source.uri) : Promise.resolve(undefined);
  }

  /**
   * Found once per document (and again when a setting changes or the workspace becomes trusted):
   * the tool probes start processes, which an untrusted workspace does not.
   */
  warningsFor(config: Config): Promise<ArchiveWarning[]> {
    if (!this.warnings) {
      const dump = this.dump;
      // Closed from the Dumps view meanwhile: the warnings are found again once it is reopened.
      if (!dump) return Promise.resolve([]);
      else if (!vscode.workspace.isTrusted) this.warnings = Promise.resolve(archiveWarnings({ archive: dump.opened.archive, pgRestore: [], toolsChecked: false }));
      else this.warnings = findToolCandidates('pg_restore', { configuredPath: config.pgRestorePath }).then((pgRestore) => archiveWarnings({ archive: dump.opened.archive, pgRestore }));
    }
    return this.warnings;
  }

  forgetWarnings(): void {
    this.warnings = undefined;
  }

  /** Nothing to release: the dump stays open in the registry (the Dumps view closes it). */
  dispose(): void {}
}

export interface ArchiveEditorDeps {
  extensionUri: vscode.Uri;
  dumps: OpenDumps;
  dumpCommands: DumpCommands;
  config: Config;
  log: Log;
}

/**
 * The read-only archive summary editor: the archive's header facts, the warnings that matter on
 * this machine, and a searchable table of every TOC entry. The rows stay here; the webview asks
 * for the ones it shows.
 */
export class ArchiveEditorProvider extends Disposable implements vscode.CustomReadonlyEditorProvider<ArchiveDocument> {
  private readonly documents = new Map<string, ArchiveDocument>();

  constructor(private readonly deps: ArchiveEditorDeps) {
    super();
    this.register(
      vscode.window.registerCustomEditorProvider(ARCHIVE_VIEW_TYPE, this, {
        supportsMultipleEditorsPerDocument: false,
      }),
    );
  }

  /** For tests and commands: what the archive editor of `uri` shows, if one is open. */
  stateOf(uri: vscode.Uri): ArchiveEditorState | undefined {
    return this.documents.get(uri.toString())?.state;
  }

  /** For tests: how many times the editor of `uri` has been asked what to show (once per page load). */
  viewsServed(uri: vscode.Uri): number {
    return this.documents.get(uri.toString())?.viewsServed ?? 0;
  }

  /** For tests: the warnings the editor of `uri` shows (found again after a setting changed). */
  warningsOf(uri: vscode.Uri): Promise<ArchiveWarning[]> | undefined {
    return this.documents.get(uri.toString())?.warningsFor(this.deps.config);
  }

  /** Called by VS Code when an editor of this type opens a file: reads the dump once, through the registry. */
  async openCustomDocument(uri: vscode.Uri): Promise<ArchiveDocument> {
    const dumpUri = dumpLocation(uri);
    let doc: ArchiveDocument;
    try {
      const dump = await this.deps.dumps.openDump(dumpUri);
      const archive = dump.opened.archive;
      const listed = listedFlags(archive);
      doc = new ArchiveDocument(uri, dumpUri, { status: 'archive', dumpKey: dump.key, summary: summarizeArchive(archive, listed), rows: new EntryRows(archive, listed) }, { dumps: this.deps.dumps, key: dump.key, uri: dump.uri });
    } catch (err) {
      const problem = openProblem(err);
      this.deps.log.warn(`archive editor: ${uri.fsPath}: ${problem.message}`);
      doc = new ArchiveDocument(uri, dumpUri, { status: 'error', problem }, undefined);
    }
    this.documents.set(uri.toString(), doc);
    return doc;
  }

  /** Called by VS Code to show a document in a (new or restored) webview panel. */
  resolveCustomEditor(document: ArchiveDocument, panel: vscode.WebviewPanel): void {
    const { extensionUri, config } = this.deps;
    const webview = panel.webview;
    webview.options = webviewOptions(extensionUri);
    webview.html = webviewHtml(webview, extensionUri, { script: 'archiveSummary', title: path.basename(document.dumpUri.fsPath) });

    const state = document.state;
    const channel = new WebviewChannel<ArchiveSummaryProtocol>(
      webview,
      {
        view: () => {
          document.viewsServed++;
          return this.view(document);
        },
        warnings: () => document.warningsFor(config),
        rows: (request) => {
          if (state.status !== 'archive') return { total: 0, offset: 0, rows: [] };
          return state.rows.page(request);
        },
      },
      {
        reveal: ({ dumpId }) => void this.reveal(document, dumpId),
        action: ({ action }) => void this.runAction(document, action),
      },
    );
    const refresh = () => {
      document.forgetWarnings();
      void document.warningsFor(config).then((w) => channel.notify('warnings', w));
    };
    const onConfig = config.onDidChange(refresh);
    const onTrust = vscode.workspace.onDidGrantWorkspaceTrust(refresh);
    panel.onDidDispose(() => {
      onConfig.dispose();
      onTrust.dispose();
      channel.dispose();
      if (this.documents.get(document.uri.toString()) === document) this.documents.delete(document.uri.toString());
    });
  }

  /**
   * `pgDumpExplorer.dumps.showSummary`: the summary of a dump given as a URI (a file, a directory
   * dump's folder or its toc.dat), a tree node `{ dumpKey }`, or the open dump (asked for when
   * there are several).
   */
  async showSummary(target: unknown): Promise<void> {
    const uri = target instanceof vscode.Uri ? target : (await this.deps.dumpCommands.resolve(target))?.uri;
    if (!uri) return;
    await vscode.commands.executeCommand('vscode.openWith', await editorUriFor(uri), ARCHIVE_VIEW_TYPE);
  }

  private view(document: ArchiveDocument): SummaryView {
    const title = path.basename(document.dumpUri.fsPath);
    const where = document.dumpUri.fsPath;
    const state = document.state;
    return state.status === 'archive' ? { kind: 'archive', title, path: where, summary: state.summary } : { kind: 'error', title, path: where, problem: state.problem };
  }

  /** The dump of the document, open in the registry again if it was closed from the Dumps view meanwhile. */
  private async reopened(document: ArchiveDocument): Promise<OpenDump | undefined> {
    return document.reopened();
  }

  private async reveal(document: ArchiveDocument, dumpId: number): Promise<void> {
    const dump = await this.reopened(document).catch(() => undefined);
    if (!dump) return;
    await this.tryCommand('pgDumpExplorer.entry.reveal', { dumpKey: dump.key, dumpId });
  }

  private async runAction(document: ArchiveDocument, action: SummaryAction): Promise<void> {
    try {
      if (action === 'reopenAsText') {
        await vscode.commands.executeCommand('vscode.openWith', document.uri, 'default');
        return;
      }
      const dump = await this.reopened(document);
      if (!dump) return;
      const target = { dumpKey: dump.key };
      switch (action) {
        case 'showInDumps':
          // The view first (it exists whether or not the tree can reveal a dump yet), then the dump's node.
          await this.tryCommand('pgDumpExplorer.dumps.focus');
          await this.tryCommand('pgDumpExplorer.entry.reveal', target);
          return;
        case 'showListing':
          await this.tryCommand('pgDumpExplorer.dumps.showListing', target);
          return;
        case 'restore':
          await this.tryCommand('pgDumpExplorer.restore.selected', target);
          return;
      }
    } catch (err) {
      this.deps.log.error(`archive editor: ${action}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Runs a command that another part of the extension provides. One that is not registered (yet),
   * or fails, is a line in the log, never an error thrown into the webview's message handler.
   */
  private async tryCommand(id: string, ...args: unknown[]): Promise<void> {
    try {
      await vscode.commands.executeCommand(id, ...args);
    } catch (err) {
      this.deps.log.warn(`archive editor: ${id} could not run: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** What the archive editor opens for a dump: a directory dump's toc.dat (the editor opens files), else the file itself. */
async function editorUriFor(uri: vscode.Uri): Promise<vscode.Uri> {
  const stat = await vscode.workspace.fs.stat(uri);
  if ((stat.type & vscode.FileType.Directory) === 0) return uri;
  for (const name of TOC_NAMES) {
    const toc = vscode.Uri.joinPath(uri, name);
    const found = await vscode.workspace.fs.stat(toc).then(
      (s) => (s.type & vscode.FileType.File) !== 0,
      () => false,
    );
    if (found) return toc;
  }
  // Not a directory dump: detection says why in one line (and notices a dump one folder down).
  await detectDump(uri.fsPath);
  throw new Error(`${path.basename(uri.fsPath)} holds no toc.dat: it is not a directory dump`);
}
