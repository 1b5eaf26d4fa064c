/**
 * Connections the user already has, as candidates for a picker: each service of the service
 * files libpq would read, each host/port/user of the password file libpq would read (its
 * permission rule included), and the PG* environment when it names a server, a user, a
 * database or a service. Nothing here connects; a candidate's parameters are never secret.
 */
import type { ConnParams } from './conninfo';
import { isSecretKeyword } from './conninfo';
import { environmentDefaults } from './environment';
import { DEFAULT_PORT, pgpassPath, readPgpass } from './pgpass';
import { findService, listServices, type ServiceFileOptions } from './serviceFile';

export type CandidateSource = 'service' | 'pgpass' | 'environment';

export interface ConnectionCandidate {
  /** Stable across discoveries of the same thing: `service:NAME`, `pgpass:HOST:PORT:USER`, `environment`. */
  id: string;
  /** What a picker shows: the service name, `user@host:port`, `PG* environment`. */
  label: string;
  source: CandidateSource;
  /** Where it came from, in words: `service file "…"`, `password file "…", line 3`, `PGHOST, PGPORT`. */
  origin: string;
  /** The parameters to connect with (resolve them with resolveConnection); no secrets. */
  params: ConnParams;
}

export interface Discovery {
  candidates: ConnectionCandidate[];
  /** What the user should know: a password file ignored, and why; a service that cannot be read. One line each. */
  notes: string[];
}

export interface DiscoverOptions {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default os.homedir(). */
  home?: string;
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** Sysconfdirs for the system service file when PGSYSCONFDIR is not set (see serviceFile.ts). */
  sysconfDirs?: readonly string[];
}

/** The variables that, when set, make the environment a connection of its own. */
const ENVIRONMENT_SAYS = ['PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGSERVICE'] as const;

export function discoverConnections(options: DiscoverOptions = {}): Discovery {
  const notes: string[] = [];
  const candidates = [...fromServiceFiles(options, notes), ...fromPasswordFile(options, notes), ...fromEnvironment(options)];
  return { candidates, notes };
}

function withoutSecrets(params: ConnParams): ConnParams {
  const out: ConnParams = {};
  for (const [k, v] of Object.entries(params) as [keyof ConnParams, string][]) if (!isSecretKeyword(k)) out[k] = v;
  return out;
}

function fromServiceFiles(options: DiscoverOptions, notes: string[]): ConnectionCandidate[] {
  const where: ServiceFileOptions = { env: options.env, home: options.home, platform: options.platform, sysconfDirs: options.sysconfDirs };
  const out: ConnectionCandidate[] = [];
  for (const entry of listServices(where)) {
    // The service by name is enough for libpq; a per-user file is named too, so that a saved
    // copy still finds it when PGSERVICEFILE is not set next time.
    const params: ConnParams = entry.kind === 'user' ? { service: entry.name, servicefile: entry.file } : { service: entry.name };
    try {
      findService(entry.name, { ...where, servicefile: params.servicefile });
    } catch (err) {
      notes.push(`service "${entry.name}" in "${entry.file}" cannot be used: ${(err as Error).message}`);
      continue;
    }
    out.push({ id: `service:${entry.name}`, label: entry.name, source: 'service', origin: `service file "${entry.file}"`, params });
  }
  return out;
}

function fromPasswordFile(options: DiscoverOptions, notes: string[]): ConnectionCandidate[] {
  const file = readPgpass(pgpassPath({ env: options.env, home: options.home, platform: options.platform }), { platform: options.platform });
  if (file.reason) notes.push(`${file.reason}: it was ignored`);
  // One candidate per host, port and user; the database only when every line of them names the same one.
  const byKey = new Map<string, { candidate: ConnectionCandidate; databases: Set<string> }>();
  for (const e of file.entries) {
    const [anyHost, anyPort, anyDatabase, anyUser] = e.wildcard;
    if (anyHost || e.host === '') continue; // a line for every host names no server
    const port = anyPort ? '' : e.port;
    const user = anyUser ? '' : e.user;
    const id = `pgpass:${e.host}:${port || '*'}:${user || '*'}`;
    let known = byKey.get(id);
    if (!known) {
      const params: ConnParams = { host: e.host };
      if (port !== '') params.port = port;
      if (user !== '') params.user = user;
      const label = `${user ? `${user}@` : ''}${e.host}:${port || DEFAULT_PORT}`;
      known = { candidate: { id, label, source: 'pgpass', origin: `password file "${file.path}", line ${e.line}`, params }, databases: new Set() };
      byKey.set(id, known);
    }
    known.databases.add(anyDatabase ? '*' : e.database);
  }
  const out: ConnectionCandidate[] = [];
  for (const { candidate, databases } of byKey.values()) {
    const [only] = databases;
    if (databases.size === 1 && only !== undefined && only !== '*') candidate.params.dbname = only;
    out.push(candidate);
  }
  return out;
}

function fromEnvironment(options: DiscoverOptions): ConnectionCandidate[] {
  const env = options.env ?? process.env;
  const set = ENVIRONMENT_SAYS.filter((v) => env[v] !== undefined && env[v] !== '');
  if (set.length === 0) return [];
  const { params } = environmentDefaults(env);
  // The password file stays libpq's to find; the rest is what the environment says.
  delete params.passfile;
  return [{ id: 'environment', label: 'PG* environment', source: 'environment', origin: set.join(', '), params: withoutSecrets(params) }];
}
