import { DumpError } from '../errors';
import { findByQualifiedName } from '../model/find';
import { Section, type Archive, type TocEntry } from '../model/types';
import { tocIndex } from './dependencies';

/**
 * What a user picked for a selective restore, and how to resolve it against an archive.
 *
 * Objects are named as the TOC names them: `schema.name` (or `name` alone when only one schema
 * has it), schemas and extensions by their name, functions by `schema.name(argument types)` as
 * `pg_restore -l` shows them, or by `schema.name` for every overload.
 */

import type { RestoreMode } from './mode';

export type { RestoreMode };

export type SectionName = 'pre-data' | 'data' | 'post-data';

export interface Selection {
  /**
   * Objects picked one by one (the tree's check-boxes), by dumpId: each whole, with what belongs
   * to it, except that a partitioned table brings only those of its partitions picked too.
   */
  objects?: readonly number[];
  /** Whole schemas: the SCHEMA entry and everything in the schema. */
  schemas?: readonly string[];
  /** Tables, partitioned tables, partitions and foreign tables. */
  tables?: readonly string[];
  views?: readonly string[];
  materializedViews?: readonly string[];
  /** Sequences on their own (a table's owned sequence comes with the table anyway). */
  sequences?: readonly string[];
  /** Functions, procedures and aggregates. */
  functions?: readonly string[];
  /** Types and domains. */
  types?: readonly string[];
  extensions?: readonly string[];
  /** Every object of these TOC kinds (`desc`, e.g. `FUNCTION`, `EXTENSION`), with what belongs to it. */
  kinds?: readonly string[];
  /** Every entry of these sections (comments and privileges of those entries come too). */
  sections?: readonly SectionName[];
  /** Default `definition-and-data`. */
  mode?: RestoreMode;
  /** Also plan what the selection needs (schemas, types, functions, referenced tables…). Default false. */
  withDeps?: boolean;
  /** Leave out foreign keys whose referenced table is not planned. Default false. */
  dropDanglingForeignKeys?: boolean;
}

/** One object the selection names, resolved to its TOC entry. */
export interface SelectedObject {
  entry: TocEntry;
  /** How the user selected it, e.g. `table sales.order`, `schema sales`, `section pre-data`. */
  as: string;
  /**
   * Whether what belongs to the object comes with it (a table's data, indexes, constraints…).
   * False for entries picked by section, which bring only their comments and privileges.
   */
  whole: boolean;
  /** Whether a partitioned table brings all its partitions (false: only those picked too). */
  withPartitions: boolean;
}

export const TABLE_KINDS: readonly string[] = ['TABLE', 'FOREIGN TABLE'];
export const FUNCTION_KINDS: readonly string[] = ['FUNCTION', 'PROCEDURE', 'AGGREGATE'];
export const TYPE_KINDS: readonly string[] = ['TYPE', 'DOMAIN'];

interface NamedKind {
  key: keyof Selection;
  /** Singular noun for messages. */
  noun: string;
  descs: readonly string[];
}

/** Schemas last: an object named on its own keeps that as its reason, not its schema's. */
const NAMED_KINDS: readonly NamedKind[] = [
  { key: 'tables', noun: 'table', descs: TABLE_KINDS },
  { key: 'views', noun: 'view', descs: ['VIEW'] },
  { key: 'materializedViews', noun: 'materialized view', descs: ['MATERIALIZED VIEW'] },
  { key: 'sequences', noun: 'sequence', descs: ['SEQUENCE'] },
  { key: 'functions', noun: 'function', descs: FUNCTION_KINDS },
  { key: 'types', noun: 'type', descs: TYPE_KINDS },
  { key: 'extensions', noun: 'extension', descs: ['EXTENSION'] },
  { key: 'schemas', noun: 'schema', descs: ['SCHEMA'] },
];

/** Kinds a name may be found as when it is not found as what the user said, for the hint. */
const ANY_OBJECT: readonly string[] = [...new Set(NAMED_KINDS.flatMap((k) => k.descs))];

const SECTION_BY_NAME: Record<SectionName, Section> = {
  'pre-data': Section.PreData,
  data: Section.Data,
  'post-data': Section.PostData,
};

export function sectionOf(name: SectionName): Section {
  return SECTION_BY_NAME[name];
}

/** The selection with its defaults filled in. */
export function selectionMode(s: Selection): { mode: RestoreMode; withDeps: boolean; dropDanglingForeignKeys: boolean } {
  return { mode: s.mode ?? 'definition-and-data', withDeps: s.withDeps ?? false, dropDanglingForeignKeys: s.dropDanglingForeignKeys ?? false };
}

/** Whether the selection names nothing at all. */
export function isEmptySelection(s: Selection): boolean {
  return (s.objects ?? []).length === 0 && NAMED_KINDS.every((k) => ((s[k.key] as readonly string[] | undefined) ?? []).length === 0) && (s.kinds ?? []).length === 0 && (s.sections ?? []).length === 0;
}

/** An object as a user reads it: `table sales.order`. */
export function describeObject(e: TocEntry): string {
  const name = e.namespace ? `${e.namespace}.${e.tag ?? ''}` : (e.tag ?? '');
  return shown(`${(e.desc ?? 'entry').toLowerCase()} ${name}`);
}

