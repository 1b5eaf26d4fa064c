import { ownership } from '../plan/closure';
import { tocIndex, type TocIndex } from '../plan/dependencies';
import { isListedByDefault, listedFlags } from './listing';
import type { Archive, TocEntry } from './types';

/**
 * What a dump holds, as a tree a person can browse: schema → kind of object → object, with the
 * objects that have no schema (extensions, large objects, event triggers…) in kind groups beside
 * the schemas. A partitioned table holds its partitions; every object holds the entries that
 * belong to it (its indexes, constraints, data, comments…), which come with it when it is picked.
 *
 * Objects are the entries `pg_restore -l` lists that belong to no other entry (ownership in
 * closure.ts), SCHEMA entries aside: a schema is the node of its objects. Every object is a
 * *leaf*: the leaves are numbered in tree order, so that every schema, group, range and object
 * node covers one contiguous span of leaves. Counting what is picked under a node, or picking
 * everything under it, is then a loop over one span, without making the nodes below it.
 *
 * No level holds more than RANGE_SIZE nodes: a kind group of more objects is split into ranges
 * by name (VS Code's tree is slow with thousands of siblings).
 */

export const RANGE_SIZE = 500;

export type OutlineNodeKind = 'schema' | 'group' | 'range' | 'object' | 'part';

export interface OutlineNode {
  /** Unique within the outline and stable across openings of the same dump. */
  readonly id: string;
  readonly kind: OutlineNodeKind;
  readonly label: string;
  /** The schema the node is in (or is); null for objects without one. */
  readonly schema: string | null;
  /** First leaf covered (objects and what is under them; parts cover none). */
  readonly start: number;
  /** One past the last leaf covered. */
  readonly end: number;
  /** The TOC entry of an object or part node (its SCHEMA entry for a schema, when it has one). */
  readonly dumpId?: number;
  /** An object's or part's `desc`. */
  readonly desc?: string;
  /** A group's kind. */
  readonly group?: KindGroup;
  /** Stored bytes of data: an object's and its partitions' (a table's rows), a group's sum. */
  readonly dataBytes: number;
  /** Whether the node has children (parts and partitions of an object, anything for the others). */
  readonly expandable: boolean;
}

export interface KindGroup {
  key: string;
  /** Plural, as a heading: `Tables`, `Functions`. */
  label: string;
  /** Singular, for messages: `table`. */
  noun: string;
  descs: readonly string[];
}

/** The order kind groups appear in; kinds not named here come after, by name. */
const KNOWN_GROUPS: readonly KindGroup[] = [
  { key: 'tables', label: 'Tables', noun: 'table', descs: ['TABLE'] },
  { key: 'foreign-tables', label: 'Foreign tables', noun: 'foreign table', descs: ['FOREIGN TABLE'] },
  { key: 'views', label: 'Views', noun: 'view', descs: ['VIEW'] },
  { key: 'materialized-views', label: 'Materialized views', noun: 'materialized view', descs: ['MATERIALIZED VIEW'] },
  { key: 'sequences', label: 'Sequences', noun: 'sequence', descs: ['SEQUENCE'] },
  { key: 'functions', label: 'Functions', noun: 'function', descs: ['FUNCTION', 'PROCEDURE', 'AGGREGATE'] },
  { key: 'types', label: 'Types', noun: 'type', descs: ['TYPE', 'DOMAIN', 'SHELL TYPE'] },
  { key: 'extensions', label: 'Extensions', noun: 'extension', descs: ['EXTENSION'] },
  { key: 'large-objects', label: 'Large objects', noun: 'large object', descs: ['BLOB', 'BLOB METADATA', 'BLOBS'] },
];
const GROUP_OF_DESC = new Map(KNOWN_GROUPS.flatMap((g) => g.descs.map((d) => [d, g] as const)));

