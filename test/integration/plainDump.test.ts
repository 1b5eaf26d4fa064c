/**
 * A plain dump opened as the archive model against the archive of the same database, made by
 * the same real pg_dump: the same objects, sections, dependencies, outline and — table by table,
 * in every mode, with and without dependencies — the same restore plans.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openArchive, openDump, openPlainDump, type OpenedArchive } from '../../src/core/archive';
import { copyRows } from '../../src/core/data/copyRows';
import { DumpError } from '../../src/core/errors';
import { DumpOutline, type OutlineNode } from '../../src/core/model/outline';
import { SECTION_NAMES, type Archive, type TocEntry } from '../../src/core/model/types';
import { indexPlainDump } from '../../src/core/plain/indexer';
import { buildPlan, ownership } from '../../src/core/plan/closure';
import { tocIndex } from '../../src/core/plan/dependencies';
import { Picks } from '../../src/core/plan/picks';
import type { RestoreMode } from '../../src/core/plan/selection';
import { cli, fixturePath, sharedFixture } from '../support/env';

const key = (e: TocEntry) => `${e.desc}|${e.namespace ?? '-'}|${e.tag}`;
/** Archive entries a plain dump has no section for: settings (its preamble), and the database without --create. */
const WITHOUT_SECTION = (e: TocEntry) => ['ENCODING', 'STDSTRINGS', 'SEARCHPATH', 'DATABASE'].includes(e.desc ?? '') || (e.desc === 'COMMENT' && (e.tag ?? '').startsWith('DATABASE '));
const sorted = (xs: Iterable<string>) => [...xs].sort();

const pairs = [
  ['PostgreSQL 15 fixtures', () => fixturePath('custom.dump'), () => fixturePath('plain.sql')],
  ['PostgreSQL 18 shared fixtures', () => sharedFixture('pg18-rich.custom.dump'), () => sharedFixture('pg18-rich.plain.sql')],
] as const;

async function opened(file: string): Promise<Archive> {
  const o = await openDump(file);
  await o.close();
  return o.archive;
}

