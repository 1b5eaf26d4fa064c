import * as vscode from 'vscode';
import type { PlainEntry } from '../core/plain/indexer';
import { copyBlockAtLine, sectionAtLine } from '../core/plain/textIndex';
import { formatBytes, formatCount, plural } from '../core/units';
import type { PlainDocument, PlainDocuments } from './plainDocuments';

/** What `\restrict` is, for a hover on it: who writes it, what it does, and what an older psql does with it. */
export const RESTRICT_HOVER = [
  '**`\\restrict` / `\\unrestrict`**: pg_dump 17.6, 16.10, 15.14, 14.19, 13.22 and later write these around a plain dump (fix for CVE-2025-8714). Between them psql refuses every backslash command, so a value in the dumped data cannot make psql run a meta-command such as `\\!` while the dump is restored. The key is random, so the data cannot end the restriction early.',
  '',
  'A psql older than those releases does not know the command: it reports `invalid command \\restrict` (and stops there with `ON_ERROR_STOP`).',
  '',
  "To restore such a dump with an older psql: use a psql from those releases or newer instead (a newer psql restores into older servers), or, for a dump whose source you trust, leave the two lines out on the way in: `grep -vE '^\\\\(un)?restrict ' dump.sql | psql -v ON_ERROR_STOP=1 …` (the dump file itself stays as it is).",
].join('\n');

/**
 * Hovers on a pg_dump script: on a section's header comment, what the section is (kind, schema,
 * owner, size in bytes and lines, rows of its COPY block); on a schema-qualified name, the same
 * for the object it names; on a `\restrict` line, what that is.
 */
export class PlainHover implements vscode.HoverProvider {
  constructor(private readonly documents: PlainDocuments) {}

  /** Called by VS Code when the pointer rests on the document. */
  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const doc = this.documents.get(document);
    if (!doc) return undefined;
    const line = document.lineAt(position.line);
    if (/^\\(un)?restrict\s/.test(line.text)) return new vscode.Hover(new vscode.MarkdownString(RESTRICT_HOVER), line.range);

    const section = sectionAtLine(doc.index, position.line);
    if (section >= 0) {
      const l = doc.index.lines[section]!;
      if (position.line >= l.start && position.line < l.statement && line.text.startsWith('--')) return new vscode.Hover(describe(doc, section), new vscode.Range(l.start, 0, Math.max(l.start, l.statement - 1), 0));
      const copy = copyBlockAtLine(doc.index, position.line);
      if (copy && position.line === copy.start) return new vscode.Hover(describe(doc, section), line.range);
    }
    const use = doc.useAt(position);
    if (use && use.target !== section) return new vscode.Hover(describe(doc, use.target), use.range);
    return undefined;
  }
}

function describe(doc: PlainDocument, entry: number): vscode.MarkdownString {
  const e: PlainEntry = doc.index.entries[entry]!;
  const l = doc.index.lines[entry]!;
  const md = new vscode.MarkdownString();
  md.appendMarkdown(`**${e.desc}** \`${e.namespace ? `${e.namespace}.` : ''}${e.tag}\`\n\n`);
  const facts = [
    e.namespace ? `schema \`${e.namespace}\`` : undefined,
    e.owner ? `owner \`${e.owner}\`` : 'no owner recorded',
    e.tablespace ? `tablespace \`${e.tablespace}\`` : undefined,
    `section of ${formatBytes(e.length)} in ${plural(l.end - l.start, 'line')} (lines ${formatCount(l.start + 1)}–${formatCount(l.end)})`,
    e.rows !== undefined ? `COPY block of ${plural(e.rows, 'row')}` : undefined,
  ].filter((f): f is string => f !== undefined);
  md.appendMarkdown(facts.join(' · '));
  return md;
}
