/**
 * What a live database holds, for choosing what to dump or copy: its schemas and, in each, the
 * tables (plain, partitioned, foreign, materialized views) with their sizes. The system schemas
 * and those of extensions are left out, as pg_dump leaves them out.
 */
import type { ResolvedConnection } from '../connections/resolve';
import { openServerSession } from './session';

export interface LiveTable {
  name: string;
  kind: 'table' | 'partitioned table' | 'foreign table' | 'materialized view';
  /** pg_total_relation_size: data, indexes and TOAST (a partitioned table: its partitions'). */
  bytes: number;
  /** The planner's estimate (pg_class.reltuples), -1 when never analyzed. */
  estimatedRows: number;
  /** A partition: the table it belongs to (its rows are dumped with it). */
  partitionOf?: string;
}

export interface LiveSchema {
  name: string;
  owner: string;
  tables: LiveTable[];
  bytes: number;
}

export interface LiveDatabase {
  where: string;
  serverVersion: string;
  serverMajor: number;
  schemas: LiveSchema[];
  bytes: number;
}

const KINDS: Record<string, LiveTable['kind']> = { r: 'table', p: 'partitioned table', f: 'foreign table', m: 'materialized view' };

/** The schemas and tables of the database `connection` names, sizes included; one short read-only session. */
export async function readLiveDatabase(connection: ResolvedConnection): Promise<LiveDatabase> {
  const session = await openServerSession(connection);
  try {
    const { rows } = await session.client.query<{ schema: string; owner: string; name: string | null; kind: string | null; bytes: string | null; reltuples: string | null; parent: string | null }>(
      `with schemas as (
         select n.oid, n.nspname, pg_get_userbyid(n.nspowner) as owner from pg_namespace n
         where n.nspname <> 'information_schema' and n.nspname !~ '^pg_'
           and not exists (select 1 from pg_depend d where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e'))
       select s.nspname as schema, s.owner, c.relname as name, c.relkind::text as kind,
              case when c.oid is not null then pg_total_relation_size(c.oid) end::text as bytes,
              c.reltuples::text as reltuples,
              (select pn.nspname || '.' || p.relname from pg_inherits h join pg_class p on p.oid = h.inhparent join pg_namespace pn on pn.oid = p.relnamespace
                where h.inhrelid = c.oid and c.relispartition) as parent
         from schemas s
         left join pg_class c on c.relnamespace = s.oid and c.relkind in ('r', 'p', 'f', 'm')
          and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
        order by s.nspname collate "C", c.relname collate "C"`,
    );
    const schemas = new Map<string, LiveSchema>();
    const byName = new Map<string, LiveTable>();
    for (const r of rows) {
      let schema = schemas.get(r.schema);
      if (!schema) schemas.set(r.schema, (schema = { name: r.schema, owner: r.owner, tables: [], bytes: 0 }));
      if (r.name === null || r.kind === null) continue;
      const table: LiveTable = { name: r.name, kind: KINDS[r.kind] ?? 'table', bytes: Number(r.bytes ?? 0), estimatedRows: Number(r.reltuples ?? -1), ...(r.parent ? { partitionOf: r.parent } : {}) };
      schema.tables.push(table);
      byName.set(`${r.schema}.${r.name}`, table);
    }
    // A partitioned table holds no rows itself: its size is its partitions' (nested ones too).
    for (const [, schema] of schemas) {
      // From the leaves only: a partitioned table in between would pass its leaves' bytes on twice.
      for (const table of schema.tables.filter((t) => t.kind !== 'partitioned table')) {
        let parent = table.partitionOf ? byName.get(table.partitionOf) : undefined;
        for (let depth = 0; parent && depth < 100; depth++) {
          parent.bytes += table.bytes;
          parent = parent.partitionOf ? byName.get(parent.partitionOf) : undefined;
        }
      }
    }
    for (const [, schema] of schemas) schema.bytes = schema.tables.filter((t) => !t.partitionOf).reduce((n, t) => n + t.bytes, 0);
    const list = [...schemas.values()];
    return { where: session.where, serverVersion: session.serverVersion, serverMajor: Math.floor(session.serverVersionNum / 10000), schemas: list, bytes: list.reduce((n, s) => n + s.bytes, 0) };
  } finally {
    await session.close();
  }
}
