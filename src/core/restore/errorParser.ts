/**
 * Errors of a restore from what `pg_restore` prints on stderr (run it with LC_MESSAGES=C):
 *
 *   pg_restore: while PROCESSING TOC:                      (once per stage: INITIALIZING, PROCESSING TOC, FINALIZING)
 *   pg_restore: from TOC entry 230; 1259 16495 TABLE bulk_rows postgres
 *   pg_restore: error: could not execute query: ERROR:  relation "bulk_rows" already exists
 *   Command was: CREATE TABLE public.bulk_rows (
 *       id integer NOT NULL,
 *   …
 *   pg_restore: error: COPY failed for table "bulk_rows": ERROR:  duplicate key value …
 *   DETAIL:  Key (id)=(1) already exists.
 *   CONTEXT:  COPY bulk_rows, line 1
 *   pg_restore: warning: errors ignored on restore: 46
 *
 * pg_restore prints "from TOC entry" only when the failing entry differs from the one of its
 * previous error, so a second error of the same entry comes without it and belongs to the entry
 * named last. A message runs until the next line that starts with "pg_restore:".
 *
 * With -j the count in "errors ignored on restore" can be larger than the number of errors
 * printed: the leader adds one for every item a worker finishes after that worker's first error.
 */
import { parseVerboseLine, splitDesc, stripPrefix } from './verboseParser';

/** The entry an error is about, as the "from TOC entry" line names it. */
export interface ErrorEntry {
  dumpId: number;
  /** Catalog IDs as printed (`0 0` for entries without one). */
  tableoid: string;
  oid: string;
  /** Split at the longest known entry type; the owner is the last word. */
  desc: string;
  tag: string;
  owner: string;
  /** "<DESC> <tag> <owner>" as printed. */
  text: string;
}

export interface RestoreError {
  /** The entry it belongs to; absent for errors outside any entry (connecting, reading the archive). */
  dumpId?: number;
  entry?: ErrorEntry;
  /** "PROCESSING TOC", "INITIALIZING" or "FINALIZING": the stage pg_restore last announced. */
  stage?: string;
  /** query: a statement failed ("could not execute query"); copy: "COPY failed for table"; other: anything else. */
  kind: 'query' | 'copy' | 'other';
  /** What went wrong, without "could not execute query: ": the server's message with its DETAIL/HINT/CONTEXT lines. */
  message: string;
  /** The SQL of "Command was:" (possibly several lines). */
  command?: string;
  /** The table named by "COPY failed for table". */
  table?: string;
}

export interface RestoreErrorSummary {
  errors: RestoreError[];
  /** N of "errors ignored on restore: N"; null when it was not printed (no errors, or exit on error). */
  ignoredCount: number | null;
  /** Other warnings, one line each. */
  warnings: string[];
}

interface OpenError {
  error: RestoreError;
  messageLines: string[];
  commandLines: string[] | undefined;
}

