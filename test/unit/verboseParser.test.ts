import assert from 'node:assert/strict';
import {
  RestoreProgress,
  itemsIn,
  parseVerboseLine,
  splitDesc,
  stripPrefix,
  type ItemEvent,
  type PlannedEntry,
  type VerboseEvent,
} from '../../src/core/restore/verboseParser';

// Every sample line below was printed by pg_restore 15.18 (Debian 15.18-0+deb12u1) with
// LC_MESSAGES=C and PG_COLOR=never, restoring the test fixtures (custom.dump, dir-gzip) of this
// project into a PostgreSQL 15.18 server. Samples are excerpts: lines kept verbatim, in the order
// printed, some runs of similar lines left out.

/** `pg_restore -v -d <empty db> custom.dump` (serial), excerpt. */
const SERIAL = `pg_restore: connecting to database for restore
pg_restore: creating SCHEMA "Audit Log"
pg_restore: creating SCHEMA "sales"
pg_restore: creating TABLE "public.bulk_rows"
pg_restore: creating COMMENT "public.TABLE bulk_rows"
pg_restore: executing BLOB 16486
pg_restore: executing COMMENT LARGE OBJECT 424242
pg_restore: processing data for table "Audit Log.Event "Quoted" Name"
pg_restore: processing data for table "public.bulk_rows"
pg_restore: processing data for table "public.ünïcødé_tàble"
pg_restore: executing SEQUENCE SET Event "Quoted" Name_id_seq
pg_restore: processing BLOBS
pg_restore: restoring large object with OID 16486
pg_restore: restoring large object with OID 424242
pg_restore: restored 2 large objects
pg_restore: creating CONSTRAINT "public.bulk_rows bulk_rows_pkey"
pg_restore: creating ACL "SCHEMA sales"
pg_restore: creating ACL "sales.TABLE "order""
pg_restore: creating MATERIALIZED VIEW DATA "sales.daily_totals"`.split('\n');

/** The entries of SERIAL as the archive has them (pg_restore -l of custom.dump), plus one that prints nothing. */
const SERIAL_PLAN: PlannedEntry[] = [
  { dumpId: 3449, desc: 'ENCODING', namespace: null, tag: 'ENCODING' },
  { dumpId: 6, desc: 'SCHEMA', namespace: null, tag: 'Audit Log' },
  { dumpId: 7, desc: 'SCHEMA', namespace: null, tag: 'sales' },
  { dumpId: 230, desc: 'TABLE', namespace: 'public', tag: 'bulk_rows' },
  { dumpId: 3455, desc: 'COMMENT', namespace: 'public', tag: 'TABLE bulk_rows' },
  { dumpId: 3444, desc: 'BLOB', namespace: null, tag: '16486' },
  { dumpId: 3464, desc: 'COMMENT', namespace: null, tag: 'LARGE OBJECT 424242' },
  { dumpId: 3439, desc: 'TABLE DATA', namespace: 'Audit Log', tag: 'Event "Quoted" Name', dataSize: 314 },
  { dumpId: 3442, desc: 'TABLE DATA', namespace: 'public', tag: 'bulk_rows', dataSize: 152791 },
  { dumpId: 3440, desc: 'TABLE DATA', namespace: 'public', tag: 'ünïcødé_tàble', dataSize: 46 },
  { dumpId: 3465, desc: 'SEQUENCE SET', namespace: 'Audit Log', tag: 'Event "Quoted" Name_id_seq' },
  { dumpId: 3446, desc: 'BLOBS', namespace: null, tag: 'BLOBS', dataSize: 18673 },
  { dumpId: 3278, desc: 'CONSTRAINT', namespace: 'public', tag: 'bulk_rows bulk_rows_pkey' },
  { dumpId: 3453, desc: 'ACL', namespace: null, tag: 'SCHEMA sales' },
  { dumpId: 3459, desc: 'ACL', namespace: 'sales', tag: 'TABLE "order"' },
  { dumpId: 3435, desc: 'MATERIALIZED VIEW DATA', namespace: 'sales', tag: 'daily_totals' },
];

