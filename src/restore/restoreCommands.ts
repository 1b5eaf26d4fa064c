import * as vscode from 'vscode';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { OpenCluster, type OpenDump } from '../dumps/openDumps';
import { DumpError, oneLine } from '../core/errors';
import { outcomeOf } from '../core/history/jobHistory';
import { JobRun } from '../core/history/jobRun';
import { restoreRoles, rolesPreflight, type RolesResult } from '../core/restore/rolesRestore';
import { toAbortSignal } from '../util/cancellation';
import { plural } from '../core/units';
import { RestorePanel } from './restorePanel';
import { RestoreSession, type RestoreServices, type RestoreTarget } from './restoreSession';
import { pickOne } from '../util/quickPick';
import { ensureTrusted } from '../util/trust';

/**
 * `Restore Selected…`: trust first, the dump, what is picked, where to (the connection and
 * database), then the restore panel. One session (and panel) per dump.
 */

/** What a caller may pass instead of answering the pickers (tests, other commands). */
export interface RestoreRequest {
  dumpKey?: string;
  /** A connection string or URI, or a resolved connection, instead of the target picker. */
  target?: { connection: string | ResolvedConnection; name?: string };
}

export class RestoreCommands {
  private readonly sessions = new Map<string, { session: RestoreSession; panel: RestorePanel | undefined }>();

  constructor(private readonly services: RestoreServices) {}

  /** The open session of a dump, if any. */
  session(dumpKey: string): RestoreSession | undefined {
    return this.sessions.get(dumpKey)?.session;
  }

  async restoreSelected(arg: unknown): Promise<RestoreSession | undefined> {
    if (!(await this.trusted())) return undefined;
    const dump = await this.dumpFor(arg);
    if (!dump) return undefined;
    if (dump.picks.count === 0 && !(await this.pickEverything(dump))) return undefined;

    const known = this.sessions.get(dump.key);
    if (known) {
      this.showPanel(dump.key);
      return known.session;
    }
    const request = (arg ?? {}) as RestoreRequest;
    const target = request.target ? this.explicitTarget(request.target) : await this.askTarget(dump);
    if (!target) return undefined;
    const session = new RestoreSession(this.services, dump, target);
    this.sessions.set(dump.key, { session, panel: undefined });
    this.showPanel(dump.key);
    return session;
  }

  /**
   * The dump to restore: the one the command was run on; else (the view's title button with no
   * row focused, the palette) the one with picks, asked among those when several have some.
   */
  private async dumpFor(arg: unknown): Promise<OpenDump | undefined> {
    const named = arg instanceof vscode.Uri || typeof (arg as { dumpKey?: unknown } | undefined)?.dumpKey === 'string';
    const picked = named ? [] : this.services.dumps.list().filter((d) => d.picks.count > 0);
    if (picked.length === 1) return picked[0];
    if (picked.length > 1) {
      const choice = await pickOne(
        picked.map((d) => ({ label: d.label, description: `${plural(d.picks.count, 'object')} picked`, detail: vscode.workspace.asRelativePath(d.uri), dump: d })),
        { title: 'Restore Selected…', placeHolder: 'Restore what is picked in which dump?' },
      );
      return choice?.dump;
    }
    return this.services.dumpCommands.resolve(arg);
  }

  private showPanel(key: string): void {
    const entry = this.sessions.get(key);
    if (!entry) return;
    if (entry.panel) {
      entry.panel.reveal();
      return;
    }
    const { session } = entry;
    const panel = new RestorePanel(this.services.context.extensionUri, session, {
      changeTarget: async () => {
        const target = await this.askTarget(session.dump);
        if (target) session.setTarget(target);
      },
      reveal: async (dumpId) => {
        await vscode.commands.executeCommand('pgDumpExplorer.entry.reveal', { dumpKey: session.dump.key, dumpId });
      },
      openLog: () => this.services.log.show(),
      showList: async () => {
        const doc = await vscode.workspace.openTextDocument({ content: session.restoreList(), language: 'plaintext' });
        await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
      },
    });
    entry.panel = panel;
    panel.onDidClose(() => {
      entry.panel = undefined;
      this.sessions.delete(key);
      session.dispose();
    });
  }

