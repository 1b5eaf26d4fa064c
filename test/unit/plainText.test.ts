/**
 * The plain-dump navigation core: the header recogniser, the index of a document's text in
 * lines, and the outline of its sections. Samples are pg_dump 18.3's plain output of the shared
 * `pg18-rich` database and short excerpts of it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { plainHeaderKind } from '../../src/core/plain/header';
import { PlainIndexer } from '../../src/core/plain/indexer';
import { outlineRows, plainOutline, schemaOfEntry } from '../../src/core/plain/plainOutline';
import { copyBlockAtLine, indexPlainText, sectionAtLine } from '../../src/core/plain/textIndex';

const RICH = path.resolve(__dirname, '../../../shared/fixtures/pg18-rich.plain.sql');
const richBytes = readFileSync(RICH);
const richLines = richBytes.toString('utf8').split('\n');

describe('plain dump header', () => {
  it('recognises pg_dump and pg_dumpall headers, with CRLF and a BOM', () => {
    assert.equal(plainHeaderKind(richLines.slice(0, 6).join('\n')), 'pg_dump');
    assert.equal(plainHeaderKind('--\r\n-- PostgreSQL database dump\r\n--\r\n'), 'pg_dump');
    assert.equal(plainHeaderKind('\ufeff--\n-- PostgreSQL database dump\n--\n\n'), 'pg_dump');
    assert.equal(plainHeaderKind('--\n-- PostgreSQL database cluster dump\n--\n\n\\restrict abc\n'), 'pg_dumpall');
  });

  it('rejects SQL that only looks like a dump', () => {
    assert.equal(plainHeaderKind('-- PostgreSQL database dump\n'), null);
    assert.equal(plainHeaderKind('SELECT 1;\n'), null);
    assert.equal(plainHeaderKind('--\n-- PostgreSQL database dump complete\n--\n'), null);
    assert.equal(plainHeaderKind(''), null);
  });
});

describe('plain text index', () => {
  const index = indexPlainText(richBytes);
  const find = (desc: string, tag: string) => {
    const i = index.entries.findIndex((e) => e.desc === desc && e.tag === tag);
    assert.ok(i >= 0, `${desc} ${tag} not indexed`);
    return i;
  };

  it('has the entries the streaming indexer finds in the file', () => {
    const streaming = new PlainIndexer();
    for (let i = 0; i < richBytes.length; i += 4096) streaming.push(richBytes.subarray(i, i + 4096));
    streaming.finish();
    assert.deepEqual(index.entries, streaming.entries);
    assert.equal(index.lineCount, richLines.length - 1);
    assert.match(index.restrictKey ?? '', /^[A-Za-z0-9]{20,}$/);
  });

  it('gives each section its comment block, first statement and last line', () => {
    const t = find('TABLE', 'customer');
    const l = index.lines[t]!;
    assert.equal(richLines[l.start], '--');
    assert.equal(richLines[l.header], '-- Name: customer; Type: TABLE; Schema: sales; Owner: postgres');
    assert.equal(richLines[l.statement], 'CREATE TABLE sales.customer (');
    assert.equal(richLines[l.last], 'ALTER TABLE sales.customer OWNER TO postgres;');
    assert.equal(richLines[l.end], '--');
    assert.equal(index.lines[t + 1]!.start, l.end, 'sections tile the text');
  });

  it('handles unicode names: lines, not bytes', () => {
    const u = find('TABLE', 'ünïcødé_tàble');
    assert.equal(richLines[index.lines[u]!.statement], 'CREATE TABLE public."ünïcødé_tàble" (');
  });

  it('finds every COPY block, from its COPY line to its \\. line, with its rows', () => {
    const data = index.entries.filter((e) => e.desc === 'TABLE DATA');
    assert.equal(index.copyBlocks.length, data.length);
    for (const b of index.copyBlocks) {
      assert.match(richLines[b.start]!, /^COPY .* FROM stdin;$/);
      assert.equal(richLines[b.end], '\\.');
      assert.equal(b.rows, b.end - b.start - 1);
      assert.equal(b.rows, index.entries[b.entry]!.rows);
    }
    const customer = index.copyBlocks.find((b) => index.entries[b.entry]!.tag === 'customer')!;
    assert.equal(customer.rows, 200);
    assert.equal(copyBlockAtLine(index, customer.start + 10), customer);
    assert.equal(copyBlockAtLine(index, index.lines[find('TABLE', 'customer')]!.statement), undefined);
  });

  it('maps lines to sections; the preamble and trailer belong to none', () => {
    const fk = find('FK CONSTRAINT', 'order order_customer_id_fkey');
    const l = index.lines[fk]!;
    for (const line of [l.start, l.header, l.statement, l.end - 1]) assert.equal(sectionAtLine(index, line), fk);
    assert.equal(sectionAtLine(index, 0), -1);
    assert.equal(sectionAtLine(index, richLines.length - 3), -1, 'the trailer');
  });

  it('reads the header blocks of pg_dump --verbose (TOC entry and dependency lines before the name)', () => {
    // What --verbose adds, e.g. `-- TOC entry 3406 (class 0 OID 16403)` and `-- Dependencies: 217`.
    let n = 0;
    const verbose = Buffer.from(
      richBytes.toString('utf8').replace(/^--\n(-- (?:Data for |Statistics for )?Name: )/gm, (_, name: string) => `--\n-- TOC entry ${++n} (class 0 OID 0)\n${n % 2 ? '-- Dependencies: 217\n' : ''}${name}`),
    );
    const v = indexPlainText(verbose);
    const fields = (e: (typeof index.entries)[number]) => [e.desc, e.namespace, e.tag, e.owner, e.rows];
    assert.equal(n, index.entries.length);
    assert.deepEqual(v.entries.map(fields), index.entries.map(fields));
    const verboseLines = verbose.toString('utf8').split('\n');
    const t = v.entries.findIndex((e) => e.desc === 'TABLE' && e.tag === 'customer');
    const l = v.lines[t]!;
    assert.equal(verboseLines[l.start], '--');
    assert.equal(verboseLines[v.entries[t]!.line - 1], '--', 'the entry starts at its -- line');
    assert.equal(verboseLines[l.header], '-- Name: customer; Type: TABLE; Schema: sales; Owner: postgres');
    assert.equal(verboseLines[l.statement], 'CREATE TABLE sales.customer (');
  });

  it('indexes a text without trailer or final newline', () => {
    const cut = richBytes.subarray(0, richBytes.indexOf('-- Name: customer; Type: TABLE') + 200);
    const part = indexPlainText(cut);
    const last = part.lines.at(-1)!;
    assert.equal(part.entries.at(-1)!.tag, 'customer');
    assert.ok(last.end >= last.last && last.last >= last.statement);
  });
});

describe('plain outline', () => {
  const index = indexPlainText(richBytes);
  const roots = plainOutline(index.entries);

  it('groups sections schema → kind → object, schemas by name, kinds without a schema last', () => {
    assert.deepEqual(
      roots.map((r) => `${r.kind}:${r.label}`),
      ['schema:Audit Log', 'schema:public', 'schema:sales', 'group:Large objects', 'group:Large object data'],
    );
    const sales = roots.find((r) => r.label === 'sales')!;
    const kinds = sales.children.map((k) => k.label);
    assert.deepEqual(kinds.slice(0, 4), ['Schemas', 'Types', 'Functions', 'Tables']);
    for (const k of ['Views', 'Materialized views', 'Sequences', 'Table data', 'Constraints', 'Foreign keys', 'Indexes', 'Triggers', 'Privileges', 'Comments']) assert.ok(kinds.includes(k), `sales has ${k}: ${kinds.join(', ')}`);
    const tables = sales.children.find((k) => k.label === 'Tables')!;
    assert.deepEqual(tables.children.map((o) => o.label), ['customer', 'order', 'measurement', 'measurement_2024', 'measurement_2025', 'order_line']);
    // Every section is in the tree once.
    const seen: number[] = [];
    const walk = (n: (typeof roots)[number]) => (n.entry !== undefined ? seen.push(n.entry) : n.children.forEach(walk));
    roots.forEach(walk);
    assert.deepEqual(seen.sort((a, b) => a - b), index.entries.map((_, i) => i));
  });

  it('puts a schema\'s privileges under the schema', () => {
    const acl = index.entries.find((e) => e.desc === 'ACL' && e.tag === 'SCHEMA sales')!;
    assert.equal(schemaOfEntry(acl), 'sales');
    assert.equal(schemaOfEntry({ ...acl, tag: 'SCHEMA "Audit Log"' }), 'Audit Log');
  });

  it('lists rows with counts, collapses, and filters by name', () => {
    const all = outlineRows(roots, index.entries);
    assert.equal(all.filter((r) => r.kind === 'object').length, index.entries.length);
    assert.equal(all[0]!.count, index.entries.filter((e) => schemaOfEntry(e) === 'Audit Log').length);
    const collapsed = outlineRows(roots, index.entries, { collapsed: new Set(['s:sales']) });
    const salesRow = collapsed.find((r) => r.key === 's:sales')!;
    assert.equal(salesRow.expanded, false);
    assert.ok(!collapsed.some((r) => r.key.startsWith('s:sales/')));
    const filtered = outlineRows(roots, index.entries, { filter: 'ORDER_LINE' });
    assert.deepEqual(
      filtered.filter((r) => r.kind === 'object').map((r) => `${index.entries[r.entry!]!.desc} ${index.entries[r.entry!]!.tag}`),
      ['TABLE order_line', 'TABLE DATA order_line', 'CONSTRAINT order_line order_line_pkey', 'FK CONSTRAINT order_line order_line_order_id_fkey', 'ACL TABLE order_line'],
    );
    assert.deepEqual(filtered.filter((r) => r.kind !== 'object').map((r) => r.label), ['sales', 'Tables', 'Table data', 'Constraints', 'Foreign keys', 'Privileges']);
    assert.deepEqual(outlineRows(roots, index.entries, { filter: 'no such thing' }), []);
  });
});
