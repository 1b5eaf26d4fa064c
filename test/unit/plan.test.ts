import assert from 'node:assert/strict';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import { DumpError } from '../../src/core/errors';
import { isListedByDefault } from '../../src/core/model/listing';
import type { Archive, TocEntry } from '../../src/core/model/types';
import { buildPlan, describeReason, ownership, readQualifiedName, type RestorePlan } from '../../src/core/plan/closure';
import { tocIndex } from '../../src/core/plan/dependencies';
import { planWarnings, writeRestoreList } from '../../src/core/plan/listFile';
import type { Selection } from '../../src/core/plan/selection';
import { sharedFixture } from '../support/env';

/** `desc schema tag` of an entry, the way these tests name entries. */
const key = (e: TocEntry) => `${e.desc} ${e.namespace ?? '-'} ${e.tag ?? ''}`;
const keys = (plan: RestorePlan) => plan.entries.map((p) => key(p.entry));

function assertHas(plan: RestorePlan, ...wanted: string[]): void {
  const have = new Set(keys(plan));
  for (const w of wanted) assert.ok(have.has(w), `the plan lacks ${w}; it has:\n${[...have].join('\n')}`);
}

function assertHasNot(plan: RestorePlan, ...unwanted: string[]): void {
  const have = new Set(keys(plan));
  for (const w of unwanted) assert.ok(!have.has(w), `the plan should not have ${w}`);
}

/** Every entry the table `sales.order` owns, as pg_dump 18 wrote them. */
const ORDER_ENTRIES = [
  'TABLE sales order',
  'ACL sales TABLE "order"',
  'SEQUENCE sales order_id_seq',
  'SEQUENCE OWNED BY sales order_id_seq',
  'SEQUENCE SET sales order_id_seq',
  'DEFAULT sales order id',
  'TABLE DATA sales order',
  'CONSTRAINT sales order order_pkey',
  'INDEX sales order_created_idx',
  'INDEX sales order_status_partial_idx',
  'TRIGGER sales order order_touch',
  'FK CONSTRAINT sales order order_customer_id_fkey',
];

const CUSTOMER_ENTRIES = [
  'TABLE sales customer',
  'COMMENT sales TABLE customer',
  'COMMENT sales COLUMN customer.email',
  'ACL sales TABLE customer',
  'SEQUENCE sales customer_id_seq',
  'SEQUENCE SET sales customer_id_seq',
  'TABLE DATA sales customer',
  'CONSTRAINT sales customer customer_email_key',
  'CONSTRAINT sales customer customer_pkey',
  'ROW SECURITY sales customer',
  'POLICY sales customer customer_self',
];

