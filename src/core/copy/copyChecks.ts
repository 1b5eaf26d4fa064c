import type { ResolvedConnection } from '../connections/resolve';
import { oneLine } from '../errors';
import type { RestorePlan } from '../plan/closure';
import { postRestore, type PostRestoreReport } from '../target/postRestore';
import type { CopyHooks, CopyOptions } from './types';

/** ANALYZE, sequences and row counts after a copy that succeeded; the rows expected are the source's, in the snapshot. */
export async function checksAfterCopy(
  plan: RestorePlan,
  target: ResolvedConnection,
  options: CopyOptions,
  hooks: CopyHooks,
  counting: Promise<Map<string, number>>,
  rowsBefore?: Map<string, number>,
): Promise<{ report?: PostRestoreReport; problem?: string }> {
  const analyze = options.analyze ?? true;
  const fixSequences = options.fixSequences ?? true;
  const countRows = options.verifyRowCounts ?? true;
  if (!analyze && !fixSequences && !countRows) return {};
  try {
    const sourceRows = countRows ? await counting : undefined;
    const report = await postRestore(undefined, plan, target, {
      analyze,
      fixSequences,
      countRows,
      ...(sourceRows ? { sourceRows } : {}),
      ...(rowsBefore ? { rowsBefore } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
    return { report };
  } catch (err) {
    return { problem: `the copy succeeded, but the checks after it did not run to the end: ${oneLine(err)}` };
  }
}
