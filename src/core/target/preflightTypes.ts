/**
 * What the pre-flight check of a restore target reports: findings (blocking, warning, info),
 * each with the fixes that would help, and the facts behind them. See preflight.ts.
 */
import type { DatabaseContents } from './targetFacts';

export type FindingSeverity = 'blocking' | 'warning' | 'info';

export type ProposedFix =
  | { kind: 'no-owner' }
  | { kind: 'no-privileges' }
  | { kind: 'create-roles'; roles: string[]; sql: string[] }
  /** The existing objects `--clean --if-exists` would drop, as `TABLE sales.order`. */
  | { kind: 'clean'; drops: string[] }
  | { kind: 'leave-out-foreign-keys'; dumpIds: number[] }
  /** Plan again with withDeps. */
  | { kind: 'include-dependencies' }
  | { kind: 'create-database'; name: string }
  /** Run a client program of this major version (the finding's message says which minor). */
  | { kind: 'use-other-tool'; major: number };

export interface Finding {
  severity: FindingSeverity;
  /** Stable identifier of the kind of finding, e.g. `role-missing`, `conflict`. */
  code: string;
  /** One line: what is wrong and what to do. */
  message: string;
  fixes: ProposedFix[];
  /** The planned (or needed) entries the finding is about. */
  dumpIds?: number[];
}

export interface PreflightOptions {
  /** pg_restore --no-owner. */
  noOwner?: boolean;
  /** pg_restore --no-privileges (--no-acl). */
  noPrivileges?: boolean;
  /** pg_restore --clean --if-exists. */
  clean?: boolean;
  /** Roles that will be created before the restore. */
  createRoles?: string[];
  /** pg_restore --role: objects are created as this role. */
  role?: string;
  /** The pg_restore that will run, when known: checked against the archive's format version. */
  pgRestoreVersion?: { major: number; minor: number };
  /**
   * A plain dump's restore: the psql that will run (null: none found) and whether the dump uses
   * `\restrict`, which that psql must read.
   */
  psql?: { version: { major: number; minor: number } | null; dumpUsesRestrict: boolean };
  /**
   * A plain dump's restore: the run-time parameters its setting statements set (the preamble
   * and the settings before the planned sections; plain/slices.ts settingParameters). The
   * target is asked which it lacks (PreflightReport.missingParameters).
   */
  settingParameters?: readonly string[];
}

export interface TargetObjectRef {
  dumpId: number;
  desc: string;
  /** As in messages: `sales.order`, `order_pkey on sales.order`, `sales.f(integer)`. */
  name: string;
}

export interface ExtensionStatus {
  name: string;
  available: boolean;
  installed: boolean;
  availableVersion?: string;
  installedVersion?: string;
  /** Planned (true) or only needed by planned entries (false). */
  planned: boolean;
}

/**
 * What the target has already and the restore uses as it is: a schema (an empty database has
 * `public`; a dump from pg_dump 10 or older creates it), a comment on an extension the target
 * has installed. These entries are left out of the restore; a schema's owner is set as the dump
 * has it, unless --no-owner.
 */
export interface UseExisting {
  dumpIds: number[];
  schemaOwners: { schema: string; owner: string }[];
  /** One line per entry left out, for the result. */
  notes: string[];
}

export interface PreflightReport {
  target: {
    where: string;
    serverVersion: string;
    serverMajor: number;
    database: string;
    user: string;
    isSuperuser: boolean;
    /** CREATE on the database (when it does not exist: whether the user may create databases). */
    canCreate: boolean;
    /** The role objects are created as (options.role), when not the user. */
    role?: string;
    /** The database named by the connection does not exist (the other checks ran against the server only). */
    databaseMissing: boolean;
  };
  /** No user objects (outside the system schemas, no extensions beyond plpgsql; schema public may exist). */
  databaseEmpty: boolean;
  /** What the database holds, counted (all zero when it does not exist). */
  contents: DatabaseContents;
  /** Owners and roles named by planned entries that do not exist in the target, whether or not an option covers them. */
  missingRoles: string[];
  /** Planned objects that already exist. */
  conflicts: TargetObjectRef[];
  /** What must exist and does not: a data-only plan's tables, what dangling foreign keys reference. */
  missingRequired: TargetObjectRef[];
  /** What the plan needs but does not restore (withDeps off) and the target lacks. */
  missingNeeds: TargetObjectRef[];
  extensions: ExtensionStatus[];
  /** Planned entries for what the target has already: left out of the restore. */
  useExisting: UseExisting;
  /**
   * Of options.settingParameters, those the target server does not have (e.g.
   * `transaction_timeout`, new in PostgreSQL 17): a plain restore leaves their `SET` out.
   */
  missingParameters: string[];
  findings: Finding[];
  /** Any finding is blocking. */
  blocking: boolean;
}
