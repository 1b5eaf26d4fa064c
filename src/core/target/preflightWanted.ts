/**
 * The first half of the pre-flight check, from the archive alone: which roles the plan needs,
 * which objects it creates, what it needs that it does not restore, which tables get rows, which
 * extensions it creates or uses. The answers come from the target (preflight.ts, targetFacts.ts).
 */
import type { Archive, TocEntry } from '../model/types';
import { entryPart, ownership, type Ownership, type RestorePlan } from '../plan/closure';
import { entryRoles, type RoleUse } from './roleReferences';
import { objectsOf, type ObjectRef } from './targetObjects';

/** A statement that does not fail when its object exists. */
export const TOLERANT_CREATE = /^\s*CREATE\s+(?:OR\s+REPLACE\s+|(?:[A-Z]+\s+){1,3}IF\s+NOT\s+EXISTS\s)/i;

/**
 * A SCHEMA entry without CREATE SCHEMA: pg_dump 11 and later write the public schema as
 * `-- *not* creating schema, since initdb creates it` (in a plain dump followed by its ALTER
 * SCHEMA … OWNER TO), and restoring it creates nothing.
 */
export function schemaCreatesNothing(entry: TocEntry): boolean {
  return entry.desc === 'SCHEMA' && !/^\s*CREATE\s+SCHEMA\b/im.test(entry.defn ?? '');
}

/** Kinds that create no named object of their own (about another object, or data). */
const NOT_CREATING = new Set([
  'ACL',
  'DEFAULT ACL',
  'COMMENT',
  'SECURITY LABEL',
  'DEFAULT',
  'SEQUENCE OWNED BY',
  'SEQUENCE SET',
  'ROW SECURITY',
  'TABLE ATTACH',
  'INDEX ATTACH',
  'TABLE DATA',
  'MATERIALIZED VIEW DATA',
  'BLOBS',
  'STATISTICS DATA',
  'DATABASE PROPERTIES',
  'ENCODING',
  'STDSTRINGS',
  'SEARCHPATH',
]);

/** Object kinds created in a schema, which need CREATE on it. */
const SCHEMA_OBJECT_KINDS = new Set(['relation', 'type', 'function', 'collation', 'conversion', 'statistics', 'ts-config', 'ts-dictionary', 'ts-parser', 'ts-template', 'opclass', 'opfamily']);

/** Kinds of TABLE entries (the tables rows go into). */
export const ENTRY_OF_TABLE = new Set(['TABLE', 'FOREIGN TABLE']);

/** The table a TABLE DATA entry fills. */
function tableOf(data: TocEntry, own: Ownership): TocEntry | undefined {
  return own.owners(data.dumpId).find((o) => ENTRY_OF_TABLE.has(o.desc ?? ''));
}

/** An entry and the objects restoring it creates. */
export interface Probe {
  entry: TocEntry;
  refs: ObjectRef[];
}

/** A table that gets rows, or whose rows a foreign key needs. */
export interface TableTarget {
  /** The TABLE entry. */
  entry: TocEntry;
  schema: string;
  name: string;
}

/** What the plan needs the target to answer. */
export interface Wanted {
  own: Ownership;
  planned: Set<number>;
  /** Role → use → the entries that need it. */
  roles: Map<string, Map<RoleUse, number[]>>;
  /** Planned entries that create objects. */
  creates: Probe[];
  /** Planned entries that create something this check cannot look up. */
  unchecked: TocEntry[];
  needs: { entry: TocEntry; probe: Probe | undefined; mustExist: boolean }[];
  /** Foreign keys whose referenced objects are not planned; data-only: the tables whose rows are not. */
  foreignKeys: { fk: TocEntry; objects: Probe[]; tables: TableTarget[] }[];
  /** Tables that get rows while their definition is not planned. */
  filled: { table: TableTarget; data: TocEntry[] }[];
  extensions: Map<string, { planned: boolean; ifNotExists: boolean; dumpIds: number[] }>;
  /** Schemas the plan creates objects in. */
  schemas: Set<string>;
  /** Planned SCHEMA entries. */
  plannedSchemas: TocEntry[];
}

