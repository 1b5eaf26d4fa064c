import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openArchive, withArchive, type OpenedArchive } from '../../src/core/archive';
import { openProblem } from '../../src/core/errorAdvice';
import { DumpError } from '../../src/core/errors';
import { directoryOfToc } from '../../src/core/formats/detect';
import { EntryRows, MAX_ROWS_PER_REQUEST, searchTerms } from '../../src/core/model/entryRows';
import { formatRestoreList } from '../../src/core/model/listing';
import { compressionText, summarizeArchive } from '../../src/core/model/summary';
import type { Archive, ArchiveHeader, TocArchive } from '../../src/core/model/types';
import { archiveWarnings, type WarningInput } from '../../src/core/tools/archiveWarnings';
import { formatBytes } from '../../src/core/units';
import { parseToolVersion, type CandidateSource, type ToolCandidate } from '../../src/core/tools/findTools';
import { writeCustomArchive } from '../support/archiveWriter';
import { sharedFixture } from '../support/env';

/** A pg_restore as findToolCandidates would report it, from what `--version` printed. */
function pgRestore(versionLine: string | null, where = '/usr/lib/postgresql/15/bin/pg_restore', source: CandidateSource = 'debian', problem?: string): ToolCandidate {
  return { tool: 'pg_restore', path: where, realPath: where, source, version: versionLine ? parseToolVersion(versionLine) : null, ...(problem ? { problem } : {}) };
}

const PG15 = pgRestore('pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)', '/usr/bin/pg_restore', 'PATH');
const PG13 = pgRestore('pg_restore (PostgreSQL) 13.2', '/usr/lib/postgresql/13/bin/pg_restore');
const PG17 = pgRestore('pg_restore (PostgreSQL) 17.2', '/usr/lib/postgresql/17/bin/pg_restore');

/** The lines `pg_restore -l` prints for entries (those not starting with `;`). */
function listedLines(a: Archive): string[] {
  return formatRestoreList(a)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith(';'));
}

describe('archive summary', () => {
  let rich: OpenedArchive<TocArchive>;
  let northwind: OpenedArchive<TocArchive>;
  before(async () => {
    rich = await openArchive(sharedFixture('pg18-rich.custom.dump'));
    northwind = await openArchive(sharedFixture('northwind-pg13.dump'));
  });
  after(async () => {
    await rich.close();
    await northwind.close();
  });

  it('says where a 1.16 custom archive came from and what it holds, as pg_restore -l does', () => {
    const a = rich.archive;
    const s = summarizeArchive(a);
    assert.equal(s.database, 'postgres');
    assert.equal(s.serverVersion, '18.3');
    assert.equal(s.pgDumpVersion, '18.3');
    assert.match(s.created, /^2026-11-23 20:32:41 /);
    assert.equal(s.format, 'custom');
    assert.equal(s.formatText, 'custom');
    assert.equal(s.container, 'file');
    assert.equal(s.archiveVersion, '1.16-0');
    assert.equal(s.compression, 'gzip');
    assert.equal(s.entries, a.header.tocCount);
    assert.equal(s.listedEntries, listedLines(a).length);
    assert.ok(s.listedEntries < s.entries, 'ENCODING, STDSTRINGS and SEARCHPATH are not listed');
    assert.equal(s.encoding, 'UTF8');
    assert.equal(s.standardConformingStrings, 'on');
  });

  it('adds up the stored size of every entry that has data', () => {
    const a = rich.archive;
    const s = summarizeArchive(a);
    const withData = a.entries.filter((e) => e.hadDumper);
    assert.equal(s.dataEntries, withData.length);
    assert.ok(s.dataEntries > 5);
    assert.equal(s.dataSizeUnknown, 0);
    assert.equal(s.dataBytes, withData.reduce((sum, e) => sum + (e.dataSize ?? 0), 0));
    assert.ok(s.dataBytes > 0);
    assert.match(s.dataText, /^\d+(\.\d)? (B|kB|MB)$/);
  });

  it('gives a pre-1.15 archive its zlib level as pg_restore 15 does, in words', () => {
    const s = summarizeArchive(northwind.archive);
    assert.equal(s.archiveVersion, '1.14-0');
    assert.equal(s.compression, 'gzip, default level');
    assert.equal(s.database, 'northwind');
    const header = (level: number | null, compression: ArchiveHeader['compression'] = 'gzip') => ({ ...northwind.archive.header, compressionLevel: level, compression });
    assert.equal(compressionText(header(0, 'none')), 'none');
    assert.equal(compressionText(header(6)), 'gzip, level 6');
    assert.equal(compressionText(header(null, 'zstd')), 'zstd');
  });

  it('names a tar archive and a directory dump packed in a zip file', async function () {
    this.timeout(30_000);
    const tar = await openArchive(sharedFixture('pg18-rich.tar'));
    try {
      const s = summarizeArchive(tar.archive);
      assert.equal(s.formatText, 'tar');
      assert.equal(s.compression, 'none', 'tar archives are never compressed');
    } finally {
      await tar.close();
    }
    await withZippedDirectory(async (zipped) => {
      const s = summarizeArchive(zipped.archive);
      assert.equal(s.format, 'directory');
      assert.equal(s.container, 'zip');
      assert.equal(s.formatText, 'directory inside a zip file');
    });
  });
});

