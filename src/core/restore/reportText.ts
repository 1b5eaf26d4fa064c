import type { PreflightReport, ProposedFix } from '../target/preflight';
import type { RestoreError } from './errorParser';
import type { CopyInProgress } from './copyProgress';
import type { ProgressSnapshot } from './verboseParser';
import { formatBytes, formatCount } from '../units';

/** Plain-text forms of the restore reports, for the CLI and the extension's log. One line each. */

export function describeFix(fix: ProposedFix): string {
  switch (fix.kind) {
    case 'no-owner':
      return 'restore with --no-owner';
    case 'no-privileges':
      return 'restore with --no-privileges';
    case 'create-roles':
      return `create the role${fix.roles.length === 1 ? '' : 's'} ${fix.roles.join(', ')}`;
    case 'clean':
      return `restore with --clean, which drops ${fix.drops.length} object${fix.drops.length === 1 ? '' : 's'}: ${fix.drops.join(', ')}`;
    case 'leave-out-foreign-keys':
      return 'leave those foreign keys out (--drop-dangling-fks)';
    case 'include-dependencies':
      return 'include what the selection needs (--with-deps)';
    case 'create-database':
      return `create the database ${fix.name}`;
    case 'use-other-tool':
      return `use pg_restore ${fix.major} or newer`;
  }
}

export function formatPreflight(report: PreflightReport): string[] {
  const t = report.target;
  const lines = [`target ${t.where}: PostgreSQL ${t.serverVersion}, connected as ${t.user}${t.isSuperuser ? ' (superuser)' : ''}; database ${report.databaseEmpty ? 'is empty' : 'is not empty'}`];
  for (const f of report.findings) {
    lines.push(`${f.severity}: ${f.message}`);
    for (const fix of f.fixes) lines.push(`  fix: ${describeFix(fix)}`);
  }
  return lines;
}

export function formatProgress(s: ProgressSnapshot): string {
  const current = s.running.map((r) => `${r.desc} ${r.name}`).join(', ');
  const bytes = s.bytesTotal > 0 ? ` (${formatBytes(s.bytesDone)} of ${formatBytes(s.bytesTotal)})` : '';
  const copying = (s.copying ?? []).map(describeCopy).join('; ');
  return `[${s.started}/${s.total}]${bytes}${current ? ` ${current}` : ''}${copying ? ` — copying ${copying}` : ''}`;
}

export function formatRestoreError(e: RestoreError): string {
  const where = e.entry ? `entry ${e.entry.dumpId} (${e.entry.desc} ${e.entry.tag})` : e.stage ? e.stage.toLowerCase() : 'pg_restore';
  return `${where}: ${e.message.split('\n')[0]}`;
}

/** "public.events 45 MB, 1,234,567 rows" (from the target), "public.events 45 MB of 201 MB read" (from the input). */
export function describeCopy(c: CopyInProgress): string {
  if (c.from === 'input') return `${c.table} ${formatBytes(c.bytes)}${c.of !== undefined ? ` of ${formatBytes(c.of)}` : ''} read`;
  return `${c.table} ${formatBytes(c.bytes)}, ${formatCount(c.rows ?? 0)} rows`;
}
