/**
 * Progress of a restore from what `pg_restore -v` prints on stderr (run it with LC_MESSAGES=C).
 *
 * Serial restore prints one line per entry it restores and nothing when an entry is done:
 *   creating <DESC> "<ns>.<tag>"          (or "<tag>" when the entry has no schema)
 *   processing data for table "<ns>.<tag>"
 *   executing <DESC> <tag>                 (SEQUENCE SET, BLOB, BLOB METADATA, … without a dumper)
 *   processing BLOBS                       (then "restoring large object with OID n", "restored n large objects")
 * Parallel restore (`-j N`) adds the leader's own lines, which carry the dump ID:
 *   processing item <id> <DESC> <tag>      (pre-data, in the leader; printed even for entries that
 *                                           are not selected, which then print nothing else)
 *   entering main parallel loop
 *   launching item <id> <DESC> <tag> / finished item <id> <DESC> <tag> / skipping item …
 *   finished main parallel loop
 *   processing missed item <id> <DESC> <tag>
 * Workers print their own "creating …" lines too, and since every process writes the
 * "pg_restore:" prefix and its message separately, lines of different processes can interleave:
 * "pg_restore:pg_restore: finished item 3429 POLICY customer customer_self" followed later by a
 * bare " processing data for table …". Only the leader's lines drive parallel progress.
 *
 * Entries that never print anything (ENCODING, STDSTRINGS, SEARCHPATH, STATISTICS DATA, DATABASE
 * without -C) are not items; the expected number of items is the number of entries
 * `pg_restore -l` lists for the same selection, minus STATISTICS DATA (`itemsIn`).
 */
import type { CopyInProgress } from './copyProgress';

/** One restored entry, reported when pg_restore starts on it. */
export interface ItemEvent {
  kind: 'item';
  /** 1-based: the how-manieth item of this restore. */
  index: number;
  /** The planned number of items. */
  total: number;
  /** Known from the line (parallel) or from the plan the line matched; absent otherwise. */
  dumpId?: number;
  desc: string;
  /** `ns.tag` (or the tag when there is no schema) when matched to the plan; else as printed. */
  name: string;
  /** The entry will not be restored: its table could not be created (--no-data-for-failed-tables). */
  skipped?: true;
}

/** An item is done: the next serial item started, a worker reported it, or the restore ended. */
export interface ItemFinishedEvent {
  kind: 'item-finished';
  dumpId?: number;
  desc: string;
  name: string;
  /** The entry's data size from the plan (0 when it has none or it is unknown). */
  bytes: number;
}

export type VerboseEvent =
  | ItemEvent
  | ItemFinishedEvent
  | { kind: 'connect'; database?: string }
  | { kind: 'parallel'; phase: 'start' | 'end' }
  | { kind: 'large-object'; oid: number }
  | { kind: 'large-objects-restored'; count: number }
  | { kind: 'drop'; desc: string; name: string };

/** What a restore is expected to do: the selected entries (a TocEntry has these fields). */
export interface PlannedEntry {
  dumpId: number;
  desc: string | null;
  namespace: string | null;
  tag: string | null;
  /** Bytes of stored data; null/undefined when none or unknown. */
  dataSize?: number | null;
}

export interface ProgressPlan {
  /** The selected entries, in TOC order. With them, serial lines are matched to dump IDs and data sizes. */
  entries?: readonly PlannedEntry[];
  /** The expected number of items; default `itemsIn(entries)`. */
  total?: number;
}

export interface ProgressSnapshot {
  /** Items started. */
  started: number;
  /** Items finished. */
  finished: number;
  total: number;
  /** Sum of the data sizes of finished items. */
  bytesDone: number;
  /** Sum of the data sizes of the planned items. */
  bytesTotal: number;
  /** Items started and not yet finished (one in serial mode, up to N with -j N). */
  running: { dumpId?: number; desc: string; name: string }[];
  mode: 'serial' | 'parallel';
  /** The COPYs running in the target now, as far as they are (PostgreSQL 14+; copyProgress.ts). */
  copying?: CopyInProgress[];
}

/** Entry types that pg_restore applies or restores without printing a line for them. */
const SILENT_DESCS = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH', 'STATISTICS DATA']);

/** Whether an entry of this type prints a line when restored (DATABASE only does with -C; leave it out of the plan otherwise). */
export function printsItemLine(desc: string | null): boolean {
  return desc !== null && !SILENT_DESCS.has(desc);
}

