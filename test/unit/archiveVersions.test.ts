import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { openArchive, type OpenedArchive, withArchive } from '../../src/core/archive';
import { copyRows } from '../../src/core/data/copyRows';
import { DumpError } from '../../src/core/errors';
import { findByQualifiedName } from '../../src/core/model/find';
import { type ArchiveHeader, type CompressionAlgorithm, Section, type TocArchive, type TocEntry } from '../../src/core/model/types';
import { type WriteOptions, type WrittenArchive, writeCustomArchive } from '../support/archiveWriter';

// Archive versions 1.10 to 1.16 and lz4 / zstd custom archives cannot be made with the local
// pg_dump (15, archive 1.14), so the test writer re-encodes a real pg_dump 18 archive into them.
// Where pg_restore 15 can read the result, it checks the writer independently of our reader.

const shared = path.resolve(__dirname, '../../../shared/fixtures');
const SOURCE = path.join(shared, 'pg18-rich.custom-z0.dump');
const projectRoot = path.resolve(__dirname, '../..');
const cliPath = path.join(projectRoot, 'dist', 'cli.js');

const version = (minor: number) => ({ major: 1, minor, rev: 0 });
const CUSTOMER_DATA = 'sales.customer';

/** Every field of an entry that the archive stores (or the reader derives), as plain data. */
function fieldsOf(e: TocEntry) {
  return {
    dumpId: e.dumpId,
    hadDumper: e.hadDumper,
    tableoid: e.tableoid,
    oid: e.oid,
    tag: e.tag,
    desc: e.desc,
    section: e.section,
    defn: e.defn,
    dropStmt: e.dropStmt,
    copyStmt: e.copyStmt,
    namespace: e.namespace,
    tablespace: e.tablespace,
    tableam: e.tableam,
    relkind: e.relkind,
    owner: e.owner,
    withOids: e.withOids,
    dependencies: e.dependencies,
  };
}
type Fields = ReturnType<typeof fieldsOf>;

/** The section pg_restore gives an entry of an archive before 1.11, which stores none (ReadToc). */
function sectionBefore111(desc: string | null): Section {
  if (desc === 'COMMENT' || desc === 'ACL' || desc === 'ACL LANGUAGE') return Section.None;
  if (desc === 'TABLE DATA' || desc === 'BLOBS' || desc === 'BLOB COMMENTS') return Section.Data;
  if (['CONSTRAINT', 'CHECK CONSTRAINT', 'FK CONSTRAINT', 'INDEX', 'RULE', 'TRIGGER'].includes(desc ?? '')) return Section.PostData;
  return Section.PreData;
}

/** What an entry of the source must read as once written in archive 1.`minor`. */
function expectedFields(source: Fields, minor: number): Fields {
  return {
    ...source,
    section: minor >= 11 ? source.section : sectionBefore111(source.desc),
    tableam: minor >= 14 ? source.tableam : null,
    relkind: minor >= 16 ? source.relkind : null,
  };
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

async function rowsOf(a: OpenedArchive, table: string): Promise<string[]> {
  const [entry] = findByQualifiedName(a.archive.entries, table, ['TABLE DATA']);
  assert.ok(entry, `no TABLE DATA for ${table}`);
  const rows: string[] = [];
  for await (const row of copyRows(a.openData(entry))) rows.push(row);
  return rows;
}

/** The decompressed data of every TABLE DATA entry, by dump ID. */
async function tableData(a: OpenedArchive): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  for (const e of a.archive.entries) if (e.desc === 'TABLE DATA') out.set(e.dumpId, await collect(a.openData(e)));
  return out;
}

async function largeObjects(a: OpenedArchive): Promise<{ dumpId: number; oid: number; data: string }[]> {
  const out: { dumpId: number; oid: number; data: string }[] = [];
  for (const e of a.archive.entries.filter((x) => x.desc === 'BLOBS')) {
    for await (const lo of a.largeObjects(e)) out.push({ dumpId: e.dumpId, oid: lo.oid, data: lo.data.toString('hex') });
  }
  return out;
}

