import assert from 'node:assert/strict';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import type { TocEntry } from '../../src/core/model/types';
import { buildPlan } from '../../src/core/plan/closure';
import type { Selection } from '../../src/core/plan/selection';
import { FREEZE_REFUSED, frozenCopies } from '../../src/core/restore/copyFreeze';
import { sharedFixture } from '../support/env';

describe('COPY FREEZE for the tables a restore creates (pg18-rich.custom.dump)', () => {
  let opened: OpenedArchive;
  const planned = (selection: Selection) => buildPlan(opened.archive, selection).entries.map((p) => p.entry);
  const whole: Selection = { sections: ['pre-data', 'data', 'post-data'], mode: 'definition-and-data' };
  const dataOf = (entries: readonly TocEntry[], schema: string, tag: string) => {
    const e = entries.find((x) => x.desc === 'TABLE DATA' && x.namespace === schema && x.tag === tag);
    assert.ok(e, `no data of ${schema}.${tag}`);
    return e;
  };
  /** An entry with some fields changed, the rest read from the archive's. */
  const changed = (e: TocEntry, fields: Partial<Record<'copyStmt' | 'defn', string>>): TocEntry =>
    Object.create(e, Object.fromEntries(Object.entries(fields).map(([k, value]) => [k, { value }]))) as TocEntry;

  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
  });
  after(() => opened.close());

  it('a whole restore in one transaction: every table it creates and loads, partitions too', () => {
    const entries = planned(whole);
    const copies = frozenCopies(entries, {}, true);
    const order = dataOf(entries, 'sales', 'order');
    assert.equal(copies.get(order.dumpId), order.copyStmt!.replace(' FROM stdin;', ' FROM stdin WITH (FREEZE);'));
    assert.ok(copies.has(dataOf(entries, 'sales', 'measurement_2024').dumpId), 'a partition is a table of its own');
    const loaded = entries.filter((e) => e.desc === 'TABLE DATA');
    assert.ok(loaded.length >= 5);
    // Nothing but TABLE DATA, and each statement its own entry's with FREEZE.
    for (const [id, text] of copies) {
      const e = loaded.find((x) => x.dumpId === id);
      assert.ok(e, `entry ${id} is planned table data`);
      assert.equal(text, e.copyStmt!.replace(/ FROM stdin;/, ' FROM stdin WITH (FREEZE);'));
    }
    // Each table data entry not frozen has a reason that can be seen: no TABLE entry planned for it.
    const tables = new Set(entries.filter((e) => e.desc === 'TABLE').map((e) => `${e.namespace}.${e.tag}`));
    for (const e of loaded) assert.equal(copies.has(e.dumpId), tables.has(`${e.namespace}.${e.tag}`), `${e.namespace}.${e.tag}`);
  });

  it('nothing when the restore is not one transaction, is asked not to, or does not create the tables', () => {
    const entries = planned(whole);
    assert.equal(frozenCopies(entries, {}, false).size, 0, 'parallel restores commit each step apart');
    assert.equal(frozenCopies(entries, { freeze: false }, true).size, 0);
    assert.equal(frozenCopies(entries, { sections: ['data'] }, true).size, 0, 'the data section alone loads existing tables');
    assert.ok(frozenCopies(entries, { sections: ['pre-data', 'data'] }, true).size > 0);
    assert.equal(frozenCopies(planned({ tables: ['sales.order'], mode: 'data-only' }), {}, true).size, 0, 'data only: the tables exist already');
    // A table the target has already (the pre-flight's useExisting leaves its TABLE entry out).
    const order = entries.find((e) => e.desc === 'TABLE' && e.namespace === 'sales' && e.tag === 'order')!;
    const withoutOrder = entries.filter((e) => e !== order);
    const copies = frozenCopies(withoutOrder, {}, true);
    assert.equal(copies.has(dataOf(entries, 'sales', 'order').dumpId), false);
    assert.equal(copies.size, frozenCopies(entries, {}, true).size - 1, 'the other tables still are');
  });

  it('knows the server\'s refusals of FREEZE, of older and newer releases, from other errors', () => {
    for (const refusal of [
      'cannot perform COPY FREEZE because the table was not created or truncated in the current subtransaction',
      'cannot perform FREEZE because the table was not created or truncated in the current subtransaction',
      'cannot perform COPY FREEZE because of prior transaction activity',
      'cannot perform COPY FREEZE on a partitioned table',
      'option "freeze" not recognized',
    ]) {
      assert.match(refusal, FREEZE_REFUSED);
    }
    assert.doesNotMatch('invalid input syntax for type integer: "freeze"', FREEZE_REFUSED);
    assert.doesNotMatch('duplicate key value violates unique constraint "freeze_pkey"', FREEZE_REFUSED);
  });

  it('nothing for a COPY into another table, or a table that is foreign', () => {
    const entries = planned(whole);
    const leaf = dataOf(entries, 'sales', 'measurement_2024');
    // As pg_dump --load-via-partition-root writes it: the rows go through the partitioned root.
    const viaRoot = changed(leaf, { copyStmt: 'COPY sales.measurement (city_id, logdate, peak) FROM stdin;\n' });
    assert.equal(frozenCopies(entries.map((e) => (e === leaf ? viaRoot : e)), {}, true).has(leaf.dumpId), false);
    const order = entries.find((e) => e.desc === 'TABLE' && e.namespace === 'sales' && e.tag === 'order')!;
    const foreign = changed(order, { defn: 'CREATE FOREIGN TABLE sales."order" (id integer) SERVER elsewhere;\n' });
    assert.equal(frozenCopies(entries.map((e) => (e === order ? foreign : e)), {}, true).has(dataOf(entries, 'sales', 'order').dumpId), false);
  });
});