/** The expected number of item events for these (selected) entries. */
export function itemsIn(entries: readonly PlannedEntry[]): number {
  return entries.filter((e) => printsItemLine(e.desc)).length;
}

/**
 * Entry types pg_dump writes (pg_dump.c), longest first so that "SEQUENCE SET" wins over
 * "SEQUENCE". Used to split "<DESC> <tag>" when no plan says what the entry is.
 */
export const KNOWN_DESCS: readonly string[] = [
  'ACCESS METHOD', 'ACL', 'AGGREGATE', 'BLOB', 'BLOB COMMENTS', 'BLOB METADATA', 'BLOBS', 'CAST',
  'CHECK CONSTRAINT', 'COLLATION', 'COMMENT', 'CONSTRAINT', 'CONVERSION', 'DATABASE',
  'DATABASE PROPERTIES', 'DEFAULT', 'DEFAULT ACL', 'DOMAIN', 'ENCODING', 'EVENT TRIGGER',
  'EXTENSION', 'FK CONSTRAINT', 'FOREIGN DATA WRAPPER', 'FOREIGN TABLE', 'FUNCTION', 'INDEX',
  'INDEX ATTACH', 'MATERIALIZED VIEW', 'MATERIALIZED VIEW DATA', 'OPERATOR', 'OPERATOR CLASS',
  'OPERATOR FAMILY', 'POLICY', 'PROCEDURAL LANGUAGE', 'PROCEDURE', 'PUBLICATION',
  'PUBLICATION TABLE', 'PUBLICATION TABLES IN SCHEMA', 'ROW SECURITY', 'RULE', 'SCHEMA',
  'SEARCHPATH', 'SECURITY LABEL', 'SEQUENCE', 'SEQUENCE OWNED BY', 'SEQUENCE SET', 'SERVER',
  'SHELL TYPE', 'STATISTICS', 'STATISTICS DATA', 'STDSTRINGS', 'SUBSCRIPTION',
  'SUBSCRIPTION TABLE', 'TABLE', 'TABLE ATTACH', 'TABLE DATA', 'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY', 'TEXT SEARCH PARSER', 'TEXT SEARCH TEMPLATE', 'TRANSFORM', 'TRIGGER',
  'TYPE', 'USER MAPPING', 'VIEW', 'WARNING',
].slice().sort((a, b) => b.length - a.length);

/** Splits "<DESC> <rest>" at the longest known entry type; unknown types: the first word. */
export function splitDesc(text: string): { desc: string; rest: string } {
  for (const desc of KNOWN_DESCS) {
    if (text === desc) return { desc, rest: '' };
    if (text.startsWith(`${desc} `)) return { desc, rest: text.slice(desc.length + 1) };
  }
  const space = text.indexOf(' ');
  return space < 0 ? { desc: text, rest: '' } : { desc: text.slice(0, space), rest: text.slice(space + 1) };
}

export type Severity = 'error' | 'warning' | 'detail' | 'hint';

export interface StrippedLine {
  /** The message with prefix and severity removed. */
  body: string;
  /** The line began with "pg_restore:" (possibly several times: interleaved output). */
  prefixed: boolean;
  severity?: Severity;
}

/**
 * Prefixes and severities at the start of a line, in any mix: every process writes
 * "pg_restore:", " ", the severity and the message with separate writes, so in a parallel
 * restore another process's pieces can land in between. Seen with pg_restore 15 -j 4:
 * "pg_restore:pg_restore:  launching item …", "pg_restore: pg_restore:finished item …",
 * " pg_restore: creating ACL …".
 */
const PREFIX = /^(?:\s*(?:pg_restore:|(?:error|warning|detail|hint):(?= )))+\s*/;

/**
 * Removes the "pg_restore: " prefix, also when doubled by interleaved processes, and a severity
 * ("error: ", "warning: ", "detail: ", "hint: "; the last one wins). A line without the prefix
 * keeps its text: it continues a multi-line message, or it is an interleaved fragment.
 */
export function stripPrefix(line: string): StrippedLine {
  const m = PREFIX.exec(line);
  if (!m || !m[0].includes('pg_restore:')) return { body: line, prefixed: false };
  const severities = m[0].match(/\b(?:error|warning|detail|hint)(?=:)/g);
  const severity = severities?.[severities.length - 1] as Severity | undefined;
  const body = line.slice(m[0].length);
  return severity ? { body, prefixed: true, severity } : { body, prefixed: true };
}

