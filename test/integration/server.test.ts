import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConnection, type ResolvedConnection } from '../../src/core/connections/resolve';
import { DumpError } from '../../src/core/errors';
import { createDatabase, describeServer, listDatabases, passwordProblem, testConnection } from '../../src/core/server/server';
import { openAhead, openMaintenanceSession } from '../../src/core/server/session';
import { testEnv } from '../support/env';
import { query } from '../support/pgServer';
import { until } from '../support/poll';

/**
 * The server behind a connection, against the throwaway server: Test connection, the list of
 * databases, Create database. Every role and database made here has a unique name and is dropped
 * afterwards. One role must give a password: a pg_hba.conf line for it alone is put first, and
 * removed again, so the server checks a real password (it trusts everyone else).
 */

const tag = `${process.pid}_${Date.now().toString(36)}`;
const PLAIN = `srv_plain_${tag}`;
const CREATOR = `srv_creator_${tag}`;
const PW_ROLE = `srv_pw_${tag}`;
const PW = 'correct horse';
const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Runs fn and returns the one-line DumpError it throws. */
async function oneLineError(fn: () => Promise<unknown>): Promise<DumpError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof DumpError, `expected a DumpError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `not one line: ${err.message}`);
    return err;
  }
  assert.fail('expected an error');
}

describe('the server behind a connection', () => {
  let home: string;
  let hbaFile: string;
  let hbaBefore: string;
  const databases: string[] = [];
  const sql = (db: string, text: string) => query(testEnv().server, db, text);

  const connect = (user: string, dbname: string, extra: Record<string, string> = {}): ResolvedConnection => {
    const { server } = testEnv();
    return resolveConnection({ host: server.host, port: server.port, user, dbname, sslmode: 'disable', ...extra }, { env: {}, home, sysconfDirs: [] });
  };
  const databaseExists = async (name: string) => (await query(testEnv().server, 'postgres', 'select 1 from pg_database where datname = $1', [name])).length === 1;

  before(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-server-'));
    await sql('postgres', `create role ${PLAIN} login; create role ${CREATOR} login createdb; create role ${PW_ROLE} login password '${PW}'`);
    hbaFile = String((await sql('postgres', 'show hba_file'))[0]?.hba_file);
    hbaBefore = fs.readFileSync(hbaFile, 'utf8');
    fs.writeFileSync(hbaFile, `host all ${PW_ROLE} 127.0.0.1/32 scram-sha-256\n${hbaBefore}`);
    await sql('postgres', 'select pg_reload_conf()');
  });
  after(async () => {
    fs.writeFileSync(hbaFile, hbaBefore);
    await sql('postgres', 'select pg_reload_conf()');
    for (const db of databases) await sql('postgres', `drop database if exists ${ident(db)} with (force)`);
    await sql('postgres', `drop role if exists ${PLAIN}; drop role if exists ${CREATOR}; drop role if exists ${PW_ROLE}`);
    fs.rmSync(home, { recursive: true, force: true });
  });

  describe('testConnection', () => {
    it('reports the server version the server itself reports, and who we are', async () => {
      const { server, database } = testEnv();
      const info = await testConnection(connect(server.user, database));
      const [row] = await sql('postgres', "select current_setting('server_version') as v, current_setting('server_version_num') as n");
      assert.equal(info.serverVersion, row?.v);
      assert.equal(info.serverVersionNum, Number(row?.n));
      assert.deepEqual(
        { where: info.where, user: info.user, database: info.database, isSuperuser: info.isSuperuser, canCreateDatabases: info.canCreateDatabases },
        { where: `${server.host}:${server.port}/${database}`, user: server.user, database, isSuperuser: true, canCreateDatabases: true },
      );
      assert.equal(describeServer(info), `PostgreSQL ${String(row?.v).split(' ')[0]} at ${server.host}:${server.port}/${database} as ${server.user} (superuser)`);
    });

    it('tells a plain user from one who may create databases', async () => {
      const plain = await testConnection(connect(PLAIN, 'postgres'));
      assert.deepEqual([plain.isSuperuser, plain.canCreateDatabases, plain.user], [false, false, PLAIN]);
      assert.doesNotMatch(describeServer(plain), /\(/);
      const creator = await testConnection(connect(CREATOR, 'postgres'));
      assert.deepEqual([creator.isSuperuser, creator.canCreateDatabases], [false, true]);
      assert.match(describeServer(creator), / \(may create databases\)$/);
    });

    it('a database that does not exist: one line saying so and what to do', async () => {
      const { server } = testEnv();
      const err = await oneLineError(() => testConnection(connect(server.user, `srv_missing_${tag}`)));
      assert.equal(err.message, `database "srv_missing_${tag}" does not exist on ${server.host}:${server.port}: create it, or connect to another database`);
    });

    it('a server nobody listens on: one line naming it', async () => {
      const { server } = testEnv();
      const c = resolveConnection({ host: server.host, port: 1, user: server.user, dbname: 'postgres', sslmode: 'disable' }, { env: {}, home, sysconfDirs: [] });
      const err = await oneLineError(() => testConnection(c));
      assert.match(err.message, new RegExp(`^could not connect to ${server.host.replace(/\./g, '\\.')}:1/postgres as ${server.user}: .*ECONNREFUSED`));
      assert.equal(passwordProblem(err), undefined);
    });

    it('a role that must give a password: missing, refused, then accepted (the server checks it)', async () => {
      const missing = await oneLineError(() => testConnection(connect(PW_ROLE, 'postgres')));
      assert.match(missing.message, /asks for a password and there is none/);
      assert.equal(passwordProblem(missing), 'missing');
      const refused = await oneLineError(() => testConnection(connect(PW_ROLE, 'postgres', { password: 'wrong' })));
      assert.match(refused.message, /password authentication failed/);
      assert.equal(passwordProblem(refused), 'refused');
      const info = await testConnection(connect(PW_ROLE, 'postgres', { password: PW }));
      assert.equal(info.user, PW_ROLE);
    });

    it('the password from the password file, looked up for the maintenance database too', async () => {
      const { server } = testEnv();
      const pgpass = path.join(home, 'pgpass');
      fs.writeFileSync(pgpass, `${server.host}:${server.port}:postgres:${PW_ROLE}:${PW}\n`, { mode: 0o600 });
      fs.chmodSync(pgpass, 0o600);
      const c = resolveConnection({ host: server.host, port: server.port, user: PW_ROLE, dbname: `srv_missing_${tag}`, sslmode: 'disable', passfile: pgpass }, { env: {}, home, sysconfDirs: [] });
      assert.equal(c.password, undefined, 'no line is for that database');
      // The maintenance session connects to "postgres", and the password file has a line for it.
      const session = await openMaintenanceSession(c);
      try {
        assert.equal((await session.client.query('select current_database() as db')).rows[0]?.db, 'postgres');
      } finally {
        await session.close();
      }
    });
  });

  describe('listDatabases', () => {
    it('lists the databases one may connect to, sorted, without templates or closed ones', async () => {
      const { server, database } = testEnv();
      const closed = `srv_closed_${tag}`;
      const noConnect = `srv_noconnect_${tag}`;
      databases.push(closed, noConnect);
      await sql('postgres', `create database ${closed} template template0`);
      await sql('postgres', `alter database ${closed} allow_connections false`);
      await sql('postgres', `create database ${noConnect} template template0`);
      await sql('postgres', `revoke connect on database ${noConnect} from public`);
      const names = await listDatabases(connect(server.user, database));
      const expected = (await sql('postgres', 'select datname from pg_database where not datistemplate and datallowconn order by datname collate "C"')).map((r) => String(r.datname));
      assert.deepEqual(names, expected);
      assert.ok(names.includes(database) && names.includes('postgres'));
      assert.ok(!names.includes('template0') && !names.includes('template1') && !names.includes(closed));
      assert.ok(names.includes(noConnect), 'a superuser may connect anywhere');
      const asPlain = await listDatabases(connect(PLAIN, 'postgres'));
      assert.ok(!asPlain.includes(noConnect), 'offered a database the user may not connect to');
      assert.ok(asPlain.includes('postgres'));
    });

    it('works when the connection\'s own database does not exist yet', async () => {
      const { server, database } = testEnv();
      const names = await listDatabases(connect(server.user, `srv_not_yet_${tag}`));
      assert.ok(names.includes(database));
    });
  });

  describe('createDatabase', () => {
    it('creates an empty database with the name exactly as given, through the maintenance database', async () => {
      const { server } = testEnv();
      const name = `Srv new "db" ${tag} é`;
      databases.push(name);
      // The connection names the database to create: it does not exist yet, and need not.
      await createDatabase(connect(server.user, name), name);
      assert.ok(await databaseExists(name));
      const [row] = await query(testEnv().server, name, "select current_database() as db, (select count(*) from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema') as schemas");
      assert.deepEqual(row, { db: name, schemas: '1' }); // public only: template0
      assert.ok((await listDatabases(connect(server.user, 'postgres'))).includes(name));
    });

    it('an owner and a template on request', async () => {
      const { server } = testEnv();
      const name = `srv_owned_${tag}`;
      databases.push(name);
      await createDatabase(connect(server.user, 'postgres'), name, { owner: PLAIN, template: 'template1' });
      const [row] = await sql('postgres', `select pg_get_userbyid(datdba) as owner from pg_database where datname = '${name}'`);
      assert.equal(row?.owner, PLAIN);
    });

    it('says what to do when it cannot: exists already, no CREATEDB, unknown owner or template, bad names', async () => {
      const { server, database } = testEnv();
      const at = `${server.host}:${server.port}`;
      const exists = await oneLineError(() => createDatabase(connect(server.user, 'postgres'), database));
      assert.equal(exists.message, `database "${database}" already exists on ${at}: pick it from the list, or choose another name`);

      const name = `srv_denied_${tag}`;
      const denied = await oneLineError(() => createDatabase(connect(PLAIN, 'postgres'), name));
      assert.equal(denied.message, `user "${PLAIN}" may not create databases on ${at} (no CREATEDB privilege): connect as a user who has it, or have an administrator run ALTER ROLE "${PLAIN}" CREATEDB`);
      assert.equal(await databaseExists(name), false);

      const notMember = await oneLineError(() => createDatabase(connect(CREATOR, 'postgres'), name, { owner: PLAIN }));
      assert.match(notMember.message, new RegExp(`^user "${CREATOR}" may not make "${PLAIN}" the owner on ${at.replace(/\./g, '\\.')} \\(.*\\): leave the owner out, or connect as a member of that role$`));

      const noRole = await oneLineError(() => createDatabase(connect(server.user, 'postgres'), name, { owner: `srv_nobody_${tag}` }));
      assert.equal(noRole.message, `role "srv_nobody_${tag}" does not exist on ${at}: leave the owner out, or create the role first`);
      const noTemplate = await oneLineError(() => createDatabase(connect(server.user, 'postgres'), name, { template: `srv_nothing_${tag}` }));
      assert.equal(noTemplate.message, `template database "srv_nothing_${tag}" does not exist on ${at}: leave the template out (template0)`);
      assert.equal(await databaseExists(name), false);

      const empty = await oneLineError(() => createDatabase(connect(server.user, 'postgres'), ''));
      assert.equal(empty.code, 'usage');
      const long = 'x'.repeat(64);
      const tooLong = await oneLineError(() => createDatabase(connect(server.user, 'postgres'), long));
      assert.match(tooLong.message, /is longer than PostgreSQL's 63 bytes/);
      assert.equal(await databaseExists(long.slice(0, 63)), false);
    });
  });
});

describe('a session opened ahead (openAhead): its connection made while other work runs', () => {
  const connection = () => {
    const { server } = testEnv();
    return resolveConnection({ host: server.host, port: server.port, user: server.user, dbname: 'postgres', sslmode: 'disable' }, { env: {}, home: os.tmpdir(), sysconfDirs: [] });
  };
  const sessionsNamed = async (name: string) => (await query(testEnv().server, 'postgres', 'select pid from pg_stat_activity where application_name = $1', [name])).length;

  it('take: the session, open; the taker closes it', async () => {
    const name = `ahead taken ${process.pid}`;
    const ahead = openAhead(connection(), { applicationName: name });
    const session = await ahead.take();
    try {
      const { rows } = await session.client.query<{ name: string }>("select current_setting('application_name') as name");
      assert.equal(rows[0]?.name, name);
      ahead.release(); // taken: not closed by release
      assert.equal((await session.client.query<{ one: number }>('select 1 as one')).rows[0]?.one, 1);
    } finally {
      await session.close();
    }
  });

  it('release before take: an open session is closed on the server', async () => {
    const name = `ahead released ${process.pid}`;
    const ahead = openAhead(connection(), { applicationName: name });
    await until('the session ahead to be connected', async () => (await sessionsNamed(name)) === 1);
    ahead.release();
    await until('the released session to be gone from pg_stat_activity', async () => (await sessionsNamed(name)) === 0);
  });

  it('release while the server has not answered: the connection is dropped at once, not waited out', async () => {
    // A listener that reads what it is sent and never answers, as a stalled server would.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => {
      sockets.push(s);
      s.resume(); // reading, it sees the client's end
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const ahead = openAhead(resolveConnection({ host: '127.0.0.1', port, user: 'nobody', dbname: 'x', sslmode: 'disable' }, { env: {}, home: os.tmpdir(), sysconfDirs: [] }));
      await until('the connection to reach the silent listener', () => sockets.length === 1);
      const closed = new Promise<void>((resolve) => sockets[0]!.once('close', () => resolve()));
      ahead.release();
      await closed;
      await assert.rejects(ahead.take(), /could not connect/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
