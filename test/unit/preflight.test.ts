import assert from 'node:assert/strict';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import type { TocEntry } from '../../src/core/model/types';
import { ownership } from '../../src/core/plan/closure';
import { classifyExtension, createRoleSql, psqlRestrictFinding, versionNum, type ExtensionCheck } from '../../src/core/target/preflight';
import { entryRoles, rolesInSql } from '../../src/core/target/roleReferences';
import type { ExtensionFacts } from '../../src/core/target/targetFacts';
import { objectName, objectsOf, splitFunctionTag } from '../../src/core/target/targetObjects';
import { sharedFixture } from '../support/env';

describe('pre-flight: roles named in SQL', () => {
  const roles = (sql: string) => rolesInSql(sql).map((r) => `${r.use}:${r.role}`);

  it('grantees and grantors of GRANT and REVOKE, PUBLIC and CURRENT_USER left out', () => {
    assert.deepEqual(roles('GRANT SELECT ON TABLE sales."order" TO app_reader;\n'), ['privileges:app_reader']);
    assert.deepEqual(roles('REVOKE ALL ON SCHEMA public FROM PUBLIC;\nGRANT ALL ON SCHEMA public TO PUBLIC;'), []);
    assert.deepEqual(roles('GRANT SELECT(email), UPDATE("to") ON TABLE t TO a, GROUP b, CURRENT_USER WITH GRANT OPTION GRANTED BY c;'), ['privileges:a', 'privileges:b', 'privileges:c']);
    assert.deepEqual(roles('REVOKE GRANT OPTION FOR USAGE ON SCHEMA s FROM x CASCADE;'), ['privileges:x']);
    assert.deepEqual(roles('GRANT EXECUTE ON FUNCTION f(a integer, "to" text) TO runner;'), ['privileges:runner']);
  });

  it('quoted names keep their case and doubled quotes; unquoted names fold to lower case', () => {
    assert.deepEqual(roles('GRANT SELECT ON TABLE t TO "App ""Odd"" Role", MixedCase;'), ['privileges:App "Odd" Role', 'privileges:mixedcase']);
  });

  it('role membership, default privileges, session authorization, ownership, policies, user mappings', () => {
    assert.deepEqual(roles('GRANT admins, "Ops" TO alice;'), ['privileges:alice', 'privileges:admins', 'privileges:Ops']);
    assert.deepEqual(roles('ALTER DEFAULT PRIVILEGES FOR ROLE owner1, "Owner 2" IN SCHEMA s GRANT SELECT ON TABLES TO reader;'), ['privileges:owner1', 'privileges:Owner 2', 'privileges:reader']);
    assert.deepEqual(roles('ALTER DEFAULT PRIVILEGES IN SCHEMA s REVOKE ALL ON FUNCTIONS FROM PUBLIC;'), []);
    assert.deepEqual(roles('SET SESSION AUTHORIZATION grantor1;\nGRANT SELECT ON TABLE t TO r;\nRESET SESSION AUTHORIZATION;'), ['privileges:grantor1', 'privileges:r']);
    assert.deepEqual(roles("SET SESSION AUTHORIZATION 'Quoted Grantor';"), ['privileges:Quoted Grantor']);
    assert.deepEqual(roles('ALTER LARGE OBJECT 16504 OWNER TO "LO Owner";'), ['owner:LO Owner']);
    assert.deepEqual(roles('CREATE POLICY p ON t FOR SELECT TO app_reader, "Other" USING ((owner = CURRENT_USER) AND (x <> \'TO y\'));'), ['policy:app_reader', 'policy:Other']);
    assert.deepEqual(roles('CREATE USER MAPPING FOR "Remote User" SERVER srv OPTIONS (user \'x\');\nCREATE USER MAPPING FOR PUBLIC SERVER srv;'), ['other:Remote User']);
  });

  it('names inside literals, dollar quotes and comments are not roles', () => {
    assert.deepEqual(roles("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $fn$ GRANT SELECT ON t TO fake1; $fn$;"), []);
    assert.deepEqual(roles("-- GRANT x TO fake2;\n/* GRANT y TO fake3; /* nested */ */ GRANT SELECT ON t TO real1;"), ['privileges:real1']);
    assert.deepEqual(roles("COMMENT ON TABLE t IS E'it\\'s; GRANT SELECT ON t TO fake4';"), []);
  });

  it('entries: owners where pg_restore sets them, every role of an ACL a privilege', async () => {
    const opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
    try {
      const find = (desc: string, tag: string) => opened.archive.entries.find((e) => e.desc === desc && e.tag === tag)!;
      assert.deepEqual(entryRoles(find('SCHEMA', 'sales')), [{ role: 'app_owner', use: 'owner' }]);
      assert.deepEqual(entryRoles(find('ACL', 'SCHEMA sales')), [{ role: 'app_reader', use: 'privileges' }]);
      assert.deepEqual(entryRoles(find('POLICY', 'customer customer_self')), [{ role: 'app_reader', use: 'policy' }]);
      // pg_restore sets no owner for a constraint (its table's owner owns it).
      assert.deepEqual(entryRoles(find('CONSTRAINT', 'customer customer_pkey')), []);
      // An identity sequence has no DROP statement: its owner comes with the table.
      assert.deepEqual(entryRoles(find('SEQUENCE', 'customer_id_seq')), []);
    } finally {
      await opened.close();
    }
  });
});