/** pg18-rich.tar unpacked into a folder (a directory dump) and zipped, opened. */
async function withZippedDirectory(fn: (opened: OpenedArchive) => Promise<void>): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-summary-'));
  try {
    const dir = path.join(tmp, 'mydump');
    fs.mkdirSync(dir);
    execFileSync('tar', ['-xf', sharedFixture('pg18-rich.tar'), '-C', dir]);
    const zip = path.join(tmp, 'mydump.zip');
    execFileSync('zip', ['-qr', zip, 'mydump'], { cwd: tmp });
    await withArchive(zip, fn);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

describe('entry rows', () => {
  let opened: OpenedArchive;
  let rows: EntryRows;
  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
    rows = new EntryRows(opened.archive);
  });
  after(() => opened.close());

  /** The rows matching `query`, all of them. */
  const all = (query: string) => rows.page({ query, offset: 0, limit: MAX_ROWS_PER_REQUEST }).rows;

  it('without a search: every entry, in TOC order, hidden ones marked', () => {
    const entries = opened.archive.entries;
    const page = rows.page({ query: '', offset: 0, limit: MAX_ROWS_PER_REQUEST });
    assert.equal(page.total, entries.length);
    assert.deepEqual(page.rows.map((r) => r.dumpId), entries.map((e) => e.dumpId));
    assert.deepEqual(page.rows.map((r) => r.index), entries.map((_e, i) => i));
    const encoding = page.rows.find((r) => r.kind === 'ENCODING');
    assert.ok(encoding && !encoding.listed && encoding.section === 'pre-data');
    const order = page.rows.find((r) => r.kind === 'TABLE' && r.schema === 'sales' && r.name === 'order');
    assert.ok(order?.listed);
    assert.equal(order.owner, 'postgres');
    const data = page.rows.find((r) => r.kind === 'TABLE DATA' && r.name === 'order')!;
    const entry = entries.find((e) => e.dumpId === data.dumpId)!;
    assert.equal(data.dataBytes, entry.dataSize);
    assert.equal(data.section, 'data');
    assert.match(data.dataText, /^\d+(\.\d)? (B|kB)$/);
    assert.equal(order.dataText, '', 'a table definition has no data of its own');
  });

  it('a word matches kind, schema, name or owner, case-insensitively, and nothing else', () => {
    const entries = opened.archive.entries;
    const expected = entries
      .filter((e) => [e.desc, e.namespace, e.tag, e.owner].some((f) => (f ?? '').toLowerCase().includes('order')))
      .map((e) => e.dumpId);
    assert.ok(expected.length > 5, 'the fixture has entries about orders');
    assert.ok(expected.length < entries.length);
    assert.deepEqual(all('order').map((r) => r.dumpId), expected);
    assert.deepEqual(all('ORDER').map((r) => r.dumpId), expected);
    assert.deepEqual(all('  order  ').map((r) => r.dumpId), expected);
  });

  it('several words must all match; a quoted phrase is one term; schema.name matches', () => {
    const both = all('index order');
    assert.ok(both.length > 0);
    assert.ok(both.every((r) => r.kind === 'INDEX' && `${r.schema} ${r.name}`.includes('order')), JSON.stringify(both));
    const data = all('"table data"');
    assert.ok(data.length > 3);
    assert.ok(data.every((r) => r.kind === 'TABLE DATA'));
    assert.ok(all('table data').length >= data.length, 'unquoted, the two words match separately');
    assert.deepEqual(
      all('sales.order').map((r) => `${r.kind} ${r.name}`).filter((k) => k === 'TABLE order'),
      ['TABLE order'],
    );
    assert.deepEqual(searchTerms(' Sales  "TABLE data" x'), ['sales', 'table data', 'x']);
    assert.deepEqual(searchTerms('"unclosed phrase'), ['unclosed phrase']);
  });

  it('pages through the matches, and caps what one request may ask for', () => {
    const every = all('');
    const window = rows.page({ query: '', offset: 10, limit: 5 });
    assert.deepEqual(window.rows, every.slice(10, 15));
    assert.equal(window.offset, 10);
    const past = rows.page({ query: '', offset: 10_000, limit: 5 });
    assert.equal(past.rows.length, 0);
    assert.equal(past.total, every.length);
    assert.equal(rows.page({ query: 'zz-no-such-thing', offset: 0, limit: 10 }).total, 0);
    assert.equal(rows.page({ query: '', offset: -4, limit: 3 }).rows[0]?.index, 0);
  });
});

