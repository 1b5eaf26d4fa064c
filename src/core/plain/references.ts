import { readQualifiedName } from '../plan/closure';
import type { PlainEntry } from './indexer';

/**
 * The schema-qualified names a section of a plain dump uses, and the entries that create them.
 *
 * pg_dump writes every name it refers to qualified (its scripts run with an empty search_path),
 * so `sales.customer` in `REFERENCES sales.customer(id)` names the TABLE entry of schema `sales`
 * called `customer`. Names are found after the words that introduce them (REFERENCES, ON, FROM,
 * …) rather than by parsing SQL: only names that resolve to an entry of the dump are kept, so a
 * word that looks like a name but is not one (a column `o.total` after FROM in EXTRACT) is
 * dropped when it is resolved.
 */

export type UseKind =
  | 'create'
  | 'references'
  | 'index-on'
  | 'trigger-on'
  | 'policy-on'
  | 'rule-on'
  | 'owned-by'
  | 'from'
  | 'alter'
  | 'attach'
  | 'partition-of'
  | 'inherits'
  | 'comment-on'
  | 'grant-on'
  | 'copy'
  | 'execute'
  | 'cast';

export interface NameUse {
  kind: UseKind;
  /** The object's schema and name, as stored in the catalog (unquoted parts folded to lower case). */
  schema: string;
  name: string;
  /** The name's text in the section: [start, end) in UTF-16 units, `schema.name` without a column part. */
  start: number;
  end: number;
}

const IDENT = String.raw`(?:"(?:[^"]|"")*"|[A-Za-z0-9_$\u0080-\uffff]+)`;

/** The words after which a name starts, and what the name is to the statement. */
const ANCHORS: readonly { kind: UseKind; re: RegExp }[] = [
  { kind: 'create', re: /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:UNLOGGED\s+)?(?:TABLE|FOREIGN\s+TABLE|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE|DOMAIN|FUNCTION|PROCEDURE|AGGREGATE)\s+(?:IF\s+NOT\s+EXISTS\s+)?/g },
  { kind: 'references', re: /\bREFERENCES\s+/g },
  { kind: 'index-on', re: new RegExp(String.raw`\bCREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?(?:${IDENT}\s+)?ON\s+(?:ONLY\s+)?`, 'g') },
  { kind: 'trigger-on', re: new RegExp(String.raw`\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+${IDENT}\s+[^;]*?\bON\s+`, 'g') },
  { kind: 'policy-on', re: new RegExp(String.raw`\bCREATE\s+POLICY\s+${IDENT}\s+ON\s+`, 'g') },
  { kind: 'rule-on', re: new RegExp(String.raw`\bCREATE\s+(?:OR\s+REPLACE\s+)?RULE\s+${IDENT}\s+AS\s+ON\s+[A-Z]+\s+TO\s+`, 'g') },
  { kind: 'owned-by', re: /\bOWNED\s+BY\s+/g },
  { kind: 'alter', re: /\bALTER\s+(?:TABLE|FOREIGN\s+TABLE|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE|DOMAIN|INDEX)\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?/g },
  { kind: 'attach', re: /\bATTACH\s+PARTITION\s+/g },
  { kind: 'partition-of', re: /\bPARTITION\s+OF\s+/g },
  { kind: 'inherits', re: /\bINHERITS\s+\(\s*/g },
  { kind: 'comment-on', re: /\bCOMMENT\s+ON\s+(?:TABLE|FOREIGN\s+TABLE|VIEW|MATERIALIZED\s+VIEW|SEQUENCE|TYPE|DOMAIN|INDEX|COLUMN|FUNCTION|PROCEDURE)\s+/g },
  { kind: 'grant-on', re: /\b(?:GRANT|REVOKE)\s[^;]*?\bON\s+(?:TABLE|SEQUENCE|FUNCTION|PROCEDURE|TYPE|DOMAIN)\s+/g },
  { kind: 'copy', re: /^COPY\s+/gm },
  { kind: 'execute', re: /\bEXECUTE\s+(?:FUNCTION|PROCEDURE)\s+/g },
  { kind: 'cast', re: /::\s*/g },
];

