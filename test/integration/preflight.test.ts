import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openArchive, withArchive, type OpenedArchive } from '../../src/core/archive';
import { resolveConnection, type ResolvedConnection } from '../../src/core/connections/resolve';
import { DumpError } from '../../src/core/errors';
import type { Archive } from '../../src/core/model/types';
import { buildPlan, type RestorePlan } from '../../src/core/plan/closure';
import { writeRestoreList } from '../../src/core/plan/listFile';
import type { Selection } from '../../src/core/plan/selection';
import { preflight, type Finding, type PreflightOptions, type PreflightReport } from '../../src/core/target/preflight';
import { objectsOf } from '../../src/core/target/targetObjects';
import { ownership } from '../../src/core/plan/closure';
import { fixturePath, pgTool, sharedFixture, testEnv } from '../support/env';
import { createDatabase, freePort, query } from '../support/pgServer';

/**
 * The pre-flight check against the throwaway server. A source database with its own roles is
 * dumped with the real pg_dump, then its roles are dropped, so that the archive names roles the
 * cluster lacks. Every database and role made here has a unique name and is dropped afterwards.
 */

const tag = `${process.pid}_${Date.now().toString(36)}`;
const OWNER = `pf_owner_${tag}`;
const READER = `pf_reader_${tag}`;
const ODD = `pf odd "role" ${tag}`;
const LOGIN = `pf_login_${tag}`;
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

const SOURCE_SQL = `
create schema shop authorization ${OWNER};
create extension citext;
create extension file_fdw;
create type shop.status as enum ('new', 'done');
create domain shop.positive as int check (value > 0);
create table shop.customer(id int primary key, email citext unique);
create table shop.orders(id int primary key, customer_id int references shop.customer(id), status shop.status default 'new', qty shop.positive);
create index orders_customer_idx on shop.orders(customer_id);
create view shop.open_orders as select * from shop.orders where status = 'new';
create function shop.order_count(c int, e public.citext) returns bigint language sql stable as $$ select count(*) from shop.orders where customer_id = c $$;
create function shop.touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger orders_touch before insert on shop.orders for each row execute function shop.touch();
create table shop.secret(id int);
alter table shop.secret enable row level security;
create policy secret_read on shop.secret for select to ${READER} using (true);
alter table shop.orders owner to ${OWNER};
grant select on shop.customer to ${READER};
grant select (email) on shop.customer to ${ident(ODD)};
insert into shop.customer values (1, 'a@example.com'), (2, 'b@example.com');
insert into shop.orders values (1, 1, 'new', 1), (2, 2, 'done', 3);
`;

