import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type OpenedArchive, openArchive, withArchive } from '../../src/core/archive';
import { copyRows } from '../../src/core/data/copyRows';
import { WALK_LAST_BLOCK_UP_TO } from '../../src/core/formats/archive/customArchive';
import { DumpError } from '../../src/core/errors';
import { findByQualifiedName } from '../../src/core/model/find';
import { formatRestoreList, isListedByDefault, RestoreListWriter } from '../../src/core/model/listing';
import { Section, type TocEntry } from '../../src/core/model/types';

const shared = path.resolve(__dirname, '../../../shared/fixtures');
const fixture = (name: string) => path.join(shared, name);
const plainSql = () => fs.readFileSync(fixture('pg18-rich.plain.sql'), 'utf8');


async function rowsOf(a: OpenedArchive, table: string, limit = Infinity): Promise<string[]> {
  const [entry] = findByQualifiedName(a.archive.entries, table, ['TABLE DATA']);
  assert.ok(entry, `no TABLE DATA for ${table}`);
  const rows: string[] = [];
  for await (const row of copyRows(a.openData(entry), limit)) rows.push(row);
  return rows;
}

/** The rows of a table's COPY block in a plain dump: the reference for what the archive holds. */
function plainCopyRows(sql: string, copyHead: string): string[] {
  const start = sql.indexOf(copyHead);
  assert.ok(start >= 0, `plain dump has no ${copyHead}`);
  const body = sql.slice(sql.indexOf('\n', start) + 1);
  return body.slice(0, body.indexOf('\n\\.\n')).split('\n');
}

/** `-- Name: …; Type: …; Schema: …; Owner: …` headers of a plain dump, as comparable keys. */
function plainHeaders(sql: string): string[] {
  const keys: string[] = [];
  for (const m of sql.matchAll(/^-- (Data for |Statistics for )?Name: (.*); Type: (.*); Schema: (.*); Owner: (.*?)(; Tablespace: .*)?$/gm)) {
    keys.push(`${m[3]}|${m[4]}|${m[2]}|${m[5]}`);
  }
  return keys;
}

const entryKey = (e: TocEntry) => `${e.desc}|${e.namespace ?? '-'}|${(e.tag ?? '').replace(/[\r\n]/g, ' ')}|${e.owner ?? '-'}`;

describe('native archive reader on PostgreSQL 18 archives (1.16)', () => {
  for (const name of ['pg18-rich.custom.dump', 'pg18-rich.custom-z0.dump', 'pg18-rich.tar']) {
    it(`${name}: header as pg_dump 18 wrote it`, async () => {
      await withArchive(fixture(name), async ({ archive }) => {
        const h = archive.header;
        assert.deepEqual(h.version, { major: 1, minor: 16, rev: 0 });
        assert.equal(h.intSize, 4);
        assert.equal(h.offSize, 8);
        assert.equal(h.compressionLevel, null, '1.15+ stores an algorithm, not a level');
        assert.equal(h.compression, name.includes('z0') || name.endsWith('.tar') ? 'none' : 'gzip');
        assert.match(h.pgDumpVersion ?? '', /^18\./);
        assert.equal(h.tocCount, archive.entries.length);
        assert.equal(archive.format, name.endsWith('.tar') ? 'tar' : 'custom');
        assert.deepEqual(archive.dataProblems, []);
      });
    });

    it(`${name}: the listed entries are exactly the plain dump's object headers`, async () => {
      await withArchive(fixture(name), async ({ archive }) => {
        const ours = archive.entries.filter(isListedByDefault).map(entryKey).sort();
        assert.deepEqual(ours, plainHeaders(plainSql()).sort());
      });
    });
  }

  it('keeps NULL and "" apart, and reads relkind', async () => {
    await withArchive(fixture('pg18-rich.custom.dump'), async ({ archive }) => {
      const table = archive.entries.find((e) => e.desc === 'TABLE' && e.tag === 'customer')!;
      assert.equal(table.tablespace, '', 'a table has the default tablespace: ""');
      assert.equal(table.tableam, 'heap');
      assert.equal(table.relkind, 'r');
      const partitioned = archive.entries.find((e) => e.desc === 'TABLE' && e.tag === 'measurement')!;
      assert.equal(partitioned.relkind, 'p');
      const schema = archive.entries.find((e) => e.desc === 'SCHEMA' && e.tag === 'sales')!;
      assert.equal(schema.namespace, null, 'a schema has no namespace: NULL');
      assert.equal(schema.owner, 'app_owner');
      const data = archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'customer')!;
      assert.deepEqual(data.dependencies, [table.dumpId]);
      assert.equal(data.section, Section.Data);
      assert.ok((data.dataSize ?? 0) > 0);
      assert.match(data.copyStmt ?? '', /^COPY sales\.customer \(id, name, email, created\) FROM stdin;/);
      assert.match(table.defn ?? '', /^CREATE TABLE sales\.customer \(/);
    });
  });

  for (const name of ['pg18-rich.custom.dump', 'pg18-rich.custom-z0.dump', 'pg18-rich.custom-stats.dump', 'pg18-rich.tar']) {
    it(`${name}: table data equals the plain dump's COPY blocks`, async () => {
      const sql = plainSql();
      await withArchive(fixture(name), async (a) => {
        assert.deepEqual(await rowsOf(a, 'sales.customer'), plainCopyRows(sql, 'COPY sales.customer '));
        assert.deepEqual(await rowsOf(a, 'sales.order_line'), plainCopyRows(sql, 'COPY sales.order_line '));
        // tabs, newlines and backslashes inside values survive as COPY escapes
        assert.deepEqual(await rowsOf(a, 'Audit Log.Event "Quoted" Name'), plainCopyRows(sql, 'COPY "Audit Log"."Event ""Quoted"" Name" '));
        assert.equal((await rowsOf(a, 'sales.order', 3)).length, 3);
      });
    });
  }

  it('reads the large object of a BLOBS entry', async () => {
    for (const name of ['pg18-rich.custom.dump', 'pg18-rich.tar']) {
      await withArchive(fixture(name), async (a) => {
        const blobs = a.archive.entries.filter((e) => e.desc === 'BLOBS');
        assert.equal(blobs.length, 1);
        const los = [];
        for await (const lo of a.largeObjects(blobs[0]!)) los.push(lo);
        assert.equal(los.length, 1);
        assert.equal(los[0]!.data.toString(), 'large object payload');
        assert.equal(String(los[0]!.oid), blobs[0]!.tag);
      });
    }
  });

  it('lists STATISTICS DATA entries of a --statistics dump, with NULL owners', async () => {
    await withArchive(fixture('pg18-rich.custom-stats.dump'), async ({ archive }) => {
      const stats = archive.entries.filter((e) => e.desc === 'STATISTICS DATA');
      assert.ok(stats.length > 0);
      assert.ok(stats.every((e) => e.owner === null && isListedByDefault(e)));
      const list = formatRestoreList(archive).toString();
      assert.match(list, /^\d+; 0 0 STATISTICS DATA sales customer $/m);
    });
  });
});

