import * as vscode from 'vscode';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { prepareCopy, WHOLE_DATABASE, type PreparedCopy } from '../core/copy/copyDatabase';
import type { CopyResult } from '../core/copy/types';
import { JobRun } from '../core/history/jobRun';
import type { Selection } from '../core/plan/selection';
import { formatPreflight, formatProgress, formatRestoreError } from '../core/restore/reportText';
import { createDatabase } from '../core/server/server';
import { describePostRestore } from '../core/target/postRestore';
import { formatBytes } from '../core/units';
import type { Services } from '../services';
import { ensureTrusted } from '../util/trust';
import type { ConnectionsNode } from '../views/connectionsTree';

/** What a caller may pass instead of answering the pickers and the confirmation (tests, other commands). */
export interface CopyRequest {
  /** The target database, as a connection string or URI, instead of the target picker. */
  target?: string;
  /** The source, as a connection string or URI, instead of a Connections view node. */
  source?: string;
  /** Copy without asking (the caller has shown host, port and database). */
  confirmed?: boolean;
  /** >1: pgcopydb with this many jobs (whole database only). */
  jobs?: number;
  noOwner?: boolean;
  noPrivileges?: boolean;
}

export interface CopySource {
  /** The connection's name in the Connections view. */
  name: string;
  connection: ResolvedConnection;
}

export type CopyServices = Pick<Services, 'log' | 'connections' | 'history'>;

const resolveText = (text: string) => resolveConnection(looksLikeConnectionString(text) ? text : { dbname: text });

/**
 * *Copy Database To…* (Connections view) and *Copy Selected To…* (the dump panel): the target from
 * the target picker, the pre-flight and a confirmation naming host, port and database, then the
 * copy with progress and Cancel in a notification, its lines in the log, the result said and
 * recorded in the job history.
 */
export class CopyCommands {
  constructor(private readonly services: CopyServices) {}

  async copyDatabase(target: unknown, request: CopyRequest = {}): Promise<CopyResult | undefined> {
    const source = await this.sourceOf(target, request);
    if (!source) return undefined;
    return this.copy(source, { ...WHOLE_DATABASE }, request);
  }

  /** Copies `selection` of `source` (the dump panel's ticked schemas and tables). */
  async copy(source: CopySource, selection: Selection, request: CopyRequest = {}): Promise<CopyResult | undefined> {
    if (!(await ensureTrusted('Copying runs pg_dump and pg_restore against your servers, so it needs a trusted workspace.'))) return undefined;
    const what = source.connection.dbname;
    const to = request.target
      ? resolveText(request.target)
      : (await this.services.connections.pickTarget({ dumpKey: `copy:${source.connection.where()}`, title: `Copy ${what} (${source.connection.where()}) to…` }))?.connection;
    if (!to) return undefined;
    const options = { selection, ...(request.jobs ? { jobs: request.jobs } : {}), ...(request.noOwner ? { noOwner: true } : {}), ...(request.noPrivileges ? { noPrivileges: true } : {}) };
    let prepared = await this.prepare(source.connection, to, options);
    const missing = prepared.report.findings.find((f) => f.code === 'database-missing');
    if (missing) {
      await prepared.close();
      const create = request.confirmed
        ? 'Create Database'
        : await vscode.window.showWarningMessage(`Database ${to.dbname} does not exist on ${to.server()}. Create it and copy into it?`, { modal: true }, 'Create Database');
      if (create !== 'Create Database') return undefined;
      await createDatabase(to, to.dbname);
      prepared = await this.prepare(source.connection, to, options);
    }
    const { report, plan } = prepared;
    const lines = formatPreflight(report);
    for (const line of lines) this.services.log.info(`copy pre-flight: ${line}`);
    if (!request.confirmed) {
      const go = report.blocking ? 'Copy Anyway' : 'Copy';
      const how = prepared.engine === 'pipe' ? 'in one transaction: if it fails or is cancelled, the target is left as it was' : `with pgcopydb, ${request.jobs} jobs: not one transaction`;
      const answer = await vscode.window.showWarningMessage(
        `Copy ${plan.entries.length} entries of ${what} into database ${to.dbname} on ${to.server()}?`,
        { modal: true, detail: [`From ${prepared.snapshot.where} into ${report.target.where}, ${how}.`, ...lines].join('\n') },
        go,
      );
      if (answer !== go) {
        await prepared.close();
        return undefined;
      }
    }
    return this.run(prepared, source, to);
  }

