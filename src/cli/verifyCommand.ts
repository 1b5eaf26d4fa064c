import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection } from '../core/connections/resolve';
import { formatProgress } from '../core/restore/reportText';
import { formatFailure, reportPaths, writeReport } from '../core/verify/report';
import { verifyDump } from '../core/verify/verify';
import { cancelOnInterrupt, EXIT_BLOCKED, EXIT_CANCELLED, EXIT_VERIFY_FAILED, say } from './terminal';

/**
 * `verify`: the restore drill. The whole dump restored into a scratch database (on --server, or
 * a throwaway local server), checked, and reported (Markdown and JSON beside the dump or at
 * --report; --json prints the JSON). Messages go to stderr.
 */

export interface VerifyCommandOptions {
  server?: string;
  jobs: number;
  keep: boolean;
  report?: string;
  json: boolean;
  /** Folder of server binaries (initdb, pg_ctl, postgres) for the throwaway server. */
  serverBin?: string;
}

export async function verifyCommand(file: string, o: VerifyCommandOptions): Promise<number> {
  // Checked before anything starts: a report that cannot go where asked is said at once.
  const paths = reportPaths(file, o.report);
  const server = o.server !== undefined ? resolveConnection(looksLikeConnectionString(o.server) ? o.server : { dbname: o.server }) : undefined;
  for (const note of server?.notes ?? []) say(`note: ${note}`);
  if (server) say(`verifying on ${server.describe()}: a scratch database is created there${o.keep ? ' and kept (--keep)' : ' and dropped afterwards'}`);
  const interrupt = cancelOnInterrupt();
  let lastLine = '';
  let lastAt = 0;
  try {
    const report = await verifyDump(file, {
      ...(server ? { server } : {}),
      jobs: o.jobs,
      keep: o.keep,
      ...(o.serverBin ? { serverBinDir: o.serverBin } : {}),
      signal: interrupt.signal,
      onEvent: (e) => {
        if (e.kind === 'phase') say(`${e.phase}${e.database !== undefined ? ` (${e.database})` : ''}…`);
        else if (e.kind === 'note') say(`note: ${e.line}`);
        else if (e.event.kind === 'progress') {
          // At most a line a second: a dump of many entries would otherwise print one per entry.
          const now = Date.now();
          if (now - lastAt < 1000) return;
          const line = `  ${formatProgress(e.event.snapshot)}`;
          if (line !== lastLine) {
            say((lastLine = line));
            lastAt = now;
          }
        }
      },
    });
    await writeReport(report, paths);
    if (o.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    for (const f of report.failures) say(`failed: ${formatFailure(f)}`);
    if (report.server.version) say(`server: PostgreSQL ${report.server.version} (${report.server.kind === 'throwaway' ? 'throwaway, removed' : report.server.where}); tools: ${report.tools.join('; ') || 'none ran'}`);
    say(`report: ${paths.markdown} (and ${paths.json})`);
    say(`${file}: ${report.verdict} (${(report.durationMs / 1000).toFixed(1)} s)`);
    if (report.cancelled) return EXIT_CANCELLED;
    if (report.ok) return 0;
    return report.failures.every((f) => f.check === 'server') ? EXIT_BLOCKED : EXIT_VERIFY_FAILED;
  } finally {
    interrupt.dispose();
  }
}
