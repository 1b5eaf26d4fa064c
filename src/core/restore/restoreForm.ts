import type { Archive } from '../model/types';
import type { RestorePlan } from '../plan/closure';
import type { SelectionOptions } from '../plan/picks';
import type { PreflightOptions, PreflightReport, ProposedFix } from '../target/preflight';
import { plainRestoreObstacle } from './plainRestore';
import type { RestoreRunOptions } from './types';
import type { RestoreForm } from './restoreFormFields';

export type { RestoreForm };

/**
 * What follows from the restore form's choices: the plan's selection options, pg_restore's
 * options, the pre-flight's options, what a proposed fix changes, what stops the restore, and the
 * words of the confirmation. The form shows; this decides.
 */

export const DEFAULT_RESTORE_FORM: Readonly<RestoreForm> = Object.freeze({
  mode: 'definition-and-data',
  withDeps: false,
  dropDanglingForeignKeys: false,
  noOwner: false,
  noPrivileges: false,
  clean: false,
  atomic: true,
  jobs: 4,
  disableTriggers: false,
  createRoles: [],
  analyze: true,
  fixSequences: true,
  verifyRowCounts: true,
});

export function selectionOptions(form: RestoreForm): SelectionOptions {
  return { mode: form.mode, withDeps: form.withDeps, dropDanglingForeignKeys: form.dropDanglingForeignKeys };
}

export function runOptions(form: RestoreForm): RestoreRunOptions {
  return {
    noOwner: form.noOwner,
    noPrivileges: form.noPrivileges,
    clean: form.clean,
    ...(form.atomic ? { singleTransaction: true } : { jobs: form.jobs, singleTransaction: false }),
    ...(form.createRoles.length > 0 ? { createRoles: form.createRoles } : {}),
    disableTriggers: form.disableTriggers,
    analyze: form.analyze,
    fixSequences: form.fixSequences,
    verifyRowCounts: form.verifyRowCounts,
  };
}

export function preflightOptions(form: RestoreForm, pgRestoreVersion?: { major: number; minor: number }): PreflightOptions {
  return {
    noOwner: form.noOwner,
    noPrivileges: form.noPrivileges,
    clean: form.clean,
    createRoles: form.createRoles,
    ...(pgRestoreVersion ? { pgRestoreVersion } : {}),
  };
}

/** Something a fix needs done outside the form, after the user agrees. */
export type FixAction = { kind: 'create-database'; name: string } | { kind: 'use-other-tool'; major: number };

/** The form a fix leads to, and what else it needs done (creating a database, another pg_restore). */
export function applyFix(form: RestoreForm, fix: ProposedFix): { form: RestoreForm; action?: FixAction } {
  switch (fix.kind) {
    case 'no-owner':
      return { form: { ...form, noOwner: true } };
    case 'no-privileges':
      return { form: { ...form, noPrivileges: true } };
    case 'create-roles':
      return { form: { ...form, createRoles: [...new Set([...form.createRoles, ...fix.roles])] } };
    case 'clean':
      return { form: { ...form, clean: true } };
    case 'leave-out-foreign-keys':
      return { form: { ...form, dropDanglingForeignKeys: true } };
    case 'include-dependencies':
      return { form: { ...form, withDeps: true } };
    case 'create-database':
      return { form, action: { kind: 'create-database', name: fix.name } };
    case 'use-other-tool':
      return { form, action: { kind: 'use-other-tool', major: fix.major } };
  }
}

/** The button text of a fix: what it does, in a few words. */
export function fixLabel(fix: ProposedFix): string {
  switch (fix.kind) {
    case 'no-owner':
      return 'Skip ownership (--no-owner)';
    case 'no-privileges':
      return 'Skip privileges (--no-privileges)';
    case 'create-roles':
      return fix.roles.length === 1 ? `Create role ${fix.roles[0]}` : `Create ${fix.roles.length} roles`;
    case 'clean':
      return 'Drop and re-create them (--clean)';
    case 'leave-out-foreign-keys':
      return 'Leave those foreign keys out';
    case 'include-dependencies':
      return 'Include what the selection needs';
    case 'create-database':
      return `Create database ${fix.name}`;
    case 'use-other-tool':
      return `Use pg_restore ${fix.major}+`;
  }
}

