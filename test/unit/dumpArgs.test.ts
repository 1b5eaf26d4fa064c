/**
 * The dump's options as pg_dump's arguments for the pg_dump that will run, pg_dump's patterns as
 * the regular expressions it sends the server, and the progress read from its --verbose lines.
 */
import assert from 'node:assert/strict';
import { compressionArgument, dumpArguments, FILTER_THRESHOLD, outputPath, parseCompression, partialPath } from '../../src/core/dump/dumpArgs';
import { DumpProgressTracker } from '../../src/core/dump/dumpProgress';
import { MATCH_ALL, schemaPattern, tablePattern } from '../../src/core/dump/namePattern';
import type { DumpOptions } from '../../src/core/dump/types';

const PG15 = { major: 15, version: '15.18' };
const PG16 = { major: 16, version: '16.4' };
const PG17 = { major: 17, version: '17.2' };
const PG18 = { major: 18, version: '18.1' };
const files = { output: '/d/.x.dump.pgdx-partial-1', filter: '/d/.x.dump.pgdx-filter-1' };
const args = (options: DumpOptions, tool = PG15) => dumpArguments(options, tool, files).args;

describe('dump arguments', () => {
  it('defaults: custom format, pg_dump\'s own compression, --verbose for progress, the temporary file last', () => {
    assert.deepEqual(args({}), ['--verbose', '-Fc', `--file=${files.output}`]);
  });

  it('formats, content and ownership options', () => {
    assert.deepEqual(args({ format: 'directory', jobs: 4, content: 'schema-only', noOwner: true, noPrivileges: true }), [
      '--verbose',
      '-Fd',
      '--jobs=4',
      '--schema-only',
      '--no-owner',
      '--no-privileges',
      `--file=${files.output}`,
    ]);
    assert.deepEqual(args({ format: 'tar', content: 'data-only' }).slice(1, 3), ['-Ft', '--data-only']);
    assert.equal(args({ format: 'plain' })[1], '-Fp');
  });

  it('patterns as --option=PATTERN, so that a pattern starting with - is not taken for an option', () => {
    const a = args({ schemas: ['sales'], excludeSchemas: ['tmp*'], tables: ['-odd'], excludeTables: ['sales.order'], excludeTableData: ['public.bulk_rows'] });
    assert.deepEqual(a.slice(2, -1), ['--schema=sales', '--exclude-schema=tmp*', '--table=-odd', '--exclude-table=sales.order', '--exclude-table-data=public.bulk_rows']);
  });

  it('--jobs only with the directory format', () => {
    assert.throws(() => args({ format: 'custom', jobs: 2 }), /--jobs needs the directory format/);
    assert.throws(() => args({ format: 'directory', jobs: 0 }), /at least 1/);
    assert.deepEqual(args({ format: 'custom', jobs: 1 }), ['--verbose', '-Fc', `--file=${files.output}`]);
  });

  describe('compression', () => {
    it('parses a level 0-9 or METHOD[:LEVEL]', () => {
      assert.deepEqual(parseCompression('6'), { method: 'gzip', level: 6 });
      assert.deepEqual(parseCompression('0'), { method: 'none' });
      assert.deepEqual(parseCompression('zstd:3'), { method: 'zstd', level: 3 });
      assert.deepEqual(parseCompression('LZ4'), { method: 'lz4' });
      for (const bad of ['12', 'brotli', 'gzip:', 'none:1', 'gzip:x']) assert.throws(() => parseCompression(bad), /--compress/, bad);
    });

    it('pg_dump 16 and newer take METHOD[:LEVEL] as given', () => {
      assert.deepEqual(compressionArgument('zstd:3', 'directory', PG16), ['--compress=zstd:3']);
      assert.deepEqual(compressionArgument('lz4', 'custom', PG18), ['--compress=lz4']);
      assert.deepEqual(compressionArgument('gzip', 'plain', PG16), ['--compress=gzip']);
    });

    it('older pg_dump takes a gzip level: gzip alone is zlib\'s default 6, none is 0; lz4 and zstd are refused in one line', () => {
      assert.deepEqual(compressionArgument('gzip', 'custom', PG15), ['--compress=6']);
      assert.deepEqual(compressionArgument('gzip:9', 'custom', PG15), ['--compress=9']);
      assert.deepEqual(compressionArgument('3', 'directory', PG15), ['--compress=3']);
      assert.deepEqual(compressionArgument('none', 'custom', PG15), ['--compress=0']);
      assert.throws(() => compressionArgument('lz4', 'custom', PG15), /^DumpError: pg_dump 15\.18 compresses with gzip only: lz4 needs pg_dump 16 or newer$/);
      assert.throws(() => compressionArgument('zstd:5', 'directory', PG15), /zstd needs pg_dump 16/);
      assert.throws(() => compressionArgument('gzip:0', 'custom', PG15), /1 to 9/);
    });

    it('the tar format cannot be compressed', () => {
      assert.throws(() => compressionArgument('gzip', 'tar', PG16), /cannot compress the tar format/);
      assert.deepEqual(compressionArgument('0', 'tar', PG15), ['--compress=0']);
    });

    it('a compressed plain dump is written with the method\'s suffix', () => {
      assert.equal(outputPath('/d/x.sql', { format: 'plain', compress: 'gzip' }), '/d/x.sql.gz');
      assert.equal(outputPath('/d/x.sql.gz', { format: 'plain', compress: 'gzip:9' }), '/d/x.sql.gz');
      assert.equal(outputPath('/d/x.sql', { format: 'plain', compress: '5' }), '/d/x.sql.gz');
      assert.equal(outputPath('/d/x.sql', { format: 'plain', compress: 'zstd' }), '/d/x.sql.zst');
      assert.equal(outputPath('/d/x.sql', { format: 'plain', compress: 'none' }), '/d/x.sql');
      assert.equal(outputPath('/d/x.dump', { format: 'custom', compress: 'gzip' }), '/d/x.dump');
    });
  });

  it('statistics options only for pg_dump 18 and newer', () => {
    assert.deepEqual(args({ statistics: 'with' }, PG18).slice(2, 3), ['--with-statistics']);
    assert.deepEqual(args({ statistics: 'without' }, PG18).slice(2, 3), ['--no-statistics']);
    assert.deepEqual(args({ statistics: 'only' }, PG18).slice(2, 3), ['--statistics-only']);
    assert.throws(() => args({ statistics: 'with' }, PG17), /pg_dump 17\.2 dumps no statistics: the statistics options need pg_dump 18 or newer/);
    assert.throws(() => args({ statistics: 'only', content: 'schema-only' }, PG18), /cannot be combined/);
  });

  describe('long selections', () => {
    const many = Array.from({ length: FILTER_THRESHOLD + 1 }, (_, i) => `s.t${i}`);

    it('go through --filter with pg_dump 17 and newer', () => {
      const r = dumpArguments({ tables: many, excludeSchemas: ['"Old Stuff"'], excludeTableData: ['s.t1'] }, PG17, files);
      assert.deepEqual(r.args, ['--verbose', '-Fc', `--filter=${files.filter}`, `--file=${files.output}`]);
      const lines = r.filterText!.trimEnd().split('\n');
      assert.equal(lines.length, many.length + 2);
      assert.deepEqual([lines[0], lines[1], lines.at(-1)], ['exclude schema "Old Stuff"', 'include table s.t0', 'exclude table_data s.t1']);
    });

    it('stay arguments with older pg_dump, with few patterns, or with a pattern the filter reader would change', () => {
      assert.equal(dumpArguments({ tables: many }, PG16, files).filterText, undefined);
      assert.equal(dumpArguments({ tables: many.slice(0, FILTER_THRESHOLD) }, PG17, files).filterText, undefined);
      for (const odd of ['s.a#b', 's.a b', 's.a,b']) {
        const r = dumpArguments({ tables: [...many, odd] }, PG17, files);
        assert.equal(r.filterText, undefined, odd);
        assert.ok(r.args.includes(`--table=${odd}`));
      }
      assert.notEqual(dumpArguments({ tables: [...many, 's."a b"'] }, PG17, files).filterText, undefined, 'white space inside quotes is kept');
    });
  });

  it('the temporary name is hidden beside the target', () => {
    assert.equal(partialPath('/backups/rich.dump', 42), '/backups/.rich.dump.pgdx-partial-42');
  });
});