describe('pre-flight: objects as the catalogs name them', () => {
  let opened: OpenedArchive;
  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
  });
  after(() => opened.close());
  const find = (desc: string, tag: string): TocEntry => opened.archive.entries.find((e) => e.desc === desc && e.tag === tag)!;

  it('function tags split into name and argument types', () => {
    assert.deepEqual(splitFunctionTag('customer_total(bigint)'), { name: 'customer_total', args: 'bigint' });
    assert.deepEqual(splitFunctionTag('touch()'), { name: 'touch', args: '' });
    assert.deepEqual(splitFunctionTag('count_all(*)'), { name: 'count_all', args: '' });
    assert.deepEqual(splitFunctionTag('pct(double precision ORDER BY double precision)'), { name: 'pct', args: 'double precision, double precision' });
    assert.deepEqual(splitFunctionTag('f(integer, public.citext)'), { name: 'f', args: 'integer, public.citext' });
    assert.equal(splitFunctionTag('no_parens'), null);
  });

  it('a constraint of a table whose name holds spaces and quotes, split with the table it belongs to', () => {
    const own = ownership(opened.archive);
    const refs = objectsOf(find('CONSTRAINT', 'Event "Quoted" Name Event "Quoted" Name_pkey'), own)!;
    assert.deepEqual(refs, [{ kind: 'constraint', schema: 'Audit Log', name: 'Event "Quoted" Name_pkey', on: 'Event "Quoted" Name', expect: '' }]);
    assert.equal(objectName(refs[0]!), '"Event ""Quoted"" Name_pkey" on "Audit Log"."Event ""Quoted"" Name"');
  });

  it('tables, indexes, types, domains, functions, schemas, policies, large objects', () => {
    const own = ownership(opened.archive);
    const one = (desc: string, tag: string) => objectsOf(find(desc, tag), own)![0]!;
    assert.deepEqual(one('TABLE', 'order'), { kind: 'relation', schema: 'sales', name: 'order', on: '', expect: 'rp' });
    assert.equal(objectName(one('TABLE', 'order')), 'sales.order');
    assert.equal(one('INDEX', 'order_created_idx').expect, 'iI');
    assert.deepEqual(one('DOMAIN', 'email'), { kind: 'type', schema: 'sales', name: 'email', on: '', expect: 'd' });
    assert.deepEqual(one('FUNCTION', 'customer_total(bigint)'), { kind: 'function', schema: 'sales', name: 'customer_total', on: 'bigint', expect: '' });
    assert.equal(objectName(one('FUNCTION', 'customer_total(bigint)')), 'sales.customer_total(bigint)');
    assert.deepEqual(one('SCHEMA', 'Audit Log'), { kind: 'schema', schema: '', name: 'Audit Log', on: '', expect: '' });
    assert.equal(objectName(one('POLICY', 'customer customer_self')), 'customer_self on sales.customer');
    assert.equal(objectName(one('TRIGGER', 'order order_touch')), 'order_touch on sales.order');
    // 1.16: a BLOB METADATA entry lists its large objects' OIDs in its definition.
    assert.deepEqual(objectsOf(find('BLOB METADATA', '16504'), own), [{ kind: 'large-object', schema: '', name: '16504', on: '', expect: '' }]);
    // About another object, creates nothing of its own.
    assert.equal(objectsOf(find('ACL', 'SCHEMA sales'), own), null);
  });
});

