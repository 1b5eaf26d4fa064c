import assert from 'node:assert/strict';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import { copyColumns, copyWithFreeze, decodeCopyField, decodeCopyRow } from '../../src/core/data/copyText';
import { previewRows, rowEntries } from '../../src/core/data/previewRows';
import type { TocEntry } from '../../src/core/model/types';
import { sharedFixture } from '../support/env';

describe('COPY text format', () => {
  it('splits a row at tabs and keeps NULL apart from the empty string', () => {
    assert.deepEqual(decodeCopyRow('1\t\\N\t\tx'), ['1', null, '', 'x']);
    assert.deepEqual(decodeCopyRow(''), ['']);
    // `\N` is NULL only alone: inside a value it is an escaped N.
    assert.equal(decodeCopyField('a\\Nb'), 'aNb');
    assert.equal(decodeCopyField('\\\\N'), '\\N');
  });

  it('decodes the escapes COPY writes: \\t \\n \\r \\\\ \\b \\f \\v', () => {
    assert.equal(decodeCopyField('tab\\there'), 'tab\there');
    assert.equal(decodeCopyField('new\\nline\\r'), 'new\nline\r');
    assert.equal(decodeCopyField('back\\\\slash'), 'back\\slash');
    assert.equal(decodeCopyField('\\b\\f\\v'), '\b\f\v');
    assert.equal(decodeCopyField('a\\qb'), 'aqb', 'any other escaped character is itself');
    assert.equal(decodeCopyField('end\\'), 'end\\', 'a backslash at the end stays');
  });

  it('decodes octal and hex byte escapes, joining the bytes of one character', () => {
    assert.equal(decodeCopyField('\\101\\x42\\x4'), 'AB\u0004');
    assert.equal(decodeCopyField('\\303\\251t\\xc3\\xa9'), 'été', 'UTF-8 bytes escaped one by one');
    assert.equal(decodeCopyField('\\0012'), '\u00012', 'at most three octal digits');
    assert.equal(decodeCopyField('\\xg'), 'xg', '\\x without a hex digit is an escaped x');
  });

  it('reads the column names of a COPY statement, quoted ones unquoted', () => {
    assert.deepEqual(copyColumns('COPY sales.customer (id, name, email, created) FROM stdin;\n'), ['id', 'name', 'email', 'created']);
    assert.deepEqual(copyColumns('COPY "Audit Log"."Event ""Quoted"" Name" (id, "Payload", note) FROM stdin;\n'), ['id', 'Payload', 'note']);
    assert.deepEqual(copyColumns('COPY public."ünïcødé_tàble" ("a b", "c""d") FROM stdin;'), ['a b', 'c"d']);
    assert.deepEqual(copyColumns('COPY public.t FROM stdin;'), []);
    assert.deepEqual(copyColumns(null), []);
    assert.deepEqual(copyColumns('SELECT 1'), []);
  });

  it('writes FREEZE into pg_dump\'s plain COPY of the table named, and nowhere else', () => {
    assert.equal(copyWithFreeze('COPY sales.customer (id, name) FROM stdin;\n', 'sales', 'customer'), 'COPY sales.customer (id, name) FROM stdin WITH (FREEZE);\n');
    assert.equal(copyWithFreeze('COPY "Audit Log"."Event ""Quoted""" (id) FROM stdin;\n', 'Audit Log', 'Event "Quoted"'), 'COPY "Audit Log"."Event ""Quoted""" (id) FROM stdin WITH (FREEZE);\n');
    assert.equal(copyWithFreeze('COPY public.t FROM stdin;', 'public', 't'), 'COPY public.t FROM stdin WITH (FREEZE);');
    // --load-via-partition-root: the partition's rows go into its root, which COPY cannot FREEZE.
    assert.equal(copyWithFreeze('COPY sales.measurement (city_id, logdate) FROM stdin;\n', 'sales', 'measurement_2024'), null);
    assert.equal(copyWithFreeze('COPY public.t (a) WITH OIDS FROM stdin;\n', 'public', 't'), null, 'options of old dumps: left as they are');
    assert.equal(copyWithFreeze('COPY public.t (a) FROM stdin WITH (FREEZE);\n', 'public', 't'), null);
    assert.equal(copyWithFreeze('COPY t (a) FROM stdin;\n', 'public', 't'), null, 'a name without its schema');
    assert.equal(copyWithFreeze(null, 'public', 't'), null);
  });
});

describe('data preview (pg18-rich.custom.dump)', () => {
  let opened: OpenedArchive;
  const entry = (desc: string, schema: string, tag: string): TocEntry => {
    const e = opened.archive.entries.find((x) => x.desc === desc && x.namespace === schema && x.tag === tag);
    assert.ok(e, `no ${desc} ${schema}.${tag}`);
    return e;
  };
  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
  });
  after(() => opened.close());

  it('reads the first rows of a table, decoded, with its column names', async () => {
    const table = entry('TABLE', 'Audit Log', 'Event "Quoted" Name');
    const preview = await previewRows(opened, table.dumpId, 3);
    assert.equal(preview.table, 'Audit Log.Event "Quoted" Name');
    assert.deepEqual(preview.columns, ['id', 'Payload', 'note']);
    assert.equal(preview.rows.length, 3);
    assert.deepEqual(preview.rows[0], ['1', '{"n": 1, "tab": "a\\tb"}', 'line1\nline2 \\ backslash']);
    assert.equal(preview.more, true, 'the table has 50 rows');
    assert.equal(preview.rowSources, undefined);
  });

  it('says when it read every row', async () => {
    const preview = await previewRows(opened, entry('TABLE', 'Audit Log', 'Event "Quoted" Name').dumpId, 100);
    assert.equal(preview.rows.length, 50);
    assert.equal(preview.more, false);
  });

  it('reads a partitioned table\'s rows from its partitions, saying which each came from', async () => {
    const parent = entry('TABLE', 'sales', 'measurement');
    assert.deepEqual(rowEntries(opened, parent.dumpId).map((e) => e.tag), ['measurement_2024', 'measurement_2025']);
    const preview = await previewRows(opened, parent.dumpId, 100);
    assert.deepEqual(preview.columns, ['city_id', 'logdate', 'peak']);
    assert.ok(preview.rows.length > 0);
    assert.equal(preview.rowSources?.length, preview.rows.length);
    assert.deepEqual([...new Set(preview.rowSources)], preview.sources.filter((s) => s.rows > 0).map((s) => s.table));
    assert.equal(preview.sources.reduce((n, s) => n + s.rows, 0), preview.rows.length);
  });

  it('refuses, in one line, what holds no rows', async () => {
    const view = entry('VIEW', 'sales', 'big_orders');
    await assert.rejects(previewRows(opened, view.dumpId), /sales\.big_orders has no rows in this dump/);
  });
});
