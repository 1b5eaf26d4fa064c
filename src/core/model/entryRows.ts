import { formatBytes } from '../units';
import { listedFlags } from './listing';
import { SECTION_NAMES, type Archive, type Section } from './types';

/**
 * Every TOC entry as a row of the summary editor's table, and the search over them. The rows
 * stay here (the extension host); a view asks for the window of rows it shows, so a TOC of
 * 90,000 entries never crosses to the webview whole.
 */

export interface EntryRow {
  /** Position of the row among those the query matches (0 = first). */
  index: number;
  dumpId: number;
  /** The entry's desc: `TABLE`, `TABLE DATA`, `INDEX`, … */
  kind: string;
  /** '' for entries without a schema. */
  schema: string;
  name: string;
  owner: string;
  /** `pre-data`, `data`, `post-data`, `none`. */
  section: string;
  /** Stored (compressed) bytes of the entry's data; null when it has none or the size is unknown. */
  dataBytes: number | null;
  /** `12.3 kB`; `unknown` when the entry has data of unknown size; '' when it has none. */
  dataText: string;
  /** Whether `pg_restore -l` lists the entry (it hides ENCODING, STDSTRINGS, DATABASE, …). */
  listed: boolean;
}

export interface RowsRequest {
  query: string;
  offset: number;
  limit: number;
}

export interface RowsPage {
  /** Rows matching the query. */
  total: number;
  offset: number;
  rows: EntryRow[];
}

/** At most this many rows per request: a view asks for what it shows, not for everything. */
export const MAX_ROWS_PER_REQUEST = 1000;

/**
 * The terms of a search, lower-cased: words separated by white space, or a "quoted phrase".
 * An entry matches when each term occurs in its kind, schema, name (also as `schema.name`) or owner.
 */
export function searchTerms(query: string): string[] {
  const terms: string[] = [];
  for (const m of query.matchAll(/"([^"]*)"?|(\S+)/g)) {
    const term = (m[1] ?? m[2] ?? '').trim().toLowerCase();
    if (term) terms.push(term);
  }
  return terms;
}

/** Separates the fields of a row's search text, so that no term matches across two fields. */
const FIELD_BREAK = '\u0001';

export class EntryRows {
  readonly count: number;
  private readonly dumpIds: Int32Array;
  private readonly kinds: string[];
  private readonly schemas: string[];
  private readonly names: string[];
  private readonly owners: string[];
  private readonly sections: Uint8Array;
  private readonly dataBytes: Float64Array;
  private readonly listed: Uint8Array;
  private readonly hasData: Uint8Array;
  /** Lower-cased search text of each row, made on the first search. */
  private haystacks: string[] | undefined;
  private last: { query: string; matches: Int32Array | null } = { query: '', matches: null };

  /** `listed`: listedFlags(archive), when the caller has them already. */
  constructor(archive: Archive, listed: Uint8Array = listedFlags(archive)) {
    const entries = archive.entries;
    const n = entries.length;
    this.count = n;
    this.dumpIds = new Int32Array(n);
    this.kinds = new Array<string>(n);
    this.schemas = new Array<string>(n);
    this.names = new Array<string>(n);
    this.owners = new Array<string>(n);
    this.sections = new Uint8Array(n);
    this.dataBytes = new Float64Array(n).fill(Number.NaN);
    this.listed = listed;
    this.hasData = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const e = entries[i]!;
      this.dumpIds[i] = e.dumpId;
      this.kinds[i] = e.desc ?? '';
      this.schemas[i] = e.namespace ?? '';
      this.names[i] = e.tag ?? '';
      this.owners[i] = e.owner ?? '';
      this.sections[i] = e.section;
      this.hasData[i] = e.hadDumper ? 1 : 0;
      if (e.hadDumper && e.dataSize !== null) this.dataBytes[i] = e.dataSize;
    }
  }

  /**
   * TOC positions of the rows matching `query`, in TOC order; null when the query has no terms
   * (every row matches). The last answer is kept: a view pages through one query many times.
   */
  matching(query: string): Int32Array | null {
    if (query === this.last.query) return this.last.matches;
    const terms = searchTerms(query);
    let matches: Int32Array | null = null;
    if (terms.length > 0) {
      const hay = this.searchTexts();
      const hits = new Int32Array(this.count);
      let found = 0;
      for (let i = 0; i < this.count; i++) {
        const text = hay[i]!;
        let all = true;
        for (const term of terms) {
          if (!text.includes(term)) {
            all = false;
            break;
          }
        }
        if (all) hits[found++] = i;
      }
      matches = hits.slice(0, found);
    }
    this.last = { query, matches };
    return matches;
  }

  /** The rows `offset` … `offset + limit` of those matching `query` (limit capped at MAX_ROWS_PER_REQUEST). */
  page(request: RowsRequest): RowsPage {
    const matches = this.matching(request.query);
    const total = matches ? matches.length : this.count;
    const offset = Math.max(0, Math.min(Math.floor(request.offset) || 0, total));
    const end = Math.min(total, offset + Math.max(0, Math.min(Math.floor(request.limit) || 0, MAX_ROWS_PER_REQUEST)));
    const rows: EntryRow[] = [];
    for (let k = offset; k < end; k++) rows.push(this.row(matches ? matches[k]! : k, k));
    return { total, offset, rows };
  }

  private row(i: number, index: number): EntryRow {
    const bytes = this.dataBytes[i]!;
    const known = !Number.isNaN(bytes);
    return {
      index,
      dumpId: this.dumpIds[i]!,
      kind: this.kinds[i]!,
      schema: this.schemas[i]!,
      name: this.names[i]!,
      owner: this.owners[i]!,
      section: SECTION_NAMES[this.sections[i]! as Section] ?? String(this.sections[i]),
      dataBytes: known ? bytes : null,
      dataText: known ? formatBytes(bytes) : this.hasData[i] === 1 ? 'unknown' : '',
      listed: this.listed[i] === 1,
    };
  }

  private searchTexts(): string[] {
    if (!this.haystacks) {
      const hay = new Array<string>(this.count);
      for (let i = 0; i < this.count; i++) {
        const schema = this.schemas[i]!;
        const qualified = schema ? `${schema}.${this.names[i]}` : this.names[i]!;
        hay[i] = `${this.kinds[i]}${FIELD_BREAK}${qualified}${FIELD_BREAK}${this.owners[i]}`.toLowerCase();
      }
      this.haystacks = hay;
    }
    return this.haystacks;
  }
}
