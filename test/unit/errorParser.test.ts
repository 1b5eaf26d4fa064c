import assert from 'node:assert/strict';
import { RestoreErrorParser, parseRestoreErrors, type RestoreError } from '../../src/core/restore/errorParser';

// Every sample below was printed by pg_restore 15.18 (Debian 15.18-0+deb12u1) with
// LC_MESSAGES=C and PG_COLOR=never, restoring this project's fixtures (custom.dump, dir-gzip)
// into a PostgreSQL 15.18 server. Excerpts: lines verbatim and in order, some runs left out.

/** Serial restore into a database that already had schema sales and a table public.bulk_rows, while role app_owner did not exist (--no-data-for-failed-tables). */
const SERIAL = `pg_restore: connecting to database for restore
pg_restore: creating SCHEMA "Audit Log"
pg_restore: creating SCHEMA "sales"
pg_restore: while PROCESSING TOC:
pg_restore: from TOC entry 7; 2615 16387 SCHEMA sales app_owner
pg_restore: error: could not execute query: ERROR:  schema "sales" already exists
Command was: CREATE SCHEMA sales;


pg_restore: error: could not execute query: ERROR:  role "app_owner" does not exist
Command was: ALTER SCHEMA sales OWNER TO app_owner;

pg_restore: creating DOMAIN "sales.email"
pg_restore: creating TABLE "public.bulk "odd" name"
pg_restore: creating TABLE "public.bulk_rows"
pg_restore: from TOC entry 230; 1259 16495 TABLE bulk_rows postgres
pg_restore: error: could not execute query: ERROR:  relation "bulk_rows" already exists
Command was: CREATE TABLE public.bulk_rows (
    id integer NOT NULL,
    label text NOT NULL,
    digest text NOT NULL,
    amount numeric(10,2),
    day date
);


pg_restore: table "bulk_rows" could not be created, will not restore its data
pg_restore: creating COMMENT "public.TABLE bulk_rows"
pg_restore: creating MATERIALIZED VIEW DATA "sales.daily_totals"
pg_restore: warning: errors ignored on restore: 3`;

/** Serial restore of custom.dump a second time into the same database (no --clean), excerpt. */
const COPY_FAILURES = `pg_restore: executing BLOB 424242
pg_restore: from TOC entry 3445; 2613 424242 BLOB 424242 postgres
pg_restore: error: could not execute query: ERROR:  duplicate key value violates unique constraint "pg_largeobject_metadata_oid_index"
DETAIL:  Key (oid)=(424242) already exists.
Command was: SELECT pg_catalog.lo_create('424242');


pg_restore: executing COMMENT LARGE OBJECT 424242
pg_restore: processing data for table "Audit Log.Event "Quoted" Name"
pg_restore: from TOC entry 3439; 0 16468 TABLE DATA Event "Quoted" Name postgres
pg_restore: error: COPY failed for table "Event "Quoted" Name": ERROR:  duplicate key value violates unique constraint "Event "Quoted" Name_pkey"
DETAIL:  Key (id)=(1) already exists.
CONTEXT:  COPY Event "Quoted" Name, line 1
pg_restore: processing data for table "public.ünïcødé_tàble"
pg_restore: processing data for table "sales.order"
pg_restore: from TOC entry 3433; 0 16414 TABLE DATA order postgres
pg_restore: error: COPY failed for table "order": ERROR:  duplicate key value violates unique constraint "order_pkey"
DETAIL:  Key (id)=(1) already exists.
CONTEXT:  COPY order, line 1: "1	2	paid	1.50	2026-11-23 21:21:31.991057+00"
pg_restore: executing SEQUENCE SET order_id_seq
pg_restore: processing BLOBS
pg_restore: restoring large object with OID 16486
pg_restore: creating FUNCTION "sales.customer_total(bigint)"
pg_restore: from TOC entry 233; 1255 16456 FUNCTION customer_total(bigint) postgres
pg_restore: error: could not execute query: ERROR:  function "customer_total" already exists with same argument types
Command was: CREATE FUNCTION sales.customer_total(cid bigint) RETURNS numeric
    LANGUAGE sql STABLE
    AS $$ select coalesce(sum(total),0) from sales."order" where customer_id = cid $$;


pg_restore: creating MATERIALIZED VIEW DATA "sales.daily_totals"
pg_restore: warning: errors ignored on restore: 46`;

