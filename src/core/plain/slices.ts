import { Section, type TocEntry } from '../model/types';
import type { PlainEntry, PlainIndex } from './indexer';
import { isName, isWord, splitStatements, tokenize } from './sqlLexer';
import { choosesTablespace, settingParameter, settingsChange, switchesRole, withoutMissingParameters } from './stateLines';

/**
 * What a selective restore of a plain dump sends to psql: the dump's `\restrict` line, its
 * preamble (`SET client_encoding …`), then for each planned entry in file order the settings
 * that differ from those in effect (`SET default_tablespace = …`, as pg_dump wrote them before
 * the section) and the section's SQL as byte ranges of the file, and `\unrestrict` at the end.
 * Settings of parameters the target lacks (asked by the pre-flight check: `SET
 * transaction_timeout` of pg_dump 17+ for a server of 16 or older) are left out of the preamble
 * and of the settings before sections; a section's own text is never changed for them.
 * Only text pieces that this module writes are held in memory; sections are read from the file
 * when the pieces are streamed (restore/plainRestore.ts).
 */

export type Piece =
  /** Text written here (settings, the preamble, psql's \restrict lines). */
  | { kind: 'text'; text: string; dumpId?: number }
  /** Bytes of the file's SQL text. `transactionLines`: leave out pg_dump's own BEGIN; / COMMIT; lines (large objects). */
  | { kind: 'range'; offset: number; length: number; dumpId: number; dropTransactionLines?: boolean };

export interface SliceOptions {
  /** Leave out `ALTER … OWNER TO …` statements and `SET SESSION AUTHORIZATION` (pg_restore --no-owner). */
  noOwner?: boolean;
  /** Leave out ACL and DEFAULT ACL entries (GRANT / REVOKE; pg_restore --no-privileges). */
  noPrivileges?: boolean;
  /** Leave out COMMENT entries (pg_restore --no-comments). */
  noComments?: boolean;
  /** Leave out `SET default_tablespace` (pg_restore --no-tablespaces). */
  noTablespaces?: boolean;
  /** `SET ROLE` after the preamble (pg_restore --role). */
  role?: string;
  /** Around each table's data: `ALTER TABLE … DISABLE TRIGGER ALL` and ENABLE again (pg_restore --disable-triggers). */
  disableTriggers?: boolean;
  /** Only entries of these sections (comments and privileges go with their object's section). */
  sections?: readonly ('pre-data' | 'data' | 'post-data')[];
  /** Whether to write psql's `\restrict` lines (the dump has a key and the psql knows them). Default: when the dump has a key. */
  restrict?: boolean;
  /**
   * Run-time parameters the target server lacks (PreflightReport.missingParameters): their
   * `SET` / `set_config` statements in the preamble and before sections are left out.
   */
  missingParameters?: readonly string[];
}

export interface SliceItem {
  dumpId: number;
  desc: string;
  /** `schema.name`, or the name alone. */
  name: string;
  /** Bytes of SQL sent for it. */
  bytes: number;
}

export interface SlicePlan {
  pieces: Piece[];
  /** The entries sent, in the order sent. */
  items: SliceItem[];
  /** Bytes of the whole stream. */
  bytes: number;
  /** Planned entries the options leave out, one line each (e.g. `ACL … left out: --no-privileges`). */
  leftOut: string[];
  /** Parameters of `missingParameters` whose setting statements were left out of the stream, in the order met. */
  parametersLeftOut: string[];
}

const SECTION_OF_NAME = { 'pre-data': Section.PreData, data: Section.Data, 'post-data': Section.PostData } as const;
const ACL_KINDS = new Set(['ACL', 'ACL LANGUAGE', 'DEFAULT ACL']);

/** `"schema"."name"`: always quoted, which is always valid. */
export function quoteQualified(namespace: string | null, name: string): string {
  const q = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return namespace === null ? q(name) : `${q(namespace)}.${q(name)}`;
}

/** Character ranges (in `sql`) of the `ALTER … OWNER TO …;` statements pg_dump writes after an object. */
export function ownerStatements(sql: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const st of splitStatements(sql, tokenize(sql))) {
    const t = st.tokens;
    if (!isWord(t[0], 'ALTER')) continue;
    const owner = t.findIndex((x, k) => isWord(x, 'OWNER') && isWord(t[k + 1], 'TO') && isName(t[k + 2]));
    if (owner < 0) continue;
    let end = st.end;
    if (sql[end] === '\n') end++;
    out.push({ start: st.start, end });
  }
  return out;
}

/** Byte length of `s` in the dump's encoding. */
const bytesOf = (s: string, encoding: BufferEncoding) => Buffer.byteLength(s, encoding);

