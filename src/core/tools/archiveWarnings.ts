/**
 * What a user should know about an archive before restoring it on this machine: whether a
 * pg_restore here can read it, data that is missing or cut short, and archives pg_restore reads
 * only slowly or not in place. Pure: the caller finds the pg_restore candidates
 * (findToolCandidates) and passes them in.
 */
import { basename } from 'node:path';
import { describeEntry } from '../plan/closure';
import type { Archive } from '../model/types';
import { formatBytes } from '../units';
import { describeCandidate, formatToolVersion, minimumMajorFor, type ToolCandidate } from './findTools';

export type WarningSeverity = 'error' | 'warning' | 'info';

export type WarningCode =
  | 'tools-not-checked'
  | 'no-pg-restore'
  | 'pg-restore-too-old'
  | 'configured-pg-restore-broken'
  | 'configured-pg-restore-too-old'
  | 'unknown-archive-version'
  | 'data-problems'
  | 'no-data-offsets'
  | 'tar-no-parallel'
  | 'wrapped-directory';

export interface ArchiveWarning {
  severity: WarningSeverity;
  code: WarningCode;
  /** One line: what is wrong and what to do. */
  message: string;
  /** More lines for whoever wants them (which programs were found, which entries are affected). */
  details: string[];
}

export interface WarningInput {
  /** What the warnings read of the archive (picked from each kind, so that `format` still tells them apart). */
  archive: Archive extends infer A ? (A extends Archive ? Pick<A, 'path' | 'format' | 'container' | 'header' | 'entries' | 'dataProblems' | 'unsetOffsets'> : never) : never;
  /** Every pg_restore found (findToolCandidates('pg_restore', { configuredPath })), best first. */
  pgRestore: readonly ToolCandidate[];
  /** The setting that names a pg_restore, for messages. */
  settingName?: string;
  /**
   * false: no program was run to find pg_restore (an untrusted workspace runs none until it is
   * trusted); the tool warnings are replaced by one that says so.
   */
  toolsChecked?: boolean;
}

/** Entries named in a warning's details, at most. */
const MAX_NAMED = 10;

export function archiveWarnings(input: WarningInput): ArchiveWarning[] {
  const { archive } = input;
  return [...toolWarnings(input), ...dataWarnings(archive), ...shapeWarnings(archive)];
}

function toolWarnings({ archive, pgRestore, settingName = 'pgDumpExplorer.pgRestorePath', toolsChecked = true }: WarningInput): ArchiveWarning[] {
  if (!toolsChecked) {
    return [{ severity: 'info', code: 'tools-not-checked', message: 'pg_restore was not looked for: this workspace is not trusted, and no program runs until it is; browsing works without it', details: [] }];
  }
  // A plain SQL dump goes to psql, not pg_restore: the restore's pre-flight checks that one.
  if (archive.format === 'plain') return [];
  const version = archive.header.version;
  const format = `${version.major}.${version.minor}`;
  let needed: number;
  try {
    needed = minimumMajorFor(version);
  } catch (err) {
    return [{ severity: 'error', code: 'unknown-archive-version', message: `${err instanceof Error ? err.message : String(err)}; update PG Dump Explorer`, details: [] }];
  }
  const out: ArchiveWarning[] = [];
  const found = pgRestore.map(describeCandidate);
  const configured = pgRestore.find((c) => c.source === 'configured');
  const working = pgRestore.filter((c) => c.version !== null);
  const able = working.filter((c) => c.version!.major >= needed);
  const install = `install PostgreSQL ${needed}+ client tools`;

  if (configured && !configured.version) {
    out.push({
      severity: able.length > 0 ? 'warning' : 'error',
      code: 'configured-pg-restore-broken',
      message: `${settingName} is set to ${configured.path}, which cannot be used (${configured.problem ?? 'version unknown'}); correct the setting, or clear it to use a pg_restore found on PATH`,
      details: found,
    });
  } else if (configured?.version && configured.version.major < needed && able.length > 0) {
    out.push({
      severity: 'info',
      code: 'configured-pg-restore-too-old',
      message: `${settingName} is pg_restore ${formatToolVersion(configured.version)}, which cannot read this archive (format ${format} needs pg_restore ${needed} or newer); restores use ${describeCandidate(able[0]!)} instead`,
      details: found,
    });
  }
  if (able.length > 0) return out;

  if (working.length === 0) {
    out.push({
      severity: 'error',
      code: 'no-pg-restore',
      message: `no pg_restore found on this machine; this archive (format ${format}) needs pg_restore ${needed} or newer to be restored; set ${settingName} or ${install}`,
      details: [...found, 'This editor reads the archive itself: browsing works without pg_restore.'],
    });
    return out;
  }
  const newest = working[0]!.version!;
  const versions = new Set(working.map((c) => formatToolVersion(c.version!)));
  out.push({
    severity: 'error',
    code: 'pg-restore-too-old',
    message: `the ${versions.size > 1 ? 'newest ' : ''}pg_restore found on this machine is ${formatToolVersion(newest)}; this archive (format ${format}) needs pg_restore ${needed} or newer; set ${settingName} or ${install}`,
    details: [`found: ${found.join(', ')}`, 'This editor reads the archive itself: browsing works; restoring needs a newer pg_restore.'],
  });
  return out;
}