/** Awaits `work` and returns the DumpError it must fail with; its message must be one line. */
async function dumpErrorOf(work: () => Promise<unknown>, what: string): Promise<DumpError> {
  try {
    await work();
  } catch (err) {
    assert.ok(err instanceof DumpError, `${what}: expected a DumpError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, `${what}: the message is not one line`);
    return err;
  }
  assert.fail(`${what}: succeeded, but the data is damaged`);
}


describe('archive versions 1.10 to 1.16 and lz4 / zstd data, re-encoded from a pg_dump 18 archive', function () {
  this.timeout(120_000);

  let dir: string;
  let source: OpenedArchive<TocArchive>;
  let sourceHeader: ArchiveHeader;
  let sourceFields: Fields[];
  let sourceCustomerRows: string[];
  let sourceData: Map<number, Buffer>;
  let sourceLargeObjects: { dumpId: number; oid: number; data: string }[];
  let serial = 0;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-versions-'));
    source = await openArchive(SOURCE);
    sourceHeader = source.archive.header;
    sourceFields = source.archive.entries.map(fieldsOf);
    sourceCustomerRows = await rowsOf(source, CUSTOMER_DATA);
    sourceData = await tableData(source);
    sourceLargeObjects = await largeObjects(source);
    // the comparisons below are only worth something if the source has all of this
    assert.equal(sourceHeader.compression, 'none');
    assert.ok(sourceCustomerRows.length > 100);
    assert.equal(sourceLargeObjects.length, 1);
    assert.ok(source.archive.entries.some((e) => e.tablespace === '') && source.archive.entries.some((e) => e.tablespace === null));
  });

  after(async () => {
    await source?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function write(options: WriteOptions): Promise<WrittenArchive> {
    const name = `v1.${options.version.minor}-${options.compression}-${options.offsets ? 'offsets' : 'piped'}-${++serial}.dump`;
    return writeCustomArchive(source, path.join(dir, name), options);
  }

  const byId = (a: OpenedArchive, dumpId: number) => a.archive.entries.find((e) => e.dumpId === dumpId)!;
  const dataEntry = (a: OpenedArchive, table: string) => findByQualifiedName(a.archive.entries, table, ['TABLE DATA'])[0]!;

  /** Where the reader must find each data block, and how large it must say the block is. */
  function assertDataLocations(a: OpenedArchive, written: WrittenArchive): void {
    const blocks = new Map(written.blocks.map((b) => [b.dumpId, b]));
    for (const e of a.archive.entries) {
      const block = blocks.get(e.dumpId);
      if (!e.hadDumper) {
        assert.equal(e.data, null, `entry ${e.dumpId} has no data`);
        continue;
      }
      assert.ok(block, `the writer wrote no block for entry ${e.dumpId}`);
      assert.deepEqual(e.data, { kind: 'offset', offset: block.offset }, `data offset of entry ${e.dumpId}`);
      assert.equal(e.dataSize, block.length, `data size of entry ${e.dumpId}`);
    }
  }

  it('the writer reproduces pg18-rich.custom-z0.dump byte for byte (1.16, no compression, offsets)', async () => {
    const written = await write({ version: version(16), compression: 'none', offsets: true });
    assert.ok(fs.readFileSync(written.file).equals(fs.readFileSync(SOURCE)), 'the re-encoded archive differs from the one pg_dump 18 wrote');
  });

  for (const minor of [10, 11, 12, 13, 14, 15, 16]) {
    it(`1.${minor} with gzip: header, every entry's fields and dependencies, and the rows of ${CUSTOMER_DATA}`, async () => {
      const written = await write({ version: version(minor), compression: 'gzip', offsets: true });
      await withArchive(written.file, async (a) => {
        const h = a.archive.header;
        assert.deepEqual(h.version, version(minor));
        assert.equal(h.formatByte, 1);
        assert.equal(h.intSize, 4);
        assert.equal(h.offSize, 8);
        assert.equal(h.compression, 'gzip');
        // before 1.15 the header stores a zlib level (-1 = default), from 1.15 the algorithm
        assert.equal(h.compressionLevel, minor < 15 ? -1 : null);
        assert.deepEqual(h.createdAt, sourceHeader.createdAt);
        assert.equal(h.dbname, sourceHeader.dbname);
        assert.equal(h.serverVersion, sourceHeader.serverVersion);
        assert.equal(h.pgDumpVersion, sourceHeader.pgDumpVersion);
        assert.equal(h.tocCount, sourceFields.length);
        assert.equal(a.archive.entries.length, sourceFields.length);

        const expected = sourceFields.map((f) => expectedFields(f, minor));
        assert.deepEqual(a.archive.entries.map(fieldsOf), expected);

        const customer = a.archive.entries.find((e) => e.desc === 'TABLE' && e.tag === 'customer')!;
        assert.equal(customer.tablespace, '', 'the default tablespace stays "", not NULL');
        assert.equal(customer.tableam, minor >= 14 ? 'heap' : null);
        assert.equal(customer.relkind, minor >= 16 ? 'r' : null);
        if (minor < 11) {
          // no section stored: pg_restore derives one from desc, which differs for newer kinds
          const policy = a.archive.entries.find((e) => e.desc === 'POLICY')!;
          assert.equal(sourceFields.find((f) => f.dumpId === policy.dumpId)!.section, Section.PostData);
          assert.equal(policy.section, Section.PreData);
        }

        assertDataLocations(a, written);
        assert.deepEqual(a.archive.dataProblems, []);
        assert.deepEqual(await rowsOf(a, CUSTOMER_DATA), sourceCustomerRows);
      });
    });
  }

  it('before 1.15: no compression is level 0, and a piped archive (offsets not set) is found by walking the blocks', async () => {
    const cases: { minor: number; compression: CompressionAlgorithm; offsets: boolean }[] = [
      { minor: 11, compression: 'none', offsets: true },
      { minor: 12, compression: 'gzip', offsets: false },
      { minor: 13, compression: 'none', offsets: false },
    ];
    for (const c of cases) {
      const written = await write({ version: version(c.minor), compression: c.compression, offsets: c.offsets });
      await withArchive(written.file, async (a) => {
        const what = `1.${c.minor} ${c.compression} ${c.offsets ? 'with offsets' : 'piped'}`;
        assert.equal(a.archive.header.compression, c.compression, what);
        assert.equal(a.archive.header.compressionLevel, c.compression === 'gzip' ? -1 : 0, what);
        assertDataLocations(a, written);
        assert.deepEqual(a.archive.dataProblems, [], what);
        assert.deepEqual(await tableData(a), sourceData, what);
        assert.deepEqual(await largeObjects(a), sourceLargeObjects, what);
      });
    }
  });

  for (const minor of [15, 16]) {
    for (const compression of ['lz4', 'zstd'] as const) {
      for (const offsets of [true, false]) {
        it(`1.${minor} with ${compression}, ${offsets ? 'offsets written' : 'piped (offsets not set)'}: all table data and the large object`, async () => {
          const written = await write({ version: version(minor), compression, offsets });
          // order_line's stream is larger than one 4096-byte chunk, so chunks must be joined
          assert.ok(written.blocks.find((b) => b.dumpId === dataEntry(source, 'sales.order_line').dumpId)!.chunks > 1);
          await withArchive(written.file, async (a) => {
            assert.deepEqual(a.archive.header.version, version(minor));
            assert.equal(a.archive.header.compression, compression);
            assert.equal(a.archive.header.compressionLevel, null);
            assert.deepEqual(a.archive.entries.map(fieldsOf), sourceFields.map((f) => expectedFields(f, minor)));
            assertDataLocations(a, written);
            assert.deepEqual(a.archive.dataProblems, []);
            assert.deepEqual(await rowsOf(a, CUSTOMER_DATA), sourceCustomerRows);
            assert.deepEqual(await tableData(a), sourceData);
            assert.deepEqual(await largeObjects(a), sourceLargeObjects);
          });
        });
      }
    }
  }

  it('a stream cut into chunks of 7 bytes reads the same (gzip, lz4, zstd): chunks are slices of one stream', async () => {
    for (const compression of ['gzip', 'lz4', 'zstd'] as const) {
      const written = await write({ version: version(16), compression, offsets: false, chunkSize: 7 });
      await withArchive(written.file, async (a) => {
        assertDataLocations(a, written);
        assert.deepEqual(await tableData(a), sourceData, compression);
        assert.deepEqual(await largeObjects(a), sourceLargeObjects, compression);
      });
    }
  });

  /** The source, with its large object renumbered to an OID that does not fit a signed int. */
  const HIGH_OID = 3_000_000_000;
  function withHighOid(): OpenedArchive {
    return {
      archive: source.archive,
      openData: (e) => source.openData(e),
      largeObjects: async function* (e) {
        for await (const lo of source.largeObjects(e)) yield { oid: HIGH_OID, data: lo.data };
      },
      close: async () => undefined,
    };
  }

  it('a large-object OID of 2^31 or more, stored as a negative int as pg_dump does, reads back unchanged (lz4, zstd)', async () => {
    for (const compression of ['lz4', 'zstd'] as const) {
      const written = await writeCustomArchive(withHighOid(), path.join(dir, `high-oid-${compression}.dump`), { version: version(16), compression, offsets: true });
      await withArchive(written.file, async (a) => {
        assert.deepEqual(await largeObjects(a), sourceLargeObjects.map((lo) => ({ ...lo, oid: HIGH_OID })), compression);
      });
    }
  });

  for (const compression of ['lz4', 'zstd'] as const) {
    for (const offsets of [true, false]) {
      const how = offsets ? 'offsets written' : 'piped';
      const tag = `${compression}-${offsets ? 'offsets' : 'piped'}`;
      it(`${compression}, ${how}: a file cut inside its last data block (BLOBS) names that entry, and reading it fails with one line`, async () => {
        const written = await write({ version: version(16), compression, offsets });
        const last = written.blocks[written.blocks.length - 1]!;
        const cut = path.join(dir, `cut-last-${tag}.dump`);
        fs.writeFileSync(cut, fs.readFileSync(written.file).subarray(0, last.offset + Math.floor(last.length / 2)));
        await withArchive(cut, async (a) => {
          const blobs = byId(a, last.dumpId);
          assert.equal(blobs.desc, 'BLOBS');
          assert.deepEqual(
            a.archive.dataProblems.map((p) => [p.dumpId, p.problem]),
            [[last.dumpId, 'incomplete']],
          );
          await dumpErrorOf(() => largeObjects(a), 'reading the cut-short large objects');
          // the blocks before the cut are whole, and still read
          assert.deepEqual(await rowsOf(a, CUSTOMER_DATA), sourceCustomerRows);
        });
      });

      it(`${compression}, ${how}: a file cut inside a table's data block names that entry and the one after it`, async () => {
        const written = await write({ version: version(16), compression, offsets });
        const orderLine = dataEntry(source, 'sales.order_line').dumpId;
        const block = written.blocks.find((b) => b.dumpId === orderLine)!;
        const after = written.blocks[written.blocks.indexOf(block) + 1]!;
        const cut = path.join(dir, `cut-table-${tag}.dump`);
        fs.writeFileSync(cut, fs.readFileSync(written.file).subarray(0, block.offset + Math.floor(block.length / 2)));
        await withArchive(cut, async (a) => {
          assert.deepEqual(
            a.archive.dataProblems.map((p) => [p.dumpId, p.problem]).sort(),
            [
              [orderLine, 'incomplete'],
              [after.dumpId, 'missing'],
            ].sort(),
          );
          const err = await dumpErrorOf(() => rowsOf(a, 'sales.order_line'), 'reading the cut-short table');
          assert.match(err.message, new RegExp(`TOC entry ${orderLine}\\b`), 'the message names the entry');
          assert.match(err.message, /cut short/);
          assert.deepEqual(await rowsOf(a, CUSTOMER_DATA), sourceCustomerRows);
        });
      });
    }
  }

  it('a compressed stream that ends early inside whole chunk lists fails with a one-line DumpError (gzip, lz4, zstd)', async () => {
    const orderLine = dataEntry(source, 'sales.order_line').dumpId;
    // gzip: drop the Adler-32 trailer; lz4: drop the end mark; zstd: drop the end of the last block
    const drop: Record<'gzip' | 'lz4' | 'zstd', number> = { gzip: 4, lz4: 4, zstd: 3 };
    for (const compression of ['gzip', 'lz4', 'zstd'] as const) {
      const written = await write({
        version: version(16),
        compression,
        offsets: true,
        alterStream: (dumpId, stream) => (dumpId === orderLine ? stream.subarray(0, stream.length - drop[compression]) : stream),
      });
      await withArchive(written.file, async (a) => {
        const err = await dumpErrorOf(() => rowsOf(a, 'sales.order_line'), `${compression} stream without its end`);
        assert.equal(err.code, 'truncated', `${compression}: ${err.message}`);
        assert.deepEqual(await rowsOf(a, CUSTOMER_DATA), sourceCustomerRows, compression);
      });
    }
  });

  describe('pg_restore 15 reads what the writer writes', function () {
    let pgRestore: string | null = null;
    const env = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };

    before(function () {
      // Debian keeps each major's programs in its own directory; PATH may point at a wrapper
      for (const candidate of [path.join('/usr/lib/postgresql', '15', 'bin', 'pg_restore'), 'pg_restore']) {
        const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', env });
        if (probe.status === 0 && /\(PostgreSQL\) 15\./.test(probe.stdout)) {
          pgRestore = candidate;
          break;
        }
      }
      if (!pgRestore) this.skip();
      if (!fs.existsSync(cliPath)) execFileSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'ignore' });
    });

    function restore(args: string[]) {
      return spawnSync(pgRestore!, args, { encoding: 'utf8', env, maxBuffer: 1 << 28 });
    }

    /** Lines of a `-l` listing that name entries (not `;` comments, not blank). */
    const entryLines = (listing: string) => listing.split('\n').filter((l) => l.trim() !== '' && !l.startsWith(';'));
    /** Header lines of a listing that do not depend on the time zone. */
    const headerLines = (listing: string) =>
      listing.split('\n').filter((l) => /^;\s+(dbname|TOC Entries|Compression|Dump Version|Format|Integer|Offset|Dumped from|Dumped by)/.test(l));

    for (const minor of [10, 11, 12, 13, 14]) {
      it(`1.${minor} with gzip: pg_restore -l lists exactly what our list command lists`, async () => {
        const written = await write({ version: version(minor), compression: 'gzip', offsets: minor % 2 === 0 });
        const theirs = restore(['-l', written.file]);
        assert.equal(theirs.status, 0, theirs.stderr);
        const ours = execFileSync(process.execPath, [cliPath, 'list', written.file], { encoding: 'utf8', maxBuffer: 1 << 28 });
        assert.ok(entryLines(theirs.stdout).length > 50);
        assert.deepEqual(entryLines(ours), entryLines(theirs.stdout));
        assert.deepEqual(headerLines(ours), headerLines(theirs.stdout));
        assert.match(theirs.stdout, new RegExp(`^;\\s+Dump Version: 1\\.${minor}-0$`, 'm'));
      });
    }

    for (const [minor, offsets] of [
      [14, true],
      [14, false],
      [12, true],
      [10, false],
    ] as const) {
      it(`1.${minor} with gzip, ${offsets ? 'offsets written' : 'piped'}: pg_restore -f - prints every table's rows and the large object`, async () => {
        const written = await write({ version: version(minor), compression: 'gzip', offsets });
        const script = restore(['-f', '-', written.file]);
        assert.equal(script.status, 0, script.stderr);
        const sql = script.stdout;
        for (const e of source.archive.entries.filter((x) => x.desc === 'TABLE DATA')) {
          const head = e.copyStmt!;
          const start = sql.indexOf(head);
          assert.ok(start >= 0, `the script has no ${head.trim()}`);
          const body = sql.slice(start + head.length);
          const rows = body.slice(0, body.indexOf('\\.\n')).split('\n').slice(0, -1);
          assert.deepEqual(rows, [...copyLines(sourceData.get(e.dumpId)!)], `rows of ${e.namespace}.${e.tag}`);
        }
        const lo = sourceLargeObjects[0]!;
        assert.ok(sql.includes(`SELECT pg_catalog.lowrite(0, '\\x${lo.data}');`), 'the large object bytes');
        // pg_restore reads these through the version gates too: old-style LOs before 1.12, tableam from 1.14
        const open = minor < 12 ? `lo_open(pg_catalog.lo_create('${lo.oid}'), ` : `lo_open('${lo.oid}', `;
        assert.ok(sql.includes(open), `large object opened as ${open}`);
        assert.equal(sql.includes('SET default_table_access_method = heap;'), minor >= 14);
      });
    }

    it('1.14: pg_restore reads a large-object OID of 2^31 or more as the writer stored it (negative int)', async () => {
      const file = path.join(dir, 'high-oid-1.14.dump');
      await writeCustomArchive(withHighOid(), file, { version: version(14), compression: 'gzip', offsets: true });
      const script = restore(['-f', '-', file]);
      assert.equal(script.status, 0, script.stderr);
      assert.ok(script.stdout.includes(`SELECT pg_catalog.lo_open('${HIGH_OID}', `), 'pg_restore opens the large object by its unsigned OID');
      assert.ok(script.stdout.includes(`lowrite(0, '\\x${sourceLargeObjects[0]!.data}')`));
    });

    for (const [minor, compression] of [
      [15, 'gzip'],
      [15, 'lz4'],
      [15, 'zstd'],
      [16, 'gzip'],
    ] as const) {
      it(`1.${minor} with ${compression}: pg_restore 15 refuses it as an unsupported version`, async () => {
        const written = await write({ version: version(minor), compression, offsets: true });
        const theirs = restore(['-l', written.file]);
        assert.notEqual(theirs.status, 0);
        assert.match(theirs.stderr, new RegExp(`unsupported version \\(1\\.${minor}\\) in file header`));
      });
    }
  });
});

/** The rows of COPY text, up to pg_dump's `\.` line. */
function* copyLines(data: Buffer): Generator<string> {
  for (const line of data.toString('utf8').split('\n')) {
    if (line === '\\.') return;
    yield line;
  }
}
