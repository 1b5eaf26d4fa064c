/** What a restore drill is asked and what it answers (verify.ts runs it, report.ts writes it). */
import type { ResolvedConnection } from '../connections/resolve';
import type { RestoreEvent } from '../restore/types';
import type { KindCount } from './objectCounts';

export interface VerifyOptions {
  /** A server to verify on (`--server`): the scratch database is created there and dropped afterwards. Default: a throwaway local server. */
  server?: ResolvedConnection;
  /** pg_restore --jobs (custom and directory archives). */
  jobs?: number;
  /** Leave the scratch database on the server (`--server` only). */
  keep?: boolean;
  /** A configured folder of server binaries (initdb, pg_ctl, postgres) for the throwaway server. */
  serverBinDir?: string;
  /** A configured pg_restore / psql. */
  toolPath?: string;
  psqlPath?: string;
  /** false: tools and server binaries from the configured paths and PATH only. */
  standardLocations?: boolean;
  /** Where the throwaway server's private folder goes; default the system's temporary folder. */
  tmpDir?: string;
  signal?: AbortSignal;
  onEvent?: (event: VerifyEvent) => void;
}

export type PhaseName = 'read' | 'server' | 'roles' | 'create database' | 'restore' | 'analyze' | 'sequences' | 'rows' | 'objects' | 'clean up';

export type VerifyEvent =
  | { kind: 'phase'; phase: PhaseName; database?: string }
  | { kind: 'note'; line: string }
  | { kind: 'restore'; database: string; event: RestoreEvent };

export interface PhaseTime {
  phase: PhaseName;
  /** The dump's database the phase was about (pg_dumpall scripts have several). */
  database?: string;
  ms: number;
}

/** One failed check, tied to the dump entry it is about when there is one. */
export interface VerifyFailure {
  check: 'read' | 'restore' | 'rows' | 'objects' | 'sequences' | 'analyze' | 'server';
  dumpId?: number;
  /** `TABLE DATA public.orders` */
  entry?: string;
  message: string;
  /** The dump's database (pg_dumpall scripts). */
  database?: string;
}

export interface DatabaseVerification {
  /** The dump's database (its name in the dump; the file name when the dump does not say). */
  name: string;
  /** The scratch database it was restored into. */
  scratch: string;
  entries: number;
  /** Entries pg_restore / psql reported an error for. */
  failedEntries: number;
  restoreErrors: number;
  tables: { table: string; dumpRows: number; databaseRows: number; matches: boolean }[];
  objects: KindCount[];
  sequences: { sequence: string; column: string; behind: boolean; lastValue: number | null; columnMax: number | null }[];
  analyzed: number;
  restoreCommand: string;
}

export interface VerifyReport {
  file: string;
  format: string;
  /** `restores cleanly`, or what is wrong in a few words. */
  verdict: string;
  ok: boolean;
  cancelled: boolean;
  startedAt: string;
  durationMs: number;
  dump: { serverVersion: string | null; pgDumpVersion: string | null; entries: number };
  server: { kind: 'throwaway' | 'given'; where: string; version: string; binDir?: string };
  /** `pg_restore 15.14 at /usr/bin/pg_restore`, `psql …`. */
  tools: string[];
  /** How roles the dump names but the server lacks were handled. */
  roles: { handling: 'created' | 'no-owner'; created: string[]; note: string };
  databases: DatabaseVerification[];
  phases: PhaseTime[];
  failures: VerifyFailure[];
  notes: string[];
  /** Scratch databases left on the server (--keep). */
  kept: string[];
}
