/**
 * What the restore panel shows, made from the core's plan, pre-flight report and restore result.
 * No `vscode` here: plain mappings, unit-tested with the core.
 */
import type { Archive } from '../core/model/types';
import { describeReason, type RestorePlan } from '../core/plan/closure';
import { planWarnings } from '../core/plan/listFile';
import { fixApplied, fixLabel, type RestoreForm } from '../core/restore/restoreForm';
import { describeTool } from '../core/restore/restoreArchive';
import type { RestoreResult } from '../core/restore/types';
import { describeFix, formatRestoreError } from '../core/restore/reportText';
import type { ProgressSnapshot } from '../core/restore/verboseParser';
import { formatBytes, formatCount } from '../core/units';
import type { PreflightReport } from '../core/target/preflight';
import { PLAN_ROWS, type FindingView, type PlanView, type PreflightView, type ProgressView, type ResultView } from '../protocol/restore';

const qualified = (namespace: string | null, tag: string | null) => (namespace ? `${namespace}.${tag ?? ''}` : (tag ?? ''));

export function planView(archive: Archive, plan: RestorePlan, picked: number): PlanView {
  const byKind = new Map<string, number>();
  let dataBytes = 0;
  for (const { entry } of plan.entries) {
    byKind.set(entry.desc ?? '', (byKind.get(entry.desc ?? '') ?? 0) + 1);
    dataBytes += entry.dataSize ?? 0;
  }
  return {
    picked,
    entries: plan.entries.length,
    byKind: [...byKind].map(([desc, count]) => ({ desc, count })).sort((a, b) => b.count - a.count || a.desc.localeCompare(b.desc)),
    rows: plan.entries.slice(0, PLAN_ROWS).map(({ entry, reason }) => ({
      dumpId: entry.dumpId,
      desc: entry.desc ?? '',
      name: qualified(entry.namespace, entry.tag),
      reason: describeReason(archive, reason),
    })),
    moreRows: Math.max(0, plan.entries.length - PLAN_ROWS),
    warnings: planWarnings(plan),
    dataBytes,
  };
}

export function preflightView(report: PreflightReport, form: RestoreForm): PreflightView {
  const findings: FindingView[] = report.findings.map((f) => ({
    severity: f.severity,
    message: f.message,
    fixes: f.fixes.map((fix) => ({ label: fixLabel(fix), description: describeFix(fix), applied: fixApplied(form, fix) })),
    dumpIds: (f.dumpIds ?? []).slice(0, 20),
  }));
  return {
    status: 'done',
    serverVersion: report.target.serverVersion,
    user: report.target.user,
    isSuperuser: report.target.isSuperuser,
    databaseEmpty: report.databaseEmpty,
    databaseMissing: report.target.databaseMissing,
    findings,
    blocking: report.blocking,
  };
}

export function progressView(stage: ProgressView['stage'], s: ProgressSnapshot): ProgressView {
  return {
    stage,
    started: s.started,
    finished: s.finished,
    total: s.total,
    bytesDone: s.bytesDone,
    bytesTotal: s.bytesTotal,
    current: s.running.map((r) => `${r.desc} ${r.name}`).join(', '),
    copying: (s.copying ?? []).map((c) => (c.from === 'input' ? `${c.table}: ${formatBytes(c.bytes)}${c.of !== undefined ? ` of ${formatBytes(c.of)}` : ''} of its data read` : `${c.table}: ${formatBytes(c.bytes)}, ${formatCount(c.rows ?? 0)} rows so far`)),
  };
}

export function resultView(result: RestoreResult, atomic: boolean, where: string): ResultView {
  const unchanged = atomic ? 'Nothing was changed: it ran in one transaction, which was rolled back.' : 'The target may be partly restored: it ran with parallel jobs, not in one transaction.';
  const post = result.postRestore;
  const differences = result.problems.length > 0 || (post?.problems.length ?? 0) > 0;
  const outcome: ResultView['outcome'] = result.cancelled ? 'cancelled' : !result.ok ? 'failed' : differences ? 'restored-with-differences' : 'restored';
  const entries = result.progress.total;
  const headline =
    outcome === 'cancelled'
      ? `Cancelled the restore into ${where}.`
      : outcome === 'failed'
        ? `The restore into ${where} failed with ${result.errors.length || 'an'} error${result.errors.length === 1 ? '' : 's'}.`
        : `Restored ${entries} item${entries === 1 ? '' : 's'} into ${where} in ${(result.durationMs / 1000).toFixed(1)} s${differences ? ', but the checks afterwards found differences' : ''}.`;
  return {
    outcome,
    headline,
    ...(outcome === 'failed' || outcome === 'cancelled' ? { targetState: unchanged } : {}),
    durationMs: result.durationMs,
    tool: describeTool(result.tool),
    errors: result.errors.map((e) => ({
      ...(e.dumpId !== undefined ? { dumpId: e.dumpId } : {}),
      where: e.entry ? `${e.entry.desc} ${e.entry.tag}` : (e.stage?.toLowerCase() ?? 'pg_restore'),
      message: e.message,
    })),
    problems: [...result.problems, ...(post?.problems ?? [])],
    notes: result.notes,
    ...(post
      ? {
          post: {
            analyzed: post.analyzed,
            sequences: post.sequences.map((s) => ({
              sequence: s.sequence,
              column: `${s.table}.${s.column}`,
              before: s.lastValueBefore === null ? `never used (next ${s.nextValueBefore})` : String(s.lastValueBefore),
              after: s.lastValueAfter === null ? '—' : String(s.lastValueAfter),
              changed: s.changed,
            })),
            rowCounts: post.rowCounts.map((r) => ({
              table: r.table,
              archiveRows: r.archiveRows,
              databaseRows: r.databaseRows,
              expectedRows: r.expectedRows,
              matches: r.matches,
              missing: r.missing ?? false,
              countedBy: r.countedBy,
            })),
            notes: post.notes,
          },
        }
      : {}),
  };
}

/** The log's lines for a result: what ran, each error, the checks. */
export function resultLogLines(result: RestoreResult): string[] {
  const lines = [`${result.command}`];
  for (const e of result.errors) lines.push(`error: ${formatRestoreError(e)}`);
  for (const p of result.problems) lines.push(`problem: ${p}`);
  return lines;
}
