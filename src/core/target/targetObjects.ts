/**
 * The database objects TOC entries create, and one batched catalog query that says which of
 * them exist in a target database. Names travel as array parameters (`unnest`), never spliced
 * into SQL, and the query runs with `search_path` set to `pg_catalog` so that type names print
 * as pg_dump wrote them into function tags (qualified unless in pg_catalog).
 */
import { escapeIdentifier, type Client } from 'pg';
import type { TocEntry } from '../model/types';
import type { Ownership } from '../plan/closure';

export type ObjectKind =
  | 'schema'
  | 'relation'
  | 'type'
  | 'function'
  | 'constraint'
  | 'domain-constraint'
  | 'trigger'
  | 'policy'
  | 'rule'
  | 'extension'
  | 'collation'
  | 'conversion'
  | 'statistics'
  | 'ts-config'
  | 'ts-dictionary'
  | 'ts-parser'
  | 'ts-template'
  | 'language'
  | 'fdw'
  | 'server'
  | 'publication'
  | 'event-trigger'
  | 'access-method'
  | 'opclass'
  | 'opfamily'
  | 'large-object';

/** One object as the catalogs name it. */
export interface ObjectRef {
  kind: ObjectKind;
  /** The schema; '' for objects outside schemas. */
  schema: string;
  name: string;
  /**
   * What else identifies it: the table (or domain) of a constraint, trigger, policy or rule;
   * a function's argument types as pg_dump formats them; an operator class's access method.
   */
  on: string;
  /**
   * What the catalogs must say for the object to be of the entry's kind: the pg_class relkinds
   * of a relation ('rp' for a table), 'd' or 't' for a type. Empty: any.
   */
  expect: string;
}

const RELKINDS: Record<string, string> = {
  TABLE: 'rp',
  'FOREIGN TABLE': 'f',
  VIEW: 'v',
  'MATERIALIZED VIEW': 'm',
  SEQUENCE: 'S',
  INDEX: 'iI',
};

const IN_SCHEMA: Record<string, ObjectKind> = {
  COLLATION: 'collation',
  CONVERSION: 'conversion',
  STATISTICS: 'statistics',
  'TEXT SEARCH CONFIGURATION': 'ts-config',
  'TEXT SEARCH DICTIONARY': 'ts-dictionary',
  'TEXT SEARCH PARSER': 'ts-parser',
  'TEXT SEARCH TEMPLATE': 'ts-template',
};

const GLOBAL: Record<string, ObjectKind> = {
  SCHEMA: 'schema',
  EXTENSION: 'extension',
  'PROCEDURAL LANGUAGE': 'language',
  'FOREIGN DATA WRAPPER': 'fdw',
  SERVER: 'server',
  PUBLICATION: 'publication',
  'EVENT TRIGGER': 'event-trigger',
  'ACCESS METHOD': 'access-method',
};

const ON_TABLE: Record<string, ObjectKind> = {
  CONSTRAINT: 'constraint',
  'FK CONSTRAINT': 'constraint',
  'CHECK CONSTRAINT': 'constraint',
  TRIGGER: 'trigger',
  POLICY: 'policy',
  RULE: 'rule',
};

const MAX_OID = 4294967295;

/**
 * A function tag (`name(argtypes)`, as pg_dump writes it) split into the name and the argument
 * types as `oidvectortypes` prints them: an aggregate's `*` is no arguments, an ordered-set
 * aggregate's `ORDER BY` separates two argument lists.
 */
export function splitFunctionTag(tag: string): { name: string; args: string } | null {
  const open = tag.indexOf('(');
  if (open <= 0 || !tag.endsWith(')')) return null;
  let args = tag.slice(open + 1, -1).trim();
  if (args === '*') args = '';
  args = args.replace(/ ORDER BY /, ', ').replace(/^ORDER BY /, '');
  return { name: tag.slice(0, open), args };
}

