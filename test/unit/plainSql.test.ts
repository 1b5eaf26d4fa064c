/**
 * The readers of plain SQL dumps on short samples of pg_dump and pg_dumpall output: the lexer,
 * setting lines, the indexer's settings and COPY handling at every chunk boundary, the SIMD
 * line-feed count, dependencies read from SQL, restore slices, and pg_dumpall's globals.
 */
import assert from 'node:assert/strict';
import { connectTarget, globalStatements } from '../../src/core/plain/clusterDump';
import { parseHeaderLine, PlainIndexer, type PlainIndex } from '../../src/core/plain/indexer';
import { countNewlinesJs, NewlineCounter } from '../../src/core/plain/newlines';
import { planRelations, type SectionSource } from '../../src/core/plain/plainDependencies';
import { plainDumpOf } from '../../src/core/plain/plainDump';
import { ownerStatements, planSlices } from '../../src/core/plain/slices';
import { qualifiedNames, splitStatements, tokenize } from '../../src/core/plain/sqlLexer';
import { settingsChange, stateKey } from '../../src/core/plain/stateLines';
import { SECTION_NAMES } from '../../src/core/model/types';
import { TransactionLineFilter } from '../../src/core/restore/plainRestore';

const section = (name: string, type: string, schema: string, body: string, data = false) =>
  ['--', `-- ${data ? 'Data for ' : ''}Name: ${name}; Type: ${type}; Schema: ${schema}; Owner: me`, '--', '', body, '', ''].join('\n');
const dump = (...sections: string[]) =>
  ['--', '-- PostgreSQL database dump', '--', '', '\\restrict KEY1', '', '-- Dumped from database version 17.2', '-- Dumped by pg_dump version 17.6', '',
    "SET client_encoding = 'UTF8';", "SELECT pg_catalog.set_config('search_path', '', false);", '', ...sections,
    '--', '-- PostgreSQL database dump complete', '--', '', '\\unrestrict KEY1', ''].join('\n');

function index(text: string | Buffer, chunk = 1 << 20): PlainIndex {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const ix = new PlainIndexer();
  for (let i = 0; i < bytes.length; i += chunk) ix.push(bytes.subarray(i, i + chunk));
  ix.finish();
  return ix.index('sample.sql', 'none');
}

describe('plain SQL: lexer', () => {
  it('keeps semicolons and names inside strings, E-strings, quoted names, dollar bodies and comments out of the way', () => {
    const sql = [
      "CREATE FUNCTION s.f() RETURNS text LANGUAGE sql AS $body$ select 'a;b' from x.y $body$;",
      "COMMENT ON TABLE s.t IS E'it\\'s; here';",
      'CREATE VIEW s."V;1" AS SELECT 1 /* a; /* nested; */ b */ FROM s.t; -- c;',
      '\\connect other',
      'CREATE FUNCTION s.g() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;',
    ].join('\n');
    const st = splitStatements(sql);
    assert.equal(st.length, 5);
    assert.equal(st[3]!.tokens[0]!.kind, 'meta');
    assert.match(sql.slice(st[4]!.start, st[4]!.end), /END;$/);
    assert.deepEqual(qualifiedNames(tokenize(sql.slice(st[0]!.start, st[0]!.end))).map((n) => n.parts.join('.')), ['s.f']);
    assert.deepEqual(qualifiedNames(tokenize(sql.slice(st[2]!.start, st[2]!.end))).map((n) => n.parts.join('.')), ['s.V;1', 's.t']);
  });

  it('reads names written as regclass strings, and says which are calls', () => {
    const names = qualifiedNames(tokenize(`ALTER TABLE ONLY sales."order" ALTER COLUMN id SET DEFAULT nextval('sales."Order_seq"'::regclass) CHECK (sales.ok(x)) DEFAULT 'a.b'::text`));
    assert.deepEqual(names, [
      { parts: ['sales', 'order'], call: false },
      { parts: ['sales', 'Order_seq'], call: false },
      { parts: ['sales', 'ok'], call: true },
    ]);
  });
});

