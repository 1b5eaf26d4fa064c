/**
 * Resolves what the user typed (a URI, a `keyword=value` string, or parameters) into one
 * connection, with libpq's precedence: what was given explicitly, then the service's settings
 * (`service=` or PGSERVICE), then the environment (PG*), then defaults: the Unix-socket
 * directory (`/var/run/postgresql`, else `/tmp`) on Unix or `localhost`, port 5432, the OS user
 * name, a database named like the user, sslmode `prefer`. The password is the `password`
 * parameter (given, from the service, or PGPASSWORD), else the password file's first matching
 * line for each host.
 *
 * The result drives node-postgres (toPgClientConfig), which reads no service file and whose
 * password-file support is deprecated, and the PostgreSQL client programs (toToolArgs,
 * toToolEnv), which get no password on the command line and always `-w`.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { ClientConfig } from 'pg';
import { DumpError } from '../errors';
import {
  CONNECTION_KEYWORDS,
  formatConninfo,
  isConnKeyword,
  isSecretKeyword,
  looksLikeConnectionString,
  parseConnectionString,
  type ConnKeyword,
  type ConnParams,
} from './conninfo';
import { KEYWORD_ENVIRONMENT, environmentDefaults, withoutLibpqConnectionVariables } from './environment';
import { DEFAULT_PORT, findPgpassEntry, formatPgpassLine, pgpassPath, readPgpass, type PgpassFile } from './pgpass';
import { findService, serviceFileLocations, userConfigDir } from './serviceFile';

/** Where libpq builds commonly put the server's socket, in the order tried. */
export const DEFAULT_SOCKET_DIRS: readonly string[] = ['/var/run/postgresql', '/tmp'];

export type ConnectionInput = string | Partial<Record<ConnKeyword, string | number | undefined>>;

export interface ResolveOptions {
  /** The environment to take PG* variables from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Home directory for `~/.pgpass`, `~/.pg_service.conf`, `~/.postgresql/`; default os.homedir(). */
  home?: string;
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** The OS user name, the default user; default os.userInfo(). */
  osUser?: string;
  /** Socket directories for the default host; default DEFAULT_SOCKET_DIRS (none on Windows). */
  socketDirs?: readonly string[];
  /** Sysconfdirs for the system service file when PGSYSCONFDIR is not set (see serviceFile.ts). */
  sysconfDirs?: readonly string[];
}

export type ValueSource = 'explicit' | 'service' | 'environment' | 'default';
export type PasswordSource = 'explicit' | 'service' | 'environment' | 'pgpass';
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/** One host of the (possibly multi-host) connection. */
export interface ResolvedHost {
  /** The host name or socket directory; '' only when `hostaddr` stands alone. */
  host: string;
  /** The numeric address to connect to instead of resolving `host`, when given. */
  hostaddr: string | undefined;
  port: number;
  /** A Unix-domain socket directory rather than a network host. */
  socket: boolean;
  /** Where this host's password comes from; undefined when there is none. */
  passwordSource: PasswordSource | undefined;
}

const usage = (message: string): DumpError => new DumpError('usage', message);

/** Keywords a `keyword=value` check accepts only certain values for, with libpq's lists. */
const ENUMERATED: Partial<Record<ConnKeyword, readonly string[]>> = {
  sslmode: SSL_MODES,
  sslnegotiation: ['postgres', 'direct'],
  channel_binding: ['disable', 'prefer', 'require'],
  gssencmode: ['disable', 'prefer', 'require'],
  sslcertmode: ['disable', 'allow', 'require'],
  target_session_attrs: ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'],
  load_balance_hosts: ['disable', 'random'],
};

const INTEGER_KEYWORDS: readonly ConnKeyword[] = ['connect_timeout', 'keepalives', 'keepalives_idle', 'keepalives_interval', 'keepalives_count', 'tcp_user_timeout'];

/** Parameters the client programs receive on the command line or not at all. */
const TOOL_ARG_KEYWORDS: ReadonlySet<ConnKeyword> = new Set<ConnKeyword>(['host', 'port', 'user', 'dbname', 'password', 'passfile', 'service', 'servicefile']);