/** A group for a kind not named above: `TEXT SEARCH CONFIGURATION` → `Text search configurations`. */
function otherGroup(desc: string): KindGroup {
  const noun = desc.toLowerCase();
  const plural = /(s|x|ch|sh)$/.test(noun) ? `${noun}es` : noun.endsWith('y') && !/[aeiou]y$/.test(noun) ? `${noun.slice(0, -1)}ies` : `${noun}s`;
  return { key: noun.replace(/\s+/g, '-'), label: plural.charAt(0).toUpperCase() + plural.slice(1), noun, descs: [desc] };
}

/** The kind group entries of `desc` are shown under: `FUNCTION` → Functions, `PROCEDURE` too. */
export function kindGroupOf(desc: string): KindGroup {
  return GROUP_OF_DESC.get(desc) ?? otherGroup(desc);
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

const TABLE_LIKE = new Set(['TABLE', 'FOREIGN TABLE']);

export class DumpOutline {
  /** The children of the dump itself: schemas, then the groups of objects without a schema. */
  readonly roots: readonly OutlineNode[];
  /** Number of leaves (objects, partitions included). */
  readonly leafCount: number;

  /** Entry position (in archive order) of each leaf. */
  private readonly leafEntry: Int32Array;
  /** Leaf of each entry position; -1 for entries that are not objects. */
  private readonly leafOf: Int32Array;
  /** One past the leaf's last descendant (its partitions): the span of the leaf's object node. */
  private readonly leafEnd: Int32Array;
  /** Stored data bytes of each leaf's own TABLE DATA / BLOBS / … entries. */
  private readonly ownBytes: Float64Array;
  /** Each leaf's parent leaf (a partition's table), -1 when none. */
  private readonly parentLeaf: Int32Array;
  private readonly byId = new Map<string, OutlineNode>();
  private readonly childCache = new Map<string, readonly OutlineNode[]>();
  private readonly parentOf = new Map<string, OutlineNode | null>();
  /** The top-level leaves of each group node (objects, not partitions), in order. */
  private readonly groupMembers = new Map<string, Int32Array>();
  private readonly index: ReturnType<typeof ownership>;
  /** The TOC by position: descs, and names decoded once when first asked for (labels, sorting, matching). */
  private readonly toc: TocIndex;

  constructor(readonly archive: Archive) {
    const entries = archive.entries;
    const n = entries.length;
    this.index = ownership(archive);
    const own = this.index;
    const toc = (this.toc = tocIndex(archive));
    const desc = toc.descAt;
    const tag = (i: number) => toc.tagAt(i) ?? '';
    // From the TOC's columns for an archive: no entry objects, each desc's rule worked out once.
    const listed = listedFlags(archive);

    // Objects: listed, owned by nothing, not a schema. Partitions: tables owned by a table.
    const isObject = (i: number) => listed[i] === 1 && desc(i) !== 'SCHEMA' && !own.isOwnedAt(i);
    const partitionsOf = (i: number): number[] => {
      if (!TABLE_LIKE.has(desc(i))) return [];
      const out: number[] = [];
      for (const p of own.partPositions(i)) if (TABLE_LIKE.has(desc(p))) out.push(p);
      return out.sort((a, b) => collator.compare(tag(a), tag(b)));
    };

    const schemaEntries = new Map<string, number>();
    for (let i = 0; i < n; i++) if (listed[i] && desc(i) === 'SCHEMA') schemaEntries.set(tag(i), i);

    // schema (or null) → group key → top-level object positions
    const bySchema = new Map<string | null, Map<string, { group: KindGroup; members: number[] }>>();
    for (const name of schemaEntries.keys()) bySchema.set(name, new Map());
    for (let i = 0; i < n; i++) {
      if (!isObject(i)) continue;
      const group = kindGroupOf(desc(i));
      const schema = toc.namespaceAt(i) ?? null;
      let groups = bySchema.get(schema);
      if (!groups) bySchema.set(schema, (groups = new Map()));
      let g = groups.get(group.key);
      if (!g) groups.set(group.key, (g = { group, members: [] }));
      g.members.push(i);
    }

    const leafEntry: number[] = [];
    const leafEnd: number[] = [];
    const parentLeaf: number[] = [];
    const leafOf = new Int32Array(n).fill(-1);
    const pushObject = (i: number, parent: number) => {
      const leaf = leafEntry.length;
      leafEntry.push(i);
      leafEnd.push(0);
      parentLeaf.push(parent);
      leafOf[i] = leaf;
      for (const p of partitionsOf(i)) if (leafOf[p]! < 0) pushObject(p, leaf);
      leafEnd[leaf] = leafEntry.length;
    };

    const groupOrder = (a: KindGroup, b: KindGroup) => {
      const ia = KNOWN_GROUPS.indexOf(a);
      const ib = KNOWN_GROUPS.indexOf(b);
      if (ia >= 0 || ib >= 0) return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib);
      return collator.compare(a.label, b.label);
    };
    const byName = (a: number, b: number) => collator.compare(tag(a), tag(b)) || a - b;

    const roots: OutlineNode[] = [];
    const schemaNames = [...bySchema.keys()].filter((s): s is string => s !== null).sort(collator.compare);
    const groupNodes = (schema: string | null, parentId: string): OutlineNode[] => {
      const groups = [...(bySchema.get(schema)?.values() ?? [])].sort((a, b) => groupOrder(a.group, b.group));
      return groups.map(({ group, members }) => {
        members.sort(byName);
        const start = leafEntry.length;
        const topLeaves: number[] = [];
        for (const i of members) {
          topLeaves.push(leafEntry.length);
          pushObject(i, -1);
        }
        const node: OutlineNode = {
          id: `${parentId}/${group.key}`,
          kind: 'group',
          label: group.label,
          schema,
          start,
          end: leafEntry.length,
          group,
          dataBytes: 0,
          expandable: true,
        };
        this.groupMembers.set(node.id, Int32Array.from(topLeaves));
        return node;
      });
    };

    const schemaChildren = new Map<string, OutlineNode[]>();
    for (const name of schemaNames) {
      const id = `s:${name}`;
      const start = leafEntry.length;
      const groups = groupNodes(name, id);
      const entry = schemaEntries.get(name);
      const node: OutlineNode = {
        id,
        kind: 'schema',
        label: name,
        schema: name,
        start,
        end: leafEntry.length,
        ...(entry !== undefined ? { dumpId: entries[entry]!.dumpId, desc: 'SCHEMA' } : {}),
        dataBytes: 0,
        expandable: groups.length > 0,
      };
      schemaChildren.set(id, groups);
      roots.push(node);
    }
    const globals = groupNodes(null, 'g');
    roots.push(...globals);

    this.leafCount = leafEntry.length;
    this.leafEntry = Int32Array.from(leafEntry);
    this.leafEnd = Int32Array.from(leafEnd);
    this.parentLeaf = Int32Array.from(parentLeaf);
    this.leafOf = leafOf;

    this.ownBytes = new Float64Array(this.leafCount);
    for (let leaf = 0; leaf < this.leafCount; leaf++) {
      let bytes = 0;
      for (const p of own.partPositions(this.leafEntry[leaf]!)) {
        const size = entries[p]!.dataSize;
        if (size !== null && !TABLE_LIKE.has(desc(p))) bytes += size;
      }
      const self = entries[this.leafEntry[leaf]!]!.dataSize;
      this.ownBytes[leaf] = bytes + (self ?? 0);
    }

    // Data sizes of spans: prefix sums over leaves.
    const prefix = new Float64Array(this.leafCount + 1);
    for (let leaf = 0; leaf < this.leafCount; leaf++) prefix[leaf + 1] = prefix[leaf]! + this.ownBytes[leaf]!;
    this.spanBytes = (start, end) => prefix[end]! - prefix[start]!;

    const withBytes = (node: OutlineNode): OutlineNode => ({ ...node, dataBytes: this.spanBytes(node.start, node.end) });
    this.roots = roots.map(withBytes);
    for (const node of this.roots) this.register(node, null);
    for (const [id, groups] of schemaChildren) {
      const list = groups.map(withBytes);
      this.childCache.set(id, list);
      for (const g of list) this.register(g, this.byId.get(id)!);
    }
  }

  private readonly spanBytes: (start: number, end: number) => number;

  private register(node: OutlineNode, parent: OutlineNode | null): void {
    this.byId.set(node.id, node);
    this.parentOf.set(node.id, parent);
  }

  /** A node by its id, or undefined when the outline has none (yet: object nodes are made on demand). */
  node(id: string): OutlineNode | undefined {
    const known = this.byId.get(id);
    if (known) return known;
    const m = /^o:(\d+)$/.exec(id);
    if (m) {
      const leaf = this.leafOf[this.positionOf(Number(m[1]))] ?? -1;
      return leaf >= 0 ? this.objectNode(leaf) : undefined;
    }
    return undefined;
  }

  /** The children of a node (the roots for undefined), made on first use. */
  children(node?: OutlineNode): readonly OutlineNode[] {
    if (!node) return this.roots;
    const cached = this.childCache.get(node.id);
    if (cached) return cached;
    let list: OutlineNode[];
    switch (node.kind) {
      case 'schema':
        list = [];
        break;
      case 'group':
      case 'range':
        list = this.rangeChildren(node);
        break;
      case 'object':
      case 'part':
        list = this.entryChildren(node);
        break;
    }
    this.childCache.set(node.id, list);
    for (const child of list) this.register(child, node);
    return list;
  }

  /** The parent of a node; null for roots. Makes the nodes on the way when needed (for reveal). */
  parent(node: OutlineNode): OutlineNode | null {
    if (this.parentOf.has(node.id)) return this.parentOf.get(node.id) ?? null;
    if (node.kind === 'object') {
      this.pathTo(node.start);
      return this.parentOf.get(node.id) ?? null;
    }
    return null;
  }

  /** The leaf of an entry that is an object; -1 for any other entry. */
  leafOfEntry(dumpId: number): number {
    const at = this.positionOf(dumpId);
    return at < 0 ? -1 : this.leafOf[at]!;
  }

  /** The entry of a leaf. */
  entryOfLeaf(leaf: number): TocEntry {
    return this.archive.entries[this.leafEntry[leaf]!]!;
  }

  /** `desc` of a leaf's entry, decoded once. */
  descOfLeaf(leaf: number): string {
    return this.toc.descAt(this.leafEntry[leaf]!);
  }

  /** `schema.name` (or `name` for objects without a schema) of a leaf, for matching and messages. */
  qualifiedNameOfLeaf(leaf: number): string {
    const i = this.leafEntry[leaf]!;
    const ns = this.toc.namespaceAt(i);
    const name = this.toc.tagAt(i) ?? '';
    return ns ? `${ns}.${name}` : name;
  }

  nameOfLeaf(leaf: number): string {
    return this.toc.tagAt(this.leafEntry[leaf]!) ?? '';
  }

  /** The partitioned table a partition leaf belongs to; -1 when none. */
  parentOfLeaf(leaf: number): number {
    return this.parentLeaf[leaf]!;
  }

  /** The object node of a leaf. */
  objectNode(leaf: number): OutlineNode {
    const i = this.leafEntry[leaf]!;
    const e = this.archive.entries[i]!;
    const id = `o:${e.dumpId}`;
    const known = this.byId.get(id);
    if (known) return known;
    const end = this.leafEnd[leaf]!;
    const node: OutlineNode = {
      id,
      kind: 'object',
      label: this.toc.tagAt(i) ?? '',
      schema: this.toc.namespaceAt(i) ?? null,
      start: leaf,
      end,
      dumpId: e.dumpId,
      desc: this.toc.descAt(i),
      dataBytes: this.spanBytes(leaf, end),
      expandable: end > leaf + 1 || this.visibleParts(e.dumpId).length > 0,
    };
    this.byId.set(id, node);
    return node;
  }

  /**
   * The node that shows an entry: its object node, or the part node under the object it belongs
   * to (the first owner), or the schema node of a SCHEMA entry. Undefined for entries the tree
   * does not show (hidden ones). Makes the nodes on the way, so that the result can be revealed.
   */
  nodeOfEntry(dumpId: number): OutlineNode | undefined {
    const leaf = this.leafOfEntry(dumpId);
    if (leaf >= 0) {
      this.pathTo(leaf);
      return this.objectNode(leaf);
    }
    const at = this.positionOf(dumpId);
    if (at < 0) return undefined;
    if (this.toc.descAt(at) === 'SCHEMA') return this.byId.get(`s:${this.toc.tagAt(at) ?? ''}`);
    // Up the chain of owners to an object, then down again through part nodes.
    const chain: TocEntry[] = [];
    let e: TocEntry | undefined = this.archive.entries[at];
    while (e && this.leafOfEntry(e.dumpId) < 0) {
      chain.push(e);
      e = this.index.owners(e.dumpId)[0];
      if (chain.length > 16) return undefined;
    }
    if (!e) {
      // Owned by a schema (its ACL, its comment): under no object.
      return undefined;
    }
    let node = this.nodeOfEntry(e.dumpId);
    for (let k = chain.length - 1; k >= 0 && node; k--) {
      node = this.children(node).find((c) => c.dumpId === chain[k]!.dumpId);
    }
    return node;
  }

  /** The nodes from a root down to a leaf's object node, made as needed. */
  private pathTo(leaf: number): OutlineNode[] {
    const path: OutlineNode[] = [];
    let level: readonly OutlineNode[] = this.roots;
    for (;;) {
      const next = level.find((c) => c.start <= leaf && leaf < c.end && c.kind !== 'part');
      if (!next) return path;
      path.push(next);
      if (next.kind === 'object' && next.start === leaf) return path;
      level = this.children(next);
    }
  }

  private positionOf(dumpId: number): number {
    return this.toc.position(dumpId);
  }

  /** The top-level leaves (objects, not partitions) of a group or range, in order. */
  topLevelLeaves(node: OutlineNode): number[] {
    const all = this.groupMembers.get(node.id);
    if (!all || (node.kind !== 'group' && node.kind !== 'range')) return [];
    const out: number[] = [];
    for (const leaf of all) if (leaf >= node.start && leaf < node.end) out.push(leaf);
    return out;
  }

  /** A group's (or range's) top-level objects, split into ranges when there are too many. */
  private rangeChildren(node: OutlineNode): OutlineNode[] {
    const groupId = node.kind === 'group' ? node.id : node.id.slice(0, node.id.lastIndexOf('/'));
    const all = this.groupMembers.get(node.id)!;
    // The members of this node: a contiguous run of the group's members.
    let from = 0;
    while (from < all.length && all[from]! < node.start) from++;
    let to = from;
    while (to < all.length && all[to]! < node.end) to++;
    const count = to - from;
    if (count <= RANGE_SIZE) {
      const out: OutlineNode[] = [];
      for (let k = from; k < to; k++) out.push(this.objectNode(all[k]!));
      return out;
    }
    // Ranges of equal size, as few levels as needed.
    let size = RANGE_SIZE;
    while (Math.ceil(count / size) > RANGE_SIZE) size *= RANGE_SIZE;
    const out: OutlineNode[] = [];
    for (let k = from, r = 0; k < to; k += size, r++) {
      const last = Math.min(k + size, to) - 1;
      const start = all[k]!;
      const end = last + 1 < all.length ? all[last + 1]! : this.leafEnd[all[last]!]!;
      out.push({
        id: `${groupId}/r${node.kind === 'range' ? `${node.id.slice(node.id.lastIndexOf('/') + 2)}.` : ''}${r}`,
        kind: 'range',
        label: `${this.nameOfLeaf(start)} … ${this.nameOfLeaf(all[last]!)}`,
        schema: node.schema,
        start,
        end: Math.min(end, node.end),
        ...(node.group ? { group: node.group } : {}),
        dataBytes: this.spanBytes(start, Math.min(end, node.end)),
        expandable: true,
      });
      this.groupMembers.set(out[out.length - 1]!.id, all);
    }
    return out;
  }

  /** Entries that belong to an entry and that a listing shows (partitions aside: those are objects). */
  private visibleParts(dumpId: number): TocEntry[] {
    return this.index.parts(dumpId).filter((p) => this.leafOfEntry(p.dumpId) < 0 && isListedByDefault(p));
  }

  /** An object's partitions (as object nodes), then its parts; a part's own parts. */
  private entryChildren(node: OutlineNode): OutlineNode[] {
    const out: OutlineNode[] = [];
    if (node.kind === 'object') {
      for (let leaf = node.start + 1; leaf < node.end; leaf = this.leafEnd[leaf]!) out.push(this.objectNode(leaf));
    }
    for (const p of this.visibleParts(node.dumpId!)) {
      const grand = this.visibleParts(p.dumpId);
      out.push({
        id: `${node.id}/p:${p.dumpId}`,
        kind: 'part',
        label: partLabel(p, node),
        schema: p.namespace,
        start: node.start,
        end: node.start,
        dumpId: p.dumpId,
        desc: p.desc ?? '',
        dataBytes: p.dataSize ?? 0,
        expandable: grand.length > 0,
      });
    }
    return out;
  }
}

