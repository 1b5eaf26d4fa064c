// The dump panel: from where (the source), what (the live database's schemas and tables, with
// their sizes), how (the options, each explained), the pg_dump that will run and its command
// line, progress with Cancel, the result. It renders the state the host sends and asks the host
// for every change; it decides nothing itself.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { html, nothing, render, type TemplateResult } from 'lit';
import type { DumpForm, DumpProtocol, DumpViewState, SchemaRow } from '../../src/protocol/dump';
import { formatBytes, formatCount, plural } from '../../src/core/units';
import { connect } from '../common/channel';

const channel = connect<DumpProtocol>();
const app = document.getElementById('app')!;
let state: DumpViewState | undefined;

/** Reports a failed request under the buttons. */
function ask<M extends keyof DumpProtocol['requests'] & string>(method: M, params: DumpProtocol['requests'][M]['params']): void {
  channel.request(method, params).catch((err: unknown) => {
    const box = document.getElementById('request-error');
    if (box) {
      box.textContent = err instanceof Error ? err.message : String(err);
      box.classList.remove('hidden');
    }
  });
}

function change(patch: Partial<DumpForm>): void {
  if (!state) return;
  state = { ...state, form: { ...state.form, ...patch } };
  ask('setForm', state.form);
}

const checked = (e: Event) => (e.target as HTMLInputElement).checked;
const value = (e: Event) => (e.target as HTMLInputElement).value;

function option(label: string, on: boolean, patch: (v: boolean) => Partial<DumpForm>, help: string, disabled: boolean): TemplateResult {
  return html`<div class="option">
    <vscode-checkbox .checked=${on} ?disabled=${disabled} @change=${(e: Event) => change(patch(checked(e)))}>${label}</vscode-checkbox>
    <vscode-form-helper>${help}</vscode-form-helper>
  </div>`;
}

function radios<T extends string>(name: string, current: T, choices: [T, string, string][], patch: (v: T) => Partial<DumpForm>, disabled: boolean): TemplateResult {
  return html`<vscode-radio-group variant="vertical" name=${name} @change=${(e: Event) => change(patch(value(e) as T))}>
    ${choices.map(([v, label, help]) => html`<vscode-radio value=${v} .checked=${current === v} ?disabled=${disabled}>${label}</vscode-radio><vscode-form-helper>${help}</vscode-form-helper>`)}
  </vscode-radio-group>`;
}

function sourceSection(s: DumpViewState): TemplateResult {
  return html`<section class="target">
    <h2>From</h2>
    <dl class="facts">
      <dt>Connection</dt>
      <dd>${s.source.name}</dd>
      <dt>Host, port, database</dt>
      <dd><code>${s.source.where}</code></dd>
      <dt>Server</dt>
      <dd>PostgreSQL ${s.source.serverVersion}</dd>
      <dt>pg_dump</dt>
      <dd>${s.plan ? html`${s.plan.tool} <span class="muted">(${s.plan.toolWhy})</span>` : s.planning ? html`<vscode-progress-ring></vscode-progress-ring>` : '—'}</dd>
    </dl>
  </section>`;
}

function schemaBlock(schema: SchemaRow, disabled: boolean): TemplateResult {
  return html`<li class="schema">
    <vscode-checkbox .checked=${schema.picked === 'all'} .indeterminate=${schema.picked === 'some'} ?disabled=${disabled} @change=${(e: Event) => ask('pick', { key: schema.name, schema: true, picked: checked(e) })}
      >${schema.name}</vscode-checkbox
    >
    <span class="muted">${formatBytes(schema.bytes)}</span>
    <ul class="tables">
      ${schema.tables.map(
        (t) => html`<li class=${t.partitionOf ? 'partition' : ''}>
          <vscode-checkbox .checked=${t.picked} ?disabled=${disabled} @change=${(e: Event) => ask('pick', { key: t.key, picked: checked(e) })}>${t.name}</vscode-checkbox>
          <span class="muted">${t.kind}${t.partitionOf ? `, partition of ${t.partitionOf}` : ''} · ${formatBytes(t.bytes)}</span>
        </li>`,
      )}
    </ul>
  </li>`;
}

