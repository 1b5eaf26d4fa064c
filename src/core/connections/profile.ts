/**
 * Saved connections ("profiles"): a name and libpq parameters, with the secrets (password,
 * sslpassword, …) kept apart so that the caller can store them somewhere safe and the rest in
 * plain settings. Resolution stays libpq's (resolve.ts): a profile is just explicit parameters.
 */
import { DumpError } from '../errors';
import { CONNECTION_KEYWORDS, isSecretKeyword, parseConnectionString, type ConnParams } from './conninfo';
import { DEFAULT_PORT } from './pgpass';
import { resolveConnection, type ResolveOptions, type ResolvedConnection } from './resolve';

export interface SplitParams {
  /** Everything but the secrets: safe to store in plain settings. */
  params: ConnParams;
  /** The secret keywords' values (password, sslpassword, …): for a secret store only. */
  secrets: ConnParams;
}

/** Separates secret keywords from the rest. Empty values are dropped (libpq: not given). */
export function splitSecrets(params: ConnParams): SplitParams {
  const out: SplitParams = { params: {}, secrets: {} };
  for (const k of CONNECTION_KEYWORDS) {
    const v = params[k];
    if (v === undefined || v === '') continue;
    (isSecretKeyword(k) ? out.secrets : out.params)[k] = v;
  }
  return out;
}

/**
 * A `postgresql://` URI or a `keyword=value` string as a profile's parameters and secrets,
 * checked as libpq would check it (keywords, values, a named service that must exist). Throws a
 * one-line DumpError('usage') that never repeats a password.
 */
export function parseProfileInput(text: string, options: ResolveOptions = {}): SplitParams {
  const trimmed = text.trim();
  if (trimmed === '') throw new DumpError('usage', 'the connection string is empty: give a postgresql:// URI or keyword=value pairs such as "host=db.example.com dbname=shop"');
  const split = splitSecrets(parseConnectionString(trimmed));
  checkProfileParams(split, options);
  return split;
}

/** Throws the one-line DumpError libpq's rules give for these parameters (bad sslmode, unknown service, …). */
export function checkProfileParams(split: SplitParams, options: ResolveOptions = {}): void {
  resolveProfile(split.params, split.secrets, {}, options);
}

export interface ProfileTarget {
  /** Connect to this database instead of the profile's own. */
  database?: string;
  /** A password the user typed now; wins over a stored one. */
  password?: string;
}

/**
 * A profile's connection, libpq's way: its parameters and stored secrets are explicit
 * parameters, then the service, the PG* environment, the password file and the defaults.
 */
export function resolveProfile(params: ConnParams, secrets: ConnParams, target: ProfileTarget = {}, options: ResolveOptions = {}): ResolvedConnection {
  const input: ConnParams = { ...params, ...splitSecrets(secrets).secrets };
  if (target.password !== undefined) input.password = target.password;
  if (target.database !== undefined && target.database !== '') input.dbname = target.database;
  return resolveConnection(input, options);
}

/** A name for a new profile from what it says: the service, else `user@host:port/dbname` (parts left out when not given). */
export function suggestProfileName(params: ConnParams): string {
  if (params.service) return params.service;
  const host = params.host || params.hostaddr || 'localhost';
  const port = params.port && params.port !== DEFAULT_PORT ? `:${params.port}` : '';
  const user = params.user ? `${params.user}@` : '';
  const db = params.dbname ? `/${params.dbname}` : '';
  return `${user}${host}${port}${db}`;
}

/** `host:port, user` (hosts comma-separated): what every pick shows so the user knows which server. */
export function connectionSummary(connection: ResolvedConnection): string {
  const hosts = connection.hosts.map((h) => `${h.host || h.hostaddr || 'localhost'}:${h.port}`).join(', ');
  return `${hosts}, ${connection.user}`;
}
