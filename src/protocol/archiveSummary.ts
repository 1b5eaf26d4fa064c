/**
 * The archive summary editor's messages (src/editors/archiveEditor.ts ↔ webview/archiveSummary).
 * The host keeps the archive and its rows; the webview asks for the summary once, and for the
 * window of rows it shows as the user scrolls or searches.
 *
 * Type-only imports from the core: nothing of it is bundled into the webview.
 */
import type { OpenProblem } from '../core/errorAdvice';
import type { EntryRow, RowsPage, RowsRequest } from '../core/model/entryRows';
import type { ArchiveSummary } from '../core/model/summary';
import type { ArchiveWarning } from '../core/tools/archiveWarnings';

export type { ArchiveSummary, ArchiveWarning, EntryRow, OpenProblem, RowsPage, RowsRequest };

/** What the editor shows: the archive, or why it cannot. */
export type SummaryView =
  | { kind: 'archive'; title: string; path: string; summary: ArchiveSummary }
  | { kind: 'error'; title: string; path: string; problem: OpenProblem };

/** Buttons of the editor; each runs a command of the extension on this dump. */
export type SummaryAction = 'showInDumps' | 'showListing' | 'restore' | 'reopenAsText';

export type ArchiveSummaryProtocol = {
  requests: {
    /** Webview → host, once on (re)load. */
    view: { params: Record<string, never>; result: SummaryView };
    /** Webview → host: what matters about restoring this archive here (finds pg_restore: may take a moment). */
    warnings: { params: Record<string, never>; result: ArchiveWarning[] };
    /** Webview → host: a window of the rows matching a search. */
    rows: { params: RowsRequest; result: RowsPage };
  };
  fromWebview: {
    /** The user chose a row: show that entry in the Dumps tree. */
    reveal: { dumpId: number };
    action: { action: SummaryAction };
  };
  toWebview: {
    /** Host → webview: the warnings changed (a setting changed). */
    warnings: ArchiveWarning[];
  };
};

/** Persisted by the webview (getState/setState), so hiding the editor keeps the search and scroll position. */
export interface SummaryState {
  query: string;
  /** First row shown, among those matching `query`. */
  firstRow: number;
  /** The row the keyboard is on. */
  activeRow: number;
}
