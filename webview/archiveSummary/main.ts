/**
 * The archive summary editor's page: the archive's facts, the warnings the host found, and a
 * table of every TOC entry. The table is virtualised (@lit-labs/virtualizer): the DOM holds the
 * rows on screen, and rows are asked from the host a window at a time, so 90,000 entries cost
 * what 50 do. The host keeps the rows and does the searching; this page only draws.
 */
import { html, nothing, render, type TemplateResult } from 'lit';
import { virtualize, virtualizerRef } from '@lit-labs/virtualizer/virtualize.js';
import type { Virtualizer } from '@lit-labs/virtualizer/Virtualizer.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import type { VscodeTextfield } from '@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js';
import type { ArchiveSummary, ArchiveSummaryProtocol, ArchiveWarning, EntryRow, SummaryAction, SummaryState, SummaryView } from '../../src/protocol/archiveSummary';
import { formatCount } from '../../src/core/units';
import { connect } from '../common/channel';
import { styles } from './styles';

const channel = connect<ArchiveSummaryProtocol>();
document.adoptedStyleSheets = [...document.adoptedStyleSheets, styles];

/** Rows are asked for in pages of this many, aligned, so scrolling back and forth reuses them. */
const PAGE = 200;
/** Rows beyond the visible ones worth having before the user scrolls to them. */
const AHEAD = 100;
const SEARCH_DELAY_MS = 120;

const saved = channel.getState<SummaryState>();
const ui = {
  view: undefined as SummaryView | undefined,
  failure: undefined as string | undefined,
  warnings: undefined as ArchiveWarning[] | undefined,
  query: saved?.query ?? '',
  /** Rows matching the query; undefined until the first answer. */
  total: undefined as number | undefined,
  /** One slot per matching row, for the virtualizer; the rows themselves are in `rows`. */
  slots: [] as null[],
  rows: new Map<number, EntryRow>(),
  /** Pages asked for and not yet answered, for the current query. */
  pending: new Set<number>(),
  /** Bumped on each new query: answers to older queries are dropped. */
  generation: 0,
  active: saved?.activeRow ?? 0,
  firstVisible: saved?.firstRow ?? 0,
  /** A scroll position to go back to once the rows are there (after the page was reloaded). */
  restoreTo: saved && saved.firstRow > 0 ? saved.firstRow : undefined,
};

const app = document.getElementById('app')!;

function saveState(): void {
  channel.setState<SummaryState>({ query: ui.query, firstRow: ui.firstVisible, activeRow: ui.active });
}

let drawQueued = false;
function draw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    render(page(), app);
    // The rows may have come before the table was first drawn: go back to the saved position now.
    if (ui.restoreTo !== undefined && (ui.total ?? 0) > 0) scrollBackSoon();
  });
}

// ---------------------------------------------------------------------------------------------
// Talking to the host

async function start(): Promise<void> {
  try {
    ui.view = await channel.request('view', {});
  } catch (err) {
    ui.failure = err instanceof Error ? err.message : String(err);
  }
  draw();
  if (ui.view?.kind !== 'archive') return;
  void search(ui.query, { keepPosition: true });
  channel
    .request('warnings', {})
    .then((w) => (ui.warnings = w))
    .catch((err: unknown) => (ui.warnings = [{ severity: 'warning', code: 'no-pg-restore', message: `could not look for pg_restore: ${err instanceof Error ? err.message : String(err)}`, details: [] }]))
    .finally(draw);
}

channel.on('warnings', (w) => {
  ui.warnings = w;
  draw();
});

/** Starts a new query: its first page decides how many rows the table has. */
async function search(query: string, options: { keepPosition?: boolean } = {}): Promise<void> {
  ui.query = query;
  ui.generation++;
  ui.rows = new Map();
  ui.pending = new Set();
  if (!options.keepPosition) {
    ui.active = 0;
    ui.firstVisible = 0;
    ui.restoreTo = undefined;
  }
  saveState();
  const first = Math.floor((ui.restoreTo ?? 0) / PAGE) * PAGE;
  await fetchPage(first);
}