/** One line of `pg_restore -v` output, classified. */
export type VerboseLine =
  | { type: 'connect'; database?: string }
  | { type: 'create'; desc: string; name: string }
  | { type: 'data'; name: string }
  | { type: 'execute'; desc: string; tag: string; text: string }
  | { type: 'blobs'; desc: string }
  | { type: 'large-object'; oid: number }
  | { type: 'large-objects-restored'; count: number }
  | { type: 'drop'; desc: string; name: string }
  | { type: 'no-data-for-failed-table'; table: string }
  | { type: 'parallel-start' }
  | { type: 'parallel-end' }
  | { type: 'leader'; action: 'processing' | 'launching' | 'finished' | 'skipping' | 'missed'; dumpId: number; desc: string; tag: string; text: string };

const LEADER = /^(processing item|launching item|finished item|skipping item|processing missed item) (\d+) (.*)$/;
const LEADER_ACTION = {
  'processing item': 'processing',
  'launching item': 'launching',
  'finished item': 'finished',
  'skipping item': 'skipping',
  'processing missed item': 'missed',
} as const;

/** The parallel leader's own lines, whatever came before them on the line. */
function leaderOrLoop(body: string): VerboseLine | null {
  const leader = LEADER.exec(body);
  if (leader) return leaderLine(leader);
  if (body === 'entering main parallel loop') return { type: 'parallel-start' };
  if (body === 'finished main parallel loop') return { type: 'parallel-end' };
  return null;
}

/**
 * Classifies one stderr line; null for anything that is not a progress line (errors, warnings,
 * continuation lines, debug output).
 *
 * A parallel leader line ("launching item 12 …") counts however it arrives: with a doubled
 * prefix, behind another process's severity, or without any prefix when another process's line
 * took it. Other lines without the prefix are never progress: they belong to multi-line
 * messages, such as the SQL after "Command was:", or are workers' lines whose prefix went
 * elsewhere, which parallel progress does not need.
 */