describe('archive warnings', () => {
  let rich: OpenedArchive<TocArchive>;
  let northwind: OpenedArchive<TocArchive>;
  before(async () => {
    rich = await openArchive(sharedFixture('pg18-rich.custom.dump'));
    northwind = await openArchive(sharedFixture('northwind-pg13.dump'));
  });
  after(async () => {
    await rich.close();
    await northwind.close();
  });

  const warn = (archive: WarningInput['archive'], candidates: ToolCandidate[]) => archiveWarnings({ archive, pgRestore: candidates });
  const codes = (w: ReturnType<typeof warn>) => w.map((x) => x.code);

  it('a 1.16 archive with only pg_restore 15 here: says which version it needs and what to do', () => {
    const w = warn(rich.archive, [PG15]);
    assert.deepEqual(codes(w), ['pg-restore-too-old']);
    assert.equal(
      w[0]!.message,
      'the pg_restore found on this machine is 15.18; this archive (format 1.16) needs pg_restore 17 or newer; set pgDumpExplorer.pgRestorePath or install PostgreSQL 17+ client tools',
    );
    assert.equal(w[0]!.severity, 'error');
    assert.ok(w[0]!.details.some((d) => d.includes('pg_restore 15.18 at /usr/bin/pg_restore')), w[0]!.details.join(' | '));
  });

  it('names the newest when several are too old, and is quiet when one can read it', () => {
    assert.match(warn(rich.archive, [PG15, PG13])[0]!.message, /^the newest pg_restore found on this machine is 15\.18;/);
    // Debian's pg_wrapper and the binary it runs are two files of one version: not "the newest".
    const binary = pgRestore('pg_restore (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)');
    assert.match(warn(rich.archive, [binary, PG15])[0]!.message, /^the pg_restore found on this machine is 15\.18;/);
    assert.deepEqual(warn(rich.archive, [PG17, PG15]), []);
    assert.deepEqual(warn(northwind.archive, [PG15]), [], 'pg_restore 15 reads 1.14');
    assert.deepEqual(codes(warn(northwind.archive, [PG13])), [], 'so does 13');
  });

  it('no pg_restore at all: the archive still opens here, restoring needs one', () => {
    const w = warn(northwind.archive, []);
    assert.deepEqual(codes(w), ['no-pg-restore']);
    assert.match(w[0]!.message, /^no pg_restore found on this machine; this archive \(format 1\.14\) needs pg_restore 12 or newer to be restored; set pgDumpExplorer\.pgRestorePath or install PostgreSQL 12\+ client tools$/);
    const unusable = pgRestore(null, '/opt/pg/bin/pg_restore', 'PATH', '--version failed (exit 127)');
    assert.deepEqual(codes(warn(northwind.archive, [unusable])), ['no-pg-restore']);
  });

  it('the configured pg_restore: broken, or too old while another one can', () => {
    const broken = pgRestore(null, '/nowhere/pg_restore', 'configured', 'not found');
    const a = warn(rich.archive, [PG17, broken]);
    assert.deepEqual(codes(a), ['configured-pg-restore-broken']);
    assert.equal(a[0]!.severity, 'warning');
    assert.match(a[0]!.message, /^pgDumpExplorer\.pgRestorePath is set to \/nowhere\/pg_restore, which cannot be used \(not found\);/);
    assert.deepEqual(codes(warn(rich.archive, [PG15, broken])), ['configured-pg-restore-broken', 'pg-restore-too-old']);
    const old = { ...PG15, source: 'configured' as const };
    const b = warn(rich.archive, [PG17, old]);
    assert.deepEqual(codes(b), ['configured-pg-restore-too-old']);
    assert.match(b[0]!.message, /is pg_restore 15\.18, which cannot read this archive \(format 1\.16 needs pg_restore 17 or newer\); restores use pg_restore 17\.2 at \/usr\/lib\/postgresql\/17\/bin\/pg_restore instead$/);
  });

  it('in an untrusted workspace no program is run: one line says so instead', () => {
    const w = archiveWarnings({ archive: rich.archive, pgRestore: [], toolsChecked: false });
    assert.deepEqual(codes(w), ['tools-not-checked']);
    assert.equal(w[0]!.severity, 'info');
  });

  it('an archive version newer than any known pg_restore', () => {
    const future = { ...rich.archive, header: { ...rich.archive.header, version: { major: 1, minor: 17, rev: 0 } } };
    assert.deepEqual(codes(warn(future, [PG17])), ['unknown-archive-version']);
  });

  it('a tar archive cannot be restored in parallel; a directory dump in a zip file is restored from a temporary copy (information, not a warning)', async function () {
    this.timeout(30_000);
    const tar = await openArchive(sharedFixture('pg18-rich.tar'));
    try {
      assert.deepEqual(codes(warn(tar.archive, [PG17])), ['tar-no-parallel']);
    } finally {
      await tar.close();
    }
    await withZippedDirectory(async (zipped) => {
      const w = warn(zipped.archive, [PG17]);
      assert.deepEqual(codes(w), ['wrapped-directory']);
      assert.equal(w[0]!.severity, 'info');
      // The zipped folder holds toc.dat, the tar format's restore.sql, and data files (tables' data, large objects and their list).
      const dataBytes = (zipped.container?.members ?? []).filter((m) => m.name !== 'toc.dat' && m.name !== 'restore.sql').reduce((sum, m) => sum + m.size, 0);
      assert.ok(dataBytes > 1000, String(dataBytes));
      assert.equal(
        w[0]!.message,
        `this is a directory dump inside a zip file, which pg_restore cannot read in place: a restore copies toc.dat and the data files of the entries it restores (${formatBytes(dataBytes)} for the whole dump) into a temporary folder, restores from there, and removes the copy afterwards`,
      );
    });
  });

  describe('archives written to a pipe, or cut short', () => {
    let tmp: string;
    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-warnings-'));
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it('no data offsets (pg_dump -Fc to a pipe): restores find data by reading through the file', async () => {
      const file = path.join(tmp, 'piped.dump');
      await writeCustomArchive(northwind, file, { version: { major: 1, minor: 14, rev: 0 }, compression: 'gzip', offsets: false });
      await withArchive(file, async (piped) => {
        const w = warn(piped.archive, [PG15]);
        assert.deepEqual(codes(w), ['no-data-offsets']);
        assert.equal(w[0]!.severity, 'info');
        assert.match(w[0]!.message, /written to a pipe .* no data offsets/);
        const withData = piped.archive.entries.filter((e) => e.hadDumper).length;
        assert.equal(piped.archive.unsetOffsets, withData);
        assert.deepEqual(w[0]!.details, [`${withData} entries have no stored data offset`]);
      });
      assert.deepEqual(codes(warn(northwind.archive, [PG15])), [], 'pg_dump wrote northwind to a file: it has offsets');
    });

    it('data cut short: names the entries, says what to do', async () => {
      const bytes = fs.readFileSync(sharedFixture('northwind-pg13.dump'));
      const file = path.join(tmp, 'cut.dump');
      // Cut inside the last data block: the TOC is whole, the last table's data is not.
      fs.writeFileSync(file, bytes.subarray(0, bytes.length - 200));
      await withArchive(file, async (cut) => {
        assert.ok(cut.archive.dataProblems.length > 0, 'the reader notices the cut');
        const w = warn(cut.archive, [PG15]);
        assert.deepEqual(codes(w), ['data-problems']);
        assert.match(w[0]!.message, /^the data of 1 entry is cut short; the dump was probably cut short or damaged in a copy: restoring it fails, so get a complete copy of the dump$/);
        assert.match(w[0]!.details[0]!, /^\d+ TABLE DATA public \w+: incomplete: /);
      });
    });
  });
});

