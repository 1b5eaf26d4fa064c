/**
 * libpq connection strings: `postgresql://` / `postgres://` URIs and `keyword=value` strings,
 * parsed by the rules libpq documents (section "Connection Strings") and with libpq's error
 * wording where it has one. Parsing only collects what the string says; defaults, the service
 * file, the environment and the password file are applied by resolve.ts.
 *
 * No error message ever contains a password: URIs are shown with the password masked, and a
 * token that follows a secret keyword is never echoed.
 */
import { DumpError } from '../errors';

/**
 * Every keyword libpq 15–18 accepts (18 added `servicefile`, the protocol-version, OAuth and
 * SCRAM-key ones; 17 `sslnegotiation`; 16 `require_auth`, `sslcertmode`, `load_balance_hosts`,
 * `gssdelegation`). A keyword a newer libpq added is accepted here even when the libpq that a
 * tool loads is older: that tool says so itself.
 */
export const CONNECTION_KEYWORDS = [
  'host',
  'hostaddr',
  'port',
  'dbname',
  'user',
  'password',
  'passfile',
  'service',
  'servicefile',
  'application_name',
  'fallback_application_name',
  'options',
  'connect_timeout',
  'client_encoding',
  'sslmode',
  'sslnegotiation',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslcertmode',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'sslcompression',
  'sslkeylogfile',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'min_protocol_version',
  'max_protocol_version',
  'channel_binding',
  'require_auth',
  'requirepeer',
  'gssencmode',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'target_session_attrs',
  'load_balance_hosts',
  'oauth_issuer',
  'oauth_client_id',
  'oauth_client_secret',
  'oauth_scope',
  'scram_client_key',
  'scram_server_key',
] as const;

export type ConnKeyword = (typeof CONNECTION_KEYWORDS)[number];

/** Connection parameters by libpq keyword. Values are kept exactly as given (lists stay `a,b`). */
export type ConnParams = Partial<Record<ConnKeyword, string>>;

const KEYWORD_SET: ReadonlySet<string> = new Set(CONNECTION_KEYWORDS);

/** Keywords whose values are never printed (libpq marks them "*" in PQconndefaults). */
export const SECRET_KEYWORDS: ReadonlySet<ConnKeyword> = new Set<ConnKeyword>([
  'password',
  'sslpassword',
  'oauth_client_secret',
  'scram_client_key',
  'scram_server_key',
]);

export function isConnKeyword(word: string): word is ConnKeyword {
  return KEYWORD_SET.has(word);
}

export function isSecretKeyword(word: string): boolean {
  return SECRET_KEYWORDS.has(word as ConnKeyword);
}

const URI_PREFIXES = ['postgresql://', 'postgres://'] as const;

/** Length of the URI designator `str` starts with (case-sensitive, as in libpq), or 0. */
function uriPrefixLength(str: string): number {
  for (const prefix of URI_PREFIXES) if (str.startsWith(prefix)) return prefix.length;
  return 0;
}

export function isConnectionUri(str: string): boolean {
  return uriPrefixLength(str) > 0;
}

/**
 * Whether libpq would take `str` as a connection string rather than a database name: it starts
 * with a URI designator or contains `=`. This is the test behind psql's `-d` and every
 * `dbname` value (libpq's "expand_dbname").
 */
export function looksLikeConnectionString(str: string): boolean {
  return isConnectionUri(str) || str.includes('=');
}

const usage = (message: string): DumpError => new DumpError('usage', message);

/** `str` as libpq would parse it: a URI when it starts with a designator, else `keyword=value` pairs. */
export function parseConnectionString(str: string): ConnParams {
  return isConnectionUri(str) ? parseConnectionUri(str) : parseKeywordValue(str);
}

// ---------------------------------------------------------------------------------------------
// keyword=value

const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';

/**
 * `keyword = value` pairs separated by whitespace. Spaces around `=` are optional. A value is
 * either unquoted (ends at whitespace) or in single quotes; in both, a backslash takes the next
 * character literally (`\'`, `\\`, `\ `). A keyword given twice keeps its last value.
 */