describe('restore plan: closure over the TOC (pg18-rich.custom.dump)', () => {
  let opened: OpenedArchive;
  let archive: Archive;
  const plan = (s: Selection) => buildPlan(archive, s);
  const entry = (k: string) => {
    const e = archive.entries.find((x) => key(x) === k);
    assert.ok(e, `no entry ${k} in the fixture`);
    return e;
  };

  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
    archive = opened.archive;
  });
  after(() => opened.close());

  it('the index is built once per archive; unknown dependency IDs are dropped', () => {
    const index = tocIndex(archive);
    assert.equal(tocIndex(archive), index);
    const refresh = entry('MATERIALIZED VIEW DATA sales daily_totals');
    assert.ok(refresh.dependencies.some((id) => index.byId(id) === undefined), 'the fixture has a dependency on a section boundary');
    assert.deepEqual(index.dependencies(refresh).map(key), ['MATERIALIZED VIEW sales daily_totals']);
    const order = entry('TABLE sales order');
    const dependents = index.dependents(order.dumpId).map(key);
    for (const k of ['TABLE DATA sales order', 'INDEX sales order_created_idx', 'VIEW sales big_orders', 'FK CONSTRAINT sales order_line order_line_order_id_fkey']) {
      assert.ok(dependents.includes(k), `${k} depends on the table`);
    }
    assert.equal(index.position(order.dumpId), archive.entries.indexOf(order));
  });

  it('sales.order brings its serial sequence, default, key, both indexes, trigger, data and privileges', () => {
    const p = plan({ tables: ['sales.order'] });
    assert.deepEqual([...keys(p)].sort(), [...ORDER_ENTRIES].sort());
    assert.deepEqual(p.entries[0]!.reason, { kind: 'selected', as: 'table sales.order' });
    const positions = p.entries.map((x) => archive.entries.indexOf(x.entry));
    assert.deepEqual(positions, [...positions].sort((a, b) => a - b), 'archive order');
  });

  it('its foreign key to sales.customer is dangling, and what the plan needs is reported', () => {
    const p = plan({ tables: ['sales.order'] });
    assert.equal(p.danglingForeignKeys.length, 1);
    const fk = p.danglingForeignKeys[0]!;
    assert.equal(key(fk.entry), 'FK CONSTRAINT sales order order_customer_id_fkey');
    assert.equal(key(fk.table!), 'TABLE sales order');
    assert.ok(fk.missing.map(key).includes('TABLE sales customer'));
    assert.equal(fk.leftOut, false);
    const needs = new Map(p.needs.map((n) => [key(n.entry), n]));
    assert.deepEqual([...needs.keys()].sort(), [
      'CONSTRAINT sales customer customer_pkey',
      'FUNCTION sales touch()',
      'SCHEMA - sales',
      'TABLE sales customer',
      'TYPE sales order_status',
    ]);
    assert.deepEqual(needs.get('FUNCTION sales touch()')!.neededBy, [{ dumpId: entry('TRIGGER sales order order_touch').dumpId, why: 'the trigger function' }]);
    assert.ok(p.needs.every((n) => !n.mustExist));
    const warnings = planWarnings(p);
    assert.ok(warnings.some((w) => /^foreign key \d+ FK CONSTRAINT sales order order_customer_id_fkey references \d+ TABLE sales customer/.test(w)));
    assert.ok(warnings.every((w) => !w.includes('\n')));
  });

  it('the foreign key is not dangling when sales.customer is selected too, or with dependencies', () => {
    assert.deepEqual(plan({ tables: ['sales.order', 'sales.customer'] }).danglingForeignKeys, []);
    const p = plan({ tables: ['sales.order'], withDeps: true });
    assert.deepEqual(p.danglingForeignKeys, []);
    assert.deepEqual(p.needs, []);
    assertHas(p, ...ORDER_ENTRIES, 'TABLE sales customer', 'TABLE DATA sales customer', 'CONSTRAINT sales customer customer_pkey', 'SCHEMA - sales', 'TYPE sales order_status', 'DOMAIN sales email', 'FUNCTION sales touch()');
    const customer = p.entries.find((x) => key(x.entry) === 'TABLE sales customer')!;
    assert.deepEqual(customer.reason, { kind: 'needed-by', of: entry('FK CONSTRAINT sales order order_customer_id_fkey').dumpId, why: 'the table the foreign key references' });
    assert.match(describeReason(archive, customer.reason), /^needed by \d+ FK CONSTRAINT sales order order_customer_id_fkey: the table the foreign key references$/);
    assertHasNot(p, 'TABLE sales order_line', 'VIEW sales big_orders', 'ENCODING - ENCODING', 'DATABASE - postgres');
  });

  it('dropDanglingForeignKeys leaves the constraint out and says so', () => {
    const p = plan({ tables: ['sales.order'], dropDanglingForeignKeys: true });
    assertHasNot(p, 'FK CONSTRAINT sales order order_customer_id_fkey');
    assertHas(p, ...ORDER_ENTRIES.filter((k) => !k.startsWith('FK ')));
    assert.deepEqual(p.leftOut.map((l) => key(l.entry)), ['FK CONSTRAINT sales order order_customer_id_fkey']);
    assert.equal(p.danglingForeignKeys[0]!.leftOut, true);
    assert.deepEqual(p.needs.map((n) => key(n.entry)).sort(), ['FUNCTION sales touch()', 'SCHEMA - sales', 'TYPE sales order_status']);
  });

  it('sales.customer brings its identity sequence, policy, row security, comments (column too) and privileges', () => {
    const p = plan({ tables: ['sales.customer'] });
    assert.deepEqual([...keys(p)].sort(), [...CUSTOMER_ENTRIES].sort());
    assert.deepEqual(p.danglingForeignKeys, [], 'the foreign key of sales.order references customer; it is not customer’s');
    const seq = p.entries.find((x) => key(x.entry) === 'SEQUENCE sales customer_id_seq')!;
    assert.deepEqual(seq.reason, { kind: 'part-of', of: entry('TABLE sales customer').dumpId, why: 'its identity sequence' });
    const columnComment = p.entries.find((x) => key(x.entry) === 'COMMENT sales COLUMN customer.email')!;
    assert.deepEqual(columnComment.reason, { kind: 'part-of', of: entry('TABLE sales customer').dumpId, why: 'a column comment' });
    assert.deepEqual(p.needs.map((n) => key(n.entry)).sort(), ['DOMAIN sales email', 'SCHEMA - sales']);
  });

  it('a partitioned table brings its partitions with their attachments and rows', () => {
    const p = plan({ tables: ['sales.measurement'] });
    assert.deepEqual([...keys(p)].sort(), [
      'TABLE ATTACH sales measurement_2024',
      'TABLE ATTACH sales measurement_2025',
      'TABLE DATA sales measurement_2024',
      'TABLE DATA sales measurement_2025',
      'TABLE sales measurement',
      'TABLE sales measurement_2024',
      'TABLE sales measurement_2025',
    ]);
    const partition = p.entries.find((x) => key(x.entry) === 'TABLE sales measurement_2024')!;
    assert.deepEqual(partition.reason, { kind: 'part-of', of: entry('TABLE sales measurement').dumpId, why: 'a partition of it' });
  });

  it('a partition alone brings its attachment, which needs the partitioned table', () => {
    const p = plan({ tables: ['sales.measurement_2024'] });
    assert.deepEqual(keys(p), ['TABLE sales measurement_2024', 'TABLE ATTACH sales measurement_2024', 'TABLE DATA sales measurement_2024']);
    const parent = p.needs.find((n) => key(n.entry) === 'TABLE sales measurement')!;
    assert.ok(parent.neededBy.some((n) => n.dumpId === entry('TABLE ATTACH sales measurement_2024').dumpId && n.why === 'the partitioned table it attaches to'));
    const withParent = plan({ tables: ['sales.measurement_2024'], withDeps: true });
    assertHas(withParent, 'TABLE sales measurement', 'SCHEMA - sales');
    assertHasNot(withParent, 'TABLE sales measurement_2025', 'TABLE ATTACH sales measurement_2025');
  });

  it('a schema brings its SCHEMA entry, its privileges and everything in it, and nothing else', () => {
    const p = plan({ schemas: ['sales'] });
    assertHas(p, 'SCHEMA - sales', 'ACL - SCHEMA sales', ...ORDER_ENTRIES, ...CUSTOMER_ENTRIES, 'MATERIALIZED VIEW DATA sales daily_totals', 'VIEW sales big_orders');
    const inSchema = archive.entries.filter((e) => e.namespace === 'sales' && isListedByDefault(e)).map(key);
    assertHas(p, ...inSchema);
    assert.equal(p.entries.length, inSchema.length + 2);
    assert.deepEqual(p.entries.find((x) => key(x.entry) === 'SCHEMA - sales')!.reason, { kind: 'selected', as: 'schema sales' });
    assert.deepEqual(p.danglingForeignKeys, []);
    assert.deepEqual(p.needs, []);
  });

  it('data only: rows and sequence values, no DDL; the tables must already exist', () => {
    const p = plan({ tables: ['sales.order'], mode: 'data-only' });
    assert.deepEqual(keys(p), ['TABLE DATA sales order', 'SEQUENCE SET sales order_id_seq']);
    assert.deepEqual(
      p.needs.map((n) => [key(n.entry), n.mustExist]),
      [
        ['TABLE sales order', true],
        ['SEQUENCE sales order_id_seq', true],
      ],
    );
    // The constraint exists in the target and checks the rows: customer's rows are not loaded.
    assert.deepEqual(p.danglingForeignKeys.map((fk) => [key(fk.entry), fk.missing.map(key), fk.leftOut]), [
      ['FK CONSTRAINT sales order order_customer_id_fkey', ['TABLE DATA sales customer'], false],
    ]);
    const withDeps = plan({ tables: ['sales.order_line'], mode: 'data-only', withDeps: true });
    assert.deepEqual(keys(withDeps), ['TABLE DATA sales customer', 'TABLE DATA sales order', 'TABLE DATA sales order_line', 'SEQUENCE SET sales customer_id_seq', 'SEQUENCE SET sales order_id_seq']);
    assert.deepEqual(withDeps.danglingForeignKeys, []);
    const partitioned = plan({ tables: ['sales.measurement'], mode: 'data-only' });
    assert.deepEqual(keys(partitioned), ['TABLE DATA sales measurement_2024', 'TABLE DATA sales measurement_2025']);
  });

  it('definition only: no rows, no sequence values', () => {
    const p = plan({ tables: ['sales.order'], mode: 'definition-only' });
    assert.deepEqual([...keys(p)].sort(), ORDER_ENTRIES.filter((k) => !k.startsWith('TABLE DATA') && !k.startsWith('SEQUENCE SET')).sort());
    const mv = plan({ materializedViews: ['sales.daily_totals'], mode: 'definition-only' });
    assert.deepEqual(keys(mv), ['MATERIALIZED VIEW sales daily_totals', 'ACL sales TABLE daily_totals', 'INDEX sales daily_totals_d_idx']);
  });

  it('every planned entry has a reason that names a real entry', () => {
    for (const s of [{ schemas: ['sales'] }, { tables: ['sales.order'], withDeps: true }, { tables: ['sales.order_line'], mode: 'data-only', withDeps: true }] as Selection[]) {
      const p = plan(s);
      assert.ok(p.entries.length > 0);
      for (const { entry: e, reason } of p.entries) {
        if (reason.kind === 'selected') assert.ok(reason.as.length > 0);
        else {
          assert.ok(tocIndex(archive).byId(reason.of), `${key(e)}: reason names entry ${reason.of}`);
          assert.ok(reason.why.length > 0);
        }
        assert.ok(!describeReason(archive, reason).includes('\n'));
      }
    }
  });

  it('views, matviews, sequences, functions, types by name; a function without its arguments', () => {
    const view = plan({ views: ['sales.big_orders'] });
    assert.deepEqual(keys(view), ['VIEW sales big_orders', 'ACL sales TABLE big_orders']);
    assert.deepEqual(view.needs.map((n) => key(n.entry)).sort(), ['SCHEMA - sales', 'TABLE sales customer', 'TABLE sales order', 'TYPE sales order_status']);
    assert.ok(view.needs.find((n) => key(n.entry) === 'TABLE sales order')!.neededBy.every((n) => n.why === 'a relation the view reads'));
    assert.deepEqual(keys(plan({ materializedViews: ['daily_totals'] })), ['MATERIALIZED VIEW sales daily_totals', 'ACL sales TABLE daily_totals', 'INDEX sales daily_totals_d_idx', 'MATERIALIZED VIEW DATA sales daily_totals']);
    assert.deepEqual(keys(plan({ sequences: ['public.standalone_seq'] })), ['SEQUENCE public standalone_seq', 'SEQUENCE SET public standalone_seq']);
    assert.deepEqual(keys(plan({ functions: ['sales.touch'] })), ['FUNCTION sales touch()']);
    assert.deepEqual(keys(plan({ functions: ['sales.customer_total(bigint)'] })), ['FUNCTION sales customer_total(bigint)']);
    assert.deepEqual(keys(plan({ types: ['sales.email', 'sales.order_status'] })), ['DOMAIN sales email', 'TYPE sales order_status']);
  });

  it('a quoted table name: its sequence is found from OWNED BY', () => {
    const p = plan({ tables: ['Audit Log.Event "Quoted" Name'] });
    assertHas(p, 'SEQUENCE Audit Log Event "Quoted" Name_id_seq', 'SEQUENCE OWNED BY Audit Log Event "Quoted" Name_id_seq', 'DEFAULT Audit Log Event "Quoted" Name id', 'CONSTRAINT Audit Log Event "Quoted" Name Event "Quoted" Name_pkey');
    assert.deepEqual(readQualifiedName('x OWNED BY "Audit Log"."Event ""Quoted"" Name".id;', 11), ['Audit Log', 'Event "Quoted" Name', 'id']);
    assert.deepEqual(readQualifiedName('sales."order"(id)', 0), ['sales', 'order']);
  });

  it('sections and kinds; hidden and DATABASE entries are never planned', () => {
    const pre = plan({ sections: ['pre-data'] });
    const hidden = new Set(['ENCODING', 'STDSTRINGS', 'SEARCHPATH', 'DATABASE']);
    assert.ok(pre.entries.every((x) => !hidden.has(x.entry.desc ?? '') && !(x.entry.tag ?? '').startsWith('DATABASE ')));
    assertHas(pre, 'SCHEMA - sales', 'ACL - SCHEMA sales', 'TABLE sales order', 'ACL sales TABLE "order"', 'SEQUENCE OWNED BY sales order_id_seq');
    assertHasNot(pre, 'TABLE DATA sales order', 'INDEX sales order_created_idx');
    assert.deepEqual(plan({ kinds: ['DATABASE', 'ENCODING'] }).entries, []);
    const fns = plan({ kinds: ['FUNCTION'] });
    assert.deepEqual(keys(fns), ['FUNCTION sales customer_total(bigint)', 'FUNCTION sales touch()']);
    assert.deepEqual(keys(plan({ sections: ['data'], mode: 'definition-only' })), []);
  });

  it('names not in the archive: one usage error naming all of them', () => {
    assert.throws(
      () => plan({ tables: ['sales.nope', 'sales.big_orders'], schemas: ['nowhere'] }),
      (err: unknown) => {
        assert.ok(err instanceof DumpError);
        assert.equal(err.code, 'usage');
        assert.ok(!err.message.includes('\n'));
        assert.match(err.message, /table sales\.nope/);
        assert.match(err.message, /table sales\.big_orders \(there is a view of that name\)/);
        assert.match(err.message, /schema nowhere/);
        return true;
      },
    );
    assert.throws(() => plan({ tables: ['sales.x\ny'] }), (err: unknown) => err instanceof DumpError && !err.message.includes('\n'));
  });

  it('ownership: comments and privileges belong to their object, indexes and triggers to their table', () => {
    const own = ownership(archive);
    const ownerOf = (k: string) => own.owners(entry(k).dumpId).map(key);
    assert.deepEqual(ownerOf('TRIGGER sales order order_touch'), ['TABLE sales order']);
    assert.deepEqual(ownerOf('FK CONSTRAINT sales order_line order_line_order_id_fkey'), ['TABLE sales order_line']);
    assert.deepEqual(ownerOf('DEFAULT sales order id'), ['TABLE sales order']);
    assert.deepEqual(ownerOf('SEQUENCE sales order_id_seq'), ['TABLE sales order']);
    assert.deepEqual(ownerOf('ACL - SCHEMA sales'), ['SCHEMA - sales']);
    assert.deepEqual(ownerOf('INDEX sales daily_totals_d_idx'), ['MATERIALIZED VIEW sales daily_totals']);
    assert.deepEqual(ownerOf('SEQUENCE public standalone_seq'), []);
  });
});

