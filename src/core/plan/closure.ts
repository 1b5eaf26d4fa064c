import { isListedByDefault } from '../model/listing';
import type { Archive, TocEntry } from '../model/types';
import { tocIndex, type TocIndex } from './dependencies';
import { FUNCTION_KINDS, TYPE_KINDS, resolveSelection, selectionMode, type RestoreMode, type Selection } from './selection';

/**
 * The restore plan: which TOC entries to restore for a selection, and why each one.
 *
 * Unlike `pg_restore -t`, a selected table brings everything that belongs to it: its data, its
 * owned sequences (definition, OWNED BY and value), column defaults, constraints, indexes,
 * index attachments, triggers, rules, policies, row security, comments, privileges, security
 * labels and statistics, and for a partition its attachment to the parent; a partitioned table
 * brings its partitions. Unlike `pg_restore -n`, a schema brings its own `SCHEMA` entry.
 *
 * What planned entries depend on (TOC dependencies) is either planned too (`withDeps`) or
 * reported in `needs`, so that the user knows before anything runs what may fail.
 */

export type PlanReason =
  /** The user selected it, e.g. as `table sales.order` or `section pre-data`. */
  | { kind: 'selected'; as: string }
  /** It belongs to entry `of` (a table's index, an object's comment, a sequence's value…). */
  | { kind: 'part-of'; of: number; why: string }
  /** `withDeps`: entry `of` needs it. */
  | { kind: 'needed-by'; of: number; why: string };

export interface PlannedEntry {
  entry: TocEntry;
  reason: PlanReason;
}

/** An entry outside the plan that planned entries depend on. */
export interface NeededEntry {
  entry: TocEntry;
  /** The planned entries that depend on it, in archive order, each with what it is to them. */
  neededBy: { dumpId: number; why: string }[];
  /**
   * True when the mode leaves this kind of entry out (a table's definition in a data-only
   * plan): it must already exist in the target database, and `withDeps` cannot bring it.
   */
  mustExist: boolean;
}

/** A foreign key whose referenced table (or, data only, the rows of it) is not planned. */
export interface DanglingForeignKey {
  /** The FK CONSTRAINT entry. */
  entry: TocEntry;
  /** The table the constraint is on. */
  table: TocEntry | undefined;
  /** What it references that is not planned: tables, their key constraints, or (data only) their TABLE DATA. */
  missing: TocEntry[];
  /** Whether the plan leaves the constraint out (`dropDanglingForeignKeys`). */
  leftOut: boolean;
}

/** An entry the closure brought but the plan leaves out, and why. */
export interface LeftOutEntry {
  entry: TocEntry;
  why: string;
}

export interface RestorePlan {
  selection: Selection;
  mode: RestoreMode;
  withDeps: boolean;
  dropDanglingForeignKeys: boolean;
  /** In archive order. */
  entries: PlannedEntry[];
  /** In archive order. */
  needs: NeededEntry[];
  /** In archive order. */
  danglingForeignKeys: DanglingForeignKey[];
  /** In archive order. */
  leftOut: LeftOutEntry[];
}