/** The explicit parameters of the input; `dbname` holding a connection string is expanded, as PQconnectdbParams does. */
function explicitParams(input: ConnectionInput): ConnParams {
  if (typeof input === 'string') return parseConnectionString(input);
  const out: ConnParams = {};
  let expanded = false;
  for (const [keyword, raw] of Object.entries(input)) {
    // As in PQconnectdbParams, an empty value counts as not given.
    if (raw === undefined || raw === null || raw === '') continue;
    if (!isConnKeyword(keyword)) throw usage(`invalid connection option "${keyword}"`);
    const value = String(raw);
    if (keyword === 'dbname' && !expanded && looksLikeConnectionString(value)) {
      expanded = true;
      Object.assign(out, parseConnectionString(value));
      continue;
    }
    out[keyword] = value;
  }
  return out;
}

const splitList = (value: string | undefined): string[] | undefined => (value === undefined || value === '' ? undefined : value.split(','));

function isSocketPath(host: string, platform: NodeJS.Platform): boolean {
  if (host.startsWith('/') || host.startsWith('@')) return true;
  return platform === 'win32' && (/^[A-Za-z]:[\\/]/.test(host) || host.startsWith('\\\\'));
}

function parsePort(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return Number(DEFAULT_PORT);
  if (!/^[+-]?\d+$/.test(trimmed)) throw usage(`invalid integer value "${text}" for connection option "port"`);
  const port = Number(trimmed);
  if (port < 1 || port > 65535) throw usage(`invalid port number: "${text}"`);
  return port;
}

function osUserName(env: NodeJS.ProcessEnv): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // no passwd entry for this uid: fall back on the environment
  }
  const name = env.USER ?? env.LOGNAME ?? env.USERNAME;
  if (name) return name;
  throw usage('could not determine the local user name: give a user name (user=...) or set PGUSER');
}

/** The default host for `port`: a socket directory holding that port's socket, else one that exists, else localhost. */
function defaultHost(port: number, socketDirs: readonly string[]): { host: string; socket: boolean } {
  for (const dir of socketDirs) {
    if (fs.existsSync(path.posix.join(dir, `.s.PGSQL.${port}`))) return { host: dir, socket: true };
  }
  for (const dir of socketDirs) {
    try {
      if (fs.statSync(dir).isDirectory()) return { host: dir, socket: true };
    } catch {
      // not there: try the next
    }
  }
  return { host: 'localhost', socket: false };
}

const readFileOr = (file: string, what: string): Buffer => {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DumpError(code === 'ENOENT' ? 'not-found' : 'usage', `could not read ${what} "${file}" (${code})`, { cause: err });
  }
};

