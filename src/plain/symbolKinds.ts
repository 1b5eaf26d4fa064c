import * as vscode from 'vscode';

/** The icon (symbol kind) the Outline, breadcrumbs and symbol search show for a kind of section. */
const KINDS: Record<string, vscode.SymbolKind> = {
  SCHEMA: vscode.SymbolKind.Namespace,
  TABLE: vscode.SymbolKind.Class,
  'FOREIGN TABLE': vscode.SymbolKind.Class,
  VIEW: vscode.SymbolKind.Interface,
  'MATERIALIZED VIEW': vscode.SymbolKind.Interface,
  SEQUENCE: vscode.SymbolKind.Number,
  'SEQUENCE SET': vscode.SymbolKind.Number,
  'SEQUENCE OWNED BY': vscode.SymbolKind.Number,
  FUNCTION: vscode.SymbolKind.Function,
  PROCEDURE: vscode.SymbolKind.Function,
  AGGREGATE: vscode.SymbolKind.Function,
  TYPE: vscode.SymbolKind.TypeParameter,
  DOMAIN: vscode.SymbolKind.TypeParameter,
  'TABLE DATA': vscode.SymbolKind.Array,
  'MATERIALIZED VIEW DATA': vscode.SymbolKind.Array,
  BLOBS: vscode.SymbolKind.File,
  'BLOB METADATA': vscode.SymbolKind.File,
  INDEX: vscode.SymbolKind.Key,
  CONSTRAINT: vscode.SymbolKind.Key,
  'FK CONSTRAINT': vscode.SymbolKind.Key,
  DEFAULT: vscode.SymbolKind.Constant,
  TRIGGER: vscode.SymbolKind.Event,
  'EVENT TRIGGER': vscode.SymbolKind.Event,
  POLICY: vscode.SymbolKind.Property,
  'ROW SECURITY': vscode.SymbolKind.Property,
  ACL: vscode.SymbolKind.Property,
  COMMENT: vscode.SymbolKind.String,
  EXTENSION: vscode.SymbolKind.Package,
  'TABLE ATTACH': vscode.SymbolKind.Operator,
};

export function symbolKindOf(desc: string): vscode.SymbolKind {
  return KINDS[desc] ?? vscode.SymbolKind.Object;
}