export function parseKeywordValue(str: string): ConnParams {
  const out: ConnParams = {};
  let i = 0;
  let lastKeyword: string | undefined;
  const n = str.length;
  while (i < n) {
    if (isSpace(str[i])) {
      i++;
      continue;
    }
    // The keyword: up to '=' or whitespace (then whitespace may precede the '=').
    const start = i;
    while (i < n && str[i] !== '=' && !isSpace(str[i])) i++;
    const keyword = str.slice(start, i);
    while (i < n && isSpace(str[i])) i++;
    if (str[i] !== '=') {
      if (lastKeyword !== undefined && isSecretKeyword(lastKeyword)) {
        throw usage(`missing "=" after the value of ${lastKeyword} in connection info string: put a value that contains spaces in single quotes`);
      }
      throw usage(`missing "=" after "${keyword}" in connection info string`);
    }
    i++;
    while (i < n && isSpace(str[i])) i++;
    let value = '';
    if (str[i] !== "'") {
      while (i < n && !isSpace(str[i])) {
        if (str[i] === '\\') {
          i++;
          if (i < n) value += str[i++];
        } else {
          value += str[i++];
        }
      }
    } else {
      i++;
      for (;;) {
        if (i >= n) throw usage(`unterminated quoted string in connection info string (value of ${keyword})`);
        const ch = str[i] as string;
        if (ch === '\\') {
          i++;
          if (i < n) value += str[i++];
          continue;
        }
        if (ch === "'") {
          i++;
          break;
        }
        value += ch;
        i++;
      }
    }
    if (!isConnKeyword(keyword)) throw usage(`invalid connection option "${keyword}"`);
    out[keyword] = value;
    lastKeyword = keyword;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// URIs

/** The URI with the password of its user information replaced, for error messages. */
export function redactUri(uri: string): string {
  const prefix = uriPrefixLength(uri);
  if (prefix === 0) return uri;
  let out = uri;
  const rest = uri.slice(prefix);
  const at = firstOf(rest, 0, '@/');
  if (at < rest.length && rest[at] === '@') {
    const colon = rest.indexOf(':');
    if (colon >= 0 && colon < at) out = `${uri.slice(0, prefix)}${rest.slice(0, colon)}:********${rest.slice(at)}`;
  }
  // A secret may also come as a query parameter.
  return out.replace(/([?&](?:password|sslpassword|oauth_client_secret|scram_client_key|scram_server_key)=)[^&]*/g, '$1********');
}

/** Index of the first character of `chars` in `str` at or after `from`, else `str.length`. */
function firstOf(str: string, from: number, chars: string): number {
  for (let i = from; i < str.length; i++) if (chars.includes(str[i] as string)) return i;
  return str.length;
}

function hexValue(ch: string | undefined): number {
  if (ch === undefined) return -1;
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Percent-decoding as libpq does it: `%XX` only (no `+`), never `%00`; bytes read as UTF-8. */
function uriDecode(part: string, uri: string): string {
  if (!part.includes('%')) return part;
  const bytes: number[] = [];
  const raw = Buffer.from(part, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i] as number;
    if (b !== 0x25) {
      bytes.push(b);
      continue;
    }
    const hi = hexValue(String.fromCharCode(raw[i + 1] ?? 0));
    const lo = hexValue(String.fromCharCode(raw[i + 2] ?? 0));
    if (i + 2 >= raw.length || hi < 0 || lo < 0) throw usage(`invalid percent-encoded token "${raw.subarray(i, i + 3).toString('utf8')}" in URI: ${redactUri(uri)}`);
    const value = hi * 16 + lo;
    if (value === 0) throw usage(`forbidden value %00 in percent-encoded value in URI: ${redactUri(uri)}`);
    bytes.push(value);
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * `postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?param=value&...]`.
 * Every part is percent-decoded; `[...]` encloses an IPv6 address; hosts and ports become
 * comma-separated lists (a host without a port leaves an empty place in the port list, which
 * means the default port). An empty dbname is not stored, so PGDATABASE still applies.
 * Query parameters are connection keywords; `ssl=true` means `sslmode=require` (JDBC habit).
 */
export function parseConnectionUri(uri: string): ConnParams {
  const prefix = uriPrefixLength(uri);
  if (prefix === 0) throw usage(`invalid connection URI: it must start with postgresql:// or postgres://`);
  const out: ConnParams = {};
  let p = prefix;
  const n = uri.length;

  // User information: only when an '@' comes before the first '/'.
  const atOrSlash = firstOf(uri, p, '@/');
  if (atOrSlash < n && uri[atOrSlash] === '@') {
    const userEnd = firstOf(uri, p, ':@');
    const user = uri.slice(p, userEnd);
    if (user) out.user = uriDecode(user, uri);
    if (uri[userEnd] === ':') {
      const passwordEnd = uri.indexOf('@', userEnd + 1);
      const password = uri.slice(userEnd + 1, passwordEnd);
      if (password) out.password = uriDecode(password, uri);
      p = passwordEnd + 1;
    } else {
      p = userEnd + 1;
    }
  }

  // host[:port] pairs separated by commas.
  const hosts: string[] = [];
  const ports: string[] = [];
  let anyPort = false;
  let terminator = '';
  for (;;) {
    let host: string;
    if (uri[p] === '[') {
      const close = uri.indexOf(']', p + 1);
      if (close < 0) throw usage(`end of string reached when looking for matching "]" in IPv6 host address in URI: ${redactUri(uri)}`);
      if (close === p + 1) throw usage(`IPv6 host address may not be empty in URI: ${redactUri(uri)}`);
      host = uri.slice(p + 1, close);
      p = close + 1;
      const next = uri[p];
      if (next !== undefined && next !== ':' && next !== '/' && next !== '?' && next !== ',') {
        throw usage(`unexpected character "${next}" at position ${p + 1} in URI (expected ":" or "/"): ${redactUri(uri)}`);
      }
    } else {
      const end = firstOf(uri, p, ':/?,');
      host = uri.slice(p, end);
      p = end;
    }
    hosts.push(host);
    terminator = uri[p] ?? '';
    let port = '';
    if (terminator === ':') {
      const end = firstOf(uri, p + 1, '/?,');
      port = uri.slice(p + 1, end);
      anyPort = true;
      p = end;
      terminator = uri[p] ?? '';
    }
    ports.push(port);
    if (terminator !== ',') break;
    p++;
  }
  const hostList = hosts.join(',');
  // libpq keeps the port list whenever a port or a second host was written: `h1,h2` gives port ",".
  const portList = anyPort || hosts.length > 1 ? ports.join(',') : '';
  if (hostList) out.host = uriDecode(hostList, uri);
  if (portList) out.port = uriDecode(portList, uri);

  if (terminator === '/') {
    const end = firstOf(uri, p + 1, '?');
    const dbname = uri.slice(p + 1, end);
    if (dbname) out.dbname = uriDecode(dbname, uri);
    p = end;
    terminator = uri[p] ?? '';
  }
  if (terminator === '?') parseUriQuery(uri.slice(p + 1), uri, out);
  return out;
}

function parseUriQuery(query: string, uri: string, out: ConnParams): void {
  const pairs = query.split('&');
  // A single '&' at the very end is tolerated, as libpq does; an empty pair anywhere else is not.
  if (pairs[pairs.length - 1] === '') pairs.pop();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw usage(`missing key/value separator "=" in URI query parameter: "${pair}"`);
    if (pair.indexOf('=', eq + 1) >= 0) throw usage(`extra key/value separator "=" in URI query parameter: "${pair.slice(0, eq)}"`);
    let keyword = uriDecode(pair.slice(0, eq), uri);
    let value = uriDecode(pair.slice(eq + 1), uri);
    if (keyword === 'ssl' && value === 'true') {
      keyword = 'sslmode';
      value = 'require';
    }
    if (!isConnKeyword(keyword)) throw usage(`invalid URI query parameter: "${keyword}"`);
    out[keyword] = value;
  }
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** A value as a `keyword=value` string needs it: bare when it can be, else single-quoted with `\'` and `\\`. */
export function quoteConninfoValue(value: string): string {
  if (value !== '' && !/[\s'\\]/.test(value)) return value;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface FormatOptions {
  /**
   * No value of a secret keyword (password, sslpassword, …) is ever printed. `true` (the
   * default) leaves such keywords out; `false` shows that one is set, as `password=********`.
   */
  hidePassword?: boolean;
}

const MASK = '********';

/**
 * `keyword=value` pairs in CONNECTION_KEYWORDS order, for display and logs. Parsing the result
 * gives back the same parameters, secrets aside.
 */
export function formatConninfo(params: ConnParams, options: FormatOptions = {}): string {
  const hide = options.hidePassword ?? true;
  const parts: string[] = [];
  for (const keyword of CONNECTION_KEYWORDS) {
    const value = params[keyword];
    if (value === undefined) continue;
    if (SECRET_KEYWORDS.has(keyword)) {
      if (!hide) parts.push(`${keyword}=${MASK}`);
      continue;
    }
    parts.push(`${keyword}=${quoteConninfoValue(value)}`);
  }
  return parts.join(' ');
}
