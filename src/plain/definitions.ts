import * as vscode from 'vscode';
import type { PlainDocument, PlainDocuments } from './plainDocuments';

/**
 * Go to Definition and Find All References for the schema-qualified names of a pg_dump script
 * (`REFERENCES sales.customer`, `CREATE INDEX … ON sales."order"`, a view's FROM, `OWNED BY` …):
 * the definition is the statement that creates the object (its `CREATE`, at the first line of
 * SQL of its section); the references are every resolved use of it.
 */
export class PlainDefinitions implements vscode.DefinitionProvider, vscode.ReferenceProvider {
  constructor(private readonly documents: PlainDocuments) {}

  /** Called by VS Code on F12 / Ctrl-click. */
  provideDefinition(document: vscode.TextDocument, position: vscode.Position): vscode.Location[] {
    const doc = this.documents.get(document);
    const use = doc?.useAt(position);
    if (!doc || !use) return [];
    return [definitionOf(doc, use.target)];
  }

  /** Called by VS Code on Shift-F12 / "Find All References". */
  provideReferences(document: vscode.TextDocument, position: vscode.Position, context: vscode.ReferenceContext): vscode.Location[] {
    const doc = this.documents.get(document);
    const use = doc?.useAt(position);
    if (!doc || !use) return [];
    return doc
      .uses()
      .filter((u) => u.target === use.target && (context.includeDeclaration || !(u.kind === 'create' && u.section === u.target)))
      .map((u) => new vscode.Location(document.uri, u.range));
  }
}

/** Where entry `target` is created: its name in its CREATE statement, or the statement's first line. */
export function definitionOf(doc: PlainDocument, target: number): vscode.Location {
  const uri = doc.document.uri;
  const own = doc.uses().find((u) => u.section === target && u.target === target && u.kind === 'create');
  if (own) return new vscode.Location(uri, own.range);
  const line = doc.index.lines[target]!.statement;
  return new vscode.Location(uri, doc.document.lineAt(line).range);
}