describe('pre-flight: pure checks', () => {
  it('psql and \\restrict: the August 2025 minors and every 18 know it', () => {
    assert.equal(psqlRestrictFinding({ major: 15, minor: 13 }, false), undefined);
    for (const ok of [
      { major: 13, minor: 22 },
      { major: 14, minor: 19 },
      { major: 15, minor: 14 },
      { major: 16, minor: 10 },
      { major: 17, minor: 6 },
      { major: 18, minor: 0 },
      { major: 19, minor: 0 },
    ]) {
      assert.equal(psqlRestrictFinding(ok, true), undefined, `${ok.major}.${ok.minor}`);
    }
    const old = psqlRestrictFinding({ major: 17, minor: 5 }, true)!;
    assert.equal(old.severity, 'blocking');
    assert.match(old.message, /psql 17\.5 does not know: use psql 17\.6 or later/);
    assert.deepEqual(old.fixes, [{ kind: 'use-other-tool', major: 17 }]);
    assert.match(psqlRestrictFinding({ major: 13, minor: 21 }, true)!.message, /use psql 13\.22 or later/);
    const ancient = psqlRestrictFinding({ major: 12, minor: 22 }, true)!;
    assert.match(ancient.message, /no psql 12 release knows/);
    assert.deepEqual(ancient.fixes, [{ kind: 'use-other-tool', major: 18 }]);
    assert.equal(psqlRestrictFinding(null, true)?.severity, 'blocking');
    assert.equal(psqlRestrictFinding(null, false), undefined);
  });

  it('extensions classified from what the catalogs say', () => {
    const facts = (f: Partial<ExtensionFacts>): ExtensionFacts => ({ available: true, defaultVersion: '1.0', installed: false, installedVersion: undefined, superuserOnly: false, ...f });
    const check = (f: Partial<ExtensionFacts>, planned = true, ifNotExists = true): ExtensionCheck => ({ name: 'postgis', planned, ifNotExists, facts: facts(f), dumpIds: [7] });
    const unavailable = classifyExtension(check({ available: false, defaultVersion: undefined }), true);
    assert.equal(unavailable.conflict, false);
    assert.equal(unavailable.finding?.severity, 'blocking');
    assert.equal(unavailable.finding?.code, 'extension-unavailable');
    assert.match(unavailable.finding!.message, /^extension "postgis" is not available on the target server/);
    assert.equal(classifyExtension(check({ available: false }, false), true).finding?.severity, 'warning');
    const kept = classifyExtension(check({ installed: true, installedVersion: '3.4' }), true);
    assert.deepEqual([kept.conflict, kept.finding?.severity, kept.finding?.code], [false, 'info', 'extension-installed']);
    assert.match(kept.finding!.message, /version 3\.4/);
    assert.deepEqual(classifyExtension(check({ installed: true }, true, false), true), { conflict: true });
    // Installed on a server that no longer has its files: installed is what counts.
    assert.equal(classifyExtension(check({ installed: true, available: false }), true).finding?.code, 'extension-installed');
    assert.equal(classifyExtension(check({ superuserOnly: true }), false).finding?.code, 'extension-needs-superuser');
    assert.deepEqual(classifyExtension(check({ superuserOnly: true }), true), { conflict: false });
    assert.deepEqual(classifyExtension(check({}), false), { conflict: false });
  });

  it('version numbers as server_version_num counts them; CREATE ROLE statements quote the name', () => {
    assert.equal(versionNum('18.3'), 180003);
    assert.equal(versionNum('15.18 (Debian 15.18-0+deb12u1)'), 150018);
    assert.equal(versionNum('9.6.24'), 90624);
    assert.equal(versionNum('18beta1'), 180000);
    assert.equal(versionNum(null), undefined);
    assert.equal(versionNum('unknown'), undefined);
    assert.equal(createRoleSql('app_owner'), 'CREATE ROLE "app_owner" NOLOGIN;');
    assert.equal(createRoleSql('Odd "x"'), 'CREATE ROLE "Odd ""x""" NOLOGIN;');
  });
});