function tableTarget(table: TocEntry): TableTarget | undefined {
  if (!table.namespace || !table.tag) return undefined;
  return { entry: table, schema: table.namespace, name: table.tag };
}

/** What the plan needs the target to answer, worked out from the archive alone. */
export function collect(archive: Archive, plan: RestorePlan): Wanted {
  const own = ownership(archive);
  const planned = new Set(plan.entries.map((p) => p.entry.dumpId));
  const roles = new Map<string, Map<RoleUse, number[]>>();
  const creates: Probe[] = [];
  const unchecked: TocEntry[] = [];
  const extensions: Wanted['extensions'] = new Map();
  const schemas = new Set<string>();
  const plannedSchemas: TocEntry[] = [];
  const filled = new Map<number, { table: TableTarget; data: TocEntry[] }>();

  for (const { entry } of plan.entries) {
    for (const r of entryRoles(entry)) {
      let uses = roles.get(r.role);
      if (!uses) roles.set(r.role, (uses = new Map()));
      const ids = uses.get(r.use) ?? [];
      if (!ids.includes(entry.dumpId)) ids.push(entry.dumpId);
      uses.set(r.use, ids);
    }
    const desc = entry.desc ?? '';
    if (desc === 'TABLE DATA') {
      const table = tableOf(entry, own);
      const target = table && !planned.has(table.dumpId) ? tableTarget(table) : undefined;
      if (target) {
        const have = filled.get(target.entry.dumpId);
        if (have) have.data.push(entry);
        else filled.set(target.entry.dumpId, { table: target, data: [entry] });
      }
      continue;
    }
    const isLargeObject = desc === 'BLOB' || desc === 'BLOB METADATA';
    if (!entry.hasDefinition || NOT_CREATING.has(desc) || (entryPart(entry) !== 'definition' && !isLargeObject) || schemaCreatesNothing(entry)) continue;
    const refs = objectsOf(entry, own);
    if (!refs) {
      unchecked.push(entry);
      continue;
    }
    creates.push({ entry, refs });
    if (desc === 'SCHEMA') plannedSchemas.push(entry);
    if (desc === 'EXTENSION' && entry.tag) extensions.set(entry.tag, { planned: true, ifNotExists: TOLERANT_CREATE.test(entry.defn ?? ''), dumpIds: [entry.dumpId] });
    for (const ref of refs) if (SCHEMA_OBJECT_KINDS.has(ref.kind) && ref.schema) schemas.add(ref.schema);
  }

  const needs = plan.needs.map((n) => {
    const refs = objectsOf(n.entry, own);
    if (n.entry.desc === 'EXTENSION' && n.entry.tag && !extensions.has(n.entry.tag)) {
      extensions.set(n.entry.tag, { planned: false, ifNotExists: true, dumpIds: n.neededBy.map((b) => b.dumpId) });
    }
    return { entry: n.entry, probe: refs ? { entry: n.entry, refs } : undefined, mustExist: n.mustExist };
  });

  const foreignKeys = plan.danglingForeignKeys
    .filter((d) => !d.leftOut)
    .map((d) => {
      const objects: Probe[] = [];
      const tables: TableTarget[] = [];
      for (const m of d.missing) {
        if (m.desc === 'TABLE DATA') {
          const table = tableOf(m, own);
          const target = table ? tableTarget(table) : undefined;
          if (target && !tables.some((t) => t.entry === target.entry)) tables.push(target);
          continue;
        }
        const refs = objectsOf(m, own);
        if (refs) objects.push({ entry: m, refs });
      }
      return { fk: d.entry, objects, tables };
    });

  return { own, planned, roles, creates, unchecked, needs, foreignKeys, filled: [...filled.values()], extensions, schemas, plannedSchemas };
}
