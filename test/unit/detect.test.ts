import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DumpError } from '../../src/core/errors';
import { detectDump, type DetectedDump } from '../../src/core/formats/detect';

const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);

function run(cmd: string, args: string[], cwd?: string): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function rejectsWith(target: string, code: string, ...parts: (string | RegExp)[]): Promise<string> {
  let result: DetectedDump;
  try {
    result = await detectDump(target);
  } catch (err) {
    assert.ok(err instanceof DumpError, `expected a DumpError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes('\n'), `message is not one line: ${err.message}`);
    assert.ok(err.message.includes(path.basename(target)), `"${err.message}" should name ${path.basename(target)}`);
    for (const part of parts) {
      if (typeof part === 'string') assert.ok(err.message.includes(part), `"${err.message}" should mention "${part}"`);
      else assert.match(err.message, part);
    }
    return err.message;
  }
  assert.fail(`expected DumpError ${code} for ${path.basename(target)}, got ${JSON.stringify(result)}`);
}

/*
 * pg_dumpall 15.18 output, captured from a scratch server holding one database `shop` with one
 * table and a login role (blank-line runs shortened). `pg_dumpall -r` prints the same shape as
 * `-g` here; `-t` prints no section at all when there are no tablespaces.
 */
const CLUSTER_15 = [
  '--',
  '-- PostgreSQL database cluster dump',
  '--',
  '',
  '\\restrict CaqNgJgxpEPvIrnqqkBu6JRNUoSG5aZS8D1NPwzxwMj9W2dVhbogEFnnmzcIPiI',
  '',
  'SET default_transaction_read_only = off;',
  '',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  '',
  '--',
  '-- Roles',
  '--',
  '',
  'CREATE ROLE app_reader;',
  'ALTER ROLE app_reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;',
  'CREATE ROLE postgres;',
  'ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;',
  '',
  '--',
  '-- User Configurations',
  '--',
  '',
  '',
  '\\unrestrict CaqNgJgxpEPvIrnqqkBu6JRNUoSG5aZS8D1NPwzxwMj9W2dVhbogEFnnmzcIPiI',
  '',
  '--',
  '-- Databases',
  '--',
  '',
  '--',
  '-- Database "template1" dump',
  '--',
  '',
  '\\connect template1',
  '',
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict TEfeaYt8l0gZe1dgC44R5nG48A5bp7z0FfyZOoCJDu4GaweUaVAO9FX6DgeXAtX',
  '',
  '-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)',
  '-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)',
  '',
  'SET statement_timeout = 0;',
  'SET lock_timeout = 0;',
  'SET idle_in_transaction_session_timeout = 0;',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'SET check_function_bodies = false;',
  'SET xmloption = content;',
  'SET client_min_messages = warning;',
  'SET row_security = off;',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
  '\\unrestrict TEfeaYt8l0gZe1dgC44R5nG48A5bp7z0FfyZOoCJDu4GaweUaVAO9FX6DgeXAtX',
  '',
  '--',
  '-- Database "postgres" dump',
  '--',
  '',
  '\\connect postgres',
  '',
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict 9uafjftDUlIzgLfxybc77bF0BqzyY2n0xW9dNMpK1HSQ25wXNWeUG5vDlpXG6FD',
  '',
  '-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)',
  '-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)',
  '',
  'SET statement_timeout = 0;',
  'SET lock_timeout = 0;',
  'SET idle_in_transaction_session_timeout = 0;',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'SET check_function_bodies = false;',
  'SET xmloption = content;',
  'SET client_min_messages = warning;',
  'SET row_security = off;',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
  '\\unrestrict 9uafjftDUlIzgLfxybc77bF0BqzyY2n0xW9dNMpK1HSQ25wXNWeUG5vDlpXG6FD',
  '',
  '--',
  '-- Database "shop" dump',
  '--',
  '',
  '--',
  '-- PostgreSQL database dump',
  '--',
  '',
  '\\restrict eHllmBQdHvTQZXOWUTiZbKlg8tUdhQNY8SUk8WTQiwcsn1sTJh7ived8IxctUQm',
  '',
  '-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)',
  '-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)',
  '',
  'SET statement_timeout = 0;',
  'SET lock_timeout = 0;',
  'SET idle_in_transaction_session_timeout = 0;',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'SET check_function_bodies = false;',
  'SET xmloption = content;',
  'SET client_min_messages = warning;',
  'SET row_security = off;',
  '',
  '--',
  '-- Name: shop; Type: DATABASE; Schema: -; Owner: postgres',
  '--',
  '',
  "CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';",
  '',
  '',
  'ALTER DATABASE shop OWNER TO postgres;',
  '',
  '\\unrestrict eHllmBQdHvTQZXOWUTiZbKlg8tUdhQNY8SUk8WTQiwcsn1sTJh7ived8IxctUQm',
  '\\connect shop',
  '\\restrict eHllmBQdHvTQZXOWUTiZbKlg8tUdhQNY8SUk8WTQiwcsn1sTJh7ived8IxctUQm',
  '',
  'SET statement_timeout = 0;',
  'SET lock_timeout = 0;',
  'SET idle_in_transaction_session_timeout = 0;',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  "SELECT pg_catalog.set_config('search_path', '', false);",
  'SET check_function_bodies = false;',
  'SET xmloption = content;',
  'SET client_min_messages = warning;',
  'SET row_security = off;',
  '',
  "SET default_tablespace = '';",
  '',
  'SET default_table_access_method = heap;',
  '',
  '--',
  '-- Name: t; Type: TABLE; Schema: public; Owner: postgres',
  '--',
  '',
  'CREATE TABLE public.t (',
  '    id integer NOT NULL,',
  '    v text',
  ');',
  '',
  '',
  'ALTER TABLE public.t OWNER TO postgres;',
  '',
  '--',
  '-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: postgres',
  '--',
  '',
  'COPY public.t (id, v) FROM stdin;',
  '1\ta',
  '2\tb',
  '\\.',
  '',
  '',
  '--',
  '-- Name: t t_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres',
  '--',
  '',
  'ALTER TABLE ONLY public.t',
  '    ADD CONSTRAINT t_pkey PRIMARY KEY (id);',
  '',
  '',
  '--',
  '-- PostgreSQL database dump complete',
  '--',
  '',
  '\\unrestrict eHllmBQdHvTQZXOWUTiZbKlg8tUdhQNY8SUk8WTQiwcsn1sTJh7ived8IxctUQm',
  '',
  '--',
  '-- PostgreSQL database cluster dump complete',
  '--',
  '',
  '',
].join('\n');

const GLOBALS_15 = [
  '--',
  '-- PostgreSQL database cluster dump',
  '--',
  '',
  '\\restrict Bl09hhV8ShXJiGpzRe2sibfGLXzRjpjbKiwjYrzT7qV8dUov4QfPAVe8ot4gCLv',
  '',
  'SET default_transaction_read_only = off;',
  '',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  '',
  '--',
  '-- Roles',
  '--',
  '',
  'CREATE ROLE app_reader;',
  'ALTER ROLE app_reader WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;',
  'CREATE ROLE postgres;',
  'ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;',
  '',
  '--',
  '-- User Configurations',
  '--',
  '',
  '',
  '\\unrestrict Bl09hhV8ShXJiGpzRe2sibfGLXzRjpjbKiwjYrzT7qV8dUov4QfPAVe8ot4gCLv',
  '',
  '--',
  '-- PostgreSQL database cluster dump complete',
  '--',
  '',
  '',
].join('\n');

const TABLESPACES_ONLY_15 = [
  '--',
  '-- PostgreSQL database cluster dump',
  '--',
  '',
  '\\restrict YgILhr57Mmy2nranyCG8Ki8vtPXjbuZiLp2y6J1yW5f41vIrQVSbefx26arB85D',
  '',
  'SET default_transaction_read_only = off;',
  '',
  "SET client_encoding = 'UTF8';",
  'SET standard_conforming_strings = on;',
  '',
  '',
  '\\unrestrict YgILhr57Mmy2nranyCG8Ki8vtPXjbuZiLp2y6J1yW5f41vIrQVSbefx26arB85D',
  '',
  '--',
  '-- PostgreSQL database cluster dump complete',
  '--',
  '',
  '',
].join('\n');


/** pg_dumpall before 8.4 put `\connect postgres` at the top of every script, globals only or not. */
const GLOBALS_OLD = [
  '--',
  '-- PostgreSQL database cluster dump',
  '--',
  '',
  '\\connect postgres',
  '',
  'SET client_encoding = \'SQL_ASCII\';',
  'SET standard_conforming_strings = off;',
  'SET escape_string_warning = \'off\';',
  '',
  '--',
  '-- Roles',
  '--',
  '',
  'CREATE ROLE postgres;',
  'ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN;',
  '',
  '--',
  '-- PostgreSQL database cluster dump complete',
  '--',
  '',
].join('\n');

/** pg_dumpall 10 and earlier: CREATE DATABASE statements under "Database creation", then `\connect` per database. */
const CLUSTER_10 = [
  '--',
  '-- PostgreSQL database cluster dump',
  '--',
  '',
  'SET default_transaction_read_only = off;',
  '',
  'SET client_encoding = \'UTF8\';',
  'SET standard_conforming_strings = on;',
  '',
  '--',
  '-- Roles',
  '--',
  '',
  'CREATE ROLE postgres;',
  '',
  '--',
  '-- Database creation',
  '--',
  '',
  'CREATE DATABASE shop WITH TEMPLATE = template0 OWNER = postgres;',
  '',
  '\\connect shop',
  '',
  'SET default_transaction_read_only = off;',
  '',
].join('\n');

/** Everything after the globals part of CLUSTER_15 removed except the given lines. */
function clusterWith(...kept: string[]): string {
  const cut = CLUSTER_15.indexOf('\n--\n-- Databases\n--\n');
  return `${CLUSTER_15.slice(0, cut)}\n${kept.join('\n')}\nCREATE TABLE public.t (id integer);\n`;
}

describe('detectDump', function () {
  this.timeout(60_000);
  let tmp: string;
  /** pg18-rich.tar extracted: a directory dump's files, uncompressed. */
  let plainDir: string;
  /** The same with the data files gzip-compressed, as pg_dump -Fd writes them by default. */
  let gzDir: string;

  const file = (name: string, content: string | Buffer): string => {
    const p = path.join(tmp, name);
    writeFileSync(p, content);
    return p;
  };

  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'pgde-detect-'));
    plainDir = path.join(tmp, 'plain', 'mydump');
    mkdirSync(plainDir, { recursive: true });
    run('tar', ['-xf', fixture('pg18-rich.tar'), '-C', plainDir]);
    gzDir = path.join(tmp, 'gz', 'mydump');
    mkdirSync(gzDir, { recursive: true });
    for (const f of readdirSync(plainDir)) {
      if (f === 'restore.sql') continue; // pg_dump -Fd writes no restore.sql
      copyFileSync(path.join(plainDir, f), path.join(gzDir, f));
      if (f.endsWith('.dat') && f !== 'toc.dat') run('gzip', ['-n', f], gzDir);
    }
  });

  after(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('archives', () => {
    it('recognises custom archives', async () => {
      for (const name of ['pg18-rich.custom.dump', 'northwind-pg13.dump', 'pg18-rich.custom-z0.dump']) {
        assert.deepEqual(await detectDump(fixture(name)), { kind: 'custom', path: fixture(name) });
      }
    });

    it('recognises a custom archive whose header is complete though its TOC is cut', async () => {
      const p = file('head-only.dump', readFileSync(fixture('pg18-rich.custom.dump')).subarray(0, 4096));
      assert.equal((await detectDump(p)).kind, 'custom');
    });

    it('recognises a pg_dump tar archive', async () => {
      assert.deepEqual(await detectDump(fixture('pg18-rich.tar')), { kind: 'tar', path: fixture('pg18-rich.tar') });
    });

    it('treats a tar of uncompressed directory files with toc.dat first as a tar archive, junk ignored', async () => {
      const junkDir = path.join(tmp, 'junkfirst');
      mkdirSync(junkDir);
      for (const f of readdirSync(plainDir)) copyFileSync(path.join(plainDir, f), path.join(junkDir, f));
      writeFileSync(path.join(junkDir, '._toc.dat'), 'AppleDouble');
      const members = ['._toc.dat', 'toc.dat', ...readdirSync(plainDir).filter((f) => f !== 'toc.dat')];
      const p = path.join(tmp, 'junkfirst.tar');
      run('tar', ['-cf', p, ...members], junkDir);
      assert.deepEqual(await detectDump(p), { kind: 'tar', path: p });
    });

    it('recognises directory dumps, compressed or not', async () => {
      assert.deepEqual(await detectDump(plainDir), { kind: 'directory', path: plainDir });
      assert.deepEqual(await detectDump(gzDir), { kind: 'directory', path: gzDir });
      const tocGz = path.join(tmp, 'tocgz');
      mkdirSync(tocGz);
      writeFileSync(path.join(tocGz, 'toc.dat.gz'), gzipSync(readFileSync(path.join(plainDir, 'toc.dat'))));
      assert.deepEqual(await detectDump(tocGz), { kind: 'directory', path: tocGz });
    });

    it('finds a directory dump wrapped in a tar file, under a folder or at the top', async () => {
      const nested = path.join(tmp, 'wrapped.tar');
      run('tar', ['-cf', nested, 'mydump'], path.dirname(gzDir));
      assert.deepEqual(await detectDump(nested), { kind: 'wrapped-directory', path: nested, wrapper: 'tar', root: 'mydump' });

      const dotted = path.join(tmp, 'dotted.tar');
      run('tar', ['-cf', dotted, './mydump'], path.dirname(gzDir));
      assert.deepEqual(await detectDump(dotted), { kind: 'wrapped-directory', path: dotted, wrapper: 'tar', root: 'mydump' });

      const top = path.join(tmp, 'top.tar');
      run('tar', ['-cf', top, '.'], gzDir);
      assert.deepEqual(await detectDump(top), { kind: 'wrapped-directory', path: top, wrapper: 'tar', root: '' });
    });

    it('finds a directory dump wrapped in a zip file, ignoring macOS junk', async () => {
      const work = path.join(tmp, 'zipwork');
      mkdirSync(path.join(work, 'backups', 'mydump'), { recursive: true });
      mkdirSync(path.join(work, '__MACOSX', 'backups', 'mydump'), { recursive: true });
      for (const f of readdirSync(gzDir)) copyFileSync(path.join(gzDir, f), path.join(work, 'backups', 'mydump', f));
      writeFileSync(path.join(work, '__MACOSX', 'backups', 'mydump', '._toc.dat'), 'AppleDouble');
      writeFileSync(path.join(work, 'backups', '._toc.dat'), 'AppleDouble');
      const p = path.join(tmp, 'wrapped.zip');
      run('zip', ['-qr', p, 'backups', '__MACOSX'], work);
      assert.deepEqual(await detectDump(p), { kind: 'wrapped-directory', path: p, wrapper: 'zip', root: 'backups/mydump' });

      const plainZip = path.join(tmp, 'plain.zip');
      run('zip', ['-qr', plainZip, 'mydump'], path.dirname(plainDir));
      assert.deepEqual(await detectDump(plainZip), { kind: 'wrapped-directory', path: plainZip, wrapper: 'zip', root: 'mydump' });
    });
  });

  describe('plain SQL', () => {
    it('recognises a pg_dump plain script, uncompressed and gzip-compressed', async () => {
      assert.deepEqual(await detectDump(fixture('pg18-rich.plain.sql')), { kind: 'plain', path: fixture('pg18-rich.plain.sql'), compression: 'none' });
      const gz = path.join(tmp, 'rich.sql.gz');
      execFileSync('sh', ['-c', 'gzip -c "$1" > "$2"', 'sh', fixture('pg18-rich.plain.sql'), gz]);
      assert.deepEqual(await detectDump(gz), { kind: 'plain', path: gz, compression: 'gzip' });
    });

    it('tells a pg_dumpall cluster dump from a globals-only one', async () => {
      assert.deepEqual(await detectDump(file('all.sql', CLUSTER_15)), { kind: 'cluster', path: path.join(tmp, 'all.sql'), compression: 'none' });
      assert.deepEqual(await detectDump(file('globals.sql', GLOBALS_15)), { kind: 'globals', path: path.join(tmp, 'globals.sql'), compression: 'none' });
      assert.equal((await detectDump(file('tablespaces.sql', TABLESPACES_ONLY_15))).kind, 'globals');
      assert.equal((await detectDump(file('globals-crlf.sql', GLOBALS_15.replace(/\n/g, '\r\n')))).kind, 'globals');
      assert.equal((await detectDump(file('all-crlf.sql', CLUSTER_15.replace(/\n/g, '\r\n')))).kind, 'cluster');
    });

    it('accepts each sign of a database on its own', async () => {
      assert.equal((await detectDump(file('c1.sql', clusterWith('--', '-- Databases', '--')))).kind, 'cluster');
      assert.equal((await detectDump(file('c2.sql', clusterWith('--', '-- Database "shop" dump', '--')))).kind, 'cluster');
      assert.equal((await detectDump(file('c3.sql', clusterWith('--', '-- PostgreSQL database dump', '--')))).kind, 'cluster');
      assert.equal((await detectDump(file('c4.sql', clusterWith('\\connect shop')))).kind, 'cluster');
      assert.equal((await detectDump(file('c5.sql', clusterWith('-- Databases are listed below', '-- Drop databases')))).kind, 'globals');
      assert.equal((await detectDump(file('c10.sql', CLUSTER_10))).kind, 'cluster');
      assert.equal((await detectDump(file('globals-old.sql', GLOBALS_OLD))).kind, 'globals');
    });

    it('stops reading a cluster dump once it has seen a database', async () => {
      // A gzip file cut short far after the "Databases" header: reading to the end would fail.
      const filler = Array.from({ length: 60_000 }, (_, i) => `${i}\t${(i * 2654435761) % 4294967296}\t${'x'.repeat(i % 50)}`).join('\n');
      const gz = gzipSync(Buffer.from(`${CLUSTER_15}\nCOPY public.t (id, v) FROM stdin;\n${filler}\n`), { level: 1 });
      assert.ok(gz.length > 256 * 1024, `compressed sample is only ${gz.length} bytes`);
      const cut = file('cut-cluster.sql.gz', gz.subarray(0, gz.length - 100 * 1024));
      assert.deepEqual(await detectDump(cut), { kind: 'cluster', path: cut, compression: 'gzip' });
      // A globals-only dump has to be read to its end, so the same damage is reported there.
      const globals = gzipSync(Buffer.from(`${GLOBALS_15}\n-- ${filler.replace(/\n/g, '\n-- ')}\n`), { level: 1 });
      const cutGlobals = file('cut-globals.sql.gz', globals.subarray(0, globals.length - 100 * 1024));
      await rejectsWith(cutGlobals, 'truncated', 'pg_dumpall');
    });

    it('does not read a huge cluster dump past its Databases header', async () => {
      // 16 GiB, nearly all of it a hole: reading it through would take many seconds.
      const p = file('huge-cluster.sql', `${CLUSTER_15}\nCOPY public.t (id, v) FROM stdin;\n`);
      truncateSync(p, 16 * 1024 ** 3);
      const started = Date.now();
      assert.deepEqual(await detectDump(p), { kind: 'cluster', path: p, compression: 'none' });
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
      rmSync(p);
    });

    it('reads a gzip-compressed pg_dumpall file', async () => {
      assert.deepEqual(await detectDump(file('all.sql.gz', gzipSync(CLUSTER_15))), { kind: 'cluster', path: path.join(tmp, 'all.sql.gz'), compression: 'gzip' });
      assert.equal((await detectDump(file('globals.sql.gz', gzipSync(GLOBALS_15)))).kind, 'globals');
    });
  });

  describe('errors', () => {
    it('reports a path that does not exist', async () => {
      await rejectsWith(path.join(tmp, 'missing.dump'), 'not-found', 'does not exist');
    });

    it('reports an empty file', async () => {
      const msg = await rejectsWith(file('empty.dump', ''), 'not-a-dump');
      assert.equal(msg, 'empty.dump is empty (0 bytes); expected a pg_dump archive or SQL dump');
    });

    it('names common file types', async () => {
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.from('IHDR'), Buffer.alloc(40)]);
      assert.equal(await rejectsWith(file('photo.dump', png), 'not-a-dump'), 'photo.dump looks like a PNG image, not a PostgreSQL dump');
      await rejectsWith(file('pic.dump', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46])), 'not-a-dump', 'looks like a JPEG image');
      await rejectsWith(file('doc.dump', '%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n'), 'not-a-dump', 'looks like a PDF document');
      const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120)]);
      await rejectsWith(file('prog.dump', elf), 'not-a-dump', 'looks like an ELF executable');
      await rejectsWith(file('db.dump', Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(100)])), 'not-a-dump', 'SQLite');
      await rejectsWith(file('x.sql.xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0, 4])), 'unsupported', 'xz-compressed', 'decompress it first');
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('--\n-- PostgreSQL database dump\n--\n', 'utf16le')]);
      await rejectsWith(file('ps.sql', utf16), 'not-a-dump', 'UTF-16');
    });

    it('shows the first bytes of an unknown binary file', async () => {
      const bytes = Buffer.from([0x13, 0xa7, 0x00, 0x42, 0x99, 0x01, 0x02, 0x03, 0x04, 0x05]);
      const msg = await rejectsWith(file('x.dump', bytes), 'not-a-dump');
      assert.equal(
        msg,
        'x.dump is not a PostgreSQL dump: it starts with bytes 13 a7 00 42 99 01 02 03 ...; expected a custom archive (PGDMP), a tar or directory archive, or a plain SQL dump',
      );
    });

    it('quotes the start of a text file that is not a dump', async () => {
      await rejectsWith(file('notes.sql', '\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\n'), 'not-a-dump', 'text file', '"CREATE TABLE t (id int);"', '-- PostgreSQL database dump');
      const restoreSql = path.join(plainDir, 'restore.sql');
      await rejectsWith(restoreSql, 'not-a-dump', 'restore script', '.tar');
    });

    it('reports custom archives cut inside their header', async () => {
      const custom = readFileSync(fixture('pg18-rich.custom.dump'));
      await rejectsWith(file('tiny.dump', custom.subarray(0, 9)), 'truncated', 'cut short');
      await rejectsWith(file('short.dump', custom.subarray(0, 40)), 'truncated', 'header');
      const nw = readFileSync(fixture('northwind-pg13.dump'));
      await rejectsWith(file('nw-short.dump', nw.subarray(0, 60)), 'truncated', 'nw-short.dump');
    });

    it('says what a PGDMP file with another format byte is', async () => {
      await rejectsWith(path.join(plainDir, 'toc.dat'), 'not-a-dump', 'format byte 3', 'open the folder');
      const odd = Buffer.from(readFileSync(fixture('pg18-rich.custom.dump')));
      assert.equal(odd[10], 1); // 1.16: magic, 3 version bytes, int size, offset size, then the format byte
      odd[10] = 9;
      await rejectsWith(file('odd.dump', odd), 'not-a-dump', 'format byte is 9');
      odd[10] = 2;
      await rejectsWith(file('files.dump', odd), 'unsupported', 'format byte 2');
    });

    it('reports a folder without toc.dat, with a hint at a dump one level down', async () => {
      const empty = path.join(tmp, 'not-a-dump-folder');
      mkdirSync(empty);
      writeFileSync(path.join(empty, '3377.dat'), 'x');
      assert.equal(await rejectsWith(empty, 'not-a-dump'), 'folder not-a-dump-folder holds no toc.dat: not a directory-format dump');
      await rejectsWith(path.dirname(gzDir), 'not-a-dump', 'holds no toc.dat', 'subfolder mydump');
    });

    it('reports tar and zip files that hold no dump', async () => {
      const src = path.join(tmp, 'other');
      mkdirSync(src);
      writeFileSync(path.join(src, 'readme.txt'), 'hello\n');
      writeFileSync(path.join(src, 'nightly.dump'), 'PGDMP');
      const tarPath = path.join(tmp, 'x.tar');
      run('tar', ['-cf', tarPath, 'readme.txt'], src);
      assert.equal(await rejectsWith(tarPath, 'not-a-dump'), 'x.tar is a tar file but holds no pg_dump archive (no toc.dat member)');
      const zipPath = path.join(tmp, 'x.zip');
      run('zip', ['-q', zipPath, 'readme.txt', 'nightly.dump'], src);
      await rejectsWith(zipPath, 'not-a-dump', 'is a zip file but holds no pg_dump archive (no toc.dat member)', 'nightly.dump');
    });

    it('refuses a tar or zip holding two directory dumps', async () => {
      const two = path.join(tmp, 'two');
      for (const d of ['a', 'b']) {
        mkdirSync(path.join(two, d), { recursive: true });
        copyFileSync(path.join(plainDir, 'toc.dat'), path.join(two, d, 'toc.dat'));
      }
      const zipPath = path.join(tmp, 'two.zip');
      run('zip', ['-qr', zipPath, 'a', 'b'], two);
      await rejectsWith(zipPath, 'unsupported', '2 directory-format dumps', 'a/', 'b/');
    });

    it('explains compressed archives and compressed files that are not dumps', async () => {
      await rejectsWith(file('rich.dump.gz', gzipSync(readFileSync(fixture('pg18-rich.custom.dump')))), 'unsupported', 'gzip-compressed pg_dump archive', 'decompress it first');
      await rejectsWith(file('rich.tar.gz', gzipSync(readFileSync(fixture('pg18-rich.tar')))), 'unsupported', 'gzip-compressed tar file', 'extract it first');
      const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32)]);
      await rejectsWith(file('photo.png.gz', gzipSync(png)), 'not-a-dump', 'gzip-compressed and looks like a PNG image');
      await rejectsWith(file('notes.txt.gz', gzipSync('just some notes\n')), 'not-a-dump', 'gzip-compressed text', '"just some notes"');
      await rejectsWith(file('broken.gz', Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x03, 0xff, 0xff, 0xff])), 'corrupt', 'cannot be decompressed');
    });
  });

  // lz4 and zstd go through the project's own decompressors; they are tested last.
  describe('lz4 and zstd', () => {
    it('recognises plain and pg_dumpall scripts compressed with lz4 and zstd', async () => {
      const lz4 = path.join(tmp, 'rich.sql.lz4');
      const zst = path.join(tmp, 'rich.sql.zst');
      run('lz4', ['-q', '-f', fixture('pg18-rich.plain.sql'), lz4]);
      run('zstd', ['-q', '-f', fixture('pg18-rich.plain.sql'), '-o', zst]);
      assert.deepEqual(await detectDump(lz4), { kind: 'plain', path: lz4, compression: 'lz4' });
      assert.deepEqual(await detectDump(zst), { kind: 'plain', path: zst, compression: 'zstd' });

      const all = file('all.sql', CLUSTER_15);
      const globals = file('globals.sql', GLOBALS_15);
      run('zstd', ['-q', '-f', all, '-o', `${all}.zst`]);
      run('zstd', ['-q', '-f', globals, '-o', `${globals}.zst`]);
      run('lz4', ['-q', '-f', all, `${all}.lz4`]);
      run('lz4', ['-q', '-f', globals, `${globals}.lz4`]);
      assert.deepEqual(await detectDump(`${all}.zst`), { kind: 'cluster', path: `${all}.zst`, compression: 'zstd' });
      assert.deepEqual(await detectDump(`${globals}.zst`), { kind: 'globals', path: `${globals}.zst`, compression: 'zstd' });
      assert.deepEqual(await detectDump(`${all}.lz4`), { kind: 'cluster', path: `${all}.lz4`, compression: 'lz4' });
      assert.deepEqual(await detectDump(`${globals}.lz4`), { kind: 'globals', path: `${globals}.lz4`, compression: 'lz4' });
    });

    it('explains an lz4-compressed custom archive', async () => {
      const p = path.join(tmp, 'rich.dump.lz4');
      run('lz4', ['-q', '-f', fixture('pg18-rich.custom.dump'), p]);
      await rejectsWith(p, 'unsupported', 'LZ4-compressed pg_dump archive');
    });
  });
});
