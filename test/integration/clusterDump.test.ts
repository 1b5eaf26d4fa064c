/**
 * Dumping a cluster's globals and a whole cluster from the real PostgreSQL 15 server, and
 * restoring them into PostgreSQL 18 (whose cluster lacks the fixture's roles): the globals with
 * Restore Roles Only, a database from its archive in the cluster folder. A user who may not read
 * pg_authid gets the roles without passwords; a failure and a cancel leave nothing under the
 * target's name, and nothing temporary beside it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withArchive } from '../../src/core/archive';
import { dumpCluster, readClusterFolder, type ClusterEvent, type ClusterResult } from '../../src/core/dump/cluster';
import { dumpGlobals } from '../../src/core/dump/globals';
import { formatRestoreList } from '../../src/core/model/listing';
import { readClusterDump } from '../../src/core/plain/clusterDump';
import { findToolCandidates } from '../../src/core/tools/findTools';
import { cli, pgTool, testEnv } from '../support/env';
import { query, type ServerAddress } from '../support/pgServer';
import { connectionTo, dropCreatedDatabases, freshDatabase } from '../support/targetDb';

const url = (s: ServerAddress, db: string) => `postgresql://${encodeURIComponent(s.user)}@${s.host}:${s.port}/${db}`;
const mode = (p: string) => fs.statSync(p).mode & 0o777;

/** The databases a cluster dump should hold: those one may connect to, templates left out. */
async function connectableDatabases(): Promise<string[]> {
  const rows = await query<{ datname: string }>(testEnv().server, 'postgres', 'select datname from pg_database where not datistemplate and datallowconn order by datname collate "C"');
  return rows.map((r) => r.datname);
}