/** `tag` of an entry on a relation (`table name`), split using the entry it belongs to. */
function onRelation(e: TocEntry, own: Ownership): { on: TocEntry; name: string } | null {
  const tag = e.tag ?? '';
  for (const o of own.owners(e.dumpId)) {
    if (o.tag !== null && o.namespace === e.namespace && tag.startsWith(`${o.tag} `)) return { on: o, name: tag.slice(o.tag.length + 1) };
  }
  return null;
}

/** Large object OIDs of a BLOB (its tag) or BLOB METADATA entry (one per line of its definition, 1.16). */
function largeObjectOids(e: TocEntry): string[] {
  const candidates = e.desc === 'BLOB' ? [e.tag ?? ''] : (e.defn ?? '').split('\n');
  return candidates.map((s) => s.trim()).filter((s) => /^\d{1,10}$/.test(s) && Number(s) <= MAX_OID);
}

/**
 * The objects restoring `e`'s definition creates, as the catalogs name them; null when this
 * kind of entry is not checked (it creates nothing by name, or nothing this module can look up).
 */
export function objectsOf(e: TocEntry, own: Ownership): ObjectRef[] | null {
  const desc = e.desc ?? '';
  const tag = e.tag ?? '';
  const schema = e.namespace ?? '';
  if (tag === '') return null;
  const ref = (kind: ObjectKind, name: string, on = '', expect = ''): ObjectRef[] => [{ kind, schema, name, on, expect }];
  const relkinds = RELKINDS[desc];
  if (relkinds !== undefined) return schema ? ref('relation', tag, '', relkinds) : null;
  if (desc === 'TYPE' || desc === 'SHELL TYPE') return schema ? ref('type', tag, '', 't') : null;
  if (desc === 'DOMAIN') return schema ? ref('type', tag, '', 'd') : null;
  if (desc === 'FUNCTION' || desc === 'PROCEDURE' || desc === 'AGGREGATE') {
    const f = splitFunctionTag(tag);
    return f && schema ? ref('function', f.name, f.args) : null;
  }
  const onKind = ON_TABLE[desc];
  if (onKind !== undefined) {
    const split = onRelation(e, own);
    if (!split || !schema) return null;
    const kind = onKind === 'constraint' && split.on.desc === 'DOMAIN' ? 'domain-constraint' : onKind;
    return ref(kind, split.name, split.on.tag ?? '');
  }
  const inSchema = IN_SCHEMA[desc];
  if (inSchema !== undefined) return schema ? ref(inSchema, tag) : null;
  const global = GLOBAL[desc];
  if (global !== undefined) return [{ kind: global, schema: '', name: tag, on: '', expect: '' }];
  if (desc === 'OPERATOR CLASS' || desc === 'OPERATOR FAMILY') {
    const at = tag.lastIndexOf(' USING ');
    if (at <= 0 || !schema) return null;
    return ref(desc === 'OPERATOR CLASS' ? 'opclass' : 'opfamily', tag.slice(0, at), tag.slice(at + ' USING '.length));
  }
  if (desc === 'BLOB' || desc === 'BLOB METADATA') {
    const oids = largeObjectOids(e);
    return oids.length > 0 ? oids.map((oid) => ({ kind: 'large-object' as const, schema: '', name: oid, on: '', expect: '' })) : null;
  }
  return null;
}

/** A key identifying the object a ref names (for maps and de-duplication). */
export const refKey = (r: ObjectRef): string => `${r.kind}\u0000${r.schema}\u0000${r.name}\u0000${r.on}`;

/** An identifier as a person would write it: bare when it is a plain lower-case name, else quoted. */
export function sqlName(s: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : escapeIdentifier(s);
}

/** How an object is named in messages and in the `clean` fix: `sales.order`, `order_pkey on sales.order`. */
export function objectName(ref: ObjectRef): string {
  const qualified = (name: string) => (ref.schema ? `${sqlName(ref.schema)}.${sqlName(name)}` : sqlName(name));
  switch (ref.kind) {
    case 'function':
      return `${qualified(ref.name)}(${ref.on})`;
    case 'constraint':
    case 'domain-constraint':
    case 'trigger':
    case 'policy':
    case 'rule':
      return `${sqlName(ref.name)} on ${qualified(ref.on)}`;
    case 'opclass':
    case 'opfamily':
      return `${qualified(ref.name)} USING ${ref.on}`;
    case 'large-object':
      return ref.name;
    default:
      return qualified(ref.name);
  }
}

