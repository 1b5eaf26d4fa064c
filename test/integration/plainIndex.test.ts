/**
 * The plain-dump index against the archive of the same database, the real pg_dump's plain
 * output, gzip, and the CLI's `index` command.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { withArchive } from '../../src/core/archive';
import { countArchiveRows } from '../../src/core/data/countRows';
import { indexPlainDump, PlainIndexer } from '../../src/core/plain/indexer';
import { cli, fixturePath, sharedFixture } from '../support/env';

/** Archive entries pg_dump's plain output has no header for: SET statements, and the database itself without --create. */
const WITHOUT_HEADER = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH', 'DATABASE']);
const key = (e: { desc: string | null; namespace: string | null; tag: string | null; owner: string | null }) => `${e.desc}|${e.namespace ?? '-'}|${e.tag}|${e.owner ?? '-'}`;

describe('plain dump index', () => {
  const pairs = [
    ['PostgreSQL 15 fixtures', () => fixturePath('custom.dump'), () => fixturePath('plain.sql')],
    ['PostgreSQL 18 shared fixtures', () => sharedFixture('pg18-rich.custom.dump'), () => sharedFixture('pg18-rich.plain.sql')],
  ] as const;

  for (const [name, archive, plain] of pairs) {
    // Same objects; the order differs as pg_restore's does: ACLs come in a pass of their own near
    // the end, after them materialized view refreshes.
    it(`${name}: the same objects as the archive of the same database`, async () => {
      const idx = await indexPlainDump(plain());
      const expected = await withArchive(archive(), async (o) =>
        o.archive.entries.filter((e) => !WITHOUT_HEADER.has(e.desc ?? '') && !(e.desc === 'COMMENT' && e.tag?.startsWith('DATABASE '))).map(key),
      );
      assert.deepEqual(idx.entries.map(key).sort(), expected.sort());
      assert.ok(idx.entries.length > 50);
    });

    it(`${name}: sections tile the file from the preamble to the trailer, each opening with its header`, async () => {
      const idx = await indexPlainDump(plain());
      const text = fs.readFileSync(plain());
      let at = idx.preambleLength;
      for (const e of idx.entries) {
        assert.equal(e.offset, at, `${key(e)} starts where the previous section ends`);
        const head = text.toString('utf8', e.offset, e.offset + 200);
        assert.match(head, /^--\n-- (Data for |Statistics for )?Name: /, key(e));
        at = e.offset + e.length;
      }
      assert.match(text.toString('utf8', at, at + 60), /^--\n-- PostgreSQL database dump complete/);
      assert.equal(idx.size, text.length);
    });
  }

  it('counts the COPY rows of each table as the archive holds them', async () => {
    const idx = await indexPlainDump(fixturePath('plain.sql'));
    const data = idx.entries.filter((e) => e.desc === 'TABLE DATA');
    assert.ok(data.length >= 8);
    await withArchive(fixturePath('custom.dump'), async (o) => {
      for (const e of data) {
        const entry = o.archive.entries.find((x) => x.desc === 'TABLE DATA' && x.namespace === e.namespace && x.tag === e.tag);
        assert.ok(entry, key(e));
        assert.equal(e.rows, await countArchiveRows(o, entry), key(e));
      }
    });
  });

  it('a .sql.gz gives the same index, with offsets of the SQL text', async () => {
    const plain = await indexPlainDump(fixturePath('plain.sql'));
    const gz = await indexPlainDump(fixturePath('plain.sql.gz'));
    assert.deepEqual(gz.entries, plain.entries);
    assert.equal(gz.compression, 'gzip');
    assert.equal(gz.size, plain.size);
    assert.ok(gz.restrictKey && gz.restrictKey === plain.restrictKey);
  });

  it('gives the same index whatever the chunk boundaries', async () => {
    const text = fs.readFileSync(fixturePath('plain.sql'));
    const whole = new PlainIndexer();
    whole.push(text);
    whole.finish();
    for (const size of [1, 2, 3, 5, 7, 64, 4093]) {
      const indexer = new PlainIndexer();
      for (let i = 0; i < text.length; i += size) indexer.push(text.subarray(i, i + size));
      indexer.finish();
      assert.deepEqual(indexer.entries, whole.entries, `chunks of ${size} bytes`);
    }
  });

  it('a header look-alike inside a function body is not a section; an empty COPY block has 0 rows', () => {
    const sql = [
      '--', '-- Name: f(); Type: FUNCTION; Schema: public; Owner: me', '--', '',
      'CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$', '-- Name: fake; Type: TABLE; Schema: public; Owner: me', 'select 1', '$$;', '',
      '--', '-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: me', '--', '',
      'COPY public.t (x) FROM stdin;', '\\.', '', '',
      '--', '-- PostgreSQL database dump complete', '--', '',
    ].join('\n');
    const indexer = new PlainIndexer();
    indexer.push(Buffer.from(sql));
    indexer.finish();
    assert.deepEqual(indexer.entries.map((e) => [e.desc, e.tag, e.rows]), [
      ['FUNCTION', 'f()', undefined],
      ['TABLE DATA', 't', 0],
    ]);
  });

  it('index: tab-separated lines, --json with an entries array, one-line errors for other dumps', async () => {
    const text = await cli(['index', fixturePath('plain.sql')], { encoding: 'utf8' });
    assert.equal(text.exitCode, 0, text.stderr);
    const first = text.stdout.split('\n')[0]!.split('\t');
    assert.equal(first.length, 6);
    assert.deepEqual(first.slice(2), ['SCHEMA', '-', 'Audit Log', 'postgres']);
    const json = await cli(['index', fixturePath('plain.sql.gz'), '--json'], { encoding: 'utf8' });
    const parsed = JSON.parse(json.stdout) as { entries: { desc: string; namespace: string | null; tag: string; owner: string; offset: number; length: number }[] };
    assert.equal(parsed.entries.length, text.stdout.trim().split('\n').length);
    for (const k of ['desc', 'namespace', 'tag', 'owner', 'offset', 'length']) assert.ok(k in parsed.entries[0]!, k);
    const bad = await cli(['index', fixturePath('custom.dump')], { encoding: 'utf8' });
    assert.equal(bad.exitCode, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /custom archive, not a plain SQL dump/);
  });
});
