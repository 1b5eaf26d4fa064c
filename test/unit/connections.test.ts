import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { formatConninfo, parseConnectionString, parseConnectionUri, parseKeywordValue, redactUri, type ConnParams } from '../../src/core/connections/conninfo';
import { environmentDefaults, withoutLibpqConnectionVariables } from '../../src/core/connections/environment';
import {
  escapePgpassField,
  formatPgpassLine,
  lookupPassword,
  parsePgpass,
  pgpassHosts,
  pgpassPath,
  readPgpass,
  writeTemporaryPassfile,
} from '../../src/core/connections/pgpass';
import { resolveConnection, type ResolveOptions } from '../../src/core/connections/resolve';
import { findService, listServices, parseServiceSection, serviceFileLocations } from '../../src/core/connections/serviceFile';
import { DumpError } from '../../src/core/errors';

/** Runs fn, expecting a one-line DumpError; returns its message. */
function throwsOneLine(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DumpError, `expected a DumpError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(err.message.includes(part), `"${err.message}" should mention "${part}"`);
      else assert.match(err.message, part);
    }
    return err.message;
  }
  assert.fail('expected a DumpError');
}

describe('connection URIs', () => {
  // The examples of libpq's documentation ("Connection URIs"), then edge cases checked against
  // libpq 15's PQconninfoParse.
  const cases: [string, ConnParams][] = [
    ['postgresql://', {}],
    ['postgresql://localhost', { host: 'localhost' }],
    ['postgresql://localhost:5433', { host: 'localhost', port: '5433' }],
    ['postgresql://localhost/mydb', { host: 'localhost', dbname: 'mydb' }],
    ['postgresql://user@localhost', { user: 'user', host: 'localhost' }],
    ['postgresql://user:secret@localhost', { user: 'user', password: 'secret', host: 'localhost' }],
    [
      'postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp',
      { user: 'other', host: 'localhost', dbname: 'otherdb', connect_timeout: '10', application_name: 'myapp' },
    ],
    [
      'postgresql://host1:123,host2:456/somedb?target_session_attrs=any&application_name=myapp',
      { host: 'host1,host2', port: '123,456', dbname: 'somedb', target_session_attrs: 'any', application_name: 'myapp' },
    ],
    ['postgresql:///mydb?host=localhost&port=5433', { dbname: 'mydb', host: 'localhost', port: '5433' }],
    ['postgresql://[2001:db8::1234]/database', { host: '2001:db8::1234', dbname: 'database' }],
    ['postgresql:///dbname?host=/var/lib/postgresql', { dbname: 'dbname', host: '/var/lib/postgresql' }],
    ['postgresql://%2Fvar%2Flib%2Fpostgresql/dbname', { host: '/var/lib/postgresql', dbname: 'dbname' }],
    ['postgres://localhost/mydb', { host: 'localhost', dbname: 'mydb' }],
    // percent-decoding of every part
    ['postgres://u%40x:p%3Aw%2F@h/d%20b', { user: 'u@x', password: 'p:w/', host: 'h', dbname: 'd b' }],
    ['postgresql://h/db?options=-c%20search_path%3Dfoo', { host: 'h', dbname: 'db', options: '-c search_path=foo' }],
    ['postgresql://h/caf%C3%A9', { host: 'h', dbname: 'café' }],
    // host lists: a host without a port leaves an empty place in the port list
    ['postgresql://h1,h2', { host: 'h1,h2', port: ',' }],
    ['postgresql://h1,h2:5433', { host: 'h1,h2', port: ',5433' }],
    ['postgresql://h1:1,h2', { host: 'h1,h2', port: '1,' }],
    ['postgresql://[::1]:5433,[fe80::1]/db', { host: '::1,fe80::1', port: '5433,', dbname: 'db' }],
    ['postgresql://h1:', { host: 'h1' }],
    // user information
    ['postgresql://user@', { user: 'user' }],
    ['postgresql://:pw@h', { password: 'pw', host: 'h' }],
    ['postgresql://u:@h', { user: 'u', host: 'h' }],
    ['postgresql://a:b:c@h', { user: 'a', password: 'b:c', host: 'h' }],
    // query: ssl=true is sslmode=require (JDBC habit); a trailing & is tolerated
    ['postgresql://h?ssl=true', { host: 'h', sslmode: 'require' }],
    ['postgresql://h?application_name=x&', { host: 'h', application_name: 'x' }],
    ['postgresql://h?', { host: 'h' }],
    ['postgresql://h/?service=prod&sslmode=verify-full', { host: 'h', service: 'prod', sslmode: 'verify-full' }],
    ['postgresql://h/d/e', { host: 'h', dbname: 'd/e' }],
  ];
  for (const [uri, expected] of cases) {
    it(uri, () => {
      assert.deepEqual(parseConnectionUri(uri), expected);
      assert.deepEqual(parseConnectionString(uri), expected);
    });
  }

  const errors: [string, RegExp][] = [
    ['postgresql://[::1]x', /unexpected character "x" at position 19 in URI/],
    ['postgresql://[', /matching "\]" in IPv6 host address/],
    ['postgresql://[]', /IPv6 host address may not be empty/],
    ['postgresql://h?foo=bar', /invalid URI query parameter: "foo"/],
    ['postgresql://h?a', /missing key\/value separator "="/],
    ['postgresql://h?a=b=c', /extra key\/value separator "="/],
    ['postgresql://h?application_name=x&&port=1', /missing key\/value separator/],
    ['postgresql://h/%zz', /invalid percent-encoded token "%zz"/],
    ['postgresql://h/%00', /forbidden value %00/],
  ];
  for (const [uri, pattern] of errors) {
    it(`rejects ${uri} in one line`, () => {
      throwsOneLine(() => parseConnectionString(uri), 'usage', pattern);
    });
  }

  it('never repeats a password in an error', () => {
    const message = throwsOneLine(() => parseConnectionString('postgresql://alice:hunter2@db.example.com/%zz'), 'usage');
    assert.ok(!message.includes('hunter2'), message);
    assert.ok(message.includes('alice:********@db.example.com'), message);
    assert.equal(redactUri('postgresql://h/d?password=hunter2&sslmode=require'), 'postgresql://h/d?password=********&sslmode=require');
    assert.equal(redactUri('postgresql://u:pw@h/d?sslpassword=k'), 'postgresql://u:********@h/d?sslpassword=********');
  });
});

describe('keyword=value connection strings', () => {
  const cases: [string, ConnParams][] = [
    // libpq's documentation example
    ['host=localhost port=5432 dbname=mydb connect_timeout=10', { host: 'localhost', port: '5432', dbname: 'mydb', connect_timeout: '10' }],
    // spaces around '=' are optional
    ['host = localhost  port= 5432\tdbname =mydb', { host: 'localhost', port: '5432', dbname: 'mydb' }],
    // single quotes for empty values and values with spaces; \' and \\ inside
    ["password='my secret' user=x", { password: 'my secret', user: 'x' }],
    ["application_name='it\\'s' options='-c a=b'", { application_name: "it's", options: '-c a=b' }],
    ["application_name='back\\\\slash'", { application_name: 'back\\slash' }],
    ["user='' host=h", { user: '', host: 'h' }],
    ['user=', { user: '' }],
    // a backslash escapes outside quotes too
    ['dbname=a\\ b', { dbname: 'a b' }],
    ["application_name=a\\'b\\\\c", { application_name: "a'b\\c" }],
    // multiple hosts
    ['host=h1,h2 port=1,2', { host: 'h1,h2', port: '1,2' }],
    // a later value wins; a dbname holding a URI stays a plain value here
    ['host=a host=b', { host: 'b' }],
    ['service=x dbname=postgresql://h/d', { service: 'x', dbname: 'postgresql://h/d' }],
    ["host='a'port=5", { host: 'a', port: '5' }],
    ['', {}],
    ['   ', {}],
  ];
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => {
      assert.deepEqual(parseKeywordValue(text), expected);
      assert.deepEqual(parseConnectionString(text), expected);
    });
  }

  const errors: [string, RegExp][] = [
    ['foo=bar', /^invalid connection option "foo"$/],
    ['host=h sslmod=require', /^invalid connection option "sslmod"$/],
    ['host', /missing "=" after "host"/],
    ['host=h port', /missing "=" after "port"/],
    ["host='unterminated", /unterminated quoted string/],
    ['=x', /invalid connection option ""/],
    ['mydb', /missing "=" after "mydb"/],
  ];
  for (const [text, pattern] of errors) {
    it(`rejects ${JSON.stringify(text)} in one line`, () => {
      throwsOneLine(() => parseConnectionString(text), 'usage', pattern);
    });
  }

  it('never echoes a password fragment', () => {
    const message = throwsOneLine(() => parseConnectionString('user=x password=correct horse'), 'usage', /value of password/);
    assert.ok(!message.includes('horse'), message);
  });
});

describe('formatConninfo', () => {
  it('quotes what needs quoting and parses back', () => {
    const params: ConnParams = { host: 'h1,h2', port: '5432', dbname: "it's a db", user: 'back\\slash', application_name: '', options: '-c a=b' };
    const text = formatConninfo(params);
    assert.equal(text, "host=h1,h2 port=5432 dbname='it\\'s a db' user='back\\\\slash' application_name='' options='-c a=b'");
    assert.deepEqual(parseKeywordValue(text), params);
  });

  it('never prints a password', () => {
    const params: ConnParams = { host: 'h', user: 'u', password: 'hunter2', sslpassword: 'keypass' };
    assert.equal(formatConninfo(params), 'host=h user=u');
    assert.equal(formatConninfo(params, { hidePassword: true }), 'host=h user=u');
    assert.equal(formatConninfo(params, { hidePassword: false }), 'host=h user=u password=******** sslpassword=********');
  });
});

describe('environment variables', () => {
  it('map to keywords; an empty value counts as set', () => {
    const env = {
      PGHOST: 'db',
      PGHOSTADDR: '10.0.0.1',
      PGPORT: '6543',
      PGUSER: 'alice',
      PGDATABASE: 'shop',
      PGPASSWORD: 'pw',
      PGSERVICE: 'svc',
      PGSSLMODE: 'require',
      PGPASSFILE: '/x/pgpass',
      PGAPPNAME: 'app',
      PGCONNECT_TIMEOUT: '7',
      PGOPTIONS: '-c x=y',
      PGSERVICEFILE: '/x/services',
      PGSYSCONFDIR: '/x/etc',
      PGCLIENTENCODING: '',
      HOME: '/home/alice',
    };
    const d = environmentDefaults(env);
    assert.deepEqual(d.params, {
      host: 'db',
      hostaddr: '10.0.0.1',
      port: '6543',
      user: 'alice',
      dbname: 'shop',
      password: 'pw',
      service: 'svc',
      sslmode: 'require',
      passfile: '/x/pgpass',
      application_name: 'app',
      connect_timeout: '7',
      options: '-c x=y',
      client_encoding: '',
    });
    assert.equal(d.variables.dbname, 'PGDATABASE');
    assert.equal(d.serviceFile, '/x/services');
    assert.equal(d.sysconfDir, '/x/etc');
    assert.deepEqual(withoutLibpqConnectionVariables({ ...env, PGTZ: 'UTC', PATH: '/bin' }), { HOME: '/home/alice', PGTZ: 'UTC', PATH: '/bin' });
  });
});

describe('service files', () => {
  let dir: string;
  let userFile: string;
  let sysDir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'pgdx-svc-'));
    userFile = path.join(dir, 'user-services.conf');
    sysDir = path.join(dir, 'etc');
    fs.mkdirSync(sysDir);
    fs.writeFileSync(
      userFile,
      [
        '# my services',
        '[prod]',
        'host=prod.example.com',
        'port=6432',
        'dbname=shop',
        'port=9999',
        '',
        '  [staging] (the one with fake data)',
        '  host=staging.example.com  ',
        'application_name=it works with spaces',
        '[broken]',
        'host = spaced.example.com',
        '[nested]',
        'service=prod',
        '[noequals]',
        'just a line',
        '[typo]',
        'hots=h',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(sysDir, 'pg_service.conf'), '[prod]\nhost=system-prod\n[shared]\r\nhost=shared.example.com\r\nuser=reporting\r\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const opts = () => ({ env: { PGSERVICEFILE: userFile, PGSYSCONFDIR: sysDir }, home: dir });

  it('finds a service in PGSERVICEFILE; a repeated keyword keeps its first value', () => {
    const s = findService('prod', opts());
    assert.deepEqual(s, { name: 'prod', file: userFile, kind: 'user', params: { host: 'prod.example.com', port: '6432', dbname: 'shop' } });
  });

  it('trims lines, ignores text after "]" and keeps spaces inside values', () => {
    assert.deepEqual(findService('staging', opts())?.params, { host: 'staging.example.com', application_name: 'it works with spaces' });
  });

  it('falls back on PGSYSCONFDIR/pg_service.conf (CRLF lines too)', () => {
    assert.deepEqual(findService('shared', opts()), {
      name: 'shared',
      file: path.join(sysDir, 'pg_service.conf'),
      kind: 'system',
      params: { host: 'shared.example.com', user: 'reporting' },
    });
  });

  it('uses ~/.pg_service.conf when PGSERVICEFILE is not set, and skips it when missing', () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    assert.equal(findService('prod', { env: { PGSYSCONFDIR: sysDir }, home })?.params.host, 'system-prod');
    fs.writeFileSync(path.join(home, '.pg_service.conf'), '[prod]\nhost=home-prod\n');
    assert.equal(findService('prod', { env: { PGSYSCONFDIR: sysDir }, home })?.params.host, 'home-prod');
    assert.equal(findService('nowhere', { env: { PGSYSCONFDIR: sysDir }, home }), undefined);
  });

  it('rejects a bad line of the wanted section the way psql does, in one line', () => {
    throwsOneLine(() => findService('broken', opts()), 'usage', `service file "${userFile}", line 12`, 'unknown keyword "host "', 'no spaces are allowed');
    throwsOneLine(() => findService('nested', opts()), 'usage', /^nested service specifications not supported in service file ".*", line 14$/);
    throwsOneLine(() => findService('noequals', opts()), 'usage', /^syntax error in service file ".*", line 16: expected keyword=value$/);
    throwsOneLine(() => findService('typo', opts()), 'usage', 'unknown keyword "hots"');
    // bad lines in other sections do not matter
    assert.ok(findService('prod', opts()));
  });

  it('a PGSERVICEFILE that does not exist is an error, as in libpq', () => {
    throwsOneLine(() => findService('prod', { env: { PGSERVICEFILE: path.join(dir, 'nope.conf'), PGSYSCONFDIR: sysDir } }), 'not-found', 'nope.conf', 'PGSERVICEFILE');
  });

  it('lists services for a picker, the per-user file first', () => {
    assert.deepEqual(
      listServices(opts()).map((s) => `${s.kind}:${s.name}`),
      ['user:prod', 'user:staging', 'user:broken', 'user:nested', 'user:noequals', 'user:typo', 'system:shared'],
    );
  });

  it('parseServiceSection stops at the next section', () => {
    assert.deepEqual(parseServiceSection('[a]\nhost=x\n[b]\nnot valid\n[a]\nhost=y\n', 'a', 'f'), { host: 'x' });
    assert.equal(parseServiceSection('[ab]\nhost=x\n', 'a', 'f'), undefined);
  });

  it('looks in %APPDATA%\\postgresql on Windows', () => {
    const [user] = serviceFileLocations({ env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, platform: 'win32', sysconfDirs: [] });
    assert.equal(user?.path, 'C:\\Users\\a\\AppData\\Roaming\\postgresql\\.pg_service.conf');
  });
});

describe('password file', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'pgdx-pass-test-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const text = [
    '# comment line: ignored',
    'db.example.com:5432:shop:alice:first',
    'db.example.com:5432:shop:alice:second (never reached)',
    'db.example.com:*:*:bob:b\\:o\\\\b:ignored after an unescaped colon',
    '*:5433:*:*:any-host',
    'localhost:5432:*:carol:local',
    '/tmp/sockets:5432:*:carol:socket-dir',
    'h\\:x:5432:*:dave:colon-in-host',
    '\\*:5432:*:erin:literal-star',
    'too:few:fields:here',
    'db.example.com:5432:*:frank:',
    'db.example.com:5432:*:frank:too late',
    '  db.example.com:5432:*:gina:leading spaces are part of the host',
    'db.example.com:5432:*:hank:pass:word\r',
    '',
  ].join('\n');

  it('parses escapes, wildcards and comments', () => {
    const entries = parsePgpass(text);
    assert.equal(entries.length, 12);
    const bob = entries.find((e) => e.user === 'bob');
    assert.equal(bob?.password, 'b:o\\b');
    assert.deepEqual(bob?.wildcard, [false, true, true, false]);
    assert.equal(entries.find((e) => e.user === 'dave')?.host, 'h:x');
    assert.deepEqual(entries.find((e) => e.user === 'erin')?.wildcard, [false, false, true, false]);
    assert.equal(entries.find((e) => e.user === 'erin')?.host, '*');
  });

  const lookups: [string, Parameters<typeof lookupPassword>[1], string | undefined][] = [
    ['first matching line wins', { host: 'db.example.com', port: 5432, dbname: 'shop', user: 'alice' }, 'first'],
    ['escapes in the password; it ends at an unescaped colon', { host: 'db.example.com', port: 1, dbname: 'x', user: 'bob' }, 'b:o\\b'],
    ['* matches any host', { host: 'elsewhere', port: 5433, dbname: 'x', user: 'y' }, 'any-host'],
    ['other port: no match', { host: 'elsewhere', port: 5432, dbname: 'x', user: 'y' }, undefined],
    ['no port means 5432', { host: 'localhost', dbname: 'x', user: 'carol' }, 'local'],
    ['no host means localhost', { host: '', dbname: 'x', user: 'carol', port: 5432 }, 'local'],
    ['the default socket directory means localhost', { host: '/var/run/postgresql', port: 5432, dbname: 'x', user: 'carol', defaultSocketDirs: ['/var/run/postgresql'] }, 'local'],
    ['another socket directory is matched literally', { host: '/tmp/sockets', port: 5432, dbname: 'x', user: 'carol', defaultSocketDirs: ['/var/run/postgresql'] }, 'socket-dir'],
    ['hostaddr when there is no host', { host: '', hostaddr: 'db.example.com', port: 5432, dbname: 'shop', user: 'alice' }, 'first'],
    ['\\: in the host field', { host: 'h:x', port: 5432, dbname: 'x', user: 'dave' }, 'colon-in-host'],
    ['\\* is a literal star', { host: 'star', port: 5432, dbname: 'x', user: 'erin' }, undefined],
    ['\\* matches a host named *', { host: '*', port: 5432, dbname: 'x', user: 'erin' }, 'literal-star'],
    ['an empty password on the first match means none', { host: 'db.example.com', port: 5432, dbname: 'x', user: 'frank' }, undefined],
    ['leading spaces belong to the host', { host: 'db.example.com', port: 5432, dbname: 'x', user: 'gina' }, undefined],
    ['CRLF line ends', { host: 'db.example.com', port: 5432, dbname: 'x', user: 'hank' }, 'pass'],
    ['a line with four fields matches nothing', { host: 'too', port: 'few', dbname: 'fields', user: 'here' }, undefined],
  ];
  for (const [title, target, expected] of lookups) {
    it(title, () => {
      assert.equal(lookupPassword(parsePgpass(text), target), expected);
    });
  }

  it('is ignored, with the reason, when group or world can read it (mode 0644), used at 0600', function () {
    if (process.platform === 'win32') this.skip();
    const file = path.join(dir, 'pgpass-perm');
    fs.writeFileSync(file, 'localhost:5432:*:*:secret\n');
    fs.chmodSync(file, 0o644);
    const loose = readPgpass(file);
    assert.equal(loose.status, 'ignored');
    assert.deepEqual(loose.entries, []);
    assert.match(loose.reason ?? '', /has group or world access \(mode 0644\); permissions should be u=rw \(0600\) or less/);
    fs.chmodSync(file, 0o600);
    const tight = readPgpass(file);
    assert.equal(tight.status, 'ok');
    assert.equal(lookupPassword(tight, { host: 'localhost', dbname: 'd', user: 'u' }), 'secret');
    fs.chmodSync(file, 0o640);
    assert.equal(readPgpass(file).status, 'ignored');
    // Windows has no such rule
    fs.chmodSync(file, 0o644);
    assert.equal(readPgpass(file, { platform: 'win32' }).status, 'ok');
  });

  it('a directory is not a password file; a missing file is no error', () => {
    assert.match(readPgpass(dir).reason ?? '', /is not a plain file/);
    assert.deepEqual(readPgpass(path.join(dir, 'none')), { path: path.join(dir, 'none'), status: 'missing', entries: [] });
  });

  it('is found where libpq looks', () => {
    assert.equal(pgpassPath({ env: {}, home: '/home/a', platform: 'linux' }), '/home/a/.pgpass');
    assert.equal(pgpassPath({ env: { PGPASSFILE: '/etc/pw' }, home: '/home/a', platform: 'linux' }), '/etc/pw');
    assert.equal(pgpassPath({ env: { PGPASSFILE: '/etc/pw' }, passfile: '/x', platform: 'linux' }), '/x');
    assert.equal(pgpassPath({ env: { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, platform: 'win32' }), 'C:\\Users\\a\\AppData\\Roaming\\postgresql\\pgpass.conf');
  });

  it('lists distinct hosts for a picker', () => {
    assert.deepEqual(pgpassHosts(parsePgpass(text)), [
      { host: 'db.example.com', ports: ['5432', '*'] },
      { host: 'localhost', ports: ['5432'] },
      { host: '/tmp/sockets', ports: ['5432'] },
      { host: 'h:x', ports: ['5432'] },
      { host: '*', ports: ['5432'] },
      { host: '  db.example.com', ports: ['5432'] },
    ]);
  });

  it('writes lines that read back the same', () => {
    const fields = { host: '::1', port: '5432', database: 'd:b', user: 'u\\v', password: 'p:a\\ss w0rd' };
    const line = formatPgpassLine(fields);
    assert.equal(line, '\\:\\:1:5432:d\\:b:u\\\\v:p\\:a\\\\ss w0rd');
    assert.equal(lookupPassword(parsePgpass(line), { host: '::1', port: 5432, dbname: 'd:b', user: 'u\\v' }), 'p:a\\ss w0rd');
    assert.equal(escapePgpassField('a:b\\c'), 'a\\:b\\\\c');
    throwsOneLine(() => formatPgpassLine({ ...fields, password: 'two\nlines' }), 'usage', 'line break');
  });

  it('writeTemporaryPassfile makes a 0600 file and removes it', async () => {
    const t = await writeTemporaryPassfile('*:*:*:u:pw\n', dir);
    assert.equal(fs.readFileSync(t.path, 'utf8'), '*:*:*:u:pw\n');
    if (process.platform !== 'win32') assert.equal(fs.statSync(t.path).mode & 0o777, 0o600);
    await t.remove();
    await t.remove();
    assert.ok(!fs.existsSync(path.dirname(t.path)));
  });
});

describe('resolveConnection', () => {
  let dir: string;
  let home: string;
  let sockets: string;
  let noSockets: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), 'pgdx-resolve-'));
    home = path.join(dir, 'home');
    sockets = path.join(dir, 'run');
    noSockets = path.join(dir, 'empty-run');
    fs.mkdirSync(home);
    fs.mkdirSync(sockets);
    fs.mkdirSync(noSockets);
    fs.writeFileSync(path.join(sockets, '.s.PGSQL.5433'), '');
    fs.writeFileSync(path.join(home, '.pg_service.conf'), '[svc]\nhost=svc-host\nport=7000\nuser=svc_user\ndbname=svc_db\npassword=svc-pw\n[nopw]\nhost=nopw-host\n');
    fs.writeFileSync(path.join(home, '.pgpass'), 'pgpass-host:5432:*:*:from-pgpass\nlocalhost:*:*:*:local-pw\nsvc-host:7000:svc_db:svc_user:svc-pgpass\n', { mode: 0o600 });
    fs.chmodSync(path.join(home, '.pgpass'), 0o600);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const base = (extra: Partial<ResolveOptions> = {}): ResolveOptions => ({
    env: {},
    home,
    osUser: 'osuser',
    socketDirs: [path.join(dir, 'missing'), noSockets, sockets],
    sysconfDirs: [],
    platform: 'linux',
    ...extra,
  });

  it('defaults: socket directory holding the port\'s socket, else an existing one, else localhost; OS user; dbname = user', () => {
    const r = resolveConnection('', base({ env: { PGPORT: '5433' } }));
    assert.equal(r.describe(), `${sockets}:5433/osuser as osuser`);
    assert.deepEqual(r.sources, { host: 'default', port: 'environment', user: 'default', dbname: 'default', sslmode: 'default' });
    assert.equal(resolveConnection('', base()).host, noSockets);
    const tcp = resolveConnection('', base({ socketDirs: [path.join(dir, 'missing')] }));
    assert.equal(tcp.describe(), 'localhost:5432/osuser as osuser');
    assert.equal(tcp.hosts[0]?.socket, false);
    assert.equal(resolveConnection('', base({ platform: 'win32', socketDirs: undefined })).host, 'localhost');
  });

  it('precedence: explicit > service > environment > defaults', () => {
    const env = { PGSERVICE: 'svc', PGHOST: 'env-host', PGUSER: 'env_user', PGAPPNAME: 'env-app', PGPORT: '1111' };
    const r = resolveConnection('host=explicit-host', base({ env }));
    assert.equal(r.describe(), 'explicit-host:7000/svc_db as svc_user');
    assert.equal(r.params.application_name, 'env-app');
    assert.deepEqual(r.sources, {
      host: 'explicit',
      port: 'service',
      user: 'service',
      dbname: 'service',
      service: 'environment',
      application_name: 'environment',
      sslmode: 'default',
    });
    assert.deepEqual(r.service, { name: 'svc', file: path.join(home, '.pg_service.conf'), kind: 'user' });
    assert.equal(r.variables.application_name, 'PGAPPNAME');
    // an explicit service beats PGSERVICE
    assert.equal(resolveConnection({ service: 'nopw' }, base({ env })).describe(), 'nopw-host:1111/env_user as env_user');
  });

  it('password: explicit > service > PGPASSWORD > password file', () => {
    const pw = (input: string, env: NodeJS.ProcessEnv = {}) => {
      const r = resolveConnection(input, base({ env }));
      return [r.password, r.passwordSource, r.passwordOrigin()];
    };
    assert.deepEqual(pw('postgresql://u:given@svc-host:7000/svc_db?service=svc', { PGPASSWORD: 'env' }), ['given', 'explicit', 'the connection string']);
    assert.deepEqual(pw('service=svc', { PGPASSWORD: 'env' }), ['svc-pw', 'service', `service "svc" in "${path.join(home, '.pg_service.conf')}"`]);
    assert.deepEqual(pw('host=pgpass-host', { PGPASSWORD: 'env' }), ['env', 'environment', 'PGPASSWORD']);
    assert.deepEqual(pw('host=pgpass-host'), ['from-pgpass', 'pgpass', `password file "${path.join(home, '.pgpass')}", line 1`]);
    // an empty password counts as none
    assert.deepEqual(pw("host=pgpass-host password=''"), ['from-pgpass', 'pgpass', `password file "${path.join(home, '.pgpass')}", line 1`]);
    // a socket connection in a default socket directory matches "localhost"
    assert.deepEqual(pw(''), ['local-pw', 'pgpass', `password file "${path.join(home, '.pgpass')}", line 2`]);
    assert.deepEqual(pw('host=elsewhere'), [undefined, undefined, undefined]);
  });

  it('PGPASSFILE and passfile= choose the password file; a loose one is ignored with a note', function () {
    if (process.platform === 'win32') this.skip();
    const loose = path.join(dir, 'loose-pgpass');
    fs.writeFileSync(loose, '*:*:*:*:loose\n');
    fs.chmodSync(loose, 0o644);
    const r = resolveConnection('host=h', base({ env: { PGPASSFILE: loose } }));
    assert.equal(r.password, undefined);
    assert.equal(r.passfile.status, 'ignored');
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0] ?? '', /loose-pgpass" has group or world access .*: it was ignored$/);
    fs.chmodSync(loose, 0o600);
    assert.equal(resolveConnection('host=h', base({ env: { PGPASSFILE: loose } })).password, 'loose');
    assert.equal(resolveConnection({ host: 'h', passfile: loose }, base()).password, 'loose');
  });

  it('multiple hosts: one port for all, or one each; each host gets its own password-file match', () => {
    const r = resolveConnection('postgresql://pgpass-host,localhost:5433/db', base());
    assert.deepEqual(
      r.hosts.map((h) => [h.host, h.port, h.passwordSource]),
      [
        ['pgpass-host', 5432, 'pgpass'],
        ['localhost', 5433, 'pgpass'],
      ],
    );
    assert.equal(r.passwordFor(0), 'from-pgpass');
    assert.equal(r.passwordFor(1), 'local-pw');
    assert.equal(r.describe(), 'pgpass-host:5432,localhost:5433/db as osuser');
    assert.deepEqual(resolveConnection('host=a,b port=6000', base()).hosts.map((h) => h.port), [6000, 6000]);
    throwsOneLine(() => resolveConnection('host=a,b,c port=1,2', base()), 'usage', 'could not match 2 port numbers to 3 hosts');
    throwsOneLine(() => resolveConnection('host=a,b hostaddr=10.0.0.1', base()), 'usage', 'could not match 2 host names to 1 hostaddr values');
  });

  it('describe() shows IPv6 in brackets and hostaddr beside the name', () => {
    assert.equal(resolveConnection('postgresql://u@[::1]:6000/db', base()).describe(), '[::1]:6000/db as u');
    assert.equal(resolveConnection('host=db.example.com hostaddr=10.1.2.3 user=u dbname=d', base()).describe(), 'db.example.com (10.1.2.3):5432/d as u');
    assert.equal(resolveConnection('hostaddr=10.1.2.3 user=u', base()).describe(), '10.1.2.3:5432/u as u');
  });

  it('object input: empty values are not given; a dbname holding a connection string is expanded', () => {
    const r = resolveConnection({ host: '', port: 6000, dbname: 'postgresql://x@h2/shop?application_name=a', user: 'later' }, base());
    // the expansion overrides what came before it (not port: the URI has none), later keys override it
    assert.equal(r.describe(), 'h2:6000/shop as later');
    assert.equal(r.params.application_name, 'a');
    throwsOneLine(() => resolveConnection({ hots: 'h' } as never, base()), 'usage', /^invalid connection option "hots"$/);
  });

  const errors: [string, NodeJS.ProcessEnv, string | RegExp][] = [
    ['host=h port=99999', {}, 'invalid port number: "99999"'],
    ['host=h port=abc', {}, 'invalid integer value "abc" for connection option "port"'],
    ['host=h sslmode=required', {}, 'invalid sslmode value: "required"'],
    ['host=h', { PGSSLMODE: 'on' }, 'invalid sslmode value: "on" (from PGSSLMODE)'],
    ['host=h connect_timeout=soon', {}, 'invalid integer value "soon" for connection option "connect_timeout"'],
    ['hostaddr=db.example.com', {}, 'invalid hostaddr value "db.example.com"'],
    ['service=nope', {}, /^definition of service "nope" not found \(looked in ".*\.pg_service\.conf"\)$/],
    ['host=h', { PGSERVICE: 'nope' }, 'definition of service "nope" not found'],
    ['host=h sslrootcert=system sslmode=require', {}, 'weak sslmode "require" may not be used with sslrootcert=system'],
    ['host=h sslnegotiation=direct', {}, 'weak sslmode "prefer" may not be used with sslnegotiation=direct'],
    ['host=h bogus=1', {}, 'invalid connection option "bogus"'],
  ];
  for (const [input, env, pattern] of errors) {
    it(`rejects ${input} ${JSON.stringify(env)} in one line`, () => {
      throwsOneLine(() => resolveConnection(input, base({ env })), 'usage', pattern);
    });
  }

  describe('node-postgres settings', () => {
    it('carries host, port, user, database, password and the libpq extras', () => {
      const c = resolveConnection('postgresql://u:pw@h:6000/d?application_name=app&options=-c%20x%3Dy&connect_timeout=1&keepalives=0&sslmode=disable', base()).toPgClientConfig();
      assert.deepEqual(c, { host: 'h', port: 6000, user: 'u', database: 'd', password: 'pw', ssl: false, application_name: 'app', options: '-c x=y', connectionTimeoutMillis: 2000, keepAlive: false });
      // hostaddr is where it connects
      assert.equal(resolveConnection('host=db hostaddr=10.0.0.9', base()).toPgClientConfig().host, '10.0.0.9');
    });

    it('without a password, asking for one fails in one line instead of reading PGPASSWORD or .pgpass behind our back', () => {
      const c = resolveConnection('host=elsewhere user=u dbname=d', base());
      assert.equal(typeof c.toPgClientConfig().password, 'function');
      const ask = c.toPgClientConfig().password as () => string;
      throwsOneLine(ask, 'usage', /^elsewhere:5432\/d as u asks for a password and there is none: .*the password file ".*\.pgpass" gives none \(no line of it matches\)$/);
    });

    it('maps sslmode', () => {
      const ca = path.join(dir, 'ca.pem');
      fs.writeFileSync(ca, 'CA');
      const ssl = (conninfo: string, h = home) => {
        const r = resolveConnection(conninfo, base({ home: h }));
        return { ssl: r.toPgClientConfig().ssl, notes: r.pgClientNotes() };
      };
      assert.deepEqual(ssl('host=h sslmode=disable').ssl, false);
      const prefer = ssl('host=h');
      assert.equal(prefer.ssl, false);
      assert.match(prefer.notes.join(' '), /sslmode=prefer: node-postgres cannot fall back/);
      assert.deepEqual(ssl('host=h sslmode=require').ssl, { rejectUnauthorized: false });
      const verifyCa = ssl(`host=h sslmode=verify-ca sslrootcert=${ca}`).ssl as Record<string, unknown>;
      assert.equal(verifyCa.rejectUnauthorized, true);
      assert.equal(String(verifyCa.ca), 'CA');
      assert.equal(typeof verifyCa.checkServerIdentity, 'function');
      const verifyFull = ssl(`host=db.example.com hostaddr=10.0.0.1 sslmode=verify-full sslrootcert=${ca}`).ssl as Record<string, unknown>;
      assert.equal(verifyFull.rejectUnauthorized, true);
      assert.equal(verifyFull.checkServerIdentity, undefined);
      assert.equal(verifyFull.servername, 'db.example.com');
      // libpq: require with a root certificate present verifies like verify-ca
      const requireWithCa = ssl(`host=h sslmode=require sslrootcert=${ca}`);
      assert.equal((requireWithCa.ssl as Record<string, unknown>).rejectUnauthorized, true);
      assert.match(requireWithCa.notes.join(' '), /like verify-ca/);
      // sockets never use TLS
      assert.equal(ssl(`host=${sockets} sslmode=require`).ssl, false);
      // verify-* without a root certificate: libpq's error, one line
      throwsOneLine(() => resolveConnection('host=h sslmode=verify-full', base()).toPgClientConfig(), 'not-found', /root certificate file ".*root\.crt" does not exist/);
      // ~/.postgresql/root.crt is the default
      const otherHome = path.join(dir, 'home2');
      fs.mkdirSync(path.join(otherHome, '.postgresql'), { recursive: true });
      fs.writeFileSync(path.join(otherHome, '.postgresql', 'root.crt'), 'HOME-CA');
      assert.equal(String((ssl('host=h sslmode=verify-full', otherHome).ssl as Record<string, unknown>).ca), 'HOME-CA');
    });
  });

  describe('client programs', () => {
    it('argv has --host --port --username --dbname and -w, never a password', () => {
      const r = resolveConnection('postgresql://u:hunter2@h1:5432,h2:5433/shop?sslmode=require&application_name=x', base());
      const args = r.toToolArgs();
      assert.deepEqual(args, ['--host=h1,h2', '--port=5432,5433', '--username=u', '--dbname=shop', '-w']);
      assert.ok(!args.join(' ').includes('hunter2'));
      assert.deepEqual(r.toToolArgs({ dbname: false }), ['--host=h1,h2', '--port=5432,5433', '--username=u', '-w']);
    });

    it('a dbname that looks like a connection string, and keywords without a variable, go in --dbname as keyword=value', () => {
      assert.deepEqual(resolveConnection("host=h user=u dbname='odd=name'", base()).toToolArgs().slice(3), ['--dbname=dbname=odd=name', '-w']);
      assert.deepEqual(resolveConnection('host=h user=u dbname=postgresql://x', base()).toToolArgs().slice(3), ['--dbname=dbname=postgresql://x', '-w']);
      assert.deepEqual(resolveConnection('host=h user=u dbname=d keepalives=0 fallback_application_name=f', base()).toToolArgs().slice(3), [
        '--dbname=dbname=d fallback_application_name=f keepalives=0',
        '-w',
      ]);
      // the program parses that back to the same database name
      assert.equal(parseKeywordValue('dbname=odd=name').dbname, 'odd=name');
    });

    it('the environment carries the rest, and the password only through PGPASSFILE', () => {
      const r = resolveConnection('postgresql://u:hunter2@h/shop?sslmode=require&application_name=x&hostaddr=10.0.0.1', base({ env: { PGCONNECT_TIMEOUT: '5', PGPASSWORD: 'nope' } }));
      assert.equal(r.needsToolPassfile, true);
      assert.throws(() => r.toToolEnv(), /writeTemporaryPassfile/);
      const env = r.toToolEnv({ passfile: '/tmp/x/pgpass' });
      assert.deepEqual(env, { PGHOSTADDR: '10.0.0.1', PGAPPNAME: 'x', PGCONNECT_TIMEOUT: '5', PGSSLMODE: 'require', PGPASSFILE: '/tmp/x/pgpass' });
      assert.equal(r.toolPassfileContent(), '*:*:*:u:hunter2\n');
      // with a base environment: inherited libpq variables go, the rest stays
      const full = r.toToolEnv({ passfile: '/tmp/x/pgpass', base: { PATH: '/bin', PGPASSWORD: 'leak', PGHOST: 'other', PGSERVICE: 's' } });
      assert.deepEqual(full, { PATH: '/bin', PGHOSTADDR: '10.0.0.1', PGAPPNAME: 'x', PGCONNECT_TIMEOUT: '5', PGSSLMODE: 'require', PGPASSFILE: '/tmp/x/pgpass' });
    });

    it('without a password, the program reads the password file we read', () => {
      const r = resolveConnection('host=elsewhere', base({ env: { PGPASSFILE: path.join(dir, 'none') } }));
      assert.equal(r.needsToolPassfile, false);
      assert.equal(r.toolPassfileContent(), undefined);
      assert.deepEqual(r.toToolEnv(), { PGPASSFILE: path.join(dir, 'none') });
    });

    it('different passwords per host get one line each', () => {
      const r = resolveConnection(`host=pgpass-host,${sockets} port=5432,5433`, base());
      assert.equal(r.toolPassfileContent(), `pgpass-host:5432:*:osuser:from-pgpass\n${sockets.replace(/:/g, '\\:')}:5433:*:osuser:local-pw\nlocalhost:5433:*:osuser:local-pw\n`);
    });
  });

  it('keeps the password out of inspect(), JSON and toConninfo()', () => {
    const r = resolveConnection('postgresql://u:hunter2@h/d?sslpassword=keypass', base());
    assert.equal(r.password, 'hunter2');
    for (const shown of [inspect(r, { depth: 10, showHidden: true }), JSON.stringify(r), r.toConninfo(), String(r.params.password)]) {
      assert.ok(!shown.includes('hunter2') && !shown.includes('keypass'), shown);
    }
  });
});
