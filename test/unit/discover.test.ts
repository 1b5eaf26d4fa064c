import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { discoverConnections, type DiscoverOptions } from '../../src/core/connections/discover';
import { connectionSummary, parseProfileInput, resolveProfile, splitSecrets, suggestProfileName } from '../../src/core/connections/profile';
import { resolveConnection } from '../../src/core/connections/resolve';
import { DumpError } from '../../src/core/errors';

describe('discovering connections the user already has', () => {
  let dir: string;
  let home: string;
  let sysDir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'pgdx-discover-'));
    home = path.join(dir, 'home');
    sysDir = path.join(dir, 'etc');
    fs.mkdirSync(home);
    fs.mkdirSync(sysDir);
    fs.writeFileSync(path.join(home, '.pg_service.conf'), '[prod]\nhost=prod.example.com\nport=6432\npassword=never-shown\n[staging]\nhost=staging.example.com\n');
    fs.writeFileSync(path.join(sysDir, 'pg_service.conf'), '[prod]\nhost=system-prod\n[shared]\nhost=shared.example.com\nuser=reporting\n[broken]\nhost = spaced\n');
    fs.writeFileSync(
      path.join(home, '.pgpass'),
      [
        '# my servers',
        'db.example.com:5432:shop:alice:pw1',
        'db.example.com:5432:shop:alice:pw-again (same host, port, user, database)',
        'db.example.com:5433:*:bob:pw2',
        'db.example.com:5433:reports:bob:pw3',
        'warehouse:*:dw:*:pw4',
        '*:*:*:*:fallback (names no server)',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    fs.chmodSync(path.join(home, '.pgpass'), 0o600);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const opts = (env: NodeJS.ProcessEnv = {}, extra: Partial<DiscoverOptions> = {}): DiscoverOptions => ({ env, home, platform: 'linux', sysconfDirs: [sysDir], ...extra });

  it('lists the services of ~/.pg_service.conf, then those of the system file it does not define', () => {
    const { candidates, notes } = discoverConnections(opts());
    const services = candidates.filter((c) => c.source === 'service');
    assert.deepEqual(
      services.map((c) => [c.id, c.label, c.origin]),
      [
        ['service:prod', 'prod', `service file "${path.join(home, '.pg_service.conf')}"`],
        ['service:staging', 'staging', `service file "${path.join(home, '.pg_service.conf')}"`],
        ['service:shared', 'shared', `service file "${path.join(sysDir, 'pg_service.conf')}"`],
      ],
    );
    // A per-user file is named, so a saved copy finds it again; the system file libpq finds itself.
    assert.deepEqual(services[0]?.params, { service: 'prod', servicefile: path.join(home, '.pg_service.conf') });
    assert.deepEqual(services[2]?.params, { service: 'shared' });
    // The section with a bad line is left out, and said why.
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /^service "broken" in ".*pg_service\.conf" cannot be used: syntax error in service file .*line 7: unknown keyword "host "/);
  });

  it('a service candidate resolves to the service\'s server, its password never among the parameters', () => {
    const prod = discoverConnections(opts()).candidates.find((c) => c.id === 'service:prod');
    assert.ok(prod);
    assert.ok(!JSON.stringify(prod).includes('never-shown'));
    const r = resolveConnection(prod.params, { env: {}, home, sysconfDirs: [sysDir], osUser: 'me', platform: 'linux' });
    assert.equal(r.describe(), 'prod.example.com:6432/me as me');
    assert.equal(r.password, 'never-shown');
  });

  it('follows PGSERVICEFILE and PGSYSCONFDIR', () => {
    const other = path.join(dir, 'other.conf');
    fs.writeFileSync(other, '[elsewhere]\nhost=elsewhere.example.com\n');
    const { candidates } = discoverConnections(opts({ PGSERVICEFILE: other, PGSYSCONFDIR: path.join(dir, 'no-such-dir') }));
    assert.deepEqual(
      candidates.filter((c) => c.source === 'service').map((c) => [c.label, c.params]),
      [['elsewhere', { service: 'elsewhere', servicefile: other }]],
    );
  });

  it('lists each host, port and user of ~/.pgpass once, with the database when all its lines name one', () => {
    const pgpass = discoverConnections(opts()).candidates.filter((c) => c.source === 'pgpass');
    const file = path.join(home, '.pgpass');
    assert.deepEqual(
      pgpass.map((c) => [c.id, c.label, c.origin, c.params]),
      [
        ['pgpass:db.example.com:5432:alice', 'alice@db.example.com:5432', `password file "${file}", line 2`, { host: 'db.example.com', port: '5432', user: 'alice', dbname: 'shop' }],
        ['pgpass:db.example.com:5433:bob', 'bob@db.example.com:5433', `password file "${file}", line 4`, { host: 'db.example.com', port: '5433', user: 'bob' }],
        ['pgpass:warehouse:*:*', 'warehouse:5432', `password file "${file}", line 6`, { host: 'warehouse', dbname: 'dw' }],
      ],
    );
    assert.ok(!JSON.stringify(pgpass).includes('pw1'), 'a password among the candidates');
  });

  it('reads the password file PGPASSFILE names', () => {
    const other = path.join(dir, 'other-pgpass');
    fs.writeFileSync(other, 'only.example.com:5432:*:carol:x\n', { mode: 0o600 });
    fs.chmodSync(other, 0o600);
    const pgpass = discoverConnections(opts({ PGPASSFILE: other })).candidates.filter((c) => c.source === 'pgpass');
    assert.deepEqual(pgpass.map((c) => c.label), ['carol@only.example.com:5432']);
  });

  it('ignores a password file with group or world access, as libpq does, and says so', function () {
    if (process.platform === 'win32') this.skip();
    const loose = path.join(dir, 'loose-pgpass');
    fs.writeFileSync(loose, 'loose.example.com:5432:*:carol:x\n');
    fs.chmodSync(loose, 0o644);
    const { candidates, notes } = discoverConnections(opts({ PGPASSFILE: loose }));
    assert.deepEqual(candidates.filter((c) => c.source === 'pgpass'), []);
    assert.ok(notes.some((n) => n.includes(`password file "${loose}" has group or world access (mode 0644)`) && n.endsWith('it was ignored')), notes.join('\n'));
  });

  it('offers the environment when PGHOST, PGPORT, PGUSER, PGDATABASE or PGSERVICE say anything', () => {
    assert.deepEqual(discoverConnections(opts({ PGPASSWORD: 'secret', PGSSLMODE: 'require' })).candidates.filter((c) => c.source === 'environment'), []);
    const env = discoverConnections(opts({ PGHOST: '127.0.0.1', PGPORT: '5499', PGUSER: 'postgres', PGPASSWORD: 'secret', PGSSLMODE: 'disable', PGPASSFILE: path.join(dir, 'none') })).candidates.filter((c) => c.source === 'environment');
    assert.deepEqual(env, [{ id: 'environment', label: 'PG* environment', source: 'environment', origin: 'PGHOST, PGPORT, PGUSER', params: { host: '127.0.0.1', port: '5499', user: 'postgres', sslmode: 'disable' } }]);
    const svc = discoverConnections(opts({ PGSERVICE: 'prod' })).candidates.find((c) => c.source === 'environment');
    assert.deepEqual(svc?.params, { service: 'prod' });
  });

  it('finds nothing where the user has nothing, and no error', () => {
    const empty = path.join(dir, 'empty-home');
    fs.mkdirSync(empty);
    assert.deepEqual(discoverConnections({ env: {}, home: empty, platform: 'linux', sysconfDirs: [] }), { candidates: [], notes: [] });
  });
});