describe('plain SQL: settings', () => {
  it('names what SET, RESET and set_config change', () => {
    assert.equal(stateKey("SET default_tablespace = '';"), 'default_tablespace');
    assert.equal(stateKey("SELECT pg_catalog.set_config('search_path', '', false);"), 'search_path');
    assert.equal(stateKey("SET SESSION AUTHORIZATION 'alice';"), 'session authorization');
    assert.equal(stateKey('RESET SESSION AUTHORIZATION;'), 'session authorization');
    assert.equal(stateKey('SET search_path TO s, pg_catalog;'), 'search_path');
    assert.equal(stateKey('SELECT pg_catalog.setval(1);'), null);
  });

  it('changes only what differs, and resets what is gone', () => {
    const from = ["SET default_tablespace = '';", 'SET default_table_access_method = heap;', "SET SESSION AUTHORIZATION 'a';"];
    const to = ["SET default_tablespace = 'fast';", 'SET default_table_access_method = heap;'];
    assert.deepEqual(settingsChange(from, to), ["SET default_tablespace = 'fast';", 'RESET SESSION AUTHORIZATION;']);
  });
});

describe('plain SQL: the indexer', () => {
  const sample = dump(
    section('f()', 'FUNCTION', 'public', "CREATE FUNCTION public.f() RETURNS void LANGUAGE sql AS $$\nSET work_mem = '1GB';\n$$;\n\n\nALTER FUNCTION public.f() OWNER TO me;"),
    "SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n",
    section('t', 'TABLE', 'public', 'CREATE TABLE public.t (\n    a text\n);\n\n\nALTER TABLE public.t OWNER TO me;'),
    section('t', 'TABLE DATA', 'public', 'COPY public.t (a) FROM stdin;\n\\N\nx\\\\.\n\\\\\n\\.\nnot data\n\\.', true).replace('\\.\nnot data\n\\.', '\\.'),
    "SET default_tablespace = fast;\n",
    section('u', 'TABLE', 'public', 'CREATE TABLE public.u (b int);'),
  );

  it('takes the settings written before a section, not one inside a function body', () => {
    const idx = index(sample);
    assert.deepEqual(idx.preamble, ["SET client_encoding = 'UTF8';", "SELECT pg_catalog.set_config('search_path', '', false);"]);
    const [f, t, data, u] = idx.entries;
    assert.deepEqual(idx.states[f!.state], idx.preamble);
    assert.deepEqual(idx.states[t!.state], [...idx.preamble, "SET default_tablespace = '';", 'SET default_table_access_method = heap;']);
    assert.equal(data!.state, t!.state);
    assert.deepEqual(idx.states[u!.state], [...idx.preamble, 'SET default_table_access_method = heap;', 'SET default_tablespace = fast;']);
    // A section's SQL stops where the next one's settings start.
    assert.match(f!.sql!, /OWNER TO me;\n+$/);
    assert.doesNotMatch(f!.sql!, /default_tablespace/);
    assert.equal(idx.restrictKey, 'KEY1');
    assert.equal(idx.serverVersion, '17.2');
    assert.equal(idx.pgDumpVersion, '17.6');
    assert.equal(idx.complete, true);
  });

  it('finds the end of COPY data and counts its rows at every chunk size', () => {
    const whole = index(sample);
    const data = whole.entries.find((e) => e.desc === 'TABLE DATA')!;
    assert.equal(data.rows, 3);
    assert.equal(data.copyStmt, 'COPY public.t (a) FROM stdin;\n');
    assert.equal(Buffer.from(sample).toString('utf8', data.dataOffset!, data.dataOffset! + data.dataLength!), '\\N\nx\\\\.\n\\\\\n');
    for (let chunk = 1; chunk <= 64; chunk++) assert.deepEqual(index(sample, chunk), whole, `chunks of ${chunk}`);
  });

  it('counts the preamble lines a selective restore does not run (pg_dump --clean)', () => {
    const text = dump(section('t', 'TABLE', 'public', 'CREATE TABLE public.t (a int);')).replace("SET client_encoding = 'UTF8';", "SET client_encoding = 'UTF8';\nDROP TABLE IF EXISTS public.t;");
    const idx = index(text);
    assert.equal(idx.preambleSkipped, 1);
    assert.deepEqual(idx.preamble, ["SET client_encoding = 'UTF8';", "SELECT pg_catalog.set_config('search_path', '', false);"]);
  });

  it('reads other client encodings byte for byte', () => {
    const text = Buffer.concat([Buffer.from(dump(section('caf\xe9', 'TABLE', 'public', 'CREATE TABLE public."caf\xe9" (a int);')).replace("'UTF8'", "'LATIN1'"), 'latin1')]);
    const idx = index(text);
    assert.equal(idx.encoding, 'latin1');
    assert.equal(idx.entries[0]!.tag, 'caf\xe9');
    assert.deepEqual(Buffer.from(idx.entries[0]!.sql!, 'latin1'), text.subarray(idx.entries[0]!.bodyOffset, idx.entries[0]!.bodyOffset + idx.entries[0]!.bodyLength));
  });

  it('reads headers as parseHeaderLine does, odd names included', () => {
    const names = ['a; Type: b', 'x; Schema: y', 'plain', '"q""d"', 'sp ace'];
    for (const name of names) {
      const line = `-- Name: ${name}; Type: TABLE; Schema: s; Owner: o; Tablespace: ts`;
      const idx = index(dump(['--', line, '--', '', 'CREATE TABLE s.x (a int);', '', ''].join('\n')));
      const want = parseHeaderLine(line)!;
      const got = idx.entries[0]!;
      assert.deepEqual([got.tag, got.desc, got.namespace, got.owner, got.tablespace], [want.tag, want.desc, want.namespace, want.owner, want.tablespace], name);
    }
  });
});