/** `pg_restore -v -j 2 -d <empty db> dir-gzip`, excerpt: the leader's pre-data, then the parallel loop. */
const PARALLEL = `pg_restore: connecting to database for restore
pg_restore: processing item 3449 ENCODING ENCODING
pg_restore: processing item 3450 STDSTRINGS STDSTRINGS
pg_restore: processing item 3451 SEARCHPATH SEARCHPATH
pg_restore: processing item 3452 DATABASE rich
pg_restore: processing item 6 SCHEMA Audit Log
pg_restore: creating SCHEMA "Audit Log"
pg_restore: processing item 230 TABLE bulk_rows
pg_restore: creating TABLE "public.bulk_rows"
pg_restore: processing item 3444 BLOB 16486
pg_restore: executing BLOB 16486
pg_restore: entering main parallel loop
pg_restore: launching item 3442 TABLE DATA bulk_rows
pg_restore: launching item 3446 BLOBS BLOBS
pg_restore: processing BLOBS
pg_restore: restoring large object with OID 16486
pg_restore: processing data for table "public.bulk_rows"
pg_restore: restoring large object with OID 424242
pg_restore: restored 2 large objects
pg_restore: finished item 3446 BLOBS BLOBS
pg_restore: launching item 3434 TABLE DATA order_line
pg_restore: processing data for table "sales.order_line"
pg_restore: finished item 3442 TABLE DATA bulk_rows
pg_restore: launching item 3278 CONSTRAINT bulk_rows bulk_rows_pkey
pg_restore: creating CONSTRAINT "public.bulk_rows bulk_rows_pkey"
pg_restore: finished item 3434 TABLE DATA order_line
pg_restore: launching item 3429 POLICY customer customer_self
pg_restore: creating POLICY "sales.customer customer_self"
pg_restore: finished item 3278 CONSTRAINT bulk_rows bulk_rows_pkey
pg_restore: launching item 3439 TABLE DATA Event "Quoted" Name
pg_restore:pg_restore: finished item 3429 POLICY customer customer_self
pg_restore: launching item 3281 FK CONSTRAINT order order_customer_id_fkey
 processing data for table "Audit Log.Event "Quoted" Name"
pg_restore: creating FK CONSTRAINT "sales.order order_customer_id_fkey"
pg_restore: finished item 3439 TABLE DATA Event "Quoted" Name
pg_restore: finished item 3281 FK CONSTRAINT order order_customer_id_fkey
pg_restore: finished main parallel loop`.split('\n');

const PARALLEL_PLAN: PlannedEntry[] = [
  { dumpId: 3449, desc: 'ENCODING', namespace: null, tag: 'ENCODING' },
  { dumpId: 3450, desc: 'STDSTRINGS', namespace: null, tag: 'STDSTRINGS' },
  { dumpId: 3451, desc: 'SEARCHPATH', namespace: null, tag: 'SEARCHPATH' },
  { dumpId: 6, desc: 'SCHEMA', namespace: null, tag: 'Audit Log' },
  { dumpId: 230, desc: 'TABLE', namespace: 'public', tag: 'bulk_rows' },
  { dumpId: 3444, desc: 'BLOB', namespace: null, tag: '16486' },
  { dumpId: 3442, desc: 'TABLE DATA', namespace: 'public', tag: 'bulk_rows', dataSize: 152791 },
  { dumpId: 3446, desc: 'BLOBS', namespace: null, tag: 'BLOBS', dataSize: 18673 },
  { dumpId: 3434, desc: 'TABLE DATA', namespace: 'sales', tag: 'order_line', dataSize: 23741 },
  { dumpId: 3278, desc: 'CONSTRAINT', namespace: 'public', tag: 'bulk_rows bulk_rows_pkey' },
  { dumpId: 3429, desc: 'POLICY', namespace: 'sales', tag: 'customer customer_self' },
  { dumpId: 3439, desc: 'TABLE DATA', namespace: 'Audit Log', tag: 'Event "Quoted" Name', dataSize: 314 },
  { dumpId: 3281, desc: 'FK CONSTRAINT', namespace: 'sales', tag: 'order order_customer_id_fkey' },
];

/**
 * `pg_restore -v -j 4 -d <empty db> dir-gzip`, two excerpts (of two runs) where the processes'
 * writes interleaved: prefixes doubled or separated from their message, a leader line with no
 * prefix at all, a worker line with a leading space.
 */
