/**
 * Which roles a restore needs: the owners pg_restore gives objects (`ALTER … OWNER TO`), and the
 * roles named in the SQL of TOC entries: grantees and grantors of privileges, `ALTER DEFAULT
 * PRIVILEGES FOR ROLE`, `SET SESSION AUTHORIZATION` around a grant, `CREATE POLICY … TO`,
 * `CREATE USER MAPPING FOR`, `ALTER … OWNER TO` written into a definition.
 *
 * The SQL is tokenized (quoted identifiers, string and dollar-quoted literals, comments), never
 * matched with a regular expression over raw text, so a role named in a function body or a
 * quoted name holding `TO` is not mistaken for one.
 */
import type { TocEntry } from '../model/types';

/** What a role is to the restore; decides which pg_restore option avoids needing it. */
export type RoleUse =
  /** Owner of a restored object (`--no-owner` leaves ownership out). */
  | 'owner'
  /** Grantee, grantor or default-privileges role (`--no-privileges` leaves them out). */
  | 'privileges'
  /** Named by a row security policy (no option leaves it out). */
  | 'policy'
  /** Anything else that names a role (user mappings). */
  | 'other';

export interface RoleReference {
  role: string;
  use: RoleUse;
}

type Token =
  | { kind: 'word'; text: string; lower: string }
  | { kind: 'ident'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'punct'; text: string };

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

/** PostgreSQL folds unquoted identifiers to lower case, ASCII letters only. */
const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** SQL text as statements of tokens (split at top-level semicolons). Malformed input ends the last token early, never throws. */
function tokenizeStatements(sql: string): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  const n = sql.length;
  let i = 0;
  const push = (t: Token) => current.push(t);
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol < 0 ? n : eol + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        const q = sql.indexOf('"', i);
        if (q < 0) {
          text += sql.slice(i);
          i = n;
          break;
        }
        text += sql.slice(i, q);
        if (sql[q + 1] === '"') {
          text += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      push({ kind: 'ident', text });
    } else if (c === "'") {
      const { text, end } = readString(sql, i + 1, false);
      i = end;
      push({ kind: 'string', text });
    } else if (c === '$' && /[A-Za-z_$]/.test(sql[i + 1] ?? '')) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 100));
      if (!m) {
        push({ kind: 'punct', text: '$' });
        i++;
        continue;
      }
      const close = sql.indexOf(m[0], i + m[0].length);
      const end = close < 0 ? n : close + m[0].length;
      push({ kind: 'string', text: sql.slice(i + m[0].length, close < 0 ? n : close) });
      i = end;
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < n && WORD_PART.test(sql[j]!)) j++;
      const text = sql.slice(i, j);
      if ((text === 'E' || text === 'e') && sql[j] === "'") {
        const s = readString(sql, j + 1, true);
        push({ kind: 'string', text: s.text });
        i = s.end;
        continue;
      }
      push({ kind: 'word', text, lower: fold(text) });
      i = j;
    } else if (c === ';') {
      if (current.length > 0) statements.push(current);
      current = [];
      i++;
    } else {
      push({ kind: 'punct', text: c });
      i++;
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}

/** A '…' literal from just after its opening quote: its value and the index after it. */
function readString(sql: string, from: number, backslashEscapes: boolean): { text: string; end: number } {
  let text = '';
  let i = from;
  while (i < sql.length) {
    const c = sql[i]!;
    if (backslashEscapes && c === '\\') {
      text += sql[i + 1] ?? '';
      i += 2;
    } else if (c === "'") {
      if (sql[i + 1] === "'") {
        text += "'";
        i += 2;
      } else return { text, end: i + 1 };
    } else {
      text += c;
      i++;
    }
  }
  return { text, end: i };
}

const isWord = (t: Token | undefined, ...words: string[]): boolean => t?.kind === 'word' && words.includes(t.lower);

/** Index of the first word `word` at parenthesis depth 0 in `tokens` from `from`, or -1. */
function findWord(tokens: readonly Token[], word: string, from = 0): number {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) depth++;
    else if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) depth = Math.max(0, depth - 1);
    else if (depth === 0 && t.kind === 'word' && t.lower === word) return i;
  }
  return -1;
}

/** Role specifications that are not role names. */
const PSEUDO_ROLES = new Set(['public', 'current_user', 'session_user', 'current_role']);