describe('connection profiles', () => {
  const env = { env: {}, home: tmpdir(), osUser: 'me', sysconfDirs: [], platform: 'linux' as const };

  it('a URI becomes parameters and secrets; the password never among the parameters', () => {
    const split = parseProfileInput('  postgresql://alice:s%40cret@db.example.com:6543/shop?sslmode=require&sslpassword=keypw  ', env);
    assert.deepEqual(split.params, { host: 'db.example.com', port: '6543', dbname: 'shop', user: 'alice', sslmode: 'require' });
    assert.deepEqual(split.secrets, { password: 's@cret', sslpassword: 'keypw' });
  });

  it('so does a keyword=value string', () => {
    const split = parseProfileInput("host=h port=5433 user=bob password='a b' dbname=''", env);
    assert.deepEqual(split, { params: { host: 'h', port: '5433', user: 'bob' }, secrets: { password: 'a b' } });
  });

  for (const [input, pattern] of [
    ['', /the connection string is empty/],
    ['just-a-name', /missing "=" after "just-a-name"/],
    ['postgresql://u:pw@h/db?sslmode=sometimes', /invalid sslmode value: "sometimes"/],
    ['host=h port=99999', /invalid port number/],
    ['service=nowhere', /definition of service "nowhere" not found/],
    ['postgresql://u:topsecret@h:x/db', /invalid port|invalid integer/],
  ] as const) {
    it(`rejects ${JSON.stringify(input)} in one line that never repeats a password`, () => {
      assert.throws(
        () => parseProfileInput(input, env),
        (err: unknown) => err instanceof DumpError && pattern.test(err.message) && !err.message.includes('\n') && !err.message.includes('topsecret'),
      );
    });
  }

  it('splitSecrets drops empty values', () => {
    assert.deepEqual(splitSecrets({ host: 'h', port: '', password: '', user: 'u' }), { params: { host: 'h', user: 'u' }, secrets: {} });
  });

  it('resolves a profile: stored secrets and a typed password are explicit; another database on request', () => {
    const r = resolveProfile({ host: 'h', user: 'u', dbname: 'shop' }, { password: 'stored' }, {}, env);
    assert.equal(r.describe(), 'h:5432/shop as u');
    assert.equal(r.password, 'stored');
    assert.equal(r.passwordSource, 'explicit');
    const typed = resolveProfile({ host: 'h', user: 'u', dbname: 'shop' }, { password: 'stored' }, { password: 'typed', database: 'other' }, env);
    assert.equal(typed.describe(), 'h:5432/other as u');
    assert.equal(typed.password, 'typed');
    // Without a stored password, the environment and the password file apply as in libpq.
    const fromEnv = resolveProfile({ host: 'h', user: 'u' }, {}, {}, { ...env, env: { PGPASSWORD: 'env-pw' } });
    assert.equal(fromEnv.password, 'env-pw');
  });

  it('suggests a name and shows host:port, user', () => {
    assert.equal(suggestProfileName({ host: 'db', port: '5433', user: 'alice', dbname: 'shop' }), 'alice@db:5433/shop');
    assert.equal(suggestProfileName({ host: 'db', port: '5432' }), 'db');
    assert.equal(suggestProfileName({ service: 'prod', host: 'x' }), 'prod');
    assert.equal(connectionSummary(resolveConnection('host=a,b port=5432,5433 user=u', env)), 'a:5432, b:5433, u');
  });
});

