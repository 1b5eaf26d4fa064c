/**
 * The dumps people actually have: archives from pg_dump 9.6 and 10 (format 1.12 and 1.13), in
 * which the public schema is an entry of its own that creates it, and dumps from pg_dump 11 and
 * later, whose public schema entry only comments that initdb creates it. Restored into new
 * databases on the test server (PostgreSQL 15), which have a public schema already.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cli, fixturePath, pgTool, testEnv } from '../support/env';
import { writeOldArchive } from '../support/oldArchive';
import { query } from '../support/pgServer';
import { dropCreatedDatabases, freshDatabase, snapshot } from '../support/targetDb';

const ownerOfPublic = async (db: string) => (await query<{ o: string }>(testEnv().server, db, "select pg_get_userbyid(nspowner) as o from pg_namespace where nspname = 'public'"))[0]?.o;

describe('dumps from PostgreSQL 10 and older: the public schema is an entry that creates it', function () {
  this.timeout(180_000);
  let dir: string;
  const source = () => testEnv().database;

  const file = (minor: 12 | 13) => path.join(dir, `old-1.${minor}.dump`);
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-old-'));
    for (const minor of [12, 13] as const) {
      await writeOldArchive(fixturePath('custom.dump'), file(minor), minor);
      // What we wrote is what pg_restore reads: the public schema's entry of its own.
      const listing = await pgTool('pg_restore', ['-l', file(minor)], { encoding: 'utf8' });
      assert.equal(listing.exitCode, 0, listing.stderr);
      assert.match(listing.stdout, /^\d+; 2615 2200 SCHEMA - public postgres$/m);
    }
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await dropCreatedDatabases();
  });

  for (const minor of [12, 13] as const) {
    describe(`archive format 1.${minor} (pg_dump ${minor === 12 ? '9.6' : '10'})`, () => {

      it('restored whole into a new database: exit 0, the schema used as it is, every table holding the rows of the dump', async () => {
        const db = await freshDatabase(`old${minor}`);
        const r = await cli(['restore', file(minor), '--dbname', db, '--no-owner', '--no-privileges', '--yes'], { encoding: 'utf8' });
        assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
        assert.match(r.stderr, /^info: schema "public" exists in the target: it is used as it is/m);
        assert.doesNotMatch(r.stderr, /^blocking:/m);
        assert.doesNotMatch(r.stderr, /--clean/);
        assert.deepEqual((await snapshot(db)).rows, (await snapshot(source())).rows);
      });

      it('one table with what it needs: exit 0, its rows as in the dump', async () => {
        const db = await freshDatabase(`old${minor}t`);
        const r = await cli(['restore', file(minor), '--dbname', db, '--table', 'public.bulk_rows', '--with-deps', '--no-owner', '--no-privileges', '--yes'], { encoding: 'utf8' });
        assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
        const rows = (await snapshot(db)).rows as Record<string, number>;
        assert.equal(rows['public.bulk_rows'], ((await snapshot(source())).rows as Record<string, number>)['public.bulk_rows']);
        assert.ok(rows['public.bulk_rows']! > 0);
      });

      it('with owners kept (as a superuser): the schema gets the dump\'s owner; a failed restore gives it back', async () => {
        const db = await freshDatabase(`old${minor}o`);
        const before = await ownerOfPublic(db);
        assert.notEqual(before, 'postgres', 'PostgreSQL 15 gives public to pg_database_owner');
        // A table of the dump there already: the restore fails on it, and changes nothing.
        await query(testEnv().server, db, 'create table public.bulk_rows (id int)');
        const failed = await cli(['restore', file(minor), '--dbname', db, '--table', 'public.bulk_rows', '--with-deps', '--yes'], { encoding: 'utf8' });
        assert.equal(failed.exitCode, 5, `${failed.stdout}\n${failed.stderr}`);
        assert.equal(await ownerOfPublic(db), before, 'the schema has its owner back');
        await query(testEnv().server, db, 'drop table public.bulk_rows');
        const ok = await cli(['restore', file(minor), '--dbname', db, '--table', 'public.bulk_rows', '--with-deps', '--yes'], { encoding: 'utf8' });
        assert.equal(ok.exitCode, 0, `${ok.stdout}\n${ok.stderr}`);
        assert.equal(await ownerOfPublic(db), 'postgres');
      });
    });
  }

  it('a non-superuser: the comment on plpgsql, which it may not change, is left out, said as information', async () => {
    const db = await freshDatabase('oldplain');
    const user = `pgdx_old_user_${process.pid}`;
    const { server } = testEnv();
    await query(server, 'postgres', `create role ${user} login`);
    try {
      await query(server, db, `alter database ${db} owner to ${user}`);
      const uri = `postgresql://${user}@${server.host}:${server.port}/${db}`;
      const r = await cli(['restore', file(13), '--dbname', uri, '--no-owner', '--no-privileges', '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, /^info: extension "plpgsql" is installed in the target already: its comment is left out/m);
    } finally {
      await query(server, 'postgres', `drop database if exists "${db}" with (force)`);
      await query(server, 'postgres', `drop role if exists ${user}`);
    }
  });
});

describe('dumps from pg_dump 11 and later: a public schema entry that only says initdb creates it', function () {
  this.timeout(180_000);
  let dir: string;
  let db: string;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-public-'));
    // A database whose public schema belongs to another role: pg_dump writes the schema's entry then.
    db = await freshDatabase('publicowner');
    await query(testEnv().server, db, "alter schema public owner to app_owner; create table public.t (x int primary key); insert into public.t select generate_series(1, 10)");
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await dropCreatedDatabases();
  });

  for (const format of ['plain', 'custom'] as const) {
    it(`${format}: no finding says the schema exists, the restore exits 0, the schema gets its owner`, async () => {
      const file = path.join(dir, format === 'plain' ? 'public.sql' : 'public.dump');
      const dump = await pgTool('pg_dump', ['-d', db, `-F${format[0]}`, '-f', file], { encoding: 'utf8' });
      assert.equal(dump.exitCode, 0, dump.stderr);
      const text = format === 'plain' ? fs.readFileSync(file, 'utf8') : (await pgTool('pg_restore', ['-f', '-', file], { encoding: 'utf8' })).stdout;
      assert.match(text, /-- \*not\* creating schema, since initdb creates it/);
      const target = await freshDatabase(`public${format}`);
      const r = await cli(['restore', file, '--dbname', target, '--yes'], { encoding: 'utf8' });
      assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^(blocking|warning): .*SCHEMA public/m);
      assert.doesNotMatch(r.stderr, /exists in the target/);
      assert.equal(await ownerOfPublic(target), 'app_owner');
      assert.deepEqual((await snapshot(target)).rows, { 'public.t': 10 });
    });
  }
});