/** What the entry's kind is called in messages (`LARGE OBJECT` for BLOB entries). */
export function kindName(e: TocEntry): string {
  const d = e.desc ?? '';
  return d === 'BLOB' || d === 'BLOB METADATA' ? 'LARGE OBJECT' : d;
}

/** `found` (what the catalogs said) fits `ref.expect`. */
export function isExpectedKind(ref: ObjectRef, found: string): boolean {
  return ref.expect === '' || ref.expect.includes(found);
}

/** What the catalogs say an existing object is, in words, for `found` codes that do not fit. */
export function foundKindName(found: string): string {
  const names: Record<string, string> = {
    r: 'a table',
    p: 'a partitioned table',
    f: 'a foreign table',
    v: 'a view',
    m: 'a materialized view',
    S: 'a sequence',
    i: 'an index',
    I: 'a partitioned index',
    c: 'a composite type',
    t: 'a type',
    '#type': 'a type',
    d: 'a domain',
    rowtype: "a table's row type",
  };
  return names[found] ?? 'another object';
}

const FROM = 'from unnest($1::int[], $2::text[], $3::text[], $4::text[]) as p(i, s, n, o)';
const NS = 'join pg_catalog.pg_namespace ns on ns.nspname = p.s';
/** The relation (p.o) a constraint, trigger, policy or rule is on. */
const ON_REL = `${NS} join pg_catalog.pg_class c on c.relnamespace = ns.oid and c.relname = p.o`;

/**
 * For each kind, the queries that find its objects: each selects (i, found) for the refs that
 * exist; the first query to find a ref wins. The server must be at least `since`.
 */
