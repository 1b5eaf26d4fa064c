/**
 * The pure parts of dumping a cluster: archive file names made safe, the manifest checked, the
 * fallback to --no-role-passwords decided from pg_dumpall's words, and the temporary output.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkTarget, moveIntoPlace, temporaryNameBeside } from '../../src/core/dump/atomicOutput';
import { archiveBaseName, archiveFileNames, CLUSTER_FORMAT, isClusterFolder, parseClusterManifest, readClusterFolder, type ClusterManifest } from '../../src/core/dump/clusterFolder';
import { deniedPgAuthid, errorLines, globalsArgs } from '../../src/core/dump/globals';
import { serverMajor } from '../../src/core/server/session';
import { DumpError } from '../../src/core/errors';
import { detectDump } from '../../src/core/formats/detect';
import { RunError } from '../../src/core/process/run';

const manifest = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  format: CLUSTER_FORMAT,
  formatVersion: 1,
  server: { version: '15.18 (Debian 15.18-0+deb12u1)', versionNum: 150018 },
  tools: { pg_dump: 'pg_dump (PostgreSQL) 15.18', pg_dumpall: 'pg_dumpall (PostgreSQL) 15.18' },
  startedAt: '2026-01-02T03:04:05.000Z',
  finishedAt: '2026-01-02T03:04:09.000Z',
  globals: { file: 'globals.sql', rolesOnly: false, noRolePasswords: false },
  databases: [
    { name: 'postgres', file: 'postgres.dump', databaseBytes: 7_500_000, archiveBytes: 1_200 },
    { name: 'rich', file: 'rich.dump', databaseBytes: 9_000_000, archiveBytes: 80_000 },
  ],
  ...over,
});

function rejectsLine(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DumpError, String(err));
    assert.equal(err.code, code);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('cluster folder: archive file names', () => {
  it('keeps plain names and encodes every other character, so that different names stay different', () => {
    assert.equal(archiveBaseName('rich'), 'rich');
    assert.equal(archiveBaseName('sales_2024-q1'), 'sales_2024-q1');
    assert.equal(archiveBaseName('a.b'), 'a.b');
    assert.equal(archiveBaseName('a b'), 'a%20b');
    assert.equal(archiveBaseName('a_b'), 'a_b');
    assert.equal(archiveBaseName('../etc'), '%2E.%2Fetc');
    assert.equal(archiveBaseName('.hidden'), '%2Ehidden');
    assert.equal(archiveBaseName('x/y\\z:*?"<>|'), 'x%2Fy%5Cz%3A%2A%3F%22%3C%3E%7C');
    assert.equal(archiveBaseName('100%'), '100%25');
    assert.equal(archiveBaseName('Straße'), 'Stra%C3%9Fe');
    assert.equal(archiveBaseName('日本'), '%E6%97%A5%E6%9C%AC');
    assert.equal(archiveBaseName('con'), 'con_');
    assert.equal(archiveBaseName('LPT1'), 'LPT1_');
    assert.equal(archiveBaseName('console'), 'console');
  });

  it('gives names that differ only in case (one file where case is ignored) a suffix, and never collides with globals.sql or manifest.json', () => {
    assert.deepEqual(archiveFileNames(['Sales', 'rich', 'sales', 'SALES', 'globals', 'manifest']), ['Sales.dump', 'rich.dump', 'sales~2.dump', 'SALES~3.dump', 'globals.dump', 'manifest.dump']);
    const names = archiveFileNames(['a b', 'a%20b', 'a_b']);
    assert.equal(new Set(names).size, 3);
    // Every name a database may have (up to 63 bytes) fits in a file name (255 bytes).
    const longest = archiveFileNames(['日'.repeat(21)])[0]!;
    assert.ok(Buffer.byteLength(longest) <= 255, longest);
    assert.ok(archiveFileNames(['x', 'y']).every((n) => !n.includes('/')));
  });
});

describe('cluster folder: the manifest', () => {
  it('reads a manifest as dump-cluster writes it', () => {
    const m: ClusterManifest = parseClusterManifest(JSON.stringify(manifest()));
    assert.equal(m.format, CLUSTER_FORMAT);
    assert.deepEqual(
      m.databases.map((d) => [d.name, d.file]),
      [
        ['postgres', 'postgres.dump'],
        ['rich', 'rich.dump'],
      ],
    );
    assert.equal(m.server.versionNum, 150018);
    assert.equal(m.globals.file, 'globals.sql');
  });

  it('refuses what is not one, a newer format, wrong fields and file names that lead out of the folder, in one line', () => {
    rejectsLine(() => parseClusterManifest('{"name": "my-extension", "manifest_version": 3}'), 'not-a-dump', /not the manifest of a cluster folder/);
    rejectsLine(() => parseClusterManifest('{ nope'), 'corrupt', /not valid JSON/);
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ formatVersion: 2 }))), 'unsupported-version', /format version 2; .* reads up to 1: update it/);
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ server: { version: 15 } }))), 'corrupt', /server is not/);
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ databases: 'rich' }))), 'corrupt', /databases is not a list/);
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ databases: [{ name: 'x', file: '../x.dump', databaseBytes: 1, archiveBytes: 1 }] }))), 'corrupt', /databases\[0\] \(x\): file is not a file name in the folder/);
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ databases: [{ name: 'x', file: '/etc/passwd', databaseBytes: 1, archiveBytes: 1 }] }))), 'corrupt', /not a file name/);
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ globals: { file: '..', rolesOnly: false, noRolePasswords: false } }))), 'corrupt', /globals is not/);
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ databases: [{ name: 'x', file: 'x.dump', databaseBytes: -1, archiveBytes: 1 }] }))), 'corrupt', /whole numbers/);
    const twice = { name: 'x', file: 'x.dump', databaseBytes: 1, archiveBytes: 1 };
    rejectsLine(() => parseClusterManifest(JSON.stringify(manifest({ databases: [twice, { ...twice, file: 'y.dump' }] }))), 'corrupt', /database x is listed twice/);
  });

  it('recognises a folder by its manifest, and says which listed files are missing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-manifest-'));
    try {
      assert.equal(await isClusterFolder(dir), false);
      fs.writeFileSync(path.join(dir, 'manifest.json'), '{"manifest_version": 3}');
      assert.equal(await isClusterFolder(dir), false, 'another tool\'s manifest.json');
      await assert.rejects(readClusterFolder(dir), /not the manifest of a cluster folder/);
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest()));
      assert.equal(await isClusterFolder(dir), true);
      assert.equal(await isClusterFolder(path.join(dir, 'manifest.json')), false, 'a file is no folder');
      fs.writeFileSync(path.join(dir, 'globals.sql'), '');
      fs.writeFileSync(path.join(dir, 'rich.dump'), '');
      await assert.rejects(readClusterFolder(dir), (err: unknown) => err instanceof DumpError && /lacks postgres\.dump, which its manifest\.json lists: it is incomplete/.test(err.message));
      fs.writeFileSync(path.join(dir, 'postgres.dump'), '');
      // Where the dump of one database is expected, it says what the folder is and what to open.
      await assert.rejects(detectDump(dir), (err: unknown) => err instanceof DumpError && err.code === 'cluster-dump' && /is a cluster folder: its databases are the archives in it \(postgres\.dump, rich\.dump\), its roles and tablespaces globals\.sql/.test(err.message));
      const folder = await readClusterFolder(dir);
      assert.equal(folder.globalsPath, path.join(dir, 'globals.sql'));
      assert.deepEqual(folder.databases.map((d) => d.path), [path.join(dir, 'postgres.dump'), path.join(dir, 'rich.dump')]);
      await assert.rejects(readClusterFolder(path.join(dir, 'nope')), /holds no manifest\.json: not a cluster folder/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dumping globals: the fallback and the arguments', () => {
  it('falls back to --no-role-passwords only when pg_authid may not be read', () => {
    assert.equal(deniedPgAuthid(['pg_dumpall: error: query failed: ERROR:  permission denied for table pg_authid', 'pg_dumpall: detail: Query was: SELECT oid, rolname FROM pg_authid']), true);
    assert.equal(deniedPgAuthid(['pg_dumpall: error: query failed: ERROR:  permission denied for relation pg_authid']), true, 'PostgreSQL 10 and older say relation');
    assert.equal(deniedPgAuthid(['pg_dumpall: error: query failed: ERROR:  permission denied for table pg_authid_x']), false);
    assert.equal(deniedPgAuthid(['pg_dumpall: error: connection to server failed: FATAL:  password authentication failed for user "x"']), false);
    assert.equal(deniedPgAuthid(['pg_dumpall: error: query failed: ERROR:  permission denied for table pg_tablespace']), false);
    assert.equal(deniedPgAuthid([]), false);
  });

  it('connects where the user said (-l), asks for the globals or the roles, and writes the file', () => {
    const c = ['--host=h', '--port=5432', '--username=u', '--dbname=app', '-w'];
    const without = ['--host=h', '--port=5432', '--username=u', '-w'];
    // pg_dumpall takes --dbname for a connection string only.
    assert.deepEqual(globalsArgs(c, 'app', '/t/.g.partial', { rolesOnly: false, noRolePasswords: false }), [...without, '--database=app', '--globals-only', '--file=/t/.g.partial']);
    assert.deepEqual(globalsArgs(c, 'app', 'f', { rolesOnly: true, noRolePasswords: true }), [...without, '--database=app', '--roles-only', '--no-role-passwords', '--file=f']);
    const conninfo = ['--host=h', "--dbname=dbname=app keepalives_idle=30", '-w'];
    assert.deepEqual(globalsArgs(conninfo, 'app', 'f', { rolesOnly: false, noRolePasswords: false }), [...conninfo, '--database=app', '--globals-only', '--file=f']);
  });

  it('says what pg_dumpall said, without its prefix', () => {
    const err = new RunError('pg_dumpall exited with code 1', 'pg_dumpall -g', 1, undefined, ['pg_dumpall: error: query failed: ERROR:  boom', 'pg_dumpall: detail: Query was: SELECT 1']);
    assert.deepEqual(errorLines(err), ['query failed: ERROR:  boom']);
    assert.deepEqual(errorLines(new Error('could not run pg_dumpall: x not found')), ['could not run pg_dumpall: x not found']);
  });

  it('the server major from server_version_num', () => {
    assert.equal(serverMajor(150018), 15);
    assert.equal(serverMajor(180001), 18);
    assert.equal(serverMajor(90624), 9);
  });
});

describe('temporary output beside the target', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-atomic-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is a hidden name in the same folder', () => {
    const t = temporaryNameBeside(path.join(dir, 'globals.sql'));
    assert.equal(path.dirname(t), dir);
    assert.match(path.basename(t), /^\.globals\.sql\.partial-[0-9a-f]{8}$/);
  });

  it('refuses to replace without leave, a file where a folder goes, and a missing parent folder', async () => {
    const file = path.join(dir, 'g.sql');
    await checkTarget(file, 'file', false);
    fs.writeFileSync(file, 'old');
    await assert.rejects(checkTarget(file, 'file', false), /exists already/);
    await checkTarget(file, 'file', true);
    await assert.rejects(checkTarget(file, 'folder', true), /is a file, and a folder would be written there/);
    await assert.rejects(checkTarget(path.join(dir, 'nope', 'x'), 'folder', false), /does not exist: create it first/);
  });

  it('moves a file or a folder into place, replacing the old one only when allowed', async () => {
    const file = path.join(dir, 'g.sql');
    fs.writeFileSync(file, 'old');
    const t = temporaryNameBeside(file);
    fs.writeFileSync(t, 'new');
    await assert.rejects(moveIntoPlace(t, file, false), /appeared while the dump ran/);
    await moveIntoPlace(t, file, true);
    assert.equal(fs.readFileSync(file, 'utf8'), 'new');
    const folder = path.join(dir, 'cluster');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'old.dump'), 'old');
    const tf = temporaryNameBeside(folder);
    fs.mkdirSync(tf);
    fs.writeFileSync(path.join(tf, 'new.dump'), 'new');
    await moveIntoPlace(tf, folder, true);
    assert.deepEqual(fs.readdirSync(folder), ['new.dump']);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['cluster', 'g.sql'], 'nothing temporary left');
  });
});
