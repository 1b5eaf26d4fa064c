import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Config } from '../config';
import type { ConnectionStore } from '../connections/connectionStore';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { oneLine } from '../core/errors';
import type { JobHistory } from '../core/history/jobHistory';
import type { LogSink } from '../core/history/jobLog';
import { JobRun } from '../core/history/jobRun';
import { formatProgress } from '../core/restore/reportText';
import { testConnection } from '../core/server/server';
import { formatToolVersion } from '../core/tools/findTools';
import { findServerBinaries, NO_SERVER_BINARIES } from '../core/verify/localServer';
import { formatFailure, reportPaths, writeReport, type ReportPaths } from '../core/verify/report';
import { verifyDump, type VerifyReport } from '../core/verify/verify';
import type { DumpCommands } from '../dumps/dumpCommands';
import { OpenDump, type OpenDumps } from '../dumps/openDumps';
import type { Log } from '../log';
import { toAbortSignal } from '../util/cancellation';
import { pickOne } from '../util/quickPick';
import { ensureTrusted } from '../util/trust';
import type { VerifyMarks } from './verifyMarks';

const TRUST = 'Verifying a dump runs pg_restore or psql (and may start a PostgreSQL server), so it needs a trusted workspace. Inspecting dumps works without trust.';

/** What a caller may pass instead of answering the dialogs (tests, other commands). */
export interface VerifyRequest {
  /** `throwaway` for a throwaway local server, or a connection string / URI of a server. */
  server?: string;
  /** The user has seen host, port and database already: no confirmation. */
  confirmed?: boolean;
  /** Open the report in the Markdown preview afterwards (default true). */
  showReport?: boolean;
}

export interface VerifyOutcome {
  report: VerifyReport;
  paths: ReportPaths;
}

interface VerifyServices {
  context: vscode.ExtensionContext;
  log: Log;
  config: Config;
  dumps: OpenDumps;
  dumpCommands: DumpCommands;
  connections: ConnectionStore;
  history: JobHistory;
  marks: VerifyMarks;
}

type ServerItem = vscode.QuickPickItem & { server?: { kind: 'throwaway' } | { kind: 'profile'; id: string } };

/**
 * Verify Dump…: the restore drill (core/verify) on a dump of the Dumps view or a file, on a
 * throwaway local server or a saved connection's server; progress with Cancel; the report
 * written beside the dump and shown in the Markdown preview; the dump's row marked; the job in
 * the history.
 */
export class VerifyCommands {
  constructor(private readonly s: VerifyServices) {}

  async verify(target: unknown, request: VerifyRequest = {}): Promise<VerifyOutcome | undefined> {
    if (!(await ensureTrusted(TRUST))) return undefined;
    const file = await this.fileOf(target);
    if (!file) return undefined;
    const name = path.basename(file);
    const server = request.server !== undefined ? this.serverFromRequest(request.server) : await this.pickServer(name);
    if (server === undefined) return undefined;
    if (server !== 'throwaway' && !request.confirmed) {
      const answer = await vscode.window.showWarningMessage(
        `Verify ${name} on ${server.describe()}?`,
        { modal: true, detail: `A scratch database (pgdx_verify_…) is created on ${server.host || 'localhost'}:${server.port}, the whole dump restored into it and checked; it is dropped afterwards, also after a failure or a cancel. Roles the dump names and the server lacks are created as NOLOGIN roles for the drill and dropped afterwards (as a user who is not a superuser: restored with --no-owner --no-privileges instead).` },
        'Verify',
      );
      if (answer !== 'Verify') return undefined;
    }
    const paths = reportPaths(file);
    // The job's own log (kept in the history) gets every line the extension's log gets.
    const job = new JobRun(this.s.history, { kind: 'verify', source: file, target: server === 'throwaway' ? 'a throwaway local server' : server.describe(), file }, this.s.log);
    const log = job.log;
    log.info(`verifying ${file} on ${server === 'throwaway' ? 'a throwaway local server' : server.describe()}`);
    let report: VerifyReport;
    try {
      report = await this.run(file, server, log);
    } catch (err) {
      await job.failed(err);
      throw err;
    }
    const written = await this.write(report, paths, file);
    for (const f of report.failures) log.warn(`verify ${name}: ${formatFailure(f)}`);
    log.info(`verify ${name}: ${report.verdict} in ${(report.durationMs / 1000).toFixed(1)} s; report ${written.markdown}`);
    if (!report.cancelled) await this.s.marks.set(file, { ok: report.ok, verdict: report.verdict, at: new Date().toISOString(), reportPath: written.markdown });
    await job.finish({
      outcome: report.cancelled ? 'cancelled' : report.ok ? 'succeeded' : 'failed',
      summary: report.verdict + (report.ok || report.failures.length === 0 ? '' : `: ${formatFailure(report.failures[0]!)}`),
      target: report.server.kind === 'throwaway' ? `throwaway PostgreSQL ${report.server.version.split(' ')[0] ?? ''} server` : report.server.where,
      reportPath: written.markdown,
    });
    if (report.cancelled) {
      void vscode.window.showInformationMessage(`Verification of ${name} cancelled: the scratch database${server === 'throwaway' ? ' and the throwaway server were' : ' was'} removed.`);
      return { report, paths: written };
    }
    if (request.showReport ?? true) await this.showReport(written.markdown);
    const message = `${name}: ${report.verdict}${report.ok ? '' : ` — ${report.failures.slice(0, 2).map(formatFailure).join('; ')}${report.failures.length > 2 ? '; …' : ''}`}`;
    if (report.ok) void vscode.window.showInformationMessage(message);
    else void vscode.window.showWarningMessage(message);
    return { report, paths: written };
  }