  private async prepare(from: ResolvedConnection, to: ResolvedConnection, options: Parameters<typeof prepareCopy>[2]): Promise<PreparedCopy> {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking ${to.where()} for the copy…` }, () => prepareCopy(from, to, options));
  }

  private async run(prepared: PreparedCopy, source: CopySource, to: ResolvedConnection): Promise<CopyResult> {
    // The job's own log (kept in the history) gets every line the extension's log gets.
    const job = new JobRun(this.services.history, { kind: 'copy', source: source.connection.where(), target: to.where() }, this.services.log);
    const log = job.log;
    const where = prepared.report.target.where;
    log.info(`copy ${prepared.snapshot.where} → ${where} (${prepared.engine})`);
    const result = await vscode.window.withProgress<CopyResult>(
      { location: vscode.ProgressLocation.Notification, title: `Copying ${source.connection.dbname} into ${where}`, cancellable: true },
      (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        let last = '';
        return prepared.run({
          signal: controller.signal,
          onEvent: (e) => {
            if (e.kind === 'output') log.tool(`${e.program}: ${e.line}`);
            else if (e.kind === 'error') log.error(`copy: ${formatRestoreError(e.error)}`);
            else if (e.kind === 'source-error') log.error(`copy (source): ${e.message}`);
            else if (e.kind === 'stage' && e.stage === 'checks') progress.report({ message: 'checking (ANALYZE, sequences, rows against the source)…' });
            else if (e.kind === 'progress') {
              const line = `${formatProgress(e.snapshot)}${e.streamedBytes > 0 ? ` — ${formatBytes(e.streamedBytes)} streamed` : ''}`;
              if (line !== last) progress.report({ message: (last = line) });
            }
          },
        }).catch(async (err: unknown) => {
          await job.failed(err);
          throw err;
        });
      },
    );
    const checks = result.postRestore ? describePostRestore(result.postRestore, 'the source') : [];
    for (const line of checks) log.info(`copy: ${line}`);
    for (const p of result.problems) log.error(`copy: ${p}`);
    const problems = [...result.problems, ...(result.postRestore?.problems ?? [])];
    const outcome = result.cancelled ? 'cancelled' : result.ok ? 'succeeded' : 'failed';
    const unchanged = prepared.engine === 'pipe' ? 'the target is as it was' : 'the target may be partly copied';
    const summary = result.cancelled
      ? `Copy cancelled: ${unchanged}.`
      : !result.ok
        ? `Copy into ${where} failed: ${firstError(result)}; ${unchanged}.`
        : `Copied ${result.entries} entries into ${where} in ${(result.durationMs / 1000).toFixed(1)} s${result.bytes > 0 ? ` (${formatBytes(result.bytes)})` : ''}${problems.length > 0 ? `, but the checks found ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${problems[0]}` : `; ${checks.find((l) => l.startsWith('rows:')) ?? 'checked'}`}.`;
    log.info(summary);
    await job.finish({ outcome, summary, ...(result.bytes > 0 ? { sizeBytes: result.bytes } : {}) });
    const show = result.ok && problems.length === 0 ? vscode.window.showInformationMessage : result.cancelled ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    void show(summary, 'Open Log').then((a) => a && this.services.log.show());
    return result;
  }

  /** The database to copy: a Connections view node's, one named by the request, or picked. */
  private async sourceOf(target: unknown, request: CopyRequest): Promise<CopySource | undefined> {
    const { connections } = this.services;
    if (request.source) {
      const connection = resolveText(request.source);
      return { name: connection.describe(), connection };
    }
    const node = target as ConnectionsNode | undefined;
    if (node?.type === 'database') {
      const connection = await connections.withConnection(node.profile, async (c) => c, { database: node.database });
      return { name: node.profile.name, connection };
    }
    const picked = await connections.pickTarget({ dumpKey: 'copy-source', title: 'Copy which database?' });
    return picked ? { name: picked.profileName, connection: picked.connection } : undefined;
  }
}

function firstError(r: CopyResult): string {
  const e = r.errors[0];
  if (e) return formatRestoreError(e);
  return r.sourceErrors[0] ?? r.problems[0] ?? 'see the log';
}