/** One role specification at `at`: its name (null for PUBLIC, CURRENT_USER…), and where it ends. */
function roleAt(tokens: readonly Token[], at: number): { role: string | null; next: number } | null {
  let i = at;
  if (isWord(tokens[i], 'group') && (tokens[i + 1]?.kind === 'word' || tokens[i + 1]?.kind === 'ident')) i++;
  const t = tokens[i];
  if (!t) return null;
  if (t.kind === 'ident') return { role: t.text, next: i + 1 };
  if (t.kind === 'word') return { role: PSEUDO_ROLES.has(t.lower) ? null : t.lower, next: i + 1 };
  return null;
}

/** A comma-separated list of role specifications at `at`: the role names in it. */
function roleList(tokens: readonly Token[], at: number): string[] {
  const out: string[] = [];
  let i = at;
  for (;;) {
    const r = roleAt(tokens, i);
    if (!r) return out;
    if (r.role !== null) out.push(r.role);
    i = r.next;
    const t = tokens[i];
    if (!(t?.kind === 'punct' && t.text === ',')) return out;
    i++;
  }
}

/** The grantor of a `GRANTED BY role` clause in `tokens`, if any. */
function grantedBy(tokens: readonly Token[]): string[] {
  const at = findWord(tokens, 'granted');
  if (at < 0 || !isWord(tokens[at + 1], 'by')) return [];
  const r = roleAt(tokens, at + 2);
  return r?.role ? [r.role] : [];
}

/** GRANT … TO roles / REVOKE … FROM roles, starting at tokens[0]. */
function grantRoles(tokens: readonly Token[]): string[] {
  const grant = isWord(tokens[0], 'grant');
  const keyword = grant ? 'to' : 'from';
  const at = findWord(tokens, keyword, 1);
  if (at < 0) return [];
  const out = [...roleList(tokens, at + 1), ...grantedBy(tokens)];
  // Role membership (GRANT r1 TO r2): no ON clause, and the granted roles come first.
  if (findWord(tokens.slice(0, at), 'on', 1) < 0) {
    let from = 1;
    if (!grant && isWord(tokens[1], 'admin', 'inherit', 'set') && isWord(tokens[2], 'option') && isWord(tokens[3], 'for')) from = 4;
    out.push(...roleList(tokens, from));
  }
  return out;
}

/** The roles one statement names, with what they are to it. */
function statementRoles(tokens: readonly Token[]): RoleReference[] {
  const first = tokens[0];
  if (!first || first.kind !== 'word') return [];
  const out: RoleReference[] = [];
  const add = (roles: string[], use: RoleUse) => roles.forEach((role) => out.push({ role, use }));
  switch (first.lower) {
    case 'grant':
    case 'revoke':
      add(grantRoles(tokens), 'privileges');
      break;
    case 'set': {
      // SET SESSION AUTHORIZATION role / SET ROLE role: pg_dump's way of granting as another grantor.
      let at = -1;
      if (isWord(tokens[1], 'session') && isWord(tokens[2], 'authorization')) at = 3;
      else if (isWord(tokens[1], 'role')) at = 2;
      const t = tokens[at];
      if (at > 0 && t) {
        if (t.kind === 'ident' || t.kind === 'string') add([t.text], 'privileges');
        else if (t.kind === 'word' && !['default', 'none', ...PSEUDO_ROLES].includes(t.lower)) add([t.lower], 'privileges');
      }
      break;
    }
    case 'alter': {
      if (isWord(tokens[1], 'default') && isWord(tokens[2], 'privileges')) {
        if (isWord(tokens[3], 'for') && isWord(tokens[4], 'role', 'user')) add(roleList(tokens, 5), 'privileges');
        const g = findWord(tokens, 'grant', 3);
        const r = findWord(tokens, 'revoke', 3);
        const at = g >= 0 && (r < 0 || g < r) ? g : r;
        if (at >= 0) add(grantRoles(tokens.slice(at)), 'privileges');
        break;
      }
      const owner = findWord(tokens, 'owner', 1);
      if (owner >= 0 && isWord(tokens[owner + 1], 'to')) {
        const r = roleAt(tokens, owner + 2);
        if (r?.role) add([r.role], 'owner');
      }
      break;
    }
    case 'create': {
      let i = 1;
      if (isWord(tokens[1], 'or') && isWord(tokens[2], 'replace')) i = 3;
      if (isWord(tokens[i], 'policy')) {
        const to = findWord(tokens, 'to', i + 1);
        if (to >= 0) add(roleList(tokens, to + 1), 'policy');
      } else if (isWord(tokens[i], 'user') && isWord(tokens[i + 1], 'mapping')) {
        const f = findWord(tokens, 'for', i + 2);
        const t = tokens[f + 1];
        if (f >= 0 && t) {
          if (t.kind === 'ident') add([t.text], 'other');
          else if (t.kind === 'word' && !['user', ...PSEUDO_ROLES].includes(t.lower)) add([t.lower], 'other');
        }
      }
      break;
    }
  }
  return out;
}

