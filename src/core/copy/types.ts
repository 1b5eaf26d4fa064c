/**
 * What a copy (one database, or a selection of it, from one server to another, with no file in
 * between) is asked and what it answers.
 */
import type { Selection } from '../plan/selection';
import type { RestoreError } from '../restore/errorParser';
import type { ProgressSnapshot } from '../restore/verboseParser';
import type { PostRestoreReport } from '../target/postRestore';

export interface CopyOptions {
  /** What to copy; a whole database when it names nothing (`sections` of all three). */
  selection: Selection;
  noOwner?: boolean;
  noPrivileges?: boolean;
  /** `--clean --if-exists` on the target (pgcopydb: `--drop-if-exists`). */
  clean?: boolean;
  /** >1: a whole database copied by pgcopydb with this many table and index jobs. Default 1: pg_dump | pg_restore. */
  jobs?: number;
  /** Checks after the copy; each default true. */
  analyze?: boolean;
  fixSequences?: boolean;
  verifyRowCounts?: boolean;
}

export interface CopyHooks {
  signal?: AbortSignal;
  onEvent?: (event: CopyEvent) => void;
  /** A configured pg_dump / pg_restore (the executable or its directory). */
  pgDumpPath?: string;
  pgRestorePath?: string;
  /** Where to look for the tools besides the configured paths (tests: PATH only). */
  standardLocations?: boolean;
}

export type CopyEngine = 'pipe' | 'pgcopydb';

/** pgcopydb as found on PATH. */
export interface Copier {
  path: string;
  version: string;
  /** The newest PostgreSQL major it says it works with (`compatible with Postgres … and 15`); undefined when it does not say. */
  newestMajor?: number;
}

export type CopyEvent =
  | { kind: 'stage'; stage: 'copy' | 'checks' }
  /** `streamedBytes`: what has gone from pg_dump to pg_restore (pgcopydb: unknown, 0). */
  | { kind: 'progress'; snapshot: ProgressSnapshot; streamedBytes: number }
  /** A line a client program printed (for the log). */
  | { kind: 'output'; program: string; line: string }
  /** An error of the restoring side, tied to its object. */
  | { kind: 'error'; error: RestoreError }
  /** An error of pg_dump (the source side). */
  | { kind: 'source-error'; message: string };

export interface CopyResult {
  ok: boolean;
  cancelled: boolean;
  engine: CopyEngine;
  /** The command line(s) that ran (never a password). */
  command: string;
  errors: RestoreError[];
  sourceErrors: string[];
  /** One line each: what went wrong besides the programs' own errors. */
  problems: string[];
  /** One line each: planned entries left out (what the target has already), and the like. */
  notes: string[];
  postRestore?: PostRestoreReport;
  /** Entries copied (the plan without what the target had already). */
  entries: number;
  /** Bytes streamed from pg_dump to pg_restore. */
  bytes: number;
  durationMs: number;
  progress: ProgressSnapshot;
  /** The programs that ran, as `pg_dump 15.18 at /usr/bin/pg_dump`. */
  tools: string[];
  /** Roles created on the target for the copy, kept since it succeeded. */
  createdRoles: string[];
}