function whatSection(s: DumpViewState, disabled: boolean): TemplateResult {
  const tables = s.schemas.reduce((n, x) => n + x.tables.filter((t) => t.picked).length, 0);
  return html`<section class="plan">
    <h2>What</h2>
    <vscode-checkbox .checked=${s.everything} ?disabled=${disabled} @change=${(e: Event) => ask('pick', { key: null, picked: checked(e) })}>The whole database</vscode-checkbox>
    <vscode-form-helper
      >Everything in it: schemas, tables, functions, types, extensions. Untick to choose schemas (with all they hold) or single tables (with their indexes, constraints and
      triggers, not what they need from elsewhere).</vscode-form-helper
    >
    <p class="muted">${plural(tables, 'table')} picked${s.plan ? ` · about ${formatBytes(s.plan.expectedBytes)} of table data` : ''}</p>
    <ul class="schemas">
      ${s.schemas.map((schema) => schemaBlock(schema, disabled))}
    </ul>
  </section>`;
}

function howSection(s: DumpViewState, disabled: boolean): TemplateResult {
  const f = s.form;
  const methods = s.plan?.compressionMethods ?? [];
  return html`<section class="options">
    <h2>How</h2>
    ${radios(
      'format',
      f.format,
      [
        ['custom', 'Custom archive (.dump)', 'One compressed file; restores selectively and in parallel with pg_restore. The usual choice.'],
        ['directory', 'Directory', 'A folder of one file per table; the only format pg_dump can write with parallel jobs.'],
        ['tar', 'Tar archive', 'One uncompressed tar file; restores with pg_restore, not in parallel.'],
        ['plain', 'Plain SQL script', 'A script for psql; restores only whole, or selectively here.'],
      ],
      (v) => ({ format: v }),
      disabled,
    )}
    <div class="option">
      <vscode-textfield .value=${f.compress} placeholder="pg_dump's default" ?disabled=${disabled} @change=${(e: Event) => change({ compress: value(e) })}></vscode-textfield>
      <vscode-form-helper>Compression as METHOD[:LEVEL]${methods.length > 0 ? ` (this pg_dump: ${methods.join(', ')})` : ''}, e.g. zstd:3 or gzip:9; empty: pg_dump's default for the format.</vscode-form-helper>
    </div>
    ${f.format === 'directory'
      ? html`<div class="option">
          <vscode-textfield type="number" min="1" max="64" .value=${String(f.jobs)} ?disabled=${disabled} @change=${(e: Event) => change({ jobs: Math.max(1, Number(value(e)) || 1) })}></vscode-textfield>
          <vscode-form-helper>Parallel jobs: tables dumped at once, each over a connection of its own.</vscode-form-helper>
        </div>`
      : nothing}
    ${radios(
      'content',
      f.content,
      [
        ['all', 'Definitions and data', 'What a restore needs to make the database again.'],
        ['schema-only', 'Definitions only (--schema-only)', 'No rows: the structure alone.'],
        ['data-only', 'Data only (--data-only)', 'Rows only, to load into tables that exist.'],
      ],
      (v) => ({ content: v }),
      disabled,
    )}
    <div class="option">
      <vscode-textfield .value=${f.excludeTableData} placeholder="e.g. public.audit_*" ?disabled=${disabled} @change=${(e: Event) => change({ excludeTableData: value(e) })}></vscode-textfield>
      <vscode-form-helper>Leave out the rows of these tables (--exclude-table-data; patterns as psql takes them, comma-separated): their definitions stay.</vscode-form-helper>
    </div>
    ${option('Without owners (--no-owner)', f.noOwner, (v) => ({ noOwner: v }), 'No ALTER … OWNER TO: restored objects belong to whoever restores them.', disabled)}
    ${option('Without privileges (--no-privileges)', f.noPrivileges, (v) => ({ noPrivileges: v }), 'No GRANT / REVOKE.', disabled)}
    ${radios(
      'statistics',
      f.statistics,
      [
        ['', "pg_dump's default", 'Planner statistics as the pg_dump that runs does by default (pg_dump 18 adds them).'],
        ['with', 'With statistics (pg_dump 18+)', 'The restored tables are planned well before their first ANALYZE.'],
        ['without', 'Without statistics (pg_dump 18+)', 'Leaves them out: ANALYZE after the restore.'],
        ['only', 'Statistics only (pg_dump 18+)', 'Nothing but the statistics.'],
      ],
      (v) => ({ statistics: v }),
      disabled,
    )}
  </section>`;
}