/** Every role the SQL names, in order, each with what it is to its statement. */
export function rolesInSql(sql: string): RoleReference[] {
  return tokenizeStatements(sql).flatMap(statementRoles);
}

/**
 * Kinds pg_restore gives an owner with `ALTER … OWNER TO` (unless --no-owner): those
 * _getObjectDescription in pg_backup_archiver.c knows, for entries with a DROP statement.
 */
export const OWNED_KINDS: ReadonlySet<string> = new Set([
  'AGGREGATE',
  'BLOB',
  'BLOB METADATA',
  'COLLATION',
  'CONVERSION',
  'DATABASE',
  'DOMAIN',
  'EVENT TRIGGER',
  'FOREIGN DATA WRAPPER',
  'FOREIGN TABLE',
  'FUNCTION',
  'LARGE OBJECT',
  'MATERIALIZED VIEW',
  'OPERATOR',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'PROCEDURAL LANGUAGE',
  'PROCEDURE',
  'PUBLICATION',
  'SCHEMA',
  'SEQUENCE',
  'SERVER',
  'STATISTICS',
  'SUBSCRIPTION',
  'TABLE',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TYPE',
  'VIEW',
]);

/** Kinds whose SQL is read for role names. */
const ROLE_NAMING_KINDS = new Set(['ACL', 'DEFAULT ACL', 'POLICY', 'USER MAPPING']);
/**
 * Kinds whose SQL pg_dump writes as one CREATE (or ALTER) of the object itself, never with an
 * ownership change or a session switch of its own: not searched, which spares decoding the
 * definitions that make up most of a large archive.
 */
const PLAIN_DEFINITION_KINDS = new Set([
  'TABLE',
  'TABLE DATA',
  'VIEW',
  'MATERIALIZED VIEW',
  'MATERIALIZED VIEW DATA',
  'SEQUENCE',
  'SEQUENCE SET',
  'SEQUENCE OWNED BY',
  'INDEX',
  'INDEX ATTACH',
  'TABLE ATTACH',
  'CONSTRAINT',
  'FK CONSTRAINT',
  'CHECK CONSTRAINT',
  'DEFAULT',
  'TRIGGER',
  'RULE',
  'FUNCTION',
  'PROCEDURE',
  'AGGREGATE',
  'TYPE',
  'DOMAIN',
  'COMMENT',
  'STATISTICS DATA',
  'ROW SECURITY',
]);
const MAY_NAME_ROLES = /\bOWNER\s+TO\b|\bSESSION\s+AUTHORIZATION\b/i;
const SETS_OWNER = /^ALTER [A-Z]+(?: [A-Z]+)* .* OWNER TO /m;

/**
 * The roles restoring `e` needs: its owner when pg_restore sets it, and the roles its SQL names.
 * An ACL entry's roles are all privileges, whatever statement names them.
 */
export function entryRoles(e: TocEntry): RoleReference[] {
  const out: RoleReference[] = [];
  const desc = e.desc ?? '';
  // pg_restore sets the owner of entries with a DROP statement; a plain dump's section says it itself.
  if (OWNED_KINDS.has(desc) && e.owner && (e.dropStmt || (e.dropStmt === null && e.defn !== null && SETS_OWNER.test(e.defn)))) out.push({ role: e.owner, use: 'owner' });
  const naming = ROLE_NAMING_KINDS.has(desc);
  if (!naming && PLAIN_DEFINITION_KINDS.has(desc)) return out;
  const sql = e.defn;
  if (sql && (naming || MAY_NAME_ROLES.test(sql))) {
    const acl = desc === 'ACL' || desc === 'DEFAULT ACL';
    for (const r of rolesInSql(sql)) out.push(acl ? { role: r.role, use: 'privileges' } : r);
  }
  return out;
}