const INTERLEAVED_1 = `pg_restore: processing item 3445 BLOB 424242
pg_restore: executing BLOB 424242
pg_restore: processing item 3464 COMMENT LARGE OBJECT 424242
pg_restore: executing COMMENT LARGE OBJECT 424242
pg_restore: entering main parallel loop
pg_restore: launching item 3442 TABLE DATA bulk_rows
pg_restore: launching item 3446 BLOBS BLOBS
pg_restore: launching item 3434 TABLE DATA order_line
pg_restore: launching item 3433 TABLE DATA order
pg_restore: processing data for table "public.bulk_rows"
pg_restore: processing data for table "sales.order_line"
pg_restore: processing data for table "sales.order"
pg_restore: processing BLOBS
pg_restore: restoring large object with OID 16486
pg_restore: restoring large object with OID 424242
pg_restore:pg_restore:  restored 2 large objects
finished item 3442 TABLE DATA bulk_rows
pg_restore: launching item 3278 CONSTRAINT bulk_rows bulk_rows_pkey
pg_restore: finished item 3446 BLOBS BLOBS
pg_restore: launching item 3431 TABLE DATA customer
pg_restore: creating CONSTRAINT "public.bulk_rows bulk_rows_pkey"
pg_restore: processing data for table "sales.customer"
pg_restore: finished item 3431 TABLE DATA customer
pg_restore: launching item 3265 CONSTRAINT customer customer_email_key
pg_restore: creating CONSTRAINT "sales.customer customer_email_key"
pg_restore: finished item 3434 TABLE DATA order_line`.split('\n');
const INTERLEAVED_2 = `pg_restore: launching item 3429 POLICY customer customer_self
pg_restore: creating POLICY "sales.customer customer_self"
pg_restore: finished item 3429 POLICY customer customer_self
pg_restore: launching item 3453 ACL SCHEMA sales
pg_restore: creating ACL "SCHEMA sales"
pg_restore: launching item 3458 ACL TABLE customer
pg_restore: launching item 3459 ACL TABLE "order"
pg_restore: launching item 3460 ACL TABLE big_orders
pg_restore: creating ACL "sales.TABLE customer"
pg_restore: finished item 3453 ACL SCHEMA sales
pg_restore: launching item 3461 ACL TABLE daily_totals
pg_restore: creating ACL "sales.TABLE daily_totals"
pg_restore: finished item 3461 ACL TABLE daily_totals
pg_restore: launching item 3463 ACL TABLE order_line
pg_restore: creating ACL "sales.TABLE order_line"
pg_restore: creating ACL "sales.TABLE "order""
pg_restore: pg_restore:finished item 3463 ACL TABLE order_line
 creating ACL "sales.TABLE big_orders"
pg_restore: finished item 3458 ACL TABLE customer
pg_restore: finished item 3459 ACL TABLE "order"
pg_restore: finished item 3460 ACL TABLE big_orders
pg_restore: launching item 3435 MATERIALIZED VIEW DATA daily_totals
pg_restore: creating MATERIALIZED VIEW DATA "sales.daily_totals"
pg_restore: finished item 3435 MATERIALIZED VIEW DATA daily_totals`.split('\n');

function feed(progress: RestoreProgress, lines: string[]): VerboseEvent[] {
  const events = lines.flatMap((l) => progress.push(l));
  return [...events, ...progress.end()];
}
const items = (events: VerboseEvent[]) => events.filter((e): e is ItemEvent => e.kind === 'item');