const RELATIONS = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE']);
const TABLES = new Set(['TABLE', 'FOREIGN TABLE']);
/** Entries whose dependencies include the relation they are on; most are tagged `relation name`. */
const ON_RELATION = new Set(['CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'INDEX', 'TRIGGER', 'RULE', 'POLICY', 'ROW SECURITY', 'DEFAULT', 'STATISTICS']);
/** Entries about one other object, which depend on it: they go wherever it goes. */
const ATTACHED = new Set(['COMMENT', 'ACL', 'SECURITY LABEL', 'STATISTICS DATA']);
const KEY_KINDS = new Set(['CONSTRAINT', 'INDEX']);
const INDEX_KIND = new Set(['INDEX']);

type Part = 'definition' | 'data' | 'statistics';

/**
 * Which part of a restore an entry is, as pg_restore's -s/-a/--statistics see it, except that
 * MATERIALIZED VIEW DATA (a REFRESH, which fills the view) counts as data here.
 */
export function entryPart(e: TocEntry): Part {
  const d = e.desc ?? '';
  if (d === 'STATISTICS DATA') return 'statistics';
  if (e.hadDumper) return 'data';
  if (d === 'SEQUENCE SET' || d === 'BLOB' || d === 'BLOB METADATA' || d === 'MATERIALIZED VIEW DATA') return 'data';
  if ((d === 'ACL' || d === 'COMMENT' || d === 'SECURITY LABEL') && (e.tag ?? '').startsWith('LARGE OBJECT')) return 'data';
  return 'definition';
}

/** Whether a mode restores this part. Statistics describe rows, so they come only with definition and data. */
function modeAllows(mode: RestoreMode, part: Part): boolean {
  switch (mode) {
    case 'definition-and-data':
      return true;
    case 'definition-only':
      return part === 'definition';
    case 'data-only':
      return part === 'data';
  }
}

/** One line: `dumpId desc schema tag`, with line breaks in names shown as spaces. */
export function describeEntry(e: TocEntry): string {
  return `${e.dumpId} ${e.desc ?? ''} ${e.namespace ?? '-'} ${e.tag ?? ''}`.replace(/[\r\n]/g, ' ').trimEnd();
}

/** A reason as one line, e.g. `part of 224 TABLE sales order: an index`. */
export function describeReason(archive: Archive, reason: PlanReason): string {
  if (reason.kind === 'selected') return `selected: ${reason.as.replace(/[\r\n]/g, ' ')}`;
  const other = tocIndex(archive).byId(reason.of);
  const label = other ? describeEntry(other) : String(reason.of);
  return reason.kind === 'part-of' ? `part of ${label}: ${reason.why}` : `needed by ${label}: ${reason.why}`;
}

// ---------------------------------------------------------------------------------------------
// What belongs to what

/** Which entries belong to which object: a table's indexes, a sequence's value, a comment's object… */
export interface Ownership {
  /** The entries that belong to the entry with this dumpId, in archive order. */
  parts(dumpId: number): readonly TocEntry[];
  /** The objects the entry belongs to (usually one; a shared sequence may have several). */
  owners(dumpId: number): readonly TocEntry[];
  /** Whether the entry belongs to any object: owners(dumpId).length > 0, without making the list. */
  isOwned(dumpId: number): boolean;
  /** By position in the TOC (see TocIndex): the positions of the parts (a view: read, do not keep). */
  partPositions(position: number): Int32Array;
  /** By position in the TOC: whether the entry belongs to any object. */
  isOwnedAt(position: number): boolean;
}

const NO_ENTRIES: readonly TocEntry[] = Object.freeze([]);
const ownershipCache = new WeakMap<TocIndex, Ownership>();

/** The ownership of an archive's entries, worked out once per archive. */
export function ownership(archive: Archive): Ownership {
  const index = tocIndex(archive);
  let own = ownershipCache.get(index);
  if (!own) {
    own = buildOwnership(index);
    ownershipCache.set(index, own);
  }
  return own;
}

/**
 * Reads a possibly qualified SQL name at `at`: identifiers, quoted ("a""b") or not, joined by
 * dots. Returns the parts, or null when there is none.
 */
export function readQualifiedName(text: string, at: number): string[] | null {
  const parts: string[] = [];
  let i = at;
  for (;;) {
    if (text[i] === '"') {
      let s = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) return null;
        s += text.slice(i, q);
        if (text[q + 1] === '"') {
          s += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      parts.push(s);
    } else {
      const m = /^[A-Za-z0-9_$\u0080-\uffff]+/.exec(text.slice(i, i + 200));
      if (!m) return parts.length > 0 ? parts : null;
      parts.push(m[0]);
      i += m[0].length;
    }
    if (text[i] !== '.') return parts;
    i++;
  }
}

/** The table named by `ALTER SEQUENCE s OWNED BY schema.table.column`, as [schema, table]. */
function ownedByTable(defn: string | null): [string, string] | null {
  if (!defn) return null;
  const at = defn.indexOf(' OWNED BY ');
  if (at < 0) return null;
  const parts = readQualifiedName(defn, at + ' OWNED BY '.length);
  return parts && parts.length === 3 ? [parts[0]!, parts[1]!] : null;
}

/** The table named by an identity sequence's `ALTER TABLE [ONLY] schema.table ALTER COLUMN … ADD GENERATED`. */
function identityTable(defn: string | null): [string, string] | null {
  if (!defn || !defn.startsWith('ALTER TABLE ') || !defn.includes(' ADD GENERATED ')) return null;
  let at = 'ALTER TABLE '.length;
  if (defn.startsWith('ONLY ', at)) at += 'ONLY '.length;
  const parts = readQualifiedName(defn, at);
  return parts && parts.length === 2 ? [parts[0]!, parts[1]!] : null;
}

/** Kinds whose entries belong to another entry (or, for a sequence, may belong to a table). */
const OWNED_KINDS = new Set(['TABLE DATA', 'MATERIALIZED VIEW DATA', 'SEQUENCE SET', 'SEQUENCE OWNED BY', 'TABLE ATTACH', 'INDEX ATTACH', 'SEQUENCE', ...ATTACHED, ...ON_RELATION]);

/**
 * Works on positions in the TOC, not on entry objects: it visits every entry of a TOC of
 * 90,000 entries each time a dump is opened in the tree.
 */
function buildOwnership(index: TocIndex): Ownership {
  const n = index.entries.length;
  const desc = index.descAt;
  // The owner of the entry at each position (-1: none); the rare second owners aside.
  const firstOwner = new Int32Array(n).fill(-1);
  const moreOwners = new Map<number, number[]>();
  const own = (child: number, owner: number) => {
    if (owner < 0 || owner === child) return;
    const first = firstOwner[child]!;
    if (first < 0) firstOwner[child] = owner;
    else if (first !== owner) {
      const more = moreOwners.get(child) ?? [];
      if (!more.includes(owner)) more.push(owner);
      moreOwners.set(child, more);
    }
  };
  // What each entry depends on: positions deps[from] up to deps[to] (no array per entry).
  const { start: depStart, positions: deps } = index.dependencyRuns;
  /** The first dependency of kind `kind` in deps[from…to], else deps[from]. */
  const firstOf = (from: number, to: number, kind: string) => {
    for (let k = from; k < to; k++) if (desc(deps[k]!) === kind) return deps[k]!;
    return deps[from]!;
  };
  /** The dependencies in deps[from…to] whose desc is in `kinds`. */
  const ofKinds = (from: number, to: number, kinds: ReadonlySet<string>) => {
    const out: number[] = [];
    for (let k = from; k < to; k++) if (kinds.has(desc(deps[k]!))) out.push(deps[k]!);
    return out;
  };
  const sameName = (a: number, b: number) => index.tagAt(a) === index.tagAt(b) && index.namespaceAt(a) === index.namespaceAt(b);
  /** Among `candidates`, the one whose tag the tag at `at` starts with (`relation name` tags), longest first; -1 when none. */
  const byTagPrefix = (at: number, candidates: readonly number[]) => {
    const tag = index.tagAt(at) ?? '';
    const namespace = index.namespaceAt(at);
    let best = -1;
    for (const d of candidates) {
      const dTag = index.tagAt(d);
      if (dTag === null || index.namespaceAt(d) !== namespace) continue;
      if (tag !== dTag && !tag.startsWith(`${dTag} `)) continue;
      if (best < 0 || dTag.length > (index.tagAt(best) ?? '').length) best = d;
    }
    return best;
  };
  const defn = (at: number) => index.entries[at]!.defn;

  let relations: Map<string, number> | undefined;
  const relationNamed = (name: [string, string] | null): number => {
    if (!name) return -1;
    if (!relations) {
      relations = new Map();
      for (let i = 0; i < n; i++) if (RELATIONS.has(desc(i))) relations.set(`${index.namespaceAt(i)}\u0000${index.tagAt(i)}`, i);
    }
    return relations.get(`${name[0]}\u0000${name[1]}`) ?? -1;
  };

  /** Sequence → the table that owns it (positions). */
  const sequenceOwners = new Map<number, number>();
  const ownedByLinks: [number, number][] = [];
  const defaultsUsing: [number, number][] = [];

  for (let i = 0; i < n; i++) {
    const d = desc(i);
    if (!OWNED_KINDS.has(d)) continue;
    const from = depStart[i]!;
    const to = depStart[i + 1]!;
    if (from === to) continue;
    if (d === 'TABLE DATA') own(i, deps[from]!);
    else if (d === 'MATERIALIZED VIEW DATA') own(i, firstOf(from, to, 'MATERIALIZED VIEW'));
    else if (d === 'SEQUENCE SET') own(i, firstOf(from, to, 'SEQUENCE'));
    else if (d === 'SEQUENCE OWNED BY') {
      const sequence = firstOf(from, to, 'SEQUENCE');
      own(i, sequence);
      ownedByLinks.push([i, sequence]);
    } else if (ATTACHED.has(d)) {
      // A column's ACL also depends on the table's ACL; it is about the table.
      let owner = deps[from]!;
      for (let k = from; k < to; k++) {
        if (desc(deps[k]!) !== 'ACL') {
          owner = deps[k]!;
          break;
        }
      }
      own(i, owner);
    } else if (d === 'TABLE ATTACH') {
      const tables = ofKinds(from, to, TABLES);
      const partition = (tables.length > 1 ? tables.find((x) => sameName(x, i)) : undefined) ?? tables[0] ?? deps[from]!;
      own(i, partition);
      const parent = tables.find((x) => x !== partition);
      if (parent !== undefined) own(partition, parent);
    } else if (d === 'INDEX ATTACH') {
      const indexes = ofKinds(from, to, INDEX_KIND);
      own(i, indexes.find((x) => sameName(x, i)) ?? indexes[indexes.length - 1] ?? deps[from]!);
    } else if (ON_RELATION.has(d)) {
      // Tags are `relation name` (INDEX and STATISTICS: just the name); a foreign key depends on
      // two tables. A domain's separate CHECK CONSTRAINT is `domain name` and depends on the domain.
      let owner = -1;
      let relationDeps = 0;
      for (let k = from; k < to; k++) if (RELATIONS.has(desc(deps[k]!)) && relationDeps++ === 0) owner = deps[k]!;
      if (relationDeps !== 1) {
        const byTag = byTagPrefix(i, relationDeps > 1 ? ofKinds(from, to, RELATIONS) : Array.from(deps.subarray(from, to)));
        if (byTag >= 0) owner = byTag;
        else if (relationDeps === 0) owner = deps[from]!;
      }
      own(i, owner);
      if (d === 'DEFAULT') for (let k = from; k < to; k++) if (desc(deps[k]!) === 'SEQUENCE') defaultsUsing.push([deps[k]!, owner]);
    } else if (d === 'SEQUENCE') {
      // An owned sequence (serial or identity) depends on its table; the definition is read
      // only when that does not settle it.
      let table = -1;
      let tableDeps = 0;
      for (let k = from; k < to; k++) if (TABLES.has(desc(deps[k]!)) && tableDeps++ === 0) table = deps[k]!;
      if (tableDeps !== 1) {
        const named = relationNamed(identityTable(defn(i)));
        if (named >= 0) table = named;
      }
      if (table >= 0) sequenceOwners.set(i, table);
    }
  }
  for (const [link, sequence] of ownedByLinks) {
    if (sequenceOwners.has(sequence)) continue;
    const table = relationNamed(ownedByTable(defn(link)));
    if (table >= 0) sequenceOwners.set(sequence, table);
  }
  for (const [sequence, table] of sequenceOwners) own(sequence, table);
  // A sequence no table owns, used by a column default: it goes with each table that uses it.
  for (const [sequence, table] of defaultsUsing) if (!sequenceOwners.has(sequence)) own(sequence, table);

  // Each owner's parts, in archive order, as runs of positions (CSR): no list per owner until asked for.
  const partStart = new Int32Array(n + 1);
  const hasMore = moreOwners.size > 0;
  for (let i = 0; i < n; i++) {
    if (firstOwner[i]! < 0) continue;
    partStart[firstOwner[i]! + 1]!++;
    if (hasMore) for (const o of moreOwners.get(i) ?? []) partStart[o + 1]!++;
  }
  for (let i = 0; i < n; i++) partStart[i + 1] = partStart[i + 1]! + partStart[i]!;
  const partPos = new Int32Array(partStart[n]!);
  const fill = partStart.slice(0, n);
  for (let i = 0; i < n; i++) {
    if (firstOwner[i]! < 0) continue;
    partPos[fill[firstOwner[i]!]!++] = i;
    if (hasMore) for (const o of moreOwners.get(i) ?? []) partPos[fill[o]!++] = i;
  }
  const partsCache = new Map<number, readonly TocEntry[]>();
  const ownersCache = new Map<number, readonly TocEntry[]>();
  const partPositions = (at: number) => partPos.subarray(partStart[at]!, partStart[at + 1]!);
  return {
    parts: (id) => {
      const at = index.position(id);
      if (at < 0 || partStart[at] === partStart[at + 1]) return NO_ENTRIES;
      let list = partsCache.get(at);
      if (!list) partsCache.set(at, (list = Array.from(partPositions(at), (p) => index.entries[p]!)));
      return list;
    },
    partPositions,
    isOwned: (id) => {
      const at = index.position(id);
      return at >= 0 && firstOwner[at]! >= 0;
    },
    isOwnedAt: (at) => firstOwner[at]! >= 0,
    owners: (id) => {
      const at = index.position(id);
      if (at < 0 || firstOwner[at]! < 0) return NO_ENTRIES;
      let list = ownersCache.get(at);
      if (!list) ownersCache.set(at, (list = [firstOwner[at]!, ...(moreOwners.get(at) ?? [])].map((p) => index.entries[p]!)));
      return list;
    },
  };
}

/** What `part` is to the object it belongs to, for reasons. */
function partWhy(part: TocEntry, owner: TocEntry, index: TocIndex, own: Ownership): string {
  switch (part.desc) {
    case 'TABLE DATA':
      return 'its rows';
    case 'MATERIALIZED VIEW DATA':
      return 'its contents (REFRESH)';
    case 'SEQUENCE':
      if (own.parts(part.dumpId).some((p) => p.desc === 'SEQUENCE OWNED BY')) return 'a sequence one of its columns owns';
      return index.dependencies(part).includes(owner) ? 'its identity sequence' : 'a sequence a column default uses';
    case 'SEQUENCE OWNED BY':
      return 'ties it to the column that owns it';
    case 'SEQUENCE SET':
      return 'its current value';
    case 'DEFAULT':
      return 'a column default';
    case 'CONSTRAINT':
      return 'a constraint';
    case 'CHECK CONSTRAINT':
      return 'a check constraint';
    case 'FK CONSTRAINT':
      return 'a foreign key';
    case 'INDEX':
      return 'an index';
    case 'INDEX ATTACH':
      return 'attaches it to the partitioned index';
    case 'TRIGGER':
      return 'a trigger';
    case 'RULE':
      return 'a rule';
    case 'POLICY':
      return 'a row security policy';
    case 'ROW SECURITY':
      return 'enables row security on it';
    case 'COMMENT':
      return (part.tag ?? '').startsWith('COLUMN ') ? 'a column comment' : 'a comment on it';
    case 'ACL':
      return (part.tag ?? '').startsWith('COLUMN ') ? 'column privileges' : 'its privileges';
    case 'SECURITY LABEL':
      return 'a security label on it';
    case 'STATISTICS DATA':
      return 'its planner statistics';
    case 'STATISTICS':
      return 'extended statistics on it';
    case 'TABLE ATTACH':
      return 'attaches it to its partitioned table';
    case 'TABLE':
      return owner.desc === 'TABLE' ? 'a partition of it' : 'belongs to it';
    default:
      return `${(part.desc ?? 'entry').toLowerCase()} of it`;
  }
}

/** What `dep` is to `by`, which depends on it: `the table the foreign key references`. */
export function dependencyWhy(by: TocEntry, dep: TocEntry, own: Ownership): string {
  const b = by.desc ?? '';
  const d = dep.desc ?? '';
  if (d === 'SCHEMA') return 'its schema';
  if (b === 'TABLE DATA') return 'the table its rows go into';
  if (b === 'SEQUENCE SET' || b === 'SEQUENCE OWNED BY') return 'the sequence it is about';
  if (b === 'MATERIALIZED VIEW DATA' && d === 'MATERIALIZED VIEW') return 'the materialized view it fills';
  if (b === 'FK CONSTRAINT') {
    if (RELATIONS.has(d)) return own.owners(by.dumpId).includes(dep) ? 'the table the foreign key is on' : 'the table the foreign key references';
    if (KEY_KINDS.has(d)) return 'the key the foreign key references';
  }
  if (b === 'TABLE ATTACH' && RELATIONS.has(d)) return own.owners(by.dumpId).includes(dep) ? 'the partition it attaches' : 'the partitioned table it attaches to';
  if (b === 'INDEX ATTACH' && d === 'INDEX') return own.owners(by.dumpId).includes(dep) ? 'the index it attaches' : 'the partitioned index it attaches to';
  if (ATTACHED.has(b)) return 'the object it is about';
  if (TYPE_KINDS.includes(d) || d === 'SHELL TYPE') return 'a type it uses';
  if (FUNCTION_KINDS.includes(d)) return b === 'TRIGGER' ? 'the trigger function' : 'a function it uses';
  if (d === 'SEQUENCE') return 'a sequence it uses';
  if (d === 'EXTENSION') return 'an extension it provides objects from';
  if (RELATIONS.has(d)) {
    if (b === 'VIEW' || b === 'MATERIALIZED VIEW') return 'a relation the view reads';
    if (ON_RELATION.has(b)) return 'the relation it is on';
    if (TABLES.has(b)) return 'a table it inherits from or is a partition of';
    return 'a relation it uses';
  }
  return `a ${d.toLowerCase()} it depends on`;
}

// ---------------------------------------------------------------------------------------------
// The closure

/**
 * Plans the restore of a selection. Throws DumpError('usage') when a selected name is not in
 * the archive. Hidden entries (ENCODING, STDSTRINGS, SEARCHPATH, which pg_restore applies
 * anyway), DATABASE entries and anything else `pg_restore -l` would not list are never planned.
 */
export function buildPlan(archive: Archive, selection: Selection): RestorePlan {
  const index = tocIndex(archive);
  const own = ownership(archive);
  const { mode, withDeps, dropDanglingForeignKeys } = selectionMode(selection);
  const selected = resolveSelection(archive, selection);

  const visible = (e: TocEntry) => isListedByDefault(e);
  const allowed = (e: TocEntry) => modeAllows(mode, entryPart(e));
  const reasons = new Map<number, PlanReason>();
  const queue: TocEntry[] = [];
  const add = (e: TocEntry, reason: PlanReason): boolean => {
    if (reasons.has(e.dumpId) || !visible(e) || !allowed(e)) return false;
    reasons.set(e.dumpId, reason);
    queue.push(e);
    return true;
  };
  const planned = (e: TocEntry) => reasons.has(e.dumpId);
  const isPartition = (e: TocEntry, of: TocEntry) => e.desc === 'TABLE' && of.desc === 'TABLE' && own.owners(e.dumpId).includes(of);

  // A whole object: itself and, through anything the mode leaves out, everything that belongs
  // to it. A partitioned table needed only as the parent of a partition comes without its other
  // partitions.
  const walked = new Set<number>();
  const walkedWithoutPartitions = new Set<number>();
  const addWhole = (root: TocEntry, reason: PlanReason, withPartitions = true) => {
    add(root, reason);
    if (walked.has(root.dumpId) && !(withPartitions && walkedWithoutPartitions.delete(root.dumpId))) return;
    walked.add(root.dumpId);
    if (!withPartitions) walkedWithoutPartitions.add(root.dumpId);
    const stack = [root];
    while (stack.length > 0) {
      const owner = stack.pop()!;
      for (const part of own.parts(owner.dumpId)) {
        if (walked.has(part.dumpId)) continue;
        if (!withPartitions && owner === root && isPartition(part, owner)) continue;
        walked.add(part.dumpId);
        add(part, { kind: 'part-of', of: owner.dumpId, why: partWhy(part, owner, index, own) });
        stack.push(part);
      }
    }
  };

  /** The rows of a table: its TABLE DATA, or its partitions' for a partitioned table. */
  const rowsOf = (e: TocEntry): TocEntry[] => {
    const out: TocEntry[] = [];
    const stack = [e];
    const seen = new Set<number>();
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (seen.has(x.dumpId)) continue;
      seen.add(x.dumpId);
      for (const part of own.parts(x.dumpId)) {
        if (part.desc === 'TABLE DATA') out.push(part);
        else if (part.desc === 'TABLE' && x.desc === 'TABLE') stack.push(part);
      }
    }
    return out;
  };

  const drain = () => {
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i]!;
      // Comments, privileges, labels and statistics go wherever their object goes.
      for (const part of own.parts(e.dumpId)) {
        if (ATTACHED.has(part.desc ?? '')) add(part, { kind: 'part-of', of: e.dumpId, why: partWhy(part, e, index, own) });
      }
      if (!withDeps) continue;
      // What the selection needs comes as if selected: a table with its rows, keys, sequences…
      for (const dep of index.dependencies(e)) {
        if (planned(dep) || !visible(dep) || !allowed(dep)) continue;
        const asParent = e.desc === 'TABLE ATTACH' || isPartition(e, dep);
        addWhole(dep, { kind: 'needed-by', of: e.dumpId, why: dependencyWhy(e, dep, own) }, !asParent);
      }
    }
    queue.length = 0;
  };

  for (const s of selected) {
    if (s.whole) addWhole(s.entry, { kind: 'selected', as: s.as }, s.withPartitions);
    else add(s.entry, { kind: 'selected', as: s.as });
  }
  drain();

  // Foreign keys: what each planned one references (data only: the rows it references, since
  // the constraint already exists in the target and checks them).
  const foreignKeysInScope = (): { fk: TocEntry; rows?: TocEntry }[] => {
    if (mode !== 'data-only') return index.entries.filter((e) => e.desc === 'FK CONSTRAINT' && planned(e)).map((fk) => ({ fk }));
    const out: { fk: TocEntry; rows: TocEntry }[] = [];
    for (const e of index.entries) {
      if (e.desc !== 'TABLE DATA' || !planned(e)) continue;
      for (const table of own.owners(e.dumpId)) {
        for (const part of own.parts(table.dumpId)) if (part.desc === 'FK CONSTRAINT') out.push({ fk: part, rows: e });
      }
    }
    return out;
  };
  const referenced = (fk: TocEntry): TocEntry[] => {
    const on = own.owners(fk.dumpId);
    const out: TocEntry[] = [];
    for (const dep of index.dependencies(fk)) {
      if (TABLES.has(dep.desc ?? '') && !on.includes(dep) && !out.includes(dep)) out.push(dep);
      if (KEY_KINDS.has(dep.desc ?? '')) {
        for (const t of own.owners(dep.dumpId)) if (TABLES.has(t.desc ?? '') && !on.includes(t) && !out.includes(t)) out.push(t);
      }
    }
    return out;
  };
  const missingFor = (fk: TocEntry): TocEntry[] => {
    if (mode === 'data-only') return referenced(fk).flatMap((t) => rowsOf(t).filter((d) => !planned(d)));
    const keys = index.dependencies(fk).filter((d) => KEY_KINDS.has(d.desc ?? '') && visible(d) && !planned(d));
    return [...referenced(fk).filter((t) => !planned(t)), ...keys];
  };

  if (withDeps && mode === 'data-only') {
    // The definitions exist already; the rows a foreign key references must be loaded too.
    for (let before = -1; before !== reasons.size; ) {
      before = reasons.size;
      for (const { fk, rows } of foreignKeysInScope()) {
        if (missingFor(fk).length === 0) continue;
        // The referenced tables' rows, and the values of their sequences.
        for (const table of referenced(fk)) addWhole(table, { kind: 'needed-by', of: rows!.dumpId, why: `the table whose rows its foreign key ${fk.tag ?? ''} references` });
      }
      drain();
    }
  }

  const danglingForeignKeys: DanglingForeignKey[] = [];
  const leftOut: LeftOutEntry[] = [];
  const seenFk = new Set<number>();
  for (const { fk } of foreignKeysInScope()) {
    if (seenFk.has(fk.dumpId)) continue;
    seenFk.add(fk.dumpId);
    const missing = missingFor(fk);
    if (missing.length === 0) continue;
    const drop = dropDanglingForeignKeys && planned(fk);
    danglingForeignKeys.push({ entry: fk, table: own.owners(fk.dumpId)[0], missing, leftOut: drop });
    if (!drop) continue;
    // The constraint and what is about it (its comment) stay out.
    const stack = [fk];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (!reasons.delete(x.dumpId)) continue;
      leftOut.push({
        entry: x,
        why: x === fk ? `references ${missing.map(describeEntry).join(', ')}, which the plan does not restore` : `belongs to the foreign key ${describeEntry(fk)}, which is left out`,
      });
      stack.push(...own.parts(x.dumpId));
    }
  }

  const byPosition = (a: TocEntry, b: TocEntry) => index.position(a.dumpId) - index.position(b.dumpId);
  const entries: PlannedEntry[] = [...reasons.keys()]
    .map((id) => index.byId(id)!)
    .sort(byPosition)
    .map((entry) => ({ entry, reason: reasons.get(entry.dumpId)! }));

  const needs = new Map<number, NeededEntry>();
  for (const { entry } of entries) {
    for (const dep of index.dependencies(entry)) {
      if (planned(dep) || !visible(dep)) continue;
      let need = needs.get(dep.dumpId);
      if (!need) needs.set(dep.dumpId, (need = { entry: dep, neededBy: [], mustExist: !allowed(dep) }));
      need.neededBy.push({ dumpId: entry.dumpId, why: dependencyWhy(entry, dep, own) });
    }
  }

  return {
    selection,
    mode,
    withDeps,
    dropDanglingForeignKeys,
    entries,
    needs: [...needs.values()].sort((a, b) => byPosition(a.entry, b.entry)),
    danglingForeignKeys: danglingForeignKeys.sort((a, b) => byPosition(a.entry, b.entry)),
    leftOut: leftOut.sort((a, b) => byPosition(a.entry, b.entry)),
  };
}