describe('dumping globals and clusters', function () {
  this.timeout(180_000);
  let work: string;
  /** A login role that is not a superuser, on the 15 server. */
  const plainRole = `pgdx_plain_${process.pid}`;
  const second = () => {
    const s = testEnv().secondServer;
    if (!s) throw new Error('the harness started no second server');
    return s;
  };
  // The globals restored into 18 bring the non-superuser role of these tests too.
  const dropFixtureRolesOnSecond = () => query(second(), 'postgres', `drop role if exists app_owner; drop role if exists app_reader; drop role if exists ${plainRole}`);

  before(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-cluster-'));
    await query(testEnv().server, 'postgres', `create role ${plainRole} login nosuperuser`);
  });

  after(async () => {
    await dropCreatedDatabases();
    await query(testEnv().server, 'postgres', `drop role if exists ${plainRole}`);
    if (testEnv().secondServer) await dropFixtureRolesOnSecond();
    fs.rmSync(work, { recursive: true, force: true });
  });

  /** A new empty folder under the work folder, for one test's output. */
  const place = (name: string) => fs.mkdtempSync(path.join(work, `${name}-`));

  describe('globals', () => {
    it('CLI dump-globals from PostgreSQL 15, then restore globals.sql --roles-only into PostgreSQL 18: the fixture roles arrive', async () => {
      const { server } = testEnv();
      const dir = place('globals');
      const file = path.join(dir, 'globals.sql');
      const r = await cli(['dump-globals', '--dbname', url(server, 'postgres'), '--file', file], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`dumping the roles and tablespaces of ${server.host}:${server.port} \\(PostgreSQL 15\\.\\d+\\) with pg_dumpall 15\\.\\d+ at `));
      assert.match(r.stderr, /wrote .*globals\.sql: \d+ roles, 0 tablespaces \(/);
      assert.doesNotMatch(r.stderr, /pg_authid/, 'a superuser reads the passwords');
      assert.deepEqual(fs.readdirSync(dir), ['globals.sql'], 'nothing temporary left');
      assert.equal(mode(file), 0o600, 'the script holds password hashes');
      const script = await readClusterDump(file);
      assert.equal(script.kind, 'globals');
      for (const role of ['app_owner', 'app_reader', server.user]) assert.ok(script.roles.includes(role), `${role} is in the script`);

      // Not replaced without --yes; replaced with it.
      const again = await cli(['dump-globals', '--dbname', url(server, 'postgres'), '--file', file], { encoding: 'utf8' });
      assert.equal(again.exitCode, 2, again.stderr);
      assert.match(again.stderr, /exists already: choose another name, or add --yes to replace it/);
      const replaced = await cli(['dump-globals', '--dbname', url(server, 'postgres'), '--file', file, '--roles-only', '--yes'], { encoding: 'utf8' });
      assert.equal(replaced.exitCode, 0, replaced.stderr);
      assert.match(replaced.stderr, /dumping the roles of /);
      assert.deepEqual(fs.readdirSync(dir), ['globals.sql']);

      await dropFixtureRolesOnSecond();
      const s = second();
      const restored = await cli(['restore', file, '--roles-only', '--dbname', url(s, 'postgres'), '--yes'], { encoding: 'utf8' });
      assert.equal(restored.exitCode, 0, restored.stderr);
      assert.match(restored.stderr, /created \d+ roles \(.*\bapp_owner\b.*\)/);
      const roles = await query<{ rolname: string }>(s, 'postgres', "select rolname from pg_roles where rolname in ('app_owner', 'app_reader') order by 1");
      assert.deepEqual(roles.map((x) => x.rolname), ['app_owner', 'app_reader']);
    });

    it('as a user who may not read pg_authid: falls back to --no-role-passwords and says so', async () => {
      const { server } = testEnv();
      const dir = place('globals-plain');
      const file = path.join(dir, 'globals.sql');
      const result = await dumpGlobals(connectionTo('postgres', { ...server, user: plainRole }), file);
      assert.equal(result.ok, true, result.errors.join('\n'));
      assert.equal(result.noRolePasswords, true);
      assert.equal(result.notes.length, 1);
      assert.match(result.notes[0]!, /may not read pg_authid .*--no-role-passwords/);
      assert.match(result.command, /--no-role-passwords/);
      const script = await readClusterDump(file);
      assert.ok(script.roles.includes('app_reader') && script.roles.includes(plainRole));
      assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /PASSWORD '/);
      assert.deepEqual(fs.readdirSync(dir), ['globals.sql']);

      // The same through the CLI: one note line.
      const other = path.join(dir, 'again.sql');
      const r = await cli(['dump-globals', '--dbname', url({ ...server, user: plainRole }, 'postgres'), '--file', other], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('note: ')).length, 1, r.stderr);
      assert.match(r.stderr, /^note: this user may not read pg_authid/m);
    });

    it('refuses before starting: no server there (exit 1), a server newer than every pg_dumpall found (exit 1, naming it), usage (exit 2)', async () => {
      const dir = place('globals-refused');
      const file = path.join(dir, 'globals.sql');
      const nobody = await cli(['dump-globals', '--dbname', 'postgresql://postgres@127.0.0.1:1/postgres', '--file', file], { encoding: 'utf8' });
      assert.equal(nobody.exitCode, 1, nobody.stderr);
      assert.match(nobody.stderr, /^pg-dump-explorer: error: could not connect to /m);
      const newest = (await findToolCandidates('pg_dumpall')).find((c) => c.version)?.version?.major ?? 0;
      if (newest < 18) {
        const newer = await cli(['dump-globals', '--dbname', url(second(), 'postgres'), '--file', file], { encoding: 'utf8' });
        assert.equal(newer.exitCode, 1, newer.stderr);
        assert.match(newer.stderr, /the server runs PostgreSQL 18\.\d+, and pg_dumpall must be of major 18 or newer; the newest found is pg_dumpall 15\.\d+/);
      }
      const usage = await cli(['dump-globals', '--file', file], { encoding: 'utf8' });
      assert.equal(usage.exitCode, 2);
      assert.match(usage.stderr, /dump-globals needs --dbname/);
      assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
    });
  });

  describe('a cluster folder', () => {
    let dir: string;
    let result: ClusterResult;
    const events: ClusterEvent[] = [];

    before(async () => {
      dir = path.join(place('cluster'), 'nightly');
      result = await dumpCluster(connectionTo('postgres'), dir, { jobs: 2 }, { onEvent: (e) => events.push(e) });
    });

    it('holds globals.sql and one archive per database that is no template, with a manifest', async () => {
      assert.equal(result.ok, true, result.errors.join('\n'));
      const expected = await connectableDatabases();
      assert.ok(expected.includes('rich') && expected.includes('postgres'));
      const manifest = result.manifest!;
      assert.deepEqual(manifest.databases.map((d) => d.name), expected);
      assert.deepEqual(manifest.databases.map((d) => d.file), expected.map((n) => `${n}.dump`));
      assert.ok(manifest.databases.every((d) => d.databaseBytes > 0 && d.archiveBytes > 0));
      assert.match(manifest.server.version, /^15\.\d+/);
      assert.match(manifest.tools.pg_dump, /^pg_dump \(PostgreSQL\) 15\./);
      assert.match(manifest.tools.pg_dumpall, /^pg_dumpall \(PostgreSQL\) 15\./);
      assert.ok(Date.parse(manifest.startedAt) <= Date.parse(manifest.finishedAt));
      assert.equal(manifest.globals.noRolePasswords, false);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['globals.sql', 'manifest.json', ...manifest.databases.map((d) => d.file)].sort());
      assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['nightly'], 'nothing temporary left beside it');
      assert.equal(mode(dir), 0o700);
      assert.equal(mode(path.join(dir, 'globals.sql')), 0o600);
      // What the Dumps view reads back.
      const folder = await readClusterFolder(dir);
      assert.deepEqual(folder.manifest, manifest);
      // Progress: the globals, then database k of n.
      const done = events.filter((e) => e.kind === 'database' && e.state === 'done').map((e) => (e.kind === 'database' ? `${e.done}/${e.total}` : ''));
      assert.deepEqual(done, expected.map((_, i) => `${i + 1}/${expected.length}`));
      assert.ok(events.findIndex((e) => e.kind === 'globals' && e.state === 'done') < events.findIndex((e) => e.kind === 'database'));
    });

    it('each archive is read natively as pg_restore -l reads it', async () => {
      for (const d of result.manifest!.databases) {
        const file = path.join(dir, d.file);
        const theirs = await pgTool('pg_restore', ['-l', file]);
        assert.equal(theirs.exitCode, 0, theirs.stderr.toString());
        await withArchive(file, async (opened) => {
          assert.equal(opened.archive.format, 'custom');
          assert.equal(opened.archive.header.dbname, d.name);
          assert.deepEqual(opened.archive.dataProblems, []);
          assert.ok(formatRestoreList(opened.archive).equals(theirs.stdout), `${d.file} lists differently`);
        });
      }
    });

    it('restores into PostgreSQL 18 from the folder: the roles from its globals.sql first, then rich from its archive', async () => {
      const s = second();
      await dropFixtureRolesOnSecond();
      const roles = await cli(['restore', dir, '--roles-only', '--dbname', url(s, 'postgres'), '--yes'], { encoding: 'utf8' });
      assert.equal(roles.exitCode, 0, roles.stderr);
      assert.match(roles.stderr, /roles in globals\.sql: \d+; to create: .*app_owner/);
      const db = await freshDatabase('cluster_rich', s);
      const rich = await cli(['restore', dir, '--database', 'rich', '--dbname', url(s, db), '--yes'], { encoding: 'utf8' });
      assert.equal(rich.exitCode, 0, rich.stderr);
      assert.match(rich.stderr, /rows: \d+ of \d+ tables hold what the archive has/);
      const [owner] = await query<{ owner: string }>(s, db, "select pg_get_userbyid(relowner) as owner from pg_class where oid = 'sales.order'::regclass");
      const [source] = await query<{ owner: string }>(testEnv().server, 'rich', "select pg_get_userbyid(relowner) as owner from pg_class where oid = 'sales.order'::regclass");
      assert.equal(owner?.owner, source?.owner, 'owned by the role the globals brought');
      const [rows] = await query<{ n: string }>(s, db, 'select count(*)::text as n from sales."order"');
      const [sourceRows] = await query<{ n: string }>(testEnv().server, 'rich', 'select count(*)::text as n from sales."order"');
      assert.equal(rows?.n, sourceRows?.n);
      // A database the folder does not hold, and no part named at all.
      const missing = await cli(['restore', dir, '--database', 'nope', '--dbname', url(s, db), '--yes'], { encoding: 'utf8' });
      assert.equal(missing.exitCode, 2);
      assert.match(missing.stderr, /holds no database "nope"; it holds .*rich/);
      const whole = await cli(['restore', dir, '--dbname', url(s, db), '--yes'], { encoding: 'utf8' });
      assert.equal(whole.exitCode, 2);
      assert.match(whole.stderr, /is a cluster folder: restore its roles with --roles-only, then a database of it \(.*rich.*\) with --database NAME/);
    });
  });

  it('a cancelled cluster dump leaves no folder under the target name, and nothing temporary', async () => {
    const parent = place('cancelled');
    const dir = path.join(parent, 'nightly');
    const controller = new AbortController();
    let running = false;
    const result = await dumpCluster(connectionTo('postgres'), dir, {}, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.kind === 'database') running = true;
        // A line from pg_dump itself: it is running now.
        if (e.kind === 'output' && running && !controller.signal.aborted) controller.abort();
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.ok, false);
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(fs.readdirSync(parent), []);
  });

  it('a failing cluster dump (a user who may not read rich\'s tables) leaves nothing either, and says which database', async () => {
    const parent = place('failed');
    const dir = path.join(parent, 'nightly');
    const result = await dumpCluster(connectionTo('postgres', { ...testEnv().server, user: plainRole }), dir);
    assert.equal(result.ok, false);
    assert.equal(result.cancelled, false);
    assert.match(result.errors[0] ?? '', /^rich: .*permission denied/);
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(fs.readdirSync(parent), []);
  });

  it('CLI dump-cluster: progress, database k of n; an existing folder replaced only with --yes', async () => {
    const parent = place('cli');
    const dir = path.join(parent, 'nightly');
    const { server } = testEnv();
    const r = await cli(['dump-cluster', '--dbname', url(server, 'postgres'), '--dir', dir, '--jobs', '2'], { encoding: 'utf8' });
    assert.equal(r.exitCode, 0, r.stderr);
    const n = (await connectableDatabases()).length;
    assert.match(r.stderr, new RegExp(`dumping the cluster at ${server.host}:${server.port} \\(PostgreSQL 15\\.\\d+\\): ${n} databases \\(.*\\brich \\d`));
    assert.match(r.stderr, /with pg_dumpall 15\.\d+ at .* and pg_dump 15\.\d+ at .*, 2 databases at a time/);
    assert.match(r.stderr, new RegExp(`^\\[${n}/${n}\\] \\S+ done$`, 'm'));
    assert.match(r.stderr, new RegExp(`wrote .*nightly: globals\\.sql and ${n} archives \\(`));
    const first = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { startedAt: string };
    const refused = await cli(['dump-cluster', '--dbname', url(server, 'postgres'), '--dir', dir], { encoding: 'utf8' });
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr, /exists already: choose another name, or add --yes/);
    const replaced = await cli(['dump-cluster', '--dbname', url(server, 'postgres'), '--dir', dir, '--yes'], { encoding: 'utf8' });
    assert.equal(replaced.exitCode, 0, replaced.stderr);
    const second = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { startedAt: string };
    assert.notEqual(second.startedAt, first.startedAt, 'the folder was replaced');
    assert.deepEqual(fs.readdirSync(parent), ['nightly'], 'nothing temporary, and the old folder gone');
    const usage = await cli(['dump-cluster', '--dbname', url(server, 'postgres'), '--dir', dir, '--jobs', '0'], { encoding: 'utf8' });
    assert.equal(usage.exitCode, 2);
    assert.match(usage.stderr, /--jobs takes a whole number of at least 1/);
  });
});