const fileExists = (file: string): boolean => {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

export interface ToolArgsOptions {
  /** Pass `--dbname` (default true). pg_restore needs it to restore into a database; `pg_restore -l` must not get it. */
  dbname?: boolean;
}

export interface ToolEnvOptions {
  /**
   * Path of the temporary 0600 password file the caller wrote `toolPassfileContent()` into
   * (see writeTemporaryPassfile). Required when `needsToolPassfile` is true.
   */
  passfile?: string;
  /**
   * The environment to start from. Given: the result is that environment without any libpq
   * connection variable, plus ours, ready to hand to the child. Not given: only our variables.
   */
  base?: NodeJS.ProcessEnv;
}

/**
 * The server asked for a password and none was given, set in PGPASSWORD or found in the password
 * file. node-postgres rejects its connect() with this (under openServerSession's DumpError), so
 * a caller that can ask the user for a password can tell this case from the others.
 */
export class MissingPasswordError extends DumpError {
  constructor(message: string) {
    super('usage', message);
    this.name = 'MissingPasswordError';
  }
}

/** @internal What resolveConnection found, as ResolvedConnection keeps it. */
interface ResolvedInit {
  params: ConnParams;
  secrets: ConnParams;
  sources: Partial<Record<ConnKeyword, ValueSource>>;
  variables: Partial<Record<ConnKeyword, string>>;
  hosts: ResolvedHost[];
  passwords: (string | undefined)[];
  passwordOrigins: (string | undefined)[];
  user: string;
  dbname: string;
  sslmode: SslMode;
  service: ResolvedConnection['service'];
  passfile: ResolvedConnection['passfile'];
  notes: string[];
  home: string;
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  socketDirs: readonly string[];
}

/** A resolved connection. The password is kept out of enumerable fields, JSON and inspection. */
export class ResolvedConnection {
  /** Every parameter that has a value after resolution (host, port, user, dbname, sslmode always), secrets left out. */
  readonly params: Readonly<ConnParams>;
  /** Where each of `params` came from. */
  readonly sources: Readonly<Partial<Record<ConnKeyword, ValueSource>>>;
  /** The environment variable behind each parameter that came from the environment. */
  readonly variables: Readonly<Partial<Record<ConnKeyword, string>>>;
  readonly hosts: readonly ResolvedHost[];
  readonly user: string;
  readonly dbname: string;
  readonly sslmode: SslMode;
  /** The service whose settings were used. */
  readonly service: { name: string; file: string; kind: 'user' | 'system' } | undefined;
  /** The password file that was (or would have been) read, and whether it was usable. */
  readonly passfile: { path: string; status: PgpassFile['status']; reason?: string };
  /** Things the user should know about the resolution (e.g. a password file ignored, and why); one line each. */
  readonly notes: readonly string[];

  readonly #secrets: ConnParams;
  readonly #passwords: readonly (string | undefined)[];
  readonly #passwordOrigins: readonly (string | undefined)[];
  readonly #home: string;
  readonly #platform: NodeJS.Platform;
  readonly #env: NodeJS.ProcessEnv;
  readonly #init: ResolvedInit;

  /** @internal built by resolveConnection */
  constructor(init: ResolvedInit) {
    this.#init = init;
    this.params = Object.freeze({ ...init.params });
    this.sources = Object.freeze({ ...init.sources });
    this.variables = Object.freeze({ ...init.variables });
    this.hosts = Object.freeze(init.hosts.map((h) => Object.freeze({ ...h })));
    this.user = init.user;
    this.dbname = init.dbname;
    this.sslmode = init.sslmode;
    this.service = init.service;
    this.passfile = init.passfile;
    this.notes = Object.freeze([...init.notes]);
    this.#secrets = { ...init.secrets };
    this.#passwords = [...init.passwords];
    this.#passwordOrigins = [...init.passwordOrigins];
    this.#home = init.home;
    this.#platform = init.platform;
    this.#env = init.env;
  }

  /** The first host (node-postgres connects to one host at a time). */
  get host(): string {
    return (this.hosts[0] as ResolvedHost).host;
  }

  get port(): number {
    return (this.hosts[0] as ResolvedHost).port;
  }

  /** The password for the first host, if any. Never log it. */
  get password(): string | undefined {
    return this.#passwords[0];
  }

  get passwordSource(): PasswordSource | undefined {
    return this.hosts[0]?.passwordSource;
  }

  /** The password for host `index`, if any. */
  passwordFor(index: number): string | undefined {
    return this.#passwords[index];
  }

  /** Where host `index`'s password comes from, in words (`PGPASSWORD`, `password file "…", line 3`). */
  passwordOrigin(index = 0): string | undefined {
    return this.#passwordOrigins[index];
  }

  /**
   * The same connection to another database of the same server (the maintenance database, or
   * one picked from a list): what was given, the service and the environment stay as resolved.
   * A password that did not come with the connection is looked up in the password file again
   * for the new database name, as libpq would for a connection naming that database.
   */
  withDatabase(dbname: string): ResolvedConnection {
    if (dbname === this.dbname) return this;
    const init = this.#init;
    const hosts = init.hosts.map((h) => ({ ...h }));
    let passwords = init.passwords;
    let passwordOrigins = init.passwordOrigins;
    if (init.secrets.password === undefined) {
      ({ passwords, origins: passwordOrigins } = passwordsFromFile(readPgpass(init.passfile.path, { platform: init.platform }), hosts, dbname, init.user, init.socketDirs));
    }
    const variables = { ...init.variables };
    delete variables.dbname;
    return new ResolvedConnection({
      ...init,
      params: { ...init.params, dbname },
      sources: { ...init.sources, dbname: 'explicit' },
      variables,
      hosts,
      passwords,
      passwordOrigins,
      dbname,
    });
  }

  /** `host:port/dbname as user` (hosts comma-separated), for confirmations and logs. */
  describe(): string {
    return `${this.where()} as ${this.user}`;
  }

  /** `host:port` (each host of a list), for messages about the server itself. */
  server(): string {
    return this.hosts.map((h) => `${displayHost(h)}:${h.port}`).join(',');
  }

  /** `host:port/database`: what a message names before anything changes in that database. */
  where(): string {
    return `${this.server()}/${this.dbname}`;
  }

  /** The resolved parameters as a `keyword=value` string, without secrets. */
  toConninfo(): string {
    return formatConninfo(this.params);
  }

  toJSON(): Record<string, unknown> {
    return {
      description: this.describe(),
      params: this.params,
      sources: this.sources,
      hosts: this.hosts,
      service: this.service,
      passfile: this.passfile,
      notes: this.notes,
    };
  }

  /** What node-postgres does differently from libpq with these parameters; one line each. */
  pgClientNotes(): string[] {
    return this.#pgClient(0).notes;
  }

  /**
   * Settings for a node-postgres Client or Pool, for host `index` (node-postgres takes one
   * host; try the others in order for a multi-host connection). Certificate files named by
   * the sslroot/cert/key parameters are read now; a missing one gives a one-line DumpError.
   */
  toPgClientConfig(index = 0): ClientConfig {
    return this.#pgClient(index).config;
  }

  #pgClient(index: number): { config: ClientConfig; notes: string[] } {
    const h = this.hosts[index];
    if (!h) throw new RangeError(`no host ${index}: this connection has ${this.hosts.length}`);
    const notes: string[] = [];
    const p = this.params;
    const password = this.#passwords[index];
    const config: ClientConfig = {
      host: h.hostaddr || h.host,
      port: h.port,
      user: this.user,
      database: this.dbname,
      // A function, so that node-postgres never falls back on PGPASSWORD or its own .pgpass reading.
      password:
        password ??
        (() => {
          throw new MissingPasswordError(`${this.#describeHost(h)} asks for a password and there is none: ${this.#noPasswordReason()}`);
        }),
      ssl: this.#ssl(h, notes),
    };
    if (h.host.startsWith('@')) notes.push(`node-postgres cannot use the abstract socket ${h.host}`);
    if (p.application_name !== undefined) config.application_name = p.application_name;
    if (p.fallback_application_name !== undefined) config.fallback_application_name = p.fallback_application_name;
    if (p.options !== undefined && p.options !== '') config.options = p.options;
    if (p.client_encoding !== undefined) {
      if (p.client_encoding === 'auto') notes.push('client_encoding=auto: node-postgres does not pick the encoding from the locale; the server default applies');
      else config.client_encoding = p.client_encoding;
    }
    if (p.connect_timeout !== undefined && p.connect_timeout.trim() !== '') {
      // libpq: zero or less waits forever, 1 means 2 seconds.
      const seconds = Number(p.connect_timeout);
      config.connectionTimeoutMillis = seconds <= 0 ? 0 : Math.max(seconds, 2) * 1000;
    }
    // libpq turns TCP keepalives on unless keepalives=0.
    config.keepAlive = p.keepalives === undefined || Number(p.keepalives) !== 0;
    if (p.keepalives_idle !== undefined && p.keepalives_idle.trim() !== '') config.keepAliveInitialDelayMillis = Number(p.keepalives_idle) * 1000;
    if (p.channel_binding === 'require') config.enableChannelBinding = true;
    if (p.sslnegotiation === 'direct') config.sslnegotiation = 'direct';
    if (this.hosts.length > 1) notes.push(`node-postgres connects to one host at a time: this is host ${index + 1} of ${this.hosts.length}`);
    const ignored = CONNECTION_KEYWORDS.filter(
      (k) =>
        this.sources[k] !== undefined &&
        this.sources[k] !== 'default' &&
        [
          'target_session_attrs',
          'load_balance_hosts',
          'require_auth',
          'requirepeer',
          'gssencmode',
          'krbsrvname',
          'gsslib',
          'gssdelegation',
          'keepalives_interval',
          'keepalives_count',
          'tcp_user_timeout',
          'replication',
          'sslsni',
          'sslcompression',
          'sslcrldir',
          'sslcertmode',
          'sslkeylogfile',
          'min_protocol_version',
          'max_protocol_version',
          'oauth_issuer',
          'oauth_client_id',
          'oauth_scope',
        ].includes(k),
    );
    if (ignored.length > 0) notes.push(`node-postgres ignores ${ignored.join(', ')}`);
    return { config, notes };
  }

  #ssl(h: ResolvedHost, notes: string[]): false | ConnectionOptions {
    let mode = this.sslmode;
    if (h.socket) return false; // libpq never uses TLS over a Unix socket
    if (mode === 'disable') return false;
    if (mode === 'allow' || mode === 'prefer') {
      notes.push(`sslmode=${mode}: node-postgres cannot fall back between TLS and plain connections, so it connects without TLS (use sslmode=require or stronger for TLS)`);
      return false;
    }
    const p = this.params;
    // libpq's default certificate files: ~/.postgresql/, or %APPDATA%\postgresql\ on Windows.
    const win = this.#platform === 'win32';
    const join = win ? path.win32.join : path.posix.join;
    const dir = win ? userConfigDir({ env: this.#env, home: this.#home, platform: 'win32' }) : join(this.#home, '.postgresql');
    const rootcert = p.sslrootcert || join(dir, 'root.crt');
    const tls: ConnectionOptions = {};
    if (mode === 'require' && rootcert !== 'system' && fileExists(rootcert)) {
      notes.push(`sslmode=require with root certificate "${rootcert}" present verifies the server certificate, as libpq does (like verify-ca)`);
      mode = 'verify-ca';
    }
    if (mode === 'verify-ca' || mode === 'verify-full') {
      if (rootcert === 'system') {
        notes.push("sslrootcert=system: node-postgres verifies against Node's bundled certificate authorities (or NODE_EXTRA_CA_CERTS), not the operating system's store");
      } else {
        if (!fileExists(rootcert)) {
          throw new DumpError(
            'not-found',
            `root certificate file "${rootcert}" does not exist: provide it, use sslrootcert=system for the system's trusted roots, or lower sslmode below verify-ca`,
          );
        }
        tls.ca = readFileOr(rootcert, 'root certificate file');
      }
      tls.rejectUnauthorized = true;
      if (mode === 'verify-ca') tls.checkServerIdentity = () => undefined;
      else if (h.hostaddr && h.host && net.isIP(h.host) === 0) tls.servername = h.host;
    } else {
      tls.rejectUnauthorized = false;
    }
    const cert = p.sslcert || join(dir, 'postgresql.crt');
    if (fileExists(cert)) {
      const key = p.sslkey || join(dir, 'postgresql.key');
      if (!fileExists(key)) throw new DumpError('not-found', `certificate present, but not private key file "${key}"`);
      tls.cert = readFileOr(cert, 'client certificate file');
      tls.key = readFileOr(key, 'private key file');
      const passphrase = this.#secrets.sslpassword;
      if (passphrase !== undefined) tls.passphrase = passphrase;
    }
    if (p.sslcrl) tls.crl = readFileOr(p.sslcrl, 'certificate revocation list file');
    const tlsVersion = (v: string | undefined, keyword: string): ConnectionOptions['minVersion'] => {
      if (v === undefined || v === '') return undefined;
      if (!['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].includes(v)) throw usage(`invalid ${keyword} value: "${v}"`);
      return v as ConnectionOptions['minVersion'];
    };
    const min = tlsVersion(p.ssl_min_protocol_version, 'ssl_min_protocol_version');
    const max = tlsVersion(p.ssl_max_protocol_version, 'ssl_max_protocol_version');
    if (min) tls.minVersion = min;
    if (max) tls.maxVersion = max;
    return tls;
  }

  #describeHost(h: ResolvedHost): string {
    return `${displayHost(h)}:${h.port}/${this.dbname} as ${this.user}`;
  }

  #noPasswordReason(): string {
    const file = this.passfile;
    const why = file.status === 'ok' ? 'no line of it matches' : file.status === 'missing' ? 'it does not exist' : (file.reason ?? 'it was ignored');
    return `no password was given, PGPASSWORD is not set, and the password file "${file.path}" gives none (${why})`;
  }

  /** True when a client program needs a temporary password file (a password is known for some host). */
  get needsToolPassfile(): boolean {
    return this.#passwords.some((p) => p !== undefined);
  }

  /**
   * The text of the temporary password file for client programs, or undefined when no password
   * is known. Write it with writeTemporaryPassfile and pass the path to toToolEnv.
   */
  toolPassfileContent(): string | undefined {
    if (!this.needsToolPassfile) return undefined;
    const distinct = new Set(this.#passwords.filter((p): p is string => p !== undefined));
    const lines: string[] = [];
    if (distinct.size === 1 && this.#passwords.every((p) => p !== undefined)) {
      // One password for every host: match whatever host and port name the program computes.
      lines.push(formatPgpassLine({ host: '*', port: '*', database: '*', user: this.user, password: [...distinct][0] as string }));
    } else {
      this.hosts.forEach((h, i) => {
        const password = this.#passwords[i];
        if (password === undefined) return;
        const host = h.host || h.hostaddr || 'localhost';
        lines.push(formatPgpassLine({ host, port: String(h.port), database: '*', user: this.user, password }));
        // A program whose libpq has this as its default socket directory looks the host up as localhost.
        if (h.socket) lines.push(formatPgpassLine({ host: 'localhost', port: String(h.port), database: '*', user: this.user, password }));
      });
    }
    return `${lines.join('\n')}\n`;
  }

  /**
   * Command-line arguments for psql, pg_restore, pg_dump…: `--host --port --username
   * [--dbname]` and always `-w` (never prompt). Never a password. A database name that the
   * program would take for a connection string, and parameters without an environment
   * variable, go into `--dbname` as a `keyword=value` string.
   */
  toToolArgs(options: ToolArgsOptions = {}): string[] {
    const args: string[] = [];
    const hostList = this.hosts.map((h) => h.host);
    if (hostList.some((h) => h !== '')) args.push(`--host=${hostList.join(',')}`);
    const ports = this.hosts.map((h) => String(h.port));
    args.push(`--port=${ports.every((p) => p === ports[0]) ? ports[0] : ports.join(',')}`);
    args.push(`--username=${this.user}`);
    if (options.dbname ?? true) {
      const extra = this.#keywordsWithoutVariable();
      if (Object.keys(extra).length > 0 || looksLikeConnectionString(this.dbname)) {
        args.push(`--dbname=${formatConninfo({ dbname: this.dbname, ...extra })}`);
      } else {
        args.push(`--dbname=${this.dbname}`);
      }
    }
    args.push('-w');
    return args;
  }

  /** Explicitly set parameters that no environment variable carries (e.g. keepalives), secrets aside. */
  #keywordsWithoutVariable(): ConnParams {
    const out: ConnParams = {};
    for (const k of CONNECTION_KEYWORDS) {
      const v = this.params[k];
      if (v === undefined || TOOL_ARG_KEYWORDS.has(k) || isSecretKeyword(k) || KEYWORD_ENVIRONMENT[k] !== undefined) continue;
      if (this.sources[k] === 'default') continue;
      out[k] = v;
    }
    return out;
  }

  /**
   * Environment variables for the client program: the resolved parameters that have one
   * (PGSSLMODE, PGHOSTADDR, PGAPPNAME, …; defaults left to the program), and PGPASSFILE —
   * the caller's temporary file when a password is known, else the password file we read, so
   * the program finds what we found. Never PGPASSWORD.
   */
  toToolEnv(options: ToolEnvOptions = {}): Record<string, string> {
    const out: Record<string, string> = {};
    if (options.base) {
      for (const [k, v] of Object.entries(withoutLibpqConnectionVariables(options.base))) if (v !== undefined) out[k] = v;
    }
    for (const k of CONNECTION_KEYWORDS) {
      const variable = KEYWORD_ENVIRONMENT[k];
      const value = this.params[k];
      if (!variable || value === undefined || TOOL_ARG_KEYWORDS.has(k) || isSecretKeyword(k)) continue;
      if (this.sources[k] === 'default') continue;
      out[variable] = value;
    }
    if (this.needsToolPassfile) {
      if (!options.passfile) throw new Error('toToolEnv: a password is known; write toolPassfileContent() with writeTemporaryPassfile() and pass its path as `passfile`');
      out.PGPASSFILE = options.passfile;
    } else {
      out.PGPASSFILE = this.passfile.path;
    }
    return out;
  }
}

function displayHost(h: ResolvedHost): string {
  const bracket = (s: string) => (!h.socket && s.includes(':') ? `[${s}]` : s);
  if (h.hostaddr && h.host) return `${bracket(h.host)} (${h.hostaddr})`;
  return bracket(h.host || h.hostaddr || '');
}

/**
 * Resolves `input` with libpq's rules. Throws a one-line DumpError('usage' | 'not-found') for
 * an unknown keyword, a malformed string, an undefined service, a bad value.
 */
export function resolveConnection(input: ConnectionInput = '', options: ResolveOptions = {}): ResolvedConnection {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? os.homedir();
  const socketDirs = options.socketDirs ?? (platform === 'win32' ? [] : DEFAULT_SOCKET_DIRS);
  const notes: string[] = [];

  const params: ConnParams = explicitParams(input);
  const sources: Partial<Record<ConnKeyword, ValueSource>> = {};
  for (const k of Object.keys(params) as ConnKeyword[]) sources[k] = 'explicit';

  // 1. The service: its settings fill what was not given.
  let service: ResolvedConnection['service'];
  const fromEnv = environmentDefaults(env);
  const serviceName = params.service ?? fromEnv.params.service;
  if (serviceName !== undefined) {
    const where = { env, home, platform, servicefile: params.servicefile, sysconfDirs: options.sysconfDirs };
    const found = findService(serviceName, where);
    if (!found) {
      const looked = serviceFileLocations(where)
        .map((l) => `"${l.path}"`)
        .join(' and ');
      throw usage(`definition of service "${serviceName}" not found (looked in ${looked})`);
    }
    service = { name: found.name, file: found.file, kind: found.kind };
    for (const [k, v] of Object.entries(found.params) as [ConnKeyword, string][]) {
      if (params[k] !== undefined) continue;
      params[k] = v;
      sources[k] = 'service';
    }
  }

  // 2. The environment.
  const variables: Partial<Record<ConnKeyword, string>> = {};
  for (const [k, v] of Object.entries(fromEnv.params) as [ConnKeyword, string][]) {
    if (params[k] !== undefined) continue;
    params[k] = v;
    sources[k] = 'environment';
    variables[k] = fromEnv.variables[k] as string;
  }

  // 3. Values that must be well-formed.
  for (const [k, allowed] of Object.entries(ENUMERATED) as [ConnKeyword, readonly string[]][]) {
    const v = params[k];
    if (v !== undefined && v !== '' && !allowed.includes(v)) throw usage(`invalid ${k} value: "${v}"${variables[k] ? ` (from ${variables[k]})` : ''}`);
  }
  for (const k of INTEGER_KEYWORDS) {
    const v = params[k];
    if (v !== undefined && v.trim() !== '' && !/^\s*[+-]?\d+\s*$/.test(v)) throw usage(`invalid integer value "${v}" for connection option "${k}"`);
  }

  // 4. Hosts and ports.
  const hostList = splitList(params.host);
  const hostaddrList = splitList(params.hostaddr);
  const count = hostaddrList?.length ?? hostList?.length ?? 1;
  if (hostaddrList && hostList && hostList.length !== hostaddrList.length) {
    throw usage(`could not match ${hostList.length} host names to ${hostaddrList.length} hostaddr values`);
  }
  for (const a of hostaddrList ?? []) {
    if (a !== '' && net.isIP(a) === 0) throw usage(`invalid hostaddr value "${a}": it must be a numeric IPv4 or IPv6 address`);
  }
  const portList = splitList(params.port);
  let ports: number[];
  if (!portList) ports = Array.from({ length: count }, () => Number(DEFAULT_PORT));
  else if (portList.length === 1) ports = Array.from({ length: count }, () => parsePort(portList[0] as string));
  else if (portList.length === count) ports = portList.map(parsePort);
  else throw usage(`could not match ${portList.length} port numbers to ${count} hosts`);

  const hosts: ResolvedHost[] = [];
  let hostDefaulted = false;
  for (let i = 0; i < count; i++) {
    const hostaddr = hostaddrList?.[i] || undefined;
    const given = hostList?.[i] ?? '';
    const port = ports[i] as number;
    if (hostaddr) hosts.push({ host: given, hostaddr, port, socket: false, passwordSource: undefined });
    else if (given) hosts.push({ host: given, hostaddr: undefined, port, socket: isSocketPath(given, platform), passwordSource: undefined });
    else {
      hostDefaulted = true;
      const d = defaultHost(port, socketDirs);
      hosts.push({ host: d.host, hostaddr: undefined, port, socket: d.socket, passwordSource: undefined });
    }
  }
  if (params.host === undefined || params.host === '') {
    if (!hostaddrList) {
      params.host = hosts.map((h) => h.host).join(',');
      sources.host = 'default';
    }
  } else if (hostDefaulted) {
    // Some places of an explicit list were empty: show what they became.
    params.host = hosts.map((h) => h.host).join(',');
  }
  if (params.port === undefined || params.port === '') {
    params.port = DEFAULT_PORT;
    sources.port = 'default';
  }

  // 5. User and database.
  let user = params.user;
  if (user === undefined || user === '') {
    user = options.osUser ?? osUserName(env);
    params.user = user;
    sources.user = 'default';
  }
  let dbname = params.dbname;
  if (dbname === undefined || dbname === '') {
    dbname = user;
    params.dbname = dbname;
    sources.dbname = 'default';
  }
  if (params.sslmode === undefined || params.sslmode === '') {
    params.sslmode = 'prefer';
    sources.sslmode = 'default';
  }
  const sslmode = params.sslmode as SslMode;
  if (params.sslrootcert === 'system' && sslmode !== 'verify-full') {
    throw usage(`weak sslmode "${sslmode}" may not be used with sslrootcert=system (use "verify-full")`);
  }
  if (params.sslnegotiation === 'direct' && ['disable', 'allow', 'prefer'].includes(sslmode)) {
    throw usage(`weak sslmode "${sslmode}" may not be used with sslnegotiation=direct (use "require", "verify-ca", or "verify-full")`);
  }

  // 6. Passwords: the parameter for every host, else the password file, host by host.
  const secrets: ConnParams = {};
  for (const k of CONNECTION_KEYWORDS) {
    if (isSecretKeyword(k) && params[k] !== undefined) {
      secrets[k] = params[k];
      delete params[k];
    }
  }
  const passwords: (string | undefined)[] = [];
  const origins: (string | undefined)[] = [];
  // PGPASSFILE is already in params.passfile unless an explicit (even empty) passfile overrode it.
  const passfilePath = pgpassPath({ env: { ...env, PGPASSFILE: undefined }, home, platform, passfile: params.passfile || undefined });
  let passfile: ResolvedConnection['passfile'] = { path: passfilePath, status: 'missing' };
  if (secrets.password) {
    const source = sources.password as PasswordSource;
    const origin = source === 'environment' ? 'PGPASSWORD' : source === 'service' ? `service "${service?.name}" in "${service?.file}"` : 'the connection string';
    for (const h of hosts) {
      passwords.push(secrets.password);
      origins.push(origin);
      h.passwordSource = source;
    }
    // libpq does not read the password file then; say where it would be all the same.
    passfile = { path: passfilePath, status: readPgpass(passfilePath, { platform }).status };
  } else {
    const file = readPgpass(passfilePath, { platform });
    passfile = file.reason === undefined ? { path: file.path, status: file.status } : { path: file.path, status: file.status, reason: file.reason };
    if (file.reason) notes.push(`${file.reason}: it was ignored`);
    const found = passwordsFromFile(file, hosts, dbname, user, socketDirs);
    passwords.push(...found.passwords);
    origins.push(...found.origins);
  }
  delete sources.password;

  return new ResolvedConnection({
    params,
    secrets,
    sources,
    variables,
    hosts,
    passwords,
    passwordOrigins: origins,
    user,
    dbname,
    sslmode,
    service,
    passfile,
    notes,
    home,
    platform,
    env,
    socketDirs,
  });
}

/** Each host's password from the password file's first matching line (sets the hosts' passwordSource). */
function passwordsFromFile(file: PgpassFile, hosts: ResolvedHost[], dbname: string, user: string, socketDirs: readonly string[]): { passwords: (string | undefined)[]; origins: (string | undefined)[] } {
  const passwords: (string | undefined)[] = [];
  const origins: (string | undefined)[] = [];
  for (const h of hosts) {
    const entry = findPgpassEntry(file.entries, { host: h.host, hostaddr: h.hostaddr, port: h.port, dbname, user, defaultSocketDirs: socketDirs });
    const password = entry && entry.password !== '' ? entry.password : undefined;
    passwords.push(password);
    origins.push(entry && password !== undefined ? `password file "${file.path}", line ${entry.line}` : undefined);
    h.passwordSource = password === undefined ? undefined : 'pgpass';
  }
  return { passwords, origins };
}
