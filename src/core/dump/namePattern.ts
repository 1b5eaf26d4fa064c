/**
 * pg_dump's `-n` / `-t` patterns (psql's) as the regular expressions pg_dump sends to the server,
 * so that the catalog can be asked which schemas and tables a dump selects, exactly as pg_dump
 * will: outside double quotes letters fold to lower case, `*` is any text, `?` one character, `.`
 * separates database, schema and name, and other characters pass on as regular-expression syntax
 * (`$` and `[]` always literal); inside quotes everything is literal and `""` is one quote.
 */
import { DumpError } from '../errors';

export interface NamePattern {
  /** The database part (`db.schema.table`), literal: pg_dump only allows the current database. */
  database?: string;
  /** Anchored regex for the schema; absent: an unqualified pattern, which matches visible objects only. */
  schema?: string;
  /** Anchored regex for the name. */
  name: string;
}

/** The regex that matches anything: pg_dump leaves such a condition out. */
export const MATCH_ALL = '^(.*)$';

const ESCAPED_IN_QUOTES = '|*+?()[]{}.^\\';

interface Parts {
  regexes: string[];
  /** The first part as a literal name (quotes removed, letters folded), for the database check. */
  firstLiteral: string;
  dots: number;
}

/** Splits at unquoted dots into at most `maxParts` regexes; further dots stay in the last part and are counted. */
function toRegexes(pattern: string, maxParts: number): Parts {
  const regexes: string[] = [];
  let current = '^(';
  let literal = '';
  let inFirst = true;
  let inQuotes = false;
  let dots = 0;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    const add = (re: string, lit: string) => {
      current += re;
      if (inFirst) literal += lit;
    };
    if (ch === '"') {
      if (inQuotes && chars[i + 1] === '"') {
        add('"', '"');
        i++;
      } else inQuotes = !inQuotes;
    } else if (!inQuotes && ch >= 'A' && ch <= 'Z') add(ch.toLowerCase(), ch.toLowerCase());
    else if (!inQuotes && ch === '*') add('.*', '*');
    else if (!inQuotes && ch === '?') add('.', '?');
    else if (!inQuotes && ch === '.') {
      inFirst = false;
      dots++;
      if (regexes.length < maxParts - 1) {
        regexes.push(`${current})$`);
        current = '^(';
      } else current += ch;
    } else if (ch === '$') add('\\$', '$');
    else if (inQuotes && ESCAPED_IN_QUOTES.includes(ch)) add(`\\${ch}`, ch);
    else if (ch === '[' && chars[i + 1] === ']') add('\\[', ch);
    else add(ch, ch);
  }
  regexes.push(`${current})$`);
  return { regexes, firstLiteral: literal, dots };
}

/**
 * A `-t` / `-T` / `--exclude-table-data` pattern: `name`, `schema.name` or `database.schema.name`.
 * Throws pg_dump's own one-line refusals: more than two dots, or a database other than `currentDatabase`.
 */
export function tablePattern(pattern: string, currentDatabase: string): NamePattern {
  const { regexes, firstLiteral, dots } = toRegexes(pattern, 3);
  if (dots > 2) throw new DumpError('usage', `improper relation name (too many dotted names): ${pattern}`);
  if (dots === 2) {
    if (firstLiteral !== currentDatabase) throw new DumpError('usage', `cross-database references are not implemented: ${pattern}`);
    return { database: firstLiteral, schema: regexes[1] as string, name: regexes[2] as string };
  }
  if (dots === 1) return { schema: regexes[0] as string, name: regexes[1] as string };
  return { name: regexes[0] as string };
}

/** A `-n` / `-N` pattern. pg_dump refuses any dot outside quotes (it would name another database). */
export function schemaPattern(pattern: string): string {
  const { regexes, dots } = toRegexes(pattern, 1);
  if (dots > 1) throw new DumpError('usage', `improper qualified name (too many dotted names): ${pattern}`);
  if (dots === 1) throw new DumpError('usage', `cross-database references are not implemented: ${pattern}`);
  return regexes[0] as string;
}
