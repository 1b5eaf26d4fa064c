import * as vscode from 'vscode';
import type { ConnParams } from '../core/connections/conninfo';
import { checkProfileParams, parseProfileInput, splitSecrets, suggestProfileName, type SplitParams } from '../core/connections/profile';
import { DumpError, oneLine } from '../core/errors';
import type { ConnectionProfile, ConnectionStore } from './connectionStore';
import { pickOne } from '../util/quickPick';

/**
 * What `pgDumpExplorer.connections.add` accepts instead of asking (for scripts and tests): a
 * `postgresql://` URI or `keyword=value` string, or an object with one of them, or fields.
 */
export type AddConnectionArgs =
  | string
  | {
      name?: string;
      connectionString?: string;
      params?: ConnParams;
      password?: string;
      /** Save this discovered connection (its id, e.g. `service:prod`). */
      discoveredId?: string;
    };

const SSL_MODES = [
  { label: 'prefer', detail: 'TLS when the server offers it (libpq default; node-postgres connects without TLS then)' },
  { label: 'disable', detail: 'never TLS' },
  { label: 'require', detail: 'TLS, without checking the certificate' },
  { label: 'verify-ca', detail: 'TLS, the certificate signed by a trusted authority' },
  { label: 'verify-full', detail: 'TLS, the certificate signed and naming the host' },
  { label: 'allow', detail: 'plain first, TLS if the server insists' },
];

/**
 * Adds a connection: from the arguments when given, otherwise by asking (a URI or connection
 * string, fields, or one found on this machine). Returns the saved profile, or undefined when
 * the user cancelled. Errors are one-line DumpErrors.
 */
export async function addConnection(store: ConnectionStore, args?: unknown): Promise<ConnectionProfile | undefined> {
  const given = fromArgs(store, args);
  if (given) return saveAndSay(store, given.name, given.split);

  const discovered = store.discovered().candidates;
  type Way = vscode.QuickPickItem & { way: 'string' | 'fields' | 'discovered' };
  const ways: Way[] = [
    { label: '$(link) From a URI or connection string…', detail: 'postgresql://user@host:5432/dbname, or host=… port=… dbname=…', way: 'string' },
    { label: '$(list-flat) From fields…', detail: 'host, port, user, database, sslmode, password', way: 'fields' },
  ];
  if (discovered.length > 0) ways.push({ label: '$(search) Save a connection found on this machine…', detail: discovered.map((c) => c.name).join(', '), way: 'discovered' });
  const way = await pickOne(ways, { title: 'Add Connection', placeHolder: 'How do you want to give the connection?' });
  if (!way) return undefined;
  if (way.way === 'discovered') {
    const picked = await pickOne(
      discovered.map((c) => ({ label: c.name, description: store.summary(c).text, detail: c.origin, profile: c })),
      { title: 'Add Connection: save a connection found on this machine', matchOnDescription: true },
    );
    return picked ? saveDiscovered(store, picked.profile) : undefined;
  }
  const split = way.way === 'string' ? await askConnectionString() : await askFields();
  if (!split) return undefined;
  const name = await askName(store, suggestProfileName(split.params));
  return name === undefined ? undefined : saveAndSay(store, name, split);
}

/** Saves a discovered connection as it is (a service stays a service reference). */
export async function saveDiscovered(store: ConnectionStore, profile: ConnectionProfile): Promise<ConnectionProfile> {
  return saveAndSay(store, store.freeName(profile.name), { params: { ...profile.params }, secrets: {} });
}

