import type { RestoreMode } from '../plan/mode';

/**
 * The choices a user makes before a restore, as one plain object the restore form edits
 * (restoreForm.ts says what follows from them). Imports nothing but a type: the restore panel's
 * protocol, which the webview compiles too, uses it.
 */
export interface RestoreForm {
  mode: RestoreMode;
  /** Plan what the selection needs too (schemas, types, functions, referenced tables). */
  withDeps: boolean;
  /** Leave out foreign keys to tables the plan does not restore. */
  dropDanglingForeignKeys: boolean;
  noOwner: boolean;
  noPrivileges: boolean;
  /** `--clean --if-exists`. */
  clean: boolean;
  /** One transaction; false: `jobs` parallel jobs. */
  atomic: boolean;
  jobs: number;
  disableTriggers: boolean;
  /** Roles to create (NOLOGIN) before restoring; dropped again if the restore fails. */
  createRoles: string[];
  analyze: boolean;
  fixSequences: boolean;
  verifyRowCounts: boolean;
}

