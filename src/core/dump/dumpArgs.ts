/**
 * DumpOptions → pg_dump's arguments, for the pg_dump that will run (its major decides what it
 * takes). Pure: every refusal is one DumpError line said before anything starts.
 */
import * as path from 'node:path';
import { DumpError } from '../errors';
import type { DumpFormat, DumpOptions } from './types';

const FORMAT_FLAG: Record<DumpFormat, string> = { custom: '-Fc', directory: '-Fd', tar: '-Ft', plain: '-Fp' };

/** Above this many patterns the selection goes through `--filter FILE` where pg_dump has it (17+). */
export const FILTER_THRESHOLD = 20;

export type CompressionMethod = 'gzip' | 'lz4' | 'zstd' | 'none';

/** What `--compress` asks for: `6`, `gzip`, `gzip:9`, `lz4`, `zstd:3`, `none`. */
export interface Compression {
  method: CompressionMethod;
  level?: number;
}

/** The methods a pg_dump of this major writes: lz4 and zstd came with 16 (if its build has them). */
export function compressionMethods(major: number): CompressionMethod[] {
  return major >= 16 ? ['gzip', 'lz4', 'zstd', 'none'] : ['gzip', 'none'];
}

/** Reads `--compress`; throws one line when it is neither a level 0–9 nor METHOD[:LEVEL]. */
export function parseCompression(value: string): Compression {
  const text = value.trim().toLowerCase();
  if (/^\d+$/.test(text)) {
    const level = Number(text);
    if (level > 9) throw new DumpError('usage', `--compress ${value}: a bare level is gzip's, 0 to 9`);
    return level === 0 ? { method: 'none' } : { method: 'gzip', level };
  }
  const m = /^(gzip|lz4|zstd|none)(?::(-?\d+))?$/.exec(text);
  if (!m) throw new DumpError('usage', `--compress ${value}: give a level 0-9 or METHOD[:LEVEL] with METHOD gzip, lz4, zstd or none`);
  const method = m[1] as CompressionMethod;
  if (m[2] === undefined) return { method };
  if (method === 'none') throw new DumpError('usage', `--compress ${value}: none takes no level`);
  return { method, level: Number(m[2]) };
}

/** The `--compress` argument for this pg_dump, or none (its default); throws when it cannot. */
export function compressionArgument(value: string | undefined, format: DumpFormat, tool: { major: number; version: string }): string[] {
  if (value === undefined) return [];
  const c = parseCompression(value);
  if (format === 'tar' && c.method !== 'none') throw new DumpError('usage', 'pg_dump cannot compress the tar format: choose custom or directory, or leave --compress out');
  if (tool.major >= 16) return [`--compress=${value.trim().toLowerCase()}`];
  if (c.method === 'lz4' || c.method === 'zstd') {
    throw new DumpError('unsupported', `pg_dump ${tool.version} compresses with gzip only: ${c.method} needs pg_dump 16 or newer`);
  }
  if (c.method === 'none') return ['--compress=0'];
  const level = c.level ?? 6; // zlib's default, what pg_dump uses for custom and directory
  if (level < 1 || level > 9) throw new DumpError('usage', `--compress ${value}: gzip's level is 1 to 9`);
  return [`--compress=${level}`];
}

/** The file a dump goes to: a plain dump compressed gets the method's suffix (`.sql.gz`), as readers expect. */
export function outputPath(target: string, options: DumpOptions): string {
  if ((options.format ?? 'custom') !== 'plain' || options.compress === undefined) return target;
  const suffix = { gzip: '.gz', lz4: '.lz4', zstd: '.zst', none: '' }[parseCompression(options.compress).method];
  return suffix && !target.toLowerCase().endsWith(suffix) ? `${target}${suffix}` : target;
}