function outputSection(s: DumpViewState, disabled: boolean): TemplateResult {
  return html`<section class="output">
    <h2>To</h2>
    <p><code class="path">${s.path}</code> <vscode-button secondary ?disabled=${disabled} @click=${() => ask('choosePath', null)}>Choose…</vscode-button></p>
    <vscode-form-helper>Written under a temporary name beside it and renamed once pg_dump has finished: a failed or cancelled dump leaves nothing there.</vscode-form-helper>
    ${s.planError ? html`<p class="finding blocking"><vscode-icon name="error"></vscode-icon> ${s.planError}</p>` : nothing}
    ${s.plan ? html`<h3>Command</h3><pre class="command">${s.plan.command}</pre>` : nothing}
  </section>`;
}

function actions(s: DumpViewState): TemplateResult {
  if (s.phase === 'dumping' && s.progress) {
    const p = s.progress;
    const fraction = p.bytesExpected > 0 ? Math.min(1, p.bytesWritten / p.bytesExpected) : undefined;
    return html`<section class="progress">
      <h2>Dumping</h2>
      ${fraction !== undefined ? html`<vscode-progress-bar value=${fraction * 100} max="100"></vscode-progress-bar>` : html`<vscode-progress-bar indeterminate></vscode-progress-bar>`}
      <p>Table ${formatCount(p.tablesDone)} of ${formatCount(p.tablesTotal)}${p.current ? html` · <code>${p.current}</code>` : nothing} · ${formatBytes(p.bytesWritten)} written${p.bytesExpected > 0 ? ` of about ${formatBytes(p.bytesExpected)}` : ''}</p>
      <vscode-button icon="debug-stop" @click=${() => ask('cancel', null)}>Cancel</vscode-button>
    </section>`;
  }
  if (s.phase === 'done' && s.result) {
    const r = s.result;
    return html`<section class="result ${r.outcome}">
      <h2><vscode-icon name=${r.outcome === 'dumped' ? 'pass' : r.outcome === 'failed' ? 'error' : 'warning'}></vscode-icon> ${r.headline}</h2>
      ${r.summary ? html`<p class="summary">${r.summary}</p>` : nothing}
      ${r.errors.length > 0 ? html`<h3>Errors</h3><ul class="errors">${r.errors.map((e) => html`<li>${e}</li>`)}</ul>` : nothing}
      <div class="actions">
        <vscode-button icon="output" secondary @click=${() => ask('openLog', null)}>Open Log</vscode-button>
        <vscode-button icon="refresh" secondary @click=${() => ask('again', null)}>Dump Again</vscode-button>
      </div>
    </section>`;
  }
  const ready = !!s.plan && !s.planning && !s.planError;
  return html`<div class="actions sticky">
    <vscode-button class="dump" icon="archive" ?disabled=${!ready} @click=${() => ask('dump', null)}>Dump</vscode-button>
    <vscode-button class="copy-to" icon="copy" secondary ?disabled=${!s.schemas.some((x) => x.picked !== 'none')} @click=${() => ask('copyTo', null)}>Copy Selected To…</vscode-button>
    <span class="muted">${s.planning ? 'Checking…' : ''}</span>
  </div>`;
}

function view(s: DumpViewState): TemplateResult {
  const disabled = s.phase !== 'setup';
  return html`<h1>Dump ${s.source.database}</h1>
    ${sourceSection(s)} ${whatSection(s, disabled)} ${howSection(s, disabled)} ${outputSection(s, disabled)} ${actions(s)}
    <p id="request-error" class="finding blocking hidden"></p>`;
}

channel.on('state', (next) => {
  state = next;
  render(view(next), app);
});
