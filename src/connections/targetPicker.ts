import * as vscode from 'vscode';
import type { ResolvedConnection } from '../core/connections/resolve';
import { createDatabase, databaseNameProblem, listDatabases } from '../core/server/server';
import { addConnection } from './addConnection';
import { CONNECTION_GROUPS, type ConnectionProfile, type ConnectionStore } from './connectionStore';
import { pickOne, showPick } from '../util/quickPick';

export interface PickTargetOptions {
  /** The dump the target is for (its URI string): its last target is offered first, and the pick remembered. */
  dumpKey?: string;
  /** The picker's title, e.g. `Restore 3 tables from rich.dump`. */
  title: string;
}

export interface PickedTarget {
  profileName: string;
  database: string;
  /** Resolved for `database`, with the password that worked, if one was typed. */
  connection: ResolvedConnection;
}

type ConnectionItem = vscode.QuickPickItem & ({ pick: 'last'; profile: ConnectionProfile; database: string } | { pick: 'connection'; profile: ConnectionProfile } | { pick: 'add' } | { pick: 'none' });

/**
 * Which connection, then which database: the last target of this dump first, then saved and
 * discovered connections, "Add connection…"; then the server's databases (the last used first),
 * "Create database…", or a name typed that does not exist yet. Every step shows host, port and
 * user. Undefined when the user cancels.
 */
export async function pickTarget(store: ConnectionStore, options: PickTargetOptions): Promise<PickedTarget | undefined> {
  const last = options.dumpKey !== undefined ? store.lastTarget(options.dumpKey) : undefined;
  const choice = await pickConnection(store, options.title, last);
  if (!choice) return undefined;
  let profile: ConnectionProfile | undefined;
  let database: string | undefined;
  if (choice.pick === 'last') {
    profile = choice.profile;
    database = choice.database;
  } else if (choice.pick === 'connection') {
    profile = choice.profile;
  } else if (choice.pick === 'add') {
    profile = await addConnection(store);
  }
  if (!profile) return undefined;
  if (database === undefined) {
    const preferred = last?.profile.id === profile.id ? last.database : undefined;
    database = await pickDatabase(store, profile, options.title, preferred);
    if (database === undefined) return undefined;
  }
  if (options.dumpKey !== undefined) await store.rememberTarget(options.dumpKey, profile, database);
  return { profileName: profile.name, database, connection: await store.resolve(profile, database) };
}

async function pickConnection(store: ConnectionStore, title: string, last: { profile: ConnectionProfile; database: string } | undefined): Promise<ConnectionItem | undefined> {
  const items: (ConnectionItem | vscode.QuickPickItem)[] = [];
  if (last) {
    items.push({
      label: `$(history) ${last.profile.name} / ${last.database}`,
      description: store.summary(last.profile).text,
      detail: 'Last used for this dump',
      pick: 'last',
      profile: last.profile,
      database: last.database,
    });
  }
  const all = store.all();
  for (const group of CONNECTION_GROUPS) {
    const members = all.filter((p) => p.source === group.source);
    if (members.length === 0) continue;
    items.push({ label: group.label, kind: vscode.QuickPickItemKind.Separator });
    for (const profile of members) {
      const summary = store.summary(profile);
      items.push({
        label: `$(database) ${profile.name}`,
        description: summary.text,
        detail: summary.error ?? profile.origin ?? (profile.params.dbname !== undefined ? `database ${profile.params.dbname}` : undefined),
        pick: 'connection',
        profile,
      });
    }
  }
  items.push({ label: '', kind: vscode.QuickPickItemKind.Separator }, { label: '$(add) Add connection…', pick: 'add' });
  const picked = await pickOne(items, { title, placeHolder: 'Which server? (host:port, user)', matchOnDescription: true, ignoreFocusOut: true });
  return picked && 'pick' in picked ? picked : undefined;
}

type DatabaseItem = vscode.QuickPickItem & { database?: string; create?: true };

async function pickDatabase(store: ConnectionStore, profile: ConnectionProfile, title: string, preferred: string | undefined): Promise<string | undefined> {
  const where = store.summary(profile).text;
  // Listed before the picker shows: a password box may be needed, and only one can show at a time.
  const names = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Listing the databases of ${profile.name} (${where})…` }, () =>
    store.withConnection(profile, listDatabases),
  );
  const first = preferred ?? profile.params.dbname;
  const ordered = first !== undefined && names.includes(first) ? [first, ...names.filter((n) => n !== first)] : names;
  const listed: DatabaseItem[] = ordered.map((name) => ({
    label: name,
    description: name === preferred ? 'last used for this dump' : name === profile.params.dbname ? "the connection's database" : undefined,
    database: name,
  }));
  const create: DatabaseItem = { label: '$(new-folder) Create database…', description: `on ${where}`, alwaysShow: true, create: true };

  const quickPick = vscode.window.createQuickPick<DatabaseItem>();
  quickPick.title = `${title}: database on ${where}`;
  quickPick.placeholder = 'Pick a database, or type the name of one to create';
  quickPick.ignoreFocusOut = true;
  const update = () => {
    const typed = quickPick.value.trim();
    const unlisted: DatabaseItem[] =
      typed !== '' && !names.includes(typed) && databaseNameProblem(typed) === undefined
        ? [{ label: `$(add) Use a database that does not exist yet: ${typed}`, description: `on ${where}`, alwaysShow: true, database: typed }]
        : [];
    quickPick.items = [...unlisted, ...listed, create];
  };
  update();
  quickPick.onDidChangeValue(update);
  const picked = await showPick(quickPick, () => {
    const item = quickPick.selectedItems[0];
    return item && { item, typed: quickPick.value.trim() };
  });
  if (!picked) return undefined;
  if (!picked.item.create) return picked.item.database;
  return createDatabaseFor(store, profile, names.includes(picked.typed) ? '' : picked.typed);
}

/**
 * Asks a name (showing host and port), creates the database and says so. Returns the name, or
 * undefined when the user cancelled.
 */
export async function createDatabaseFor(store: ConnectionStore, profile: ConnectionProfile, suggestion = '', given?: string): Promise<string | undefined> {
  const where = store.summary(profile).text;
  const name =
    given ??
    (await vscode.window.showInputBox({
      title: `Create Database on ${profile.name}`,
      prompt: `A new, empty database on ${where} (from template0)`,
      value: suggestion,
      ignoreFocusOut: true,
      validateInput: (v) => (v === '' ? undefined : databaseNameProblem(v)),
    }));
  if (name === undefined || name === '') return undefined;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating database "${name}" on ${where}…` }, () =>
    store.withConnection(profile, (connection) => createDatabase(connection, name), { done: () => `Created database "${name}" on ${where}` }),
  );
  return name;
}