describe('pg_dump patterns as regular expressions', () => {
  it('folds unquoted letters, turns * and ? into regex, splits schema and name at an unquoted dot', () => {
    assert.deepEqual(tablePattern('Sales.Order*', 'rich'), { schema: '^(sales)$', name: '^(order.*)$' });
    assert.deepEqual(tablePattern('t?', 'rich'), { name: '^(t.)$' });
    assert.deepEqual(tablePattern('*.*', 'rich'), { schema: MATCH_ALL, name: MATCH_ALL });
    assert.equal(schemaPattern('Sales'), '^(sales)$');
  });

  it('inside double quotes everything is literal, "" is a quote, and regex characters are escaped', () => {
    assert.deepEqual(tablePattern('"Audit Log"."Event ""Quoted"" Name"', 'rich'), { schema: '^(Audit Log)$', name: '^(Event "Quoted" Name)$' });
    assert.deepEqual(tablePattern('"a.b*?"', 'rich'), { name: '^(a\\.b\\*\\?)$' });
    assert.equal(schemaPattern('"My(Schema)"'), '^(My\\(Schema\\))$');
  });

  it('outside quotes other regex syntax passes through; $ and [] are always literal', () => {
    assert.deepEqual(tablePattern('t(1|2)', 'rich'), { name: '^(t(1|2))$' });
    assert.deepEqual(tablePattern('price$', 'rich'), { name: '^(price\\$)$' });
    assert.deepEqual(tablePattern('int[]', 'rich'), { name: '^(int\\[])$' });
  });

  it('database.schema.table only for the current database; more dots, or a dot in a schema pattern, are refused as pg_dump refuses them', () => {
    assert.deepEqual(tablePattern('rich.sales.customer', 'rich'), { database: 'rich', schema: '^(sales)$', name: '^(customer)$' });
    assert.throws(() => tablePattern('other.sales.customer', 'rich'), /^DumpError: cross-database references are not implemented: other\.sales\.customer$/);
    assert.throws(() => tablePattern('a.b.c.d', 'rich'), /improper relation name \(too many dotted names\): a\.b\.c\.d/);
    assert.throws(() => schemaPattern('rich.sales'), /cross-database references are not implemented/);
    assert.equal(schemaPattern('"rich.sales"'), '^(rich\\.sales)$');
  });
});

