/**
 * pg_dump's errors rewritten to one line that names the object and why. The samples are what
 * pg_dump 15.18 printed (LC_MESSAGES=C) against the fixture database, as a role lacking privileges,
 * unless said otherwise.
 */
import assert from 'node:assert/strict';
import { DumpErrorParser, describeDumpError, readQualifiedName } from '../../src/core/dump/dumpErrors';

const parse = (text: string) => {
  const seen: string[] = [];
  const p = new DumpErrorParser((line) => seen.push(line));
  for (const line of text.split('\n')) p.push(line);
  const errors = p.end();
  assert.deepEqual(seen, errors, 'every error is also reported as it is found');
  return errors;
};

describe('pg_dump errors', () => {
  it('permission denied on a table: the table with its schema, and the privilege it needs', () => {
    const errors = parse(`pg_dump: reading dependency data
pg_dump: error: query failed: ERROR:  permission denied for table order
pg_dump: detail: Query was: LOCK TABLE sales."order" IN ACCESS SHARE MODE`);
    assert.deepEqual(errors, ['permission denied for table sales.order: the role needs SELECT on it']);
  });

  it('a sequence, and a schema', () => {
    assert.deepEqual(parse(`pg_dump: error: query failed: ERROR:  permission denied for sequence standalone_seq
pg_dump: detail: Query was: SELECT last_value, is_called FROM public.standalone_seq`), ['permission denied for sequence public.standalone_seq: the role needs SELECT on it']);
    assert.deepEqual(parse('pg_dump: error: query failed: ERROR:  permission denied for schema sales'), ['permission denied for schema sales: the role needs USAGE on it']);
  });

  it('row-level security that would hide rows: the table of the COPY, and who may dump it', () => {
    assert.deepEqual(
      parse(`pg_dump: dumping contents of table "sales.customer"
pg_dump: error: query failed: ERROR:  query would be affected by row-level security policy for table "customer"
pg_dump: detail: Query was: COPY sales.customer (id, name, email, created) TO stdout;`),
      ["row-level security on table sales.customer would hide rows from this role: dump as the table's owner, a superuser or a role with BYPASSRLS"],
    );
  });

  it('a schema the role may not use, named by the server, not by the query', () => {
    assert.deepEqual(parse(`pg_dump: error: query failed: ERROR:  permission denied for schema sales
pg_dump: detail: Query was: LOCK TABLE sales.customer IN ACCESS SHARE MODE`), ['permission denied for schema sales: the role needs USAGE on it']);
  });

  // Not a sample: the shape pg_dump 13 and 14 print.
  it('pg_dump 13 and 14 printed the query as a second error line', () => {
    assert.deepEqual(parse(`pg_dump: error: query failed: ERROR:  permission denied for table customer
pg_dump: error: query was: LOCK TABLE sales.customer IN ACCESS SHARE MODE`), ['permission denied for table sales.customer: the role needs SELECT on it']);
  });

  it('a multi-line query is read to its first line; other errors keep their text without the prefix', () => {
    assert.deepEqual(
      parse(`pg_dump: error: query failed: ERROR:  invalid regular expression: parentheses () not balanced
pg_dump: detail: Query was: SELECT c.oid
FROM pg_catalog.pg_class c
  AND c.relname OPERATOR(pg_catalog.~) '^(()$' COLLATE pg_catalog.default`),
      ['invalid regular expression: parentheses () not balanced'],
    );
    assert.deepEqual(
      parse(`pg_dump: error: connection to server at "127.0.0.1", port 1 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?`),
      ['connection to server at "127.0.0.1", port 1 failed: Connection refused Is the server running on that host and accepting TCP/IP connections?'],
    );
    // Not a sample: the shape of pg_dump's write error on a full disk.
    assert.deepEqual(parse('pg_dump: error: could not write to output file: No space left on device'), ['could not write to output file: No space left on device: free some space, or write the dump elsewhere']);
  });

  it('verbose lines and warnings are no errors', () => {
    assert.deepEqual(parse('pg_dump: last built-in OID is 16383\npg_dump: warning: there are circular foreign-key constraints on this table:'), []);
  });

  it('reads quoted and qualified names', () => {
    assert.equal(readQualifiedName('"Audit Log"."Event ""Quoted"" Name" IN ACCESS SHARE MODE'), 'Audit Log.Event "Quoted" Name');
    assert.equal(readQualifiedName('public.bulk_rows (id) TO stdout;'), 'public.bulk_rows');
    assert.equal(readQualifiedName('"unterminated'), undefined);
    assert.equal(describeDumpError('query failed: ERROR:  permission denied for table t', []), 'permission denied for table t: the role needs SELECT on it');
  });
});
