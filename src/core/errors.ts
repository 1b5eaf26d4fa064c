/**
 * Every failure a user can cause with a bad file is a DumpError: one line that says what is
 * wrong and, where it helps, what was expected. The CLI prints `message` alone, never a stack.
 */
export type DumpErrorCode =
  | 'not-found'
  | 'not-a-dump'
  | 'plain-not-archive'
  /** A pg_dumpall script: roles and several databases, read with the cluster reader (plain/clusterDump.ts). */
  | 'cluster-dump'
  | 'unsupported-version'
  | 'truncated'
  | 'corrupt'
  | 'missing-data'
  | 'unsupported'
  | 'usage'
  /** The target database could not be reached. */
  | 'connection';

export class DumpError extends Error {
  constructor(
    readonly code: DumpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DumpError';
  }
}

/** Message of any thrown value, folded to one line, for command-line and UI boundaries. */
export function oneLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
