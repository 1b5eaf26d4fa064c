import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { DataPreviewContent, DataPreviewProtocol, PreviewValue } from '../../src/protocol/dataPreview';
import { connect } from '../common/channel';

/**
 * The data preview: a grid of the rows the host read from the archive. NULL shows as a dimmed
 * NULL, the empty string as an empty cell; tabs and line breaks inside values show as they are.
 */

const channel = connect<DataPreviewProtocol>();
const app = document.getElementById('app')!;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K];
function el(tag: string, className?: string, text?: string): HTMLElement;
function el(tag: string, className?: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A cell; its text in a span of its own, so that only the value keeps its white space. */
function cell(value: PreviewValue, className = 'value'): HTMLElement {
  const c = el('vscode-table-cell');
  const text = el('span', value === null ? `${className} null` : value === '' ? `${className} empty` : className, value === null ? 'NULL' : value);
  if (value === null) c.title = 'NULL';
  else if (value === '') c.title = 'empty string';
  c.append(text);
  return c;
}

function render(content: DataPreviewContent): void {
  app.replaceChildren();
  const heading = el('h1', undefined, content.table);
  const summary = el('p', 'muted summary', content.summary);
  app.append(heading, summary);
  const columns = content.rowSources ? ['(partition)', ...content.columns] : content.columns;
  const table = el('vscode-table', 'rows');
  table.setAttribute('zebra', '');
  table.setAttribute('bordered-columns', '');
  table.setAttribute('resizable', '');
  const header = el('vscode-table-header');
  header.slot = 'header';
  for (const name of columns) header.append(el('vscode-table-header-cell', undefined, name));
  const body = el('vscode-table-body');
  body.slot = 'body';
  content.rows.forEach((values, i) => {
    const row = el('vscode-table-row');
    if (content.rowSources) row.append(cell(content.rowSources[i] ?? '', 'value source'));
    // A row with fewer values than columns (a damaged archive) still fills its line.
    for (let k = 0; k < Math.max(content.columns.length, values.length); k++) row.append(cell(values[k] ?? null));
    body.append(row);
  });
  table.append(header, body);
  app.append(table);
}

async function load(): Promise<void> {
  app.replaceChildren(el('vscode-progress-ring'), el('p', 'muted', 'Reading rows from the archive…'));
  try {
    render(await channel.request('load', {}));
  } catch (err) {
    app.replaceChildren(el('p', 'error', err instanceof Error ? err.message : String(err)));
  }
}

void load();