async function fetchPage(offset: number): Promise<void> {
  const generation = ui.generation;
  if (ui.pending.has(offset)) return;
  ui.pending.add(offset);
  try {
    const answer = await channel.request('rows', { query: ui.query, offset, limit: PAGE });
    if (generation !== ui.generation) return;
    if (answer.total !== ui.total || ui.slots.length !== answer.total) {
      ui.total = answer.total;
      ui.slots = new Array<null>(answer.total).fill(null);
      ui.active = Math.min(ui.active, Math.max(0, answer.total - 1));
    }
    for (const row of answer.rows) ui.rows.set(row.index, row);
    draw();
    if (ui.restoreTo !== undefined) scrollBackSoon();
  } catch (err) {
    if (generation === ui.generation) ui.failure = err instanceof Error ? err.message : String(err);
    draw();
  } finally {
    ui.pending.delete(offset);
  }
}

/** Asks for the pages around what is on screen that are not here yet. */
function want(first: number, last: number): void {
  if (ui.total === undefined) return;
  const from = Math.max(0, first - AHEAD);
  const to = Math.min(ui.total - 1, last + AHEAD);
  for (let p = Math.floor(from / PAGE) * PAGE; p <= to; p += PAGE) {
    if (!ui.rows.has(p) || !ui.rows.has(Math.min(p + PAGE, ui.total) - 1)) void fetchPage(p);
  }
}

function act(action: SummaryAction): void {
  channel.notify('action', { action });
}

function reveal(index: number): void {
  const row = ui.rows.get(index);
  if (row) channel.notify('reveal', { dumpId: row.dumpId });
}

// ---------------------------------------------------------------------------------------------
// The table: scrolling and the keyboard

function virtualizer(): Virtualizer | undefined {
  const host = app.querySelector<HTMLElement>('.rows');
  return host ? (host as unknown as { [virtualizerRef]?: Virtualizer })[virtualizerRef] : undefined;
}

function scrollBackSoon(): void {
  const target = ui.restoreTo;
  const v = virtualizer();
  if (target === undefined || !v) return;
  ui.restoreTo = undefined;
  void v.layoutComplete
    .catch(() => undefined)
    .then(() => v.element(Math.min(target, (ui.total ?? 1) - 1))?.scrollIntoView({ block: 'start' }));
}

function moveTo(index: number): void {
  const total = ui.total ?? 0;
  if (total === 0) return;
  ui.active = Math.max(0, Math.min(total - 1, index));
  virtualizer()?.element(ui.active)?.scrollIntoView({ block: 'nearest' });
  saveState();
  draw();
}

function visibleRows(): number {
  const host = app.querySelector<HTMLElement>('.rows');
  return host ? Math.max(1, Math.floor(host.clientHeight / ROW_HEIGHT) - 1) : 10;
}

function onGridKey(e: KeyboardEvent): void {
  const keys: Record<string, () => void> = {
    ArrowDown: () => moveTo(ui.active + 1),
    ArrowUp: () => (ui.active === 0 ? searchField()?.focus() : moveTo(ui.active - 1)),
    PageDown: () => moveTo(ui.active + visibleRows()),
    PageUp: () => moveTo(ui.active - visibleRows()),
    Home: () => moveTo(0),
    End: () => moveTo((ui.total ?? 1) - 1),
    Enter: () => reveal(ui.active),
    ' ': () => reveal(ui.active),
  };
  const run = keys[e.key];
  if (!run) return;
  e.preventDefault();
  run();
}

function searchField(): VscodeTextfield | null {
  return app.querySelector('vscode-textfield');
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
function onSearchInput(e: Event): void {
  const value = (e.target as VscodeTextfield).value;
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    if (value === ui.query) return;
    const v = virtualizer();
    v?.element(0)?.scrollIntoView({ block: 'start' });
    void search(value);
  }, SEARCH_DELAY_MS);
}

function onSearchKey(e: KeyboardEvent): void {
  if (e.key === 'ArrowDown' || (e.key === 'Enter' && (ui.total ?? 0) > 0)) {
    e.preventDefault();
    app.querySelector<HTMLElement>('.grid')?.focus();
    moveTo(ui.active);
  } else if (e.key === 'Escape' && ui.query !== '') {
    (e.target as VscodeTextfield).value = '';
    void search('');
  }
}

