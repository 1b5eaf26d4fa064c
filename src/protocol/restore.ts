/**
 * The restore panel's messages (webview/restore ⇄ src/restore/restorePanel.ts). The host keeps
 * the whole state and sends it after every change (`state`); the webview renders it and asks for
 * changes with requests. Nothing here imports `vscode`.
 */
import type { RestoreForm } from '../core/restore/restoreFormFields';

export type { RestoreForm };

export interface PlannedRow {
  dumpId: number;
  desc: string;
  /** `schema.name` or the tag alone. */
  name: string;
  /** Why it is planned, one line. */
  reason: string;
}

export interface PlanView {
  /** Objects the user picked. */
  picked: number;
  /** Entries the restore runs. */
  entries: number;
  /** Planned entries by kind, most first. */
  byKind: { desc: string; count: number }[];
  /** The first planned entries (at most PLAN_ROWS), in archive order. */
  rows: PlannedRow[];
  /** Planned entries not in `rows`. */
  moreRows: number;
  /** What may fail, one line each (needs outside the plan, dangling foreign keys). */
  warnings: string[];
  /** Bytes of stored data the plan restores. */
  dataBytes: number;
}

export const PLAN_ROWS = 500;

export interface FixView {
  label: string;
  /** What it does, in a sentence (the button's tooltip). */
  description: string;
  /** The form already does what it proposes. */
  applied: boolean;
}

export interface FindingView {
  /** As the pre-flight's FindingSeverity. */
  severity: 'blocking' | 'warning' | 'info';
  message: string;
  fixes: FixView[];
  /** Entries it is about: the first few, to reveal in the tree. */
  dumpIds: number[];
}

export interface PreflightView {
  status: 'idle' | 'checking' | 'done' | 'failed';
  /** One line, when the check could not run (the target cannot be reached…). */
  error?: string;
  serverVersion?: string;
  user?: string;
  isSuperuser?: boolean;
  databaseEmpty?: boolean;
  databaseMissing?: boolean;
  findings: FindingView[];
  blocking: boolean;
}

export interface ProgressView {
  stage: 'restore' | 'post-restore';
  started: number;
  finished: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
  /** What runs now, e.g. `TABLE DATA sales.order`. */
  current: string;
  /** The COPYs running in the target, how far each is (`sales."order": 45 MB, 1,234,567 rows so far`). */
  copying?: string[];
}

export interface RowCountView {
  table: string;
  archiveRows: number;
  databaseRows: number;
  expectedRows: number;
  matches: boolean;
  missing: boolean;
  /** How the database's rows were learnt: `count(*)`, or the server's counts of the rows the restore inserted. */
  countedBy: 'count' | 'statistics';
}

export interface SequenceView {
  sequence: string;
  column: string;
  before: string;
  after: string;
  changed: boolean;
}

export interface ResultView {
  outcome: 'restored' | 'restored-with-differences' | 'failed' | 'cancelled';
  /** One line saying what happened. */
  headline: string;
  /** For a failure or cancel: what that left in the target. */
  targetState?: string;
  durationMs: number;
  /** `pg_restore 15.18 at /usr/bin/pg_restore` */
  tool: string;
  errors: { dumpId?: number; where: string; message: string }[];
  problems: string[];
  /** Planned entries left out, one line each, with why (what the target has already, what the options leave out), and a plain dump's settings of parameters the target lacks. */
  notes: string[];
  post?: {
    analyzed: string[];
    sequences: SequenceView[];
    rowCounts: RowCountView[];
    notes: string[];
  };
}

export interface RestoreViewState {
  dump: { label: string; format: string; entries: number };
  /** Where the restore goes; null until a target is chosen. */
  target: { name: string; where: string; database: string } | null;
  form: RestoreForm;
  /** The archive's format allows parallel jobs. */
  parallelPossible: boolean;
  /** The dump holds DROP statements for --clean (archives do; plain dumps do not). */
  cleanPossible: boolean;
  /** Why the form cannot be run as it is. */
  formProblems: string[];
  plan: PlanView;
  preflight: PreflightView;
  phase: 'setup' | 'confirming' | 'restoring' | 'done';
  progress?: ProgressView;
  result?: ResultView;
}

export interface RestoreProtocol {
  requests: {
    /** The user changed the form: plan and check again. */
    setForm: { params: RestoreForm; result: void };
    /** Run the pre-flight check again. */
    check: { params: null; result: void };
    /** Apply fix `fix` of finding `finding` (indexes into preflight.findings). */
    applyFix: { params: { finding: number; fix: number }; result: void };
    changeTarget: { params: null; result: void };
    /** Ask for confirmation, then restore. */
    restore: { params: null; result: void };
    cancel: { params: null; result: void };
    /** Show an entry in the Dumps tree. */
    reveal: { params: { dumpId: number }; result: void };
    openLog: { params: null; result: void };
    /** Open the pg_restore -L list of the plan (or of the last run). */
    showList: { params: null; result: void };
    /** Back to the form, with the same target and choices. */
    restoreAgain: { params: null; result: void };
  };
  fromWebview: Record<string, never>;
  toWebview: {
    state: RestoreViewState;
  };
}
