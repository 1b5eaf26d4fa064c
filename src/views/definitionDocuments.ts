import * as vscode from 'vscode';
import { definitionText } from '../core/model/definitionText';
import { nodeSelection } from '../core/model/nodeSelection';
import type { OutlineNode } from '../core/model/outline';
import type { OpenDump, OpenDumps } from '../dumps/openDumps';

/**
 * Read-only SQL documents of what restoring a node runs (Preview Definition), on a scheme of
 * their own: `pgdx-definition:/sales.order.sql?dump=…&node=…&entry=…`. The text is made from the
 * open dump when VS Code asks for it; nothing is written anywhere.
 */
export const DEFINITION_SCHEME = 'pgdx-definition';

export class DefinitionDocuments implements vscode.TextDocumentContentProvider {
  constructor(private readonly dumps: OpenDumps) {}

  /** The document's URI for a node. */
  static uriOf(dump: OpenDump, node: OutlineNode): vscode.Uri {
    const name = `${node.schema && node.kind !== 'schema' ? `${node.schema}.` : ''}${node.label}`.replace(/[/\\]/g, '_');
    const query = new URLSearchParams({ dump: dump.key, node: node.id, ...(node.dumpId !== undefined ? { entry: String(node.dumpId) } : {}) });
    return vscode.Uri.from({ scheme: DEFINITION_SCHEME, path: `/${name}.sql`, query: query.toString() });
  }

  /** Called by VS Code when a document of the scheme is opened. */
  provideTextDocumentContent(uri: vscode.Uri): string {
    const query = new URLSearchParams(uri.query);
    const dump = this.dumps.get(query.get('dump') ?? '');
    if (!dump) return `-- The dump of this preview is no longer open: open it again in PG Dump Explorer.\n`;
    const entry = query.get('entry');
    const node = dump.outline.node(query.get('node') ?? '') ?? (entry ? dump.outline.nodeOfEntry(Number(entry)) : undefined);
    if (!node) return `-- ${dump.label} has no such object.\n`;
    const what = node.kind === 'part' ? `${(node.desc ?? '').toLowerCase()} ${node.label}` : node.kind === 'object' ? `${(node.desc ?? '').toLowerCase()} ${node.schema ? `${node.schema}.` : ''}${node.label}` : `${node.kind} ${node.label}`;
    // A schema's definition is its own entry (and its comment, privileges), not all it holds.
    const selection = node.kind === 'schema' && node.dumpId !== undefined ? { objects: [node.dumpId] } : nodeSelection(dump.outline, node);
    return definitionText(dump.opened.archive, selection, `${what} in ${dump.label}`);
  }
}
