/**
 * pg_dump's errors (stderr) as one line each that names the object and says why:
 *   pg_dump: error: query failed: ERROR:  permission denied for table order
 *   pg_dump: detail: Query was: LOCK TABLE sales."order" IN ACCESS SHARE MODE
 * becomes `permission denied for table sales.order: the role needs SELECT on it`.
 */

interface ErrorGroup {
  message: string;
  details: string[];
}

/** Collects pg_dump's error lines with their `detail:` lines; `end()` hands back what is left. */
export class DumpErrorParser {
  private group: ErrorGroup | undefined;
  private readonly found: string[] = [];

  constructor(private readonly onError: (line: string) => void = () => undefined) {}

  push(line: string): void {
    if (!line.startsWith('pg_dump: ')) {
      // A continuation: a multi-line query of a detail, or the second line of a connection error.
      if (this.group && this.group.details.length === 0 && line.trim()) this.group.message += ` ${line.trim()}`;
      return;
    }
    const m = /^pg_dump: (error|detail|hint|warning): (.*)$/.exec(line);
    if (!m) {
      this.flush(); // what pg_dump does next (--verbose)
      return;
    }
    const [, level, text = ''] = m;
    // pg_dump 13 and 14 printed the query as a second error line.
    if (level === 'error' && this.group && /^(query was|The command was):/i.test(text)) {
      this.group.details.push(text);
      return;
    }
    if ((level === 'detail' || level === 'hint') && this.group) {
      this.group.details.push(text);
      return;
    }
    this.flush();
    if (level === 'error') this.group = { message: text, details: [] };
  }

  /** The errors, one line each, once pg_dump has ended. */
  end(): string[] {
    this.flush();
    return [...this.found];
  }

  private flush(): void {
    if (!this.group) return;
    const line = describeDumpError(this.group.message, this.group.details);
    this.group = undefined;
    this.found.push(line);
    this.onError(line);
  }
}

/** Reads a possibly quoted, possibly qualified SQL name at the start of `text`: `sales."order"` → `sales.order`. */
export function readQualifiedName(text: string): string | undefined {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let name = '';
      i++;
      while (i < text.length) {
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        }
        name += text[i++];
      }
      if (i >= text.length) return undefined;
      i++;
      parts.push(name);
    } else {
      const m = /^[^\s."(),;]+/.exec(text.slice(i));
      if (!m) return undefined;
      parts.push(m[0]);
      i += m[0].length;
    }
    if (text[i] !== '.') return parts.join('.');
    i++;
  }
}

/** The relation a failed query named: `LOCK TABLE x IN…`, `COPY x (…) TO stdout`, `… FROM x`. */
function objectOfQuery(details: string[]): string | undefined {
  for (const d of details) {
    const q = /^(?:Query|Command|The command) was:\s*(.*)$/i.exec(d)?.[1];
    if (!q) continue;
    const at = /^(?:LOCK TABLE (?:ONLY )?|COPY )/i.exec(q) ?? /\bFROM (?:ONLY )?/i.exec(q);
    if (at) return readQualifiedName(q.slice(at.index + at[0].length));
  }
  return undefined;
}

const PRIVILEGE_NEEDED: Record<string, string> = {
  table: 'SELECT',
  sequence: 'SELECT',
  view: 'SELECT',
  'materialized view': 'SELECT',
  'foreign table': 'SELECT',
  schema: 'USAGE',
  function: 'EXECUTE',
  'large object': 'SELECT',
};

/** One line for an error and its details: the object and why, and what it needs where that is known. */
export function describeDumpError(message: string, details: string[]): string {
  const fromServer = details.map((d) => /^Error message from server:\s*(?:ERROR|FATAL):\s*(.*)$/.exec(d)?.[1]).find((x) => x);
  const reason = (/(?:ERROR|FATAL):\s*(.*)$/.exec(message)?.[1] ?? fromServer ?? '').trim();
  const object = objectOfQuery(details);

  const denied = /^permission denied for (table|sequence|view|materialized view|foreign table|schema|function|large object) (.+)$/.exec(reason);
  if (denied) {
    const [, kind = '', name = ''] = denied;
    // The server names a relation without its schema; the query pg_dump ran has it.
    const qualified = object && (object === name || object.endsWith(`.${name}`)) ? object : name;
    return `permission denied for ${kind} ${qualified}: the role needs ${PRIVILEGE_NEEDED[kind]} on it`;
  }
  const rls = /^query would be affected by row-level security policy for table "(.+)"$/.exec(reason);
  if (rls) {
    const name = object ?? rls[1];
    return `row-level security on table ${name} would hide rows from this role: dump as the table's owner, a superuser or a role with BYPASSRLS`;
  }
  if (/No space left on device/i.test(message)) return `${message}: free some space, or write the dump elsewhere`;
  if (reason) return object ? `${reason} (${object})` : reason;
  return message.replace(/^query failed:\s*/, '');
}
