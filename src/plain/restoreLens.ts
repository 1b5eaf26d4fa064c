import * as vscode from 'vscode';
import { isObjectKind } from '../core/plain/plainOutline';
import type { PlainDocuments } from './plainDocuments';

export const RESTORE_OBJECT_COMMAND = 'pgDumpExplorer.plain.restoreObject';

/** The argument of the lens's command: the dump and the entry, as the editor saw it. */
export interface RestoreObjectArgs {
  uri: string;
  entry: number;
  desc: string;
  namespace: string | null;
  tag: string;
}

/** "Restore this object…" above the header of every object section of a pg_dump script. */
export class PlainRestoreLenses implements vscode.CodeLensProvider {
  constructor(private readonly documents: PlainDocuments) {}

  /** Called by VS Code when the editor shows the document. */
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const doc = this.documents.get(document);
    if (!doc || document.uri.scheme !== 'file') return [];
    const out: vscode.CodeLens[] = [];
    doc.index.entries.forEach((e, i) => {
      if (!isObjectKind(e.desc)) return;
      const args: RestoreObjectArgs = { uri: document.uri.toString(), entry: i, desc: e.desc, namespace: e.namespace, tag: e.tag };
      out.push(new vscode.CodeLens(document.lineAt(doc.index.lines[i]!.header).range, { title: 'Restore this object…', command: RESTORE_OBJECT_COMMAND, arguments: [args], tooltip: `Pick ${e.desc.toLowerCase()} ${e.tag} in the Dumps view and restore it` }));
    });
    return out;
  }
}
