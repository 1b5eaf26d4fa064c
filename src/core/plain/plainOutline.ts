import { kindGroupOf } from '../model/outline';
import type { PlainEntry } from './indexer';

/**
 * The sections of a plain dump as a tree to browse: schema → kind → object, the kinds without a
 * schema (large objects, extensions, event triggers…) beside the schemas, as the Dumps tree shows
 * archives. Every section is a node, its parts too (a table's data, constraints, comments): a
 * plain dump has no dependency data to say which object a part belongs to, and each section is a
 * place in the file a person may want to go to.
 *
 * Schemas sort by name; kinds come in the order they first appear (pg_dump's order: types before
 * tables, data after definitions); objects keep the file's order.
 */

export interface PlainOutlineNode {
  /** Unique in the outline and stable across indexings of the same dump: `s:sales`, `s:sales/tables`, `e:12`. */
  key: string;
  kind: 'schema' | 'group' | 'object';
  label: string;
  /** An object's entry position. */
  entry?: number;
  /** The schema the node is in (or is); null for kinds without one. */
  schema: string | null;
  children: PlainOutlineNode[];
}

/** Headings for the kinds of sections that belong to another object, where the Dumps tree shows them as its parts. */
const PART_LABELS: Record<string, string> = {
  'TABLE DATA': 'Table data',
  'MATERIALIZED VIEW DATA': 'Materialized view data',
  'SEQUENCE SET': 'Sequence values',
  'SEQUENCE OWNED BY': 'Sequence ownership',
  'STATISTICS DATA': 'Statistics',
  'TABLE ATTACH': 'Partition attachments',
  'INDEX ATTACH': 'Index attachments',
  CONSTRAINT: 'Constraints',
  'FK CONSTRAINT': 'Foreign keys',
  'CHECK CONSTRAINT': 'Check constraints',
  DEFAULT: 'Defaults',
  INDEX: 'Indexes',
  TRIGGER: 'Triggers',
  RULE: 'Rules',
  POLICY: 'Policies',
  'ROW SECURITY': 'Row security',
  COMMENT: 'Comments',
  ACL: 'Privileges',
  'DEFAULT ACL': 'Default privileges',
  'SECURITY LABEL': 'Security labels',
  'BLOB METADATA': 'Large objects',
  BLOBS: 'Large object data',
  'PUBLICATION TABLE': 'Publication tables',
  'PUBLICATION TABLES IN SCHEMA': 'Publication schemas',
};

/**
 * Whether sections of this kind are objects a person restores as such (a table, a function, a
 * schema), rather than parts that come with one (its data, an index, a comment).
 */
export function isObjectKind(desc: string): boolean {
  return desc === 'BLOB METADATA' || !(desc in PART_LABELS);
}

/** The heading of a kind of section, and the key that groups kinds under it. */
export function kindHeading(desc: string): { key: string; label: string } {
  const part = PART_LABELS[desc];
  if (part) return { key: desc.toLowerCase().replace(/\s+/g, '-'), label: part };
  const group = kindGroupOf(desc);
  return { key: group.key, label: group.label };
}

/**
 * The schema a section belongs to: its own for a SCHEMA entry and for the comment, privileges or
 * security label of a schema (`SCHEMA sales`, which pg_dump prints without a schema), else the
 * schema pg_dump printed; null for objects without one.
 */
export function schemaOfEntry(e: PlainEntry): string | null {
  if (e.desc === 'SCHEMA') return e.tag;
  if (e.namespace === null && e.tag.startsWith('SCHEMA ')) return unquote(e.tag.slice('SCHEMA '.length));
  return e.namespace;
}

/** `"order"` → `order`: pg_dump quotes names inside the tags of comments and privileges. */
function unquote(name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** The tree of a dump's sections (see above). */
export function plainOutline(entries: readonly PlainEntry[]): PlainOutlineNode[] {
  const schemas = new Map<string, PlainOutlineNode>();
  /** Each schema's kind groups by key, and the groups without a schema. */
  const kinds = new Map<PlainOutlineNode, Map<string, PlainOutlineNode>>();
  const globals = new Map<string, PlainOutlineNode>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const schema = schemaOfEntry(e);
    const heading = kindHeading(e.desc);
    let groups: Map<string, PlainOutlineNode>;
    let parentKey: string;
    if (schema === null) {
      groups = globals;
      parentKey = 'g';
    } else {
      let node = schemas.get(schema);
      if (!node) {
        schemas.set(schema, (node = { key: `s:${schema}`, kind: 'schema', label: schema, schema, children: [] }));
        kinds.set(node, new Map());
      }
      groups = kinds.get(node)!;
      parentKey = node.key;
    }
    let group = groups.get(heading.key);
    if (!group) {
      group = { key: `${parentKey}/${heading.key}`, kind: 'group', label: heading.label, schema, children: [] };
      groups.set(heading.key, group);
    }
    group.children.push({ key: `e:${i}`, kind: 'object', label: e.desc === 'SCHEMA' ? `schema ${e.tag}` : e.tag, entry: i, schema, children: [] });
  }
  const roots = [...schemas.values()].sort((a, b) => collator.compare(a.label, b.label));
  for (const s of roots) s.children = [...kinds.get(s)!.values()];
  return [...roots, ...globals.values()];
}

/** One row of the outline as a list shows it: a node at a depth, with what is under it. */
export interface OutlineRow {
  key: string;
  kind: PlainOutlineNode['kind'];
  label: string;
  depth: number;
  entry?: number;
  /** Objects under a schema or group (that match the filter). */
  count: number;
  expanded: boolean;
}

/**
 * The outline as rows of a list: nodes in `collapsed` show without their children, and with a
 * filter only objects whose name (or `schema.name`, or kind) holds it, case-insensitively, with
 * the schemas and groups above them.
 */
export function outlineRows(roots: readonly PlainOutlineNode[], entries: readonly PlainEntry[], options: { filter?: string; collapsed?: ReadonlySet<string> } = {}): OutlineRow[] {
  const needle = options.filter?.trim().toLowerCase() ?? '';
  const collapsed = options.collapsed ?? new Set<string>();
  const matches = (n: PlainOutlineNode): boolean => {
    if (needle === '') return true;
    const e = entries[n.entry!]!;
    return n.label.toLowerCase().includes(needle) || `${e.namespace ?? ''}.${e.tag}`.toLowerCase().includes(needle) || e.desc.toLowerCase() === needle;
  };
  const rows: OutlineRow[] = [];
  const walk = (n: PlainOutlineNode, depth: number): number => {
    if (n.kind === 'object') {
      if (!matches(n)) return 0;
      rows.push({ key: n.key, kind: n.kind, label: n.label, depth, entry: n.entry!, count: 0, expanded: false });
      return 1;
    }
    const at = rows.length;
    const expanded = !collapsed.has(n.key);
    rows.push({ key: n.key, kind: n.kind, label: n.label, depth, count: 0, expanded });
    let count = 0;
    for (const c of n.children) count += walk(c, depth + 1);
    if (count === 0) {
      rows.length = at;
      return 0;
    }
    rows[at]!.count = count;
    if (!expanded) rows.length = at + 1;
    return count;
  };
  for (const r of roots) walk(r, 0);
  return rows;
}
