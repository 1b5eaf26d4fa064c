import { Section } from '../model/types';
import { isName, isWord, nameOf, qualifiedNames, readColumnList, readName, splitQualifiedString, tokenize, type Token } from './sqlLexer';

/**
 * What pg_dump's archive records for a plain dump's sections, worked out from the headers and
 * a light reading of the SQL: each entry's section (as pg_dump assigns it for the kind), and its
 * dependencies (the TOC's dependency lists, which the archive has from pg_depend), so that
 * ownership, plans and closures work on a plain dump as on the archive of the same database.
 *
 * The reading relies on pg_dump naming every object schema-qualified (it restores with an empty
 * search_path since 10.3), so the qualified names in a statement are the objects it uses.
 * Dollar-quoted function bodies and string literals are not read (pg_depend does not track what
 * a function body uses either), except strings cast to regclass (`nextval('s.seq'::regclass)`).
 */

export interface SectionSource {
  desc: string;
  namespace: string | null;
  tag: string;
  /** The section's SQL; null when not read (data sections). */
  sql: string | null;
}

const NONE_KINDS = new Set(['COMMENT', 'ACL', 'ACL LANGUAGE', 'SECURITY LABEL', 'DEFAULT ACL']);
const DATA_KINDS = new Set(['TABLE DATA', 'SEQUENCE SET', 'BLOBS', 'BLOB COMMENTS', 'BLOB METADATA']);
const POST_DATA_KINDS = new Set([
  'CONSTRAINT',
  'CHECK CONSTRAINT',
  'FK CONSTRAINT',
  'INDEX',
  'INDEX ATTACH',
  'RULE',
  'TRIGGER',
  'EVENT TRIGGER',
  'POLICY',
  'ROW SECURITY',
  'MATERIALIZED VIEW DATA',
  'STATISTICS',
  'PUBLICATION',
  'PUBLICATION TABLE',
  'PUBLICATION TABLES IN SCHEMA',
  'SUBSCRIPTION',
  'SUBSCRIPTION TABLE',
]);

const RELATION_KINDS = new Set(['TABLE', 'VIEW', 'MATERIALIZED VIEW', 'FOREIGN TABLE', 'SEQUENCE']);
const TABLE_KINDS = new Set(['TABLE', 'FOREIGN TABLE']);
const TYPE_KINDS = new Set(['TYPE', 'DOMAIN', 'SHELL TYPE']);
const FUNCTION_KINDS = new Set(['FUNCTION', 'PROCEDURE', 'AGGREGATE']);
/** Kinds of objects that live in a schema (pg_depend ties them to it); their entries depend on the SCHEMA entry. */
const IN_SCHEMA_KINDS = new Set([
  'TABLE',
  'VIEW',
  'MATERIALIZED VIEW',
  'FOREIGN TABLE',
  'SEQUENCE',
  'TYPE',
  'DOMAIN',
  'SHELL TYPE',
  'FUNCTION',
  'PROCEDURE',
  'AGGREGATE',
  'COLLATION',
  'CONVERSION',
  'OPERATOR',
  'OPERATOR CLASS',
  'OPERATOR FAMILY',
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH PARSER',
  'TEXT SEARCH TEMPLATE',
  'STATISTICS',
  'EXTENSION',
]);
/** Entries about another object named by their tag (`TABLE x`, `COLUMN t.c`, `FUNCTION f(int)`, …). */
const ABOUT_KINDS = new Set(['COMMENT', 'ACL', 'SECURITY LABEL']);
/** Kinds whose SQL is read for the objects it names. */
const READ_KINDS_EXCLUDED = new Set(['SCHEMA', 'TABLE DATA', 'SEQUENCE SET', 'SEQUENCE OWNED BY', 'BLOB', 'BLOB METADATA', 'BLOBS', 'MATERIALIZED VIEW DATA', ...ABOUT_KINDS, 'STATISTICS DATA', 'DATABASE', 'DATABASE PROPERTIES']);

