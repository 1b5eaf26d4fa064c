import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { formatPgpassLine, writeTemporaryPassfile } from '../../src/core/connections/pgpass';
import { resolveConnection, type ResolveOptions, type ResolvedConnection } from '../../src/core/connections/resolve';
import { DumpError } from '../../src/core/errors';
import { pgTool, testEnv } from '../support/env';
import { query } from '../support/pgServer';

/** Connects with node-postgres from the resolution and returns one row. */
async function pgRow(r: ResolvedConnection, sql: string): Promise<Record<string, unknown>> {
  const client = new Client(r.toPgClientConfig());
  await client.connect();
  try {
    const result = await client.query(sql);
    return result.rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

/** What a client sent to the fake server. */
interface Captured {
  startup?: Record<string, string>;
  password?: string;
}

/**
 * A fake PostgreSQL server on 127.0.0.1 that declines TLS and GSS encryption, asks for a
 * cleartext password, records the startup parameters and the password it gets, then refuses
 * the login. The test server trusts everyone; this one shows which password a client really sends.
 */
async function fakePasswordServer(): Promise<{ port: number; captured: Captured[]; close(): Promise<void> }> {
  const captured: Captured[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    const cap: Captured = {};
    captured.push(cap);
    let buf = Buffer.alloc(0);
    let started = false;
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (!started) {
          if (buf.length < 8) return;
          const len = buf.readInt32BE(0);
          if (buf.length < len) return;
          const code = buf.readInt32BE(4);
          const body = buf.subarray(8, len);
          buf = buf.subarray(len);
          if (code === 80877103 || code === 80877104) {
            sock.write('N'); // SSLRequest / GSSENCRequest: not here
            continue;
          }
          const parts = body.toString('utf8').split('\0');
          const startup: Record<string, string> = {};
          for (let i = 0; i + 1 < parts.length; i += 2) if (parts[i]) startup[parts[i] as string] = parts[i + 1] as string;
          cap.startup = startup;
          started = true;
          sock.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
          continue;
        }
        if (buf.length < 5) return;
        const type = buf[0];
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        if (type === 0x70) {
          cap.password = body.toString('utf8').replace(/\0$/, '');
          const fields = Buffer.from('SFATAL\0VFATAL\0C28P01\0Mfake server: password received\0\0', 'utf8');
          const head = Buffer.alloc(5);
          head[0] = 0x45;
          head.writeInt32BE(4 + fields.length, 1);
          sock.end(Buffer.concat([head, fields]));
          return;
        }
        if (type === 0x58) {
          sock.end();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    captured,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connections: libpq-style resolution against a real server', () => {
  let dir: string;
  let home: string;
  const role = 'pgdx_conn_pw';
  const rolePassword = 'p:a\\ss w0rd';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-conn-'));
    home = path.join(dir, 'home');
    fs.mkdirSync(home);
    const { server } = testEnv();
    await query(server, 'postgres', `drop role if exists ${role}`);
    await query(server, 'postgres', `create role ${role} login password '${rolePassword.replace(/'/g, "''")}'`);
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await query(testEnv().server, 'postgres', `drop role if exists ${role}`);
  });

  /** Nothing from the machine: no PG* variables, a home directory of our own. */
  const opts = (env: NodeJS.ProcessEnv = {}): ResolveOptions => ({ env, home, sysconfDirs: [] });

  it('node-postgres connects through a postgresql:// URI', async () => {
    const { server } = testEnv();
    const r = resolveConnection(`postgresql://${server.user}@${server.host}:${server.port}/rich`, opts());
    assert.equal(r.describe(), `${server.host}:${server.port}/rich as ${server.user}`);
    const row = await pgRow(r, 'select current_database() as db, current_user as who, inet_server_port() as port');
    assert.deepEqual(row, { db: 'rich', who: server.user, port: server.port });
  });

  it('node-postgres and psql connect through the same service file (PGSERVICEFILE), and agree', async () => {
    const { server } = testEnv();
    const file = path.join(dir, 'services.conf');
    fs.writeFileSync(
      file,
      `# test services\n[other]\nhost=nowhere.invalid\n\n[pgdx_test]\nhost=${server.host}\nport=${server.port}\nuser=${server.user}\ndbname=rich\napplication_name=pgdx-service-test\n`,
    );
    const r = resolveConnection('service=pgdx_test', opts({ PGSERVICEFILE: file }));
    assert.equal(r.describe(), `${server.host}:${server.port}/rich as ${server.user}`);
    assert.deepEqual(r.service, { name: 'pgdx_test', file, kind: 'user' });
    const sql = "select current_database() as db, current_user as who, current_setting('application_name') as app";
    const ours = await pgRow(r, sql);
    assert.deepEqual(ours, { db: 'rich', who: server.user, app: 'pgdx-service-test' });
    // libpq itself reading the same file
    const theirs = await pgTool('psql', ['-X', '-A', '-t', '-F', '|', '-w', '-d', 'service=pgdx_test', '-c', sql], { env: { PGSERVICEFILE: file }, encoding: 'utf8', timeout: 30_000 });
    assert.equal(theirs.exitCode, 0, theirs.stderr);
    assert.equal(theirs.stdout.trim(), `${String(ours.db)}|${String(ours.who)}|${String(ours.app)}`);
  });

  it('a service in PGSYSCONFDIR/pg_service.conf, through PGSERVICE', async () => {
    const { server } = testEnv();
    const sysconf = path.join(dir, 'etc');
    fs.mkdirSync(sysconf, { recursive: true });
    fs.writeFileSync(path.join(sysconf, 'pg_service.conf'), `[pgdx_sys]\nhost=${server.host}\nport=${server.port}\ndbname=rich\n`);
    // The per-user file exists but does not define it: the system file is read next.
    const userFile = path.join(dir, 'user-services.conf');
    fs.writeFileSync(userFile, '[something_else]\nhost=nowhere.invalid\n');
    const r = resolveConnection('', opts({ PGSERVICE: 'pgdx_sys', PGSYSCONFDIR: sysconf, PGUSER: server.user, PGSERVICEFILE: userFile }));
    const row = await pgRow(r, 'select current_database() as db');
    assert.equal(row.db, 'rich');
    assert.equal(r.service?.kind, 'system');
  });

  it('the same resolution drives the real psql: --host --port --username --dbname, -w, settings in the environment', async () => {
    const { server } = testEnv();
    const r = resolveConnection(`postgresql://${server.user}@${server.host}:${server.port}/rich?application_name=pgdx-tool&options=-c%20search_path%3Dsales`, opts());
    const args = r.toToolArgs();
    assert.deepEqual(args, [`--host=${server.host}`, `--port=${server.port}`, `--username=${server.user}`, '--dbname=rich', '-w']);
    const env = r.toToolEnv();
    assert.equal(env.PGAPPNAME, 'pgdx-tool');
    assert.equal(env.PGOPTIONS, '-c search_path=sales');
    // Inherited variables pointing elsewhere must not matter: the arguments win.
    const decoy = { PGHOST: 'nowhere.invalid', PGPORT: '1', PGUSER: 'nobody', PGDATABASE: 'nowhere' };
    const res = await pgTool('psql', [...args, '-X', '-A', '-t', '-F', '|', '-c', "select current_database(), current_user, current_setting('application_name'), current_setting('search_path')"], {
      env: { ...decoy, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(res.exitCode, 0, res.stderr);
    assert.equal(res.stdout.trim(), `rich|${server.user}|pgdx-tool|sales`);
  });

  it('a password from the password file: node-postgres and psql (through a temporary PGPASSFILE) log in as the role', async () => {
    const { server } = testEnv();
    const pgpass = path.join(dir, 'pgpass');
    fs.writeFileSync(
      pgpass,
      [
        '# earlier lines that must not match',
        `${server.host}:${server.port}:postgres:${role}:wrong-database`,
        `${server.host}:1:*:*:wrong-port`,
        formatPgpassLine({ host: server.host, port: String(server.port), database: 'rich', user: role, password: rolePassword }),
        '*:*:*:*:too-late',
        '',
      ].join('\n'),
    );
    fs.chmodSync(pgpass, 0o600);
    const r = resolveConnection(`postgresql://${role}@${server.host}:${server.port}/rich`, opts({ PGPASSFILE: pgpass }));
    assert.equal(r.password, rolePassword);
    assert.equal(r.passwordSource, 'pgpass');
    assert.equal(r.passwordOrigin(), `password file "${pgpass}", line 4`);
    assert.equal((await pgRow(r, 'select current_user as who')).who, role);

    assert.equal(r.needsToolPassfile, true);
    const content = r.toolPassfileContent();
    assert.ok(content);
    const temp = await writeTemporaryPassfile(content);
    try {
      assert.equal(fs.statSync(temp.path).mode & 0o777, 0o600);
      const args = r.toToolArgs();
      assert.ok(args.includes('-w'));
      assert.ok(!args.some((a) => a.includes(rolePassword) || a.includes('w0rd')), 'a password on the command line');
      const env = r.toToolEnv({ passfile: temp.path });
      assert.equal(env.PGPASSFILE, temp.path);
      assert.equal(env.PGPASSWORD, undefined);
      const res = await pgTool('psql', [...args, '-X', '-A', '-t', '-c', 'select current_user'], { env, encoding: 'utf8', timeout: 30_000 });
      assert.equal(res.exitCode, 0, res.stderr);
      assert.equal(res.stdout.trim(), role);
    } finally {
      await temp.remove();
    }
    assert.ok(!fs.existsSync(temp.path));
  });

  describe('which password a client really sends (a fake server that asks for one)', () => {
    let fake: Awaited<ReturnType<typeof fakePasswordServer>>;
    before(async () => {
      fake = await fakePasswordServer();
    });
    after(async () => {
      await fake.close();
    });

    it('psql, given our arguments and temporary PGPASSFILE, sends the password we resolved', async () => {
      const password = 'sp ecial:pa\\ss';
      const r = resolveConnection({ host: '127.0.0.1', port: fake.port, user: 'alice', dbname: 'shop', password, application_name: 'pgdx-fake' }, opts({ PGPASSWORD: 'not-this-one' }));
      const temp = await writeTemporaryPassfile(r.toolPassfileContent() as string);
      try {
        fake.captured.length = 0;
        const res = await pgTool('psql', [...r.toToolArgs(), '-X', '-c', 'select 1'], { env: r.toToolEnv({ passfile: temp.path }), encoding: 'utf8', timeout: 30_000 });
        assert.notEqual(res.exitCode, 0);
        assert.match(res.stderr, /fake server: password received/);
        const cap = fake.captured.find((c) => c.password !== undefined);
        assert.equal(cap?.password, password);
        assert.equal(cap?.startup?.user, 'alice');
        assert.equal(cap?.startup?.database, 'shop');
        assert.equal(cap?.startup?.application_name, 'pgdx-fake');
      } finally {
        await temp.remove();
      }
    });

    it('psql reading the user\'s own password file picks the same line we do', async () => {
      const pgpass = path.join(dir, 'pgpass-fake');
      fs.writeFileSync(
        pgpass,
        [
          `127.0.0.1:${fake.port}:other:bob:not-this-database`,
          `127.0.0.1:${fake.port + 1 > 65535 ? 1 : fake.port + 1}:*:bob:not-this-port`,
          `127.0.0.1:${fake.port}:*:bob:b\\:o\\\\b`,
          '*:*:*:*:too-late',
          '',
        ].join('\n'),
      );
      fs.chmodSync(pgpass, 0o600);
      const r = resolveConnection(`host=127.0.0.1 port=${fake.port} user=bob dbname=shop`, opts({ PGPASSFILE: pgpass }));
      assert.equal(r.password, 'b:o\\b');
      fake.captured.length = 0;
      // psql is pointed at the user's own file, not at our temporary one.
      const res = await pgTool('psql', [...r.toToolArgs(), '-X', '-c', 'select 1'], { env: { PGPASSFILE: pgpass }, encoding: 'utf8', timeout: 30_000 });
      assert.notEqual(res.exitCode, 0);
      assert.equal(fake.captured.find((c) => c.password !== undefined)?.password, r.password);
    });

    it('precedence agrees with libpq: explicit > service > environment (psql resolving by itself)', async () => {
      const file = path.join(dir, 'precedence-services.conf');
      fs.writeFileSync(file, `[pgdx_prec]\nhost=127.0.0.1\nport=${fake.port}\nuser=svc_user\ndbname=svc_db\napplication_name=svc-app\n`);
      const env = { PGSERVICEFILE: file, PGSERVICE: 'pgdx_prec', PGUSER: 'env_user', PGDATABASE: 'env_db', PGAPPNAME: 'env-app', PGOPTIONS: '-c work_mem=64kB', PGPASSFILE: path.join(dir, 'none') };
      const input = 'dbname=explicit_db';
      const r = resolveConnection(input, opts(env));
      assert.deepEqual([r.host, r.port, r.user, r.dbname, r.params.application_name, r.params.options], ['127.0.0.1', fake.port, 'svc_user', 'explicit_db', 'svc-app', '-c work_mem=64kB']);
      fake.captured.length = 0;
      const res = await pgTool('psql', ['-X', '-w', '-d', input, '-c', 'select 1'], { env, encoding: 'utf8', timeout: 30_000 });
      assert.notEqual(res.exitCode, 0);
      const startup = fake.captured.find((c) => c.startup)?.startup;
      assert.equal(startup?.user, r.user);
      assert.equal(startup?.database, r.dbname);
      assert.equal(startup?.application_name, r.params.application_name);
      assert.equal(startup?.options, r.params.options);
    });

    it('node-postgres sends the resolved password', async () => {
      const r = resolveConnection(`postgresql://carol:s3cret%3A@127.0.0.1:${fake.port}/shop?sslmode=disable`, opts());
      fake.captured.length = 0;
      const client = new Client(r.toPgClientConfig());
      await assert.rejects(client.connect(), /fake server: password received/);
      await client.end().catch(() => undefined);
      assert.equal(fake.captured.find((c) => c.password !== undefined)?.password, 's3cret:');
    });

    it('without any password: psql -w fails at once, node-postgres gets one line from us', async () => {
      const emptyPass = path.join(dir, 'pgpass-empty');
      fs.writeFileSync(emptyPass, '', { mode: 0o600 });
      const r = resolveConnection(`host=127.0.0.1 port=${fake.port} user=dave dbname=shop sslmode=disable`, opts({ PGPASSFILE: emptyPass }));
      assert.equal(r.password, undefined);
      assert.equal(r.needsToolPassfile, false);
      const res = await pgTool('psql', [...r.toToolArgs(), '-X', '-c', 'select 1'], { env: r.toToolEnv(), encoding: 'utf8', timeout: 30_000 });
      assert.notEqual(res.exitCode, 0);
      assert.match(res.stderr, /no password supplied/);

      const client = new Client(r.toPgClientConfig());
      let caught: unknown;
      try {
        await client.connect();
      } catch (err) {
        caught = err;
      } finally {
        await client.end().catch(() => undefined);
      }
      assert.ok(caught instanceof DumpError, String(caught));
      assert.ok(!caught.message.includes('\n'));
      assert.match(caught.message, new RegExp(`^127\\.0\\.0\\.1:${fake.port}/shop as dave asks for a password and there is none`));
    });
  });
});
