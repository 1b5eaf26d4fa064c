import * as vscode from 'vscode';
import { LargeDumpOffer } from '../editors/largeDumpOffer';
import { PLAIN_VIEWER, PlainDumpEditorProvider } from '../editors/plainDumpEditor';
import type { PlainDumpIndexes } from '../editors/plainIndexes';
import { PlainSectionDocuments } from '../editors/plainSections';
import type { Services } from '../services';
import { Disposable } from '../util/disposable';
import { PlainDefinitions } from './definitions';
import { PlainDocumentSymbols } from './documentSymbols';
import { PlainFolding } from './folding';
import { PlainHover } from './hover';
import { PlainDocuments } from './plainDocuments';
import { restorePlainObject } from './restoreObject';
import { PlainRestoreLenses, type RestoreObjectArgs } from './restoreLens';
import { PlainWorkspaceSymbols } from './workspaceSymbols';

/**
 * Plain SQL dumps in VS Code: navigation of pg_dump scripts in the text editor (outline,
 * folding, definitions, references, hovers, "Restore this object…" lenses, workspace symbols),
 * and the Large Dump Viewer for dumps too big for the text editor. The commands of the command
 * table call in here.
 */
export class PlainDumps extends Disposable {
  readonly documents = this.register(new PlainDocuments());
  readonly sections = this.register(new PlainSectionDocuments());

  /** `indexes`: shared with the open-dumps registry, which opens plain dumps for the tree with them. */
  constructor(
    private readonly services: Pick<Services, 'context' | 'log' | 'config' | 'dumps'>,
    readonly indexes: PlainDumpIndexes,
  ) {
    super();
    const { context, log, config } = services;
    const selector: vscode.DocumentSelector = { language: 'sql' };
    const definitions = new PlainDefinitions(this.documents);
    this.register(vscode.languages.registerDocumentSymbolProvider(selector, new PlainDocumentSymbols(this.documents), { label: 'pg_dump objects' }));
    this.register(vscode.languages.registerFoldingRangeProvider(selector, new PlainFolding(this.documents)));
    this.register(vscode.languages.registerDefinitionProvider(selector, definitions));
    this.register(vscode.languages.registerReferenceProvider(selector, definitions));
    this.register(vscode.languages.registerHoverProvider(selector, new PlainHover(this.documents)));
    this.register(vscode.languages.registerCodeLensProvider(selector, new PlainRestoreLenses(this.documents)));
    this.register(vscode.languages.registerWorkspaceSymbolProvider(new PlainWorkspaceSymbols(this.documents, this.indexes)));
    this.register(new PlainDumpEditorProvider(context.extensionUri, this.indexes, this.sections, (uri, entry) => this.restoreFromViewer(uri, entry)));
    this.register(new LargeDumpOffer(config, log));
  }

  /** `pgDumpExplorer.plain.openViewer`: the Explorer's or the active editor's dump, in the viewer. */
  async openViewer(target: unknown): Promise<void> {
    const uri = target instanceof vscode.Uri ? target : (vscode.window.activeTextEditor?.document.uri ?? activeTabUri());
    if (!uri || uri.scheme !== 'file') throw new Error('Open in Large Dump Viewer needs a plain SQL dump (.sql, .sql.gz): run it from the Explorer or on an open dump');
    await vscode.commands.executeCommand('vscode.openWith', uri, PLAIN_VIEWER);
  }

  /** `pgDumpExplorer.plain.restoreObject`: the code lens on an object's header. */
  async restoreObject(arg: unknown): Promise<void> {
    const a = arg as Partial<RestoreObjectArgs> | undefined;
    if (!a || typeof a.uri !== 'string' || typeof a.entry !== 'number' || typeof a.desc !== 'string' || typeof a.tag !== 'string') throw new Error('Restore this object… is run from the lens above an object in a pg_dump script');
    const uri = vscode.Uri.parse(a.uri);
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === a.uri);
    if (open?.isDirty) throw new Error(`${vscode.workspace.asRelativePath(uri)} has unsaved changes: save or revert them first, the restore reads the file`);
    await restorePlainObject(this.services.dumps, uri, a.entry, { desc: a.desc, namespace: a.namespace ?? null, tag: a.tag });
  }

  /** `pgDumpExplorer.plain.nextPage`: the next page of rows of a data page document. */
  nextPage(target: unknown): Promise<void> {
    return this.sections.nextPage(target);
  }

  private async restoreFromViewer(uri: vscode.Uri, position: number): Promise<void> {
    const [held] = (await this.indexes.loaded()).filter((l) => l.uri.toString() === uri.toString());
    const e = held?.index.entries[position];
    if (!e) throw new Error(`${vscode.workspace.asRelativePath(uri)} is not indexed`);
    try {
      await restorePlainObject(this.services.dumps, uri, position, e);
    } catch (err) {
      // The webview shows no errors of its own: the one line goes where every command's goes.
      void vscode.window.showErrorMessage(err instanceof Error ? err.message : String(err));
    }
  }
}

function activeTabUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom ? input.uri : undefined;
}
