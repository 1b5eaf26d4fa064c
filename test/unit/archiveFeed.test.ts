import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import { countArchiveRows } from '../../src/core/data/countRows';
import { ByteReader } from '../../src/core/formats/archive/byteReader';
import { readHeader, readToc } from '../../src/core/formats/archive/toc';
import type { CompressionAlgorithm, TocArchive, TocEntry } from '../../src/core/model/types';
import { canFeed, feedArchive } from '../../src/core/restore/archiveFeed';
import { writeCustomArchive } from '../support/archiveWriter';

/**
 * The stream a restore feeds pg_restore (archiveFeed.ts), read back block by block as pg_restore
 * reads a custom archive from a pipe: the header says "uncompressed", the TOC is the archive's,
 * and each planned entry's block holds its data, decompressed, in the planned order.
 */

const shared = path.resolve(__dirname, '../../../shared/fixtures');

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** The blocks after the TOC, read in order: type, dump ID, and the data of its chunk lists. */
function blocksOf(r: ByteReader): { type: number; dumpId: number; data: Buffer; objects: { oid: number; data: Buffer }[] }[] {
  const chunkList = () => {
    const parts: Buffer[] = [];
    for (;;) {
      const len = r.int('a chunk length');
      if (len === 0) return Buffer.concat(parts);
      parts.push(r.raw(len, 'a chunk'));
    }
  };
  const out = [];
  while (r.position < r.size) {
    const type = r.byte('a block type');
    const dumpId = r.int('a dump ID');
    if (type === 1) {
      out.push({ type, dumpId, data: chunkList(), objects: [] });
    } else {
      const objects = [];
      for (;;) {
        const oid = r.int('an OID');
        if (oid === 0) break;
        objects.push({ oid: oid >>> 0, data: chunkList() });
      }
      out.push({ type, dumpId, data: Buffer.alloc(0), objects });
    }
  }
  return out;
}