export function planSlices(index: PlainIndex, planned: readonly TocEntry[], options: SliceOptions = {}): SlicePlan {
  const pieces: Piece[] = [];
  const items: SliceItem[] = [];
  const leftOut: string[] = [];
  const encoding = index.encoding;
  const missing = new Set((options.missingParameters ?? []).map((p) => p.toLowerCase()));
  const parametersLeftOut: string[] = [];
  const keep = (lines: readonly string[]) => {
    const { kept, leftOut: gone } = withoutMissingParameters(lines, missing);
    for (const p of gone) if (!parametersLeftOut.includes(p)) parametersLeftOut.push(p);
    return kept.filter((line) => !(options.noOwner && switchesRole(line)) && !(options.noTablespaces && choosesTablespace(line)));
  };
  const text = (s: string, dumpId?: number) => {
    if (s !== '') pieces.push({ kind: 'text', text: s, ...(dumpId !== undefined ? { dumpId } : {}) });
  };

  const restrict = (options.restrict ?? true) && index.restrictKey !== null;
  if (restrict) text(`\\restrict ${index.restrictKey}\n`);
  let current = keep(index.preamble);
  text(current.map((l) => `${l}\n`).join(''));
  if (options.role !== undefined) text(`SET ROLE ${quoteQualified(null, options.role)};\n`);
  text('\n');

  const sections = options.sections && options.sections.length > 0 ? new Set(options.sections.map((s) => SECTION_OF_NAME[s])) : undefined;
  const byId = new Map(planned.map((e) => [e.dumpId, e]));
  for (const entry of [...planned].sort((a, b) => a.dumpId - b.dumpId)) {
    const at = entry.dumpId - 1;
    const e: PlainEntry | undefined = index.entries[at];
    if (!e) throw new Error(`planSlices: entry ${entry.dumpId} is not in the index`);
    const name = entry.namespace ? `${entry.namespace}.${entry.tag ?? ''}` : (entry.tag ?? '');
    const why = leftOutBecause(entry, options, sections, byId);
    if (why) {
      leftOut.push(`${entry.desc} ${name}: ${why}`);
      continue;
    }
    const state = keep(index.states[e.state] ?? []);
    const change = settingsChange(current, state);
    current = state;
    const before = pieces.length;
    text(change.map((l) => `${l}\n`).join(''), entry.dumpId);
    const table = quoteQualified(entry.namespace, entry.tag ?? '');
    const triggers = options.disableTriggers && entry.desc === 'TABLE DATA';
    if (triggers) text(`ALTER TABLE ONLY ${table} DISABLE TRIGGER ALL;\n\n`, entry.dumpId);
    const drops = options.noOwner && !e.data && e.sql !== undefined ? ownerStatements(e.sql) : [];
    if (drops.length === 0) {
      pieces.push({ kind: 'range', offset: e.bodyOffset, length: e.bodyLength, dumpId: entry.dumpId, ...(entry.desc === 'BLOBS' ? { dropTransactionLines: true } : {}) });
    } else {
      // The section without its ownership statements, as byte ranges of the file.
      let from = 0;
      for (const d of drops) {
        const a = bytesOf(e.sql!.slice(0, d.start), encoding);
        if (a > from) pieces.push({ kind: 'range', offset: e.bodyOffset + from, length: a - from, dumpId: entry.dumpId });
        from = bytesOf(e.sql!.slice(0, d.end), encoding);
      }
      if (e.bodyLength > from) pieces.push({ kind: 'range', offset: e.bodyOffset + from, length: e.bodyLength - from, dumpId: entry.dumpId });
    }
    if (triggers) text(`ALTER TABLE ONLY ${table} ENABLE TRIGGER ALL;\n\n`, entry.dumpId);
    const bytes = pieces.slice(before).reduce((sum, p) => sum + pieceBytes(p, encoding), 0);
    items.push({ dumpId: entry.dumpId, desc: entry.desc ?? '', name, bytes });
  }
  if (restrict) text(`\\unrestrict ${index.restrictKey}\n`);
  const bytes = pieces.reduce((sum, p) => sum + pieceBytes(p, encoding), 0);
  return { pieces, items, bytes, leftOut, parametersLeftOut };
}

/**
 * The run-time parameters the settings of a restore of `planned` would set: those of the
 * preamble and of the settings pg_dump wrote before each planned section, sorted, once each.
 * The pre-flight check asks the target which of them it lacks.
 */
export function settingParameters(index: PlainIndex, planned: readonly TocEntry[]): string[] {
  const states = new Set<number>();
  for (const entry of planned) {
    const e = index.entries[entry.dumpId - 1];
    if (e) states.add(e.state);
  }
  const out = new Set<string>();
  for (const lines of [index.preamble, ...[...states].map((s) => index.states[s] ?? [])]) {
    for (const line of lines) {
      const p = settingParameter(line);
      if (p !== null) out.add(p);
    }
  }
  return [...out].sort();
}

export function pieceBytes(p: Piece, encoding: BufferEncoding): number {
  return p.kind === 'text' ? bytesOf(p.text, encoding) : p.length;
}

/** Why the options leave a planned entry out, or undefined. */
function leftOutBecause(entry: TocEntry, options: SliceOptions, sections: Set<Section> | undefined, byId: ReadonlyMap<number, TocEntry>): string | undefined {
  const desc = entry.desc ?? '';
  if (options.noPrivileges && ACL_KINDS.has(desc)) return 'left out (--no-privileges)';
  if (options.noComments && desc === 'COMMENT') return 'left out (--no-comments)';
  if (sections) {
    let section = entry.section;
    // Comments and privileges go with the section of what they are about.
    if (section === Section.None) {
      const about = entry.dependencies.map((id) => byId.get(id)).find((x) => x !== undefined && x.section !== Section.None);
      section = about?.section ?? Section.PreData;
    }
    if (!sections.has(section)) return 'left out (not in the sections asked for)';
  }
  return undefined;
}