const FROM_ENTRY = /^from TOC entry (\d+); (\d+) (\d+) (.*)$/;
/** How a worker's error message starts, for messages whose prefix went to another line (-j). */
const ERROR_START = /^(?:could not execute query: |COPY failed for table ")/;

function entryFrom(m: RegExpExecArray): ErrorEntry {
  const text = m[4] ?? '';
  const { desc, rest } = splitDesc(text);
  const space = rest.lastIndexOf(' ');
  return {
    dumpId: Number(m[1]),
    tableoid: m[2] ?? '',
    oid: m[3] ?? '',
    desc,
    tag: space < 0 ? rest : rest.slice(0, space),
    owner: space < 0 ? '' : rest.slice(space + 1),
    text,
  };
}

/** How many words of an entry's tag the error's text mentions (SQL doubles quotes: undone first). */
function affinity(entry: ErrorEntry, error: RestoreError): number {
  const text = `${error.message}\n${error.command ?? ''}\n${error.table ?? ''}`.replace(/""/g, '"');
  return entry.tag
    .split(/[\s(),"]+/)
    .filter((w) => w.length > 0 && text.includes(w)).length;
}

/**
 * Feeds on stderr lines; reports each error once all its lines have arrived.
 *
 * In a parallel restore the workers' lines interleave with the leader's and with each other's,
 * down to pieces of a line (see verboseParser.ts). Seen with pg_restore 15 -j 4: two workers'
 * "from TOC entry" lines in a row and then their two messages, one of them without its prefix.
 * Entries named by "from TOC entry" wait in a list until an error takes them; an error takes
 * the waiting entry whose tag its text mentions most, the latest one on a tie.
 */
export class RestoreErrorParser {
  private readonly errors: RestoreError[] = [];
  private readonly warnings: string[] = [];
  private ignoredCount: number | null = null;
  private stage: string | undefined;
  /** "from TOC entry" lines no error has taken yet. */
  private pending: ErrorEntry[] = [];
  /** The entry of the latest error: a next error without its own "from TOC entry" line is its. */
  private lastEntry: ErrorEntry | undefined;
  private open: OpenError | undefined;
  private parallel = false;
  /** An "error: " arrived glued to another process's line; its message is on the next bare line. */
  private errorBodyNext = false;

  constructor(private readonly onError?: (error: RestoreError) => void) {}

  push(line: string): void {
    const s = stripPrefix(line);
    const verbose = parseVerboseLine(line);
    if (verbose && (verbose.type === 'leader' || verbose.type === 'parallel-start' || verbose.type === 'parallel-end')) {
      // The parallel leader's line, possibly behind a worker's "pg_restore: error: ", whose
      // message then follows on a line of its own.
      this.close();
      this.parallel = true;
      if (s.severity === 'error') this.errorBodyNext = true;
      return;
    }

    if (!s.prefixed) {
      this.bareLine(line);
      return;
    }
    this.errorBodyNext = false;

    if (s.severity === 'detail' || s.severity === 'hint') {
      if (this.open) this.open.messageLines.push(`${s.severity.toUpperCase()}:  ${s.body}`);
      return;
    }
    this.close();

    if (s.severity === 'error') {
      this.openError(s.body);
      return;
    }
    if (s.severity === 'warning') {
      const m = /^errors ignored on restore: (\d+)$/.exec(s.body);
      if (m) this.ignoredCount = Number(m[1]);
      else this.warnings.push(s.body);
      return;
    }
    let m: RegExpExecArray | null;
    if ((m = /^while (INITIALIZING|PROCESSING TOC|FINALIZING):$/.exec(s.body))) {
      this.stage = m[1];
      return;
    }
    if ((m = FROM_ENTRY.exec(s.body))) {
      this.addPending(entryFrom(m));
      return;
    }
    // In a serial restore, a new entry starting means the entries of earlier errors are behind
    // us: a later error without its own "from TOC entry" line (a fatal one) is not theirs.
    if (!this.parallel && verbose && (verbose.type === 'create' || verbose.type === 'data' || verbose.type === 'execute' || verbose.type === 'blobs')) {
      this.lastEntry = undefined;
      this.pending = [];
    }
  }

  /** Everything seen so far; call after the last line. */
  end(): RestoreErrorSummary {
    this.close();
    return { errors: [...this.errors], ignoredCount: this.ignoredCount, warnings: [...this.warnings] };
  }

  /** A line without the prefix: the rest of an open message, or (-j) a piece of a worker's line. */
  private bareLine(line: string): void {
    const trimmed = line.trimStart();
    if (this.errorBodyNext) {
      this.errorBodyNext = false;
      this.close();
      this.openError(trimmed);
      return;
    }
    if (this.parallel) {
      // "error: …" whose "pg_restore:" went to another line.
      if (/^(?:error|warning|detail|hint): /.test(trimmed)) {
        this.push(`pg_restore: ${trimmed}`);
        return;
      }
      const from = FROM_ENTRY.exec(trimmed);
      if (from) {
        this.close();
        this.addPending(entryFrom(from));
        return;
      }
      if (ERROR_START.test(trimmed)) {
        this.close();
        this.openError(trimmed);
        return;
      }
      // A worker's progress line whose prefix went to another line: not part of a message.
      if (parseVerboseLine(`pg_restore: ${trimmed}`)) return;
    }
    if (!this.open) return;
    if (this.open.commandLines) this.open.commandLines.push(line);
    else if (line.startsWith('Command was: ')) this.open.commandLines = [line.slice('Command was: '.length)];
    else this.open.messageLines.push(line);
  }

  private addPending(entry: ErrorEntry): void {
    if (this.parallel) {
      this.pending.push(entry);
      // Never let lines no error took pile up.
      if (this.pending.length > 16) this.pending.shift();
    } else {
      this.pending = [entry];
    }
  }

  private openError(body: string): void {
    let kind: RestoreError['kind'] = 'other';
    let first = body;
    let table: string | undefined;
    let m: RegExpExecArray | null;
    if ((m = /^could not execute query: ([\s\S]*)$/.exec(body))) {
      kind = 'query';
      first = m[1] ?? '';
    } else if ((m = /^COPY failed for table "(.*)": ([\s\S]*)$/.exec(body))) {
      kind = 'copy';
      table = m[1] ?? '';
      first = m[2] ?? '';
    }
    const error: RestoreError = { kind, message: '' };
    if (this.stage) error.stage = this.stage;
    if (table !== undefined) error.table = table;
    this.open = { error, messageLines: [first], commandLines: undefined };
    // "Command was:" stays on the same line if the server's message did not end with a newline.
    const inline = kind === 'query' ? /^([\s\S]*?)Command was: ([\s\S]*)$/.exec(first) : null;
    if (inline) {
      this.open.messageLines = [inline[1] ?? ''];
      this.open.commandLines = [inline[2] ?? ''];
    }
  }

  private close(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const { error } = open;
    error.message = trimBlankEnd(open.messageLines).join('\n').trim();
    if (open.commandLines) error.command = trimBlankEnd(open.commandLines).join('\n');
    const entry = this.takePending(error) ?? this.lastEntry;
    if (entry) {
      error.dumpId = entry.dumpId;
      error.entry = entry;
      this.lastEntry = entry;
    }
    // Properties in a stable order, whatever was learnt when.
    const ordered: RestoreError = { ...(error.dumpId !== undefined ? { dumpId: error.dumpId, entry: error.entry } : {}), ...error };
    this.errors.push(ordered);
    this.onError?.(ordered);
  }

  private takePending(error: RestoreError): ErrorEntry | undefined {
    if (this.pending.length === 0) return undefined;
    let best = this.pending.length - 1;
    let bestScore = -1;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const score = affinity(this.pending[i] as ErrorEntry, error);
      if (score > bestScore) {
        best = i;
        bestScore = score;
      }
    }
    return this.pending.splice(best, 1)[0];
  }
}

function trimBlankEnd(lines: string[]): string[] {
  let end = lines.length;
  while (end > 0 && (lines[end - 1] ?? '').trim() === '') end--;
  return lines.slice(0, end);
}

/** All errors of a finished restore's stderr (text or lines). */
export function parseRestoreErrors(stderr: string | readonly string[]): RestoreErrorSummary {
  const lines = typeof stderr === 'string' ? stderr.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)) : stderr;
  const parser = new RestoreErrorParser();
  for (const line of lines) parser.push(line);
  return parser.end();
}
