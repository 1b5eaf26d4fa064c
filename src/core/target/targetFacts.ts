/**
 * What the pre-flight check asks the target database, a few batched catalog queries each:
 * who we are, which roles exist, which schemas and tables we may use, which extensions the
 * server has, whether the database holds anything, and whether tables already have rows.
 *
 * Every name travels as a parameter (arrays through `unnest`). The one exception is the row
 * check, which must name tables in SQL: there every name goes through escapeIdentifier.
 */
import { escapeIdentifier, type Client } from 'pg';

export interface ActorFacts {
  /** current_database() */
  database: string;
  /** current_user: who connected. */
  user: string;
  /** Whether the connecting user is a superuser. */
  userIsSuperuser: boolean;
  /** The role objects are created as (pg_restore --role), or the user. */
  actor: string;
  /** Whether the role exists (always true for the user). */
  actorExists: boolean;
  /** Whether the user may SET ROLE to it (always true for the user itself). */
  actorUsable: boolean;
  actorIsSuperuser: boolean;
  actorCanCreateDatabase: boolean;
  /** CREATE on the current database. */
  actorCanCreate: boolean;
}

/** Who we are on the target, and the role pg_restore acts as (`role`: its --role, when given), in one query. */
export async function actorFacts(client: Client, role: string | undefined): Promise<ActorFacts> {
  const row = (
    await client.query<{ database: string; user: string; user_super: boolean; actor: string; exists: boolean; rolsuper: boolean; rolcreatedb: boolean; can_create: boolean; usable: boolean }>(
      `with me as (select pg_catalog.current_database() as database, current_user as "user",
                          coalesce((select rolsuper from pg_catalog.pg_roles where rolname = current_user), false) as user_super,
                          coalesce($1, current_user) as actor)
       select me.database, me."user", me.user_super, me.actor, r.oid is not null as exists,
              coalesce(r.rolsuper, false) as rolsuper, coalesce(r.rolcreatedb, false) as rolcreatedb,
              coalesce(pg_catalog.has_database_privilege(r.oid, pg_catalog.current_database(), 'CREATE'), false) as can_create,
              coalesce(pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'), false) as usable
         from me left join pg_catalog.pg_roles r on r.rolname = me.actor`,
      [role ?? null],
    )
  ).rows[0]!;
  return {
    database: row.database,
    user: row.user,
    userIsSuperuser: row.user_super,
    actor: row.actor,
    actorExists: row.exists,
    actorUsable: row.usable,
    actorIsSuperuser: row.rolsuper,
    actorCanCreateDatabase: row.rolcreatedb || row.rolsuper,
    actorCanCreate: row.can_create,
  };
}

/** Of `names` (run-time parameters, lower case), those the server does not have, sorted. */
export async function missingParameters(client: Client, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const { rows } = await client.query<{ name: string }>(
    'select n.name from pg_catalog.unnest($1::text[]) as n(name) where not exists (select from pg_catalog.pg_settings s where s.name = n.name) order by 1',
    [names],
  );
  return rows.map((r) => r.name);
}

export interface RoleFacts {
  exists: boolean;
  /** Whether the actor may act as it (ALTER … OWNER TO it): MEMBER, or from PostgreSQL 16 the SET option. */
  actorMayBecome: boolean;
}

/** Which of `names` exist, and whether `actor` (an existing role) may give them objects. */
export async function roleFacts(client: Client, serverVersionNum: number, names: readonly string[], actor: string): Promise<Map<string, RoleFacts>> {
  const out = new Map<string, RoleFacts>();
  if (names.length === 0) return out;
  const how = serverVersionNum >= 160000 ? 'SET' : 'MEMBER';
  const result = await client.query<{ name: string; exists: boolean; may: boolean | null }>(
    `select n.name, r.oid is not null as exists,
            case when r.oid is null then false
                 else pg_catalog.pg_has_role((select oid from pg_catalog.pg_roles where rolname = $2), r.oid, '${how}') end as may
       from unnest($1::text[]) as n(name) left join pg_catalog.pg_roles r on r.rolname = n.name`,
    [names, actor],
  );
  for (const row of result.rows) out.set(row.name, { exists: row.exists, actorMayBecome: row.may ?? false });
  return out;
}

