import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { looksLikeConnectionString } from '../core/connections/conninfo';
import { resolveConnection, type ResolvedConnection } from '../core/connections/resolve';
import { readLiveDatabase } from '../core/server/liveObjects';
import type { ConnectionsNode } from '../views/connectionsTree';
import type { Services } from '../services';
import { ensureTrusted } from '../util/trust';
import { ClusterDumpCommands } from './clusterCommands';
import { DumpPanel } from './dumpPanel';
import { DumpSession, type DumpSource } from './dumpSession';

/** What a caller may pass instead of answering the pickers (tests, other commands). */
export interface DumpRequest {
  /** A connection string or URI naming the database to dump. */
  connection?: string;
  name?: string;
  /** Where the dump goes, instead of the default beside the workspace. */
  path?: string;
}

export type DumpServices = Pick<Services, 'context' | 'log' | 'config' | 'connections' | 'dumpCommands' | 'tree' | 'copy'> & Partial<Pick<Services, 'history'>>;

/** `Dump Database…`: trust first, the database (a Connections view node, or picked), then the dump panel. */
export class DumpCommands {
  private readonly sessions = new Set<{ session: DumpSession; panel: DumpPanel }>();
  /** Dump Roles and Tablespaces…, Dump Cluster…: on a server rather than one database. */
  readonly cluster: ClusterDumpCommands;

  constructor(private readonly services: DumpServices) {
    this.cluster = new ClusterDumpCommands(services, (target, request) => this.serverOf(target, request));
  }

  /** A server: a Connections view node's (its connection's database), one named by the request, or picked. */
  private async serverOf(target: unknown, request: { connection?: string }): Promise<{ name: string; connection: ResolvedConnection } | undefined> {
    const node = target as ConnectionsNode | undefined;
    if (!request.connection && node?.type === 'connection') {
      const connection = await this.services.connections.withConnection(node.profile, async (c) => c);
      return { name: node.profile.name, connection };
    }
    const source = await this.sourceOf(target, request);
    return source && { name: source.name, connection: source.connection };
  }

  async dumpDatabase(target: unknown, request: DumpRequest = {}): Promise<DumpSession | undefined> {
    if (!(await ensureTrusted('Dumping runs pg_dump against your server, so it needs a trusted workspace. Inspecting dumps works without trust.'))) return undefined;
    const source = await this.sourceOf(target, request);
    if (!source) return undefined;
    const live = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Reading what ${source.database} holds…` }, () => readLiveDatabase(source.connection));
    const session = new DumpSession(source, live, request.path ?? defaultDumpPath(source.database), {
      log: this.services.log,
      config: this.services.config,
      ...(this.services.history ? { history: this.services.history } : {}),
      // In the Dumps view only: its summary would take the place of the panel showing the result.
      openDump: async (file) => {
        for (const opened of await this.services.dumpCommands.open(vscode.Uri.file(file), undefined)) await this.services.tree.revealDump(opened);
      },
    });
    const panel = new DumpPanel(this.services.context.extensionUri, session, {
      choosePath: async () => {
        const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(session.state().path), title: `Dump ${source.database} to…`, saveLabel: 'Dump Here' });
        if (uri) session.setPath(uri.fsPath);
      },
      openLog: () => this.services.log.show(),
      // Copy Selected To…: the ticked schemas and tables, with what they need, into another database.
      copyTo: async () => {
        const selection = session.copySelection();
        await this.services.copy.copy({ name: source.name, connection: source.connection }, selection, session.copyOptions());
      },
    });
    const entry = { session, panel };
    this.sessions.add(entry);
    panel.onDidClose(() => {
      this.sessions.delete(entry);
      session.dispose();
    });
    return session;
  }

  /** The database to dump: a Connections view node's, one named by the request, or picked. */
  private async sourceOf(target: unknown, request: DumpRequest): Promise<DumpSource | undefined> {
    const { connections } = this.services;
    if (request.connection) {
      const connection = resolveConnection(looksLikeConnectionString(request.connection) ? request.connection : { dbname: request.connection });
      return { name: request.name ?? connection.describe(), database: connection.dbname, connection };
    }
    const node = target as ConnectionsNode | undefined;
    if (node?.type === 'database') {
      const connection = await connections.withConnection(node.profile, async (c) => c, { database: node.database });
      return { name: node.profile.name, database: node.database, connection };
    }
    const picked = await connections.pickTarget({ dumpKey: 'dump-source', title: 'Dump which database?' });
    return picked ? { name: picked.profileName, database: picked.database, connection: picked.connection } : undefined;
  }

  dispose(): void {
    for (const { session, panel } of this.sessions) {
      panel.dispose();
      session.dispose();
    }
    this.sessions.clear();
  }
}

/** `<database>-<yyyymmdd-hhmm>.dump` in the first workspace folder (the home folder without one). */
export function defaultDumpPath(database: string, now = new Date()): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir();
  const stamp = now.toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  return path.join(folder, `${database.replace(/[^\w.-]+/g, '_')}-${stamp}.dump`);
}
