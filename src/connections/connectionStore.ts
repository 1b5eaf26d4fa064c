import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { ConnParams } from '../core/connections/conninfo';
import { discoverConnections, type CandidateSource } from '../core/connections/discover';
import { connectionSummary, resolveProfile, splitSecrets } from '../core/connections/profile';
import type { ResolvedConnection } from '../core/connections/resolve';
import { DumpError, oneLine } from '../core/errors';
import { passwordProblem } from '../core/server/server';
import type { Log } from '../log';
import { Disposable } from '../util/disposable';
import { StoredValue } from '../util/storedValue';
import { pickTarget, type PickTargetOptions, type PickedTarget } from './targetPicker';

export type { PickTargetOptions, PickedTarget } from './targetPicker';

/**
 * A connection the user can pick: one they saved (a profile), or one they already have
 * elsewhere (a service, a ~/.pgpass host, the PG* environment), listed beside the saved ones and
 * not saved until they save it.
 */
export interface ConnectionProfile {
  /** Saved: made when it was saved. Discovered: the candidate's id (`service:prod`, `environment`, …). */
  readonly id: string;
  readonly name: string;
  readonly kind: 'saved' | 'discovered';
  /** Where a discovered one comes from; `saved` for saved ones. */
  readonly source: 'saved' | CandidateSource;
  /** libpq parameters, never a secret: resolved with libpq's rules (service, PG*, ~/.pgpass, defaults). */
  readonly params: Readonly<ConnParams>;
  /** Where a discovered one was found, in words (`service file "…"`); undefined for saved ones. */
  readonly origin: string | undefined;
}

/** How pickers and the view group connections, in their order: saved first, then by where they were found. */
export const CONNECTION_GROUPS: readonly { source: ConnectionProfile['source']; label: string }[] = [
  { source: 'saved', label: 'Saved connections' },
  { source: 'service', label: 'From pg_service.conf' },
  { source: 'pgpass', label: 'From ~/.pgpass' },
  { source: 'environment', label: 'From the environment' },
];

export interface NewProfile {
  name: string;
  /** Parameters; any secret among them (password, sslpassword, …) goes to SecretStorage, not to globalState. */
  params: ConnParams;
  /** Secrets to keep in SecretStorage. */
  secrets?: ConnParams;
}

/** What globalState holds per profile: no secrets, ever. */
interface StoredProfile {
  id: string;
  name: string;
  params: ConnParams;
}

interface LastTarget {
  connectionId: string;
  database: string;
  /** Milliseconds since the epoch, to keep the newest when trimming. */
  at: number;
}

const PROFILES_KEY = 'pgDumpExplorer.connections';
const LAST_TARGETS_KEY = 'pgDumpExplorer.lastTargets';
/** Dumps whose last target is remembered; the oldest are forgotten first. */
const MAX_LAST_TARGETS = 200;

/** The SecretStorage key of a saved connection's secrets. */
export function secretKeyOf(profileId: string): string {
  return `pgDumpExplorer.connection.${profileId}`;
}

function readProfiles(stored: unknown): StoredProfile[] {
  if (!Array.isArray(stored)) return [];
  return stored
    .filter((p): p is StoredProfile => typeof p?.id === 'string' && typeof p?.name === 'string' && typeof p?.params === 'object' && p.params !== null)
    .map((p) => ({ id: p.id, name: p.name, params: splitSecrets(p.params).params }));
}

function readLastTargets(stored: unknown): Record<string, LastTarget> {
  return stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? (stored as Record<string, LastTarget>) : {};
}

/**
 * Saved connection profiles (globalState), their secrets (SecretStorage, keyed by profile id),
 * the connections discovered on this machine, and the last target picked for each dump. Every
 * connection is resolved with libpq's rules; a password the server asks for and nobody has is
 * asked of the user, and kept in SecretStorage if they want.
 */
export class ConnectionStore extends Disposable {
  private readonly profiles: StoredValue<StoredProfile[]>;
  private readonly lastTargets: StoredValue<Record<string, LastTarget>>;
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  private discovery: { candidates: ConnectionProfile[]; notes: string[] } | undefined;
  /** Passwords typed in this session, by profile id: asked once, not again at every expand. */
  private readonly typedPasswords = new Map<string, string>();

  /** A connection was saved, changed or removed, or discovery ran again. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Log,
  ) {
    super();
    this.profiles = new StoredValue(context.globalState, PROFILES_KEY, [], readProfiles);
    this.lastTargets = new StoredValue(context.globalState, LAST_TARGETS_KEY, {}, readLastTargets);
  }

  /** The saved connections, in the order they were saved. */
  saved(): ConnectionProfile[] {
    return this.profiles.get().map((p) => ({ id: p.id, name: p.name, kind: 'saved', source: 'saved', params: p.params, origin: undefined }));
  }

