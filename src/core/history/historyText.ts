import { formatBytes } from '../units';
import type { JobKind, JobOutcome, JobRecord } from './jobHistory';

/**
 * How the History view draws one job: label, description, tooltip, icon and the contextValue
 * tokens package.json's menus match (`job`, `kind=restore`, `outcome=failed`, `hasLog`,
 * `hasReport`, `hasFile`, `dumpFile`). The view only puts this on a TreeItem.
 */
export interface HistoryItemText {
  label: string;
  description: string;
  tooltip: string;
  /** A codicon id, and the theme colour to draw it in. */
  icon: { id: string; color: string };
  contextValue: string;
}

const KIND_WORD: Record<JobKind, string> = { dump: 'Dump', restore: 'Restore', copy: 'Copy', verify: 'Verify' };
const OUTCOME_WORD: Record<JobOutcome, string> = { succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled' };
const OUTCOME_ICON: Record<JobOutcome, { id: string; color: string }> = {
  succeeded: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  cancelled: { id: 'circle-slash', color: 'disabledForeground' },
};

/** What a job's file is like on disk now: there, gone, or not asked (no file). */
export type FileState = 'present' | 'missing' | undefined;

/**
 * The item for `job` at time `now`. `file` says whether the job's dump file is still there: a
 * missing one is said in the description, and the actions on the file (Open Dump, Verify Again)
 * are not offered.
 */
export function historyItemText(job: JobRecord, now: Date, file: FileState): HistoryItemText {
  const when = formatWhen(new Date(job.startedAt), now);
  const description = [when, OUTCOME_WORD[job.outcome] ?? job.outcome, file === 'missing' ? 'file no longer there' : undefined].filter(Boolean).join(' · ');
  const tokens = ['job', `kind=${job.kind}`, `outcome=${job.outcome}`];
  if (job.logPath) tokens.push('hasLog');
  if (job.reportPath) tokens.push('hasReport');
  if (job.file && file === 'present') tokens.push('hasFile');
  return {
    label: jobLabel(job),
    description,
    tooltip: jobTooltip(job, file),
    icon: OUTCOME_ICON[job.outcome] ?? { id: 'question', color: 'foreground' },
    contextValue: tokens.join(' '),
  };
}

/** `Restore rich.dump`, `Dump shop-20261207-0954.dump`, `Copy shop → shop_copy`. */
export function jobLabel(job: JobRecord): string {
  const kind = KIND_WORD[job.kind] ?? job.kind;
  if (job.kind === 'copy' || !job.file) {
    const from = job.source ? databaseOf(job.source) : undefined;
    const to = job.target ? databaseOf(job.target) : undefined;
    if (from && to) return `${kind} ${from} → ${to}`;
    if (from ?? to) return `${kind} ${from ?? to}`;
    return kind;
  }
  return `${kind} ${baseName(job.file)}`;
}

/** Every field of the job, one a line, as the tooltip shows them. */
export function jobTooltip(job: JobRecord, file: FileState = undefined): string {
  const started = new Date(job.startedAt);
  const lines = [
    `${KIND_WORD[job.kind] ?? job.kind}: ${OUTCOME_WORD[job.outcome] ?? job.outcome}`,
    `When: ${formatLocalTime(started)}`,
    job.source ? `Source: ${job.source}` : undefined,
    job.target ? `Target: ${job.target}` : undefined,
    job.file ? `File: ${job.file}${file === 'missing' ? ' (no longer there)' : ''}` : undefined,
    job.sizeBytes !== undefined ? `Size: ${formatBytes(job.sizeBytes)}` : undefined,
    `Duration: ${formatDuration(job.durationMs)}`,
    job.summary ? `Result: ${job.summary}` : undefined,
    job.logPath ? `Log: ${job.logPath}` : undefined,
    job.reportPath ? `Report: ${job.reportPath}` : undefined,
  ];
  return lines.filter((l): l is string => l !== undefined).join('\n');
}

/** `just now`, `12 min ago`, `3 h ago` within a day; the local date and time beyond. */
export function formatWhen(then: Date, now: Date): string {
  const ms = now.getTime() - then.getTime();
  if (Number.isNaN(ms)) return 'at an unknown time';
  if (ms < 0) return formatLocalTime(then);
  const min = Math.floor(ms / 60_000);
  if (min < 1) return 'just now';
  if (min < 60) return `${min} min ago`;
  const h = Math.floor(min / 60);
  if (h < 24) return `${h} h ago`;
  return formatLocalTime(then);
}

/** `2026-12-07 09:54` in local time. */
export function formatLocalTime(d: Date): string {
  if (Number.isNaN(d.getTime())) return 'unknown';
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** `0.4 s`, `12.3 s`, `4 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return 'unknown';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The database of `host:port/db` (or `host:port/db as user`); anything else as it is. */
function databaseOf(where: string): string {
  const m = /\/([^/]+?)(?: as .*)?$/.exec(where);
  return m?.[1] ?? where;
}

/** The last part of a path, whichever separator it was written with. */
function baseName(file: string): string {
  return file.split(/[\\/]/).filter(Boolean).pop() ?? file;
}
