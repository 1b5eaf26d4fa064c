import assert from 'node:assert/strict';
import { openArchive, type OpenedArchive } from '../../src/core/archive';
import type { TocArchive } from '../../src/core/model/types';
import { buildPlan } from '../../src/core/plan/closure';
import { applyFix, cleanDrops, confirmation, DEFAULT_RESTORE_FORM, fixApplied, formProblems, preflightOptions, runOptions, selectionOptions, type RestoreForm } from '../../src/core/restore/restoreForm';
import { restoreArguments } from '../../src/core/restore/restoreArchive';
import type { PreflightReport, ProposedFix } from '../../src/core/target/preflight';
import { sharedFixture } from '../support/env';

const form = (patch: Partial<RestoreForm> = {}): RestoreForm => ({ ...DEFAULT_RESTORE_FORM, createRoles: [], ...patch });

/** A pre-flight report with the given findings and facts a confirmation reads. */
function report(findings: PreflightReport['findings'], target: Partial<PreflightReport['target']> = {}): PreflightReport {
  return {
    target: { where: '127.0.0.1:5432/scratch', serverVersion: '15.18', serverMajor: 15, database: 'scratch', user: 'alice', isSuperuser: false, canCreate: true, databaseMissing: false, ...target },
    databaseEmpty: false,
    contents: { schemas: 1, relations: 3, functions: 0, types: 0, extensions: 0, largeObjects: 0 },
    missingRoles: [],
    conflicts: [],
    missingRequired: [],
    missingNeeds: [],
    extensions: [],
    useExisting: { dumpIds: [], schemaOwners: [], notes: [] },
    missingParameters: [],
    findings,
    blocking: findings.some((f) => f.severity === 'blocking'),
  };
}

