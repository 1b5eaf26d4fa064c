/**
 * Names a plain dump's sections use, and the entries that create them. Samples are statements
 * of pg_dump 18.3's plain output of the shared `pg18-rich` database.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NameResolver, namesUsedIn, qualifiedNameAt, resolvedUses } from '../../src/core/plain/references';
import { indexPlainText } from '../../src/core/plain/textIndex';

const RICH = path.resolve(__dirname, '../../../shared/fixtures/pg18-rich.plain.sql');

/** `kind schema.name «text»` of each use: what was found, and the exact text its range covers. */
const describe_ = (sql: string) => namesUsedIn(sql).map((u) => `${u.kind} ${u.schema}.${u.name} «${sql.slice(u.start, u.end)}»`);

describe('qualified names', () => {
  it('reads quoted names with doubled quotes, unicode and spaces, and folds unquoted ones', () => {
    const sql = 'ALTER TABLE ONLY "Audit Log"."Event ""Quoted"" Name" ALTER COLUMN id';
    const at = sql.indexOf('"Audit');
    const name = qualifiedNameAt(sql, at)!;
    assert.deepEqual(name.parts, ['Audit Log', 'Event "Quoted" Name']);
    assert.equal(sql.slice(at, name.ends[1]), '"Audit Log"."Event ""Quoted"" Name"');
    assert.deepEqual(qualifiedNameAt('public."ünïcødé_tàble" (x)', 0)!.parts, ['public', 'ünïcødé_tàble']);
    assert.deepEqual(qualifiedNameAt('Sales.Customer', 0)!.parts, ['sales', 'customer']);
    assert.equal(qualifiedNameAt('(x)', 0), null);
  });
});

describe('names used in a section', () => {
  it('REFERENCES, and the table of ALTER TABLE ONLY', () => {
    const sql = 'ALTER TABLE ONLY sales."order"\n    ADD CONSTRAINT order_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES sales.customer(id) ON DELETE CASCADE;\n';
    assert.deepEqual(describe_(sql), ['alter sales.order «sales."order"»', 'references sales.customer «sales.customer»']);
  });

  it('CREATE [UNIQUE] INDEX … ON, and the casts in its predicate', () => {
    assert.deepEqual(describe_('CREATE UNIQUE INDEX daily_totals_d_idx ON sales.daily_totals USING btree (d);'), ['index-on sales.daily_totals «sales.daily_totals»']);
    assert.deepEqual(describe_("CREATE INDEX order_status_partial_idx ON sales.\"order\" USING btree (customer_id) WHERE (status <> 'cancelled'::sales.order_status);"), [
      'index-on sales.order «sales."order"»',
      'cast sales.order_status «sales.order_status»',
    ]);
    assert.deepEqual(describe_('CREATE INDEX "my idx" ON ONLY sales.measurement USING btree (logdate);'), ['index-on sales.measurement «sales.measurement»']);
  });

  it('a trigger\'s table and function', () => {
    assert.deepEqual(describe_('CREATE TRIGGER order_touch BEFORE INSERT OR UPDATE OF status ON sales."order" FOR EACH ROW EXECUTE FUNCTION sales.touch();'), [
      'trigger-on sales.order «sales."order"»',
      'execute sales.touch «sales.touch»',
    ]);
  });

  it('OWNED BY schema.table.column: the table', () => {
    const sql = 'ALTER SEQUENCE "Audit Log"."Event ""Quoted"" Name_id_seq" OWNED BY "Audit Log"."Event ""Quoted"" Name".id;';
    assert.deepEqual(describe_(sql), ['alter Audit Log.Event "Quoted" Name_id_seq «"Audit Log"."Event ""Quoted"" Name_id_seq"»', 'owned-by Audit Log.Event "Quoted" Name «"Audit Log"."Event ""Quoted"" Name"»']);
  });

  it("a view's FROM and JOIN, through parentheses and comma lists, not its columns", () => {
    const view = [
      'CREATE VIEW sales.big_orders AS',
      ' SELECT o.id,',
      '    c.name,',
      '    o.total',
      '   FROM (sales."order" o',
      '     JOIN sales.customer c ON ((c.id = o.customer_id)))',
      "  WHERE (o.total > (100)::numeric);",
    ].join('\n');
    assert.deepEqual(describe_(view), ['create sales.big_orders «sales.big_orders»', 'from sales.order «sales."order"»', 'from sales.customer «sales.customer»']);
    assert.deepEqual(describe_('CREATE VIEW s.v AS SELECT 1 FROM s.a x, s.b AS y, s.c WHERE true;').slice(1), ['from s.a «s.a»', 'from s.b «s.b»', 'from s.c «s.c»']);
    assert.deepEqual(describe_('SELECT EXTRACT(year FROM o.created) FROM s.t o').map((d) => d.split(' ')[1]), ['o.created', 's.t']);
  });

  it('COPY, ATTACH PARTITION, COMMENT ON COLUMN and GRANT', () => {
    assert.deepEqual(describe_('COPY public."ünïcødé_tàble" (x) FROM stdin;'), ['copy public.ünïcødé_tàble «public."ünïcødé_tàble"»']);
    assert.deepEqual(describe_("ALTER TABLE ONLY sales.measurement ATTACH PARTITION sales.measurement_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"), [
      'alter sales.measurement «sales.measurement»',
      'attach sales.measurement_2024 «sales.measurement_2024»',
    ]);
    assert.deepEqual(describe_("COMMENT ON COLUMN sales.customer.email IS 'Contact address';"), ['comment-on sales.customer «sales.customer»']);
    assert.deepEqual(describe_('GRANT SELECT ON TABLE sales."order" TO app_reader;'), ['grant-on sales.order «sales."order"»']);
  });
});