/** --single-transaction --exit-on-error into a database with a conflicting table: stops at the first error, no summary. */
const EXIT_ON_ERROR = `pg_restore: connecting to database for restore
pg_restore: creating SCHEMA "Audit Log"
pg_restore: creating TABLE "public.bulk_rows"
pg_restore: while PROCESSING TOC:
pg_restore: from TOC entry 230; 1259 16495 TABLE bulk_rows postgres
pg_restore: error: could not execute query: ERROR:  relation "bulk_rows" already exists
Command was: CREATE TABLE public.bulk_rows (
    id integer NOT NULL,
    label text NOT NULL,
    digest text NOT NULL,
    amount numeric(10,2),
    day date
);


`;

/** -j 2 restore of dir-gzip a second time into the same database, excerpt of the parallel loop. */
const PARALLEL = `pg_restore: entering main parallel loop
pg_restore: launching item 3442 TABLE DATA bulk_rows
pg_restore: launching item 3446 BLOBS BLOBS
pg_restore: processing BLOBS
pg_restore: finished item 3446 BLOBS BLOBS
pg_restore: launching item 3434 TABLE DATA order_line
pg_restore: processing data for table "sales.order_line"
pg_restore: processing data for table "public.bulk_rows"
pg_restore: from TOC entry 3434; 0 16430 TABLE DATA order_line postgres
pg_restore: error: COPY failed for table "order_line": ERROR:  duplicate key value violates unique constraint "order_line_pkey"
DETAIL:  Key (order_id, line)=(1, 1) already exists.
CONTEXT:  COPY order_line, line 1
pg_restore: finished item 3434 TABLE DATA order_line
pg_restore: launching item 3273 CONSTRAINT order_line order_line_pkey
pg_restore: creating CONSTRAINT "sales.order_line order_line_pkey"
pg_restore: from TOC entry 3442; 0 16495 TABLE DATA bulk_rows postgres
pg_restore: error: COPY failed for table "bulk_rows": ERROR:  duplicate key value violates unique constraint "bulk_rows_pkey"
DETAIL:  Key (id)=(1) already exists.
CONTEXT:  COPY bulk_rows, line 1
pg_restore: finished item 3442 TABLE DATA bulk_rows
pg_restore: launching item 3278 CONSTRAINT bulk_rows bulk_rows_pkey
pg_restore: creating CONSTRAINT "public.bulk_rows bulk_rows_pkey"
pg_restore: from TOC entry 3278; 2606 16501 CONSTRAINT bulk_rows bulk_rows_pkey postgres
pg_restore: error: could not execute query: ERROR:  multiple primary keys for table "bulk_rows" are not allowed
Command was: ALTER TABLE ONLY public.bulk_rows
    ADD CONSTRAINT bulk_rows_pkey PRIMARY KEY (id);


pg_restore: finished item 3278 CONSTRAINT bulk_rows bulk_rows_pkey
pg_restore: from TOC entry 3273; 2606 16437 CONSTRAINT order_line order_line_pkey postgres
pg_restore: error: could not execute query: ERROR:  multiple primary keys for table "order_line" are not allowed
Command was: ALTER TABLE ONLY sales.order_line
    ADD CONSTRAINT order_line_pkey PRIMARY KEY (order_id, line);


pg_restore: finished item 3273 CONSTRAINT order_line order_line_pkey
pg_restore: finished main parallel loop
pg_restore: warning: errors ignored on restore: 66`;

/** A custom archive cut short at 120,000 bytes, restored into a database that already had schema sales. Excerpt. */
const TRUNCATED = `pg_restore: connecting to database for restore
pg_restore: while PROCESSING TOC:
pg_restore: from TOC entry 7; 2615 16387 SCHEMA sales app_owner
pg_restore: error: could not execute query: ERROR:  schema "sales" already exists
Command was: CREATE SCHEMA sales;


pg_restore: executing BLOB 16486
pg_restore: processing data for table "public.bulk "odd" name"
pg_restore: processing data for table "public.bulk_rows"
pg_restore: error: could not read from input file: end of file`;

/**
 * -j 4 restores of dir-gzip a second time into the same database: three excerpts (of three runs)
 * where the processes' writes interleaved. 1: a leader's prefix inside a worker's error line and
 * the leader's message after the worker's. 2: two workers failing at once: both "from TOC entry"
 * lines first (one of them bare), then both messages (one of them bare). 3: a worker's
 * "error: " in front of a leader line, its message on the next bare line. 4: see there.
 */
