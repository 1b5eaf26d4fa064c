import type { Protocol } from './channel';

/**
 * The large plain dump viewer (custom editor `pgDumpExplorer.plainDump`): the host indexes the
 * dump and keeps the outline; the webview shows the rows it has room for and asks for them by
 * number, so that a dump of 90,000 sections costs the page a screenful of rows.
 */

/** What the viewer knows of its dump. */
export type ViewerStatus =
  | { state: 'indexing'; name: string; done: number; total: number | null }
  | { state: 'ready'; name: string; summary: string; sections: number }
  | { state: 'failed'; name: string; message: string; cancelled: boolean };

export interface RowView {
  key: string;
  kind: 'schema' | 'group' | 'object';
  label: string;
  depth: number;
  /** Objects under a schema or group (matching the filter). */
  count: number;
  expanded: boolean;
  /** An object's entry position, and what the row shows beside its name. */
  entry?: number;
  desc?: string;
  detail?: string;
  hasRows?: boolean;
}

export interface RowQuery {
  filter: string;
  /** Keys of the schemas and groups shown collapsed. */
  collapsed: string[];
}

export interface PlainDumpProtocol extends Protocol {
  requests: {
    /** The rows [from, from + count) of the list for a filter and collapsed groups, and the list's length. */
    rows: { params: RowQuery & { from: number; count: number }; result: { total: number; rows: RowView[] } };
    /** Opens the section of an entry as a read-only SQL document (a TABLE DATA entry: its first page of rows). */
    openSection: { params: { entry: number }; result: void };
    /** Picks the entry's object in the Dumps view and starts a restore of it. */
    restore: { params: { entry: number }; result: void };
    /** Indexes the dump again (after a failure or cancellation). */
    reindex: { params: Record<string, never>; result: void };
  };
  fromWebview: Record<string, never>;
  toWebview: {
    status: ViewerStatus;
  };
}
