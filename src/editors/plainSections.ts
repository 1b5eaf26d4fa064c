import * as path from 'node:path';
import * as vscode from 'vscode';
import { detectDump, type PlainCompression } from '../core/formats/detect';
import type { PlainEntry } from '../core/plain/indexer';
import { sectionDocument, sectionName, type PageStart } from '../core/plain/sectionDocument';
import { Disposable } from '../util/disposable';

/** The scheme of read-only documents that show one section of a plain dump. */
export const SECTION_SCHEME = 'pgdx-plain';

type SectionEntry = Pick<PlainEntry, 'desc' | 'namespace' | 'tag' | 'offset' | 'length' | 'rows'>;

/** What a section document's URI says: the dump, the section, and for data the page. */
interface SectionRef {
  file: string;
  compression: PlainCompression;
  entry: SectionEntry;
  page?: PageStart;
}

/**
 * Documents of scheme `pgdx-plain`: one section of a dump read by its byte range (so a section of
 * a 20 GB dump opens as a small SQL document), or a page of a table's COPY rows. The URI carries
 * everything needed to read it again (VS Code restores such tabs after a reload); only files that
 * are plain dumps are read.
 */
export class PlainSectionDocuments extends Disposable implements vscode.TextDocumentContentProvider {
  /** Where the next page of each data page document starts. */
  private readonly nextPages = new Map<string, PageStart>();
  private readonly checked = new Map<string, Promise<void>>();

  constructor() {
    super();
    this.register(vscode.workspace.registerTextDocumentContentProvider(SECTION_SCHEME, this));
    this.register(vscode.workspace.onDidCloseTextDocument((doc) => this.nextPages.delete(doc.uri.toString())));
  }

  /** The URI of a section's document (of a page of its rows, from `page`). */
  static uri(file: string, compression: PlainCompression, entry: SectionEntry, page?: PageStart): vscode.Uri {
    const ref: SectionRef = { file, compression, entry: { desc: entry.desc, namespace: entry.namespace, tag: entry.tag, offset: entry.offset, length: entry.length, ...(entry.rows !== undefined ? { rows: entry.rows } : {}) }, ...(page ? { page } : {}) };
    const what = entry.desc === 'TABLE DATA' ? `data${page ? ` from row ${page.row + 1}` : ''}` : entry.desc.toLowerCase();
    // The path is what the tab shows; `.sql` gives the document the SQL language.
    const label = `${sectionName(entry)} (${what})`.replace(/[/\\]/g, '_');
    return vscode.Uri.from({ scheme: SECTION_SCHEME, path: `/${path.basename(file)}/${label}.sql`, query: JSON.stringify(ref) });
  }

  /** Opens a section (its first page of rows, for data) in a preview editor. */
  async open(file: string, compression: PlainCompression, entry: SectionEntry, page?: PageStart): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(PlainSectionDocuments.uri(file, compression, entry, page));
    if (doc.languageId !== 'sql') await vscode.languages.setTextDocumentLanguage(doc, 'sql');
    return vscode.window.showTextDocument(doc, { preview: true });
  }

  /** Opens the page of rows after the one `uri` shows (the active editor's, by default). */
  async nextPage(uri?: unknown): Promise<void> {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target || target.scheme !== SECTION_SCHEME) throw new Error('Next Page of Rows works on a page of table data opened from the Large Dump Viewer');
    const ref = parseRef(target);
    const next = this.nextPages.get(target.toString());
    if (ref.entry.desc !== 'TABLE DATA') throw new Error(`${sectionName(ref.entry)} is a ${ref.entry.desc}, not table data: it has no rows to page through`);
    if (!next) {
      void vscode.window.showInformationMessage(`This is the last page of ${sectionName(ref.entry)}.`);
      return;
    }
    await this.open(ref.file, ref.compression, ref.entry, next);
  }

  /** Called by VS Code when a `pgdx-plain:` document is opened. */
  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const ref = parseRef(uri);
    await this.checkIsPlainDump(ref.file);
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    const { text, next } = await sectionDocument({ path: ref.file, compression: ref.compression }, ref.entry, { signal: controller.signal, ...(ref.page ? { page: ref.page } : {}) });
    if (next) this.nextPages.set(uri.toString(), next);
    else this.nextPages.delete(uri.toString());
    return text;
  }

  private checkIsPlainDump(file: string): Promise<void> {
    let pending = this.checked.get(file);
    if (!pending) {
      pending = detectDump(file).then((d) => {
        if (d.kind !== 'plain' && d.kind !== 'cluster') throw new Error(`${path.basename(file)} is not a plain SQL dump: its sections cannot be shown`);
      });
      pending.catch(() => this.checked.delete(file));
      this.checked.set(file, pending);
    }
    return pending;
  }
}

function parseRef(uri: vscode.Uri): SectionRef {
  try {
    const ref = JSON.parse(uri.query) as SectionRef;
    if (typeof ref.file === 'string' && typeof ref.entry?.offset === 'number' && typeof ref.entry.length === 'number') return ref;
  } catch {
    // fall through to the one-line error
  }
  throw new Error(`${uri.toString(true)} does not name a section of a plain dump`);
}
