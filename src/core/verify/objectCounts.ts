/**
 * Objects by kind in a restored database against the dump's TOC: each kind is read from the
 * catalog under the name pg_dump gives its TOC entry (`schema` + tag), so that what is missing
 * (or more) can be named, not only counted.
 *
 * What the database held before the restore (template0's `public` schema, plpgsql) is read
 * first and taken off, so a freshly created database counts as empty. Objects of extensions
 * (pg_depend deptype `e`) and of the system schemas are not counted: the dump has no entries
 * for them.
 */
import type { Client } from 'pg';
import type { TocEntry } from '../model/types';

/** The kinds compared, by their TOC entry type. */
export const COUNTED_KINDS = [
  'SCHEMA',
  'EXTENSION',
  'TYPE',
  'DOMAIN',
  'TABLE',
  'FOREIGN TABLE',
  'VIEW',
  'MATERIALIZED VIEW',
  'SEQUENCE',
  'INDEX',
  'CONSTRAINT',
  'FK CONSTRAINT',
  'FUNCTION',
  'PROCEDURE',
  'AGGREGATE',
  'TRIGGER',
  'RULE',
  'POLICY',
] as const;
export type CountedKind = (typeof COUNTED_KINDS)[number];

/** Per kind, the names found (`schema\0tag`, as a TOC entry would name the object). */
export type CatalogObjects = Map<CountedKind, string[]>;

const SYSTEM = `not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname !~ '^pg_(toast_)?temp_'`;
const NOT_EXT = (classid: string, oid: string) => `not exists (select 1 from pg_catalog.pg_depend d where d.classid = '${classid}'::regclass and d.objid = ${oid} and d.deptype = 'e')`;

/** One query per kind; each returns rows (ns, tag) named as pg_dump names the TOC entry. */
const QUERIES: Record<CountedKind, string> = {
  SCHEMA: `select '' as ns, n.nspname as tag from pg_catalog.pg_namespace n where n.nspname ${SYSTEM} and ${NOT_EXT('pg_namespace', 'n.oid')}`,
  EXTENSION: `select '' as ns, x.extname as tag from pg_catalog.pg_extension x`,
  TYPE: `select n.nspname as ns, t.typname as tag from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
          left join pg_catalog.pg_class c on c.oid = t.typrelid
         where n.nspname ${SYSTEM} and ${NOT_EXT('pg_type', 't.oid')}
           and (t.typtype in ('e', 'r') or (t.typtype = 'c' and c.relkind = 'c') or (t.typtype = 'b' and t.typelem = 0 and t.typarray <> 0 and not exists (select 1 from pg_catalog.pg_type e where e.typarray = t.oid)))`,
  DOMAIN: `select n.nspname as ns, t.typname as tag from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
            where t.typtype = 'd' and n.nspname ${SYSTEM} and ${NOT_EXT('pg_type', 't.oid')}`,
  TABLE: relations(`('r', 'p')`),
  'FOREIGN TABLE': relations(`('f')`),
  VIEW: relations(`('v')`),
  'MATERIALIZED VIEW': relations(`('m')`),
  SEQUENCE: relations(`('S')`),
  // Indexes of constraints (primary key, unique, exclusion) are the constraint's entry, not an INDEX.
  INDEX: `select n.nspname as ns, c.relname as tag from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('i', 'I') and n.nspname ${SYSTEM} and ${NOT_EXT('pg_class', 'c.oid')}
             and not exists (select 1 from pg_catalog.pg_constraint k where k.conindid = c.oid and k.contype in ('p', 'u', 'x'))`,
  // Inherited constraints (a partition's copy of its parent's) are no entries of their own.
  CONSTRAINT: constraints(`('p', 'u', 'x')`),
  'FK CONSTRAINT': constraints(`('f')`),
  FUNCTION: routines(`('f', 'w')`),
  PROCEDURE: routines(`('p')`),
  AGGREGATE: routines(`('a')`),
  // Clones on partitions (tgparentid, PostgreSQL 13+) are made by their parent's entry.
  TRIGGER: `select n.nspname as ns, c.relname || ' ' || t.tgname as tag from pg_catalog.pg_trigger t join pg_catalog.pg_class c on c.oid = t.tgrelid
              join pg_catalog.pg_namespace n on n.oid = c.relnamespace
             where not t.tgisinternal and n.nspname ${SYSTEM} and ${NOT_EXT('pg_class', 'c.oid')}
               and (current_setting('server_version_num')::int < 130000 or (to_jsonb(t) ->> 'tgparentid')::oid = 0)`,
  RULE: `select n.nspname as ns, c.relname || ' ' || r.rulename as tag from pg_catalog.pg_rewrite r join pg_catalog.pg_class c on c.oid = r.ev_class
           join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where r.rulename <> '_RETURN' and n.nspname ${SYSTEM} and ${NOT_EXT('pg_class', 'c.oid')}`,
  POLICY: `select n.nspname as ns, c.relname || ' ' || p.polname as tag from pg_catalog.pg_policy p join pg_catalog.pg_class c on c.oid = p.polrelid
             join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname ${SYSTEM}`,
};

