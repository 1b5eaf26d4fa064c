/**
 * The dump panel's messages (webview/dump ⇄ src/dump/dumpPanel.ts). The host keeps the whole
 * state and sends it after every change (`state`); the webview renders it and asks for changes
 * with requests. Nothing here imports `vscode`.
 */

export type DumpFormatChoice = 'custom' | 'directory' | 'tar' | 'plain';

/** The options the user sets, as the panel shows them. */
export interface DumpForm {
  format: DumpFormatChoice;
  /** `METHOD[:LEVEL]`, or '' for pg_dump's default. */
  compress: string;
  /** Directory format only. */
  jobs: number;
  content: 'all' | 'schema-only' | 'data-only';
  noOwner: boolean;
  noPrivileges: boolean;
  /** pg_dump 18: '' (its default), 'with', 'without', 'only'. */
  statistics: '' | 'with' | 'without' | 'only';
  /** Patterns whose rows are left out (`--exclude-table-data`), comma-separated. */
  excludeTableData: string;
}

export interface TableRow {
  /** `schema.table`: what picks name. */
  key: string;
  name: string;
  kind: string;
  bytes: number;
  partitionOf?: string;
  picked: boolean;
}

export interface SchemaRow {
  name: string;
  bytes: number;
  /** 'some': some of its tables. */
  picked: 'all' | 'some' | 'none';
  tables: TableRow[];
}

export interface DumpPlanFacts {
  /** `pg_dump 15.18 at /usr/bin/pg_dump` */
  tool: string;
  /** Why that one. */
  toolWhy: string;
  /** The command as it will run (no password on it). */
  command: string;
  compressionMethods: string[];
  tables: number;
  expectedBytes: number;
}

export interface DumpProgressView {
  tablesDone: number;
  tablesTotal: number;
  current: string;
  bytesWritten: number;
  bytesExpected: number;
}

export interface DumpResultView {
  outcome: 'dumped' | 'failed' | 'cancelled';
  headline: string;
  summary: string;
  path: string;
  errors: string[];
}

export interface DumpViewState {
  source: { name: string; where: string; serverVersion: string; database: string };
  form: DumpForm;
  /** Where the dump goes: a file, or a folder for the directory format. */
  path: string;
  schemas: SchemaRow[];
  /** Everything is picked: the whole database (functions, types and all) is dumped. */
  everything: boolean;
  /** The plan for the form as it is; `planError` when pg_dump cannot do it (one line, what to do). */
  plan?: DumpPlanFacts;
  planError?: string;
  planning: boolean;
  phase: 'setup' | 'dumping' | 'done';
  progress?: DumpProgressView;
  result?: DumpResultView;
}

export type DumpProtocol = {
  requests: {
    setForm: { params: DumpForm; result: void };
    /** Picks (true) or unpicks a table (`schema.table`), a schema (`schema`), or everything (null). */
    pick: { params: { key: string | null; schema?: boolean; picked: boolean }; result: void };
    choosePath: { params: null; result: void };
    dump: { params: null; result: void };
    cancel: { params: null; result: void };
    openLog: { params: null; result: void };
    /** Copy Selected To…: the ticked schemas and tables copied into another database (pg_dump | pg_restore). */
    copyTo: { params: null; result: void };
    again: { params: null; result: void };
  };
  fromWebview: Record<string, never>;
  toWebview: { state: DumpViewState };
};
