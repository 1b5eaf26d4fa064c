import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { withArchive } from '../../src/core/archive';
import { copyRows } from '../../src/core/data/copyRows';
import { CopyRowCounter, countArchiveRows, countCopyRows, holdsCopyData } from '../../src/core/data/countRows';
import { DumpError } from '../../src/core/errors';
import type { OpenedArchive } from '../../src/core/formats/archive/openedArchive';
import type { TocEntry } from '../../src/core/model/types';

const shared = path.resolve(__dirname, '../../../shared/fixtures');
const fixture = (name: string) => path.join(shared, name);

/** What copyRows yields for these chunks: the reference count. */
async function referenceCount(chunks: readonly Buffer[]): Promise<number> {
  let n = 0;
  for await (const _row of copyRows(Readable.from(chunks.map((c) => Buffer.from(c))))) n++;
  return n;
}

/** The counter fed these chunks directly. */
function counted(chunks: readonly Buffer[]): number {
  const counter = new CopyRowCounter();
  for (const c of chunks) counter.push(c);
  return counter.finish();
}

/** Every way of cutting `bytes` into two pieces, and into three around each position. */
function splits(bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]];
  for (let i = 0; i <= bytes.length; i++) {
    out.push([bytes.subarray(0, i), bytes.subarray(i)]);
    for (let j = i; j <= Math.min(bytes.length, i + 3); j++) out.push([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]);
  }
  const single: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
  out.push(single);
  return out;
}

/** Deterministic pseudo-random numbers (xorshift32), so failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const BOM = '\uFEFF';

/** Crafted COPY streams, each with the count copyRows gives (checked below too). */
const CRAFTED: { name: string; text: string; rows: number }[] = [
  { name: 'empty stream', text: '', rows: 0 },
  { name: 'empty table', text: '\\.\n', rows: 0 },
  { name: 'empty table, terminator without line feed', text: '\\.', rows: 0 },
  { name: 'three rows', text: '1\ta\n2\tb\n3\tc\n\\.\n', rows: 3 },
  { name: 'rows after the terminator are not counted', text: '1\n2\n\\.\n3\n4\n', rows: 2 },
  { name: 'no terminator, last line ended', text: '1\n2\n3\n', rows: 3 },
  { name: 'no terminator, last line unended', text: '1\n2\n3', rows: 3 },
  { name: 'terminator without line feed at the end', text: '1\n2\n\\.', rows: 2 },
  { name: 'empty lines are rows (one empty text column)', text: '\n\n\n\\.\n', rows: 3 },
  { name: 'lines that only look like the terminator', text: '\\.x\nx\\.\n\\\\.\n \\.\n\\.\r\n\\\n.\n\\.\n', rows: 7 },
  { name: 'escaped line breaks inside values', text: 'a\\nb\\r\\nc\td\\\\n\n\\.\n', rows: 1 },
  { name: 'multibyte characters', text: 'Łódź\tnaïve\n日本語\t😀\n\\.\n', rows: 2 },
  { name: 'a byte order mark before the terminator', text: `${BOM}\\.\n`, rows: 0 },
  { name: 'a byte order mark alone', text: BOM, rows: 0 },
  { name: 'a byte order mark before a row', text: `${BOM}1\n\\.\n`, rows: 1 },
  { name: 'a byte order mark inside the data is data', text: `1\n${BOM}\\.\n\\.\n`, rows: 2 },
];

describe('countRows: counting COPY rows on Buffers', () => {
  for (const { name, text, rows } of CRAFTED) {
    it(`${name}: ${rows} rows, as copyRows, however the stream is cut into chunks`, async () => {
      const bytes = Buffer.from(text, 'utf8');
      assert.equal(await referenceCount([bytes]), rows, 'copyRows, the reference');
      for (const chunks of splits(bytes)) {
        const cuts = chunks.map((c) => c.length).join('+');
        assert.equal(counted(chunks), rows, `chunks ${cuts}`);
        assert.equal(await referenceCount(chunks), rows, `copyRows, chunks ${cuts}`);
      }
      assert.equal(await countCopyRows(Readable.from([bytes])), rows, 'countCopyRows');
    });
  }

  it('random streams in random chunks: the same count as copyRows', async () => {
    const rnd = prng(7);
    const pieces = ['a', 'bc', '\n', '\n', '\\', '.', '\\.', '\\.\n', 'é', '\t', '\\N', BOM];
    for (let round = 0; round < 400; round++) {
      let text = rnd() % 5 === 0 ? BOM : '';
      const length = rnd() % 40;
      for (let i = 0; i < length; i++) text += pieces[rnd() % pieces.length];
      const bytes = Buffer.from(text, 'utf8');
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; ) {
        const size = Math.min(bytes.length - at, rnd() % 6);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const expected = await referenceCount([bytes]);
      assert.equal(counted(chunks), expected, JSON.stringify(text));
      assert.equal(counted([bytes]), expected, JSON.stringify(text));
    }
  });

  it('a large stream in 64 KB chunks: every row counted, the terminator found across a chunk boundary', async () => {
    const rows = 200_000;
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) lines.push(`${i}\tcustomer ${i}\t${i % 7 === 0 ? '\\N' : 'x'.repeat(i % 50)}`);
    const bytes = Buffer.from(`${lines.join('\n')}\n\\.\n`);
    // Put the cut between `\` and `.` of the terminator.
    const cut = bytes.length - 2;
    const chunks: Buffer[] = [];
    for (let at = 0; at < cut; at += 65536) chunks.push(bytes.subarray(at, Math.min(cut, at + 65536)));
    chunks.push(bytes.subarray(cut));
    assert.equal(chunks.at(-1)!.toString(), '.\n');
    assert.equal(counted(chunks), rows);
    assert.equal(await countCopyRows(Readable.from(chunks)), rows);
    assert.equal(await referenceCount(chunks), rows);
  });

  it('a string stream (an encoding set on the Readable) counts the same', async () => {
    const stream = Readable.from([Buffer.from('1\n2\n'), Buffer.from('3\n\\.\n')]).setEncoding('utf8');
    assert.equal(await countCopyRows(stream), 3);
  });

  it('reads on after the terminator, so that damage after it is still reported', async () => {
    const stream = new PassThrough();
    stream.write('1\n2\n\\.\n');
    setImmediate(() => {
      stream.write('what follows the terminator\n');
      setImmediate(() => stream.destroy(new DumpError('truncated', 'the compressed stream ends early')));
    });
    await assert.rejects(countCopyRows(stream), (err: unknown) => err instanceof DumpError && err.code === 'truncated');
  });

  it('an abort stops the reading and rejects with an AbortError; the stream is destroyed', async () => {
    let produced = 0;
    const endless = new Readable({
      read() {
        produced++;
        // As a file or a decompressor does: data arrives on later turns of the event loop.
        setImmediate(() => this.push(Buffer.from('row\n'.repeat(1000))));
      },
    });
    const controller = new AbortController();
    const counting = countCopyRows(endless, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await assert.rejects(counting, (err: unknown) => err instanceof Error && err.name === 'AbortError');
    assert.ok(produced > 0);
    assert.ok(endless.destroyed, 'the stream is released');
    // Already aborted: no reading at all.
    const untouched = Readable.from([Buffer.from('1\n')]);
    await assert.rejects(countCopyRows(untouched, controller.signal), { name: 'AbortError' });
    assert.ok(untouched.destroyed);
  });
});

