/**
 * The drill's report as Markdown and JSON, written beside the dump (`NAME.verify.md`,
 * `NAME.verify.json`; beside a directory dump, never inside it) or where the caller says. The
 * dump itself is never written: a report path that is the dump is refused.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DumpError } from '../errors';
import type { VerifyFailure, VerifyReport } from './types';

export interface ReportPaths {
  markdown: string;
  json: string;
}

/**
 * Where the report goes: `requested` (the Markdown; the JSON beside it with `.json` for `.md`),
 * or beside the dump.
 */
export function reportPaths(dumpPath: string, requested?: string): ReportPaths {
  const dump = path.resolve(dumpPath.replace(/[\\/]+$/, ''));
  let markdown: string;
  let json: string;
  if (requested) {
    const r = path.resolve(requested);
    if (r.toLowerCase().endsWith('.json')) {
      json = r;
      markdown = `${r.slice(0, -5)}.md`;
    } else {
      markdown = r;
      json = r.toLowerCase().endsWith('.md') ? `${r.slice(0, -3)}.json` : `${r}.json`;
    }
  } else {
    markdown = `${dump}.verify.md`;
    json = `${dump}.verify.json`;
  }
  for (const p of [markdown, json]) {
    if (p === dump || (p.startsWith(`${dump}${path.sep}`) && isDirectory(dump))) {
      throw new DumpError('usage', `the report would be written ${p === dump ? 'over' : 'into'} the dump (${p}): give another --report path`);
    }
  }
  return { markdown, json };
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Writes both files (each under a temporary name first, then renamed). */
export async function writeReport(report: VerifyReport, paths: ReportPaths): Promise<void> {
  await writeAtomically(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeAtomically(paths.markdown, reportMarkdown(report));
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    await fs.promises.writeFile(tmp, text, 'utf8');
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw new DumpError('usage', `could not write the report ${file}: ${err instanceof Error ? err.message : String(err)}: give another --report path`, { cause: err });
  }
}

/** `entry 231 (TABLE DATA public.orders): 10 rows in the database, 12 in the dump` */
export function formatFailure(f: VerifyFailure): string {
  const db = f.database !== undefined ? `[${f.database}] ` : '';
  const what = f.entry !== undefined ? `${f.dumpId !== undefined ? `entry ${f.dumpId} ` : ''}(${f.entry})` : f.dumpId !== undefined ? `entry ${f.dumpId}` : f.check === 'server' ? 'cannot verify' : f.check;
  return `${db}${what}: ${f.message}`;
}

const cell = (s: string | number) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report a person reads: verdict first, then what failed, entry by entry, then the checks. */
export function reportMarkdown(r: VerifyReport): string {
  const out: string[] = [];
  const mark = r.cancelled ? '–' : r.ok ? '✓' : '✗';
  out.push(`# Restore drill: ${path.basename(r.file)}`, '');
  out.push(`**Verdict: ${mark} ${r.verdict}**`, '');
  out.push(`- Dump: \`${r.file}\` (${r.format}, ${r.dump.entries} entries${r.dump.serverVersion ? `, from PostgreSQL ${r.dump.serverVersion}` : ''}${r.dump.pgDumpVersion ? `, pg_dump ${r.dump.pgDumpVersion}` : ''})`);
  if (r.server.version) out.push(`- Server: PostgreSQL ${r.server.version} — ${r.server.kind === 'throwaway' ? 'throwaway local server' : 'given server'} ${r.server.where}${r.server.binDir ? ` (binaries ${r.server.binDir})` : ''}`);
  if (r.tools.length > 0) out.push(`- Tools: ${r.tools.join('; ')}`);
  if (r.roles.note) out.push(`- Roles: ${r.roles.note}${r.roles.created.length > 0 ? ` (${r.roles.created.join(', ')})` : ''}`);
  out.push(`- Started ${r.startedAt}, took ${seconds(r.durationMs)}`);
  if (r.kept.length > 0) out.push(`- Kept: ${r.kept.join(', ')}`);
  out.push('');
  if (r.failures.length > 0) {
    out.push(`## What failed (${r.failures.length})`, '');
    for (const f of r.failures) out.push(`- ${cell(formatFailure(f))}`);
    out.push('');
  }
  for (const d of r.databases) {
    out.push(`## Database ${d.name}`, '');
    out.push(`Restored into scratch database \`${d.scratch}\`: ${d.entries} entries, ${d.failedEntries} with errors; ${d.analyzed} relations analyzed.`, '');
    if (d.tables.length > 0) {
      const bad = d.tables.filter((t) => !t.matches).length;
      out.push(`### Rows (${d.tables.length - bad} of ${d.tables.length} tables equal the dump)`, '', '| Table | Dump | Database | |', '|---|---:|---:|---|');
      for (const t of d.tables) out.push(`| ${cell(t.table)} | ${t.dumpRows} | ${t.databaseRows} | ${t.matches ? 'ok' : '**differs**'} |`);
      out.push('');
    }
    if (d.objects.length > 0) {
      out.push('### Objects by kind', '', '| Kind | Dump | Database | |', '|---|---:|---:|---|');
      for (const k of d.objects) out.push(`| ${k.kind} | ${k.dump} | ${k.database} | ${k.matches ? 'ok' : `**${[k.missing.length > 0 ? `missing ${k.missing.join(', ')}` : '', k.extra.length > 0 ? `extra ${k.extra.join(', ')}` : ''].filter(Boolean).join('; ')}**`} |`);
      out.push('');
    }
    if (d.sequences.length > 0) {
      const behind = d.sequences.filter((s) => s.behind).length;
      out.push(`### Sequences (${d.sequences.length - behind} of ${d.sequences.length} not behind their column)`, '');
      for (const s of d.sequences.filter((x) => x.behind)) out.push(`- ${s.sequence} is behind ${s.column} (last value ${s.lastValue ?? 'none'}, column up to ${s.columnMax})`);
      out.push('');
    }
  }
  if (r.phases.length > 0) {
    out.push('## Time by phase', '', '| Phase | Time |', '|---|---:|');
    for (const p of r.phases) out.push(`| ${p.phase}${p.database !== undefined ? ` (${cell(p.database)})` : ''} | ${seconds(p.ms)} |`);
    out.push('');
  }
  if (r.notes.length > 0) {
    out.push('## Notes', '');
    for (const n of r.notes) out.push(`- ${cell(n)}`);
    out.push('');
  }
  return out.join('\n');
}