function dataWarnings(archive: WarningInput['archive']): ArchiveWarning[] {
  const problems = archive.dataProblems;
  if (problems.length === 0) return [];
  const byId = new Map(archive.entries.map((e) => [e.dumpId, e]));
  const kinds = new Set(problems.map((p) => p.problem));
  const what = [...kinds].map((k) => (k === 'incomplete' ? 'cut short' : k)).join(' or ');
  const n = problems.length;
  return [
    {
      severity: 'error',
      code: 'data-problems',
      message: `the data of ${n} ${n === 1 ? 'entry is' : 'entries is'} ${what}; the dump was probably cut short or damaged in a copy: restoring ${n === 1 ? 'it' : 'them'} fails, so get a complete copy of the dump`,
      details: [
        ...problems.slice(0, MAX_NAMED).map((p) => {
          const e = byId.get(p.dumpId);
          return `${e ? describeEntry(e) : `entry ${p.dumpId}`}: ${p.problem}: ${p.detail}`;
        }),
        ...(n > MAX_NAMED ? [`and ${n - MAX_NAMED} more`] : []),
      ],
    },
  ];
}

function shapeWarnings(archive: WarningInput['archive']): ArchiveWarning[] {
  const out: ArchiveWarning[] = [];
  const name = basename(archive.path);
  if (archive.format === 'directory' && (archive.container === 'zip' || archive.container === 'tar')) {
    const dataBytes = archive.entries.reduce((sum, e) => sum + (e.dataSize ?? 0), 0);
    out.push({
      severity: 'info',
      code: 'wrapped-directory',
      message: `this is a directory dump inside a ${archive.container} file, which pg_restore cannot read in place: a restore copies toc.dat and the data files of the entries it restores (${formatBytes(dataBytes)} for the whole dump) into a temporary folder, restores from there, and removes the copy afterwards`,
      details: [`The copy goes to the system's temporary folder (TMPDIR), only after checking it has room; ${name} itself is not changed.`],
    });
  }
  if (archive.format === 'custom') {
    const unset = archive.unsetOffsets ?? 0;
    if (unset > 0) {
      out.push({
        severity: 'info',
        code: 'no-data-offsets',
        message: `this archive was written to a pipe (pg_dump -Fc | …), so it holds no data offsets: pg_restore finds each entry's data by reading through the file, which makes restoring a few tables, or in parallel (--jobs), slow; it cannot restore from standard input out of order`,
        details: [`${unset} ${unset === 1 ? 'entry has' : 'entries have'} no stored data offset`],
      });
    }
  }
  if (archive.format === 'tar') {
    out.push({
      severity: 'info',
      code: 'tar-no-parallel',
      message: 'tar archive: pg_restore reads it strictly in order and cannot restore it in parallel (--jobs); a custom or directory dump can be',
      details: [],
    });
  }
  return out;
}