describe('bad input, and what to do about it', () => {
  let tmp: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-advice-'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const problemOf = async (file: string) => {
    try {
      await withArchive(file, async () => undefined);
    } catch (err) {
      return openProblem(err);
    }
    throw new Error(`${file} opened`);
  };

  it('a text file named .dump: not a dump, reopen it as text', async () => {
    const file = path.join(tmp, 'notes.dump');
    fs.writeFileSync(file, 'Shopping list: eggs, milk.\n');
    const p = await problemOf(file);
    assert.equal(p.code, 'not-a-dump');
    assert.match(p.message, /^notes\.dump /);
    assert.doesNotMatch(p.message, /\n/);
    assert.match(p.whatToDo, /text editor/);
  });

  it('a custom archive cut inside its header or TOC: truncated or corrupt, copy it again', async () => {
    const bytes = fs.readFileSync(sharedFixture('pg18-rich.custom.dump'));
    const file = path.join(tmp, 'short.dump');
    fs.writeFileSync(file, bytes.subarray(0, 40));
    const p = await problemOf(file);
    assert.equal(p.code, 'truncated');
    assert.match(p.whatToDo, /Copy it again/);
    fs.writeFileSync(file, bytes.subarray(0, 300));
    const q = await problemOf(file);
    assert.ok(q.code === 'truncated' || q.code === 'corrupt', q.code);
    assert.match(q.whatToDo, /copy it again/i);
  });

  it('a missing file, and anything unexpected, still get one line and advice', async () => {
    const p = await problemOf(path.join(tmp, 'gone.dump'));
    assert.equal(p.code, 'not-found');
    const q = openProblem(new Error('something\nbroke'));
    assert.equal(q.code, 'unexpected');
    assert.equal(q.message, 'something broke');
    assert.ok(q.whatToDo.length > 0);
    assert.equal(openProblem(new DumpError('unsupported-version', 'x')).code, 'unsupported-version');
  });

  it("a directory dump's toc.dat stands for its folder", () => {
    assert.equal(directoryOfToc('/dumps/rich-dir/toc.dat'), '/dumps/rich-dir');
    assert.equal(directoryOfToc('/dumps/rich-dir/toc.dat.gz'), '/dumps/rich-dir');
    assert.equal(directoryOfToc('/dumps/rich.dump'), undefined);
    assert.equal(directoryOfToc('/dumps/my-toc.dat'), undefined);
  });
});