// ---------------------------------------------------------------------------------------------
// What the page shows

/** Height of a table row in CSS pixels (styles.ts gives rows this height). */
const ROW_HEIGHT = 22;

function page(): TemplateResult {
  if (ui.failure && !ui.view) return html`<div class="problem"><h1>PG Dump Explorer</h1><p class="error">${ui.failure}</p></div>`;
  const view = ui.view;
  if (!view) return html`<p class="muted loading">Reading the archive…</p>`;
  if (view.kind === 'error') return errorPage(view);
  return html`
    <header class="head">
      <h1 title=${view.path}>${view.title}</h1>
      <div class="actions">
        <vscode-button secondary icon="list-tree" @click=${() => act('showInDumps')}>Show in Dumps view</vscode-button>
        <vscode-button secondary icon="list-flat" @click=${() => act('showListing')}>Show listing</vscode-button>
        <vscode-button icon="cloud-upload" @click=${() => act('restore')}>Restore…</vscode-button>
      </div>
    </header>
    ${facts(view.summary)} ${warningList()} ${table(view.summary)}
  `;
}

function errorPage(view: Extract<SummaryView, { kind: 'error' }>): TemplateResult {
  return html`
    <div class="problem" role="alert">
      <h1 title=${view.path}>${view.title}</h1>
      <p class="message"><span class="codicon codicon-error error"></span> ${view.problem.message}</p>
      <p class="what-to-do">${view.problem.whatToDo}</p>
      <p class="muted">${view.path}</p>
      <vscode-button secondary icon="go-to-file" @click=${() => act('reopenAsText')}>Reopen in Text Editor</vscode-button>
    </div>
  `;
}

function fact(label: string, value: TemplateResult | string | null, title?: string): TemplateResult {
  return html`<dt>${label}</dt>
    <dd title=${title ?? nothing}>${value ?? html`<span class="muted">not recorded</span>`}</dd>`;
}

function facts(s: ArchiveSummary): TemplateResult {
  const entries = html`<span class="entry-count">${formatCount(s.entries)}</span>
    <span class="muted">(${formatCount(s.listedEntries)} listed by pg_restore -l)</span>`;
  const data = html`${s.dataText}
    <span class="muted"
      >in ${formatCount(s.dataEntries)} ${s.dataEntries === 1 ? 'entry' : 'entries'}${s.dataSizeUnknown > 0 ? `, ${formatCount(s.dataSizeUnknown)} of unknown size` : ''}</span
    >`;
  const encoding = s.encoding ? html`${s.encoding}${s.standardConformingStrings ? html` <span class="muted">(standard_conforming_strings ${s.standardConformingStrings})</span>` : nothing}` : null;
  return html`<dl class="facts summary">
    ${fact('Database', s.database)} ${fact('Dumped from', s.serverVersion ? `PostgreSQL ${s.serverVersion}` : null)}
    ${fact('Dumped by', s.pgDumpVersion ? `pg_dump ${s.pgDumpVersion}` : null)} ${fact('Created', s.created, 'the clock of the machine pg_dump ran on; the archive stores no time zone')}
    ${fact('Format', s.formatText)} ${fact('Archive version', s.archiveVersion)} ${fact('Compression', s.compression)} ${fact('Entries', entries)}
    ${fact('Stored data', data, 'bytes as stored in the archive (compressed)')} ${fact('Encoding', encoding)}
  </dl>`;
}

const SEVERITY_ICON = { error: 'error', warning: 'warning', info: 'info' } as const;