describe('feeding pg_restore: a custom archive with its data uncompressed, rows counted on the way', function () {
  this.timeout(60_000);
  let dir: string;
  let source: OpenedArchive<TocArchive>;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-feed-'));
    source = (await openArchive(path.join(shared, 'pg18-rich.custom-z0.dump'))) as OpenedArchive<TocArchive>;
  });
  after(async () => {
    await source?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: { minor: number; compression: CompressionAlgorithm }[] = [
    { minor: 16, compression: 'gzip' },
    { minor: 16, compression: 'lz4' },
    { minor: 16, compression: 'zstd' },
    { minor: 15, compression: 'none' },
    { minor: 14, compression: 'gzip' },
    { minor: 12, compression: 'none' },
  ];
  for (const { minor, compression } of cases) {
    it(`archive version 1.${minor}, ${compression}: the header says none, the TOC is the same but for the COPY statements replaced, each planned block holds the data decompressed`, async () => {
      const file = path.join(dir, `v${minor}-${compression}.dump`);
      await writeCustomArchive(source, file, { version: { major: 1, minor, rev: 0 }, compression, offsets: true });
      const opened = (await openArchive(file)) as OpenedArchive<TocArchive>;
      try {
        const entries = opened.archive.entries;
        // Planned: every entry, the data ones in reverse order (the order of the -L list is the order pg_restore asks in).
        const withData = entries.filter((e) => e.hadDumper);
        const planned: TocEntry[] = [...entries.filter((e) => !e.hadDumper), ...[...withData].reverse()];
        const countable = withData.filter((e) => e.desc === 'TABLE DATA');
        assert.ok(countable.length >= 3 && withData.some((e) => e.desc === 'BLOBS'), 'the archive has tables and large objects');
        assert.equal(canFeed(opened, planned, 1), true);
        assert.equal(canFeed(opened, planned, 2), false, 'a parallel restore reads the file');

        // Two statements replaced, one longer and one shorter than it was, apart in the TOC.
        const copies = new Map([
          [countable[0]!.dumpId, `${countable[0]!.copyStmt!.trimEnd()} -- a longer statement, é\n`],
          [countable.at(-1)!.dumpId, 'COPY x FROM stdin;\n'],
        ]);
        const feed = feedArchive(opened, planned, countable, copies);
        const fed = await collect(feed.stream);
        assert.equal(feed.failure(), undefined);

        const r = ByteReader.fromBuffer('fed', fed);
        const header = readHeader(r, 'fed');
        assert.equal(header.compression, 'none');
        assert.deepEqual(header.version, opened.archive.header.version);
        const toc = readToc(r, header, 'fed', true);
        assert.equal(toc.count, entries.length);
        assert.deepEqual(Array.from(toc.dumpId.subarray(0, toc.count)), entries.map((e) => e.dumpId));
        for (let i = 0; i < toc.count; i++) {
          const e = entries[i]!;
          for (const field of ['tag', 'desc', 'namespace', 'owner', 'defn', 'dropStmt'] as const) assert.equal(toc.get(i, field), e[field], `${field} of ${e.dumpId}`);
          assert.deepEqual(toc.dependencies(i), e.dependencies);
          assert.equal(toc.get(i, 'copyStmt'), copies.get(e.dumpId) ?? e.copyStmt, `the COPY statement of ${e.dumpId}`);
        }

        const blocks = blocksOf(r);
        assert.deepEqual(blocks.map((b) => b.dumpId), [...withData].reverse().map((e) => e.dumpId));
        for (const b of blocks) {
          const e = entries.find((x) => x.dumpId === b.dumpId)!;
          if (e.desc === 'TABLE DATA') {
            assert.equal(b.type, 1);
            assert.ok(b.data.equals(await collect(opened.openData(e))), `the data of ${e.tag}`);
            assert.equal(await feed.counts.get(e.dumpId), await countArchiveRows(opened, e), `the rows of ${e.tag}`);
          } else {
            assert.equal(b.type, 3);
            const los = [];
            for await (const lo of opened.largeObjects(e)) los.push(lo);
            assert.deepEqual(b.objects.map((o) => [o.oid, o.data.toString('hex')]), los.map((o) => [o.oid, o.data.toString('hex')]));
          }
        }
      } finally {
        await opened.close();
      }
    });
  }

  for (const { minor, compression } of cases) {
    it(`archive version 1.${minor}, ${compression}: a selection is fed with only its entries, those pg_restore reads as it goes, and the tables of its data`, async () => {
      const file = path.join(dir, `trim-v${minor}-${compression}.dump`);
      await writeCustomArchive(source, file, { version: { major: 1, minor, rev: 0 }, compression, offsets: true });
      const opened = (await openArchive(file)) as OpenedArchive<TocArchive>;
      try {
        const entries = opened.archive.entries;
        const data = entries.filter((e) => e.desc === 'TABLE DATA');
        const [whole, dataOnly] = [data[0]!, data.at(-1)!];
        const table = entries.find((e) => e.dumpId === whole.dependencies[0])!;
        // One table with its data, and another table's data alone (its table left to the target).
        const planned = [table, whole, dataOnly];
        const copies = new Map([[whole.dumpId, `${whole.copyStmt!.trimEnd()} -- replaced\n`]]);
        const feed = feedArchive(opened, planned, [whole, dataOnly], copies);
        const fed = await collect(feed.stream);
        assert.equal(feed.failure(), undefined);
        const specials = entries.filter((e) => ['ENCODING', 'STDSTRINGS', 'SEARCHPATH'].includes(e.desc ?? ''));
        assert.ok(specials.length >= 2, 'the archive has the entries pg_restore acts on as it reads');
        const expected = entries.filter((e) => planned.includes(e) || specials.includes(e) || e.dumpId === dataOnly.dependencies[0]);
        assert.deepEqual(feed.sent, { entries: expected.length, of: entries.length });

        const r = ByteReader.fromBuffer('fed', fed);
        const header = readHeader(r, 'fed');
        assert.equal(header.tocCount, expected.length);
        const toc = readToc(r, header, 'fed', true);
        assert.deepEqual(Array.from(toc.dumpId.subarray(0, toc.count)), expected.map((e) => e.dumpId));
        for (let i = 0; i < toc.count; i++) {
          const e = expected[i]!;
          for (const field of ['tag', 'desc', 'namespace', 'owner', 'defn', 'dropStmt'] as const) assert.equal(toc.get(i, field), e[field], `${field} of ${e.dumpId}`);
          assert.deepEqual(toc.dependencies(i), e.dependencies);
          assert.equal(toc.get(i, 'copyStmt'), copies.get(e.dumpId) ?? e.copyStmt, `the COPY statement of ${e.dumpId}`);
        }
        assert.deepEqual(blocksOf(r).map((b) => b.dumpId), [whole.dumpId, dataOnly.dumpId]);
        assert.equal(await feed.counts.get(dataOnly.dumpId), await countArchiveRows(opened, dataOnly));
      } finally {
        await opened.close();
      }
    });
  }

  it('a block that cannot be read ends the stream inside it, says why, and leaves the rows uncounted', async () => {
    const file = path.join(dir, 'damaged.dump');
    const written = await writeCustomArchive(source, file, { version: { major: 1, minor: 16, rev: 0 }, compression: 'gzip', offsets: true, alterStream: (_id, z) => Buffer.concat([z.subarray(0, 20), Buffer.alloc(64, 0x5a), z.subarray(84)]) });
    assert.ok(written.blocks.length > 0);
    const opened = (await openArchive(file)) as OpenedArchive<TocArchive>;
    try {
      const table = opened.archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'customer')!;
      const feed = feedArchive(opened, [table], [table]);
      const fed = await collect(feed.stream);
      assert.match(feed.failure() ?? '', /customer/);
      await assert.rejects(feed.counts.get(table.dumpId)!, /could not be read/);
      // The stream stopped inside the block: no chunk list end after what was sent.
      assert.ok(fed.length > 0);
    } finally {
      await opened.close();
    }
  });
});
