/**
 * libpq's environment variables (section "Environment Variables"): each fills in a connection
 * parameter that neither the connection string nor the service gave. A variable that is set,
 * even to an empty string, counts as given, as in libpq.
 */
import type { ConnKeyword, ConnParams } from './conninfo';

/** The environment variable behind each keyword that has one. */
export const KEYWORD_ENVIRONMENT: Readonly<Partial<Record<ConnKeyword, string>>> = {
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  service: 'PGSERVICE',
  application_name: 'PGAPPNAME',
  options: 'PGOPTIONS',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  sslcompression: 'PGSSLCOMPRESSION',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  channel_binding: 'PGCHANNELBINDING',
  require_auth: 'PGREQUIREAUTH',
  requirepeer: 'PGREQUIREPEER',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
};

/** Variables that say where files are rather than being a parameter themselves. */
export const FILE_LOCATION_VARIABLES = ['PGSERVICEFILE', 'PGSYSCONFDIR'] as const;

/**
 * Everything libpq reads to decide where and how to connect: the keyword variables, the file
 * locations, and PGREQUIRESSL (an old spelling of sslmode=require that older libpq versions read).
 */
export const LIBPQ_CONNECTION_VARIABLES: readonly string[] = [...Object.values(KEYWORD_ENVIRONMENT), ...FILE_LOCATION_VARIABLES, 'PGREQUIRESSL'];

export interface EnvironmentDefaults {
  /** The parameters the environment gives, by keyword. */
  params: ConnParams;
  /** For each parameter in `params`, the variable it came from. */
  variables: Partial<Record<ConnKeyword, string>>;
  /** PGSERVICEFILE: the per-user service file instead of `~/.pg_service.conf`. */
  serviceFile: string | undefined;
  /** PGSYSCONFDIR: the directory of the system-wide `pg_service.conf`. */
  sysconfDir: string | undefined;
}

/** What the environment contributes. Takes the environment to read; `process.env` by default. */
export function environmentDefaults(env: NodeJS.ProcessEnv = process.env): EnvironmentDefaults {
  const params: ConnParams = {};
  const variables: Partial<Record<ConnKeyword, string>> = {};
  for (const [keyword, variable] of Object.entries(KEYWORD_ENVIRONMENT) as [ConnKeyword, string][]) {
    const value = env[variable];
    if (value === undefined) continue;
    params[keyword] = value;
    variables[keyword] = variable;
  }
  return { params, variables, serviceFile: env.PGSERVICEFILE, sysconfDir: env.PGSYSCONFDIR };
}

/**
 * `env` without any variable that would steer a libpq client's connection: for the environment
 * of a child program that gets its whole connection from us (see ResolvedConnection.toToolEnv).
 */
export function withoutLibpqConnectionVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const drop = new Set(LIBPQ_CONNECTION_VARIABLES);
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) if (!drop.has(key)) out[key] = value;
  return out;
}