  /** What the machine offers (service files, ~/.pgpass, PG*), found once and again on refresh(). */
  discovered(): { candidates: ConnectionProfile[]; notes: string[] } {
    if (!this.discovery) {
      const found = discoverConnections();
      this.discovery = {
        candidates: found.candidates.map((c) => ({ id: c.id, name: c.label, kind: 'discovered', source: c.source, params: c.params, origin: c.origin })),
        notes: found.notes,
      };
      for (const note of found.notes) this.log.warn(note);
    }
    return this.discovery;
  }

  /** Saved, then discovered. */
  all(): ConnectionProfile[] {
    return [...this.saved(), ...this.discovered().candidates];
  }

  /** A connection by id, or by the name of a saved one. */
  get(idOrName: string): ConnectionProfile | undefined {
    const all = this.all();
    return all.find((p) => p.id === idOrName) ?? all.find((p) => p.kind === 'saved' && p.name === idOrName);
  }

  /** Discovers again and tells the views. */
  refresh(): void {
    this.discovery = undefined;
    this.changed.fire();
  }

  /**
   * Saves a new connection, or replaces the saved one with `replaceId`. Secrets found among the
   * parameters join `secrets` in SecretStorage; globalState gets the rest. Throws a one-line
   * DumpError for a name another saved connection has.
   */
  async save(profile: NewProfile, replaceId?: string): Promise<ConnectionProfile> {
    const name = profile.name.trim();
    if (name === '') throw new DumpError('usage', 'a connection needs a name');
    const stored = this.profiles.get();
    if (stored.some((p) => p.name === name && p.id !== replaceId)) throw new DumpError('usage', `a connection named "${name}" exists already: choose another name`);
    const split = splitSecrets(profile.params);
    const id = replaceId ?? randomUUID();
    // Secrets not given again stay as they were (an edit of the host keeps the password).
    const kept = replaceId !== undefined ? await this.secretsOf(replaceId) : {};
    const secrets = { ...kept, ...split.secrets, ...splitSecrets(profile.secrets ?? {}).secrets };
    const entry: StoredProfile = { id, name, params: split.params };
    const index = stored.findIndex((p) => p.id === id);
    const next = index >= 0 ? stored.map((p, i) => (i === index ? entry : p)) : [...stored, entry];
    await this.storeSecrets(id, secrets);
    await this.profiles.set(next);
    this.typedPasswords.delete(id);
    this.log.info(`${index >= 0 ? 'changed' : 'saved'} connection "${name}"${Object.keys(secrets).length > 0 ? ' (its secrets in SecretStorage)' : ''}`);
    this.changed.fire();
    return this.saved().find((p) => p.id === id) as ConnectionProfile;
  }

  /** Removes a saved connection and its secrets. */
  async remove(id: string): Promise<void> {
    const stored = this.profiles.get();
    const gone = stored.find((p) => p.id === id);
    if (!gone) return;
    await this.profiles.set(stored.filter((p) => p.id !== id));
    await this.context.secrets.delete(secretKeyOf(id));
    this.typedPasswords.delete(id);
    this.log.info(`removed connection "${gone.name}" and its secrets`);
    this.changed.fire();
  }

  /** Whether a saved connection has a password in SecretStorage. */
  async hasStoredPassword(id: string): Promise<boolean> {
    return (await this.secretsOf(id)).password !== undefined;
  }

  /** Sets (or, with undefined, forgets) the stored password of a saved connection. */
  async setStoredPassword(id: string, password: string | undefined): Promise<void> {
    const secrets = await this.secretsOf(id);
    if (password === undefined) delete secrets.password;
    else secrets.password = password;
    await this.storeSecrets(id, secrets);
    this.typedPasswords.delete(id);
  }

  /**
   * The connection a profile makes, to its own database or `database`: a password typed in this
   * session or kept in SecretStorage is an explicit parameter; otherwise libpq's rules find one
   * (PGPASSWORD, ~/.pgpass). Throws libpq's one-line error for parameters that no longer resolve
   * (a service that is gone, …).
   */
  async resolve(profile: ConnectionProfile, database?: string): Promise<ResolvedConnection> {
    const secrets = profile.kind === 'saved' ? await this.secretsOf(profile.id) : {};
    return resolveProfile(profile.params, secrets, { database, password: this.typedPasswords.get(profile.id) });
  }

  /** `host:port, user` of a profile as it resolves now, or why it does not. */
  summary(profile: ConnectionProfile): { text: string; error?: string } {
    try {
      // Secrets play no part in host, port and user: no need to read SecretStorage here.
      return { text: connectionSummary(resolveProfile(profile.params, {})) };
    } catch (err) {
      return { text: 'cannot be resolved', error: oneLine(err) };
    }
  }