describe('ResolvedConnection.withDatabase', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'pgdx-withdb-'));
    fs.writeFileSync(path.join(dir, '.pgpass'), 'h:5432:shop:u:shop-pw\nh:5432:postgres:u:maintenance-pw\n', { mode: 0o600 });
    fs.chmodSync(path.join(dir, '.pgpass'), 0o600);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const opts = () => ({ env: { PGDATABASE: 'shop' }, home: dir, osUser: 'me', sysconfDirs: [], platform: 'linux' as const });

  it('keeps everything but the database, and looks the password file up again for the new name', () => {
    const r = resolveConnection('host=h user=u sslmode=disable', opts());
    assert.equal(r.password, 'shop-pw');
    const m = r.withDatabase('postgres');
    assert.equal(m.describe(), 'h:5432/postgres as u');
    assert.equal(m.password, 'maintenance-pw');
    assert.equal(m.passwordOrigin(), `password file "${path.join(dir, '.pgpass')}", line 2`);
    assert.equal(m.sslmode, 'disable');
    assert.equal(m.toPgClientConfig().database, 'postgres');
    assert.ok(m.toToolArgs().includes('--dbname=postgres'));
    assert.equal(m.variables.dbname, undefined);
    assert.equal(r.withDatabase('shop'), r);
    assert.equal(r.withDatabase('nothing-matches').password, undefined);
  });

  it('a password given with the connection stays', () => {
    const r = resolveConnection('host=h user=u password=given dbname=shop', opts());
    assert.equal(r.withDatabase('postgres').password, 'given');
  });
});