/**
 * A part as a child of its object, named as a person would: `order_created_idx` (an index),
 * `rows`, `privileges`, `comment on column email`, `default of column id`. The tree shows the
 * kind (`desc`) beside it.
 */
export function partLabel(e: TocEntry, owner: { label: string } | undefined): string {
  const tag = e.tag ?? '';
  const ownName = owner?.label ?? '';
  // `relation name` tags (constraints, triggers, rules, policies, defaults): the name alone.
  const own = ownName && tag.startsWith(`${ownName} `) ? tag.slice(ownName.length + 1) : tag;
  switch (e.desc) {
    case 'TABLE DATA':
      return 'rows';
    case 'MATERIALIZED VIEW DATA':
      return 'contents (REFRESH)';
    case 'SEQUENCE SET':
      return 'current value';
    case 'SEQUENCE OWNED BY':
      return 'owned by its column';
    case 'ROW SECURITY':
      return 'row security enabled';
    case 'TABLE ATTACH':
      return 'attached to its partitioned table';
    case 'INDEX ATTACH':
      return 'attached to its partitioned index';
    case 'DEFAULT':
      return `default of column ${own}`;
    case 'ACL':
    case 'COMMENT':
    case 'SECURITY LABEL': {
      const what = e.desc === 'ACL' ? 'privileges' : e.desc === 'COMMENT' ? 'comment' : 'security label';
      const column = /^COLUMN (.*)$/.exec(tag)?.[1];
      if (column !== undefined) return `${what} on column ${ownName && column.startsWith(`${ownName}.`) ? column.slice(ownName.length + 1) : column}`;
      return what;
    }
    case 'STATISTICS DATA':
      return 'planner statistics';
    default:
      return own;
  }
}

