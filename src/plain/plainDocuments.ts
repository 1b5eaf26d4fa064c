import * as vscode from 'vscode';
import { plainHeaderKind } from '../core/plain/header';
import { namesUsedIn, NameResolver, type UseKind } from '../core/plain/references';
import { indexPlainText, type PlainTextIndex } from '../core/plain/textIndex';
import { Disposable } from '../util/disposable';

/** A use of a name in a document, resolved to the entry that creates it. */
export interface DocumentUse {
  range: vscode.Range;
  kind: UseKind;
  /** Position of the entry whose section holds the use. */
  section: number;
  /** Position of the entry that creates the name. */
  target: number;
}

/** A pg_dump document's index at one version, and the name uses in it (worked out on first need). */
export class PlainDocument {
  private usesOf: DocumentUse[] | undefined;

  constructor(
    readonly document: vscode.TextDocument,
    readonly index: PlainTextIndex,
  ) {}

  /** Every resolved use of a name in the document's SQL (COPY rows are not read). */
  uses(): DocumentUse[] {
    if (this.usesOf) return this.usesOf;
    const { document, index } = this;
    const resolver = new NameResolver(index.entries);
    const copyStart = new Map(index.copyBlocks.map((b) => [b.entry, b.start]));
    const out: DocumentUse[] = [];
    for (let i = 0; i < index.entries.length; i++) {
      const l = index.lines[i]!;
      // A data section's SQL ends with its COPY line: the rows after it are data, not names.
      const copy = copyStart.get(i);
      const range = new vscode.Range(l.start, 0, copy !== undefined ? copy + 1 : l.end, 0);
      const base = document.offsetAt(range.start);
      for (const use of namesUsedIn(document.getText(range))) {
        const target = resolver.resolve(use.schema, use.name);
        if (target < 0) continue;
        out.push({ range: new vscode.Range(document.positionAt(base + use.start), document.positionAt(base + use.end)), kind: use.kind, section: i, target });
      }
    }
    this.usesOf = out;
    return out;
  }

  /** The resolved use at a position, if any. */
  useAt(position: vscode.Position): DocumentUse | undefined {
    return this.uses().find((u) => u.range.contains(position));
  }
}

/**
 * The index of every open SQL document that is a pg_dump (or pg_dumpall) script, made when a
 * provider first asks for it and kept for that version of the document: the outline, folding,
 * hovers and lenses of one version share one pass over its text. Dumps are read, not edited, so in
 * practice each document is indexed once.
 */
export class PlainDocuments extends Disposable {
  private readonly byUri = new Map<string, PlainDocument>();

  constructor() {
    super();
    this.register(vscode.workspace.onDidCloseTextDocument((doc) => this.byUri.delete(doc.uri.toString())));
  }

  /** The document's index; undefined when it is not a pg_dump script. */
  get(document: vscode.TextDocument): PlainDocument | undefined {
    if (document.languageId !== 'sql' || !isPlainDump(document)) return undefined;
    const key = document.uri.toString();
    const known = this.byUri.get(key);
    if (known && known.document.version === document.version) return known;
    const fresh = new PlainDocument(document, indexPlainText(Buffer.from(document.getText(), 'utf8')));
    this.byUri.set(key, fresh);
    return fresh;
  }

  /** The open documents that are pg_dump scripts. */
  all(): PlainDocument[] {
    return vscode.workspace.textDocuments.map((d) => this.get(d)).filter((d): d is PlainDocument => d !== undefined);
  }
}

/** Whether the document's first lines are pg_dump's or pg_dumpall's header. */
export function isPlainDump(document: vscode.TextDocument): boolean {
  return plainHeaderKind(document.getText(new vscode.Range(0, 0, Math.min(document.lineCount, 4), 0))) !== null;
}
