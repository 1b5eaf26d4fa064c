import * as vscode from 'vscode';
import type { PlainEntry } from '../core/plain/indexer';
import { schemaOfEntry } from '../core/plain/plainOutline';
import type { PlainDumpIndexes } from '../editors/plainIndexes';
import { PlainSectionDocuments } from '../editors/plainSections';
import type { PlainDocuments } from './plainDocuments';
import { symbolKindOf } from './symbolKinds';

/** More than this many matches help nobody: the search asks for a longer query. */
const MAX_SYMBOLS = 2000;

/**
 * "Go to Symbol in Workspace" over the sections of every open pg_dump script and of every dump
 * open in the Large Dump Viewer (those lead to the section's read-only document).
 */
export class PlainWorkspaceSymbols implements vscode.WorkspaceSymbolProvider {
  constructor(
    private readonly documents: PlainDocuments,
    private readonly indexes: PlainDumpIndexes,
  ) {}

  /** Called by VS Code as the user types in the symbol search (Ctrl-T). */
  async provideWorkspaceSymbols(query: string): Promise<vscode.SymbolInformation[]> {
    const matches = matcher(query);
    const out: vscode.SymbolInformation[] = [];
    for (const doc of this.documents.all()) {
      doc.index.entries.forEach((e, i) => {
        if (out.length >= MAX_SYMBOLS || !matches(e)) return;
        const l = doc.index.lines[i]!;
        out.push(new vscode.SymbolInformation(e.tag, symbolKindOf(e.desc), container(e), new vscode.Location(doc.document.uri, new vscode.Range(l.header, 0, l.last, 0))));
      });
    }
    const shown = new Set(this.documents.all().map((d) => d.document.uri.toString()));
    for (const { uri, index } of await this.indexes.loaded()) {
      if (shown.has(uri.toString())) continue;
      for (const e of index.entries) {
        if (out.length >= MAX_SYMBOLS) break;
        if (matches(e)) out.push(new vscode.SymbolInformation(e.tag, symbolKindOf(e.desc), container(e), new vscode.Location(PlainSectionDocuments.uri(index.path, index.compression, e), new vscode.Position(0, 0))));
      }
    }
    return out;
  }
}

function container(e: PlainEntry): string {
  const schema = schemaOfEntry(e);
  return schema ? `${schema} · ${e.desc}` : e.desc;
}

/** Entries whose name holds the query's characters in order, case-insensitively (as VS Code matches). */
function matcher(query: string): (e: PlainEntry) => boolean {
  const q = query.toLowerCase().replace(/\s+/g, '');
  if (q === '') return () => true;
  return (e) => {
    const name = e.tag.toLowerCase();
    let at = 0;
    for (const ch of q) {
      at = name.indexOf(ch, at);
      if (at < 0) return false;
      at++;
    }
    return true;
  };
}