export interface SchemaFacts {
  exists: boolean;
  canCreate: boolean;
  canUse: boolean;
}

/** Whether each schema exists and what `actor` may do in it. */
export async function schemaFacts(client: Client, names: readonly string[], actor: string): Promise<Map<string, SchemaFacts>> {
  const out = new Map<string, SchemaFacts>();
  if (names.length === 0) return out;
  const result = await client.query<{ name: string; exists: boolean; can_create: boolean | null; can_use: boolean | null }>(
    `with a as (select oid from pg_catalog.pg_roles where rolname = $2)
     select s.name, n.oid is not null as exists,
            case when n.oid is null then null else pg_catalog.has_schema_privilege((select oid from a), n.oid, 'CREATE') end as can_create,
            case when n.oid is null then null else pg_catalog.has_schema_privilege((select oid from a), n.oid, 'USAGE') end as can_use
       from unnest($1::text[]) as s(name) left join pg_catalog.pg_namespace n on n.nspname = s.name`,
    [names, actor],
  );
  for (const row of result.rows) out.set(row.name, { exists: row.exists, canCreate: row.can_create ?? false, canUse: row.can_use ?? false });
  return out;
}

export interface ExtensionFacts {
  /** The server has the extension's files (pg_available_extensions). */
  available: boolean;
  defaultVersion: string | undefined;
  /** Installed in this database (pg_extension). */
  installed: boolean;
  installedVersion: string | undefined;
  /** Its default version may be created by superusers only (and is not trusted). */
  superuserOnly: boolean;
}

export async function extensionFacts(client: Client, serverVersionNum: number, names: readonly string[], databaseExists: boolean): Promise<Map<string, ExtensionFacts>> {
  const out = new Map<string, ExtensionFacts>();
  if (names.length === 0) return out;
  const trusted = serverVersionNum >= 130000 ? 'coalesce(v.trusted, false)' : 'false';
  const installed = databaseExists ? '(select e.extversion from pg_catalog.pg_extension e where e.extname = n.name)' : 'null::text';
  const result = await client.query<{ name: string; available: boolean; default_version: string | null; installed_version: string | null; superuser_only: boolean }>(
    `select n.name, a.name is not null as available, a.default_version,
            ${installed} as installed_version,
            coalesce(v.superuser, false) and not ${trusted} as superuser_only
       from unnest($1::text[]) as n(name)
       left join pg_catalog.pg_available_extensions a on a.name = n.name
       left join pg_catalog.pg_available_extension_versions v on v.name = n.name and v.version = a.default_version`,
    [names],
  );
  for (const row of result.rows) {
    out.set(row.name, {
      available: row.available,
      defaultVersion: row.default_version ?? undefined,
      installed: row.installed_version !== null,
      installedVersion: row.installed_version ?? undefined,
      superuserOnly: row.superuser_only,
    });
  }
  return out;
}

export interface DatabaseContents {
  schemas: number;
  relations: number;
  functions: number;
  types: number;
  extensions: number;
  largeObjects: number;
}

export const isEmptyContents = (c: DatabaseContents): boolean => Object.values(c).every((n) => n === 0);

/**
 * What the database holds besides the system: schemas other than public, relations, functions
 * and types outside pg_catalog / information_schema / toast (extension members not counted),
 * extensions other than plpgsql, large objects.
 */
