import * as vscode from 'vscode';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import type { OpenDump } from '../dumps/openDumps';
import { plural } from '../util/format';
import { RestorePanel } from './restorePanel';
import { RestoreSession, type RestoreServices, type RestoreTarget } from './restoreSession';

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
      const choice = await vscode.window.showQuickPick(
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

  /** Restoring runs client programs and changes a database: only in a trusted workspace. */
  private async trusted(): Promise<boolean> {
    if (vscode.workspace.isTrusted) return true;
    const answer = await vscode.window.showWarningMessage(
      'Restoring runs pg_restore or psql and changes a database, so it needs a trusted workspace. Inspecting dumps works without trust.',
      { modal: true },
      'Manage Workspace Trust',
    );
    if (answer) await vscode.commands.executeCommand('workbench.trust.manage');
    return false;
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
  private async askTarget(dump: OpenDump): Promise<RestoreTarget | undefined> {
    const picked = await this.services.connections.pickTarget({ dumpKey: dump.key, title: `Restore ${plural(dump.picks.count, 'object')} from ${dump.label} into…` });
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
