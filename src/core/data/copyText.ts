/**
 * COPY's text format, as pg_dump writes table data: one row per line, columns separated by a
 * tab, `\N` for NULL, and backslash escapes for what would break the line (`\t`, `\n`, `\r`,
 * `\\`…). COPY FROM also reads octal (`\123`) and hex (`\x41`) byte escapes; they are decoded as
 * bytes of UTF-8 text, so that a character escaped byte by byte comes out whole.
 */

/** A column value: its text, or null for SQL NULL (never the same as ''). */
export type CopyValue = string | null;

const SIMPLE: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const utf8 = new TextDecoder('utf-8');
const isOctal = (c: string | undefined) => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** One field of a row, its escapes decoded; `\N` alone is NULL. */
export function decodeCopyField(field: string): CopyValue {
  if (field === '\\N') return null;
  if (!field.includes('\\')) return field;
  let out = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length === 0) return;
    out += utf8.decode(Uint8Array.from(bytes));
    bytes = [];
  };
  for (let i = 0; i < field.length; i++) {
    const c = field[i]!;
    if (c !== '\\' || i + 1 === field.length) {
      flush();
      out += c;
      continue;
    }
    const next = field[i + 1]!;
    if (isOctal(next)) {
      let j = i + 1;
      let value = 0;
      while (j < field.length && j < i + 4 && isOctal(field[j])) value = value * 8 + Number(field[j++]);
      bytes.push(value & 0xff);
      i = j - 1;
    } else if (next === 'x' && isHex(field[i + 2])) {
      let j = i + 2;
      let value = 0;
      while (j < field.length && j < i + 4 && isHex(field[j])) value = value * 16 + parseInt(field[j++]!, 16);
      bytes.push(value);
      i = j - 1;
    } else {
      flush();
      out += SIMPLE[next] ?? next;
      i++;
    }
  }
  flush();
  return out;
}

/** A row of COPY text (one line, without its newline) as its values. */
export function decodeCopyRow(line: string): CopyValue[] {
  return line.split('\t').map(decodeCopyField);
}

/** An SQL identifier at `at`, quoted ("a""b") or not: its name and where it ends; null when none. */
function identifierAt(text: string, at: number): { name: string; end: number } | null {
  if (text[at] === '"') {
    let name = '';
    let i = at + 1;
    for (;;) {
      const q = text.indexOf('"', i);
      if (q < 0) return null;
      name += text.slice(i, q);
      if (text[q + 1] !== '"') return { name, end: q + 1 };
      name += '"';
      i = q + 2;
    }
  }
  const m = /^[A-Za-z0-9_$\u0080-\uffff]+/.exec(text.slice(at, at + 200));
  return m ? { name: m[0], end: at + m[0].length } : null;
}

/** A COPY statement as pg_dump writes it: its table's name parts, its columns, and what follows them. */
interface CopyStatement {
  /** The table's name, unquoted, part by part (`["public", "events"]`). */
  table: string[];
  /** The columns named, unquoted; empty when none are. */
  columns: string[];
  /** The text after the table and its column list (` FROM stdin;\n`). */
  rest: string;
}

/** `COPY schema.table (a, "b c") FROM stdin;` read into its parts; null when it cannot be read. */
function readCopyStatement(copyStmt: string | null): CopyStatement | null {
  const m = copyStmt ? /^\s*COPY\s+/i.exec(copyStmt) : null;
  if (!copyStmt || !m) return null;
  // The table: identifiers joined by dots.
  const table: string[] = [];
  let at = m[0].length;
  for (;;) {
    const part = identifierAt(copyStmt, at);
    if (!part) return null;
    table.push(part.name);
    at = part.end;
    if (copyStmt[at] !== '.') break;
    at++;
  }
  const columns: string[] = [];
  let open = at;
  while (copyStmt[open] === ' ') open++;
  if (copyStmt[open] !== '(') return { table, columns, rest: copyStmt.slice(at) };
  for (at = open + 1; ; at++) {
    while (copyStmt[at] === ' ') at++;
    const column = identifierAt(copyStmt, at);
    if (!column) return { table, columns, rest: copyStmt.slice(at) };
    columns.push(column.name);
    at = column.end;
    while (copyStmt[at] === ' ') at++;
    if (copyStmt[at] !== ',') break;
  }
  return { table, columns, rest: copyStmt[at] === ')' ? copyStmt.slice(at + 1) : copyStmt.slice(at) };
}

/**
 * The column names of `COPY schema.table (a, "b c") FROM stdin;`, unquoted; empty when the
 * statement names no columns (or cannot be read).
 */
export function copyColumns(copyStmt: string | null): string[] {
  return readCopyStatement(copyStmt)?.columns ?? [];
}

/**
 * The statement loading `schema.table` with FREEZE (its rows written frozen and all-visible), when
 * it is pg_dump's plain `COPY schema.table (…) FROM stdin;` of that very table; else null (another
 * table, as with --load-via-partition-root, or options such as WITH OIDS).
 */
export function copyWithFreeze(copyStmt: string | null, schema: string, table: string): string | null {
  const copy = readCopyStatement(copyStmt);
  if (!copy || copy.table.length !== 2 || copy.table[0] !== schema || copy.table[1] !== table) return null;
  const rest = /^ FROM stdin;(\s*)$/.exec(copy.rest);
  if (!rest) return null;
  const head = (copyStmt as string).slice(0, (copyStmt as string).length - copy.rest.length);
  return `${head} FROM stdin WITH (FREEZE);${rest[1]}`;
}