const INTERLEAVED_1 = `pg_restore: finished item 3283 TRIGGER order order_touch
pg_restore: launching item 3468 SEQUENCE SET order_id_seq
pg_restore: executing SEQUENCE SET order_id_seq
pg_restore: finished item 3467 SEQUENCE SET customer_id_seq
pg_restore: finished item 3468 SEQUENCE SET order_id_seq
pg_restore: processing BLOBS
pg_restore: restoring large object with OID 16486
pg_restore: restoring large object with OID 424242
pg_restore: restored 2 large objects
pg_restore: from TOC entry 3434; 0 16430 TABLE DATA order_line postgres
pg_restore: error: pg_restore:COPY failed for table "order_line": ERROR:  duplicate key value violates unique constraint "order_line_pkey"
DETAIL:  Key (order_id, line)=(1, 1) already exists.
CONTEXT:  COPY order_line, line 1
 finished item 3446 BLOBS BLOBS
pg_restore: finished item 3434 TABLE DATA order_line
pg_restore: launching item 3273 CONSTRAINT order_line order_line_pkey`;
const INTERLEAVED_2 = `pg_restore: finished item 3443 TABLE DATA bulk "odd" name
pg_restore: launching item 3280 CONSTRAINT bulk "odd" name bulk "odd" name_pkey
pg_restore: creating CONSTRAINT "public.bulk "odd" name bulk "odd" name_pkey"
pg_restore: from TOC entry 3439; 0 16468 TABLE DATA Event "Quoted" Name postgres
pg_restore: error: COPY failed for table "Event "Quoted" Name": ERROR:  duplicate key value violates unique constraint "Event "Quoted" Name_pkey"
DETAIL:  Key (id)=(1) already exists.
CONTEXT:  COPY Event "Quoted" Name, line 1
pg_restore:pg_restore:  from TOC entry 3265; 2606 16412 CONSTRAINT customer customer_email_key postgres
from TOC entry 3280; 2606 16508 CONSTRAINT bulk "odd" name bulk "odd" name_pkey postgres
pg_restore:pg_restore:  error: error: could not execute query: ERROR:  multiple primary keys for table "bulk "odd" name" are not allowed
Command was: ALTER TABLE ONLY public."bulk ""odd"" name"
    ADD CONSTRAINT "bulk ""odd"" name_pkey" PRIMARY KEY (id);


could not execute query: ERROR:  relation "customer_email_key" already exists
Command was: ALTER TABLE ONLY sales.customer
    ADD CONSTRAINT customer_email_key UNIQUE (email);


pg_restore: finished item 3265 CONSTRAINT customer customer_email_key
pg_restore: launching item 3267 CONSTRAINT customer customer_pkey`;
const INTERLEAVED_3 = `pg_restore: finished item 3274 INDEX daily_totals_d_idx
pg_restore: launching item 3465 SEQUENCE SET Event "Quoted" Name_id_seq
pg_restore: executing SEQUENCE SET Event "Quoted" Name_id_seq
pg_restore: pg_restore: from TOC entry 3434; 0 16430 TABLE DATA order_line postgres
finished item 3465 SEQUENCE SET Event "Quoted" Name_id_seq
pg_restore:pg_restore:  error: launching item 3466 SEQUENCE SET standalone_seq
COPY failed for table "order_line": ERROR:  duplicate key value violates unique constraint "order_line_pkey"
DETAIL:  Key (order_id, line)=(1, 1) already exists.
CONTEXT:  COPY order_line, line 1
pg_restore: executing SEQUENCE SET standalone_seq
pg_restore: finished item 3466 SEQUENCE SET standalone_seq
pg_restore: launching item 3467 SEQUENCE SET customer_id_seq`;
/** 4: a worker's message starting with a bare "error: ", its prefix doubled on the line before. */
const INTERLEAVED_4 = `pg_restore: launching item 3267 CONSTRAINT customer customer_pkey
pg_restore:pg_restore:  creating CONSTRAINT "sales.customer customer_pkey"
from TOC entry 3443; 0 16502 TABLE DATA bulk "odd" name postgres
pg_restore: error: COPY failed for table "bulk "odd" name": ERROR:  duplicate key value violates unique constraint "bulk "odd" name_pkey"
DETAIL:  Key (id)=(1) already exists.
CONTEXT:  COPY bulk "odd" name, line 1
pg_restore: finished item 3443 TABLE DATA bulk "odd" name
pg_restore: launching item 3280 CONSTRAINT bulk "odd" name bulk "odd" name_pkey
pg_restore: pg_restore:from TOC entry 3267; 2606 16410 CONSTRAINT customer customer_pkey postgres
 pg_restore: creating CONSTRAINT "public.bulk "odd" name bulk "odd" name_pkey"
error: could not execute query: ERROR:  multiple primary keys for table "customer" are not allowed
Command was: ALTER TABLE ONLY sales.customer
    ADD CONSTRAINT customer_pkey PRIMARY KEY (id);


pg_restore: finished item 3267 CONSTRAINT customer customer_pkey`;