describe('plain SQL: line feeds', () => {
  it('the WebAssembly count equals the JavaScript one, in its own memory and in other buffers', () => {
    const counter = new NewlineCounter();
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let t = 0; t < 50; t++) {
      const n = Math.floor(random() * 5000) + 1;
      const other = Buffer.alloc(n + 100);
      for (let i = 0; i < other.length; i++) other[i] = random() < 0.05 ? 0x0a : 0x41;
      other.copy(counter.readBuffer);
      const from = Math.floor(random() * 50);
      const to = from + Math.floor(random() * n);
      assert.equal(counter.count(other, from, to), countNewlinesJs(other, from, to));
      assert.equal(counter.count(counter.readBuffer.subarray(0, other.length), from, to), countNewlinesJs(other, from, to));
    }
  });
});

describe('plain SQL: dependencies', () => {
  const src = (desc: string, namespace: string | null, tag: string, sql: string | null = ''): SectionSource => ({ desc, namespace, tag, sql });
  const sources = [
    src('SCHEMA', null, 's', 'CREATE SCHEMA s;'),
    src('FUNCTION', 's', 'f(integer)', 'CREATE FUNCTION s.f(x integer) RETURNS int LANGUAGE sql AS $$ select 1 $$;'),
    src('FUNCTION', 's', 'f(text)', 'CREATE FUNCTION s.f(x text) RETURNS int LANGUAGE sql AS $$ select 1 $$;'),
    src('TABLE', 's', 'p', 'CREATE TABLE s.p (id int, code text);'),
    src('TABLE', 's', 'c', 'CREATE TABLE s.c (p_code text);'),
    src('CONSTRAINT', 's', 'p p_pkey', 'ALTER TABLE ONLY s.p\n    ADD CONSTRAINT p_pkey PRIMARY KEY (id);'),
    src('CONSTRAINT', 's', 'p p_code_key', 'ALTER TABLE ONLY s.p\n    ADD CONSTRAINT p_code_key UNIQUE (code);'),
    src('FK CONSTRAINT', 's', 'c c_fk', 'ALTER TABLE ONLY s.c\n    ADD CONSTRAINT c_fk FOREIGN KEY (p_code) REFERENCES s.p(code);'),
    src('COMMENT', 's', 'FUNCTION f(x text)', "COMMENT ON FUNCTION s.f(x text) IS 'the text one';"),
    src('TABLE ATTACH', 's', 'c', 'ALTER TABLE ONLY s.p ATTACH PARTITION s.c DEFAULT;'),
    src('STATISTICS DATA', 's', 'p_pkey', "SELECT * FROM pg_catalog.pg_restore_relation_stats('schemaname', 's', 'relname', 'p_pkey');"),
  ];
  const { dependencies, sections } = planRelations(sources);
  const names = (i: number) => dependencies[i]!.map((d) => `${sources[d]!.desc} ${sources[d]!.tag}`);

  it('a foreign key depends on the key whose columns it references', () => {
    assert.deepEqual(names(7), ['TABLE c', 'TABLE p', 'CONSTRAINT p p_code_key']);
  });

  it('a comment on an overloaded function is about the overload with its argument types', () => {
    assert.deepEqual(names(8), ['FUNCTION f(text)']);
  });

  it('a partition depends on its partitioned table through its TABLE ATTACH; statistics of an index are post-data', () => {
    assert.deepEqual(names(4), ['SCHEMA s', 'TABLE p']);
    assert.deepEqual(names(10), ['CONSTRAINT p p_pkey']);
    assert.equal(SECTION_NAMES[sections[10]!], 'post-data');
  });
});

