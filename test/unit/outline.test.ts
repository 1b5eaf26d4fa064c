import assert from 'node:assert/strict';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import { DumpOutline, OutlineFilter, RANGE_SIZE, type OutlineNode } from '../../src/core/model/outline';
import { Section, type Archive, type TocEntry } from '../../src/core/model/types';
import type { TocTable } from '../../src/core/formats/archive/toc';
import { buildPlan, ownership } from '../../src/core/plan/closure';
import { isListedByDefault } from '../../src/core/model/listing';
import { Picks } from '../../src/core/plan/picks';
import { sharedFixture } from '../support/env';
import { nodeAt } from '../support/outlinePath';

const labels = (nodes: readonly OutlineNode[]) => nodes.map((n) => n.label);
const planKeys = (plan: ReturnType<typeof buildPlan>) => plan.entries.map((p) => `${p.entry.desc} ${p.entry.namespace ?? '-'} ${p.entry.tag}`).sort();

/** Every node under `node`, depth first (parts included). */
function walk(outline: DumpOutline, node?: OutlineNode): OutlineNode[] {
  const out: OutlineNode[] = [];
  for (const child of outline.children(node)) out.push(child, ...walk(outline, child));
  return out;
}

describe('dump outline (pg18-rich.custom.dump)', () => {
  let opened: OpenedArchive;
  let outline: DumpOutline;
  const byPath = (...path: string[]): OutlineNode => nodeAt(outline, ...path);

  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
    outline = new DumpOutline(opened.archive);
  });
  after(() => opened.close());

  it('schemas by name, then the groups of objects without a schema', () => {
    assert.deepEqual(labels(outline.roots), ['Audit Log', 'public', 'sales', 'Large objects']);
    assert.deepEqual(labels(outline.children(byPath('sales'))), ['Tables', 'Views', 'Materialized views', 'Functions', 'Types']);
    assert.deepEqual(labels(outline.children(byPath('sales', 'Tables'))), ['customer', 'measurement', 'order', 'order_line']);
    assert.deepEqual(labels(outline.children(byPath('public', 'Tables'))), ['ünïcødé_tàble']);
  });

  it('partitions sit under their partitioned table, and are objects too', () => {
    const measurement = byPath('sales', 'Tables', 'measurement');
    const children = outline.children(measurement);
    assert.deepEqual(children.filter((c) => c.kind === 'object').map((c) => c.label), ['measurement_2024', 'measurement_2025']);
    assert.equal(measurement.end - measurement.start, 3, 'the table and its two partitions are leaves');
    assert.equal(measurement.dataBytes, children.reduce((sum, c) => sum + c.dataBytes, 0), 'a partitioned table holds its partitions\' data');
  });

  it('an object holds what comes with it, named as a person would', () => {
    const order = outline.children(byPath('sales', 'Tables', 'order'));
    const parts = order.map((c) => `${c.desc}: ${c.label}`);
    for (const want of ['TABLE DATA: rows', 'INDEX: order_created_idx', 'INDEX: order_status_partial_idx', 'CONSTRAINT: order_pkey', 'TRIGGER: order_touch', 'FK CONSTRAINT: order_customer_id_fkey', 'DEFAULT: default of column id', 'ACL: privileges', 'SEQUENCE: order_id_seq']) {
      assert.ok(parts.includes(want), `${want} is not under sales.order: ${parts.join(', ')}`);
    }
    assert.ok(order.every((c) => c.kind === 'part' && c.start === c.end), 'parts cover no leaves');
    const customer = outline.children(byPath('sales', 'Tables', 'customer')).map((c) => c.label);
    assert.ok(customer.includes('comment on column email'), customer.join(', '));
  });

  it('a table shows the stored size of its rows', () => {
    const order = byPath('sales', 'Tables', 'order');
    const data = opened.archive.entries.find((e) => e.desc === 'TABLE DATA' && e.tag === 'order')!;
    assert.ok(data.dataSize! > 0);
    assert.equal(order.dataBytes, data.dataSize);
  });

  it('every node\'s children tile its span of leaves, in order', () => {
    const check = (node: OutlineNode | undefined) => {
      const kids = outline.children(node).filter((c) => c.kind !== 'part');
      if (kids.length === 0) return;
      const [start, end] = node ? [node.kind === 'object' ? node.start + 1 : node.start, node.end] : [0, outline.leafCount];
      let at = start;
      for (const k of kids) {
        assert.equal(k.start, at, `${k.id} starts at ${k.start}, expected ${at}`);
        at = k.end;
        check(k);
      }
      assert.equal(at, end, `children of ${node?.id ?? 'the dump'} end at ${at}, expected ${end}`);
    };
    check(undefined);
  });

  it('every listed entry is shown, as an object or under one, except what is about a schema', () => {
    const shown = walk(outline).map((n) => n.dumpId).filter((id) => id !== undefined);
    const own = ownership(opened.archive);
    const aboutSchema = (e: TocEntry) => e.desc === 'SCHEMA' || own.owners(e.dumpId).some((o) => o.desc === 'SCHEMA');
    const listed = opened.archive.entries.filter((e) => isListedByDefault(e) && !aboutSchema(e));
    assert.ok(listed.length > 50);
    for (const e of listed) {
      assert.ok(shown.includes(e.dumpId), `${e.dumpId} ${e.desc} ${e.tag} is not in the tree`);
      assert.equal(outline.nodeOfEntry(e.dumpId)?.dumpId, e.dumpId);
    }
    const objects = shown.filter((id) => outline.leafOfEntry(id) >= 0);
    assert.equal(new Set(objects).size, objects.length, 'an object shows once');
  });

  it('finds the node of any entry: an object, a part under its object, a schema', () => {
    const index = opened.archive.entries.find((e) => e.desc === 'INDEX' && e.tag === 'order_created_idx')!;
    const node = outline.nodeOfEntry(index.dumpId)!;
    assert.equal(node.kind, 'part');
    assert.equal(outline.parent(node)?.label, 'order');
    const seqSet = opened.archive.entries.find((e) => e.desc === 'SEQUENCE SET' && e.tag === 'order_id_seq')!;
    assert.equal(outline.parent(outline.nodeOfEntry(seqSet.dumpId)!)?.label, 'order_id_seq');
    const schema = opened.archive.entries.find((e) => e.desc === 'SCHEMA' && e.tag === 'sales')!;
    assert.equal(outline.nodeOfEntry(schema.dumpId)?.kind, 'schema');
  });

  it('filters by name, with psql-style wildcards and schema.name', () => {
    const f = new OutlineFilter(outline, 'order*');
    assert.equal(f.matchCount, 3, 'order, order_line and the type order_status');
    assert.ok(f.shows(byPath('sales')));
    assert.ok(!f.shows(byPath('Audit Log')));
    assert.ok(!f.shows(byPath('sales', 'Views')));
    const q = new OutlineFilter(outline, 'sales.measure*');
    assert.equal(q.matchCount, 3);
    assert.ok(q.shows(byPath('sales', 'Tables', 'measurement', 'measurement_2025')));
    assert.equal(new OutlineFilter(outline, 'ASUREMENT_2').matchCount, 2, 'no wildcard: a case-insensitive part of the name');
    assert.ok(new OutlineFilter(outline, 'measurement').shows(byPath('sales', 'Tables', 'measurement', 'measurement_2024')), 'a matching table shows its partitions');
  });

  describe('picks', () => {
    it('picking a schema picks all of it; the plan is the same as for the schema by name', () => {
      const picks = new Picks(outline);
      const sales = byPath('sales');
      assert.equal(picks.set(sales, true), sales.end - sales.start);
      assert.equal(picks.state(sales), 'all');
      assert.equal(picks.state(byPath('public')), 'none');
      const fromTree = buildPlan(opened.archive, picks.toSelection());
      const byName = buildPlan(opened.archive, { schemas: ['sales'] });
      assert.deepEqual(planKeys(fromTree), planKeys(byName));
    });

    it('a parent with some of its objects picked says so', () => {
      const picks = new Picks(outline);
      picks.set(byPath('sales', 'Tables', 'order'), true);
      assert.equal(picks.state(byPath('sales', 'Tables')), 'some');
      assert.equal(picks.state(byPath('sales')), 'some');
      assert.equal(picks.countIn(byPath('sales')), 1);
      assert.ok(!picks.pickedDumpIds().includes(byPath('sales').dumpId!), 'the SCHEMA entry only comes with the whole schema');
    });

    it('unpicking a partition leaves its table picked without it', () => {
      const picks = new Picks(outline);
      const measurement = byPath('sales', 'Tables', 'measurement');
      picks.set(measurement, true);
      const all = planKeys(buildPlan(opened.archive, picks.toSelection()));
      assert.ok(all.includes('TABLE DATA sales measurement_2024') && all.includes('TABLE DATA sales measurement_2025'));
      picks.set(byPath('sales', 'Tables', 'measurement', 'measurement_2024'), false);
      assert.equal(picks.state(measurement), 'some');
      const some = planKeys(buildPlan(opened.archive, picks.toSelection()));
      assert.ok(some.includes('TABLE sales measurement') && some.includes('TABLE DATA sales measurement_2025'));
      assert.ok(!some.includes('TABLE sales measurement_2024') && !some.includes('TABLE DATA sales measurement_2024'), some.join('\n'));
    });

    it('a filter limits what ticking a group picks', () => {
      const picks = new Picks(outline);
      const f = new OutlineFilter(outline, 'order*');
      picks.set(byPath('sales'), true, (leaf) => f.showsLeaf(leaf));
      assert.deepEqual(picks.pickedLeaves().map((l) => outline.nameOfLeaf(l)).sort(), ['order', 'order_line', 'order_status']);
    });

    it('parts cannot be picked; clear and restore', () => {
      const picks = new Picks(outline);
      const part = outline.children(byPath('sales', 'Tables', 'order'))[0]!;
      assert.equal(picks.set(part, true), 0);
      assert.equal(picks.count, 0);
      picks.set(byPath('public'), true);
      const ids = picks.pickedDumpIds();
      picks.clear();
      assert.equal(picks.count, 0);
      picks.restore(ids);
      assert.deepEqual(picks.pickedDumpIds().sort(), ids.sort());
    });
  });
});