describe('list in one pass (the listing written as the TOC is read)', () => {
  for (const name of ['pg18-rich.custom.dump', 'pg18-rich.custom-z0.dump', 'pg18-rich.custom-stats.dump', 'pg18-rich.tar', 'northwind-pg13.dump']) {
    it(`${name}: the same bytes as the listing of the table read before`, async () => {
      const writer = new RestoreListWriter();
      const opened = await openArchive(fixture(name), { tocListener: writer });
      try {
        const oneP = writer.finish(opened.archive);
        assert.ok(oneP.length > 0);
        assert.ok(oneP.equals(formatRestoreList(opened.archive)), 'listings differ');
      } finally {
        await opened.close();
      }
    });
  }

  it('a writer not given the TOC (another archive) lists the archive it is asked for', async () => {
    const writer = new RestoreListWriter();
    await withArchive(fixture('pg18-rich.custom.dump'), async ({ archive }) => {
      assert.ok(writer.finish(archive).equals(formatRestoreList(archive)));
    });
  });
});

describe('a last data block larger than WALK_LAST_BLOCK_UP_TO: checked by its header and its end, not read through', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-last-block-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** The uncompressed fixture with its last block replaced by one of a single chunk of `size` bytes of COPY text. */
  async function withBigLastBlock(size: number): Promise<{ file: string; dumpId: number }> {
    const source = fixture('pg18-rich.custom-z0.dump');
    const bytes = fs.readFileSync(source);
    const last = await withArchive(source, async ({ archive }) => {
      const placed = archive.entries.filter((e) => e.data?.kind === 'offset').map((e) => ({ dumpId: e.dumpId, at: (e.data as { offset: number }).offset }));
      return placed.reduce((a, b) => (b.at > a.at ? b : a));
    });
    const int = (n: number) => Buffer.from([0, n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]);
    const rows = Buffer.alloc(size, 'x');
    for (let k = 99; k < size; k += 100) rows[k] = 10;
    const file = path.join(dir, `big-last-${size}.dump`);
    fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, last.at), Buffer.from([bytes[last.at]!]), int(last.dumpId), int(size), rows, int(0)]));
    return { file, dumpId: last.dumpId };
  }

  it('whole: no problem; cut short: the entry named as incomplete', async () => {
    const { file, dumpId } = await withBigLastBlock(WALK_LAST_BLOCK_UP_TO + (1 << 20));
    assert.deepEqual(await withArchive(file, async ({ archive }) => archive.dataProblems), []);
    const cut = path.join(dir, 'cut.dump');
    fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, fs.statSync(file).size - 1000));
    const problems = await withArchive(cut, async ({ archive }) => archive.dataProblems);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.dumpId, dumpId);
    assert.equal(problems[0]!.problem, 'incomplete');
    assert.match(problems[0]!.detail, /does not end as a whole block does/);
  });
});