const brief = (e: RestoreError) => ({ dumpId: e.dumpId, kind: e.kind, message: e.message.split('\n')[0], command: e.command?.split('\n')[0] });

describe('pg_restore error parsing', () => {
  it('ties each error to its TOC entry, including a second error of the same entry', () => {
    const summary = parseRestoreErrors(SERIAL);
    assert.equal(summary.ignoredCount, 3);
    assert.deepEqual(summary.warnings, []);
    assert.deepEqual(summary.errors.map(brief), [
      { dumpId: 7, kind: 'query', message: 'ERROR:  schema "sales" already exists', command: 'CREATE SCHEMA sales;' },
      { dumpId: 7, kind: 'query', message: 'ERROR:  role "app_owner" does not exist', command: 'ALTER SCHEMA sales OWNER TO app_owner;' },
      { dumpId: 230, kind: 'query', message: 'ERROR:  relation "bulk_rows" already exists', command: 'CREATE TABLE public.bulk_rows (' },
    ]);
    const [first, , third] = summary.errors;
    assert.deepEqual(first?.entry, { dumpId: 7, tableoid: '2615', oid: '16387', desc: 'SCHEMA', tag: 'sales', owner: 'app_owner', text: 'SCHEMA sales app_owner' });
    assert.equal(first?.stage, 'PROCESSING TOC');
    assert.equal(third?.command, 'CREATE TABLE public.bulk_rows (\n    id integer NOT NULL,\n    label text NOT NULL,\n    digest text NOT NULL,\n    amount numeric(10,2),\n    day date\n);');
  });

  it('reads COPY failures with their DETAIL and CONTEXT lines, and multi-line commands', () => {
    const summary = parseRestoreErrors(COPY_FAILURES);
    assert.equal(summary.ignoredCount, 46);
    assert.deepEqual(
      summary.errors.map((e) => [e.dumpId, e.kind, e.table]),
      [
        [3445, 'query', undefined],
        [3439, 'copy', 'Event "Quoted" Name'],
        [3433, 'copy', 'order'],
        [233, 'query', undefined],
      ],
    );
    const [lo, copy, copy2, fn] = summary.errors;
    assert.equal(lo?.message, 'ERROR:  duplicate key value violates unique constraint "pg_largeobject_metadata_oid_index"\nDETAIL:  Key (oid)=(424242) already exists.');
    assert.equal(lo?.command, "SELECT pg_catalog.lo_create('424242');");
    assert.equal(copy?.message, 'ERROR:  duplicate key value violates unique constraint "Event "Quoted" Name_pkey"\nDETAIL:  Key (id)=(1) already exists.\nCONTEXT:  COPY Event "Quoted" Name, line 1');
    assert.equal(copy?.command, undefined);
    assert.deepEqual(copy?.entry && { desc: copy.entry.desc, tag: copy.entry.tag, owner: copy.entry.owner }, { desc: 'TABLE DATA', tag: 'Event "Quoted" Name', owner: 'postgres' });
    assert.match(copy2?.message ?? '', /CONTEXT: {2}COPY order, line 1: "1\t2\tpaid/);
    assert.equal(fn?.command?.split('\n').length, 3);
    assert.equal(fn?.entry?.tag, 'customer_total(bigint)');
  });

  it('with --exit-on-error: one error and no summary line', () => {
    const summary = parseRestoreErrors(EXIT_ON_ERROR);
    assert.equal(summary.ignoredCount, null);
    assert.equal(summary.errors.length, 1);
    assert.equal(summary.errors[0]?.dumpId, 230);
    assert.ok(summary.errors[0]?.command?.endsWith(');'), 'trailing blank lines are not part of the command');
  });

  it('in a parallel restore, keeps errors apart from the leader lines around them', () => {
    const summary = parseRestoreErrors(PARALLEL);
    assert.deepEqual(
      summary.errors.map((e) => [e.dumpId, e.kind]),
      [
        [3434, 'copy'],
        [3442, 'copy'],
        [3278, 'query'],
        [3273, 'query'],
      ],
    );
    assert.equal(summary.errors[2]?.command, 'ALTER TABLE ONLY public.bulk_rows\n    ADD CONSTRAINT bulk_rows_pkey PRIMARY KEY (id);');
    assert.equal(summary.errors[0]?.message.split('\n').length, 3);
    // The count pg_restore -j prints is not the number of errors it printed (see errorParser.ts).
    assert.equal(summary.ignoredCount, 66);
  });

  it('sorts out errors of parallel workers whose lines interleaved', () => {
    const one = parseRestoreErrors(INTERLEAVED_1).errors;
    assert.deepEqual(one.map(brief), [
      { dumpId: 3434, kind: 'copy', message: 'ERROR:  duplicate key value violates unique constraint "order_line_pkey"', command: undefined },
    ]);
    assert.equal(one[0]?.message.split('\n').length, 3, 'the leader line after it is not part of the message');

    const two = parseRestoreErrors(INTERLEAVED_2).errors;
    assert.deepEqual(two.map(brief), [
      { dumpId: 3439, kind: 'copy', message: 'ERROR:  duplicate key value violates unique constraint "Event "Quoted" Name_pkey"', command: undefined },
      { dumpId: 3280, kind: 'query', message: 'ERROR:  multiple primary keys for table "bulk "odd" name" are not allowed', command: 'ALTER TABLE ONLY public."bulk ""odd"" name"' },
      { dumpId: 3265, kind: 'query', message: 'ERROR:  relation "customer_email_key" already exists', command: 'ALTER TABLE ONLY sales.customer' },
    ]);
    assert.equal(two[1]?.command?.split('\n').length, 2);
    assert.equal(two[2]?.command, 'ALTER TABLE ONLY sales.customer\n    ADD CONSTRAINT customer_email_key UNIQUE (email);');

    const three = parseRestoreErrors(INTERLEAVED_3).errors;
    assert.deepEqual(three.map((e) => [e.dumpId, e.kind, e.table, e.message.split('\n').length]), [[3434, 'copy', 'order_line', 3]]);

    const four = parseRestoreErrors(INTERLEAVED_4).errors;
    assert.deepEqual(
      four.map((e) => [e.dumpId, e.kind, e.message.split('\n')[0]]),
      [
        [3443, 'copy', 'ERROR:  duplicate key value violates unique constraint "bulk "odd" name_pkey"'],
        [3267, 'query', 'ERROR:  multiple primary keys for table "customer" are not allowed'],
      ],
    );
    assert.equal(four[1]?.command, 'ALTER TABLE ONLY sales.customer\n    ADD CONSTRAINT customer_pkey PRIMARY KEY (id);');
  });

  it('does not tie a fatal error to an entry that failed earlier', () => {
    const summary = parseRestoreErrors(TRUNCATED);
    assert.deepEqual(summary.errors.map(brief), [
      { dumpId: 7, kind: 'query', message: 'ERROR:  schema "sales" already exists', command: 'CREATE SCHEMA sales;' },
      { dumpId: undefined, kind: 'other', message: 'could not read from input file: end of file', command: undefined },
    ]);
  });

  it('reads errors that belong to no entry', () => {
    const connect = parseRestoreErrors(`pg_restore: connecting to database for restore
pg_restore: error: connection to server at "127.0.0.1", port 35311 failed: FATAL:  database "nosuchdb" does not exist`);
    assert.deepEqual(connect.errors, [{ kind: 'other', message: 'connection to server at "127.0.0.1", port 35311 failed: FATAL:  database "nosuchdb" does not exist' }]);
    assert.equal(connect.ignoredCount, null);
    // pg_restore 15 given an archive from pg_dump 18:
    const version = parseRestoreErrors('pg_restore: error: unsupported version (1.16) in file header\n');
    assert.deepEqual(version.errors, [{ kind: 'other', message: 'unsupported version (1.16) in file header' }]);
  });

  it('reports each error as soon as its last line has arrived', () => {
    const seen: (number | undefined)[] = [];
    const parser = new RestoreErrorParser((e) => seen.push(e.dumpId));
    const lines = COPY_FAILURES.split('\n');
    const copyStart = lines.findIndex((l) => l.startsWith('pg_restore: error: COPY failed for table "order"'));
    for (const line of lines.slice(0, copyStart + 3)) parser.push(line);
    assert.deepEqual(seen, [3445, 3439], 'the COPY error of "order" may still get more lines');
    parser.push(lines[copyStart + 3] ?? '');
    assert.deepEqual(seen, [3445, 3439, 3433]);
    for (const line of lines.slice(copyStart + 4)) parser.push(line);
    assert.equal(parser.end().errors.length, 4);
    assert.deepEqual(seen, [3445, 3439, 3433, 233]);
  });
});
