import * as vscode from 'vscode';
import { formatConninfo } from '../core/connections/conninfo';
import { parseProfileInput, type SplitParams } from '../core/connections/profile';
import { DumpError } from '../core/errors';
import { describeServer, testConnection, type ServerInfo } from '../core/server/server';
import type { Log } from '../log';
import type { ConnectionsNode, ConnectionsTree } from '../views/connectionsTree';
import { addConnection, askConnectionString, askName } from './addConnection';
import type { ConnectionProfile, ConnectionStore } from './connectionStore';
import { createDatabaseFor } from './targetPicker';
import { pickOne } from '../util/quickPick';

/** What Edit Connection takes instead of asking: a new name, connection string or password (null forgets it). */
export interface EditConnectionArgs {
  name?: string;
  connectionString?: string;
  password?: string | null;
}

/**
 * The Connections commands. Each runs on a tree node, a connection's id or saved name, or asks
 * which connection; arguments stand in for the dialogs (scripts, tests), which are the normal path.
 */
export class ConnectionCommands {
  constructor(
    private readonly store: ConnectionStore,
    private readonly tree: ConnectionsTree,
    private readonly log: Log,
  ) {}

  add(args?: unknown): Promise<ConnectionProfile | undefined> {
    return addConnection(this.store, args);
  }

  async edit(target: unknown, changes?: unknown): Promise<ConnectionProfile | undefined> {
    const profile = await this.profileOf(target, 'Edit which connection?', true);
    if (!profile) return undefined;
    const edit = isEditArgs(changes) ? fromArgs(changes) : await this.askEdit(profile);
    if (!edit) return undefined;
    if (edit.password === null) await this.store.setStoredPassword(profile.id, undefined);
    const split: SplitParams = edit.split ?? { params: { ...profile.params }, secrets: {} };
    if (typeof edit.password === 'string' && edit.password !== '') split.secrets.password = edit.password;
    const saved = await this.store.save({ name: edit.name ?? profile.name, params: split.params, secrets: split.secrets }, profile.id);
    void vscode.window.showInformationMessage(`Saved connection "${saved.name}" (${this.store.summary(saved).text}).`);
    return saved;
  }

  private async askEdit(profile: ConnectionProfile): Promise<Edit | undefined> {
    type Choice = vscode.QuickPickItem & { choice: 'rename' | 'string' | 'password' | 'forget' };
    const choices: Choice[] = [
      { label: '$(edit) Rename…', description: profile.name, choice: 'rename' },
      { label: '$(link) Change the connection string…', description: formatConninfo(profile.params), choice: 'string' },
      { label: '$(key) Set the password…', description: "kept in VS Code's secret storage", choice: 'password' },
    ];
    if (await this.store.hasStoredPassword(profile.id)) choices.push({ label: '$(trash) Forget the saved password', description: 'then ~/.pgpass or PGPASSWORD, or asked when needed', choice: 'forget' });
    const picked = await pickOne(choices, { title: `Edit "${profile.name}" (${this.store.summary(profile).text})` });
    switch (picked?.choice) {
      case 'rename': {
        const name = await askName(this.store, profile.name, profile);
        return name === undefined ? undefined : { name };
      }
      case 'string': {
        const split = await askConnectionString(formatConninfo(profile.params), `Edit "${profile.name}": URI or connection string`);
        return split ? { split } : undefined;
      }
      case 'password': {
        const password = await vscode.window.showInputBox({ title: `Password of "${profile.name}"`, prompt: `For ${this.store.summary(profile).text}; kept in VS Code's secret storage`, password: true, ignoreFocusOut: true });
        return password === undefined || password === '' ? undefined : { password };
      }
      case 'forget':
        return { password: null };
      default:
        return undefined;
    }
  }

  async remove(target: unknown, options?: unknown): Promise<boolean> {
    const profile = await this.profileOf(target, 'Remove which connection?', true);
    if (!profile) return false;
    const confirmed = (options as { confirmed?: unknown } | undefined)?.confirmed === true;
    if (!confirmed) {
      const answer = await vscode.window.showWarningMessage(
        `Remove connection "${profile.name}" (${this.store.summary(profile).text})? Its saved password is removed too. No database is changed.`,
        { modal: true },
        'Remove',
      );
      if (answer !== 'Remove') return false;
    }
    await this.store.remove(profile.id);
    return true;
  }

  async test(target: unknown): Promise<ServerInfo | undefined> {
    const profile = await this.profileOf(target, 'Test which connection?');
    if (!profile) return undefined;
    const database = (target as ConnectionsNode | undefined)?.type === 'database' ? (target as { database: string }).database : undefined;
    const info = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Testing "${profile.name}" (${this.store.summary(profile).text})…` },
      () => this.store.withConnection(profile, testConnection, { database, done: describeServer }),
    );
    this.log.info(`test of "${profile.name}": ${describeServer(info)}`);
    return info;
  }

  async createDatabase(target: unknown, name?: unknown): Promise<string | undefined> {
    const profile = await this.profileOf(target, 'Create a database on which server?');
    if (!profile) return undefined;
    const created = await createDatabaseFor(this.store, profile, '', typeof name === 'string' ? name : undefined);
    if (created !== undefined) {
      this.log.info(`created database "${created}" on ${this.store.summary(profile).text}`);
      this.tree.refresh();
    }
    return created;
  }

  refresh(): void {
    this.store.refresh();
  }

  /** The connection a command runs on: a tree node's, one named by id or saved name, or the one the user picks. */
  private async profileOf(target: unknown, question: string, savedOnly = false): Promise<ConnectionProfile | undefined> {
    let profile: ConnectionProfile | undefined;
    if (typeof target === 'string') {
      profile = this.store.get(target);
      if (!profile) throw new DumpError('not-found', `no connection "${target}": add it first (Add Connection…)`);
    } else if (target !== null && typeof target === 'object' && 'profile' in target) {
      profile = (target as { profile: ConnectionProfile }).profile;
    }
    if (!profile) {
      const candidates = savedOnly ? this.store.saved() : this.store.all();
      if (candidates.length === 0) throw new DumpError('not-found', savedOnly ? 'no saved connection: add one first (Add Connection…)' : 'no connection: add one first (Add Connection…)');
      const picked = await pickOne(
        candidates.map((p) => ({ label: p.name, description: this.store.summary(p).text, detail: p.origin, profile: p })),
        { title: question, matchOnDescription: true },
      );
      profile = picked?.profile;
    }
    if (profile && savedOnly && profile.kind !== 'saved') throw new DumpError('usage', `"${profile.name}" is not a saved connection (it comes from ${profile.origin ?? 'elsewhere'}): save it first`);
    return profile;
  }
}

/** An edit to apply: parameters from a new connection string, a name, a password (null: forget it). */
interface Edit {
  name?: string;
  split?: SplitParams;
  password?: string | null;
}

function fromArgs(args: EditConnectionArgs): Edit {
  const edit: Edit = {};
  if (args.name !== undefined) edit.name = args.name;
  if (args.connectionString !== undefined) edit.split = parseProfileInput(args.connectionString);
  if (args.password !== undefined) edit.password = args.password;
  return edit;
}

function isEditArgs(value: unknown): value is EditConnectionArgs {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && ('name' in value || 'connectionString' in value || 'password' in value);
}