/** Folds a name onto one line for messages. */
function shown(name: string): string {
  return JSON.stringify(name).slice(1, -1);
}

/** What a function's tag is without its argument list: `f(integer, text)` → `f`. */
function withoutArguments(tag: string): string {
  const paren = tag.indexOf('(');
  return paren < 0 ? tag : tag.slice(0, paren);
}

/** Functions by signature, or by name alone for every overload. */
function findFunctions(entries: readonly TocEntry[], name: string): TocEntry[] {
  const exact = findByQualifiedName(entries, name, FUNCTION_KINDS);
  if (exact.length > 0 || name.includes('(')) return exact;
  const functions = entries.filter((e) => e.desc !== null && FUNCTION_KINDS.includes(e.desc));
  const original = new Map<TocEntry, TocEntry>();
  const bare = functions.map((e) => {
    const view = { desc: e.desc, namespace: e.namespace, tag: e.tag === null ? null : withoutArguments(e.tag) } as TocEntry;
    original.set(view, e);
    return view;
  });
  return findByQualifiedName(bare, name, FUNCTION_KINDS).map((v) => original.get(v)!);
}

/**
 * Resolves the selection's names to TOC entries. Names that match nothing, or an unqualified
 * name that matches in several schemas, are a DumpError('usage') naming every such name on
 * one line.
 */
export function resolveSelection(archive: Archive, selection: Selection): SelectedObject[] {
  const entries = archive.entries;
  const out: SelectedObject[] = [];
  const notFound: string[] = [];
  const ambiguous: string[] = [];
  let byNamespace: Map<string, TocEntry[]> | undefined;
  const inSchema = (name: string): readonly TocEntry[] => {
    if (!byNamespace) {
      byNamespace = new Map();
      for (const e of entries) {
        if (e.namespace === null) continue;
        const list = byNamespace.get(e.namespace);
        if (list) list.push(e);
        else byNamespace.set(e.namespace, [e]);
      }
    }
    return byNamespace.get(name) ?? [];
  };

  if ((selection.objects ?? []).length > 0) {
    const index = tocIndex(archive);
    const missing: number[] = [];
    for (const id of selection.objects ?? []) {
      const entry = index.byId(id);
      if (!entry) missing.push(id);
      else out.push({ entry, as: `picked ${describeObject(entry)}`, whole: true, withPartitions: false });
    }
    if (missing.length > 0) notFound.push(`entr${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}`);
  }

  for (const kind of NAMED_KINDS) {
    for (const name of (selection[kind.key] as readonly string[] | undefined) ?? []) {
      const hits = kind.key === 'functions' ? findFunctions(entries, name) : findByQualifiedName(entries, name, kind.descs);
      if (kind.key === 'schemas' && hits.length === 0 && inSchema(name).length > 0) {
        // A schema the dump does not create (`public` since PostgreSQL 15): what is in it.
        for (const e of inSchema(name)) out.push({ entry: e, as: `schema ${name}`, whole: true, withPartitions: true });
        continue;
      }
      if (hits.length === 0) {
        const other = findByQualifiedName(entries, name, ANY_OBJECT)[0];
        notFound.push(`${kind.noun} ${shown(name)}${other?.desc ? ` (there is a ${other.desc.toLowerCase()} of that name)` : ''}`);
        continue;
      }
      const schemas = new Set(hits.map((e) => e.namespace));
      if (kind.key !== 'functions' && kind.key !== 'schemas' && schemas.size > 1) {
        ambiguous.push(`${kind.noun} ${shown(name)} (in schemas ${[...schemas].map((s) => shown(s ?? '-')).join(', ')})`);
        continue;
      }
      const as = `${kind.noun} ${name}`;
      for (const entry of hits) {
        out.push({ entry, as, whole: true, withPartitions: true });
        if (kind.key === 'schemas' && entry.tag !== null) {
          for (const e of inSchema(entry.tag)) out.push({ entry: e, as, whole: true, withPartitions: true });
        }
      }
    }
  }

  for (const desc of selection.kinds ?? []) {
    const hits = entries.filter((e) => e.desc === desc);
    if (hits.length === 0) notFound.push(`kind ${shown(desc)}`);
    for (const entry of hits) out.push({ entry, as: `every ${desc}`, whole: true, withPartitions: true });
  }

  for (const name of selection.sections ?? []) {
    const section = SECTION_BY_NAME[name];
    if (section === undefined) {
      notFound.push(`section ${shown(String(name))} (sections are pre-data, data, post-data)`);
      continue;
    }
    for (const entry of entries) if (entry.section === section) out.push({ entry, as: `section ${name}`, whole: false, withPartitions: false });
  }

  const problems = [
    ...(notFound.length > 0 ? [`not in the archive: ${notFound.join(', ')}`] : []),
    ...(ambiguous.length > 0 ? [`in several schemas, write SCHEMA.NAME: ${ambiguous.join(', ')}`] : []),
  ];
  if (problems.length > 0) throw new DumpError('usage', problems.join('; '));
  return out;
}