/** The keywords of tags such as `TABLE x`, `MATERIALIZED VIEW x`, longest first. */
const TAG_KEYWORDS = [
  'TEXT SEARCH CONFIGURATION',
  'TEXT SEARCH DICTIONARY',
  'TEXT SEARCH TEMPLATE',
  'TEXT SEARCH PARSER',
  'FOREIGN DATA WRAPPER',
  'MATERIALIZED VIEW',
  'OPERATOR FAMILY',
  'OPERATOR CLASS',
  'EVENT TRIGGER',
  'FOREIGN TABLE',
  'LARGE OBJECT',
  'ACCESS METHOD',
  'SUBSCRIPTION',
  'PUBLICATION',
  'CONVERSION',
  'STATISTICS',
  'COLLATION',
  'EXTENSION',
  'AGGREGATE',
  'PROCEDURE',
  'SEQUENCE',
  'FUNCTION',
  'LANGUAGE',
  'DATABASE',
  'OPERATOR',
  'TRIGGER',
  'CONSTRAINT',
  'COLUMN',
  'SCHEMA',
  'SERVER',
  'DOMAIN',
  'POLICY',
  'INDEX',
  'TABLE',
  'TYPE',
  'VIEW',
  'RULE',
  'CAST',
];

/** The section pg_dump gives an entry of this kind; STATISTICS DATA depends on what the statistics are of. */
export function sectionOfKind(desc: string, statisticsOfTable = true): Section {
  if (desc === 'STATISTICS DATA') return statisticsOfTable ? Section.Data : Section.PostData;
  if (NONE_KINDS.has(desc)) return Section.None;
  if (DATA_KINDS.has(desc)) return Section.Data;
  if (POST_DATA_KINDS.has(desc)) return Section.PostData;
  return Section.PreData;
}

export interface PlainRelations {
  /** For each entry (by position), the positions of the entries it depends on, in a meaningful order. */
  dependencies: number[][];
  sections: Section[];
}

const key = (ns: string | null, name: string) => `${ns ?? ''}\u0000${name}`;

/** The function name of a tag or signature, `f(integer, text)` → `f`. */
function baseName(tag: string): string {
  const paren = tag.indexOf('(');
  return paren < 0 ? tag : tag.slice(0, paren);
}