  /**
   * Runs `work` on the profile's connection. When the server asks for a password nobody has,
   * or refuses the one given, asks the user (a password box) and tries again; after a success
   * with a typed password, offers to keep it in SecretStorage. Cancelling the box gives the
   * original error. `done` words the result for the user: shown when `work` succeeds, in the
   * same notification as the offer when there is one (one message, not two in a row).
   */
  async withConnection<T>(profile: ConnectionProfile, work: (connection: ResolvedConnection) => Promise<T>, options: { database?: string; done?: (result: T) => string } = {}): Promise<T> {
    let typedNow: string | undefined;
    for (let attempt = 1; ; attempt++) {
      const connection = await this.resolve(profile, options.database);
      try {
        const result = await work(connection);
        const message = options.done?.(result);
        if (typedNow !== undefined) void this.offerToKeep(profile, typedNow, message);
        else if (message !== undefined) void vscode.window.showInformationMessage(message);
        return result;
      } catch (err) {
        const problem = passwordProblem(err);
        if (problem === undefined || attempt > 3) throw err;
        const password = await this.askPassword(profile, connection, problem);
        if (password === undefined) throw err;
        typedNow = password;
        this.typedPasswords.set(profile.id, password);
      }
    }
  }

  /** The connection and database the user picks for a dump; see targetPicker.ts. */
  pickTarget(options: PickTargetOptions): Promise<PickedTarget | undefined> {
    return pickTarget(this, options);
  }

  /** The target last picked for a dump (its key is the dump's URI string), when its connection still exists. */
  lastTarget(dumpKey: string): { profile: ConnectionProfile; database: string } | undefined {
    const last = this.lastTargets.get()[dumpKey];
    const profile = last ? this.get(last.connectionId) : undefined;
    return profile && last ? { profile, database: last.database } : undefined;
  }

  /** Remembers the pick for a dump; the oldest of many are forgotten. */
  async rememberTarget(dumpKey: string, profile: ConnectionProfile, database: string): Promise<void> {
    const all = { ...this.lastTargets.get(), [dumpKey]: { connectionId: profile.id, database, at: Date.now() } };
    const kept = Object.entries(all)
      .sort(([, a], [, b]) => b.at - a.at)
      .slice(0, MAX_LAST_TARGETS);
    await this.lastTargets.set(Object.fromEntries(kept));
  }

  private async secretsOf(id: string): Promise<ConnParams> {
    const text = await this.context.secrets.get(secretKeyOf(id));
    if (!text) return {};
    try {
      return splitSecrets(JSON.parse(text) as ConnParams).secrets;
    } catch {
      return {};
    }
  }

  private async storeSecrets(id: string, secrets: ConnParams): Promise<void> {
    const only = splitSecrets(secrets).secrets;
    if (Object.keys(only).length === 0) await this.context.secrets.delete(secretKeyOf(id));
    else await this.context.secrets.store(secretKeyOf(id), JSON.stringify(only));
  }

  private async askPassword(profile: ConnectionProfile, connection: ResolvedConnection, problem: 'missing' | 'refused'): Promise<string | undefined> {
    const who = `${connection.user} at ${connection.host}:${connection.port}`;
    return vscode.window.showInputBox({
      title: `Password for "${profile.name}"`,
      prompt: problem === 'refused' ? `The server refused the password: password for ${who}` : `The server asks for a password: password for ${who}`,
      password: true,
      ignoreFocusOut: true,
    });
  }

  /** After a typed password worked: keep it? (Not awaited: a notification may stay unanswered.) */
  private async offerToKeep(profile: ConnectionProfile, password: string, message: string | undefined): Promise<void> {
    const lead = message !== undefined ? `${message}. ` : '';
    if (profile.kind === 'saved') {
      const keep = await vscode.window.showInformationMessage(`${lead}Keep the password of "${profile.name}" in VS Code's secret storage?`, 'Keep Password', 'Not Now');
      if (keep === 'Keep Password') await this.setStoredPassword(profile.id, password);
      return;
    }
    const save = await vscode.window.showInformationMessage(`${lead}Save "${profile.name}" as a connection, with its password in VS Code's secret storage?`, 'Save Connection', 'Not Now');
    if (save === 'Save Connection') await this.save({ name: this.freeName(profile.name), params: { ...profile.params }, secrets: { password } });
  }

  /** `name`, or `name (2)`, … : one no saved connection has. */
  freeName(name: string): string {
    const taken = new Set(this.profiles.get().map((p) => p.name));
    if (!taken.has(name)) return name;
    for (let n = 2; ; n++) if (!taken.has(`${name} (${n})`)) return `${name} (${n})`;
  }
}