describe('plain SQL: restore slices', () => {
  it('leaves ALTER … OWNER TO statements out by byte range with --no-owner, multi-byte names included', () => {
    const text = dump(section('tä', 'TABLE', 'public', 'CREATE TABLE public."tä" (a int);\n\n\nALTER TABLE public."tä" OWNER TO "öwner";'));
    const idx = index(text);
    const sql = idx.entries[0]!.sql!;
    assert.equal(ownerStatements(sql).length, 1);
    const opened = plainDumpOf(idx);
    const plain = planSlices(idx, opened.archive.entries);
    const noOwner = planSlices(idx, opened.archive.entries, { noOwner: true });
    const bytes = Buffer.from(text);
    const render = (p: typeof plain) => p.pieces.map((x) => (x.kind === 'text' ? x.text : bytes.toString('utf8', x.offset, x.offset + x.length))).join('');
    assert.match(render(plain), /^\\restrict KEY1\nSET client_encoding = 'UTF8';\nSELECT pg_catalog.set_config\('search_path', '', false\);\n/);
    assert.match(render(plain), /OWNER TO "öwner";[\s\S]*\\unrestrict KEY1\n$/);
    assert.doesNotMatch(render(noOwner), /OWNER TO/);
    assert.match(render(noOwner), /CREATE TABLE public\."tä" \(a int\);/);
    assert.equal(noOwner.bytes, Buffer.byteLength(render(noOwner)));
  });

  it('drops pg_dump\'s BEGIN; and COMMIT; lines of large objects, keeping line numbers, across chunks', () => {
    const input = 'BEGIN;\n\nSELECT pg_catalog.lo_open(1, 131072);\nSELECT pg_catalog.lowrite(0, \'\\x00\');\nCOMMIT;\n';
    for (let size = 1; size <= input.length; size++) {
      const filter = new TransactionLineFilter();
      const out: Buffer[] = [];
      for (let i = 0; i < input.length; i += size) out.push(filter.push(Buffer.from(input.slice(i, i + size)), i + size >= input.length));
      const result = Buffer.concat(out).toString();
      assert.equal(result, input.replace('BEGIN;', '').replace('COMMIT;', ''), `chunks of ${size}`);
    }
  });
});

describe('pg_dumpall globals', () => {
  it('classifies role statements, memberships with their grantor, settings and tablespaces', () => {
    const st = globalStatements(
      [
        '\\restrict K',
        "SET client_encoding = 'UTF8';",
        'CREATE ROLE "Ann";',
        "ALTER ROLE \"Ann\" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';",
        "COMMENT ON ROLE \"Ann\" IS 'two\nlines';",
        'ALTER ROLE "Ann" SET search_path TO s;',
        'ALTER ROLE "Ann" IN DATABASE app SET work_mem TO \'64MB\';',
        'GRANT reader TO "Ann" WITH INHERIT TRUE GRANTED BY postgres;',
        "CREATE TABLESPACE fast OWNER postgres LOCATION '/srv/fast';",
        'GRANT ALL ON TABLESPACE fast TO "Ann";',
      ].join('\n'),
    );
    assert.deepEqual(
      st.map((s) => [s.kind, s.role, s.member, s.grantor, s.database, s.tablespace].filter((x) => x !== undefined)),
      [['meta'], ['setting'], ['create-role', 'Ann'], ['alter-role', 'Ann'], ['role-comment', 'Ann'], ['role-setting', 'Ann'], ['role-setting', 'Ann', 'app'], ['membership', 'reader', 'Ann', 'postgres'], ['tablespace', 'fast'], ['tablespace', 'fast']],
    );
  });

  it('reads the database of \\connect lines', () => {
    assert.equal(connectTarget('\\connect rich'), 'rich');
    assert.equal(connectTarget('\\connect "we ""ird"'), 'we "ird');
    assert.equal(connectTarget("\\connect -reuse-previous=on \"dbname='we\\'ird'\""), "we'ird");
  });
});
