import * as vscode from 'vscode';
import { plainOutline, type PlainOutlineNode } from '../core/plain/plainOutline';
import type { PlainDocuments } from './plainDocuments';
import { symbolKindOf } from './symbolKinds';

/**
 * The Outline and breadcrumbs of a pg_dump script: schema → kind → object (core plainOutline),
 * each object's range its whole section, its selection the header line, and each schema's or
 * kind's range from its first section to its last.
 */
export class PlainDocumentSymbols implements vscode.DocumentSymbolProvider {
  constructor(private readonly documents: PlainDocuments) {}

  /** Called by VS Code for the Outline view, breadcrumbs and "Go to Symbol in Editor". */
  provideDocumentSymbols(document: vscode.TextDocument): vscode.DocumentSymbol[] {
    const doc = this.documents.get(document);
    if (!doc) return [];
    const { entries, lines } = doc.index;
    const toSymbol = (node: PlainOutlineNode): vscode.DocumentSymbol => {
      if (node.entry !== undefined) {
        const e = entries[node.entry]!;
        const l = lines[node.entry]!;
        const range = new vscode.Range(l.start, 0, l.last, document.lineAt(l.last).text.length);
        const header = document.lineAt(l.header).range;
        const rows = e.rows !== undefined ? ` · ${e.rows} rows` : '';
        return new vscode.DocumentSymbol(node.label, `${e.desc}${rows}`, symbolKindOf(e.desc), range, header);
      }
      const children = node.children.map(toSymbol);
      const start = children.reduce((a, c) => (c.range.start.isBefore(a) ? c.range.start : a), children[0]!.range.start);
      const end = children.reduce((a, c) => (c.range.end.isAfter(a) ? c.range.end : a), children[0]!.range.end);
      const first = children.reduce((a, c) => (c.range.start.isBefore(a.range.start) ? c : a), children[0]!);
      const kind = node.kind === 'schema' ? vscode.SymbolKind.Namespace : vscode.SymbolKind.Module;
      const symbol = new vscode.DocumentSymbol(node.label, node.kind === 'schema' ? 'schema' : `${children.length}`, kind, new vscode.Range(start, end), first.selectionRange);
      symbol.children = children;
      return symbol;
    };
    return plainOutline(entries).map(toSymbol);
  }
}