/** An archive of `tables` tables in one schema, each with a primary key and rows, made in memory. */
function wideArchive(tables: number): Archive {
  const entries: TocEntry[] = [];
  let id = 1;
  const entry = (fields: Partial<TocEntry> & Pick<TocEntry, 'desc' | 'tag'>): TocEntry => {
    const e: TocEntry = {
      dumpId: id++,
      hadDumper: false,
      tableoid: '0',
      oid: '0',
      section: Section.PreData,
      defn: `-- ${fields.desc}`,
      hasDefinition: true,
      dropStmt: null,
      copyStmt: null,
      namespace: 'wide',
      tablespace: null,
      tableam: null,
      relkind: null,
      owner: 'postgres',
      withOids: null,
      dependencies: [],
      data: null,
      dataSize: null,
      ...fields,
    };
    entries.push(e);
    return e;
  };
  const schema = entry({ desc: 'SCHEMA', tag: 'wide', namespace: null });
  for (let t = 1; t <= tables; t++) {
    const table = entry({ desc: 'TABLE', tag: `t${t}`, dependencies: [schema.dumpId] });
    entry({ desc: 'TABLE DATA', tag: `t${t}`, hadDumper: true, section: Section.Data, dependencies: [table.dumpId], dataSize: 10 });
    entry({ desc: 'CONSTRAINT', tag: `t${t} t${t}_pkey`, section: Section.PostData, dependencies: [table.dumpId] });
  }
  return {
    path: 'wide.dump',
    format: 'custom',
    container: 'file',
    header: { version: { major: 1, minor: 14, rev: 0 }, intSize: 4, offSize: 8, formatByte: 1, compression: 'none', compressionLevel: 0, createdAt: null, dbname: 'wide', serverVersion: '15', pgDumpVersion: '15', tocCount: entries.length },
    table: {} as TocTable,
    entries,
    stringEncoding: 'utf8',
    dataProblems: [],
  };
}