describe('pg_restore -v parsing', () => {
  describe('stripPrefix', () => {
    it('removes the program prefix and the severity', () => {
      assert.deepEqual(stripPrefix('pg_restore: creating SCHEMA "sales"'), { body: 'creating SCHEMA "sales"', prefixed: true });
      assert.deepEqual(stripPrefix('pg_restore: warning: errors ignored on restore: 8'), { body: 'errors ignored on restore: 8', prefixed: true, severity: 'warning' });
      assert.deepEqual(stripPrefix('pg_restore: error: could not execute query: ERROR:  x'), { body: 'could not execute query: ERROR:  x', prefixed: true, severity: 'error' });
    });

    it('copes with the prefix of another process glued in front (parallel restore)', () => {
      assert.deepEqual(stripPrefix('pg_restore:pg_restore: finished item 3429 POLICY customer customer_self'), {
        body: 'finished item 3429 POLICY customer customer_self',
        prefixed: true,
      });
    });

    it('leaves continuation lines alone', () => {
      assert.deepEqual(stripPrefix('Command was: CREATE SCHEMA sales;'), { body: 'Command was: CREATE SCHEMA sales;', prefixed: false });
    });
  });

  describe('splitDesc', () => {
    it('prefers the longest entry type', () => {
      assert.deepEqual(splitDesc('SEQUENCE SET Event "Quoted" Name_id_seq'), { desc: 'SEQUENCE SET', rest: 'Event "Quoted" Name_id_seq' });
      assert.deepEqual(splitDesc('SEQUENCE OWNED BY order_id_seq'), { desc: 'SEQUENCE OWNED BY', rest: 'order_id_seq' });
      assert.deepEqual(splitDesc('MATERIALIZED VIEW DATA daily_totals'), { desc: 'MATERIALIZED VIEW DATA', rest: 'daily_totals' });
      assert.deepEqual(splitDesc('BLOBS BLOBS'), { desc: 'BLOBS', rest: 'BLOBS' });
      assert.deepEqual(splitDesc('FK CONSTRAINT order order_customer_id_fkey'), { desc: 'FK CONSTRAINT', rest: 'order order_customer_id_fkey' });
    });
  });

  describe('parseVerboseLine', () => {
    it('classifies serial lines', () => {
      assert.deepEqual(parseVerboseLine('pg_restore: connecting to database for restore'), { type: 'connect' });
      assert.deepEqual(parseVerboseLine('pg_restore: creating TABLE "Audit Log.Event "Quoted" Name"'), { type: 'create', desc: 'TABLE', name: 'Audit Log.Event "Quoted" Name' });
      assert.deepEqual(parseVerboseLine('pg_restore: creating ACL "sales.TABLE "order""'), { type: 'create', desc: 'ACL', name: 'sales.TABLE "order"' });
      assert.deepEqual(parseVerboseLine('pg_restore: creating MATERIALIZED VIEW DATA "sales.daily_totals"'), { type: 'create', desc: 'MATERIALIZED VIEW DATA', name: 'sales.daily_totals' });
      assert.deepEqual(parseVerboseLine('pg_restore: processing data for table "public.ünïcødé_tàble"'), { type: 'data', name: 'public.ünïcødé_tàble' });
      assert.deepEqual(parseVerboseLine('pg_restore: executing SEQUENCE SET Event "Quoted" Name_id_seq'), {
        type: 'execute',
        desc: 'SEQUENCE SET',
        tag: 'Event "Quoted" Name_id_seq',
        text: 'SEQUENCE SET Event "Quoted" Name_id_seq',
      });
      assert.deepEqual(parseVerboseLine('pg_restore: executing COMMENT LARGE OBJECT 424242'), { type: 'execute', desc: 'COMMENT', tag: 'LARGE OBJECT 424242', text: 'COMMENT LARGE OBJECT 424242' });
      assert.deepEqual(parseVerboseLine('pg_restore: processing BLOBS'), { type: 'blobs', desc: 'BLOBS' });
      assert.deepEqual(parseVerboseLine('pg_restore: restoring large object with OID 424242'), { type: 'large-object', oid: 424242 });
      assert.deepEqual(parseVerboseLine('pg_restore: restored 2 large objects'), { type: 'large-objects-restored', count: 2 });
      assert.deepEqual(parseVerboseLine('pg_restore: table "bulk_rows" could not be created, will not restore its data'), { type: 'no-data-for-failed-table', table: 'bulk_rows' });
    });

    it('classifies the parallel leader lines', () => {
      assert.deepEqual(parseVerboseLine('pg_restore: processing item 3452 DATABASE rich'), { type: 'leader', action: 'processing', dumpId: 3452, desc: 'DATABASE', tag: 'rich', text: 'DATABASE rich' });
      assert.deepEqual(parseVerboseLine('pg_restore: launching item 3439 TABLE DATA Event "Quoted" Name'), {
        type: 'leader',
        action: 'launching',
        dumpId: 3439,
        desc: 'TABLE DATA',
        tag: 'Event "Quoted" Name',
        text: 'TABLE DATA Event "Quoted" Name',
      });
      assert.equal(parseVerboseLine('pg_restore: skipping item 3442 TABLE DATA bulk_rows')?.type, 'leader');
      assert.deepEqual(parseVerboseLine('pg_restore: entering main parallel loop'), { type: 'parallel-start' });
      assert.deepEqual(parseVerboseLine('pg_restore: finished main parallel loop'), { type: 'parallel-end' });
      assert.deepEqual(parseVerboseLine('pg_restore:pg_restore: finished item 3429 POLICY customer customer_self'), {
        type: 'leader',
        action: 'finished',
        dumpId: 3429,
        desc: 'POLICY',
        tag: 'customer customer_self',
        text: 'POLICY customer customer_self',
      });
    });

    it('finds leader lines however the processes\' writes interleaved (pg_restore 15.18, -j 4)', () => {
      const launching = (dumpId: number, desc: string, tag: string) => ({ type: 'leader', action: 'launching', dumpId, desc, tag, text: `${desc} ${tag}` });
      assert.deepEqual(parseVerboseLine('pg_restore:pg_restore:  launching item 3273 CONSTRAINT order_line order_line_pkey'), launching(3273, 'CONSTRAINT', 'order_line order_line_pkey'));
      assert.deepEqual(parseVerboseLine('pg_restore: pg_restore: launching item 3460 ACL TABLE big_orders'), launching(3460, 'ACL', 'TABLE big_orders'));
      assert.equal(parseVerboseLine('pg_restore: pg_restore:finished item 3463 ACL TABLE order_line')?.type, 'leader');
      assert.equal(parseVerboseLine('finished item 3442 TABLE DATA bulk_rows')?.type, 'leader', 'its prefix went to another line');
      assert.deepEqual(parseVerboseLine(' pg_restore: creating ACL "sales.TABLE customer"'), { type: 'create', desc: 'ACL', name: 'sales.TABLE customer' });
      assert.deepEqual(parseVerboseLine('pg_restore:pg_restore:  restored 2 large objects'), { type: 'large-objects-restored', count: 2 });
    });

    it('ignores errors, warnings, continuation lines and stray worker fragments', () => {
      assert.equal(parseVerboseLine('pg_restore: while PROCESSING TOC:'), null);
      assert.equal(parseVerboseLine('pg_restore: from TOC entry 7; 2615 16387 SCHEMA sales app_owner'), null);
      assert.equal(parseVerboseLine('pg_restore: error: could not execute query: ERROR:  schema "sales" already exists'), null);
      assert.equal(parseVerboseLine('Command was: CREATE SCHEMA sales;'), null);
      assert.equal(parseVerboseLine('    id integer NOT NULL,'), null);
      assert.equal(parseVerboseLine('pg_restore: warning: errors ignored on restore: 8'), null);
      // A worker's message that lost its prefix to the leader's line: not progress (the leader's lines are).
      assert.equal(parseVerboseLine(' processing data for table "Audit Log.Event "Quoted" Name"'), null);
    });
  });

  describe('RestoreProgress, serial', () => {
    it('counts one item per entry line and matches each to its planned entry', () => {
      const progress = new RestoreProgress({ entries: SERIAL_PLAN });
      assert.equal(progress.total, SERIAL_PLAN.length - 1, 'ENCODING prints nothing and is no item');
      const events = feed(progress, SERIAL);
      const started = items(events);
      assert.equal(started.length, progress.total);
      assert.deepEqual(
        started.map((e) => e.index),
        started.map((_, i) => i + 1),
      );
      assert.ok(started.every((e) => e.total === progress.total));
      assert.deepEqual(
        started.map((e) => e.dumpId),
        SERIAL_PLAN.filter((e) => e.desc !== 'ENCODING').map((e) => e.dumpId),
      );
      const seq = started.find((e) => e.dumpId === 3465);
      assert.deepEqual(seq, { kind: 'item', index: 10, total: 15, dumpId: 3465, desc: 'SEQUENCE SET', name: 'Audit Log.Event "Quoted" Name_id_seq' });
      assert.deepEqual(
        events.filter((e) => e.kind === 'large-object').map((e) => (e.kind === 'large-object' ? e.oid : 0)),
        [16486, 424242],
      );
    });

    it('counts data bytes when an item is done: at the next item, or at the end', () => {
      const progress = new RestoreProgress({ entries: SERIAL_PLAN });
      const byteTotal = 314 + 152791 + 46 + 18673;
      assert.equal(progress.bytesTotal, byteTotal);
      const upTo = SERIAL.indexOf('pg_restore: processing data for table "public.bulk_rows"');
      for (const line of SERIAL.slice(0, upTo + 1)) progress.push(line);
      let snap = progress.snapshot();
      assert.equal(snap.bytesDone, 314, 'bulk_rows is running; only the table before it is done');
      assert.deepEqual(snap.running, [{ dumpId: 3442, desc: 'TABLE DATA', name: 'public.bulk_rows' }]);
      progress.push(SERIAL[upTo + 1] ?? '');
      assert.equal(progress.snapshot().bytesDone, 314 + 152791);
      for (const line of SERIAL.slice(upTo + 2)) progress.push(line);
      progress.end();
      snap = progress.snapshot();
      assert.equal(snap.bytesDone, byteTotal);
      assert.equal(snap.finished, snap.total);
      assert.deepEqual(snap.running, []);
      assert.equal(snap.mode, 'serial');
    });

    it('without a plan still counts the items, by what the lines say', () => {
      const progress = new RestoreProgress({ total: 15 });
      const started = items(feed(progress, SERIAL));
      assert.equal(started.length, 15);
      assert.ok(started.every((e) => e.dumpId === undefined));
      assert.deepEqual(started[6], { kind: 'item', index: 7, total: 15, desc: 'TABLE DATA', name: 'Audit Log.Event "Quoted" Name' });
      assert.deepEqual(started[10], { kind: 'item', index: 11, total: 15, desc: 'BLOBS', name: 'BLOBS' });
    });

    it('counts a table whose data will not be restored (--no-data-for-failed-tables) as a skipped item', () => {
      // pg_restore 15.18, serial, --no-data-for-failed-tables, public.bulk_rows already existing.
      const lines = `pg_restore: creating TABLE "public.bulk_rows"
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
pg_restore: creating COMMENT "public.TABLE bulk_rows"`.split('\n');
      const plan = SERIAL_PLAN.filter((e) => [230, 3455, 3442].includes(e.dumpId));
      const progress = new RestoreProgress({ entries: plan });
      const started = items(feed(progress, lines));
      assert.deepEqual(
        started.map((e) => [e.dumpId, e.skipped ?? false]),
        [
          [230, false],
          [3442, true],
          [3455, false],
        ],
      );
      assert.equal(started.length, progress.total);
    });
  });

  describe('RestoreProgress, parallel (-j)', () => {
    it('counts pre-data items once they print, loop items at launch, and finishes them when the leader says so', () => {
      const progress = new RestoreProgress({ entries: PARALLEL_PLAN });
      assert.equal(progress.total, 10);
      const events = feed(progress, PARALLEL);
      const started = items(events);
      assert.deepEqual(
        started.map((e) => e.dumpId),
        [6, 230, 3444, 3442, 3446, 3434, 3278, 3429, 3439, 3281],
      );
      assert.equal(started.length, progress.total);
      assert.deepEqual(started[8], { kind: 'item', index: 9, total: 10, dumpId: 3439, desc: 'TABLE DATA', name: 'Audit Log.Event "Quoted" Name' });
      const finished = events.filter((e) => e.kind === 'item-finished').map((e) => (e.kind === 'item-finished' ? e.dumpId : 0));
      assert.deepEqual(finished, [6, 230, 3444, 3446, 3442, 3434, 3278, 3429, 3439, 3281]);
      const snap = progress.snapshot();
      assert.equal(snap.mode, 'parallel');
      assert.equal(snap.finished, 10);
      assert.equal(snap.bytesDone, snap.bytesTotal);
    });

    it('reports what is running and the bytes of finished data items along the way', () => {
      const progress = new RestoreProgress({ entries: PARALLEL_PLAN });
      const upTo = PARALLEL.indexOf('pg_restore: finished item 3446 BLOBS BLOBS');
      for (const line of PARALLEL.slice(0, upTo + 1)) progress.push(line);
      const snap = progress.snapshot();
      assert.equal(snap.bytesDone, 18673);
      assert.deepEqual(snap.running, [{ dumpId: 3442, desc: 'TABLE DATA', name: 'public.bulk_rows' }]);
      assert.equal(snap.started, 5);
      assert.equal(snap.finished, 4);
    });

    it('counts every launched item once and every finished one, whatever the interleaving', () => {
      const run = (lines: string[]) => {
        const progress = new RestoreProgress({ total: 0 });
        const events = lines.flatMap((l) => progress.push(l));
        return {
          started: items(events).map((e) => e.dumpId),
          finished: events.filter((e) => e.kind === 'item-finished').map((e) => (e.kind === 'item-finished' ? e.dumpId : 0)),
        };
      };
      assert.deepEqual(run(INTERLEAVED_1), {
        started: [3445, 3464, 3442, 3446, 3434, 3433, 3278, 3431, 3265],
        finished: [3445, 3464, 3442, 3446, 3431, 3434],
      });
      assert.deepEqual(run(INTERLEAVED_2), {
        started: [3429, 3453, 3458, 3459, 3460, 3461, 3463, 3435],
        finished: [3429, 3453, 3461, 3463, 3458, 3459, 3460, 3435],
      });
    });

    it('without a plan: entries that print nothing (ENCODING, DATABASE without -C) are not items', () => {
      const progress = new RestoreProgress({ total: 10 });
      const started = items(feed(progress, PARALLEL));
      assert.deepEqual(
        started.map((e) => `${e.dumpId} ${e.desc} ${e.name}`),
        [
          '6 SCHEMA Audit Log',
          '230 TABLE bulk_rows',
          '3444 BLOB 16486',
          '3442 TABLE DATA bulk_rows',
          '3446 BLOBS BLOBS',
          '3434 TABLE DATA order_line',
          '3278 CONSTRAINT bulk_rows bulk_rows_pkey',
          '3429 POLICY customer customer_self',
          '3439 TABLE DATA Event "Quoted" Name',
          '3281 FK CONSTRAINT order order_customer_id_fkey',
        ],
      );
    });

    it('counts the data of a table that could not be created once, not again at "skipping item"', () => {
      // pg_restore 15.18, -j 2 --no-data-for-failed-tables, public.bulk_rows already existing; excerpt.
      const lines = `pg_restore: processing item 230 TABLE bulk_rows
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
pg_restore: processing item 3455 COMMENT TABLE bulk_rows
pg_restore: creating COMMENT "public.TABLE bulk_rows"
pg_restore: entering main parallel loop
pg_restore: skipping item 3442 TABLE DATA bulk_rows
pg_restore: launching item 3278 CONSTRAINT bulk_rows bulk_rows_pkey
pg_restore: creating CONSTRAINT "public.bulk_rows bulk_rows_pkey"
pg_restore: finished item 3278 CONSTRAINT bulk_rows bulk_rows_pkey
pg_restore: finished main parallel loop`.split('\n');
      const plan = [...SERIAL_PLAN.filter((e) => [230, 3455, 3442, 3278].includes(e.dumpId))];
      const progress = new RestoreProgress({ entries: plan });
      const started = items(feed(progress, lines));
      assert.deepEqual(
        started.map((e) => [e.dumpId, e.skipped ?? false]),
        [
          [230, false],
          [3442, true],
          [3455, false],
          [3278, false],
        ],
      );
      assert.equal(progress.snapshot().finished, 4);
    });
  });

  it('itemsIn leaves out what prints nothing', () => {
    assert.equal(itemsIn([...SERIAL_PLAN, { dumpId: 9999, desc: 'STATISTICS DATA', namespace: 'public', tag: 'bulk_rows' }]), SERIAL_PLAN.length - 1);
  });
});