describe('restore form', () => {
  let opened: OpenedArchive<TocArchive>;
  before(async () => {
    opened = await openArchive(sharedFixture('pg18-rich.custom.dump'));
  });
  after(() => opened.close());

  it('defaults to an atomic restore of definitions and data, with the checks afterwards', () => {
    const f = form();
    assert.deepEqual(selectionOptions(f), { mode: 'definition-and-data', withDeps: false, dropDanglingForeignKeys: false });
    const args = restoreArguments(runOptions(f));
    assert.ok(args.includes('--single-transaction') && args.includes('--exit-on-error'), args.join(' '));
    assert.ok(!args.some((a) => a.startsWith('--jobs')));
    const o = runOptions(f);
    assert.equal(o.analyze && o.fixSequences && o.verifyRowCounts, true);
  });

  it('parallel jobs leave the single transaction out, and are refused where pg_restore cannot run them', () => {
    const args = restoreArguments(runOptions(form({ atomic: false, jobs: 3 })));
    assert.ok(args.includes('--jobs=3') && !args.includes('--single-transaction'), args.join(' '));
    assert.deepEqual(formProblems(form({ atomic: false, jobs: 3 }), opened.archive), []);
    assert.match(formProblems(form({ atomic: false, jobs: 1 }), opened.archive)[0] ?? '', /at least 2/);
    const tar = { ...opened.archive, format: 'tar' as const };
    assert.match(formProblems(form({ atomic: false, jobs: 2 }), tar).join(' '), /tar archive in parallel/);
  });

  it('options pg_restore cannot combine are problems before anything runs', () => {
    assert.match(formProblems(form({ clean: true, mode: 'data-only' }), opened.archive).join(' '), /--clean cannot be combined with a data-only/);
    assert.match(formProblems(form({ disableTriggers: true }), opened.archive).join(' '), /only applies to a data-only/);
  });

  it('each proposed fix changes the form as its words say, and then shows as applied', () => {
    const fixes: [ProposedFix, Partial<RestoreForm>][] = [
      [{ kind: 'no-owner' }, { noOwner: true }],
      [{ kind: 'no-privileges' }, { noPrivileges: true }],
      [{ kind: 'create-roles', roles: ['app_reader', 'app_owner'], sql: [] }, { createRoles: ['app_reader', 'app_owner'] }],
      [{ kind: 'clean', drops: ['TABLE sales.order'] }, { clean: true }],
      [{ kind: 'leave-out-foreign-keys', dumpIds: [1] }, { dropDanglingForeignKeys: true }],
      [{ kind: 'include-dependencies' }, { withDeps: true }],
    ];
    for (const [fix, expected] of fixes) {
      const before = form();
      assert.equal(fixApplied(before, fix), false, fix.kind);
      const { form: after, action } = applyFix(before, fix);
      assert.equal(action, undefined);
      assert.deepEqual(after, { ...before, ...expected }, fix.kind);
      assert.equal(fixApplied(after, fix), true, fix.kind);
    }
    assert.deepEqual(applyFix(form({ createRoles: ['app_reader'] }), { kind: 'create-roles', roles: ['app_reader'], sql: [] }).form.createRoles, ['app_reader'], 'a role is not listed twice');
  });

  it('fixes that need something done outside the form say so', () => {
    assert.deepEqual(applyFix(form(), { kind: 'create-database', name: 'scratch' }).action, { kind: 'create-database', name: 'scratch' });
    assert.deepEqual(applyFix(form(), { kind: 'use-other-tool', major: 17 }).action, { kind: 'use-other-tool', major: 17 });
  });

  it('the pre-flight is asked about the options the restore will run with', () => {
    assert.deepEqual(preflightOptions(form({ noOwner: true, clean: true, createRoles: ['r'] }), { major: 15, minor: 18 }), { noOwner: true, noPrivileges: false, clean: true, createRoles: ['r'], pgRestoreVersion: { major: 15, minor: 18 } });
  });

  describe('confirmation', () => {
    const plan = () => buildPlan(opened.archive, { tables: ['sales.order'] });

    it('names what, from where, into host, port and database, and says it is atomic', () => {
      const c = confirmation({ dumpLabel: 'rich.dump', where: '127.0.0.1:5432/scratch', plan: plan(), form: form(), report: report([]) });
      assert.equal(c.message, `Restore ${plan().entries.length} entries of rich.dump into 127.0.0.1:5432/scratch?`);
      assert.match(c.detail.join('\n'), /Connected as alice to PostgreSQL 15\.18/);
      assert.match(c.detail.join('\n'), /one transaction: if anything fails, or you cancel, nothing is changed/);
      assert.equal(c.button, 'Restore');
    });

    it('with --clean, lists what is dropped, and the button says so', () => {
      const r = report([{ severity: 'warning', code: 'conflict', message: '--clean will drop', fixes: [{ kind: 'clean', drops: ['TABLE sales.order', 'INDEX sales.order_created_idx'] }] }]);
      const c = confirmation({ dumpLabel: 'rich.dump', where: 'h:1/d', plan: plan(), form: form({ clean: true }), report: r });
      assert.match(c.detail.join('\n'), /DROPS 2 existing objects.*TABLE sales\.order, INDEX sales\.order_created_idx/);
      assert.equal(c.button, 'Drop and Restore');
      assert.deepEqual(cleanDrops(r, form()), [], 'nothing is dropped without --clean');
    });

    it('says when the restore is not atomic, creates roles, or was found blocked', () => {
      const r = report([{ severity: 'blocking', code: 'role-missing', message: 'x', fixes: [] }]);
      const c = confirmation({ dumpLabel: 'd', where: 'h:1/d', plan: plan(), form: form({ atomic: false, jobs: 4, createRoles: ['app_reader'] }), report: r });
      const text = c.detail.join('\n');
      assert.match(text, /4 parallel jobs, not in one transaction/);
      assert.match(text, /Creates the role app_reader first/);
      assert.match(text, /1 blocking problem/);
    });
  });
});
