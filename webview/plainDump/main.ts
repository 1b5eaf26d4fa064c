import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { PlainDumpProtocol, RowView, ViewerStatus } from '../../src/protocol/plainDump';
import { connect } from '../common/channel';

/**
 * The Large Dump Viewer's page: a search field and a virtual list of the dump's sections. Only
 * the rows in view (and a screenful around them) exist in the DOM, fetched from the host by
 * number; the host filters and keeps the outline.
 */

interface ViewState {
  filter: string;
  collapsed: string[];
  scrollTop: number;
}

const ROW_HEIGHT = 22;
const OVERSCAN = 30;

const channel = connect<PlainDumpProtocol>();
const state: ViewState = { filter: '', collapsed: [], scrollTop: 0, ...channel.getState<ViewState>() };

const sheet = new CSSStyleSheet();
sheet.replaceSync(`
  body { padding: 0; overflow: hidden; }
  .bar { display: flex; gap: 8px; align-items: center; padding: 8px 12px; border-bottom: 1px solid var(--vscode-panel-border); }
  .bar vscode-textfield { flex: 0 1 360px; }
  .summary { opacity: 0.8; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .list { position: absolute; top: 46px; bottom: 0; left: 0; right: 0; overflow-y: auto; }
  .spacer { position: relative; }
  .row { position: absolute; left: 0; right: 0; height: ${ROW_HEIGHT}px; line-height: ${ROW_HEIGHT}px; display: flex; align-items: center; gap: 6px; padding-right: 12px; white-space: nowrap; cursor: default; }
  .row:hover { background: var(--vscode-list-hoverBackground); }
  .row.group { font-weight: 600; }
  .row .label { overflow: hidden; text-overflow: ellipsis; }
  .row .desc { opacity: 0.7; font-size: 0.9em; }
  .row .detail { opacity: 0.7; margin-left: auto; font-size: 0.9em; }
  .row .actions { display: none; gap: 2px; }
  .row:hover .actions { display: flex; }
  .row .action { cursor: pointer; padding: 0 3px; border-radius: 3px; }
  .row .action:hover { background: var(--vscode-toolbar-hoverBackground); }
  .message { padding: 16px 12px; }
`);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

const app = document.getElementById('app')!;
app.innerHTML = `
  <div class="bar">
    <vscode-textfield class="search" placeholder="Filter by name" aria-label="Filter sections by name"></vscode-textfield>
    <span class="summary"></span>
  </div>
  <div class="list" tabindex="0" role="tree" aria-label="Sections of the dump"><div class="spacer"></div></div>
`;
const search = app.querySelector<HTMLElement & { value: string }>('.search')!;
const summary = app.querySelector<HTMLElement>('.summary')!;
const list = app.querySelector<HTMLElement>('.list')!;
const spacer = app.querySelector<HTMLElement>('.spacer')!;
search.value = state.filter;

let ready = false;
let total = 0;
/** Rows fetched for the current query, by row number. */
let cache = new Map<number, RowView>();
/** Bumped whenever the query changes: answers to older queries are dropped. */
let generation = 0;
let pending = false;

function save(): void {
  channel.setState<ViewState>(state);
}

function showMessage(text: string, action?: { label: string; run: () => void }): void {
  spacer.replaceChildren();
  spacer.style.height = '0px';
  const div = document.createElement('div');
  div.className = 'message';
  div.textContent = text;
  if (action) {
    const button = document.createElement('vscode-button');
    button.textContent = action.label;
    button.addEventListener('click', action.run);
    div.append(' ', button);
  }
  spacer.append(div);
}

channel.on('status', (s: ViewerStatus) => {
  switch (s.state) {
    case 'indexing':
      ready = false;
      summary.textContent = `Indexing ${s.name}…`;
      showMessage('Indexing the dump: the notification shows how far it got and can cancel it.');
      return;
    case 'failed':
      ready = false;
      summary.textContent = s.name;
      showMessage(s.message, { label: 'Index Again', run: () => void channel.request('reindex', {}) });
      return;
    case 'ready':
      ready = true;
      summary.textContent = `${s.name} · ${s.summary}`;
      reset();
      list.scrollTop = state.scrollTop;
      void render();
      return;
  }
});

/** Forget fetched rows (the filter or the collapsed groups changed) and draw again. */
function reset(): void {
  generation++;
  cache = new Map();
  spacer.replaceChildren();
}