describe('dump progress from pg_dump --verbose', () => {
  it('one process: a table is done when the next starts; all are done when pg_dump ends', () => {
    const p = new DumpProgressTracker(3, 3000);
    assert.equal(p.push('pg_dump: reading extensions'), false);
    assert.equal(p.push('pg_dump: dumping contents of table "public.a"'), true);
    assert.deepEqual(p.snapshot(), { tablesDone: 0, tablesTotal: 3, current: 'public.a', bytesWritten: 0, bytesExpected: 3000 });
    p.push('pg_dump: dumping contents of table "Audit Log.Event "Quoted" Name"');
    p.setBytes(1200);
    assert.deepEqual(p.snapshot(), { tablesDone: 1, tablesTotal: 3, current: 'Audit Log.Event "Quoted" Name', bytesWritten: 1200, bytesExpected: 3000 });
    p.finish();
    assert.deepEqual(p.snapshot(), { tablesDone: 3, tablesTotal: 3, current: '', bytesWritten: 1200, bytesExpected: 3000 });
  });

  it('parallel jobs: a table is done when the leader says its item finished', () => {
    const p = new DumpProgressTracker(2, 0, true);
    p.push('pg_dump: dumping contents of table "sales.order_line"');
    p.push('pg_dump: dumping contents of table "sales.order"');
    assert.equal(p.snapshot().tablesDone, 0);
    assert.equal(p.push('pg_dump: finished item 3434 TABLE DATA order_line'), true);
    assert.equal(p.push('pg_dump: finished item 3446 BLOBS BLOBS'), false);
    assert.equal(p.snapshot().tablesDone, 1);
  });
});
