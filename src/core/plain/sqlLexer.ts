/**
 * A light lexer for the SQL pg_dump writes: enough to split a section into statements and to
 * read the names its statements use, never a parser. It knows what can hide a semicolon or a
 * name: string literals ('…', E'…' with backslash escapes), quoted identifiers ("…"),
 * dollar-quoted bodies ($$…$$, $tag$…$tag$), comments (-- and nested /* … *\/), and psql
 * meta-command lines (\connect …).
 */

export type TokenKind = 'ident' | 'quoted' | 'string' | 'number' | 'punct' | 'op' | 'dollar' | 'meta';

export interface Token {
  kind: TokenKind;
  /** Identifiers: the name (quoted ones unescaped, unquoted ones as written); strings: the value; else the text. */
  value: string;
  start: number;
  end: number;
}

const isIdentStart = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c >= 0x80;
const isIdentPart = (c: number) => isIdentStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x24;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const OPERATOR_CHARS = new Set('+-*/<>=~!@#%^&|`?:'.split('').map((c) => c.charCodeAt(0)));

/** The tokens of `text`, comments and whitespace left out. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  let lineStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      i++;
      lineStart = true;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0c) {
      i++;
      continue;
    }
    const atLineStart = lineStart;
    lineStart = false;
    const start = i;
    // psql meta-command: a backslash where a statement could start runs to the end of the line.
    if (c === 0x5c && atLineStart) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      out.push({ kind: 'meta', value: text.slice(start, i), start, end: i });
      continue;
    }
    if (c === 0x2d && text.charCodeAt(i + 1) === 0x2d) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (text.charCodeAt(i) === 0x2f && text.charCodeAt(i + 1) === 0x2a) {
          depth++;
          i += 2;
        } else if (text.charCodeAt(i) === 0x2a && text.charCodeAt(i + 1) === 0x2f) {
          depth--;
          i += 2;
        } else i++;
      }
      continue;
    }
    if (c === 0x27) {
      i = readString(text, i, false, out);
      continue;
    }
    if ((c === 0x45 || c === 0x65) && text.charCodeAt(i + 1) === 0x27) {
      i = readString(text, i + 1, true, out, start);
      continue;
    }
    if (c === 0x22) {
      let value = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          value += text.slice(i);
          i = n;
          break;
        }
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 0x22) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push({ kind: 'quoted', value, start, end: i });
      continue;
    }
    if (c === 0x24) {
      // $tag$ … $tag$ (not $1, a parameter)
      const m = /^\$([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/.exec(text.slice(i, i + 64));
      if (m) {
        const delimiter = m[0];
        const close = text.indexOf(delimiter, i + delimiter.length);
        i = close < 0 ? n : close + delimiter.length;
        out.push({ kind: 'dollar', value: text.slice(start + delimiter.length, close < 0 ? n : close), start, end: i });
        continue;
      }
    }
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      out.push({ kind: 'ident', value: text.slice(start, i), start, end: i });
      continue;
    }
    if (isDigit(c) || (c === 0x2e && isDigit(text.charCodeAt(i + 1)))) {
      i++;
      while (i < n && (isDigit(text.charCodeAt(i)) || text.charCodeAt(i) === 0x2e || isIdentPart(text.charCodeAt(i)))) i++;
      out.push({ kind: 'number', value: text.slice(start, i), start, end: i });
      continue;
    }
    if (OPERATOR_CHARS.has(c)) {
      i++;
      while (i < n && OPERATOR_CHARS.has(text.charCodeAt(i)) && !(text.charCodeAt(i) === 0x2d && text.charCodeAt(i + 1) === 0x2d)) i++;
      out.push({ kind: 'op', value: text.slice(start, i), start, end: i });
      continue;
    }
    i++;
    out.push({ kind: 'punct', value: text[start]!, start, end: i });
  }
  return out;
}

/** A '…' literal starting at the quote at `q`; `escapes`: E'…', where a backslash escapes. */
function readString(text: string, q: number, escapes: boolean, out: Token[], start = q): number {
  let i = q + 1;
  let value = '';
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (escapes && c === 0x5c) {
      value += text[i + 1] ?? '';
      i += 2;
      continue;
    }
    if (c === 0x27) {
      if (text.charCodeAt(i + 1) === 0x27) {
        value += "'";
        i += 2;
        continue;
      }
      i++;
      out.push({ kind: 'string', value, start, end: i });
      return i;
    }
    value += text[i];
    i++;
  }
  out.push({ kind: 'string', value, start, end: n });
  return n;
}

export interface Statement {
  /** The tokens of the statement, its semicolon included. */
  tokens: Token[];
  /** Offsets in the text: from its first token to its end (after the semicolon, or the meta line). */
  start: number;
  end: number;
}