export function parseVerboseLine(line: string): VerboseLine | null {
  const s = stripPrefix(line);
  if (!s.prefixed || s.severity) return leaderOrLoop(s.body.trimStart());
  const body = s.body;
  const parallel = leaderOrLoop(body);
  if (parallel) return parallel;
  let m: RegExpExecArray | null;
  if ((m = /^creating ([^"]+) "(.*)"$/.exec(body))) return { type: 'create', desc: (m[1] ?? '').trimEnd(), name: m[2] ?? '' };
  if ((m = /^processing data for table "(.*)"$/.exec(body))) return { type: 'data', name: m[1] ?? '' };
  if ((m = /^executing (.+)$/.exec(body))) {
    const { desc, rest } = splitDesc(m[1] ?? '');
    return { type: 'execute', desc, tag: rest, text: m[1] ?? '' };
  }
  if ((m = /^restoring large object with OID (\d+)$/.exec(body))) return { type: 'large-object', oid: Number(m[1]) };
  if ((m = /^restored (\d+) large objects?$/.exec(body))) return { type: 'large-objects-restored', count: Number(m[1]) };
  if ((m = /^processing (BLOBS|BLOB COMMENTS)$/.exec(body))) return { type: 'blobs', desc: m[1] ?? 'BLOBS' };
  if (body === 'connecting to database for restore') return { type: 'connect' };
  if ((m = /^connecting to new database "(.*)"$/.exec(body))) return { type: 'connect', database: m[1] ?? '' };
  if ((m = /^dropping (.+)$/.exec(body))) {
    const { desc, rest } = splitDesc(m[1] ?? '');
    return { type: 'drop', desc, name: rest };
  }
  if ((m = /^table "(.*)" could not be created, will not restore its data$/.exec(body))) return { type: 'no-data-for-failed-table', table: m[1] ?? '' };
  return null;
}

function leaderLine(m: RegExpExecArray): VerboseLine {
  const text = m[3] ?? '';
  const { desc, rest } = splitDesc(text);
  const action = LEADER_ACTION[m[1] as keyof typeof LEADER_ACTION];
  return { type: 'leader', action, dumpId: Number(m[2]), desc, tag: rest, text };
}

interface Item {
  dumpId?: number;
  desc: string;
  name: string;
  bytes: number;
}

const qualified = (e: PlannedEntry) => (e.namespace ? `${e.namespace}.${e.tag ?? ''}` : (e.tag ?? ''));

/**
 * Turns stderr lines into events and keeps the running totals. Feed every line (`push`), call
 * `end()` when pg_restore has exited successfully (a serial restore never says its last item is done).
 */
export class RestoreProgress {
  readonly total: number;
  readonly bytesTotal: number;
  private readonly byId = new Map<number, PlannedEntry>();
  /** Exact text of the line each planned entry prints → the entries, in plan order. */
  private readonly byLine = new Map<string, PlannedEntry[]>();
  /** TABLE DATA entries by table tag, for "could not be created, will not restore its data". */
  private readonly dataByTable = new Map<string, PlannedEntry[]>();
  private readonly claimed = new Set<number>();
  private mode: 'serial' | 'parallel' = 'serial';
  private inParallelLoop = false;
  /** Parallel pre-data / missed items: announced by the leader, an item only once it prints a line. */
  private pending: { dumpId: number; desc: string; tag: string } | undefined;
  /** The item the leader (or a serial restore) is working on. */
  private current: Item | undefined;
  /** Launched, not yet finished (parallel loop). */
  private readonly launched = new Map<number, Item>();
  private started = 0;
  private finishedCount = 0;
  private bytes = 0;

  constructor(plan: ProgressPlan = {}) {
    const entries = plan.entries ?? [];
    this.total = plan.total ?? itemsIn(entries);
    let bytesTotal = 0;
    for (const e of entries) {
      if (!printsItemLine(e.desc)) continue;
      this.byId.set(e.dumpId, e);
      bytesTotal += e.dataSize ?? 0;
      for (const key of lineKeys(e)) {
        const list = this.byLine.get(key) ?? [];
        list.push(e);
        this.byLine.set(key, list);
      }
      if (e.desc === 'TABLE DATA' && e.tag !== null) {
        const list = this.dataByTable.get(e.tag) ?? [];
        list.push(e);
        this.dataByTable.set(e.tag, list);
      }
    }
    this.bytesTotal = bytesTotal;
  }

  /** The events one stderr line causes (often none). */
  push(line: string): VerboseEvent[] {
    const parsed = parseVerboseLine(line);
    if (!parsed) return [];
    const out: VerboseEvent[] = [];
    switch (parsed.type) {
      case 'connect':
        out.push(parsed.database === undefined ? { kind: 'connect' } : { kind: 'connect', database: parsed.database });
        break;
      case 'drop':
        out.push({ kind: 'drop', desc: parsed.desc, name: parsed.name });
        break;
      case 'large-object':
        out.push({ kind: 'large-object', oid: parsed.oid });
        break;
      case 'large-objects-restored':
        out.push({ kind: 'large-objects-restored', count: parsed.count });
        break;
      case 'parallel-start':
        this.mode = 'parallel';
        this.inParallelLoop = true;
        this.pending = undefined;
        this.finishCurrent(out);
        out.push({ kind: 'parallel', phase: 'start' });
        break;
      case 'parallel-end':
        this.inParallelLoop = false;
        out.push({ kind: 'parallel', phase: 'end' });
        break;
      case 'leader':
        this.mode = 'parallel';
        this.onLeader(parsed, out);
        break;
      case 'no-data-for-failed-table': {
        const entry = this.dataByTable.get(parsed.table)?.find((e) => !this.claimed.has(e.dumpId));
        // With a plan, a table whose data was not selected anyway changes nothing.
        if (!entry && this.byId.size > 0) break;
        if (entry) this.claimed.add(entry.dumpId);
        this.started++;
        this.finishedCount++;
        out.push({ kind: 'item', index: this.started, total: this.total, ...(entry ? { dumpId: entry.dumpId } : {}), desc: 'TABLE DATA', name: entry ? qualified(entry) : parsed.table, skipped: true });
        break;
      }
      case 'create':
      case 'data':
      case 'execute':
      case 'blobs':
        this.onEntryLine(parsed, line, out);
        break;
    }
    return out;
  }

  /** The restore ended normally: whatever is still running is done. */
  end(): VerboseEvent[] {
    const out: VerboseEvent[] = [];
    this.finishCurrent(out);
    for (const item of this.launched.values()) this.finish(item, out);
    this.launched.clear();
    return out;
  }

  snapshot(): ProgressSnapshot {
    const running = [...(this.current ? [this.current] : []), ...this.launched.values()].map(({ dumpId, desc, name }) => ({ ...(dumpId !== undefined ? { dumpId } : {}), desc, name }));
    // The last sample of a COPY that has ended stays until the next one: not once no table's data is restored.
    const copying = this.copies.length > 0 && running.some((r) => r.desc === 'TABLE DATA');
    return { started: this.started, finished: this.finishedCount, total: this.total, bytesDone: this.bytes, bytesTotal: this.bytesTotal, running, mode: this.mode, ...(copying ? { copying: this.copies } : {}) };
  }

  /** What the target says of its running COPYs now (copyProgress.ts). */
  setCopies(copies: CopyInProgress[]): void {
    this.copies = copies;
  }

  private copies: CopyInProgress[] = [];

  private onLeader(line: Extract<VerboseLine, { type: 'leader' }>, out: VerboseEvent[]): void {
    if (line.action === 'processing' || line.action === 'missed') {
      // The previous leader item is done; this one counts once it prints its "creating …" line.
      this.finishCurrent(out);
      this.pending = { dumpId: line.dumpId, desc: line.desc, tag: line.tag };
      return;
    }
    if (line.action === 'launching') {
      const item = this.itemFor(line.dumpId, line.desc, line.tag);
      if (!printsItemLine(item.desc)) return;
      this.launched.set(line.dumpId, item);
      this.start(item, out);
      return;
    }
    if (line.action === 'finished') {
      const item = this.launched.get(line.dumpId);
      if (!item) return;
      this.launched.delete(line.dumpId);
      this.finish(item, out);
    }
    // 'skipping': not selected; nothing to count.
  }

  /** A serial item line, or the line that confirms a leader's "processing item". */
  private onEntryLine(line: Extract<VerboseLine, { type: 'create' | 'data' | 'execute' | 'blobs' }>, raw: string, out: VerboseEvent[]): void {
    if (this.mode === 'parallel') {
      // Inside the loop these are the workers' echo of items already counted at "launching".
      if (this.inParallelLoop || !this.pending) return;
      const { dumpId, desc, tag } = this.pending;
      this.pending = undefined;
      const item = this.itemFor(dumpId, desc, tag);
      if (!printsItemLine(item.desc)) return;
      this.current = item;
      this.start(item, out);
      return;
    }
    this.finishCurrent(out);
    const body = stripPrefix(raw).body;
    const entry = this.byLine.get(body)?.find((e) => !this.claimed.has(e.dumpId));
    let item: Item;
    if (entry) {
      this.claimed.add(entry.dumpId);
      item = { dumpId: entry.dumpId, desc: entry.desc ?? '', name: qualified(entry), bytes: entry.dataSize ?? 0 };
    } else if (line.type === 'create') item = { desc: line.desc, name: line.name, bytes: 0 };
    else if (line.type === 'data') item = { desc: 'TABLE DATA', name: line.name, bytes: 0 };
    else if (line.type === 'execute') item = { desc: line.desc, name: line.tag, bytes: 0 };
    else item = { desc: line.desc, name: line.desc, bytes: 0 };
    this.current = item;
    this.start(item, out);
  }

  private itemFor(dumpId: number, desc: string, tag: string): Item {
    const entry = this.byId.get(dumpId);
    if (entry) {
      this.claimed.add(dumpId);
      return { dumpId, desc: entry.desc ?? desc, name: qualified(entry), bytes: entry.dataSize ?? 0 };
    }
    return { dumpId, desc, name: tag, bytes: 0 };
  }

  private start(item: Item, out: VerboseEvent[]): void {
    this.started++;
    out.push({ kind: 'item', index: this.started, total: this.total, ...(item.dumpId !== undefined ? { dumpId: item.dumpId } : {}), desc: item.desc, name: item.name });
  }

  private finishCurrent(out: VerboseEvent[]): void {
    if (!this.current) return;
    this.finish(this.current, out);
    this.current = undefined;
  }

  private finish(item: Item, out: VerboseEvent[]): void {
    this.finishedCount++;
    this.bytes += item.bytes;
    out.push({ kind: 'item-finished', ...(item.dumpId !== undefined ? { dumpId: item.dumpId } : {}), desc: item.desc, name: item.name, bytes: item.bytes });
  }
}

/** The line(s) a serial restore prints for an entry, without the prefix. */
function lineKeys(e: PlannedEntry): string[] {
  const desc = e.desc ?? '';
  const tag = e.tag ?? '';
  const keys = [e.namespace ? `creating ${desc} "${e.namespace}.${tag}"` : `creating ${desc} "${tag}"`];
  if (desc === 'TABLE DATA') keys.push(`processing data for table "${e.namespace ?? ''}.${tag}"`);
  if (desc === 'BLOBS' || desc === 'BLOB COMMENTS') keys.push(`processing ${desc}`);
  keys.push(`executing ${desc} ${tag}`);
  return keys;
}
