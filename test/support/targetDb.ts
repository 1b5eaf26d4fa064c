/**
 * Target databases for restore tests: fresh empty ones on the harness's servers, connections to
 * them, and the catalogs as comparable text (what a restore can change; what a table brings).
 */
import { Client } from 'pg';
import { resolveConnection, type ResolvedConnection } from '../../src/core/connections/resolve';
import { testEnv } from './env';
import { createDatabase, query, type ServerAddress } from './pgServer';
import { until } from './poll';

let counter = 0;
const created: { server: ServerAddress; name: string }[] = [];

/** A new empty database on the test server (or `server`); dropped by dropCreatedDatabases. */
export async function freshDatabase(label: string, server: ServerAddress = testEnv().server): Promise<string> {
  const name = `pgdx_restore_${label}_${process.pid}_${++counter}`;
  await createDatabase(server, name);
  created.push({ server, name });
  return name;
}

/** Drops the databases freshDatabase made. */
export async function dropCreatedDatabases(): Promise<void> {
  for (const { server, name } of created.splice(0)) await query(server, 'postgres', `drop database if exists "${name}" with (force)`);
}

/**
 * Runs `fn` while another session holds `mode` on `table` of `db` (a restore's COPY then waits,
 * so it is certainly still running when a test cancels it); the lock goes when `fn` settles.
 */
export async function withTableLocked<T>(db: string, table: string, mode: 'share' | 'access exclusive', fn: () => Promise<T>, server: ServerAddress = testEnv().server): Promise<T> {
  const blocker = new Client({ host: server.host, port: server.port, user: server.user, database: db });
  blocker.on('error', () => undefined);
  await blocker.connect();
  try {
    await blocker.query(`begin; lock table ${table} in ${mode} mode`);
    return await fn();
  } finally {
    await blocker.query('rollback').catch(() => undefined);
    await blocker.end();
  }
}

/**
 * Resolves once a session on `db` waits for a lock (a restore held up by another session's lock,
 * certainly still running).
 */
export async function waitForLockWait(db: string, server: ServerAddress = testEnv().server): Promise<void> {
  await until(`a session on ${db} to wait for a lock`, async () => {
    const [row] = await query<{ n: string }>(server, 'postgres', "select count(*)::text as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock'", [db]);
    return row?.n !== '0';
  });
}

/** A resolved connection to `db` on the test server (or `server`), without the caller's PG* variables. */
export function connectionTo(db: string, server: ServerAddress = testEnv().server): ResolvedConnection {
  return resolveConnection({ host: server.host, port: server.port, user: server.user, dbname: db }, { env: {} });
}

/** Everything a restore can change in a database, as comparable text: objects, definitions, privileges, comments, rows. */
export async function snapshot(db: string, server: ServerAddress = testEnv().server): Promise<Record<string, unknown>> {
  const rows = await query<{ kind: string; item: string }>(
    server,
    db,
    `with ns as (select oid, nspname, nspacl from pg_namespace where nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and nspname not like 'pg_temp%' and nspname not like 'pg_toast_temp%')
     select 'schema' as kind, nspname || ' ' || coalesce(nspacl::text, '') as item from ns
     union all select 'relation', ns.nspname || '.' || c.relname || ' ' || c.relkind::text || ' ' || pg_get_userbyid(c.relowner) || ' ' || coalesce(c.relacl::text, '') || ' ' || c.relrowsecurity::text
       from pg_class c join ns on ns.oid = c.relnamespace
     union all select 'constraint', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace in (select oid from ns)
     union all select 'index', indexrelid::regclass::text || ' ' || pg_get_indexdef(indexrelid) from pg_index where indrelid in (select c.oid from pg_class c join ns on ns.oid = c.relnamespace)
     union all select 'trigger', tgrelid::regclass::text || ' ' || pg_get_triggerdef(oid) from pg_trigger where not tgisinternal
     union all select 'policy', polrelid::regclass::text || ' ' || polname from pg_policy
     union all select 'function', p.oid::regprocedure::text || ' ' || md5(pg_get_functiondef(p.oid)) from pg_proc p join ns on ns.oid = p.pronamespace where p.prokind in ('f', 'p')
     union all select 'type', t.oid::regtype::text || ' ' || t.typtype::text from pg_type t join ns on ns.oid = t.typnamespace where t.typtype in ('e', 'd', 'c') and (t.typrelid = 0 or (select relkind from pg_class where oid = t.typrelid) = 'c')
     union all select 'comment', classoid::regclass::text || ' ' || objsubid::text || ' ' || description from pg_description where objoid >= 16384
     union all select 'default', adrelid::regclass::text || ' ' || pg_get_expr(adbin, adrelid) from pg_attrdef
     union all select 'extension', extname from pg_extension
     union all select 'sequence', schemaname || '.' || sequencename || ' ' || coalesce(last_value::text, 'unused') from pg_sequences
     order by 1, 2`,
  );
  const tables = await query<{ name: string }>(
    server,
    db,
    `select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t.name] = Number((await query<{ n: string }>(server, db, `select count(*)::text as n from only ${t.name}`))[0]?.n);
  const byKind: Record<string, string[]> = {};
  for (const r of rows) (byKind[r.kind] ??= []).push(r.item);
  return { ...byKind, rows: counts };
}

/** What a table brings along, in the catalogs, with OIDs and generated names kept out. */
export async function footprint(db: string, table: string, server: ServerAddress = testEnv().server): Promise<Record<string, unknown>> {
  const [row] = await query<Record<string, unknown>>(
    server,
    db,
    `select (select string_agg(pg_get_indexdef(indexrelid), ' | ' order by 1) from pg_index where indrelid = to_regclass($1)) as indexes,
            (select string_agg(conname || ' ' || pg_get_constraintdef(oid), ' | ' order by conname) from pg_constraint where conrelid = to_regclass($1)) as constraints,
            (select string_agg(pg_get_triggerdef(oid), ' | ' order by tgname) from pg_trigger where tgrelid = to_regclass($1) and not tgisinternal) as triggers,
            (select string_agg(polname || ' ' || pg_get_expr(polqual, polrelid), ' | ' order by polname) from pg_policy where polrelid = to_regclass($1)) as policies,
            (select relrowsecurity from pg_class where oid = to_regclass($1)) as row_security,
            (select relacl::text from pg_class where oid = to_regclass($1)) as acl,
            (select pg_get_userbyid(relowner) from pg_class where oid = to_regclass($1)) as owner,
            (select string_agg(objsubid || ':' || description, ' | ' order by objsubid) from pg_description where objoid = to_regclass($1)) as comments,
            (select string_agg(a.attname || '=' || pg_get_expr(d.adbin, d.adrelid), ' | ' order by a.attnum) from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum where d.adrelid = to_regclass($1)) as defaults,
            (select string_agg(a.attname || '->' || pg_get_serial_sequence($1, a.attname), ' | ' order by a.attnum) from pg_attribute a where a.attrelid = to_regclass($1) and a.attnum > 0 and pg_get_serial_sequence($1, a.attname) is not null) as sequences,
            (select count(*)::int from only ${table}) as rows`,
    [table],
  );
  return row ?? {};
}
