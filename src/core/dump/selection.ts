/**
 * The tables a dump's options select, asked of the catalog with pg_dump's own rules, so that
 * progress has a total and the dump can be checked afterwards:
 * - patterns become the regular expressions pg_dump sends (namePattern.ts), matched on the server;
 *   an unqualified table pattern matches tables visible on the default search_path only;
 * - `-t` makes `-n` / `-N` irrelevant (only the tables it names are dumped), `-T` always excludes;
 * - without `-n`, schemas named `pg_*` and `information_schema` are left out;
 * - tables that belong to an extension are not dumped;
 * - an include pattern list that matches nothing is pg_dump's own error, said here before it starts.
 */
import type { Client } from 'pg';
import { DumpError, oneLine } from '../errors';
import { MATCH_ALL, schemaPattern, tablePattern, type NamePattern } from './namePattern';
import type { DumpOptions } from './types';

export interface SelectedTable {
  schema: string;
  name: string;
  /** `r` a table, `p` a partitioned table (its rows live in its partitions). */
  kind: 'r' | 'p';
  /** pg_total_relation_size (tableSizes); 0 until asked. */
  bytes: number;
  /** Whether pg_dump dumps its rows (a TABLE DATA entry). */
  data: boolean;
}

/** The patterns of the options as regexes; throws pg_dump's one-line refusals before anything connects. */
export function compilePatterns(options: DumpOptions, database: string) {
  return {
    schemas: (options.schemas ?? []).map(schemaPattern),
    excludeSchemas: (options.excludeSchemas ?? []).map(schemaPattern),
    tables: (options.tables ?? []).map((p) => tablePattern(p, database)),
    excludeTables: (options.excludeTables ?? []).map((p) => tablePattern(p, database)),
    excludeTableData: (options.excludeTableData ?? []).map((p) => tablePattern(p, database)),
  };
}

/** The relation kinds pg_dump's table patterns match (tables, sequences, views, materialized views, foreign and partitioned tables). */
const PATTERN_RELKINDS = `array['r','S','v','m','f','p']`;

async function ask(client: Client, sql: string, params: string[], pattern: string): Promise<Set<string>> {
  try {
    return new Set((await client.query<{ oid: string }>(sql, params)).rows.map((r) => r.oid));
  } catch (err) {
    throw new DumpError('usage', `pattern ${pattern}: ${oneLine(err)}`, { cause: err });
  }
}

async function schemaOids(client: Client, regexes: string[], patterns: string[], collate: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const [i, re] of regexes.entries()) {
    const where = re === MATCH_ALL ? '' : ` where n.nspname ~ $1${collate}`;
    const found = await ask(client, `select n.oid::text as oid from pg_catalog.pg_namespace n${where}`, re === MATCH_ALL ? [] : [re], patterns[i] ?? '');
    for (const oid of found) out.add(oid);
  }
  return out;
}

async function tableOids(client: Client, compiled: NamePattern[], patterns: string[], collate: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const [i, p] of compiled.entries()) {
    const params: string[] = [];
    const where = [`c.relkind = any (${PATTERN_RELKINDS})`];
    if (p.name !== MATCH_ALL) where.push(`c.relname ~ $${params.push(p.name)}${collate}`);
    if (p.schema === undefined) where.push('pg_catalog.pg_table_is_visible(c.oid)');
    else if (p.schema !== MATCH_ALL) where.push(`n.nspname ~ $${params.push(p.schema)}${collate}`);
    const sql = `select c.oid::text as oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where ${where.join(' and ')}`;
    for (const oid of await ask(client, sql, params, patterns[i] ?? '')) out.add(oid);
  }
  return out;
}

interface CatalogTable {
  oid: string;
  nsoid: string;
  schema: string;
  name: string;
  kind: 'r' | 'p';
}

/** Every table pg_dump could dump: not temporary, not an extension's. */
const TABLES = `
  select c.oid::text as oid, n.oid::text as nsoid, n.nspname as schema, c.relname as name, c.relkind::text as kind
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p') and c.relpersistence <> 't'
     and not exists (select 1 from pg_catalog.pg_depend d
                      where d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass and d.objid = c.oid and d.deptype = 'e')
   order by n.nspname, c.relname`;

