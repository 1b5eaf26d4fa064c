/**
 * What making a dump is asked and what it answers (pg_dump of one database; pg_dumpall's globals;
 * a cluster folder), for the CLI and the dump panel alike. The runners live beside this file.
 */
import type { ToolCandidate } from '../tools/findTools';

export type DumpFormat = 'custom' | 'directory' | 'tar' | 'plain';

/** What pg_dump is asked to write: its options, in the user's terms. */
export interface DumpOptions {
  /** Default custom. */
  format?: DumpFormat;
  /**
   * `METHOD[:LEVEL]` as pg_dump 16+ takes it (`gzip`, `gzip:9`, `lz4`, `zstd:3`, `none`), or a
   * bare level `0`–`9` (gzip, any pg_dump); undefined: pg_dump's default for the format.
   */
  compress?: string;
  /** Parallel jobs: directory format only. */
  jobs?: number;
  /** pg_dump's patterns, as `-n` / `-N` / `-t` / `-T` / `--exclude-table-data` take them. */
  schemas?: string[];
  excludeSchemas?: string[];
  tables?: string[];
  excludeTables?: string[];
  excludeTableData?: string[];
  /** Default: definitions and data. */
  content?: 'all' | 'schema-only' | 'data-only';
  noOwner?: boolean;
  noPrivileges?: boolean;
  /**
   * pg_dump 18's statistics (`--with-statistics`, `--no-statistics`, `--statistics-only`);
   * undefined: the tool's default. Refused for older tools, which have none.
   */
  statistics?: 'with' | 'without' | 'only';
}

/** Where a dump comes from and goes to. */
export interface DumpTarget {
  /** A file (custom, tar, plain) or a folder (directory) that must not exist yet unless `overwrite`. */
  path: string;
  /** Replace what is at `path` (only once the new dump is complete). */
  overwrite?: boolean;
}

/** The dump about to run: shown before it starts (the panel, the CLI's first lines). */
export interface DumpPlanView {
  /** `host:port/db` of the source. */
  where: string;
  serverVersion: string;
  /** The pg_dump that will run, and why that one (e.g. `the newest of major 15 or newer found`). */
  tool: ToolCandidate;
  toolWhy: string;
  /** The command line as it will run, password never on it (it goes in a temporary password file). */
  command: string;
  /** Compression methods this pg_dump can write (lz4 and zstd from 16). */
  compressionMethods: string[];
  /** Tables the options select, with `pg_total_relation_size`, for progress and the check afterwards. */
  tables: {
    schema: string;
    name: string;
    bytes: number;
    /** Its rows are dumped too (a TABLE DATA entry): not with schema-only, --exclude-table-data, or for a partitioned table. */
    data: boolean;
  }[];
  /** Sum of the sizes of the tables whose rows are dumped: what progress is measured against. */
  expectedBytes: number;
  /**
   * What the sizes are: `exact` pg_total_relation_size; `estimated` the catalog's page counts (a
   * table was locked by another session); `pending` not asked yet (planDump's `sizesLater`:
   * runDump asks while pg_dump runs, and progress has them from then on).
   */
  sizes?: 'exact' | 'estimated' | 'pending';
  /** The file or folder the dump will be, when a target was given (a compressed plain dump gets `.gz`, `.lz4` or `.zst`). */
  outputPath?: string;
}

export interface DumpProgress {
  /** Tables whose data pg_dump has dumped (from `--verbose`), and how many the dump holds. */
  tablesDone: number;
  tablesTotal: number;
  /** `schema.table` being dumped now, or what pg_dump says it does. */
  current: string;
  /** The output's size so far (the file, or the directory's files). */
  bytesWritten: number;
  bytesExpected: number;
}

export type DumpEvent =
  | { kind: 'progress'; progress: DumpProgress }
  /** A line pg_dump printed (for the log). */
  | { kind: 'output'; line: string }
  /** One of pg_dump's errors as one line, naming the object and why (also in DumpResult.errors). */
  | { kind: 'error'; message: string };

export interface DumpHooks {
  signal?: AbortSignal;
  onEvent?: (event: DumpEvent) => void;
  /** A configured pg_dump (the executable or its folder). */
  toolPath?: string;
  /** Where to look for pg_dump besides the configured path (tests: PATH only). */
  standardLocations?: boolean;
  /** The setting that names pg_dump (`pgDumpExplorer.pgDumpPath`), for the message when none is new enough. */
  toolSetting?: string;
}

/** What the new dump holds, read back natively. */
export interface DumpCheck {
  entries: number;
  tables: number;
  /** Selected tables that are not in its TOC (should never be). */
  missingTables: string[];
  /** Entries whose data is missing or cut short. */
  dataProblems: string[];
}

export interface DumpResult {
  /** pg_dump succeeded, the dump is at `path`, and the check found every selected table complete. */
  ok: boolean;
  cancelled: boolean;
  /**
   * Where the dump is (or would have been). A failed or cancelled pg_dump leaves nothing there;
   * when pg_dump succeeded but the check found problems, the dump stays and `ok` is false.
   */
  path: string;
  command: string;
  tool: ToolCandidate;
  /** One line each: what went wrong, naming the object and why (`permission denied for table sales.order: … needs SELECT`). */
  errors: string[];
  check?: DumpCheck;
  /** Bytes of the output, and of the tables it dumped (for the compression ratio). */
  bytes: number;
  sourceBytes: number;
  durationMs: number;
  /** One line: entries, tables, size, compression ratio, duration. */
  summary: string;
}
