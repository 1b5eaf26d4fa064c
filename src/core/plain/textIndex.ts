import { PlainIndexer, type PlainEntry } from './indexer';

/**
 * The object index of a plain dump's text held in memory (an editor's document), in lines: the
 * same sections PlainIndexer finds in a file, each with the lines an editor needs (where its
 * header is, where its first statement is, where it ends) and its COPY block. Lines are
 * 0-based; offsets are of the UTF-8 text, as in PlainIndex.
 *
 * Everything is worked out once and the text's bytes are not kept: a 40 MB dump's index is a
 * few numbers per section.
 */

export interface SectionLines {
  /** The `--` line that opens the section's comment block. */
  start: number;
  /** The `-- Name: …; Type: …` line. */
  header: number;
  /** The first line of SQL after the comment block (the `CREATE`, `COPY`, `ALTER` …); the header line when there is none. */
  statement: number;
  /** The last line of the section that is not empty. */
  last: number;
  /** The line after the section (the next section's first line, or the trailer's). */
  end: number;
}

export interface CopyBlock {
  /** Position of the TABLE DATA entry. */
  entry: number;
  /** The `COPY … FROM stdin;` line. */
  start: number;
  /** The `\.` line (the last line of the text when the block is cut short). */
  end: number;
  rows: number;
}

export interface PlainTextIndex {
  entries: readonly PlainEntry[];
  /** Lines of each entry, by position. */
  lines: readonly SectionLines[];
  copyBlocks: readonly CopyBlock[];
  restrictKey: string | null;
  /** Bytes of the text. */
  size: number;
  lineCount: number;
}

const NL = 0x0a;
const COPY_LINE = Buffer.from('COPY ');
const COPY_END = Buffer.from('\n\\.\n');

/** Indexes SQL text (a document's bytes, UTF-8). */
export function indexPlainText(text: Buffer): PlainTextIndex {
  const indexer = new PlainIndexer();
  indexer.push(text);
  indexer.finish();
  const entries = indexer.entries;
  const lineStarts = lineStartsOf(text);
  const lineOf = (offset: number): number => {
    // The last line starting at or before offset.
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  const lines: SectionLines[] = [];
  const copyBlocks: CopyBlock[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const from = e.offset;
    const to = sectionEnd(entries, i, text.length);
    const start = lineOf(from);
    const header = Math.min(start + 1 + verboseLinesAt(text, lineStarts, start + 1), lineOf(Math.max(from, to - 1)));
    const statementAt = firstStatement(text, lineStarts[header + 1] ?? to, to);
    const statement = statementAt < 0 ? header : lineOf(statementAt);
    const lastByte = lastNonNewline(text, from, to);
    lines.push({ start, header, statement, last: lastByte < 0 ? start : lineOf(lastByte), end: to >= text.length ? lineStarts.length : lineOf(to) });

    if (e.desc === 'TABLE DATA') {
      const copyAt = findCopyLine(text, from, to);
      if (copyAt >= 0) {
        const terminator = text.indexOf(COPY_END, copyAt);
        const endAt = terminator >= 0 && terminator < to ? terminator + 1 : lastNonNewline(text, from, to);
        const startLine = lineOf(copyAt);
        const endLine = lineOf(endAt);
        copyBlocks.push({ entry: i, start: startLine, end: endLine, rows: e.rows ?? Math.max(0, endLine - startLine - 1) });
      }
    }
  }
  return { entries, lines, copyBlocks, restrictKey: indexer.restrictKey, size: text.length, lineCount: lineStarts.length };
}

/**
 * Where section `i` ends. The indexer ends a section where the next begins, or at the trailer;
 * a section it could not close (length 0, or past the next section) ends where the next begins.
 */
function sectionEnd(entries: readonly PlainEntry[], i: number, size: number): number {
  const e = entries[i]!;
  const next = entries[i + 1]?.offset ?? size;
  const end = e.offset + e.length;
  return e.length > 0 && end <= next ? end : next;
}

const VERBOSE_LINES = [Buffer.from('-- TOC entry '), Buffer.from('-- Dependencies: ')];

/** How many lines from `line` on are those `pg_dump --verbose` writes before a header's name. */
function verboseLinesAt(text: Buffer, lineStarts: readonly number[], line: number): number {
  let n = 0;
  for (;;) {
    const at = lineStarts[line + n];
    if (at === undefined || !VERBOSE_LINES.some((v) => text.subarray(at, at + v.length).equals(v))) return n;
    n++;
  }
}

function lineStartsOf(text: Buffer): number[] {
  const starts = [0];
  let i = text.indexOf(NL);
  while (i >= 0) {
    if (i + 1 < text.length) starts.push(i + 1);
    i = text.indexOf(NL, i + 1);
  }
  return starts;
}

/** Offset of the first line in [from, to) that is neither empty nor a `--` comment; -1 when none. */
function firstStatement(text: Buffer, from: number, to: number): number {
  let at = from;
  while (at < to) {
    const nl = text.indexOf(NL, at);
    const lineEnd = nl < 0 || nl > to ? to : nl;
    const empty = lineEnd === at || (lineEnd === at + 1 && text[at] === 0x0d);
    const comment = text[at] === 0x2d && text[at + 1] === 0x2d;
    if (!empty && !comment) return at;
    at = lineEnd + 1;
  }
  return -1;
}

function lastNonNewline(text: Buffer, from: number, to: number): number {
  let at = to - 1;
  while (at >= from && (text[at] === NL || text[at] === 0x0d)) at--;
  return at >= from ? at : -1;
}

/** Offset of a line starting `COPY ` in [from, to); -1 when none. */
function findCopyLine(text: Buffer, from: number, to: number): number {
  let at = text.indexOf(COPY_LINE, from);
  while (at >= 0 && at < to) {
    if (at === 0 || text[at - 1] === NL) return at;
    at = text.indexOf(COPY_LINE, at + 1);
  }
  return -1;
}

/** The entry whose section holds `line`; -1 for the preamble and the trailer. */
export function sectionAtLine(index: PlainTextIndex, line: number): number {
  let lo = 0;
  let hi = index.lines.length - 1;
  if (hi < 0 || line < index.lines[0]!.start) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (index.lines[mid]!.start <= line) lo = mid;
    else hi = mid - 1;
  }
  return line < index.lines[lo]!.end ? lo : -1;
}

/** The COPY block holding `line`, if any. */
export function copyBlockAtLine(index: PlainTextIndex, line: number): CopyBlock | undefined {
  const entry = sectionAtLine(index, line);
  if (entry < 0) return undefined;
  return index.copyBlocks.find((b) => b.entry === entry && b.start <= line && line <= b.end);
}
