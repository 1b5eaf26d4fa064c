import type { Protocol } from './channel';

/**
 * The data preview panel: the first rows of a table (or partition) as stored in the archive.
 * The webview asks for its content once its script runs (and again after a reload); the host
 * reads it from the archive, never from a database.
 */

/** A value of a row: text, or null for SQL NULL (shown apart from the empty string). */
export type PreviewValue = string | null;

export interface DataPreviewContent {
  /** `schema.table`. */
  table: string;
  /** The dump's file name. */
  dump: string;
  columns: string[];
  rows: PreviewValue[][];
  /** For rows of a partitioned table: the partition each row came from. */
  rowSources?: string[];
  /** Whether the archive holds more rows than these. */
  more: boolean;
  /** One line about what was read: `first 100 rows of sales.order (12 kB stored)`. */
  summary: string;
}

export interface DataPreviewProtocol extends Protocol {
  requests: {
    /** Webview → host: the rows to show; fails with one line (the table has no data, the archive cannot be read). */
    load: { params: Record<string, never>; result: DataPreviewContent };
  };
  fromWebview: Record<string, never>;
  toWebview: Record<string, never>;
}