describe('countArchiveRows on real archives', () => {
  /** Every TABLE DATA entry: the native count equals copyRows' count; returns `schema.table` → rows. */
  async function compareAll(opened: OpenedArchive): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const tableData = opened.archive.entries.filter((e) => e.desc === 'TABLE DATA');
    assert.ok(tableData.length > 0);
    for (const entry of tableData) {
      let reference = 0;
      for await (const _row of copyRows(opened.openData(entry))) reference++;
      const ours = await countArchiveRows(opened, entry);
      assert.equal(ours, reference, `${entry.namespace}.${entry.tag}`);
      counts.set(`${entry.namespace}.${entry.tag}`, ours);
    }
    return counts;
  }

  /** Rows of each COPY block of a plain dump, by its COPY line, counted as lines: an independent reference. */
  function plainCounts(sql: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of sql.matchAll(/^COPY .* FROM stdin;$/gm)) {
      const body = sql.slice(m.index + m[0].length + 1);
      // Up to the line that is exactly `\.` (a value may end in an escaped backslash and a dot).
      const block = body.slice(0, `\n${body}`.indexOf('\n\\.\n'));
      out.set(m[0], block.split('\n').length - 1);
    }
    return out;
  }

  for (const name of ['pg18-rich.custom.dump', 'pg18-rich.custom-z0.dump', 'pg18-rich.tar', 'pg18-rich.custom-stats.dump', 'northwind-pg13.dump']) {
    it(`${name}: every table's count equals copyRows' count`, async () => {
      const counts = await withArchive(fixture(name), compareAll);
      if (name.startsWith('pg18-rich')) {
        assert.equal(counts.get('sales.customer'), 200);
        assert.equal(counts.get('sales.order'), 2000);
        assert.equal(counts.get('sales.order_line'), 6000);
        assert.equal(counts.get('Audit Log.Event "Quoted" Name'), 50);
        assert.equal(counts.get('sales.measurement_2024'), 1);
      } else {
        assert.ok([...counts.values()].some((n) => n > 100), 'northwind has tables of some size');
      }
    });
  }

  it('pg18-rich: the counts equal the COPY blocks of the plain dump of the same database', async () => {
    const plain = plainCounts(fs.readFileSync(fixture('pg18-rich.plain.sql'), 'utf8'));
    assert.ok(plain.size >= 5);
    await withArchive(fixture('pg18-rich.custom.dump'), async (opened) => {
      for (const entry of opened.archive.entries.filter((e) => e.desc === 'TABLE DATA')) {
        const copy = entry.copyStmt!.trimEnd();
        assert.ok(plain.has(copy), `plain dump has COPY ${copy}`);
        assert.equal(await countArchiveRows(opened, entry), plain.get(copy), copy);
      }
    });
  });

  it('refuses entries that are not COPY data, with a one-line DumpError', async () => {
    await withArchive(fixture('pg18-rich.custom.dump'), async (opened) => {
      const table = opened.archive.entries.find((e) => e.desc === 'TABLE' && e.tag === 'order')!;
      await assert.rejects(countArchiveRows(opened, table), (err: unknown) => err instanceof DumpError && err.code === 'usage');
      const data = opened.archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'order')!;
      assert.ok(holdsCopyData(data));
      const inserts = Object.create(data, { copyStmt: { value: '' } }) as TocEntry;
      assert.ok(!holdsCopyData(inserts));
      await assert.rejects(countArchiveRows(opened, inserts), (err: unknown) => err instanceof DumpError && err.code === 'unsupported' && /--inserts/.test(err.message));
    });
  });

  it('an aborted count of archive data rejects with an AbortError', async () => {
    await withArchive(fixture('pg18-rich.custom.dump'), async (opened) => {
      const data = opened.archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'order_line')!;
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(countArchiveRows(opened, data, controller.signal), { name: 'AbortError' });
      // The archive is still usable afterwards.
      assert.equal(await countArchiveRows(opened, data), 6000);
    });
  });
});