/** Whether `pattern` (psql-style: `*` and `?` wildcards, `schema.name` or `name`) matches. */
export function namePattern(pattern: string): (qualified: string, name: string) => boolean {
  const p = pattern.trim();
  if (p === '') return () => true;
  const hasWildcard = /[*?]/.test(p);
  const glob = (s: string) => s.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  const qualified = p.includes('.');
  if (!hasWildcard) {
    const needle = p.toLowerCase();
    return qualified ? (q) => q.toLowerCase().includes(needle) : (_q, name) => name.toLowerCase().includes(needle);
  }
  const re = new RegExp(`^${glob(p)}$`, 'i');
  return qualified ? (q) => re.test(q) : (_q, name) => re.test(name);
}

/**
 * The objects whose name matches a pattern, and what the tree shows with it: a node is shown
 * when it covers a match, or is a partition of a matching table.
 */
export class OutlineFilter {
  /** Leaves whose own name matches. */
  readonly matches: Uint8Array;
  /** How many leaves the filter shows, up to each leaf (prefix sums over shown leaves). */
  private readonly shownBefore: Int32Array;
  readonly matchCount: number;

  constructor(
    readonly outline: DumpOutline,
    readonly pattern: string,
  ) {
    const test = namePattern(pattern);
    const n = outline.leafCount;
    this.matches = new Uint8Array(n);
    const shown = new Uint8Array(n);
    let count = 0;
    for (let leaf = 0; leaf < n; leaf++) {
      if (!test(outline.qualifiedNameOfLeaf(leaf), outline.nameOfLeaf(leaf))) continue;
      this.matches[leaf] = 1;
      count++;
      const node = outline.objectNode(leaf);
      shown.fill(1, node.start, node.end);
    }
    this.matchCount = count;
    this.shownBefore = new Int32Array(n + 1);
    for (let leaf = 0; leaf < n; leaf++) this.shownBefore[leaf + 1] = this.shownBefore[leaf]! + shown[leaf]!;
  }