async function render(): Promise<void> {
  if (!ready) return;
  const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const visible = Math.ceil(list.clientHeight / ROW_HEIGHT) + 2 * OVERSCAN;
  let missing = -1;
  for (let i = first; i < first + visible && (total === 0 || i < total); i++) {
    if (!cache.has(i)) {
      missing = i;
      break;
    }
  }
  if (missing >= 0 || cache.size === 0) {
    if (pending) return;
    pending = true;
    const asked = generation;
    const from = missing >= 0 ? missing : first;
    try {
      const answer = await channel.request('rows', { filter: state.filter, collapsed: state.collapsed, from, count: visible });
      if (asked === generation) {
        total = answer.total;
        answer.rows.forEach((r, k) => cache.set(from + k, r));
      }
    } finally {
      pending = false;
    }
    // The query changed while this answer was on its way: ask again for the new one.
    if (asked !== generation) return render();
  }
  draw(first, visible);
}

function draw(first: number, visible: number): void {
  spacer.style.height = `${total * ROW_HEIGHT}px`;
  if (total === 0) {
    showMessage(state.filter ? `No section's name holds "${state.filter}".` : 'The dump has no object sections.');
    return;
  }
  const rows: HTMLElement[] = [];
  for (let i = first; i < Math.min(total, first + visible); i++) {
    const r = cache.get(i);
    if (r) rows.push(rowElement(r, i));
  }
  spacer.replaceChildren(...rows);
}

function icon(name: string): HTMLElement {
  const span = document.createElement('span');
  span.className = `codicon codicon-${name}`;
  return span;
}

function action(name: string, title: string, run: () => void): HTMLElement {
  const a = icon(name);
  a.classList.add('action');
  a.title = title;
  a.setAttribute('role', 'button');
  a.setAttribute('aria-label', title);
  a.addEventListener('click', (ev) => {
    ev.stopPropagation();
    run();
  });
  return a;
}

function rowElement(r: RowView, i: number): HTMLElement {
  const row = document.createElement('div');
  row.className = `row ${r.kind === 'object' ? 'object' : 'group'}`;
  row.style.top = `${i * ROW_HEIGHT}px`;
  row.style.paddingLeft = `${8 + r.depth * 16}px`;
  row.setAttribute('role', 'treeitem');
  row.setAttribute('aria-level', String(r.depth + 1));
  row.dataset.key = r.key;
  const label = document.createElement('span');
  label.className = 'label';
  label.textContent = r.label;
  if (r.kind === 'object') {
    const entry = r.entry!;
    row.append(icon(r.hasRows ? 'table' : 'symbol-field'), label);
    const desc = document.createElement('span');
    desc.className = 'desc';
    desc.textContent = r.desc ?? '';
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = r.detail ?? '';
    const actions = document.createElement('span');
    actions.className = 'actions';
    actions.append(
      action(r.hasRows ? 'table' : 'go-to-file', r.hasRows ? 'Open the first page of rows' : 'Open the section', () => void channel.request('openSection', { entry })),
      action('cloud-upload', 'Restore this object…', () => void channel.request('restore', { entry })),
    );
    row.append(desc, detail, actions);
    row.addEventListener('dblclick', () => void channel.request('openSection', { entry }));
  } else {
    row.setAttribute('aria-expanded', String(r.expanded));
    row.append(icon(r.expanded ? 'chevron-down' : 'chevron-right'), label);
    const count = document.createElement('span');
    count.className = 'desc';
    count.textContent = String(r.count);
    row.append(count);
    row.addEventListener('click', () => toggle(r.key));
  }
  return row;
}

function toggle(key: string): void {
  const at = state.collapsed.indexOf(key);
  if (at >= 0) state.collapsed.splice(at, 1);
  else state.collapsed.push(key);
  save();
  reset();
  void render();
}

let filterTimer: ReturnType<typeof setTimeout> | undefined;
search.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    state.filter = search.value;
    state.scrollTop = 0;
    list.scrollTop = 0;
    save();
    reset();
    void render();
  }, 150);
});

let scrollFrame = 0;
list.addEventListener('scroll', () => {
  cancelAnimationFrame(scrollFrame);
  scrollFrame = requestAnimationFrame(() => {
    state.scrollTop = list.scrollTop;
    save();
    void render();
  });
});
window.addEventListener('resize', () => void render());