describe('resolving names to the entry that creates them', () => {
  const index = indexPlainText(readFileSync(RICH));
  const text = readFileSync(RICH, 'utf8').split('\n');
  const sectionSql = (i: number) => {
    const l = index.lines[i]!;
    const copy = index.copyBlocks.find((b) => b.entry === i);
    return text.slice(l.start, copy ? copy.start + 1 : l.end).join('\n');
  };
  const uses = resolvedUses(index.entries, sectionSql);
  const label = (i: number) => `${index.entries[i]!.desc} ${index.entries[i]!.namespace}.${index.entries[i]!.tag}`;

  it('resolves tables, views, types, functions and sequences; functions without their arguments', () => {
    const resolver = new NameResolver(index.entries);
    assert.equal(label(resolver.resolve('sales', 'customer')), 'TABLE sales.customer');
    assert.equal(label(resolver.resolve('sales', 'order')), 'TABLE sales.order');
    assert.equal(label(resolver.resolve('sales', 'daily_totals')), 'MATERIALIZED VIEW sales.daily_totals');
    assert.equal(label(resolver.resolve('sales', 'touch')), 'FUNCTION sales.touch()');
    assert.equal(label(resolver.resolve('Audit Log', 'Event "Quoted" Name')), 'TABLE Audit Log.Event "Quoted" Name');
    assert.equal(label(resolver.resolve('public', 'ünïcødé_tàble')), 'TABLE public.ünïcødé_tàble');
    assert.equal(resolver.resolve('sales', 'nope'), -1);
    assert.equal(resolver.resolve('Sales', 'customer'), -1, 'quoted names keep their case');
  });

  it('finds every use of sales.customer in the dump, each in its section', () => {
    const customer = index.entries.findIndex((e) => e.desc === 'TABLE' && e.tag === 'customer');
    const of = uses.filter((u) => u.target === customer).map((u) => `${u.kind} in ${label(u.section)}`);
    assert.deepEqual(of, [
      'create in TABLE sales.customer',
      'alter in TABLE sales.customer',
      'comment-on in COMMENT sales.TABLE customer',
      'comment-on in COMMENT sales.COLUMN customer.email',
      'from in VIEW sales.big_orders',
      'alter in SEQUENCE sales.customer_id_seq',
      'copy in TABLE DATA sales.customer',
      'alter in CONSTRAINT sales.customer customer_email_key',
      'alter in CONSTRAINT sales.customer customer_pkey',
      'references in FK CONSTRAINT sales.order order_customer_id_fkey',
      'alter in ROW SECURITY sales.customer',
      'policy-on in POLICY sales.customer customer_self',
      'grant-on in ACL sales.TABLE customer',
    ]);
  });

  it('never takes a row of COPY data for SQL', () => {
    assert.ok(uses.every((u) => index.entries[u.section]!.desc !== 'TABLE DATA' || u.kind === 'copy'));
  });
});