  /** Whether the tree shows the node under this filter (parts: whenever their object shows). */
  shows(node: OutlineNode): boolean {
    if (node.kind === 'part') return true;
    return this.shownBefore[node.end]! - this.shownBefore[node.start]! > 0;
  }

  /** Shown leaves under a node. */
  shownIn(node: OutlineNode): number {
    return this.shownBefore[node.end]! - this.shownBefore[node.start]!;
  }

  /** Whether a leaf is shown (it matches, or it is a partition of a table that does). */
  showsLeaf(leaf: number): boolean {
    return this.shownBefore[leaf + 1]! - this.shownBefore[leaf]! > 0;
  }

  /** Groups (by id) whose shown objects fit one level, listed without their ranges. */
  private readonly flat = new Map<string, number[] | null>();

  /** The shown top-level objects of a group split into ranges, when they fit one level; null otherwise. */
  private flatMembers(group: OutlineNode): number[] | null {
    let known = this.flat.get(group.id);
    if (known !== undefined) return known;
    known = null;
    if (group.kind === 'group' && group.end - group.start > RANGE_SIZE && this.outline.children(group).some((c) => c.kind === 'range')) {
      const shown = this.outline.topLevelLeaves(group).filter((leaf) => this.showsLeaf(leaf));
      if (shown.length <= RANGE_SIZE) known = shown;
    }
    this.flat.set(group.id, known);
    return known;
  }

  /**
   * The children the tree shows under this filter: what the node has that the filter shows,
   * except that a group of ranges whose shown objects fit one level lists those objects at once
   * (a filter that leaves 30 of 10,000 tables needs no ranges to reach them).
   */
  children(node?: OutlineNode): OutlineNode[] {
    const flat = node ? this.flatMembers(node) : null;
    if (flat) return flat.map((leaf) => this.outline.objectNode(leaf));
    return this.outline.children(node).filter((c) => this.shows(c));
  }

  /** The parent the tree shows under this filter (see children); null for roots. */
  parent(node: OutlineNode): OutlineNode | null {
    const parent = this.outline.parent(node);
    if (parent?.kind !== 'range') return parent;
    let group: OutlineNode | null = parent;
    while (group && group.kind === 'range') group = this.outline.parent(group);
    return group && this.flatMembers(group) ? group : parent;
  }
}