function fromArgs(store: ConnectionStore, args: unknown): { name: string; split: SplitParams } | undefined {
  if (args === undefined || args === null) return undefined;
  const named = (split: SplitParams, name?: string) => ({ name: name ?? store.freeName(suggestProfileName(split.params)), split });
  if (typeof args === 'string') return named(parseProfileInput(args));
  if (typeof args !== 'object') throw new DumpError('usage', 'Add Connection takes a connection string or { name, connectionString | params, password }');
  const a = args as Exclude<AddConnectionArgs, string> & { profile?: ConnectionProfile };
  // A tree node or a discovered id: save that one.
  const discovered = a.profile?.kind === 'discovered' ? a.profile : a.discoveredId !== undefined ? store.get(a.discoveredId) : undefined;
  if (discovered) return { name: a.name ?? store.freeName(discovered.name), split: { params: { ...discovered.params }, secrets: {} } };
  if (a.discoveredId !== undefined) throw new DumpError('not-found', `no connection "${a.discoveredId}" was found on this machine`);
  let split: SplitParams;
  if (a.connectionString !== undefined) split = parseProfileInput(a.connectionString);
  else if (a.params !== undefined) {
    split = splitSecrets(a.params);
    checkProfileParams(split);
  } else return undefined;
  if (a.password !== undefined && a.password !== '') split.secrets.password = a.password;
  return named(split, a.name);
}

async function saveAndSay(store: ConnectionStore, name: string, split: SplitParams): Promise<ConnectionProfile> {
  const profile = await store.save({ name, params: split.params, secrets: split.secrets });
  const where = store.summary(profile).text;
  const secret = split.secrets.password !== undefined ? " Its password is in VS Code's secret storage, not in settings." : '';
  void vscode.window.showInformationMessage(`Saved connection "${profile.name}" (${where}).${secret}`);
  return profile;
}

/** A URI or keyword=value string, checked as the user types. */
export async function askConnectionString(value?: string, title = 'Add Connection: URI or connection string'): Promise<SplitParams | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt: 'A postgresql:// URI or keyword=value pairs. A password in it is moved to VS Code\'s secret storage.',
    placeHolder: 'postgresql://user@host:5432/dbname',
    value,
    ignoreFocusOut: true,
    validateInput: (v) => problemOf(() => parseProfileInput(v)),
  });
  return text === undefined ? undefined : parseProfileInput(text);
}

async function askFields(): Promise<SplitParams | undefined> {
  const title = 'Add Connection: fields';
  const ask = (prompt: string, options: vscode.InputBoxOptions = {}) => vscode.window.showInputBox({ title, prompt, ignoreFocusOut: true, ...options });
  const host = await ask('Host name, IP address or socket directory', { value: 'localhost' });
  if (host === undefined) return undefined;
  const port = await ask('Port', { value: '5432', validateInput: (v) => (/^\s*\d*\s*$/.test(v) ? undefined : 'a port is a number, such as 5432') });
  if (port === undefined) return undefined;
  const user = await ask('User name', { placeHolder: 'empty: PGUSER, else your operating system user name' });
  if (user === undefined) return undefined;
  const dbname = await ask('Database', { placeHolder: 'empty: PGDATABASE, else the same as the user name' });
  if (dbname === undefined) return undefined;
  const sslmode = await pickOne(SSL_MODES, { title, placeHolder: 'sslmode', ignoreFocusOut: true });
  if (!sslmode) return undefined;
  const password = await ask('Password (kept in VS Code\'s secret storage)', { password: true, placeHolder: 'empty: none, or the one ~/.pgpass or PGPASSWORD gives' });
  if (password === undefined) return undefined;
  const split = splitSecrets({ host: host.trim(), port: port.trim(), user: user.trim(), dbname: dbname.trim(), sslmode: sslmode.label, password });
  checkProfileParams(split);
  return split;
}

/** A name no other saved connection has. */
export async function askName(store: ConnectionStore, suggestion: string, current?: ConnectionProfile): Promise<string | undefined> {
  const taken = new Set(store.saved().filter((p) => p.id !== current?.id).map((p) => p.name));
  const name = await vscode.window.showInputBox({
    title: current ? `Rename "${current.name}"` : 'Add Connection: name',
    prompt: 'A name for the connection',
    value: current ? current.name : store.freeName(suggestion),
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'give a name' : taken.has(v.trim()) ? `a connection named "${v.trim()}" exists already` : undefined),
  });
  return name?.trim();
}

function problemOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    return oneLine(err);
  }
}