describe('plain dumps as the archive model', () => {
  for (const [name, archiveFile, plainFile] of pairs) {
    describe(name, () => {
      let archive: Archive;
      let plain: Archive;
      // The archive's SQL texts are read from the file when asked for: it stays open.
      let open: OpenedArchive;
      before(async () => {
        open = await openDump(archiveFile());
        archive = open.archive;
        plain = await opened(plainFile());
        assert.equal(plain.format, 'plain');
      });
      after(() => open.close());

      it('lists the same objects with the same owners, and numbers them in file order', () => {
        const withOwner = (e: TocEntry) => `${key(e)}|${e.owner ?? '-'}`;
        assert.deepEqual(sorted(plain.entries.map(withOwner)), sorted(archive.entries.filter((e) => !WITHOUT_SECTION(e)).map(withOwner)));
        assert.deepEqual(
          plain.entries.map((e) => e.dumpId),
          plain.entries.map((_, i) => i + 1),
        );
        assert.ok(plain.entries.length > 50);
      });

      it('gives each entry the section, data flag and COPY statement the archive has', () => {
        const byKey = new Map(archive.entries.map((e) => [key(e), e]));
        for (const e of plain.entries) {
          const a = byKey.get(key(e))!;
          assert.equal(SECTION_NAMES[e.section], SECTION_NAMES[a.section], key(e));
          assert.equal(e.hadDumper, a.hadDumper, key(e));
          if (e.desc === 'TABLE DATA') assert.equal(e.copyStmt, a.copyStmt, key(e));
          if (!e.hadDumper) assert.ok(e.hasDefinition && e.defn, `${key(e)} has its SQL`);
        }
      });

      it('has the dependencies of the archive, but for the column types a view passes on', () => {
        const deps = (a: Archive) => {
          const index = tocIndex(a);
          return new Map(a.entries.map((e) => [key(e), sorted(new Set(index.dependencies(e).filter((d) => !WITHOUT_SECTION(d)).map(key)))]));
        };
        const fromArchive = deps(archive);
        let compared = 0;
        for (const [k, mine] of deps(plain)) {
          let theirs = fromArchive.get(k)!;
          // pg_depend ties a view to the types of the columns it selects; the view's SQL does not name them.
          if (k.startsWith('VIEW|')) theirs = theirs.filter((d) => !d.startsWith('TYPE|') || mine.includes(d));
          assert.deepEqual(mine, theirs, k);
          compared++;
        }
        assert.equal(compared, plain.entries.length);
      });

      it('gives every table the plan the archive gives it: each mode, with and without dependencies', () => {
        const tables = plain.entries.filter((e) => e.desc === 'TABLE');
        assert.ok(tables.length >= 8);
        for (const t of tables) {
          for (const mode of ['definition-and-data', 'definition-only', 'data-only'] as RestoreMode[]) {
            for (const withDeps of [false, true]) {
              const selection = { tables: [`${t.namespace}.${t.tag}`], mode, withDeps };
              const what = `${key(t)} ${mode}${withDeps ? ' with deps' : ''}`;
              const a = buildPlan(archive, selection);
              const p = buildPlan(plain, selection);
              assert.deepEqual(sorted(p.entries.map((x) => key(x.entry))), sorted(a.entries.map((x) => key(x.entry))), `${what}: planned`);
              assert.deepEqual(sorted(p.needs.map((x) => key(x.entry))), sorted(a.needs.map((x) => key(x.entry))), `${what}: needs`);
              assert.deepEqual(
                sorted(p.danglingForeignKeys.map((x) => key(x.entry))),
                sorted(a.danglingForeignKeys.map((x) => key(x.entry))),
                `${what}: dangling foreign keys`,
              );
            }
          }
        }
        // A table's plan brings its indexes, constraints, trigger, default, sequence and rows.
        const order = buildPlan(plain, { tables: ['sales.order'] }).entries.map((x) => x.entry.desc);
        for (const kind of ['TABLE', 'TABLE DATA', 'INDEX', 'CONSTRAINT', 'FK CONSTRAINT', 'TRIGGER', 'DEFAULT', 'SEQUENCE', 'SEQUENCE SET']) assert.ok(order.includes(kind), kind);
      });

      it('makes the same outline, and picks in it plan what the same picks plan in the archive', () => {
        const walk = (outline: DumpOutline, node?: OutlineNode, at = ''): string[] =>
          outline.children(node).flatMap((c) => [`${at}/${c.kind}:${c.label}`, ...walk(outline, c, `${at}/${c.label}`)]);
        const a = new DumpOutline(archive);
        const p = new DumpOutline(plain);
        assert.deepEqual(sorted(walk(p)), sorted(walk(a)));
        // Pick the schema "sales" in both and compare the plans.
        const plan = (outline: DumpOutline, archiveOf: Archive) => {
          const picks = new Picks(outline);
          const sales = outline.children().find((n) => n.kind === 'schema' && n.label === 'sales')!;
          picks.set(sales, true);
          return sorted(buildPlan(archiveOf, picks.toSelection({ withDeps: true })).entries.map((x) => key(x.entry)));
        };
        assert.deepEqual(plan(p, plain), plan(a, archive));
        // What belongs to what is the same too.
        const own = ownership(plain);
        const order = plain.entries.find((e) => e.desc === 'TABLE' && e.tag === 'order')!;
        assert.ok(own.parts(order.dumpId).some((x) => x.desc === 'TRIGGER'));
      });
    });
  }

  it('reads each table\'s rows as the archive has them, from .sql and .sql.gz', async () => {
    const archive = await openArchive(fixturePath('custom.dump'));
    try {
      for (const file of [fixturePath('plain.sql'), fixturePath('plain.sql.gz')]) {
        const plain = await openDump(file);
        const data = plain.archive.entries.filter((e) => e.desc === 'TABLE DATA');
        assert.ok(data.length >= 8);
        for (const e of data) {
          const a = archive.archive.entries.find((x) => x.desc === 'TABLE DATA' && key(x) === key(e))!;
          const rows = async (o: OpenedArchive, entry: TocEntry) => {
            const out: string[] = [];
            for await (const row of copyRows(o.openData(entry))) out.push(row);
            return out;
          };
          assert.deepEqual(await rows(plain, e), await rows(archive, a), `${file}: ${key(e)}`);
          assert.equal(e.dataSize, plain.plain!.entries[e.dumpId - 1]!.dataLength);
        }
        await plain.close();
      }
    } finally {
      await archive.close();
    }
  });

  it('a .sql.gz opens as the same model as the .sql', async () => {
    const plain = await opened(fixturePath('plain.sql'));
    const gz = await opened(fixturePath('plain.sql.gz'));
    const shape = (a: Archive) => a.entries.map((e) => [e.dumpId, key(e), e.section, e.dependencies, e.defn, e.copyStmt, e.dataSize]);
    assert.deepEqual(shape(gz), shape(plain));
    assert.equal(gz.header.compression, 'gzip');
  });

  it('opens from a cached index (JSON) without reading the dump again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-plain-index-'));
    try {
      const copy = path.join(dir, 'copy.sql');
      fs.copyFileSync(fixturePath('plain.sql'), copy);
      const cached = JSON.parse(JSON.stringify(await indexPlainDump(copy)));
      const fresh = await openPlainDump(copy);
      // Overwrite the file with as many bytes of something else: the model still comes from the index.
      fs.writeFileSync(copy, Buffer.alloc(fs.statSync(copy).size, 0x20));
      const fromCache = await openPlainDump(copy, { index: cached });
      assert.deepEqual(
        fromCache.archive.entries.map((e) => [key(e), e.dependencies, e.defn]),
        fresh.archive.entries.map((e) => [key(e), e.dependencies, e.defn]),
      );
      await assert.rejects(openPlainDump(copy, { index: { ...cached, formatVersion: 1 } }), (err: unknown) => err instanceof DumpError && /index the dump again/.test(err.message));
      fs.truncateSync(copy, 100);
      await assert.rejects(openPlainDump(copy, { index: cached }), (err: unknown) => err instanceof DumpError && /smaller .* than when it was indexed/.test(err.message));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('header facts come from the comments, with null where the dump does not say', async () => {
    const a = await opened(sharedFixture('pg18-rich.plain.sql'));
    assert.equal(a.format, 'plain');
    if (a.format !== 'plain') return;
    assert.equal(a.header.serverVersion, '18.3');
    assert.equal(a.header.pgDumpVersion, '18.3');
    assert.equal(a.header.version, null);
    assert.equal(a.header.createdAt, null);
    assert.equal(a.header.dbname, null);
    assert.equal(a.header.tocCount, a.entries.length);
    assert.deepEqual(a.dataProblems, []);
  });

  it('a plain dump cut short in its COPY data: the entry is incomplete, and list says so with exit 3', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgdx-plain-cut-'));
    try {
      const text = fs.readFileSync(fixturePath('plain.sql'), 'utf8');
      const at = text.indexOf('COPY public.bulk_rows');
      const cut = path.join(dir, 'cut.sql');
      fs.writeFileSync(cut, text.slice(0, at + 20000));
      const a = await opened(cut);
      const bulk = a.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'bulk_rows')!;
      assert.deepEqual(
        a.dataProblems.map((p) => [p.dumpId, p.problem]),
        [[bulk.dumpId, 'incomplete']],
      );
      const listed = await cli(['list', cut], { encoding: 'utf8' });
      assert.equal(listed.exitCode, 3, listed.stderr);
      assert.match(listed.stderr, /bulk_rows\) is incomplete/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('CLI: list, data and plan take plain dumps', async () => {
    const listed = await cli(['list', fixturePath('plain.sql.gz')], { encoding: 'utf8' });
    assert.equal(listed.exitCode, 0, listed.stderr);
    assert.match(listed.stdout, /^; Plain SQL dump/m);
    assert.match(listed.stdout, /^\d+; 0 0 TABLE sales order postgres$/m);
    const data = await cli(['data', fixturePath('plain.sql'), '--table', 'sales.customer', '--limit', '2'], { encoding: 'utf8' });
    assert.equal(data.exitCode, 0, data.stderr);
    assert.equal(data.stdout.split('\n').filter(Boolean).length, 2);
    const plan = await cli(['plan', fixturePath('plain.sql'), '--table', 'sales.order'], { encoding: 'utf8' });
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stdout, /TRIGGER sales order order_touch/);
  });
});