describe('opening a custom archive with offsets reads its TOC, not its data blocks', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-block-head-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a damaged block head before the last block: the archive opens, and reading that data fails in one line naming the block', async () => {
    const source = fixture('pg18-rich.custom.dump');
    const bytes = Buffer.from(fs.readFileSync(source));
    const { first, count } = await withArchive(source, async ({ archive }) => {
      const placed = archive.entries.filter((e) => e.desc === 'TABLE DATA' && e.data?.kind === 'offset');
      const byOffset = [...placed].sort((a, b) => (a.data as { offset: number }).offset - (b.data as { offset: number }).offset);
      return { first: byOffset[0]!, count: placed.length };
    });
    assert.ok(count > 1, 'the fixture has several tables with data');
    const at = (first.data as { offset: number }).offset;
    bytes[at] = 0x7f; // not a block type
    const damaged = path.join(dir, 'damaged-head.dump');
    fs.writeFileSync(damaged, bytes);
    await withArchive(damaged, async (opened) => {
      assert.deepEqual(opened.archive.dataProblems, [], 'only the last block is checked at open');
      const entry = opened.archive.entries.find((e) => e.dumpId === first.dumpId)!;
      await assert.rejects(
        async () => {
          for await (const _row of copyRows(opened.openData(entry))) void _row;
        },
        (err: unknown) => err instanceof DumpError && !err.message.includes('\n') && /block/.test(err.message),
      );
    });
  });
});

describe('bad input gets a typed, one-line error', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-bad-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, bytes: Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };

  async function outcome(file: string): Promise<'ok' | 'problems' | DumpError> {
    try {
      return await withArchive(file, async (opened) => {
        const archive = opened.archive;
        // reading every table's data must end, with data or with a DumpError
        for (const e of archive.entries.filter((x) => x.desc === 'TABLE DATA' && x.data)) {
          try {
            for await (const _row of copyRows(opened.openData(e))) void _row;
          } catch (err) {
            if (!(err instanceof DumpError)) throw err;
          }
        }
        return archive.dataProblems.length > 0 ? 'problems' : 'ok';
      });
    } catch (err) {
      if (err instanceof DumpError) {
        assert.doesNotMatch(err.message, /\n/);
        return err;
      }
      throw err;
    }
  }

  it('a custom archive cut at any of 60 offsets: an error or a report of missing data, never success', async () => {
    const bytes = fs.readFileSync(fixture('pg18-rich.custom.dump'));
    for (let i = 1; i <= 60; i++) {
      const cut = Math.floor((bytes.length * i) / 61);
      const result = await outcome(write(`cut-${cut}.dump`, bytes.subarray(0, cut)));
      assert.notEqual(result, 'ok', `cut at ${cut} of ${bytes.length} went unnoticed`);
    }
  });

  it('a file shorter than the header is reported as truncated', async () => {
    const bytes = fs.readFileSync(fixture('pg18-rich.custom.dump'));
    const result = await outcome(write('tiny.dump', bytes.subarray(0, 9)));
    assert.ok(result instanceof DumpError && result.code === 'truncated', String(result));
  });

  it('a string length larger than the file is rejected before allocating it', async () => {
    const bytes = Buffer.from(fs.readFileSync(fixture('pg18-rich.custom.dump')));
    // header: PGDMP, 3 version bytes, intSize, offSize, format, algorithm = 12 bytes; 7 time ints
    const dbnameLength = 12 + 7 * 5;
    bytes.writeUInt32LE(0x7ffffff0, dbnameLength + 1);
    const result = await outcome(write('huge-string.dump', bytes));
    assert.ok(result instanceof DumpError && result.code === 'corrupt', String(result));
    assert.match(result.message, /claims \d+ bytes, more than the file holds/);
  });

  it('an archive version above 1.16 is refused with the version named', async () => {
    const bytes = Buffer.from(fs.readFileSync(fixture('pg18-rich.custom.dump')));
    bytes[6] = 17;
    const result = await outcome(write('v117.dump', bytes));
    assert.ok(result instanceof DumpError && result.code === 'unsupported-version');
    assert.match(result.message, /1\.17/);
  });

  it('a header followed by garbage is an error', async () => {
    const bytes = fs.readFileSync(fixture('pg18-rich.custom.dump'));
    const garbage = Buffer.alloc(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    const result = await outcome(write('garbage.dump', Buffer.concat([bytes.subarray(0, 100), garbage])));
    assert.ok(result instanceof DumpError, String(result));
  });

  it('200 random bit flips: each ends in a result or a DumpError, never another exception', async function () {
    this.timeout(120_000);
    const bytes = fs.readFileSync(fixture('northwind-pg13.dump'));
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 200; i++) {
      const copy = Buffer.from(bytes);
      const at = Math.floor(random() * copy.length);
      copy[at] = copy[at]! ^ (1 << Math.floor(random() * 8));
      await outcome(write('flip.dump', copy)); // throws (failing the test) on anything but DumpError
    }
  });
});