  /** The drill under a progress notification with Cancel. */
  private async run(file: string, server: ResolvedConnection | 'throwaway', log: LogSink): Promise<VerifyReport> {
    const { config } = this.s;
    const name = path.basename(file);
    return await vscode.window.withProgress<VerifyReport>(
      { location: vscode.ProgressLocation.Notification, title: `Verifying ${name}`, cancellable: true },
      (progress, token) => {
        let last = '';
        return verifyDump(file, {
          ...(server !== 'throwaway' ? { server } : {}),
          ...(config.pgRestorePath ? { toolPath: config.pgRestorePath } : {}),
          ...(config.psqlPath ? { psqlPath: config.psqlPath } : {}),
          ...(config.serverBinDir ? { serverBinDir: config.serverBinDir } : {}),
          signal: toAbortSignal(token),
          onEvent: (e) => {
            if (e.kind === 'phase') progress.report({ message: `${e.phase}${e.database !== undefined ? ` (${e.database})` : ''}…` });
            else if (e.kind === 'note') log.warn(e.line);
            else if (e.event.kind === 'output') log.tool(e.event.line);
            else if (e.event.kind === 'progress') {
              const line = formatProgress(e.event.snapshot);
              if (line !== last) progress.report({ message: (last = line) });
            }
          },
        });
      },
    );
  }

  /** The report in the Markdown preview; as text where the preview is not available. */
  private async showReport(file: string): Promise<void> {
    const uri = vscode.Uri.file(file);
    try {
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    } catch {
      await vscode.window.showTextDocument(uri, { preview: true });
    }
  }

  /** The report beside the dump; where that folder cannot be written, in the extension's storage. */
  private async write(report: VerifyReport, paths: ReportPaths, file: string): Promise<ReportPaths> {
    try {
      await writeReport(report, paths);
      return paths;
    } catch (err) {
      const fallback = reportPaths(file, vscode.Uri.joinPath(this.s.context.globalStorageUri, 'verify', `${path.basename(file)}.verify.md`).fsPath);
      this.s.log.warn(`could not write the report beside the dump (${oneLine(err)}): writing it to ${fallback.markdown}`);
      await writeReport(report, fallback);
      return fallback;
    }
  }

  /** The dump's path: a Uri, a dump or cluster of the tree (a database of a pg_dumpall script: the script), or the one picked. */
  private async fileOf(target: unknown): Promise<string | undefined> {
    if (target instanceof vscode.Uri) return target.fsPath;
    const clusterKey = (target as { clusterKey?: unknown } | undefined)?.clusterKey;
    if (typeof clusterKey === 'string') return this.s.dumps.getCluster(clusterKey)?.uri.fsPath;
    const dump = await this.s.dumpCommands.resolve(target);
    if (!dump) return undefined;
    return dump instanceof OpenDump && dump.part ? dump.part.cluster.uri.fsPath : dump.uri.fsPath;
  }

  private serverFromRequest(server: string): ResolvedConnection | 'throwaway' {
    if (server === 'throwaway') return 'throwaway';
    return resolveConnection(looksLikeConnectionString(server) ? server : { dbname: server });
  }

  /** The throwaway local server first, then the saved and discovered connections. */
  private async pickServer(name: string): Promise<ResolvedConnection | 'throwaway' | undefined> {
    const { connections, config } = this.s;
    const binaries = await findServerBinaries(config.serverBinDir ? { configuredDir: config.serverBinDir } : {}).catch(() => []);
    const newest = binaries[0];
    const items: ServerItem[] = [
      {
        label: '$(vm) Throwaway local server',
        description: newest ? `PostgreSQL ${formatToolVersion(newest.version)} from ${newest.binDir}` : 'no PostgreSQL server programs installed',
        detail: newest ? 'initdb in a private temporary folder, removed afterwards: nothing else is touched' : NO_SERVER_BINARIES,
        server: { kind: 'throwaway' },
      },
    ];
    const all = connections.all();
    if (all.length > 0) items.push({ label: 'Connections', kind: vscode.QuickPickItemKind.Separator });
    for (const profile of all) {
      const summary = connections.summary(profile);
      items.push({ label: `$(database) ${profile.name}`, description: summary.text, detail: summary.error ?? 'a scratch database is created on this server and dropped afterwards', server: { kind: 'profile', id: profile.id } });
    }
    const picked = await pickOne(items, { title: `Verify ${name}: restore it into a scratch database on…`, placeHolder: 'Which server?', matchOnDescription: true, ignoreFocusOut: true });
    if (!picked?.server) return undefined;
    if (picked.server.kind === 'throwaway') {
      if (!newest) throw new Error(NO_SERVER_BINARIES);
      return 'throwaway';
    }
    const id = picked.server.id;
    const profile = all.find((p) => p.id === id);
    if (!profile) return undefined;
    // Asks for a password when the server wants one nobody has; then the drill connects with it.
    await connections.withConnection(profile, testConnection);
    return connections.resolve(profile);
  }
}
