import { DumpError, oneLine, type DumpErrorCode } from './errors';

/** Why a file could not be shown, and what the user can do about it: for pages that show the error instead of the file. */
export interface OpenProblem {
  code: DumpErrorCode | 'unexpected';
  /** One line: what went wrong. */
  message: string;
  /** One line: what to do. */
  whatToDo: string;
}

const WHAT_TO_DO: Partial<Record<DumpErrorCode, string>> = {
  'not-found': 'Check that the file (or folder) still exists and that you may read it.',
  'not-a-dump': 'Open an archive made by pg_dump -Fc (custom), -Ft (tar) or -Fd (directory: its toc.dat); to see this file as it is, reopen it in the text editor.',
  'plain-not-archive': 'A plain SQL dump is restored with psql; reopen it in the text editor to read it.',
  'unsupported-version': 'Check that the file is not damaged; an archive from a newer PostgreSQL needs a newer PG Dump Explorer.',
  truncated: 'The file ends early: the copy or download was probably interrupted, or pg_dump did not finish. Copy it again, or make a new dump.',
  corrupt: 'The file is damaged: copy it again from where it came from, or make a new dump.',
  'missing-data': 'Data files are missing: copy the whole dump again (for a directory dump, the whole folder).',
  unsupported: 'This archive uses something PG Dump Explorer does not read yet; pg_restore may still restore it.',
};

export function openProblem(err: unknown): OpenProblem {
  if (err instanceof DumpError) {
    return { code: err.code, message: oneLine(err), whatToDo: WHAT_TO_DO[err.code] ?? 'See the PG Dump Explorer log for details.' };
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return { code: 'not-found', message: oneLine(err), whatToDo: WHAT_TO_DO['not-found']! };
  if (code === 'EACCES' || code === 'EPERM') return { code: 'unexpected', message: oneLine(err), whatToDo: 'You may not read this file: check its permissions.' };
  return { code: 'unexpected', message: oneLine(err), whatToDo: 'See the PG Dump Explorer log for details; if the file is a dump, please report this.' };
}
