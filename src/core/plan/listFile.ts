import { basename } from 'node:path';
import type { Archive } from '../model/types';
import { restoreListLine } from '../model/listing';
import { describeEntry, type RestorePlan } from './closure';
import type { RestoreMode, Selection } from './selection';

/**
 * A restore plan as a `pg_restore -L` list file: comment lines (`;`) that say what the plan is,
 * then one line per planned entry in archive order, written as `pg_restore -l` writes them:
 * `<dumpId>; <tableoid> <oid> <desc> <schema> <tag> <owner>`.
 *
 * pg_restore cuts each line at its first `;` and reads only the dumpId before it, so the names
 * after it are a comment; a line break inside a name is written as a space, so no name can
 * start a line of its own.
 */

const MODE_TEXT: Record<RestoreMode, string> = {
  'definition-and-data': 'definition and data',
  'definition-only': 'definition only',
  'data-only': 'data only (the tables must already exist)',
};

/** Text for a comment line: no line break of any kind survives. */
function flat(s: string): string {
  return s.replace(/[\r\n\v\f\u0085\u2028\u2029]/g, ' ');
}

/** A list of numbers, the first few of a long one: `1, 2, 3 and 997 more`. */
function abbreviated(ids: readonly number[]): string {
  const shown = ids.slice(0, 10).join(', ');
  return ids.length > 10 ? `${shown} and ${ids.length - 10} more` : shown;
}

/** What the user selected, in words. */
export function describeSelection(s: Selection): string {
  const parts: string[] = [];
  const picked = s.objects ?? [];
  if (picked.length > 0) parts.push(`${picked.length} picked object${picked.length === 1 ? '' : 's'} (entries ${abbreviated(picked)})`);
  const add = (noun: string, names: readonly string[] | undefined) => {
    for (const name of names ?? []) parts.push(`${noun} ${name}`);
  };
  add('schema', s.schemas);
  add('table', s.tables);
  add('view', s.views);
  add('materialized view', s.materializedViews);
  add('sequence', s.sequences);
  add('function', s.functions);
  add('type', s.types);
  add('extension', s.extensions);
  add('every', s.kinds);
  add('section', s.sections);
  return flat(parts.length > 0 ? parts.join(', ') : 'nothing');
}

/**
 * What may fail, one line each: entries the plan needs but leaves out, and foreign keys whose
 * referenced table is not planned. Empty when there is nothing to say.
 */
export function planWarnings(plan: RestorePlan): string[] {
  const lines: string[] = [];
  // What only a dangling foreign key needs is said once, on the foreign key's line.
  const dangling = new Set(plan.danglingForeignKeys.map((fk) => fk.entry.dumpId));
  for (const need of plan.needs) {
    if (need.neededBy.every((n) => dangling.has(n.dumpId))) continue;
    const by = need.neededBy.map((n) => `${n.dumpId} (${n.why})`).join(', ');
    const what = need.mustExist ? 'must already exist in the target database' : 'is needed but not planned';
    lines.push(flat(`${describeEntry(need.entry)} ${what}; needed by ${by}`));
  }
  for (const fk of plan.danglingForeignKeys) {
    const missing = fk.missing.map(describeEntry).join(', ');
    const outcome = fk.leftOut
      ? 'the constraint is left out'
      : plan.mode === 'data-only'
        ? 'rows may be refused by the constraint'
        : 'the constraint will fail unless these exist in the target database';
    lines.push(flat(`foreign key ${describeEntry(fk.entry)} references ${missing}, which ${fk.missing.length === 1 ? 'is' : 'are'} not planned: ${outcome}`));
  }
  return lines;
}

/** The plan as a `pg_restore -L` list file. */
export function writeRestoreList(archive: Archive, plan: RestorePlan): string {
  const h = archive.header;
  const comments = [
    '',
    'Restore plan: use with pg_restore -L FILE',
    `Archive: ${basename(archive.path)}`,
    `    dbname: ${h.dbname ?? ''}`,
    h.version ? `    Dump Version: ${h.version.major}.${h.version.minor}-${h.version.rev}` : '    Format: plain SQL (pg_restore cannot read it: restore the plan with this tool, which runs psql)',
    `    TOC Entries: ${h.tocCount}`,
    `Selected: ${describeSelection(plan.selection)}`,
    `Mode: ${MODE_TEXT[plan.mode]}`,
    `Dependencies: ${plan.withDeps ? 'planned too (with deps)' : 'not planned; what the selection needs is listed below'}`,
    `Foreign keys to tables not planned: ${plan.dropDanglingForeignKeys ? 'left out' : 'kept'}`,
    `Planned entries: ${plan.entries.length}`,
  ];
  const warnings = planWarnings(plan);
  if (warnings.length > 0) {
    comments.push('', 'May fail:');
    for (const w of warnings) comments.push(`    ${w}`);
  }
  if (plan.leftOut.length > 0) {
    comments.push('', 'Left out:');
    for (const l of plan.leftOut) comments.push(`    ${describeEntry(l.entry)}: ${l.why}`);
  }
  comments.push('', 'Selected TOC Entries:', '');
  const lines = comments.map((c) => (c === '' ? ';' : `; ${flat(c)}`));
  for (const { entry } of plan.entries) lines.push(restoreListLine(entry));
  return lines.join('\n') + '\n';
}