const QUERIES: Record<ObjectKind, { since: number; sql: string[] }> = {
  schema: { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_namespace x on x.nspname = p.n`] },
  relation: {
    since: 0,
    sql: [
      `select p.i, c.relkind::text ${FROM} ${NS} join pg_catalog.pg_class c on c.relnamespace = ns.oid and c.relname = p.n`,
      // A type of that name (an enum, a domain…) takes the name of a table's row type.
      `select p.i, '#type' ${FROM} ${NS} join pg_catalog.pg_type t on t.typnamespace = ns.oid and t.typname = p.n and t.typrelid = 0`,
    ],
  },
  type: {
    since: 0,
    sql: [
      `select p.i, case when t.typtype = 'd' then 'd' when t.typrelid <> 0 and c.relkind <> 'c' then 'rowtype' else 't' end
         ${FROM} ${NS} join pg_catalog.pg_type t on t.typnamespace = ns.oid and t.typname = p.n left join pg_catalog.pg_class c on c.oid = t.typrelid`,
    ],
  },
  function: { since: 0, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_proc x on x.pronamespace = ns.oid and x.proname = p.n and pg_catalog.oidvectortypes(x.proargtypes) = p.o`] },
  constraint: { since: 0, sql: [`select p.i, 'y' ${FROM} ${ON_REL} join pg_catalog.pg_constraint x on x.conrelid = c.oid and x.conname = p.n`] },
  'domain-constraint': {
    since: 0,
    sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_type t on t.typnamespace = ns.oid and t.typname = p.o join pg_catalog.pg_constraint x on x.contypid = t.oid and x.conname = p.n`],
  },
  trigger: { since: 0, sql: [`select p.i, 'y' ${FROM} ${ON_REL} join pg_catalog.pg_trigger x on x.tgrelid = c.oid and x.tgname = p.n and not x.tgisinternal`] },
  policy: { since: 90500, sql: [`select p.i, 'y' ${FROM} ${ON_REL} join pg_catalog.pg_policy x on x.polrelid = c.oid and x.polname = p.n`] },
  rule: { since: 0, sql: [`select p.i, 'y' ${FROM} ${ON_REL} join pg_catalog.pg_rewrite x on x.ev_class = c.oid and x.rulename = p.n`] },
  extension: { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_extension x on x.extname = p.n`] },
  collation: { since: 0, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_collation x on x.collnamespace = ns.oid and x.collname = p.n`] },
  conversion: { since: 0, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_conversion x on x.connamespace = ns.oid and x.conname = p.n`] },
  statistics: { since: 100000, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_statistic_ext x on x.stxnamespace = ns.oid and x.stxname = p.n`] },
  'ts-config': { since: 0, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_ts_config x on x.cfgnamespace = ns.oid and x.cfgname = p.n`] },
  'ts-dictionary': { since: 0, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_ts_dict x on x.dictnamespace = ns.oid and x.dictname = p.n`] },
  'ts-parser': { since: 0, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_ts_parser x on x.prsnamespace = ns.oid and x.prsname = p.n`] },
  'ts-template': { since: 0, sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_ts_template x on x.tmplnamespace = ns.oid and x.tmplname = p.n`] },
  language: { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_language x on x.lanname = p.n`] },
  fdw: { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_foreign_data_wrapper x on x.fdwname = p.n`] },
  server: { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_foreign_server x on x.srvname = p.n`] },
  publication: { since: 100000, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_publication x on x.pubname = p.n`] },
  'event-trigger': { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_event_trigger x on x.evtname = p.n`] },
  'access-method': { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_am x on x.amname = p.n`] },
  opclass: {
    since: 0,
    sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_opclass x on x.opcnamespace = ns.oid and x.opcname = p.n join pg_catalog.pg_am a on a.oid = x.opcmethod and a.amname = p.o`],
  },
  opfamily: {
    since: 0,
    sql: [`select p.i, 'y' ${FROM} ${NS} join pg_catalog.pg_opfamily x on x.opfnamespace = ns.oid and x.opfname = p.n join pg_catalog.pg_am a on a.oid = x.opfmethod and a.amname = p.o`],
  },
  // Only refs whose name is a valid OID are made (largeObjectOids), so the cast cannot fail.
  'large-object': { since: 0, sql: [`select p.i, 'y' ${FROM} join pg_catalog.pg_largeobject_metadata x on x.oid = p.n::pg_catalog.oid`] },
};

const BATCH = 20_000;

/**
 * Which of `refs` exist in the connected database: for each, what the catalogs say it is
 * (a relkind letter for a relation, 'd'/'t'/'rowtype' for a type, 'y' otherwise), or null.
 * One set-based query per kind present (two for relations), per 20,000 objects, all asked at
 * once: the caller gives a pipelined session (SessionOptions.pipeline), which sends them
 * together, and runs it with search_path = pg_catalog. Kinds whose catalog the server lacks are
 * never found.
 */
export async function findObjects(client: Client, serverVersionNum: number, refs: readonly ObjectRef[]): Promise<(string | null)[]> {
  const out: (string | null)[] = new Array<string | null>(refs.length).fill(null);
  const byKind = new Map<ObjectKind, number[]>();
  refs.forEach((r, i) => {
    const list = byKind.get(r.kind);
    if (list) list.push(i);
    else byKind.set(r.kind, [i]);
  });
  const asked: Promise<{ rows: { i: number; found: string }[] }>[] = [];
  for (const [kind, indexes] of byKind) {
    const q = QUERIES[kind];
    if (serverVersionNum < q.since) continue;
    for (let start = 0; start < indexes.length; start += BATCH) {
      const chunk = indexes.slice(start, start + BATCH);
      const params = [chunk, chunk.map((i) => refs[i]!.schema), chunk.map((i) => refs[i]!.name), chunk.map((i) => refs[i]!.on)];
      for (const sql of q.sql) asked.push(client.query<{ i: number; found: string }>(`select q.i, q.found from (${sql}) as q(i, found)`, params));
    }
  }
  // The first query (in the order asked) to find an object names it.
  for (const result of await Promise.all(asked)) for (const row of result.rows) if (out[row.i] === null) out[row.i] = row.found;
  return out;
}
