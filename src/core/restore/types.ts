/**
 * What a restore is asked and what it answers, whichever program runs it (pg_restore for
 * archives, psql for plain dumps): options, events, hooks, the result.
 */
import type { RowCounterProgram } from '../data/rowCounterProcess';
import type { RestoreError } from './errorParser';
import type { PostRestoreReport } from '../target/postRestore';
import type { UseExisting } from '../target/preflightTypes';
import type { ToolCandidate } from '../tools/findTools';
import type { ProgressSnapshot } from './verboseParser';

export interface RestoreRunOptions {
  /** `--no-owner`: objects belong to the connecting user. */
  noOwner?: boolean;
  /** `--no-privileges`: no GRANT / REVOKE. */
  noPrivileges?: boolean;
  /** `--clean --if-exists`: drop the planned objects before creating them. */
  clean?: boolean;
  /** `--jobs N`: parallel restore (custom and directory archives); not one transaction. */
  jobs?: number;
  /** `--single-transaction`; default true unless `jobs > 1`. */
  singleTransaction?: boolean;
  /** `--exit-on-error`; default true. */
  exitOnError?: boolean;
  /** Roles to create (NOLOGIN) before the restore; dropped again when the restore does not succeed. */
  createRoles?: readonly string[];
  /** What the target has already (the pre-flight's report.useExisting): left out of the plan, used as it is. */
  useExisting?: UseExisting;
  /** Plain dumps: parameters the target lacks (report.missingParameters); their `SET` statements are left out of the stream. */
  missingParameters?: readonly string[];
  disableTriggers?: boolean;
  /** `--role`: SET ROLE after connecting. */
  role?: string;
  noComments?: boolean;
  noTablespaces?: boolean;
  /**
   * `--create`: create the dump's database and restore into it; the connection names the
   * database to connect to first (e.g. `postgres`). The DATABASE entries join the plan.
   */
  create?: boolean;
  /** `--section`: restore only these sections of the plan. */
  sections?: readonly ('pre-data' | 'data' | 'post-data')[];
  /**
   * COPY … FREEZE for the tables the restore creates in its one transaction (copyFreeze.ts): their
   * rows are written frozen and all-visible, so nothing rewrites their pages after the restore.
   * As COPY's documentation warns, sessions whose snapshot is older than the restore's commit see
   * those rows too. Default true; applied where pg_restore is fed the archive (archiveFeed.ts).
   */
  freeze?: boolean;
  /** Post-restore steps; each default true. */
  analyze?: boolean;
  fixSequences?: boolean;
  verifyRowCounts?: boolean;
}

export type RestoreStage = 'restore' | 'post-restore';

export type RestoreEvent =
  | { kind: 'stage'; stage: RestoreStage }
  | { kind: 'progress'; snapshot: ProgressSnapshot }
  /** A line pg_restore printed (for the log). */
  | { kind: 'output'; line: string }
  | { kind: 'error'; error: RestoreError }
  /** A directory dump packed in a tar or zip file: what is copied out for pg_restore, and where (removed afterwards). */
  | { kind: 'unpack'; dir: string; files: number; bytes: number };

export interface RestoreHooks {
  signal?: AbortSignal;
  onEvent?: (event: RestoreEvent) => void;
  /** A configured pg_restore (the executable or its directory). */
  toolPath?: string;
  /** A configured psql (plain dumps). */
  psqlPath?: string;
  /** Where to look for pg_restore besides the configured path (tests: PATH only). */
  standardLocations?: boolean;
  /**
   * Progress inside a COPY from how far the restore program has read its input only, as where
   * the target cannot say (before PostgreSQL 14, a backend the role may not see): tests of that path.
   */
  copyProgressFrom?: 'input';
  /**
   * false: pg_restore reads a custom archive from its file, and the rows are counted beside it
   * (tests of that path); by default, with rows to count, it is fed the archive (archiveFeed.ts).
   */
  feedArchive?: false;
  /**
   * The program that counts the archive's rows at the lowest CPU priority while pg_restore runs
   * (dist/rowCounter.js); without it they are counted in this process.
   */
  rowCounter?: RowCounterProgram;
  /** The pg_restore to use, searched for already (findPgRestoreFor of the archive's version); else searched for here. */
  pgRestore?: Promise<ToolCandidate>;
}

export interface RestoreResult {
  ok: boolean;
  cancelled: boolean;
  /** The pg_restore command line (never holds a password). */
  command: string;
  tool: ToolCandidate;
  exitCode: number | null;
  errors: RestoreError[];
  /** N of pg_restore's "errors ignored on restore: N" (without --exit-on-error). */
  ignoredErrors: number | null;
  /** Roles created before the restore (and kept, since it succeeded). */
  createdRoles: string[];
  postRestore?: PostRestoreReport;
  /** One line each: what went wrong outside pg_restore's own errors (e.g. post-restore). */
  problems: string[];
  durationMs: number;
  /** The `-L` list pg_restore was given (plain dumps: the plan in that form, for the record). */
  restoreList: string;
  /** How many tables were loaded with COPY … FREEZE (copyFreeze.ts); absent for none. */
  frozen?: number;
  /** The target's refusal of COPY … FREEZE, when the restore was run again without it. */
  freezeRefused?: string;
  /** One line each: planned entries the options left out (plain dumps: ACLs with --no-privileges, …). */
  notes: string[];
  progress: ProgressSnapshot;
}