describe('dump outline of a schema wider than one level may hold', () => {
  const tables = 2 * RANGE_SIZE + 234;
  const archive = wideArchive(tables);
  const outline = new DumpOutline(archive);
  const group = outline.children(outline.roots[0])[0]!;

  it('splits the group into ranges of at most RANGE_SIZE objects, named by their first and last', () => {
    const ranges = outline.children(group);
    assert.deepEqual(ranges.map((r) => r.kind), ['range', 'range', 'range']);
    assert.deepEqual(ranges.map((r) => r.end - r.start), [RANGE_SIZE, RANGE_SIZE, 234]);
    assert.equal(ranges[0]!.label, `t1 … t${RANGE_SIZE}`, 'numbers sort as numbers');
    assert.equal(outline.children(ranges[2]!).length, 234);
    assert.equal(group.dataBytes, tables * 10);
  });

  it('finds and walks up to a table inside a range', () => {
    const t = archive.entries.find((e) => e.desc === 'TABLE' && e.tag === `t${RANGE_SIZE + 7}`)!;
    const node = outline.nodeOfEntry(t.dumpId)!;
    assert.equal(node.label, t.tag);
    const chain: string[] = [];
    for (let n: OutlineNode | null = node; n; n = outline.parent(n)) chain.push(n.kind);
    assert.deepEqual(chain, ['object', 'range', 'group', 'schema']);
  });

  it('a filter that leaves few objects lists them without ranges, and walks back up past them', () => {
    const filter = new OutlineFilter(outline, 't1?');
    const shown = filter.children(group);
    assert.deepEqual(shown.map((n) => n.label), ['t10', 't11', 't12', 't13', 't14', 't15', 't16', 't17', 't18', 't19']);
    assert.ok(shown.every((n) => n.kind === 'object'));
    assert.equal(filter.parent(shown[0]!), group, 'the group, not the range the object is in');
    assert.equal(outline.parent(shown[0]!)?.kind, 'range', 'without the filter, the range');
    assert.equal(filter.parent(group), outline.roots[0]);
    // Too many shown for one level: ranges, those that show anything.
    const wide = new OutlineFilter(outline, 't*');
    assert.deepEqual(wide.children(group).map((n) => n.kind), ['range', 'range', 'range']);
    const few = new OutlineFilter(outline, `t${2 * RANGE_SIZE + 1}`);
    assert.ok(few.children(group).every((n) => n.kind === 'object'));
    assert.ok(few.children(group).length > 0);
  });

  it('picking the schema picks every table and brings the SCHEMA entry', () => {
    const picks = new Picks(outline);
    picks.set(outline.roots[0]!, true);
    assert.equal(picks.count, tables);
    const plan = buildPlan(archive, picks.toSelection());
    assert.equal(plan.entries.length, 1 + tables * 3);
  });
});