/** The statements of `text`: ended by `;` outside quotes, comments and bodies; a psql meta line is one by itself. */
export function splitStatements(text: string, tokens: Token[] = tokenize(text)): Statement[] {
  const out: Statement[] = [];
  let current: Token[] = [];
  let depth = 0;
  const flush = () => {
    if (current.length === 0) return;
    out.push({ tokens: current, start: current[0]!.start, end: current[current.length - 1]!.end });
    current = [];
  };
  for (const t of tokens) {
    if (t.kind === 'meta' && current.length === 0) {
      out.push({ tokens: [t], start: t.start, end: t.end });
      continue;
    }
    current.push(t);
    if (t.kind === 'punct') {
      if (t.value === '(') depth++;
      else if (t.value === ')') depth = Math.max(0, depth - 1);
      // BEGIN ATOMIC … END bodies (SQL-standard functions) hold semicolons of their own.
      else if (t.value === ';' && depth === 0 && !insideAtomic(current)) flush();
    }
  }
  flush();
  return out;
}

/** Whether the statement so far has opened `BEGIN ATOMIC` and not yet reached its `END`. */
function insideAtomic(tokens: readonly Token[]): boolean {
  let open = false;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    if (t.kind !== 'ident') continue;
    if (!open && isWord(t, 'BEGIN') && isWord(tokens[k + 1], 'ATOMIC')) open = true;
    else if (open && isWord(t, 'END')) {
      const next = tokens[k + 1];
      if (!next || (next.kind === 'punct' && next.value === ';')) return false;
    }
  }
  return open;
}

/** Whether `t` is the unquoted keyword `word` (any case). */
export function isWord(t: Token | undefined, word: string): boolean {
  return t !== undefined && t.kind === 'ident' && t.value.length === word.length && t.value.toUpperCase() === word;
}

/** Whether `t` is an identifier, quoted or not. */
export function isName(t: Token | undefined): t is Token {
  return t !== undefined && (t.kind === 'ident' || t.kind === 'quoted');
}

export interface QualifiedName {
  /** The parts as the catalog has them: quoted ones as written inside the quotes, unquoted ones folded to lower case. */
  parts: string[];
  /** Index of the first and one after the last token. */
  from: number;
  to: number;
}

/** The name of one identifier token as the catalog has it. */
export function nameOf(t: Token): string {
  return t.kind === 'quoted' ? t.value : t.value.toLowerCase();
}

/** The qualified name starting at token `k` (`a`, `a.b`, `a.b.c`), or null when there is none. */
export function readName(tokens: readonly Token[], k: number): QualifiedName | null {
  if (!isName(tokens[k])) return null;
  const parts = [nameOf(tokens[k]!)];
  let to = k + 1;
  while (tokens[to]?.kind === 'punct' && tokens[to]!.value === '.' && isName(tokens[to + 1])) {
    parts.push(nameOf(tokens[to + 1]!));
    to += 2;
  }
  return { parts, from: k, to };
}

/**
 * Every name of two or more parts in the tokens (pg_dump qualifies every object it names), and
 * names written as strings cast to an object type (`'sales.order_id_seq'::regclass`), each with
 * whether a `(` follows it (a function call or a signature).
 */
export function qualifiedNames(tokens: readonly Token[]): { parts: string[]; call: boolean }[] {
  const out: { parts: string[]; call: boolean }[] = [];
  for (let k = 0; k < tokens.length; ) {
    const t = tokens[k]!;
    if (t.kind === 'string' && tokens[k + 1]?.value === '::' && /^reg(class|proc|procedure|type|namespace|collation|config|dictionary)$/i.test(tokens[k + 2]?.value ?? '')) {
      const parts = splitQualifiedString(t.value);
      if (parts && parts.length >= 2) out.push({ parts, call: false });
      k += 3;
      continue;
    }
    // A name after a dot belongs to the name before it.
    if (isName(t) && !(tokens[k - 1]?.kind === 'punct' && tokens[k - 1]!.value === '.')) {
      const name = readName(tokens, k)!;
      if (name.parts.length >= 2) out.push({ parts: name.parts, call: tokens[name.to]?.kind === 'punct' && tokens[name.to]!.value === '(' });
      k = name.to;
      continue;
    }
    k++;
  }
  return out;
}

/** `sales."Order"` written inside a string (as regclass input): its parts, or null. */
export function splitQualifiedString(s: string): string[] | null {
  const tokens = tokenize(s);
  const name = readName(tokens, 0);
  return name && name.to === tokens.length ? name.parts : null;
}

/** The column names of a parenthesised list at token `k` (`(a, "B")`), and the index after it; null when `k` is not `(`. */
export function readColumnList(tokens: readonly Token[], k: number): { columns: string[]; to: number } | null {
  if (tokens[k]?.value !== '(') return null;
  const columns: string[] = [];
  let i = k + 1;
  while (i < tokens.length && tokens[i]!.value !== ')') {
    if (isName(tokens[i])) columns.push(nameOf(tokens[i]!));
    i++;
  }
  return { columns, to: i + 1 };
}
