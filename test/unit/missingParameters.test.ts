/**
 * A plain dump of a newer pg_dump restored into an older server: which parameter a setting
 * statement sets, those settings left out of the preamble and of the settings before sections
 * (never a SET inside a function body or COPY data), the parameters a plan's settings name, and
 * what the pre-flight check and the restore panel say about it.
 */
import assert from 'node:assert/strict';
import { PlainIndexer, type PlainIndex } from '../../src/core/plain/indexer';
import { plainDumpOf } from '../../src/core/plain/plainDump';
import { planSlices, settingParameters, type SlicePlan } from '../../src/core/plain/slices';
import { settingParameter, withoutMissingParameters } from '../../src/core/plain/stateLines';
import { parameterLeftOutNote } from '../../src/core/restore/plainRestore';
import type { RestoreResult } from '../../src/core/restore/types';
import { missingParameterFindings } from '../../src/core/target/preflight';
import { resultView } from '../../src/restore/restoreViews';

describe('settings of parameters the target lacks', () => {
  describe('the parameter a setting statement sets', () => {
    it('SET name = …, SET name TO …, SET SESSION / LOCAL, RESET', () => {
      assert.equal(settingParameter('SET transaction_timeout = 0;'), 'transaction_timeout');
      assert.equal(settingParameter('SET transaction_timeout=0;'), 'transaction_timeout');
      assert.equal(settingParameter('SET transaction_timeout TO 0;'), 'transaction_timeout');
      assert.equal(settingParameter('SET transaction_timeout TO DEFAULT;'), 'transaction_timeout');
      assert.equal(settingParameter('SET SESSION transaction_timeout = 0;'), 'transaction_timeout');
      assert.equal(settingParameter("SET LOCAL statement_timeout TO '5s';"), 'statement_timeout');
      assert.equal(settingParameter('SET default_table_access_method = heap;'), 'default_table_access_method');
      assert.equal(settingParameter('RESET transaction_timeout;'), 'transaction_timeout');
      // Not to be taken for SET SESSION followed by a name.
      assert.equal(settingParameter('SET session_replication_role = replica;'), 'session_replication_role');
    });

    it('pg_catalog.set_config(…), qualified or not', () => {
      assert.equal(settingParameter("SELECT pg_catalog.set_config('search_path', '', false);"), 'search_path');
      assert.equal(settingParameter("SELECT pg_catalog.set_config('transaction_timeout', '0', false);"), 'transaction_timeout');
      assert.equal(settingParameter("select set_config('Transaction_Timeout', '0', false);"), 'transaction_timeout');
    });

    it('case and quoting: the server looks names up regardless of either', () => {
      assert.equal(settingParameter('set Transaction_Timeout = 0;'), 'transaction_timeout');
      assert.equal(settingParameter('SET "transaction_timeout" = 0;'), 'transaction_timeout');
      assert.equal(settingParameter('SET "Transaction_Timeout" TO 0;'), 'transaction_timeout');
      assert.equal(settingParameter('RESET "Transaction_Timeout";'), 'transaction_timeout');
    });

    it('SQL\'s own SET forms, hidden parameters every server has, and custom dotted names are not asked about', () => {
      for (const line of [
        "SET SESSION AUTHORIZATION 'alice';",
        'RESET SESSION AUTHORIZATION;',
        'SET ROLE app_owner;',
        "SET role = 'app_owner';",
        'RESET ROLE;',
        "SET TIME ZONE 'UTC';",
        "SET NAMES 'UTF8';",
        "SET SCHEMA 'public';",
        'SET XML OPTION DOCUMENT;',
        'SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;',
        'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY;',
        'SET CONSTRAINTS ALL DEFERRED;',
        'SET seed = 0.5;',
        'RESET ALL;',
        'SET myext.flag = on;',
        'SET "myext.flag" = on;',
        "SELECT pg_catalog.set_config('myext.flag', 'on', false);",
        "SELECT pg_catalog.setval('s.seq', 1, true);",
        'CREATE TABLE t (a int);',
      ]) {
        assert.equal(settingParameter(line), null, line);
      }
    });

    it('leaves out only the statements of missing parameters, naming each parameter once', () => {
      const lines = ['SET statement_timeout = 0;', 'SET transaction_timeout = 0;', "SELECT pg_catalog.set_config('transaction_timeout', '0', false);", "SET SESSION AUTHORIZATION 'alice';"];
      assert.deepEqual(withoutMissingParameters(lines, new Set(['transaction_timeout'])), {
        kept: ['SET statement_timeout = 0;', "SET SESSION AUTHORIZATION 'alice';"],
        leftOut: ['transaction_timeout'],
      });
      assert.deepEqual(withoutMissingParameters(lines, new Set()), { kept: lines, leftOut: [] });
    });
  });

  describe('restore slices', () => {
    const section = (name: string, type: string, body: string, data = false) => ['--', `-- ${data ? 'Data for ' : ''}Name: ${name}; Type: ${type}; Schema: public; Owner: me`, '--', '', body, '', ''].join('\n');
    // pg_dump 18's preamble and settings before tables; a function body and COPY data holding the same SET.
    const text = [
      '--',
      '-- PostgreSQL database dump',
      '--',
      '',
      '-- Dumped from database version 18.3',
      '-- Dumped by pg_dump version 18.3',
      '',
      'SET statement_timeout = 0;',
      'SET transaction_timeout = 0;',
      "SET client_encoding = 'UTF8';",
      "SELECT pg_catalog.set_config('search_path', '', false);",
      '',
      section('f()', 'FUNCTION', 'CREATE FUNCTION public.f() RETURNS void LANGUAGE sql AS $$\nSET transaction_timeout = 0;\n$$;'),
      "SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n",
      section('t', 'TABLE', 'CREATE TABLE public.t (\n    a text\n);'),
      section('t', 'TABLE DATA', 'COPY public.t (a) FROM stdin;\nSET transaction_timeout = 0;\nSET default_table_access_method = heap;\n\\.', true),
      '--',
      '-- PostgreSQL database dump complete',
      '--',
      '',
    ].join('\n');
    const bytes = Buffer.from(text);
    const indexer = new PlainIndexer();
    indexer.push(bytes);
    indexer.finish();
    const index: PlainIndex = indexer.index('sample.sql', 'none');
    const entries = plainDumpOf(index).archive.entries;
    const render = (p: SlicePlan) => p.pieces.map((x) => (x.kind === 'text' ? x.text : bytes.toString('utf8', x.offset, x.offset + x.length))).join('');

    it('the preamble\'s and the sections\' settings of missing parameters are left out; a function body and COPY rows keep theirs', () => {
      const all = planSlices(index, entries);
      const older = planSlices(index, entries, { missingParameters: ['Transaction_Timeout', 'default_table_access_method'] });
      assert.deepEqual(all.parametersLeftOut, []);
      assert.deepEqual(older.parametersLeftOut, ['transaction_timeout', 'default_table_access_method']);
      const out = render(older);
      assert.equal(older.bytes, Buffer.byteLength(out));
      assert.match(out, /^SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSELECT pg_catalog\.set_config\('search_path', '', false\);\n/);
      assert.match(out, /\nSET default_tablespace = '';\nCREATE TABLE public\.t/);
      assert.doesNotMatch(out, /RESET/);
      // The stream is the one without the option, less those two lines (their first occurrences).
      assert.equal(out, render(all).replace('SET transaction_timeout = 0;\n', '').replace('SET default_table_access_method = heap;\n', ''));
      assert.match(out, /AS \$\$\nSET transaction_timeout = 0;\n\$\$;/);
      assert.match(out, /FROM stdin;\nSET transaction_timeout = 0;\nSET default_table_access_method = heap;\n\\\.\n/);
      assert.equal(out.split('\n').filter((l) => l === 'SET transaction_timeout = 0;').length, 2);
      assert.equal(out.split('\n').filter((l) => l === 'SET default_table_access_method = heap;').length, 1);
    });

    it('only the parameters of what is restored are named', () => {
      const f = entries.filter((e) => e.desc === 'FUNCTION');
      assert.deepEqual(planSlices(index, f, { missingParameters: ['transaction_timeout', 'default_table_access_method'] }).parametersLeftOut, ['transaction_timeout']);
      assert.deepEqual(settingParameters(index, f), ['client_encoding', 'search_path', 'statement_timeout', 'transaction_timeout']);
      assert.deepEqual(settingParameters(index, entries), ['client_encoding', 'default_table_access_method', 'default_tablespace', 'search_path', 'statement_timeout', 'transaction_timeout']);
    });
  });

  describe('what the user is told', () => {
    it('the pre-flight check: information naming the target\'s major version and the parameter', () => {
      assert.deepEqual(missingParameterFindings(['transaction_timeout'], 150018), [
        { severity: 'info', code: 'parameter-missing', message: 'the target (PostgreSQL 15) has no parameter transaction_timeout: its SET is left out', fixes: [] },
      ]);
      assert.match(missingParameterFindings(['default_table_access_method'], 110022)[0]!.message, /^the target \(PostgreSQL 11\) has no parameter default_table_access_method:/);
      assert.match(missingParameterFindings(['idle_in_transaction_session_timeout'], 90524)[0]!.message, /\(PostgreSQL 9\.5\)/);
      assert.deepEqual(missingParameterFindings([], 150018), []);
    });

    it('the restore panel\'s result lists what was left out', () => {
      const note = parameterLeftOutNote('transaction_timeout');
      assert.equal(note, 'the target has no parameter transaction_timeout: its SET was left out');
      const result: RestoreResult = {
        ok: true,
        cancelled: false,
        command: 'psql --file=-',
        tool: { tool: 'psql', path: '/usr/bin/psql', realPath: '/usr/bin/psql', source: 'PATH', version: { major: 15, minor: 18, patch: 0, text: 'psql (PostgreSQL) 15.18' } },
        exitCode: 0,
        errors: [],
        ignoredErrors: null,
        createdRoles: [],
        problems: [],
        durationMs: 200,
        restoreList: '',
        notes: ['ACL SCHEMA sales: left out (--no-privileges)', note],
        progress: { started: 25, finished: 25, total: 25, bytesDone: 1, bytesTotal: 1, running: [], mode: 'serial' },
      };
      const view = resultView(result, true, '127.0.0.1:5432/db');
      assert.equal(view.outcome, 'restored');
      assert.deepEqual(view.notes, ['ACL SCHEMA sales: left out (--no-privileges)', note]);
    });
  });
});
