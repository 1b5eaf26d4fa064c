/**
 * Reading pieces of a plain dump by byte range (uncompressed and gzip), COPY data pages, and the
 * on-disk cache of indexes. The dump is pg_dump 18.3's plain output of the shared `pg18-rich`
 * database, gzipped here for the compressed cases.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DumpError } from '../../src/core/errors';
import { cacheFileFor, readCachedIndex, stampOf, writeCachedIndex } from '../../src/core/plain/indexCache';
import { indexPlainDump } from '../../src/core/plain/indexer';
import { readCopyPage, readSection, type PlainSource } from '../../src/core/plain/sectionReader';

const RICH = path.resolve(__dirname, '../../../shared/fixtures/pg18-rich.plain.sql');
const text = readFileSync(RICH);

describe('plain section reader', () => {
  let dir: string;
  let sources: PlainSource[];
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pgdx-sections-'));
    const gz = path.join(dir, 'rich.sql.gz');
    writeFileSync(gz, gzipSync(text));
    sources = [
      { path: RICH, compression: 'none' },
      { path: gz, compression: 'gzip' },
    ];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads each section as the bytes at its offsets, from .sql and .sql.gz', async () => {
    const index = await indexPlainDump(RICH);
    for (const source of sources) {
      for (const e of index.entries.filter((x) => x.desc !== 'TABLE DATA')) {
        const { text: got, truncated } = await readSection(source, e.offset, e.length);
        assert.equal(truncated, false);
        assert.ok(got.equals(text.subarray(e.offset, e.offset + e.length)), `${source.compression}: ${e.desc} ${e.tag}`);
      }
    }
  });

  it('cuts a long section after a whole line', async () => {
    const index = await indexPlainDump(RICH);
    const order = index.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'order')!;
    const { text: got, truncated } = await readSection(sources[0]!, order.offset, order.length, { maxBytes: 1000 });
    assert.equal(truncated, true);
    assert.ok(got.length <= 1000 && got.length > 500);
    assert.equal(got[got.length - 1], 0x0a);
    assert.ok(got.equals(text.subarray(order.offset, order.offset + got.length)));
  });

  it('pages through a COPY block: the rows as pg_dump wrote them, in order, to the end', async () => {
    const index = await indexPlainDump(RICH);
    const data = index.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'customer')!;
    const sectionText = text.toString('utf8', data.offset, data.offset + data.length);
    const expected = sectionText.slice(sectionText.indexOf('\nCOPY ') + 1).split('\n');
    const copyStatement = expected.shift()!;
    expected.length = expected.indexOf('\\.');
    assert.equal(expected.length, 200);
    for (const source of sources) {
      const rows: string[] = [];
      let page = await readCopyPage(source, data, { count: 64 });
      assert.equal(page.copyStatement, copyStatement);
      assert.equal(copyStatement, 'COPY sales.customer (id, name, email, created) FROM stdin;');
      rows.push(...page.rows);
      while (page.next !== null) {
        page = await readCopyPage(source, data, { count: 64, at: page.next, firstRow: rows.length });
        assert.equal(page.firstRow, rows.length);
        rows.push(...page.rows);
      }
      assert.deepEqual(rows, expected, source.compression);
    }
  });

  it('ends a page on the last row without promising another', async () => {
    const index = await indexPlainDump(RICH);
    const data = index.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'measurement_2024')!;
    const page = await readCopyPage(sources[0]!, data, { count: data.rows! });
    assert.equal(page.rows.length, data.rows);
    assert.equal(page.next, null);
  });

  it('stops when cancelled, with one line', async () => {
    const index = await indexPlainDump(RICH);
    const data = index.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'order_line')!;
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(readCopyPage(sources[1]!, data, { count: 10, signal: controller.signal }), (err: unknown) => err instanceof DumpError && /cancelled/.test(err.message));
  });

  it('says the file changed when a range lies past its end', async () => {
    await assert.rejects(readSection(sources[0]!, text.length - 10, 100), (err: unknown) => err instanceof DumpError && /changed since it was indexed/.test(err.message) && !err.message.includes('\n'));
  });
});

describe('plain index cache', () => {
  let dir: string;
  let dump: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pgdx-cache-'));
    dump = path.join(dir, 'rich.sql');
    writeFileSync(dump, text);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back the index it stored while the dump is unchanged', async () => {
    const cacheDir = path.join(dir, 'cache');
    const index = await indexPlainDump(dump);
    const stamp = await stampOf(dump);
    assert.equal(await readCachedIndex(cacheDir, dump, stamp), null, 'nothing cached yet');
    await writeCachedIndex(cacheDir, dump, stamp, index);
    assert.deepEqual(await readCachedIndex(cacheDir, dump, stamp), index);
  });

  it('ignores the cache when the dump\'s size or time changed, or the file is damaged', async () => {
    const cacheDir = path.join(dir, 'cache2');
    const index = await indexPlainDump(dump);
    const stamp = await stampOf(dump);
    await writeCachedIndex(cacheDir, dump, stamp, index);
    const later = new Date(stamp.mtimeMs + 5_000);
    utimesSync(dump, later, later);
    const touched = await stampOf(dump);
    assert.notEqual(touched.mtimeMs, stamp.mtimeMs);
    assert.equal(await readCachedIndex(cacheDir, dump, touched), null, 'another mtime');
    assert.equal(await readCachedIndex(cacheDir, dump, { ...stamp, size: stamp.size + 1 }), null, 'another size');
    writeFileSync(cacheFileFor(cacheDir, dump), '{"format":1,"path":');
    assert.equal(await readCachedIndex(cacheDir, dump, stamp), null, 'half a file');
    writeFileSync(cacheFileFor(cacheDir, dump), JSON.stringify({ format: 0, path: path.resolve(dump), ...stamp, index }));
    assert.equal(await readCachedIndex(cacheDir, dump, stamp), null, 'an older format');
  });
});
