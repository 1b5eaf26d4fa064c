import assert from 'node:assert/strict';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import { definitionText, entryHeader } from '../../src/core/model/definitionText';
import { nodeSelection } from '../../src/core/model/nodeSelection';
import { DumpOutline, OutlineFilter, type OutlineNode } from '../../src/core/model/outline';
import { archiveFacts, dumpDescription, nodeDescription, nodePickState } from '../../src/core/model/outlineText';
import { buildPlan, describeEntry } from '../../src/core/plan/closure';
import { describePickSummary, summarizePicks } from '../../src/core/plan/pickSummary';
import { Picks, pickTablesMatching } from '../../src/core/plan/picks';
import { relationsOf } from '../../src/core/plan/relations';
import { sharedFixture } from '../support/env';
import { nodeAt } from '../support/outlinePath';

/** What the tree builds on: node selections, SQL previews, pick summaries, relations, node text. */
describe('tree model (pg18-rich.custom.dump)', () => {
  let opened: OpenedArchive;
  let outline: DumpOutline;
  let picks: Picks;
  const byPath = (...path: string[]): OutlineNode => nodeAt(outline, ...path);

  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
    outline = new DumpOutline(opened.archive);
  });
  beforeEach(() => {
    picks = new Picks(outline);
  });
  after(() => opened.close());

  describe('node selection', () => {
    it('is what ticking the node picks: the plans are the same', () => {
      for (const path of [['sales'], ['sales', 'Tables'], ['sales', 'Tables', 'measurement'], ['sales', 'Tables', 'order']]) {
        const node = byPath(...path);
        picks.clear();
        picks.set(node, true);
        const fromPicks = buildPlan(opened.archive, picks.toSelection()).entries.map((p) => p.entry.dumpId).sort();
        const fromNode = buildPlan(opened.archive, nodeSelection(outline, node)).entries.map((p) => p.entry.dumpId).sort();
        assert.deepEqual(fromNode, fromPicks, path.join(' → '));
      }
    });

    it('of a part is the part and what belongs to it; of the dump, everything listed', () => {
      const seq = outline.children(byPath('sales', 'Tables', 'order')).find((c) => c.desc === 'SEQUENCE')!;
      const plan = buildPlan(opened.archive, nodeSelection(outline, seq));
      assert.deepEqual(plan.entries.map((p) => p.entry.desc).sort(), ['SEQUENCE', 'SEQUENCE OWNED BY', 'SEQUENCE SET']);
      const all = buildPlan(opened.archive, nodeSelection(outline, undefined));
      assert.ok(all.entries.some((p) => p.entry.desc === 'SCHEMA' && p.entry.tag === 'sales'));
      assert.equal(all.needs.length, 0, 'the whole dump needs nothing from elsewhere');
    });
  });

  describe('definition text', () => {
    it('holds the CREATE TABLE and what comes with it, each under a pg_dump-style header', () => {
      const text = definitionText(opened.archive, nodeSelection(outline, byPath('sales', 'Tables', 'order')), 'table sales.order');
      assert.match(text, /^-- table sales\.order: what restoring it runs, 12 entries/);
      assert.match(text, /-- Name: order; Type: TABLE; Schema: sales; Owner: postgres\n--\n\nCREATE TABLE sales\."order" \(/);
      for (const want of ['CREATE INDEX order_created_idx', 'ADD CONSTRAINT order_pkey PRIMARY KEY', 'CREATE TRIGGER order_touch', 'GRANT SELECT ON TABLE sales."order" TO app_reader', "pg_catalog.setval('sales.order_id_seq'"]) {
        assert.ok(text.includes(want), `no ${want}`);
      }
      // The table first, then its parts in archive order: what pg_restore would run, in order.
      assert.ok(text.indexOf('CREATE TABLE') < text.indexOf('CREATE INDEX'));
    });

    it('shows table data as its COPY statement and points to the data preview', () => {
      const rows = outline.children(byPath('sales', 'Tables', 'order')).find((c) => c.desc === 'TABLE DATA')!;
      const text = definitionText(opened.archive, nodeSelection(outline, rows), 'rows of sales.order');
      assert.match(text, /-- Data for Name: order; Type: TABLE DATA; Schema: sales; Owner: postgres/);
      assert.match(text, /COPY sales\."order" \(id, customer_id, status, total, created\) FROM stdin;\n-- \(rows: .* stored in the archive; Preview Data shows the first 100\)\n\\\.\n/);
    });

    it('writes a name with a line break on one header line', () => {
      const e = { ...opened.archive.entries[0]!, tag: 'two\nlines', desc: 'TABLE', namespace: null, owner: 'o', tablespace: null, hadDumper: false };
      assert.equal(entryHeader(e), '--\n-- Name: two lines; Type: TABLE; Schema: -; Owner: o\n--\n');
    });
  });

  describe('pick summary', () => {
    it('counts what the plan takes, what comes with the picks and what is needed from elsewhere', () => {
      picks.set(byPath('sales', 'Tables', 'order'), true);
      const s = summarizePicks(opened.archive, picks.toSelection(), picks.count);
      const plan = buildPlan(opened.archive, picks.toSelection());
      assert.equal(s.picked, 1);
      assert.equal(s.planned, plan.entries.length);
      assert.equal(s.comeWith, plan.entries.length - 1);
      assert.equal(s.needed, plan.needs.length);
      assert.ok(s.needed > 0, 'sales.order needs its schema, its type, customer…');
      assert.equal(s.withDepsAdds, buildPlan(opened.archive, { ...picks.toSelection(), withDeps: true }).entries.length - plan.entries.length);
      assert.equal(s.comeWithKinds.reduce((n, k) => n + k.count, 0), s.comeWith);
      assert.equal(
        describePickSummary(s),
        `1 object picked · restoring it takes ${s.planned} entries (${s.comeWith} come with it: ${s.comeWithKinds.slice(0, 3).map((k) => k.noun).join(', ')}, …) · ${s.needed} needed from elsewhere (with dependencies: ${s.withDepsAdds} more entries)`,
      );
      assert.equal(s.comeWithKinds[0]!.noun, 'indexes', 'most first');
      assert.ok(s.comeWithKinds.some((k) => k.noun === 'rows'));
    });

    it('a whole dump needs nothing from elsewhere; nothing picked says so', () => {
      picks.pickWhere(() => true);
      for (const r of outline.roots) picks.set(r, true);
      const s = summarizePicks(opened.archive, picks.toSelection(), picks.count);
      assert.equal(s.needed, 0);
      assert.doesNotMatch(describePickSummary(s), /needed from elsewhere/);
      assert.equal(describePickSummary(summarizePicks(opened.archive, { objects: [] }, 0)), 'Nothing picked');
    });
  });

  describe('relations', () => {
    it('says what an object needs, what needs it and what comes with it', () => {
      const r = relationsOf(opened.archive, nodeSelection(outline, byPath('sales', 'Tables', 'order')));
      const line = (x: { entry: Parameters<typeof describeEntry>[0]; why: string }) => `${x.entry.desc} ${x.entry.namespace} ${x.entry.tag}: ${x.why}`;
      assert.ok(r.needs.map(line).includes('TABLE sales customer: the table the foreign key references'), r.needs.map(line).join('\n'));
      assert.ok(r.needs.some((x) => x.entry.desc === 'SCHEMA' && x.why === 'its schema'));
      assert.ok(r.neededBy.some((x) => x.entry.desc === 'FK CONSTRAINT' && x.entry.tag === 'order_line order_line_order_id_fkey'), r.neededBy.map(line).join('\n'));
      assert.ok(r.neededBy.some((x) => x.entry.desc === 'VIEW' && x.entry.tag === 'big_orders'));
      assert.ok(r.comesWith.some((x) => x.entry.desc === 'TABLE DATA' && x.why === 'its rows'));
      assert.ok(!r.comesWith.some((x) => x.entry.desc === 'TABLE' && x.entry.tag === 'order'), 'not itself');
      const within = new Set([...r.comesWith.map((x) => x.entry.dumpId), byPath('sales', 'Tables', 'order').dumpId]);
      assert.ok([...r.needs, ...r.neededBy].every((x) => !within.has(x.entry.dumpId)), 'needs and needed-by are outside it');
    });
  });

  describe('node text', () => {
    it('a partly picked parent says how much; checked only when all of it is picked', () => {
      const tables = byPath('sales', 'Tables');
      const size = tables.end - tables.start;
      assert.equal(nodePickState(tables, picks), 'none');
      picks.set(byPath('sales', 'Tables', 'order'), true);
      assert.equal(nodePickState(tables, picks), 'some');
      assert.match(nodeDescription(tables, picks), new RegExp(`^${size} · .* · 1 of ${size} picked$`));
      picks.set(tables, true);
      assert.equal(nodePickState(tables, picks), 'all');
      assert.match(nodeDescription(tables, picks), new RegExp(`all ${size} picked$`));
      assert.equal(nodePickState(outline.children(byPath('sales', 'Tables', 'order'))[0]!, picks), undefined, 'parts have no check-box');
    });

    it('with a filter, the state and counts are of what it shows', () => {
      const filter = new OutlineFilter(outline, 'order*');
      const tables = byPath('sales', 'Tables');
      picks.set(tables, true, (leaf) => filter.showsLeaf(leaf));
      assert.equal(nodePickState(tables, picks, filter), 'all');
      assert.equal(nodePickState(tables, picks), 'some');
      assert.match(nodeDescription(tables, picks, filter), /^2 · /);
      assert.match(dumpDescription(opened.archive, picks, filter), /^custom · 66 entries · 2 picked · \d+ match "order\*"$/);
    });

    it('describes objects and parts by kind and size, and partitioned tables by their partitions', () => {
      assert.match(nodeDescription(byPath('sales', 'Tables', 'order'), picks), /^\d+(\.\d)? kB$/);
      assert.match(nodeDescription(byPath('sales', 'Tables', 'measurement'), picks), /^partitioned, 2 partitions · \d+ B$/);
      const parts = outline.children(byPath('sales', 'Tables', 'order'));
      const text = (desc: string) => nodeDescription(parts.find((p) => p.desc === desc)!, picks);
      assert.equal(text('INDEX'), 'index');
      assert.equal(text('FK CONSTRAINT'), 'foreign key');
      assert.match(text('TABLE DATA'), /^\d+(\.\d)? kB$/, 'rows: their size, the label says what they are');
      assert.equal(text('ACL'), '');
    });

    it('gives the archive\'s facts for the dump\'s tooltip', () => {
      const facts = archiveFacts(opened.archive, outline).join('\n');
      assert.match(facts, /Format: custom, archive version 1\.16-0, compression gzip/);
      assert.match(facts, /Dumped from PostgreSQL 18\.3 by pg_dump 18\.3/);
      assert.match(facts, /66 TOC entries; 17 objects; /);
    });
  });

  describe('select tables matching', () => {
    it('picks matching tables as ticking them would, partitions with their table', () => {
      const r = pickTablesMatching(picks, 'sales.m*');
      assert.deepEqual(r, { matched: 3, added: 3 }, 'measurement and its two partitions');
      assert.equal(nodePickState(byPath('sales', 'Tables', 'measurement'), picks), 'all');
      assert.deepEqual(pickTablesMatching(picks, 'measurement'), { matched: 3, added: 0 }, 'a name without wildcards matches as a part of the name');
      assert.deepEqual(pickTablesMatching(picks, 'big_orders'), { matched: 0, added: 0 }, 'a view is not a table');
    });
  });
});