/**
 * The tables `options` select in the database `client` is connected to, in pg_dump's order of
 * names, without their sizes (bytes 0: see tableSizes).
 */
export async function selectTables(client: Client, options: DumpOptions, database: string, serverVersionNum: number): Promise<SelectedTable[]> {
  const c = compilePatterns(options, database);
  // From PostgreSQL 12 name columns compare in "C"; pg_dump asks for the database's collation.
  const collate = serverVersionNum >= 120000 ? ' collate pg_catalog.default' : '';
  const includeSchemas = await schemaOids(client, c.schemas, options.schemas ?? [], collate);
  if (c.schemas.length > 0 && includeSchemas.size === 0) throw new DumpError('usage', `no matching schemas were found for ${(options.schemas ?? []).join(', ')}`);
  const excludeSchemas = await schemaOids(client, c.excludeSchemas, options.excludeSchemas ?? [], collate);
  const includeTables = await tableOids(client, c.tables, options.tables ?? [], collate);
  if (c.tables.length > 0 && includeTables.size === 0) throw new DumpError('usage', `no matching tables were found for ${(options.tables ?? []).join(', ')}`);
  const excludeTables = await tableOids(client, c.excludeTables, options.excludeTables ?? [], collate);
  const excludeData = await tableOids(client, c.excludeTableData, options.excludeTableData ?? [], collate);

  const schemaDumped = (t: CatalogTable): boolean => {
    if (c.schemas.length > 0) return includeSchemas.has(t.nsoid) && !excludeSchemas.has(t.nsoid);
    if (t.schema.startsWith('pg_') || t.schema === 'information_schema') return false;
    return !excludeSchemas.has(t.nsoid);
  };
  const content = options.content ?? 'all';
  return (await client.query<CatalogTable>(TABLES)).rows
    .filter((t) => (c.tables.length > 0 ? includeTables.has(t.oid) : schemaDumped(t)) && !excludeTables.has(t.oid))
    .map((t) => ({ schema: t.schema, name: t.name, kind: t.kind, bytes: 0, data: t.kind === 'r' && content !== 'schema-only' && !excludeData.has(t.oid) }));
}

const SIZES = (size: string) => `
  select (${size})::text as bytes
    from unnest($1::text[], $2::text[]) with ordinality as t(schema, name, i)
    left join pg_catalog.pg_namespace n on n.nspname = t.schema
    left join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = t.name
   order by t.i`;

/** The pages the catalog last counted (VACUUM, ANALYZE, CREATE INDEX) of the table, its TOAST table and indexes: no lock needed. */
const ESTIMATED_SIZE = `(c.relpages + coalesce((select t.relpages from pg_catalog.pg_class t where t.oid = c.reltoastrelid), 0)
   + coalesce((select sum(i.relpages) from pg_catalog.pg_index x join pg_catalog.pg_class i on i.oid = x.indexrelid where x.indrelid = c.oid), 0))
   * pg_catalog.current_setting('block_size')::bigint`;

/**
 * Each table's pg_total_relation_size, in the tables' order; `exact` false when they are the
 * catalog's page counts instead. pg_total_relation_size locks each table: one another session
 * holds ACCESS EXCLUSIVE would hold this up as long as it holds pg_dump (which then waits where it
 * can be cancelled), so after a second the catalog's counts are taken.
 */
export async function tableSizes(client: Client, tables: readonly { schema: string; name: string }[]): Promise<{ bytes: number[]; exact: boolean }> {
  const params = [tables.map((t) => t.schema), tables.map((t) => t.name)];
  // A table dropped since it was selected counts 0.
  const read = async (size: string) => (await client.query<{ bytes: string | null }>(SIZES(size), params)).rows.map((r) => Number(r.bytes ?? 0));
  await client.query(`set lock_timeout = '1s'`);
  try {
    return { bytes: await read('pg_catalog.pg_total_relation_size(c.oid)'), exact: true };
  } catch (err) {
    if ((err as { code?: string }).code !== '55P03') throw err; // lock_not_available
    return { bytes: await read(ESTIMATED_SIZE), exact: false };
  } finally {
    await client.query('reset lock_timeout');
  }
}