function warningList(): TemplateResult {
  if (ui.warnings === undefined) return html`<p class="muted checking"><span class="codicon codicon-loading codicon-modifier-spin"></span> Looking for pg_restore…</p>`;
  if (ui.warnings.length === 0) return html`<p class="no-warnings"><span class="codicon codicon-pass ok"></span> Nothing to warn about: a pg_restore on this machine can read this archive.</p>`;
  return html`<ul class="warnings" aria-label="Warnings">
    ${ui.warnings.map(
      (w) => html`<li class="warning-item ${w.severity}" data-code=${w.code}>
        <span class="codicon codicon-${SEVERITY_ICON[w.severity]} ${w.severity}"></span>
        <div>
          <div class="warning-message">${w.message}</div>
          ${w.details.map((d) => html`<div class="muted detail">${d}</div>`)}
        </div>
      </li>`,
    )}
  </ul>`;
}

const COLUMNS = ['ID', 'Kind', 'Schema', 'Name', 'Owner', 'Section', 'Data'] as const;
const NUMERIC: ReadonlySet<string> = new Set(['ID', 'Data']);

function table(s: ArchiveSummary): TemplateResult {
  const total = ui.total;
  const count =
    total === undefined ? 'Loading entries…' : ui.query.trim() === '' ? `${formatCount(total)} entries` : `${formatCount(total)} of ${formatCount(s.entries)} entries match`;
  return html`
    <section class="entries">
      <div class="toolbar">
        <vscode-textfield
          type="search"
          placeholder="Search kind, schema, name or owner"
          aria-label="Search entries"
          .value=${ui.query}
          @input=${onSearchInput}
          @keydown=${onSearchKey}
        >
          <vscode-icon slot="content-before" name="search"></vscode-icon>
        </vscode-textfield>
        <span class="count muted" aria-live="polite">${count}</span>
      </div>
      <div
        class="grid"
        role="grid"
        tabindex="0"
        aria-label="TOC entries"
        aria-rowcount=${(total ?? 0) + 1}
        aria-activedescendant=${total ? `row-${ui.active}` : nothing}
        @keydown=${onGridKey}
        @focus=${() => draw()}
      >
        <div class="row header" role="row" aria-rowindex="1">${COLUMNS.map((c) => html`<div role="columnheader" class="cell${NUMERIC.has(c) ? ' num' : ''}">${c}</div>`)}</div>
        ${total === 0 ? html`<p class="muted empty">No entry matches “${ui.query}”.</p>` : nothing}
        <div class="rows" role="rowgroup" @rangeChanged=${onRange} @visibilityChanged=${onVisible}>
          ${virtualize({ items: ui.slots, scroller: true, keyFunction: (_item: null, index: number) => index, renderItem: (_item: null, index: number) => rowTemplate(index) })}
        </div>
      </div>
    </section>
  `;
}

function rowTemplate(index: number): TemplateResult {
  const row = ui.rows.get(index);
  const active = index === ui.active;
  const cls = `row${active ? ' active' : ''}${row && !row.listed ? ' unlisted' : ''}`;
  if (!row) {
    return html`<div class="${cls} placeholder" role="row" id="row-${index}" aria-rowindex=${index + 2}><div class="cell muted" role="gridcell">…</div></div>`;
  }
  return html`<div
    class=${cls}
    role="row"
    id="row-${index}"
    aria-rowindex=${index + 2}
    aria-selected=${active ? 'true' : 'false'}
    data-dump-id=${row.dumpId}
    title=${row.listed ? nothing : 'pg_restore -l does not list this entry'}
    @click=${() => {
      ui.active = index;
      saveState();
      draw();
      reveal(index);
    }}
  >
    <div class="cell num" role="gridcell">${row.dumpId}</div>
    <div class="cell" role="gridcell">${row.kind}</div>
    <div class="cell" role="gridcell">${row.schema}</div>
    <div class="cell name" role="gridcell" title=${row.name}>${row.name}</div>
    <div class="cell" role="gridcell">${row.owner}</div>
    <div class="cell muted" role="gridcell">${row.section}</div>
    <div class="cell num" role="gridcell">${row.dataText}</div>
  </div>`;
}

function onRange(e: Event): void {
  const { first, last } = e as Event & { first: number; last: number };
  want(first, last);
}

function onVisible(e: Event): void {
  const { first } = e as Event & { first: number };
  if (ui.restoreTo !== undefined) return;
  if (first !== ui.firstVisible) {
    ui.firstVisible = first;
    saveState();
  }
}

draw();
void start();