/** The argument types of a function entry's tag, `f(integer, text)` → ['integer', 'text']. */
function splitArguments(inner: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const ch of inner) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && ch === '(') depth++;
    if (!quoted && ch === ')') depth--;
    if (!quoted && depth === 0 && ch === ',') {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

function argumentsOf(signature: string): string[] {
  const open = signature.indexOf('(');
  const close = signature.lastIndexOf(')');
  return open < 0 || close < open ? [] : splitArguments(signature.slice(open + 1, close));
}

/**
 * Whether arguments as COMMENT and ACL tags write them (`cid bigint`, `OUT total numeric`,
 * modes and names included) are the argument types of a function entry's tag (`bigint`).
 */
function sameArguments(types: readonly string[], written: readonly string[]): boolean {
  const inputs = written.filter((a) => !/^OUT\s/i.test(a)).map((a) => a.replace(/^(IN|INOUT|VARIADIC)\s+/i, ''));
  if (inputs.length !== types.length) return false;
  return inputs.every((a, i) => {
    const type = types[i]!;
    return a === type || a.endsWith(` ${type}`);
  });
}

export function planRelations(sources: readonly SectionSource[]): PlainRelations {
  const n = sources.length;
  const schemas = new Map<string, number>();
  const relations = new Map<string, number>();
  const types = new Map<string, number>();
  const functions = new Map<string, number[]>();
  /** Any entry by desc, schema and tag. */
  const byDescTag = new Map<string, number>();
  const largeObjects = new Map<string, number>();

  for (let i = 0; i < n; i++) {
    const { desc, namespace: ns, tag } = sources[i]!;
    byDescTag.set(`${desc}\u0000${key(ns, tag)}`, i);
    if (desc === 'SCHEMA') schemas.set(tag, i);
    else if (RELATION_KINDS.has(desc)) relations.set(key(ns, tag), i);
    else if (TYPE_KINDS.has(desc)) {
      // A shell type and its type share a name; the type is what others use.
      if (desc !== 'SHELL TYPE' || !types.has(key(ns, tag))) types.set(key(ns, tag), i);
    } else if (FUNCTION_KINDS.has(desc)) {
      const k = key(ns, baseName(tag));
      const list = functions.get(k);
      if (list) list.push(i);
      else functions.set(k, [i]);
    } else if (desc === 'BLOB') largeObjects.set(tag, i);
    else if (desc === 'BLOB METADATA') {
      // PostgreSQL 17+ groups large objects; the group creates each of them.
      for (const m of (sources[i]!.sql ?? '').matchAll(/lo_create\('(\d+)'\)/g)) largeObjects.set(m[1]!, i);
      if (!largeObjects.has(tag)) largeObjects.set(tag, i);
    }
  }
  const entry = (desc: string, ns: string | null, tag: string) => byDescTag.get(`${desc}\u0000${key(ns, tag)}`);

  // Key constraints and unique indexes of each table, for the key a foreign key references.
  const keysOf = new Map<number, { at: number; columns: string[]; rank: number }[]>();
  // Tokens are made when needed and not kept: a dump of 90,000 sections has millions of them.
  const tokensOf = (i: number): Token[] => tokenize(sources[i]!.sql ?? '');
  /** CONSTRAINT entries by schema and constraint name (their index has that name). */
  const constraints = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const { desc, namespace: ns } = sources[i]!;
    if (desc !== 'CONSTRAINT' && desc !== 'INDEX') continue;
    const tokens = tokensOf(i);
    if (desc === 'CONSTRAINT') {
      const at = tokens.findIndex((t, k) => isWord(t, 'ADD') && isWord(tokens[k + 1], 'CONSTRAINT'));
      if (at >= 0 && isName(tokens[at + 2])) constraints.set(key(ns, nameOf(tokens[at + 2]!)), i);
    }
    const found = keyColumns(tokens, desc);
    if (!found) continue;
    const table = relations.get(key(found.table[0], found.table[1]));
    if (table === undefined) continue;
    const list = keysOf.get(table) ?? [];
    list.push({ at: i, columns: found.columns, rank: found.rank });
    keysOf.set(table, list);
  }

  const dependencies: number[][] = sources.map(() => []);
  const add = (from: number, to: number | undefined) => {
    if (to === undefined || to === from) return;
    const list = dependencies[from]!;
    if (!list.includes(to)) list.push(to);
  };
  /** The objects a qualified name may be, by the kinds it can name. */
  const resolve = (parts: string[], call: boolean): number[] => {
    if (parts.length >= 3) {
      const rel = relations.get(key(parts[parts.length - 3]!, parts[parts.length - 2]!));
      return rel === undefined ? [] : [rel];
    }
    const [ns, name] = [parts[0]!, parts[1]!];
    const fns = functions.get(key(ns, name)) ?? [];
    if (call && fns.length > 0) return fns;
    const rel = relations.get(key(ns, name));
    if (rel !== undefined) return [rel];
    const type = types.get(key(ns, name));
    if (type !== undefined) return [type];
    if (fns.length > 0) return fns;
    const other = ['COLLATION', 'CONVERSION', 'TEXT SEARCH CONFIGURATION', 'TEXT SEARCH DICTIONARY', 'STATISTICS'].map((d) => entry(d, ns, name)).find((x) => x !== undefined);
    return other === undefined ? [] : [other];
  };

  /** The object a COMMENT / ACL / SECURITY LABEL tag is about. */
  const about = (tag: string, ns: string | null): number[] => {
    const kw = TAG_KEYWORDS.find((k) => tag.startsWith(`${k} `));
    if (!kw) return [];
    const rest = tag.slice(kw.length + 1);
    switch (kw) {
      case 'SCHEMA': {
        const name = splitQualifiedString(rest)?.[0] ?? rest;
        const s = schemas.get(name);
        return s === undefined ? [] : [s];
      }
      case 'COLUMN': {
        const parts = splitQualifiedString(rest);
        const rel = parts && parts.length >= 2 ? relations.get(key(ns, parts[parts.length - 2]!)) : undefined;
        if (rel === undefined) return [];
        // A column's privileges come after the table's own.
        return [rel];
      }
      case 'FUNCTION':
      case 'PROCEDURE':
      case 'AGGREGATE': {
        const name = splitQualifiedString(baseName(rest))?.[0] ?? baseName(rest);
        const candidates = functions.get(key(ns, name)) ?? [];
        if (candidates.length <= 1) return candidates;
        const written = argumentsOf(rest);
        const hit = candidates.find((c) => sameArguments(argumentsOf(sources[c]!.tag), written));
        return hit === undefined ? [] : [hit];
      }
      case 'LARGE OBJECT': {
        const lo = largeObjects.get(rest.trim());
        return lo === undefined ? [] : [lo];
      }
      case 'CONSTRAINT':
      case 'TRIGGER':
      case 'POLICY':
      case 'RULE': {
        // `CONSTRAINT c ON t` (or `ON DOMAIN d`): the entry tagged `t c`.
        const m = / ON (DOMAIN )?(.*)$/.exec(rest);
        if (!m) return [];
        const object = splitQualifiedString(m[2]!)?.[0] ?? m[2]!;
        const name = splitQualifiedString(rest.slice(0, m.index))?.[0] ?? rest.slice(0, m.index);
        const kinds = kw === 'CONSTRAINT' ? ['CONSTRAINT', 'FK CONSTRAINT', 'CHECK CONSTRAINT'] : [kw];
        for (const d of kinds) {
          const hit = entry(d, ns, `${object} ${name}`);
          if (hit !== undefined) return [hit];
        }
        const owner = m[1] ? types.get(key(ns, object)) : relations.get(key(ns, object));
        return owner === undefined ? [] : [owner];
      }
      default: {
        const name = splitQualifiedString(rest)?.[0] ?? rest;
        if (kw === 'TABLE' || kw === 'VIEW' || kw === 'MATERIALIZED VIEW' || kw === 'FOREIGN TABLE' || kw === 'SEQUENCE') {
          const rel = relations.get(key(ns, name));
          return rel === undefined ? [] : [rel];
        }
        if (kw === 'TYPE' || kw === 'DOMAIN') {
          const t = types.get(key(ns, name));
          return t === undefined ? [] : [t];
        }
        const hit = entry(kw, ns, name) ?? entry(kw, null, name);
        return hit === undefined ? [] : [hit];
      }
    }
  };

  const sections: Section[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const { desc, namespace: ns, tag } = sources[i]!;
    sections[i] = sectionOfKind(desc);
    if (IN_SCHEMA_KINDS.has(desc) && ns !== null) add(i, schemas.get(ns));
    switch (desc) {
      case 'TABLE DATA':
        add(i, relations.get(key(ns, tag)));
        continue;
      case 'SEQUENCE SET':
        add(i, relations.get(key(ns, tag)));
        continue;
      case 'SEQUENCE OWNED BY': {
        const sequence = relations.get(key(ns, tag));
        add(i, sequence);
        // The sequence belongs to the table of `OWNED BY schema.table.column`.
        const tokens = tokensOf(i);
        for (let k = 0; k < tokens.length; k++) {
          if (isWord(tokens[k], 'OWNED') && isWord(tokens[k + 1], 'BY')) {
            const name = readName(tokens, k + 2);
            if (sequence !== undefined && name && name.parts.length === 3) add(sequence, relations.get(key(name.parts[0]!, name.parts[1]!)));
          }
        }
        continue;
      }
      case 'MATERIALIZED VIEW DATA':
        add(i, relations.get(key(ns, tag)));
        continue;
      case 'BLOBS':
        add(i, entry('BLOB METADATA', ns, tag));
        continue;
      case 'STATISTICS DATA': {
        const rel = relations.get(key(ns, tag));
        const d = rel === undefined ? '' : sources[rel]!.desc;
        if (rel !== undefined && TABLE_KINDS.has(d)) {
          add(i, rel);
        } else if (rel !== undefined) {
          sections[i] = sectionOfKind(desc, false);
          add(i, rel);
          add(i, entry('MATERIALIZED VIEW DATA', ns, tag));
        } else {
          sections[i] = sectionOfKind(desc, false);
          // Statistics of an index: the INDEX entry, or the constraint whose index it is.
          add(i, entry('INDEX', ns, tag) ?? constraints.get(key(ns, tag)));
        }
        continue;
      }
      default:
        break;
    }
    if (ABOUT_KINDS.has(desc)) {
      for (const at of about(tag, ns)) add(i, at);
      if (desc === 'ACL' && tag.startsWith('COLUMN ')) {
        const table = dependencies[i]![0];
        if (table !== undefined) add(i, entry('ACL', ns, `TABLE ${tag.slice('COLUMN '.length).replace(/\.[^.]*$/, '')}`));
      }
      continue;
    }
    if (READ_KINDS_EXCLUDED.has(desc) || sources[i]!.sql === null) continue;
    const tokens = tokensOf(i);
    for (const name of qualifiedNames(tokens)) for (const at of resolve(name.parts, name.call)) add(i, at);
    if (desc === 'EXTENSION') {
      const k = tokens.findIndex((t, j) => isWord(t, 'WITH') && isWord(tokens[j + 1], 'SCHEMA'));
      if (k >= 0 && isName(tokens[k + 2])) add(i, schemas.get(nameOf(tokens[k + 2]!)));
    }
    if (desc === 'FOREIGN TABLE' || desc === 'USER MAPPING') {
      const k = tokens.findIndex((t) => isWord(t, 'SERVER'));
      if (k >= 0 && isName(tokens[k + 1])) add(i, entry('SERVER', null, nameOf(tokens[k + 1]!)));
    }
    if (desc === 'SERVER') {
      const k = tokens.findIndex((t, j) => isWord(t, 'DATA') && isWord(tokens[j + 1], 'WRAPPER'));
      if (k >= 0 && isName(tokens[k + 2])) add(i, entry('FOREIGN DATA WRAPPER', null, nameOf(tokens[k + 2]!)));
    }
    if (desc === 'FK CONSTRAINT') {
      // The key of the referenced table whose columns the foreign key names.
      const k = tokens.findIndex((t) => isWord(t, 'REFERENCES'));
      const target = k >= 0 ? readName(tokens, k + 1) : null;
      if (target && target.parts.length === 2) {
        const table = relations.get(key(target.parts[0]!, target.parts[1]!));
        const columns = readColumnList(tokens, target.to)?.columns;
        const keys = table === undefined ? [] : (keysOf.get(table) ?? []);
        const match = keys.filter((x) => columns === undefined || sameSet(x.columns, columns)).sort((a, b) => a.rank - b.rank)[0];
        if (match) add(i, match.at);
      }
    }
    if (desc === 'TABLE ATTACH') {
      // A partition depends on its partitioned table: `ALTER TABLE ONLY parent ATTACH PARTITION child`.
      const names = qualifiedNames(tokens).map((x) => relations.get(key(x.parts[0]!, x.parts[1]!)));
      const [parent, child] = names;
      if (parent !== undefined && child !== undefined) add(child, parent);
    }
  }
  // A partition's own dependency on its parent came from its TABLE ATTACH; tables list their parent first.
  return { dependencies, sections };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * The table and columns of a key: `ALTER TABLE ONLY s.t ADD CONSTRAINT c PRIMARY KEY (a, b)` or
 * `UNIQUE (…)` (rank 0 and 1), `CREATE UNIQUE INDEX i ON s.t USING btree (a)` (rank 2).
 */
function keyColumns(tokens: readonly Token[], desc: string): { table: [string, string]; columns: string[]; rank: number } | null {
  if (desc === 'CONSTRAINT') {
    const alter = tokens.findIndex((t, k) => isWord(t, 'ALTER') && isWord(tokens[k + 1], 'TABLE'));
    if (alter < 0) return null;
    let at = alter + 2;
    if (isWord(tokens[at], 'ONLY')) at++;
    const table = readName(tokens, at);
    if (!table || table.parts.length !== 2) return null;
    for (let k = table.to; k < tokens.length; k++) {
      if (isWord(tokens[k], 'PRIMARY') && isWord(tokens[k + 1], 'KEY')) {
        const list = readColumnList(tokens, k + 2);
        if (list) return { table: [table.parts[0]!, table.parts[1]!], columns: list.columns, rank: 0 };
      }
      if (isWord(tokens[k], 'UNIQUE')) {
        let j = k + 1;
        if (isWord(tokens[j], 'NULLS')) j += isWord(tokens[j + 1], 'NOT') ? 3 : 2;
        const list = readColumnList(tokens, j);
        if (list) return { table: [table.parts[0]!, table.parts[1]!], columns: list.columns, rank: 1 };
      }
    }
    return null;
  }
  if (!isWord(tokens[0], 'CREATE') || !isWord(tokens[1], 'UNIQUE') || !isWord(tokens[2], 'INDEX')) return null;
  const on = tokens.findIndex((t) => isWord(t, 'ON'));
  if (on < 0) return null;
  let at = on + 1;
  if (isWord(tokens[at], 'ONLY')) at++;
  const table = readName(tokens, at);
  if (!table || table.parts.length !== 2) return null;
  let k = table.to;
  if (isWord(tokens[k], 'USING')) k += 2;
  const list = readColumnList(tokens, k);
  // An index on expressions or with a predicate cannot back a foreign key; plain column lists only.
  if (!list || tokens.slice(k, list.to).some((t) => t.value === '(' && t !== tokens[k])) return null;
  return { table: [table.parts[0]!, table.parts[1]!], columns: list.columns, rank: 2 };
}