  /**
   * `Restore Roles Only…` on a cluster dump (a pg_dumpall script, or a cluster folder's globals.sql): the roles the target lacks, with their settings and
   * memberships, in one transaction; roles it has are left as they are, and the confirmation says
   * which.
   */
  async rolesOnly(arg: unknown): Promise<RolesResult | undefined> {
    if (!(await this.trusted())) return undefined;
    const cluster = await this.clusterOf(arg);
    if (!cluster) return undefined;
    if (cluster.index.roles.length === 0) throw new DumpError('usage', `${cluster.label} creates no roles`);
    const request = (arg ?? {}) as RestoreRequest & { confirmed?: boolean };
    const target = request.target
      ? this.explicitTarget(request.target)
      : await this.pickTargetFor(cluster.key, `Restore the ${plural(cluster.index.roles.length, 'role')} of ${cluster.label} into… (roles are cluster-wide: any database of the server will do)`);
    if (!target) return undefined;
    const { log, config } = this.services;
    const plan = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Checking the roles the target has' }, () => rolesPreflight(cluster.index, target.connection));
    const where = plan.target.where.replace(/\/[^/]*$/, '');
    for (const line of plan.leftOut) log.info(`roles of ${cluster.label} into ${where}: ${line}`);
    if (plan.create.length === 0) {
      void vscode.window.showInformationMessage(`Every role of ${cluster.label} exists on ${where} already: nothing to restore (${plan.existing.join(', ')}).`);
      return undefined;
    }
    if (!plan.target.canCreateRoles) throw new DumpError('usage', `${plan.target.user} may not create roles on ${where}: connect as a superuser or a role with CREATEROLE`);
    if (!request.confirmed) {
      const detail = [
        `Connected as ${plan.target.user}${plan.target.isSuperuser ? ' (superuser)' : ''} to PostgreSQL ${plan.target.serverVersion}.`,
        'In one transaction: if a statement fails, or you cancel, no role is created.',
        ...plan.leftOut.map((l) => `Left out: ${l}.`),
      ].join('\n');
      const answer = await vscode.window.showWarningMessage(`Create ${plural(plan.create.length, 'role')} (${plan.create.join(', ')}) of ${cluster.label} on ${where}?`, { modal: true, detail }, 'Create Roles');
      if (answer !== 'Create Roles') return undefined;
    }
    const job = new JobRun(this.services.history, { kind: 'restore', source: `the roles of ${cluster.label}`, target: where, file: cluster.uri.fsPath }, log);
    let result: RolesResult;
    try {
      result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating roles on ${where}`, cancellable: true }, (_progress, token) =>
        restoreRoles(cluster.index, plan, target.connection, {
          signal: toAbortSignal(token),
          ...(config.psqlPath ? { psqlPath: config.psqlPath } : {}),
          onOutput: (line) => job.log.tool(line),
        }),
      );
    } catch (err) {
      job.log.error(`roles of ${cluster.label} into ${where}: ${oneLine(err)}`);
      await job.failed(err);
      throw err;
    }
    job.log.info(`ran: ${result.command}`);
    const created = `Created ${plural(plan.create.length, 'role')} on ${where}: ${plan.create.join(', ')}.`;
    const cancelled = `Cancelled: no role was created on ${where}.`;
    const failed = `Creating the roles on ${where} failed: ${result.errors[0]?.message.split('\n')[0] ?? 'psql failed'}. No role was created.`;
    if (!result.ok && !result.cancelled) for (const e of result.errors) job.log.error(`${e.line !== undefined ? `line ${e.line}: ` : ''}${e.message}`);
    await job.finish({ outcome: outcomeOf(result), summary: result.ok ? created : result.cancelled ? cancelled : failed });
    if (result.ok) void vscode.window.showInformationMessage(created);
    else if (result.cancelled) void vscode.window.showWarningMessage(cancelled);
    else {
      const answer = await vscode.window.showErrorMessage(failed, 'Open Log');
      if (answer) log.show();
    }
    return result;
  }

  private async clusterOf(arg: unknown): Promise<OpenCluster | undefined> {
    const key = (arg as { clusterKey?: unknown } | undefined)?.clusterKey;
    if (typeof key === 'string') return this.services.dumps.getCluster(key);
    if (arg instanceof vscode.Uri) {
      const opened = await this.services.dumps.open(arg);
      if (opened instanceof OpenCluster) return opened;
      throw new DumpError('usage', `${opened.label} is the dump of one database: Restore Roles Only… takes a pg_dumpall script or a cluster folder`);
    }
    const open = this.services.dumps.roots().filter((r): r is OpenCluster => r instanceof OpenCluster);
    if (open.length === 1) return open[0];
    if (open.length === 0) throw new DumpError('usage', 'open a pg_dumpall script (cluster or globals-only dump) or a cluster folder in the Dumps view first');
    return (await pickOne(open.map((c) => ({ label: c.label, cluster: c })), { placeHolder: 'Which cluster dump?' }))?.cluster;
  }

  /** Restoring runs client programs and changes a database: only in a trusted workspace. */
  private trusted(): Promise<boolean> {
    return ensureTrusted('Restoring runs pg_restore or psql and changes a database, so it needs a trusted workspace. Inspecting dumps works without trust.');
  }

  private async pickEverything(dump: OpenDump): Promise<boolean> {
    const answer = await vscode.window.showInformationMessage(`Nothing is ticked in ${dump.label}. Restore all of it, or tick the objects to restore in the Dumps view first.`, { modal: true }, 'Restore All of It');
    if (answer !== 'Restore All of It') return false;
    for (const root of dump.outline.roots) dump.picks.set(root, true);
    this.services.dumps.picksDidChange(dump);
    return true;
  }

  private explicitTarget(t: NonNullable<RestoreRequest['target']>): RestoreTarget {
    const connection = typeof t.connection === 'string' ? resolveConnection(looksLikeConnectionString(t.connection) ? t.connection : { dbname: t.connection }) : t.connection;
    return { name: t.name ?? connection.describe(), database: connection.dbname, connection };
  }

  /** The connection and database, through the Connections picker (the dump's last target first). */
  private askTarget(dump: OpenDump): Promise<RestoreTarget | undefined> {
    return this.pickTargetFor(dump.key, `Restore ${plural(dump.picks.count, 'object')} from ${dump.label} into…`);
  }

  private async pickTargetFor(dumpKey: string, title: string): Promise<RestoreTarget | undefined> {
    const picked = await this.services.connections.pickTarget({ dumpKey, title });
    return picked ? { name: picked.profileName, database: picked.database, connection: picked.connection } : undefined;
  }

  dispose(): void {
    for (const { session, panel } of this.sessions.values()) {
      panel?.dispose();
      session.dispose();
    }
    this.sessions.clear();
  }
}
