import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ResolvedConnection } from '../core/connections/resolve';
import { dumpCluster } from '../core/dump/cluster';
import { dumpGlobals } from '../core/dump/globals';
import { oneLine } from '../core/errors';
import { outcomeOf } from '../core/history/jobHistory';
import { JobRun } from '../core/history/jobRun';
import { formatBytes } from '../core/units';
import { toAbortSignal } from '../util/cancellation';
import { ensureTrusted } from '../util/trust';
import type { DumpServices } from './dumpCommands';

const TRUST = 'Dumping runs pg_dump and pg_dumpall against your server, so it needs a trusted workspace. Inspecting dumps works without trust.';

/** What a caller may pass instead of answering the dialogs (tests, other commands). */
export interface ClusterDumpRequest {
  /** A connection string or URI (any database of the server). */
  connection?: string;
  /** Where the script (globals) or folder (cluster) goes. */
  path?: string;
  /** Replace what is there without asking. */
  overwrite?: boolean;
}

/**
 * Dump Roles and Tablespaces… (`pg_dumpall --globals-only`) and Dump Cluster… (globals.sql plus
 * one archive per database) on a server of the Connections view: where to, then the dump with
 * progress and Cancel, then what was made opened in the Dumps view.
 */
export class ClusterDumpCommands {
  constructor(
    private readonly services: DumpServices,
    private readonly connectionOf: (target: unknown, request: { connection?: string }) => Promise<{ name: string; connection: ResolvedConnection } | undefined>,
  ) {}

  async dumpGlobals(target: unknown, request: ClusterDumpRequest = {}): Promise<string | undefined> {
    if (!(await ensureTrusted(TRUST))) return undefined;
    const source = await this.connectionOf(target, request);
    if (!source) return undefined;
    const file = request.path ?? (await this.ask(source.name, 'globals.sql', false));
    if (!file) return undefined;
    const overwrite = request.overwrite ?? (fs.existsSync(file) && (await this.replace(file)));
    if (fs.existsSync(file) && !overwrite) return undefined;
    const { config } = this.services;
    const job = this.job(source.connection, file);
    const log = job.log;
    const result = await this.recorded(job, () =>
      this.withProgress(`Dumping the roles and tablespaces of ${source.connection.describe()}`, (signal) =>
        dumpGlobals(source.connection, file, { overwrite }, { signal, onOutput: (line) => log.tool(line), ...(config.pgDumpallPath ? { toolPath: config.pgDumpallPath } : {}), setting: 'pgDumpExplorer.pgDumpallPath' }),
      ),
    );
    log.info(`ran: ${result.command}`);
    for (const note of result.notes) log.warn(note);
    const failed = `pg_dumpall failed: ${result.errors[0] ?? 'see the log'}`;
    const done = `Dumped the roles and tablespaces of ${source.connection.where()} to ${result.path} (${formatBytes(result.bytes)}).`;
    await this.finish(job, result, result.ok ? done : result.cancelled ? `Cancelled: nothing was written to ${file}.` : failed);
    if (result.cancelled) return undefined;
    if (!result.ok) throw new Error(failed);
    log.info(`dumped the globals of ${source.connection.describe()} to ${result.path} (${formatBytes(result.bytes)})`);
    void vscode.window.showInformationMessage(`Dumped the roles and tablespaces to ${result.path}${result.notes.length > 0 ? ` (${result.notes[0]})` : ''}`);
    await vscode.commands.executeCommand('pgDumpExplorer.open', vscode.Uri.file(result.path));
    return result.path;
  }

  async dumpCluster(target: unknown, request: ClusterDumpRequest = {}): Promise<string | undefined> {
    if (!(await ensureTrusted(TRUST))) return undefined;
    const source = await this.connectionOf(target, request);
    if (!source) return undefined;
    const dir = request.path ?? (await this.ask(source.name, 'cluster', true));
    if (!dir) return undefined;
    const overwrite = request.overwrite ?? (fs.existsSync(dir) && (await this.replace(dir)));
    if (fs.existsSync(dir) && !overwrite) return undefined;
    const { config } = this.services;
    const job = this.job(source.connection, dir);
    const log = job.log;
    const result = await this.recorded(job, () => this.withProgress(`Dumping the cluster of ${source.connection.describe()}`, (signal, report) =>
      dumpCluster(source.connection, dir, { overwrite }, {
        signal,
        ...(config.pgDumpPath ? { pgDumpPath: config.pgDumpPath } : {}),
        ...(config.pgDumpallPath ? { pgDumpallPath: config.pgDumpallPath } : {}),
        onEvent: (e) => {
          if (e.kind === 'output') log.tool(e.line);
          else if (e.kind === 'globals') report(e.state === 'started' ? 'roles and tablespaces' : 'roles and tablespaces done');
          else if (e.kind === 'database' && e.state === 'started') report(`database ${e.database} (${e.done + 1} of ${e.total})`);
        },
      }),
    ));
    for (const note of result.notes) log.warn(note);
    for (const e of result.errors) log.error(e);
    const failed = `the cluster dump failed: ${result.errors[0] ?? 'see the log'}`;
    const done = `Dumped the cluster of ${source.connection.server()} to ${result.path}: ${result.manifest?.databases.length ?? 0} databases and the roles.`;
    await this.finish(job, result, result.ok ? done : result.cancelled ? `Cancelled: nothing was written to ${dir}.` : failed);
    if (result.cancelled) return undefined;
    if (!result.ok) throw new Error(failed);
    log.info(`dumped the cluster of ${source.connection.describe()} to ${result.path}`);
    void vscode.window.showInformationMessage(`Dumped the cluster to ${result.path}: ${result.manifest?.databases.length ?? 0} databases and the roles`);
    await vscode.commands.executeCommand('pgDumpExplorer.open', vscode.Uri.file(result.path));
    return result.path;
  }

  /** A dump job of `connection`'s server into `output`, its log passed on to the extension's. */
  private job(connection: ResolvedConnection, output: string): JobRun {
    return new JobRun(this.services.history, { kind: 'dump', source: connection.server(), target: output }, this.services.log);
  }

  /** Runs the dump; one that throws before it has a result is recorded as failed. */
  private async recorded<T>(job: JobRun, work: () => Thenable<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      job.log.error(oneLine(err));
      await job.failed(err);
      throw err;
    }
  }

  /** Records how the dump ended; the file only when it was made (a failed or cancelled one leaves nothing). */
  private finish(job: JobRun, result: { ok: boolean; cancelled: boolean; path: string }, summary: string): Promise<unknown> {
    return job.finish({ outcome: outcomeOf(result), summary, ...(result.ok ? { file: result.path } : {}) });
  }

  private async ask(name: string, suggestion: string, folder: boolean): Promise<string | undefined> {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
    const uri = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(base, `${name.replace(/[^\w.-]+/g, '_')}-${suggestion}`)),
      title: folder ? `Dump the cluster of ${name} into the folder…` : `Dump the roles and tablespaces of ${name} to…`,
      saveLabel: 'Dump Here',
    });
    return uri?.fsPath;
  }

  private async replace(target: string): Promise<boolean> {
    const answer = await vscode.window.showWarningMessage(`${target} exists already. Replace it?`, { modal: true, detail: 'It is replaced only once the new dump is complete.' }, 'Replace');
    return answer === 'Replace';
  }

  private withProgress<T>(title: string, work: (signal: AbortSignal, report: (message: string) => void) => Promise<T>): Thenable<T> {
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) =>
      work(toAbortSignal(token), (message) => progress.report({ message })),
    );
  }
}

