import * as vscode from 'vscode';
import type { PlainDocuments } from './plainDocuments';

/**
 * Folding of a pg_dump script: every object section (from its header line, which stays in view,
 * to its last line) and every COPY data block (from the COPY line to `\.`).
 */
export class PlainFolding implements vscode.FoldingRangeProvider {
  constructor(private readonly documents: PlainDocuments) {}

  /** Called by VS Code when the document is opened or changed. */
  provideFoldingRanges(document: vscode.TextDocument): vscode.FoldingRange[] {
    const doc = this.documents.get(document);
    if (!doc) return [];
    const out: vscode.FoldingRange[] = [];
    for (const l of doc.index.lines) if (l.last > l.header) out.push(new vscode.FoldingRange(l.header, l.last, vscode.FoldingRangeKind.Region));
    for (const b of doc.index.copyBlocks) if (b.end > b.start) out.push(new vscode.FoldingRange(b.start, b.end));
    return out;
  }
}