/** Where pg_dump writes until it has succeeded: a hidden name beside the target, renamed afterwards. */
export function partialPath(target: string, pid = process.pid): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.pgdx-partial-${pid}`);
}

/** The filter file of a long selection, beside the target, removed afterwards. */
export function filterPath(target: string, pid = process.pid): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.pgdx-filter-${pid}`);
}

const PATTERN_OPTIONS = [
  ['schemas', '--schema', 'include schema'],
  ['excludeSchemas', '--exclude-schema', 'exclude schema'],
  ['tables', '--table', 'include table'],
  ['excludeTables', '--exclude-table', 'exclude table'],
  ['excludeTableData', '--exclude-table-data', 'exclude table_data'],
] as const;

export function patternCount(options: DumpOptions): number {
  return PATTERN_OPTIONS.reduce((n, [key]) => n + (options[key]?.length ?? 0), 0);
}

/**
 * Whether pg_dump's filter-file reader keeps the pattern as it is: it ends a pattern at `#`,
 * folds white space and rewrites `,` outside quotes.
 */
function filterSafe(pattern: string): boolean {
  if (/[#\r\n]/.test(pattern)) return false;
  let inQuotes = false;
  for (const ch of pattern) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (!inQuotes && (/\s/.test(ch) || ch === ',')) return false;
  }
  return true;
}

export interface DumpArguments {
  /** pg_dump's arguments without the connection's (runClientProgram adds those). */
  args: string[];
  /** The `--filter` file's text, when the selection goes through one. */
  filterText?: string;
}

/**
 * pg_dump's arguments for `options`, writing to `files.output`; a selection of more than
 * FILTER_THRESHOLD patterns goes into `files.filter` when the tool reads filter files (17+).
 */
export function dumpArguments(options: DumpOptions, tool: { major: number; version: string }, files: { output: string; filter?: string }): DumpArguments {
  const format = options.format ?? 'custom';
  const args = ['--verbose', FORMAT_FLAG[format]];
  args.push(...compressionArgument(options.compress, format, tool));
  const jobs = options.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new DumpError('usage', `--jobs takes a whole number of at least 1, not ${jobs}`);
  if (jobs > 1) {
    if (format !== 'directory') throw new DumpError('usage', `--jobs needs the directory format: pg_dump writes the ${format} format in one process`);
    args.push(`--jobs=${jobs}`);
  }
  const content = options.content ?? 'all';
  if (content === 'schema-only') args.push('--schema-only');
  if (content === 'data-only') args.push('--data-only');
  if (options.noOwner) args.push('--no-owner');
  if (options.noPrivileges) args.push('--no-privileges');
  args.push(...statisticsArguments(options, tool));

  const useFilter = files.filter !== undefined && tool.major >= 17 && patternCount(options) > FILTER_THRESHOLD && PATTERN_OPTIONS.every(([key]) => (options[key] ?? []).every(filterSafe));
  let filterText: string | undefined;
  if (useFilter) {
    filterText = PATTERN_OPTIONS.flatMap(([key, , line]) => (options[key] ?? []).map((p) => `${line} ${p}\n`)).join('');
    args.push(`--filter=${files.filter}`);
  } else {
    for (const [key, flag] of PATTERN_OPTIONS) for (const p of options[key] ?? []) args.push(`${flag}=${p}`);
  }
  args.push(`--file=${files.output}`);
  return filterText === undefined ? { args } : { args, filterText };
}

/** PostgreSQL 18's statistics options; refused for an older pg_dump, which has none. */
function statisticsArguments(options: DumpOptions, tool: { major: number; version: string }): string[] {
  const s = options.statistics;
  if (s === undefined) return [];
  if (tool.major < 18) throw new DumpError('unsupported', `pg_dump ${tool.version} dumps no statistics: the statistics options need pg_dump 18 or newer`);
  if (s === 'only' && (options.content ?? 'all') !== 'all') throw new DumpError('usage', `statistics only cannot be combined with ${options.content}`);
  return [{ with: '--with-statistics', without: '--no-statistics', only: '--statistics-only' }[s]];
}