/** FROM and JOIN, and a list of names after FROM separated by commas (each with an optional alias). */
const FROM = /\b(?:FROM|JOIN)\s+(?:\(\s*)*/g;
const ALIAS_THEN_COMMA = new RegExp(String.raw`^(?:\s+(?:AS\s+)?(?!(?:WHERE|JOIN|LEFT|RIGHT|INNER|FULL|CROSS|ON|GROUP|ORDER|LIMIT|UNION|WINDOW|HAVING)\b)${IDENT})?\s*,\s*`);

/**
 * A qualified name at `at`, with where each of its parts ends. The parts come from
 * readQualifiedName (the closure's reader of pg_dump's names); unquoted parts fold to lower case,
 * as PostgreSQL folds them.
 */
export function qualifiedNameAt(text: string, at: number): { parts: string[]; ends: number[] } | null {
  const parts = readQualifiedName(text, at);
  if (!parts || parts.length === 0) return null;
  let i = at;
  const folded: string[] = [];
  const ends: number[] = [];
  for (let k = 0; k < parts.length; k++) {
    if (k > 0) i++; // the dot
    const part = parts[k]!;
    if (text[i] === '"') {
      // The quoted identifier: its text with every quote doubled, and the two quotes around it.
      i += part.length + (part.match(/"/g)?.length ?? 0) + 2;
      folded.push(part);
    } else {
      i += part.length;
      folded.push(part.toLowerCase());
    }
    ends.push(i);
  }
  return { parts: folded, ends };
}

/** The uses of schema-qualified names in a section's SQL (COPY data excluded by the caller). */
export function namesUsedIn(sql: string): NameUse[] {
  const uses: NameUse[] = [];
  /** Adds the name at `at`; returns where it ends, or -1 when there is no qualified name. */
  const add = (kind: UseKind, at: number): number => {
    const name = qualifiedNameAt(sql, at);
    if (!name || name.parts.length < 2) return -1;
    // A column after its table (OWNED BY s.t.c, COMMENT ON COLUMN s.t.c): the use is of s.t.
    uses.push({ kind, schema: name.parts[0]!, name: name.parts[1]!, start: at, end: name.ends[1]! });
    return name.ends.at(-1)!;
  };
  for (const { kind, re } of ANCHORS) {
    re.lastIndex = 0;
    for (let m = re.exec(sql); m; m = re.exec(sql)) add(kind, m.index + m[0].length);
  }
  FROM.lastIndex = 0;
  for (let m = FROM.exec(sql); m; m = FROM.exec(sql)) {
    let at = m.index + m[0].length;
    for (;;) {
      const end = add('from', at);
      if (end < 0) break;
      const more = ALIAS_THEN_COMMA.exec(sql.slice(end, end + 200));
      if (!more) break;
      at = end + more[0].length;
    }
  }
  // One use per place: an anchor and FROM may both find the same name.
  return uses.sort((a, b) => a.start - b.start).filter((u, k, all) => k === 0 || u.start !== all[k - 1]!.start);
}

/** Kinds of entries that create a name others refer to. */
const CREATING = new Set(['TABLE', 'FOREIGN TABLE', 'VIEW', 'MATERIALIZED VIEW', 'SEQUENCE', 'TYPE', 'DOMAIN', 'INDEX', 'FUNCTION', 'PROCEDURE', 'AGGREGATE']);

/** The entry that creates each schema-qualified name of a dump. */
export class NameResolver {
  private readonly byName = new Map<string, number>();

  constructor(entries: readonly PlainEntry[]) {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!CREATING.has(e.desc) || e.namespace === null) continue;
      // A function's tag carries its arguments: `customer_total(bigint)` is found as customer_total.
      const paren = e.tag.indexOf('(');
      const name = paren > 0 && /FUNCTION|PROCEDURE|AGGREGATE/.test(e.desc) ? e.tag.slice(0, paren) : e.tag;
      const key = `${e.namespace}\u0000${name}`;
      if (!this.byName.has(key)) this.byName.set(key, i);
    }
  }

  /** Position of the entry that creates `schema.name`; -1 when the dump has none. */
  resolve(schema: string, name: string): number {
    return this.byName.get(`${schema}\u0000${name}`) ?? -1;
  }
}

/** A name use in a dump's text, resolved: the section it is in, where, and the entry it names. */
export interface ResolvedUse extends NameUse {
  /** Position of the entry whose section holds the use. */
  section: number;
  /** Position of the entry that creates the name. */
  target: number;
}

/** Every use of a name in the given sections that resolves to an entry (the SQL of data sections without their rows). */
export function resolvedUses(entries: readonly PlainEntry[], sectionSql: (entry: number) => string | null): ResolvedUse[] {
  const resolver = new NameResolver(entries);
  const out: ResolvedUse[] = [];
  for (let i = 0; i < entries.length; i++) {
    const sql = sectionSql(i);
    if (sql === null) continue;
    for (const use of namesUsedIn(sql)) {
      const target = resolver.resolve(use.schema, use.name);
      if (target >= 0) out.push({ ...use, section: i, target });
    }
  }
  return out;
}