function relations(kinds: string): string {
  return `select n.nspname as ns, c.relname as tag from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ${kinds} and n.nspname ${SYSTEM} and ${NOT_EXT('pg_class', 'c.oid')}`;
}

function constraints(types: string): string {
  return `select n.nspname as ns, coalesce(c.relname, ty.typname) || ' ' || k.conname as tag from pg_catalog.pg_constraint k
            join pg_catalog.pg_namespace n on n.oid = k.connamespace
            left join pg_catalog.pg_class c on c.oid = k.conrelid
            left join pg_catalog.pg_type ty on ty.oid = k.contypid
           where k.contype in ${types} and k.conrelid <> 0 and k.conislocal and n.nspname ${SYSTEM} and ${NOT_EXT('pg_class', 'k.conrelid')}`;
}

function routines(kinds: string): string {
  return `select n.nspname as ns, p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')' as tag from pg_catalog.pg_proc p
            join pg_catalog.pg_namespace n on n.oid = p.pronamespace
           where p.prokind in ${kinds} and n.nspname ${SYSTEM} and ${NOT_EXT('pg_proc', 'p.oid')}`;
}

/** The objects of each kind in the database the client is connected to. */
export async function readCatalogObjects(client: Client): Promise<CatalogObjects> {
  const out: CatalogObjects = new Map();
  for (const kind of COUNTED_KINDS) {
    const { rows } = await client.query<{ ns: string; tag: string }>(QUERIES[kind]);
    out.set(kind, rows.map((r) => `${r.ns}\u0000${r.tag}`));
  }
  return out;
}

export interface KindCount {
  kind: CountedKind;
  /** Entries of this kind in the dump. */
  dump: number;
  /** Objects of this kind the restore made (what the database held before taken off). */
  database: number;
  matches: boolean;
  /** Named by the dump, not found in the database (`schema.tag`). */
  missing: string[];
  /** In the database, not named by the dump. */
  extra: string[];
}

const shown = (key: string) => {
  const [ns, tag] = key.split('\u0000');
  return ns ? `${ns}.${tag}` : (tag ?? '');
};

/** The dump's entries of a counted kind, named as the catalog queries name them. */
function tocKey(e: TocEntry): string {
  // Schemas and extensions have no namespace in the catalog query; their TOC entries may name one.
  if (e.desc === 'SCHEMA' || e.desc === 'EXTENSION') return `\u0000${e.tag ?? ''}`;
  return `${e.namespace ?? ''}\u0000${e.tag ?? ''}`;
}

/**
 * Compares the dump's entries with what the restore made (`after` minus `before`), kind by
 * kind. Kinds neither side has are left out.
 */
export function compareObjectCounts(entries: readonly TocEntry[], before: CatalogObjects, after: CatalogObjects): KindCount[] {
  const out: KindCount[] = [];
  for (const kind of COUNTED_KINDS) {
    const dumpKeys = entries.filter((e) => e.desc === kind).map(tocKey);
    const made = multiset(after.get(kind) ?? []);
    for (const k of before.get(kind) ?? []) take(made, k);
    const madeKeys = [...made.entries()].flatMap(([k, n]) => Array<string>(n).fill(k));
    if (dumpKeys.length === 0 && madeKeys.length === 0) continue;
    const left = multiset(madeKeys);
    const missing: string[] = [];
    for (const k of dumpKeys) if (!take(left, k)) missing.push(shown(k));
    const extra = [...left.entries()].flatMap(([k, n]) => Array<string>(n).fill(shown(k)));
    // A dump's object the database had before (e.g. SCHEMA public with its comment): it is there.
    const had = multiset(before.get(kind) ?? []);
    const stillMissing = missing.filter((m) => !dumpKeys.some((k) => shown(k) === m && take(had, k)));
    const database = madeKeys.length + (missing.length - stillMissing.length);
    out.push({ kind, dump: dumpKeys.length, database, matches: stillMissing.length === 0 && extra.length === 0, missing: stillMissing, extra });
  }
  return out;
}

function multiset(keys: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
}

function take(m: Map<string, number>, k: string): boolean {
  const n = m.get(k) ?? 0;
  if (n === 0) return false;
  if (n === 1) m.delete(k);
  else m.set(k, n - 1);
  return true;
}