describe('restore plan: statistics (pg18-rich.custom-stats.dump)', () => {
  it('a table brings the statistics of itself and of its indexes, with definition and data only', async () => {
    const opened = await openArchive(sharedFixture('pg18-rich.custom-stats.dump'));
    try {
      const full = buildPlan(opened.archive, { tables: ['sales.order'] });
      assertHas(full, 'STATISTICS DATA sales order', 'STATISTICS DATA sales order_created_idx', 'STATISTICS DATA sales order_pkey', 'STATISTICS DATA sales order_status_partial_idx');
      assertHasNot(full, 'STATISTICS DATA sales customer', 'STATISTICS DATA sales customer_pkey');
      const defs = buildPlan(opened.archive, { tables: ['sales.order'], mode: 'definition-only' });
      assert.ok(defs.entries.every((x) => x.entry.desc !== 'STATISTICS DATA'));
    } finally {
      await opened.close();
    }
  });
});

describe('restore list file', () => {
  let opened: OpenedArchive;
  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
  });
  after(() => opened.close());

  it('comment lines, then one pg_restore -l line per planned entry in archive order', () => {
    const plan = buildPlan(opened.archive, { tables: ['sales.order'] });
    const text = writeRestoreList(opened.archive, plan);
    const lines = text.trimEnd().split('\n');
    const entryLines = lines.filter((l) => !l.startsWith(';'));
    assert.ok(lines.every((l) => l.startsWith(';') || /^\d+; \d+ \d+ /.test(l)), text);
    assert.deepEqual(entryLines.map((l) => Number(l.slice(0, l.indexOf(';')))), plan.entries.map((p) => p.entry.dumpId));
    assert.ok(entryLines.includes(`${plan.entries[0]!.entry.dumpId}; 1259 ${plan.entries[0]!.entry.oid} TABLE sales order postgres`));
    assert.match(text, /^; Selected: table sales\.order$/m);
    assert.match(text, /^; Mode: definition and data$/m);
    assert.match(text, /^; {5}foreign key \d+ FK CONSTRAINT sales order order_customer_id_fkey references/m);
  });

  it('a tag holding a line break cannot add a line', () => {
    const plan = buildPlan(opened.archive, { tables: ['sales.customer'] });
    const victim = plan.entries[0]!.entry;
    const evil = Object.create(victim, { tag: { value: 'customer\n2649; 0 0 TABLE DATA sales order postgres\r\n2680' } }) as TocEntry;
    const forged: RestorePlan = {
      ...plan,
      selection: { tables: ['sales.customer\n2650; x'] },
      entries: plan.entries.map((p, i) => (i === 0 ? { ...p, entry: evil } : p)),
      needs: [{ entry: Object.create(victim, { namespace: { value: 'x\n2651' } }) as TocEntry, neededBy: [{ dumpId: 1, why: 'x\ny' }], mustExist: false }],
    };
    const text = writeRestoreList(opened.archive, forged);
    const lines = text.trimEnd().split('\n');
    assert.ok(lines.every((l) => l.startsWith(';') || /^\d+; /.test(l)));
    const ids = lines.filter((l) => !l.startsWith(';')).map((l) => Number(l.slice(0, l.indexOf(';'))));
    assert.deepEqual(ids, plan.entries.map((p) => p.entry.dumpId));
    assert.ok(text.includes(`${victim.dumpId}; 1259 ${victim.oid} TABLE sales customer 2649; 0 0 TABLE DATA sales order postgres  2680 postgres\n`));
  });
});