/** Whether the form already has what the fix would set (its button is then shown as applied). */
export function fixApplied(form: RestoreForm, fix: ProposedFix): boolean {
  switch (fix.kind) {
    case 'no-owner':
      return form.noOwner;
    case 'no-privileges':
      return form.noPrivileges;
    case 'create-roles':
      return fix.roles.every((r) => form.createRoles.includes(r));
    case 'clean':
      return form.clean;
    case 'leave-out-foreign-keys':
      return form.dropDanglingForeignKeys;
    case 'include-dependencies':
      return form.withDeps;
    default:
      return false;
  }
}

/**
 * Why the form cannot be run as it is, one line each (empty: it can). About the form alone;
 * what the target says is the pre-flight's.
 */
export function formProblems(form: RestoreForm, archive: Archive): string[] {
  const problems: string[] = [];
  if (archive.format === 'plain') {
    // psql runs the script's sections: no parallel jobs, and a plain dump holds no DROP statements.
    const obstacle = plainRestoreObstacle(runOptions(form));
    if (obstacle) problems.push(obstacle);
    return problems;
  }
  if (!form.atomic) {
    if (!Number.isInteger(form.jobs) || form.jobs < 2) problems.push('parallel jobs: give a whole number of at least 2, or restore in one transaction');
    if (archive.format === 'tar') problems.push('pg_restore cannot restore a tar archive in parallel: restore in one transaction');
  }
  if (form.clean && form.mode === 'data-only') problems.push('--clean cannot be combined with a data-only restore: leave --clean out, or restore definitions too');
  if (form.disableTriggers && form.mode !== 'data-only') problems.push('disabling triggers only applies to a data-only restore');
  return problems;
}

/** What `--clean` will drop, as the pre-flight found it (`TABLE sales.order`, …); empty without --clean. */
export function cleanDrops(report: PreflightReport | undefined, form: RestoreForm): string[] {
  if (!form.clean || !report) return [];
  const drops = new Set<string>();
  for (const f of report.findings) for (const fix of f.fixes) if (fix.kind === 'clean') fix.drops.forEach((d) => drops.add(d));
  return [...drops];
}

export interface Confirmation {
  /** The question, naming what, from where, and host, port and database. */
  message: string;
  /** What else the user must know before answering, one line each. */
  detail: string[];
  /** The button that says yes. */
  button: string;
}

/** The words of the last question before a restore changes anything. */
export function confirmation(args: { dumpLabel: string; where: string; plan: RestorePlan; form: RestoreForm; report?: PreflightReport }): Confirmation {
  const { plan, form, report } = args;
  const entries = plan.entries.length;
  const detail: string[] = [];
  if (report) {
    const t = report.target;
    detail.push(`Connected as ${t.user}${t.isSuperuser ? ' (superuser)' : ''} to PostgreSQL ${t.serverVersion}; the database ${report.databaseEmpty ? 'is empty' : 'already holds objects'}.`);
  }
  detail.push(
    form.atomic
      ? 'In one transaction: if anything fails, or you cancel, nothing is changed.'
      : `With ${form.jobs} parallel jobs, not in one transaction: a failure or a cancel can leave part of it restored.`,
  );
  const drops = cleanDrops(report, form);
  if (form.clean) {
    detail.push(
      drops.length > 0
        ? `First DROPS ${drops.length} existing object${drops.length === 1 ? '' : 's'} (what they hold now is lost): ${drops.slice(0, 20).join(', ')}${drops.length > 20 ? ` and ${drops.length - 20} more` : ''}.`
        : 'With --clean: the pre-flight found none of the planned objects in the target, so nothing is dropped.',
    );
  }
  if (form.createRoles.length > 0) detail.push(`Creates the role${form.createRoles.length === 1 ? '' : 's'} ${form.createRoles.join(', ')} first (NOLOGIN; dropped again if the restore fails).`);
  const blocking = report?.findings.filter((f) => f.severity === 'blocking') ?? [];
  if (blocking.length > 0) detail.push(`The pre-flight check found ${blocking.length} blocking problem${blocking.length === 1 ? '' : 's'}: the restore is likely to fail.`);
  return {
    message: `Restore ${entries} entr${entries === 1 ? 'y' : 'ies'} of ${args.dumpLabel} into ${args.where}?`,
    detail,
    button: form.clean && drops.length > 0 ? 'Drop and Restore' : 'Restore',
  };
}