export async function databaseContents(client: Client): Promise<DatabaseContents> {
  const system = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_)'`;
  const notExtension = (catalog: string, alias: string) =>
    `not exists (select 1 from pg_catalog.pg_depend d where d.classid = 'pg_catalog.${catalog}'::pg_catalog.regclass and d.objid = ${alias}.oid and d.deptype = 'e')`;
  const row = (
    await client.query<Record<keyof DatabaseContents, string>>(
      `select
        (select count(*) from pg_catalog.pg_namespace n where ${system} and n.nspname <> 'public' and n.nspname !~ '^pg_') as schemas,
        (select count(*) from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where ${system} and ${notExtension('pg_class', 'c')}) as relations,
        (select count(*) from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace where ${system} and ${notExtension('pg_proc', 'p')}) as functions,
        (select count(*) from pg_catalog.pg_type t join pg_catalog.pg_namespace n on n.oid = t.typnamespace
          where ${system} and t.typrelid = 0 and t.typcategory <> 'A' and t.typtype <> 'm' and ${notExtension('pg_type', 't')}) as types,
        (select count(*) from pg_catalog.pg_extension e where e.extname <> 'plpgsql') as extensions,
        (select count(*) from pg_catalog.pg_largeobject_metadata) as "largeObjects"`,
    )
  ).rows[0]!;
  return {
    schemas: Number(row.schemas),
    relations: Number(row.relations),
    functions: Number(row.functions),
    types: Number(row.types),
    extensions: Number(row.extensions),
    largeObjects: Number(row.largeObjects),
  };
}

export interface TableFacts {
  exists: boolean;
  /** pg_class.relkind, when it exists. */
  relkind: string | undefined;
  canInsert: boolean;
  canSelect: boolean;
}

/** Whether each table (schema, name) exists and what `actor` may do with it. */
export async function tableFacts(client: Client, tables: readonly { schema: string; name: string }[], actor: string): Promise<TableFacts[]> {
  const out: TableFacts[] = tables.map(() => ({ exists: false, relkind: undefined, canInsert: false, canSelect: false }));
  if (tables.length === 0) return out;
  const result = await client.query<{ i: number; relkind: string | null; can_insert: boolean | null; can_select: boolean | null }>(
    `with a as (select oid from pg_catalog.pg_roles where rolname = $4)
     select p.i, c.relkind::text as relkind,
            case when c.oid is null then null else pg_catalog.has_table_privilege((select oid from a), c.oid, 'INSERT') end as can_insert,
            case when c.oid is null then null else pg_catalog.has_table_privilege((select oid from a), c.oid, 'SELECT') end as can_select
       from unnest($1::int[], $2::text[], $3::text[]) as p(i, s, n)
       left join pg_catalog.pg_namespace ns on ns.nspname = p.s
       left join pg_catalog.pg_class c on c.relnamespace = ns.oid and c.relname = p.n`,
    [tables.map((_, i) => i), tables.map((t) => t.schema), tables.map((t) => t.name), actor],
  );
  for (const row of result.rows) {
    out[row.i] = { exists: row.relkind !== null, relkind: row.relkind ?? undefined, canInsert: row.can_insert ?? false, canSelect: row.can_select ?? false };
  }
  return out;
}

const ROWS_BATCH = 200;

/**
 * Whether each table has at least one row: true, false, or an error message when it could not
 * be read. Runs inside the caller's transaction, with a savepoint around each batch so that
 * one unreadable table costs only its own answer.
 */
export async function tablesHaveRows(client: Client, tables: readonly { schema: string; name: string }[]): Promise<(boolean | string)[]> {
  const out: (boolean | string)[] = tables.map(() => false);
  const name = (t: { schema: string; name: string }) => `${escapeIdentifier(t.schema)}.${escapeIdentifier(t.name)}`;
  const ask = async (indexes: number[]): Promise<void> => {
    const sql = indexes.map((i) => `select ${i} as i where exists (select 1 from ${name(tables[i]!)})`).join('\nunion all\n');
    await client.query('savepoint pgdx_rows');
    try {
      const result = await client.query<{ i: number }>(sql);
      for (const row of result.rows) out[row.i] = true;
      await client.query('release savepoint pgdx_rows');
    } catch (err) {
      await client.query('rollback to savepoint pgdx_rows');
      await client.query('release savepoint pgdx_rows');
      if (indexes.length === 1) out[indexes[0]!] = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
      else for (const i of indexes) await ask([i]);
    }
  };
  for (let start = 0; start < tables.length; start += ROWS_BATCH) {
    await ask(Array.from({ length: Math.min(ROWS_BATCH, tables.length - start) }, (_, k) => start + k));
  }
  return out;
}