describe('pre-flight check of a restore target', function () {
  let dir: string;
  let home: string;
  let dump: string;
  let opened: OpenedArchive;
  const databases: string[] = [];
  const roles: string[] = [];

  const sql = (db: string, text: string, params?: unknown[]) => query(testEnv().server, db, text, params);
  const dropDatabase = async (db: string) => {
    await sql('postgres', `drop database ${ident(db)} with (force)`);
    databases.splice(databases.indexOf(db), 1);
  };
  const dropRole = async (role: string) => {
    await sql('postgres', `drop role ${ident(role)}`);
    roles.splice(roles.indexOf(role), 1);
  };
  const newDatabase = async (name: string, setup?: string): Promise<string> => {
    const db = `pf_${name}_${tag}`;
    await createDatabase(testEnv().server, db);
    databases.push(db);
    if (setup) await sql(db, setup);
    return db;
  };
  const connectionTo = (dbname: string, user = testEnv().server.user): ResolvedConnection => {
    const { server } = testEnv();
    return resolveConnection({ host: server.host, port: server.port, user, dbname, sslmode: 'disable' }, { env: {}, home, sysconfDirs: [] });
  };
  const check = async (db: string, selection: Selection, options?: PreflightOptions, user?: string): Promise<{ plan: RestorePlan; report: PreflightReport; archive: Archive }> => {
    const { archive } = opened;
    const plan = buildPlan(archive, selection);
    const report = await preflight(archive, plan, connectionTo(db, user), options);
    return { plan, report, archive };
  };
  const codes = (r: PreflightReport, severity?: Finding['severity']) => r.findings.filter((f) => !severity || f.severity === severity).map((f) => f.code);
  const finding = (r: PreflightReport, code: string, match?: RegExp): Finding => {
    const f = r.findings.find((x) => x.code === code && (!match || match.test(x.message)));
    assert.ok(f, `no ${code} finding${match ? ` matching ${match}` : ''} in ${JSON.stringify(r.findings, null, 1)}`);
    return f;
  };
  const oneLine = (r: PreflightReport) => r.findings.forEach((f) => assert.doesNotMatch(f.message, /[\r\n]/, f.message));
  const restoreList = (archive: Archive, plan: RestorePlan): string => {
    const file = path.join(dir, `list-${Math.random().toString(36).slice(2)}.txt`);
    fs.writeFileSync(file, writeRestoreList(archive, plan));
    return file;
  };

  before(async function () {
    this.timeout(120_000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-preflight-'));
    home = path.join(dir, 'home');
    fs.mkdirSync(home);
    dump = path.join(dir, 'source.dump');
    for (const role of [OWNER, READER, ODD]) {
      await sql('postgres', `create role ${ident(role)}`);
      roles.push(role);
    }
    const src = await newDatabase('src', SOURCE_SQL);
    const r = await pgTool('pg_dump', ['-Fc', '-d', src, '-f', dump], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    // The roles the archive names are gone from the cluster.
    await dropDatabase(src);
    for (const role of [OWNER, READER, ODD]) await dropRole(role);
    opened = await openArchive(dump);
  });

  after(async function () {
    this.timeout(120_000);
    await opened?.close();
    for (const db of databases) await sql('postgres', `drop database if exists ${ident(db)} with (force)`).catch(() => undefined);
    for (const role of roles) await sql('postgres', `drop role if exists ${ident(role)}`).catch(() => undefined);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an empty target: no conflicts, the missing owner, grantee and policy roles, and pg_restore agrees both ways', async function () {
    this.timeout(120_000);
    const db = await newDatabase('empty');
    const selection: Selection = { schemas: ['shop'], withDeps: true };
    const { report, plan, archive } = await check(db, selection);
    oneLine(report);
    assert.equal(report.databaseEmpty, true);
    assert.equal(report.target.database, db);
    assert.equal(report.target.isSuperuser, true);
    assert.equal(report.target.databaseMissing, false);
    assert.deepEqual(report.conflicts, []);
    assert.deepEqual(report.missingRequired, []);
    assert.deepEqual([...report.missingRoles].sort(), [OWNER, READER, ODD].sort());
    assert.equal(report.blocking, true);
    const owner = finding(report, 'role-missing', new RegExp(`"${OWNER}"`));
    assert.equal(owner.severity, 'blocking');
    assert.match(owner.message, /owns 2 planned objects.*restore with --no-owner, or create it/);
    assert.deepEqual(owner.fixes, [{ kind: 'no-owner' }, { kind: 'create-roles', roles: [OWNER], sql: [`CREATE ROLE ${ident(OWNER)} NOLOGIN;`] }]);
    const odd = finding(report, 'role-missing', /pf odd "role"/);
    assert.match(odd.message, /privileges of 1 planned entry name it\): restore with --no-privileges, or create it/);
    assert.deepEqual(odd.fixes[1], { kind: 'create-roles', roles: [ODD], sql: [`CREATE ROLE ${ident(ODD)} NOLOGIN;`] });
    const reader = finding(report, 'role-missing', new RegExp(`"${READER}"`));
    assert.deepEqual(reader.fixes.map((f) => f.kind), ['create-roles']);
    assert.match(reader.message, /privileges of 1 planned entry name it; 1 planned policy names it\): create it before restoring$/);
    const citext = report.extensions.find((e) => e.name === 'citext');
    assert.deepEqual(citext && { available: citext.available, installed: citext.installed, planned: citext.planned }, { available: true, installed: false, planned: true });
    assert.equal(codes(report).includes('database-not-empty'), false);

    // The real pg_restore fails the same way...
    const list = restoreList(archive, plan);
    const failed = await pgTool('pg_restore', ['--exit-on-error', '-L', list, '-d', db, dump], { encoding: 'utf8' });
    assert.notEqual(failed.exitCode, 0);
    assert.match(failed.stderr, /role "pf_(owner|reader)_[^"]+" does not exist/);

    // ...and, with the fixes the report proposes, succeeds.
    await sql('postgres', `drop database ${ident(db)} with (force)`);
    await createDatabase(testEnv().server, db);
    const options: PreflightOptions = { noOwner: true, noPrivileges: true, createRoles: [READER] };
    const fixed = (await check(db, selection, options)).report;
    assert.equal(fixed.blocking, false, JSON.stringify(fixed.findings));
    assert.deepEqual(codes(fixed, 'info').filter((c) => c.startsWith('role-')).sort(), ['role-created', 'role-missing', 'role-missing']);
    const create = reader.fixes.find((f) => f.kind === 'create-roles');
    assert.ok(create && create.kind === 'create-roles');
    assert.deepEqual(create.roles, [READER]);
    for (const statement of create.sql) await sql('postgres', statement);
    roles.push(READER);
    const ok = await pgTool('pg_restore', ['--exit-on-error', '--no-owner', '--no-privileges', '-L', list, '-d', db, dump], { encoding: 'utf8' });
    assert.equal(ok.exitCode, 0, ok.stderr);

    // Restored once, every planned object now exists: each is a conflict but the schemas, which are
    // used as they are; --clean drops exactly those with a DROP statement.
    const again = (await check(db, selection, options)).report;
    assert.equal(again.databaseEmpty, false);
    finding(again, 'database-not-empty', /relations/);
    const own = ownership(archive);
    const creating = plan.entries.map((p) => p.entry).filter((e) => e.hasDefinition && objectsOf(e, own) && !['ACL', 'COMMENT', 'DEFAULT', 'TABLE DATA', 'SEQUENCE OWNED BY', 'ROW SECURITY'].includes(e.desc ?? ''));
    const conflicting = new Set(again.conflicts.map((c) => c.dumpId));
    // CREATE EXTENSION IF NOT EXISTS is no conflict; an existing schema is used.
    const expected = creating.filter((e) => e.desc !== 'EXTENSION' && e.desc !== 'SCHEMA');
    assert.deepEqual(expected.filter((e) => !conflicting.has(e.dumpId)).map((e) => `${e.desc} ${e.tag}`), []);
    const schemas = creating.filter((e) => e.desc === 'SCHEMA');
    assert.ok(schemas.length > 0);
    assert.deepEqual(schemas.map((e) => e.dumpId).filter((id) => !again.useExisting.dumpIds.includes(id)), [], 'every planned schema is used as it is');
    assert.equal(again.conflicts.some((c) => c.desc === 'SCHEMA'), false);
    assert.ok(again.conflicts.some((c) => c.desc === 'FUNCTION' && c.name === 'shop.order_count(integer, public.citext)'), JSON.stringify(again.conflicts));
    assert.ok(again.conflicts.some((c) => c.desc === 'CONSTRAINT' && c.name === 'customer_email_key on shop.customer'));
    assert.ok(again.conflicts.some((c) => c.desc === 'POLICY' && c.name === 'secret_read on shop.secret'));
    const conflict = finding(again, 'conflict');
    assert.equal(conflict.severity, 'blocking');
    const clean = conflict.fixes.find((f) => f.kind === 'clean');
    assert.ok(clean && clean.kind === 'clean');
    assert.deepEqual(
      [...clean.drops].sort(),
      expected
        .filter((e) => e.dropStmt)
        .map((e) => again.conflicts.find((c) => c.dumpId === e.dumpId)!)
        .map((c) => `${c.desc} ${c.name}`)
        .sort(),
    );
    finding(again, 'extension-installed', /"citext" is already installed/);

    // The role the policy needed goes again, so that the other tests see the archive's roles missing.
    await dropDatabase(db);
    await dropRole(READER);
  });

  it('a table that already exists is a conflict, and --clean --if-exists would drop exactly it', async function () {
    this.timeout(120_000);
    const db = await newDatabase('exists', 'create extension citext; create schema shop; create table shop.customer(id int, email text);');
    const { report, plan, archive } = await check(db, { tables: ['shop.customer'] }, { noPrivileges: true });
    oneLine(report);
    assert.deepEqual(report.conflicts.map((c) => ({ desc: c.desc, name: c.name })), [{ desc: 'TABLE', name: 'shop.customer' }]);
    const conflict = finding(report, 'conflict');
    assert.equal(conflict.severity, 'blocking');
    assert.deepEqual(conflict.fixes, [{ kind: 'clean', drops: ['TABLE shop.customer'] }]);
    assert.match(conflict.message, /^1 planned object already exist.*TABLE shop\.customer.*--clean --if-exists/);
    assert.equal(report.databaseEmpty, false);
    finding(report, 'database-not-empty', /1 relation/);

    // What pg_restore --clean --if-exists would run drops that table among the planned entries.
    const list = restoreList(archive, plan);
    const script = await pgTool('pg_restore', ['--clean', '--if-exists', '-L', list, '-f', '-', dump], { encoding: 'utf8' });
    assert.equal(script.exitCode, 0, script.stderr);
    assert.match(script.stdout, /^DROP TABLE IF EXISTS shop\.customer;$/m);

    const cleaned = (await check(db, { tables: ['shop.customer'] }, { clean: true, noPrivileges: true })).report;
    assert.equal(cleaned.blocking, false, JSON.stringify(cleaned.findings));
    assert.equal(finding(cleaned, 'conflict').severity, 'warning');
    const ok = await pgTool('pg_restore', ['--exit-on-error', '--clean', '--if-exists', '--no-privileges', '-L', list, '-d', db, dump], { encoding: 'utf8' });
    assert.equal(ok.exitCode, 0, ok.stderr);
  });

  it('a view where the plan creates a table: the name is taken, and --clean cannot help', async () => {
    const db = await newDatabase('taken', 'create schema shop; create view shop.customer as select 1 as id;');
    const { report } = await check(db, { tables: ['shop.customer'] }, { clean: true, noPrivileges: true });
    assert.deepEqual(report.conflicts, []);
    const taken = finding(report, 'name-taken');
    assert.equal(taken.severity, 'blocking');
    assert.match(taken.message, /table shop\.customer cannot be created: the name is taken in the target by a view/);
  });

  it('data only: a missing table is blocking; a table with rows is a warning', async function () {
    this.timeout(60_000);
    const db = await newDatabase('data');
    const selection: Selection = { tables: ['shop.orders'], mode: 'data-only' };
    const missing = (await check(db, selection)).report;
    oneLine(missing);
    assert.equal(missing.blocking, true);
    assert.deepEqual(missing.missingRequired.map((m) => `${m.desc} ${m.name}`).sort(), ['TABLE shop.customer', 'TABLE shop.orders']);
    assert.match(finding(missing, 'required-missing').message, /^TABLE shop\.orders must already exist in the target for a data-only restore/);
    assert.equal(finding(missing, 'dangling-foreign-key').severity, 'blocking');

    await sql(db, "create schema shop; create table shop.customer(id int primary key); create table shop.orders(id int primary key, customer_id int, status text, qty int); insert into shop.orders values (1, null, 'new', 1);");
    const present = (await check(db, selection)).report;
    assert.deepEqual(present.missingRequired, []);
    assert.equal(present.blocking, false, JSON.stringify(present.findings));
    assert.match(finding(present, 'table-has-rows').message, /^TABLE shop\.orders already has rows in the target/);
    assert.match(finding(present, 'foreign-key-rows-missing').message, /references TABLE shop\.customer, which is empty/);
    assert.equal(codes(present).includes('required-missing'), false);

    await sql(db, 'insert into shop.customer values (1)');
    const referenced = (await check(db, selection)).report;
    assert.equal(codes(referenced).includes('foreign-key-rows-missing'), false);
    assert.match(finding(referenced, 'foreign-key-target-present').message, /TABLE shop\.customer \(with rows\)/);
  });

  it('a foreign key to a table that is not planned: blocking when the target lacks it, not when it has it', async () => {
    const selection: Selection = { tables: ['shop.orders'] };
    const empty = await newDatabase('fk1');
    const { report, plan } = await check(empty, selection, { noOwner: true, noPrivileges: true });
    const fk = plan.danglingForeignKeys[0]!.entry;
    const dangling = finding(report, 'dangling-foreign-key');
    assert.equal(dangling.severity, 'blocking');
    assert.match(dangling.message, /^foreign key orders_customer_id_fkey on shop\.orders references TABLE shop\.customer, which is neither planned nor in the target/);
    assert.deepEqual(dangling.fixes, [{ kind: 'leave-out-foreign-keys', dumpIds: [fk.dumpId] }, { kind: 'include-dependencies' }]);
    assert.ok(report.missingRequired.some((m) => m.desc === 'TABLE' && m.name === 'shop.customer'));
    // Schema, type and domain are needed and absent: a warning, with the fix of planning them.
    const needs = finding(report, 'needs-missing');
    assert.equal(needs.severity, 'warning');
    assert.deepEqual(needs.fixes, [{ kind: 'include-dependencies' }]);
    const missingNeeds = report.missingNeeds.map((m) => `${m.desc} ${m.name}`);
    for (const n of ['DOMAIN shop.positive', 'SCHEMA shop', 'TYPE shop.status', 'FUNCTION shop.touch()']) assert.ok(missingNeeds.includes(n), `${n} in ${missingNeeds.join(', ')}`);
    // What the foreign key references is reported with it, not again as a need.
    assert.equal(missingNeeds.includes('TABLE shop.customer'), false);

    const has = await newDatabase('fk2', 'create schema shop; create table shop.customer(id int primary key);');
    const present = (await check(has, selection, { noOwner: true, noPrivileges: true })).report;
    assert.equal(codes(present).includes('dangling-foreign-key'), false);
    assert.deepEqual(present.missingRequired, []);
    assert.match(finding(present, 'foreign-key-target-present').message, /TABLE shop\.customer/);

    const dropped = (await check(empty, { ...selection, dropDanglingForeignKeys: true }, { noOwner: true, noPrivileges: true })).report;
    assert.equal(codes(dropped).includes('dangling-foreign-key'), false);
  });

  it('extensions: available, installed (IF NOT EXISTS is no conflict), and superuser-only for a plain user', async function () {
    this.timeout(60_000);
    const db = await newDatabase('ext');
    const selection: Selection = { extensions: ['citext', 'file_fdw'] };
    const su = (await check(db, selection)).report;
    assert.deepEqual(
      su.extensions.map((e) => [e.name, e.available, e.installed, e.planned]),
      [
        ['citext', true, false, true],
        ['file_fdw', true, false, true],
      ],
    );
    assert.ok(su.extensions.every((e) => typeof e.availableVersion === 'string' && e.availableVersion.length > 0));
    assert.equal(su.blocking, false, JSON.stringify(su.findings));

    await sql('postgres', `create role ${LOGIN} login`);
    roles.push(LOGIN);
    await sql(db, `grant create on database ${ident(db)} to ${LOGIN}; create schema shop; create table shop.customer(id int)`);
    const user = (await check(db, selection, {}, LOGIN)).report;
    assert.equal(user.target.user, LOGIN);
    assert.equal(user.target.isSuperuser, false);
    assert.equal(user.target.canCreate, true);
    const fdw = finding(user, 'extension-needs-superuser');
    assert.equal(fdw.severity, 'blocking');
    assert.match(fdw.message, /^extension "file_fdw" can only be created by a superuser/);
    assert.equal(user.findings.filter((f) => f.code.startsWith('extension') && /citext/.test(f.message)).length, 0);

    // As that user, the dump's tables in a schema it may not create in, owned by a role it cannot give objects to.
    const tables = (await check(db, { tables: ['shop.orders'], dropDanglingForeignKeys: true }, { noPrivileges: true }, LOGIN)).report;
    assert.equal(finding(tables, 'no-create-on-schema').severity, 'blocking');
    assert.match(finding(tables, 'no-create-on-schema').message, new RegExp(`^"${LOGIN}" may not create objects in schema shop`));
    assert.equal(finding(tables, 'role-missing', new RegExp(OWNER)).severity, 'blocking');
    // The same when the plan creates the schema: it exists already, so its objects go into the existing one.
    const schema = (await check(db, { schemas: ['shop'] }, { noOwner: true, noPrivileges: true, clean: true }, LOGIN)).report;
    assert.match(finding(schema, 'no-create-on-schema').message, /schema shop/);

    await sql(db, 'create extension citext');
    const installed = (await check(db, selection)).report;
    assert.deepEqual(installed.conflicts, []);
    assert.equal(installed.extensions.find((e) => e.name === 'citext')?.installed, true);
    assert.equal(finding(installed, 'extension-installed').severity, 'info');
  });

  it('a plain user cannot give objects to an existing owner: blocking (the restore would fail for certain), proposing --no-owner', async () => {
    const db = await newDatabase('owner');
    const user = `pf_plain_${tag}`;
    await sql('postgres', `create role ${user} login`);
    roles.push(user);
    await sql(db, `grant create on database ${ident(db)} to ${user}; grant create on schema public to ${user}`);
    // The rich fixture's public tables are owned by postgres, which exists.
    const report = await withArchive(fixturePath('custom.dump'), async ({ archive }) => {
      const plan = buildPlan(archive, { tables: ['public.bulk_rows'] });
      return preflight(archive, plan, connectionTo(db, user));
    });
    const f = finding(report, 'cannot-set-owner');
    assert.equal(f.severity, 'blocking');
    assert.equal(report.blocking, true);
    assert.deepEqual(f.fixes, [{ kind: 'no-owner' }]);
    assert.match(f.message, new RegExp(`^"${user}" is not a superuser and cannot give objects to role "postgres"`));
    assert.deepEqual(report.missingRoles, []);
    // Its fix taken, nothing stands in the way.
    const noOwner = await withArchive(fixturePath('custom.dump'), async ({ archive }) => preflight(archive, buildPlan(archive, { tables: ['public.bulk_rows'] }), connectionTo(db, user), { noOwner: true }));
    assert.equal(codes(noOwner).includes('cannot-set-owner'), false);
    assert.equal(noOwner.blocking, false, JSON.stringify(noOwner.findings));

    // pg_restore --role: the role must exist, and the user must be able to switch to it.
    const asRole = (role: string) =>
      withArchive(fixturePath('custom.dump'), async ({ archive }) => preflight(archive, buildPlan(archive, { tables: ['public.bulk_rows'] }), connectionTo(db, user), { role }));
    const notMember = await asRole('postgres');
    assert.equal(finding(notMember, 'restore-role-not-member').severity, 'blocking');
    assert.equal(notMember.target.role, 'postgres');
    const missing = await asRole(`pf_nobody_${tag}`);
    assert.match(finding(missing, 'restore-role-missing').message, /^role "pf_nobody_[^"]+" given with --role does not exist in the target/);
    assert.equal(codes(missing).includes('restore-role-not-member'), false);
  });

  it('against the database the fixtures come from, every planned object of every kind is a conflict, but the schema, used as it is', async () => {
    const report = await withArchive(fixturePath('custom.dump'), async ({ archive }) => {
      const plan = buildPlan(archive, { schemas: ['sales'] });
      const r = await preflight(archive, plan, connectionTo(testEnv().database));
      const own = ownership(archive);
      const checked = plan.entries.map((p) => p.entry).filter((e) => !['ACL', 'COMMENT', 'TABLE DATA', 'DEFAULT', 'SEQUENCE OWNED BY', 'SEQUENCE SET', 'ROW SECURITY', 'TABLE ATTACH', 'MATERIALIZED VIEW DATA'].includes(e.desc ?? '') && objectsOf(e, own));
      const kinds = new Set(checked.map((e) => e.desc));
      for (const k of ['SCHEMA', 'TABLE', 'VIEW', 'MATERIALIZED VIEW', 'SEQUENCE', 'INDEX', 'CONSTRAINT', 'FK CONSTRAINT', 'TRIGGER', 'POLICY', 'TYPE', 'DOMAIN', 'FUNCTION']) assert.ok(kinds.has(k), `the plan has a ${k}`);
      const conflicting = new Set([...r.conflicts.map((c) => c.dumpId), ...r.useExisting.dumpIds]);
      assert.deepEqual(checked.filter((e) => !conflicting.has(e.dumpId)).map((e) => `${e.desc} ${e.tag}`), []);
      const sales = checked.find((e) => e.desc === 'SCHEMA' && e.tag === 'sales')!;
      assert.deepEqual(r.useExisting.dumpIds, [sales.dumpId]);
      assert.deepEqual(r.useExisting.schemaOwners, [{ schema: 'sales', owner: sales.owner }]);
      assert.match(finding(r, 'schema-exists').message, /^schema "sales" exists in the target: it is used as it is/);
      assert.equal(finding(r, 'schema-exists').severity, 'info');
      return r;
    });
    assert.equal(codes(report).includes('name-taken'), false);
    assert.deepEqual(report.missingRoles, []);
    assert.equal(finding(report, 'conflict').severity, 'blocking');
  });

  it('a dump from a newer major (PostgreSQL 18) against the PostgreSQL 15 server: a warning naming both', async () => {
    const db = await newDatabase('pg18');
    const report = await withArchive(sharedFixture('pg18-rich.custom.dump'), async ({ archive }) => {
      const plan = buildPlan(archive, { tables: ['sales.customer'], withDeps: true });
      return preflight(archive, plan, connectionTo(db), { pgRestoreVersion: { major: 15, minor: 18 } });
    });
    const server = testEnv().server.version;
    const older = finding(report, 'server-older');
    assert.equal(older.severity, 'warning');
    assert.match(older.message, new RegExp(`PostgreSQL 18\\.3 and the target runs PostgreSQL ${server.replace(/\./g, '\\.')}`));
    assert.equal(report.target.serverMajor, Number(server.split('.')[0]));
    const tool = finding(report, 'pg-restore-too-old');
    assert.deepEqual(tool.fixes, [{ kind: 'use-other-tool', major: 17 }]);
    // app_owner and app_reader exist in this cluster (the rich fixture made them).
    assert.deepEqual(report.missingRoles, []);
  });

  it('a server that does not answer is the one-line connection error; a missing database is a finding', async () => {
    const { server } = testEnv();
    const port = await freePort();
    const bad = resolveConnection({ host: server.host, port, user: server.user, dbname: 'postgres', sslmode: 'disable', connect_timeout: 5 }, { env: {}, home, sysconfDirs: [] });
    await withArchive(dump, async ({ archive }) => {
      const plan = buildPlan(archive, { tables: ['shop.customer'] });
      await assert.rejects(preflight(archive, plan, bad), (err: unknown) => {
        assert.ok(err instanceof DumpError);
        assert.equal(err.code, 'connection');
        assert.doesNotMatch(err.message, /\n/);
        assert.match(err.message, new RegExp(`^could not connect to ${server.host}:${port}/postgres as ${server.user}: `));
        return true;
      });
      const name = `pf_nodb_${tag}`;
      const report = await preflight(archive, plan, connectionTo(name), { noPrivileges: true });
      assert.equal(report.target.databaseMissing, true);
      assert.equal(report.target.database, name);
      // Host, port and the database the restore would go to: not the maintenance database the check used.
      assert.equal(report.target.where, `${server.host}:${server.port}/${name}`);
      const missing = finding(report, 'database-missing');
      assert.equal(missing.severity, 'blocking');
      assert.deepEqual(missing.fixes, [{ kind: 'create-database', name }]);
      assert.equal(report.databaseEmpty, true);
      assert.deepEqual(report.missingRoles.sort(), [READER, ODD].sort());
    });
  });
});
