// The restore panel: where to, what, how (the options form), what the target says (the
// pre-flight report, with its fixes as buttons), progress, and the result. It renders the state
// the host sends and asks the host for every change; it decides nothing itself.
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-table/index.js';
import '@vscode-elements/elements/dist/vscode-table-body/index.js';
import '@vscode-elements/elements/dist/vscode-table-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-header/index.js';
import '@vscode-elements/elements/dist/vscode-table-header-cell/index.js';
import '@vscode-elements/elements/dist/vscode-table-row/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { html, nothing, render, type TemplateResult } from 'lit';
import type { FindingView, PlanView, PreflightView, ProgressView, RestoreForm, RestoreProtocol, RestoreViewState, ResultView } from '../../src/protocol/restore';
import { formatBytes, formatCount } from '../../src/core/units';
import { connect } from '../common/channel';

const channel = connect<RestoreProtocol>();
const app = document.getElementById('app')!;
let state: RestoreViewState | undefined;

const count = formatCount;
const bytes = formatBytes;

/** Reports a failed request where the user looks: the pre-flight area. */
function ask<M extends keyof RestoreProtocol['requests'] & string>(method: M, params: RestoreProtocol['requests'][M]['params']): void {
  channel.request(method, params).catch((err: unknown) => {
    const box = document.getElementById('request-error');
    if (box) {
      box.textContent = err instanceof Error ? err.message : String(err);
      box.classList.remove('hidden');
    }
  });
}

function change(patch: Partial<RestoreForm>): void {
  if (!state) return;
  const form = { ...state.form, ...patch };
  state = { ...state, form };
  ask('setForm', form);
}

const checked = (e: Event) => (e.target as HTMLInputElement).checked;

function checkbox(label: string, value: boolean, patch: (v: boolean) => Partial<RestoreForm>, help: string, disabled = false): TemplateResult {
  return html`<div class="option">
    <vscode-checkbox .checked=${value} ?disabled=${disabled} @change=${(e: Event) => change(patch(checked(e)))}>${label}</vscode-checkbox>
    <vscode-form-helper>${help}</vscode-form-helper>
  </div>`;
}

/** What the pre-flight found in the database: once restored into, as it was before. */
function databaseFact(empty: boolean, phase: RestoreViewState['phase']): string {
  if (phase === 'done') return empty ? 'was empty before the restore' : 'held objects before the restore';
  return empty ? 'empty' : 'already holds objects';
}

function targetSection(s: RestoreViewState): TemplateResult {
  const p = s.preflight;
  return html`<section class="target">
    <h2>Into</h2>
    ${s.target
      ? html`<dl class="facts">
          <dt>Connection</dt>
          <dd>${s.target.name}</dd>
          <dt>Host, port, database</dt>
          <dd><code>${s.target.where}</code></dd>
          ${p.serverVersion ? html`<dt>Server</dt><dd>PostgreSQL ${p.serverVersion}, connected as ${p.user}${p.isSuperuser ? ' (superuser)' : ''}</dd>` : nothing}
          ${p.databaseEmpty !== undefined && !p.databaseMissing ? html`<dt>Database</dt><dd>${databaseFact(p.databaseEmpty, s.phase)}</dd>` : nothing}
        </dl>`
      : html`<p class="muted">No target chosen.</p>`}
    <vscode-button secondary icon="plug" ?disabled=${s.phase !== 'setup'} @click=${() => ask('changeTarget', null)}>Change Target…</vscode-button>
  </section>`;
}

function planSection(plan: PlanView, s: RestoreViewState): TemplateResult {
  return html`<section class="plan">
    <h2>What</h2>
    <p>
      <strong>${count(plan.picked)}</strong> object${plan.picked === 1 ? '' : 's'} ticked in ${s.dump.label}: the restore runs
      <strong>${count(plan.entries)}</strong> of its ${count(s.dump.entries)} entries${plan.dataBytes > 0 ? html`, ${bytes(plan.dataBytes)} of stored data` : nothing}.
    </p>
    <p class="kinds">${plan.byKind.map((k) => html`<vscode-badge>${count(k.count)}</vscode-badge> ${k.desc.toLowerCase()} `)}</p>
    ${plan.warnings.length === 0
      ? nothing
      : s.preflight.status === 'done'
        ? // The pre-flight has judged these against the target: its findings say which matter.
          html`<p class="muted">The plan relies on ${count(plan.warnings.length)} thing${plan.warnings.length === 1 ? '' : 's'} it does not restore; the pre-flight check says which the target lacks.</p>`
        : html`<ul class="warnings">
            ${plan.warnings.map((w) => html`<li class="warning"><vscode-icon name="warning"></vscode-icon> ${w}</li>`)}
          </ul>`}
    <vscode-collapsible title="Every entry, and why it is restored" class="entries">
      <vscode-table zebra bordered-rows .columns=${['10%', '20%', '30%', '40%']}>
        <vscode-table-header slot="header">
          <vscode-table-header-cell>ID</vscode-table-header-cell>
          <vscode-table-header-cell>Kind</vscode-table-header-cell>
          <vscode-table-header-cell>Name</vscode-table-header-cell>
          <vscode-table-header-cell>Why</vscode-table-header-cell>
        </vscode-table-header>
        <vscode-table-body slot="body">
          ${plan.rows.map(
            (r) => html`<vscode-table-row>
              <vscode-table-cell><a href="#" @click=${(e: Event) => reveal(e, r.dumpId)}>${r.dumpId}</a></vscode-table-cell>
              <vscode-table-cell>${r.desc}</vscode-table-cell>
              <vscode-table-cell>${r.name}</vscode-table-cell>
              <vscode-table-cell class="muted">${r.reason}</vscode-table-cell>
            </vscode-table-row>`,
          )}
        </vscode-table-body>
      </vscode-table>
      ${plan.moreRows > 0 ? html`<p class="muted">and ${count(plan.moreRows)} more (Show List has them all)</p>` : nothing}
    </vscode-collapsible>
  </section>`;
}

function reveal(e: Event, dumpId: number): void {
  e.preventDefault();
  ask('reveal', { dumpId });
}

function optionsSection(s: RestoreViewState): TemplateResult {
  const f = s.form;
  const disabled = s.phase !== 'setup';
  const mode = (e: Event) => change({ mode: (e.target as HTMLInputElement).value as RestoreForm['mode'] });
  return html`<section class="options">
    <h2>How</h2>
    <fieldset ?disabled=${disabled}>
      <div class="option">
        <vscode-radio-group variant="vertical" @change=${mode}>
          <vscode-radio name="mode" value="definition-and-data" .checked=${f.mode === 'definition-and-data'}>Definitions and data</vscode-radio>
          <vscode-radio name="mode" value="definition-only" .checked=${f.mode === 'definition-only'}>Definitions only (no rows, no sequence values)</vscode-radio>
          <vscode-radio name="mode" value="data-only" .checked=${f.mode === 'data-only'}>Data only (the tables must exist already)</vscode-radio>
        </vscode-radio-group>
      </div>
      ${checkbox('Include what the selection needs', f.withDeps, (v) => ({ withDeps: v }), 'Schemas, types, functions and the tables foreign keys point to, found from the dump\'s dependencies, come too (each whole, with its rows).', disabled)}
      ${checkbox('Leave out foreign keys to tables not restored', f.dropDanglingForeignKeys, (v) => ({ dropDanglingForeignKeys: v }), 'A foreign key whose referenced table is neither restored nor in the target would fail; this leaves such constraints out.', disabled)}
      ${checkbox('Do not restore ownership (--no-owner)', f.noOwner, (v) => ({ noOwner: v }), 'Objects belong to the user you connect as, instead of the owners named in the dump (who may not exist in the target).', disabled)}
      ${checkbox('Do not restore privileges (--no-privileges)', f.noPrivileges, (v) => ({ noPrivileges: v }), 'No GRANT or REVOKE: useful when the roles that were granted privileges do not exist in the target.', disabled)}
      ${checkbox(
        'Drop existing objects first (--clean --if-exists)',
        f.clean,
        (v) => ({ clean: v }),
        s.cleanPossible ? 'Objects the restore creates that already exist are dropped and re-created; what they hold now is lost. The confirmation lists them.' : 'A plain SQL dump holds no DROP statements for its objects: drop what the pre-flight check finds in the way first.',
        disabled || (!s.cleanPossible && !f.clean),
      )}
      <div class="option">
        <vscode-radio-group variant="vertical" @change=${(e: Event) => change({ atomic: (e.target as HTMLInputElement).value === 'atomic' })}>
          <vscode-radio name="tx" value="atomic" .checked=${f.atomic}>All or nothing: one transaction (a failure or cancel changes nothing)</vscode-radio>
          <vscode-radio name="tx" value="parallel" .checked=${!f.atomic} ?disabled=${!s.parallelPossible}>Parallel jobs: faster on big dumps, but a failure can leave part of it restored</vscode-radio>
        </vscode-radio-group>
        ${!f.atomic
          ? html`<vscode-textfield type="number" min="2" max="64" .value=${String(f.jobs)} @change=${(e: Event) => change({ jobs: Number((e.target as HTMLInputElement).value) })} aria-label="Jobs"></vscode-textfield>`
          : nothing}
        ${!s.parallelPossible ? html`<vscode-form-helper>Parallel restores need a custom or directory archive with data offsets.</vscode-form-helper>` : nothing}
      </div>
      ${f.mode === 'data-only' ? checkbox('Disable triggers while loading (--disable-triggers)', f.disableTriggers, (v) => ({ disableTriggers: v }), 'Foreign-key checks and user triggers do not fire while rows are loaded; needs superuser.', disabled) : nothing}
      ${f.createRoles.length > 0
        ? html`<div class="option">
            Roles created first (NOLOGIN; dropped again if the restore fails): ${f.createRoles.map(
              (r) => html`<vscode-badge>${r}</vscode-badge>
                <vscode-button icon-only icon="close" secondary title="Do not create ${r}" @click=${() => change({ createRoles: f.createRoles.filter((x) => x !== r) })}></vscode-button>`,
            )}
          </div>`
        : nothing}
      <h3>Afterwards</h3>
      ${checkbox('ANALYZE the restored tables', f.analyze, (v) => ({ analyze: v }), 'So that the planner has statistics right away (autovacuum would take a while, and never analyzes partitioned tables).', disabled)}
      ${checkbox('Move sequences forward past the restored rows', f.fixSequences, (v) => ({ fixSequences: v }), 'A serial or identity sequence behind its column\'s largest value would make the next insert fail; it is set forward, never back.', disabled)}
      ${checkbox('Compare row counts with the dump', f.verifyRowCounts, (v) => ({ verifyRowCounts: v }), 'Each restored table\'s rows are counted in the database and in the dump.', disabled)}
    </fieldset>
    ${s.formProblems.map((p) => html`<p class="error"><vscode-icon name="error"></vscode-icon> ${p}</p>`)}
  </section>`;
}

const SEVERITY_ICON = { blocking: 'error', warning: 'warning', info: 'info' } as const;

function finding(f: FindingView, i: number, s: RestoreViewState): TemplateResult {
  return html`<li class="finding ${f.severity}">
    <vscode-icon name=${SEVERITY_ICON[f.severity]}></vscode-icon>
    <span class="severity">${f.severity}</span>
    <span>${f.message}</span>
    ${f.dumpIds.length > 0 ? html`<a href="#" class="muted" @click=${(e: Event) => reveal(e, f.dumpIds[0]!)}>show</a>` : nothing}
    <div class="fixes">
      ${f.fixes.map((fix, j) =>
        fix.applied
          ? html`<span class="muted"><vscode-icon name="check"></vscode-icon> ${fix.label}</span>`
          : html`<vscode-button secondary title=${fix.description} ?disabled=${s.phase !== 'setup'} @click=${() => ask('applyFix', { finding: i, fix: j })}>${fix.label}</vscode-button>`,
      )}
    </div>
  </li>`;
}

function preflightSection(p: PreflightView, s: RestoreViewState): TemplateResult {
  const order = { blocking: 0, warning: 1, info: 2 };
  const findings = p.findings.map((f, i) => ({ f, i })).sort((a, b) => order[a.f.severity] - order[b.f.severity]);
  return html`<section class="preflight">
    <h2>
      Pre-flight check
      ${p.status === 'checking' ? html`<vscode-progress-ring class="inline"></vscode-progress-ring>` : nothing}
      <vscode-button secondary icon="refresh" ?disabled=${s.phase !== 'setup' || !s.target} @click=${() => ask('check', null)}>Check Again</vscode-button>
    </h2>
    ${p.status === 'failed' ? html`<p class="error"><vscode-icon name="error"></vscode-icon> ${p.error}</p>` : nothing}
    ${p.status === 'idle' ? html`<p class="muted">Not checked yet.</p>` : nothing}
    ${p.status !== 'failed' && p.status !== 'idle' && p.findings.length === 0 ? html`<p class="ok"><vscode-icon name="pass"></vscode-icon> Nothing stands in the way.</p>` : nothing}
    <ul class="findings">
      ${findings.map(({ f, i }) => finding(f, i, s))}
    </ul>
    <p id="request-error" class="error hidden"></p>
  </section>`;
}

function progressSection(p: ProgressView): TemplateResult {
  const ratio = p.total > 0 ? p.finished / p.total : 0;
  return html`<section class="progress">
    <h2>Restoring…</h2>
    <vscode-progress-bar .value=${Math.round(ratio * 100)} .max=${100} ?indeterminate=${p.stage === 'post-restore' || p.total === 0}></vscode-progress-bar>
    <p>
      ${p.stage === 'restore'
        ? html`Item ${count(p.started)} of ${count(p.total)}${p.bytesTotal > 0 ? html` · ${bytes(p.bytesDone)} of ${bytes(p.bytesTotal)}` : nothing}${p.current ? html` · <code>${p.current}</code>` : nothing}`
        : html`Checking the restored tables: ${p.current}`}
    </p>
    ${p.copying?.length ? html`<ul class="copying">${p.copying.map((c) => html`<li>Copying ${c}</li>`)}</ul>` : nothing}
    <vscode-button icon="debug-stop" @click=${() => ask('cancel', null)}>Cancel</vscode-button>
  </section>`;
}

function resultSection(r: ResultView): TemplateResult {
  const icon = r.outcome === 'restored' ? 'pass' : r.outcome === 'failed' ? 'error' : 'warning';
  const post = r.post;
  return html`<section class="result ${r.outcome}">
    <h2><vscode-icon name=${icon}></vscode-icon> ${r.headline}</h2>
    ${r.targetState ? html`<p><strong>${r.targetState}</strong></p>` : nothing}
    <p class="muted">With ${r.tool}.</p>
    ${r.errors.length > 0
      ? html`<h3>Errors</h3>
          <ul class="errors">
            ${r.errors.map(
              (e) => html`<li>
                ${e.dumpId !== undefined ? html`<a href="#" @click=${(ev: Event) => reveal(ev, e.dumpId!)}>${e.where}</a>` : html`<span>${e.where}</span>`}:
                <pre>${e.message}</pre>
              </li>`,
            )}
          </ul>`
      : nothing}
    ${r.problems.length > 0 ? html`<h3>Problems</h3><ul>${r.problems.map((p) => html`<li class="warning">${p}</li>`)}</ul>` : nothing}
    ${r.notes.length > 0 ? html`<h3>Left out</h3><ul class="notes">${r.notes.map((n) => html`<li>${n}</li>`)}</ul>` : nothing}
    ${post
      ? html`<h3>Afterwards</h3>
          <p>${post.analyzed.length > 0 ? `ANALYZE ran on ${post.analyzed.length} relation${post.analyzed.length === 1 ? '' : 's'}: ${post.analyzed.join(', ')}.` : 'ANALYZE did not run.'}</p>
          ${post.sequences.length > 0
            ? html`<vscode-table zebra bordered-rows>
                <vscode-table-header slot="header">
                  <vscode-table-header-cell>Sequence</vscode-table-header-cell>
                  <vscode-table-header-cell>Column</vscode-table-header-cell>
                  <vscode-table-header-cell>Before</vscode-table-header-cell>
                  <vscode-table-header-cell>After</vscode-table-header-cell>
                </vscode-table-header>
                <vscode-table-body slot="body">
                  ${post.sequences.map(
                    (q) => html`<vscode-table-row>
                      <vscode-table-cell>${q.sequence}</vscode-table-cell>
                      <vscode-table-cell>${q.column}</vscode-table-cell>
                      <vscode-table-cell>${q.before}</vscode-table-cell>
                      <vscode-table-cell>${q.changed ? html`<strong>${q.after}</strong> (set forward)` : html`${q.after} (ahead already)`}</vscode-table-cell>
                    </vscode-table-row>`,
                  )}
                </vscode-table-body>
              </vscode-table>`
            : nothing}
          ${post.rowCounts.length > 0
            ? html`<h3>Rows: ${post.rowCounts.filter((x) => x.matches).length} of ${post.rowCounts.length} tables hold what the dump has</h3>
                <vscode-table zebra bordered-rows class="row-counts">
                  <vscode-table-header slot="header">
                    <vscode-table-header-cell>Table</vscode-table-header-cell>
                    <vscode-table-header-cell>In the dump</vscode-table-header-cell>
                    <vscode-table-header-cell>In the database</vscode-table-header-cell>
                    <vscode-table-header-cell></vscode-table-header-cell>
                  </vscode-table-header>
                  <vscode-table-body slot="body">
                    ${post.rowCounts.map(
                      (c) => html`<vscode-table-row>
                        <vscode-table-cell>${c.table}</vscode-table-cell>
                        <vscode-table-cell>${count(c.archiveRows)}</vscode-table-cell>
                        <vscode-table-cell title=${c.countedBy === 'statistics' ? "the server's count of the rows the restore inserted" : 'count(*)'}>${c.missing ? 'missing' : count(c.databaseRows)}</vscode-table-cell>
                        <vscode-table-cell>${c.matches ? html`<vscode-icon name="pass" class="ok"></vscode-icon>` : html`<vscode-icon name="error" class="error"></vscode-icon> expected ${count(c.expectedRows)}`}</vscode-table-cell>
                      </vscode-table-row>`,
                    )}
                  </vscode-table-body>
                </vscode-table>`
            : nothing}
          ${post.notes.map((n) => html`<p class="muted">${n}</p>`)}`
      : nothing}
    <div class="actions">
      <vscode-button icon="output" secondary @click=${() => ask('openLog', null)}>Open Log</vscode-button>
      <vscode-button icon="debug-restart" secondary @click=${() => ask('restoreAgain', null)}>Restore Again</vscode-button>
      <vscode-button icon="list-flat" secondary @click=${() => ask('showList', null)}>Show List</vscode-button>
    </div>
  </section>`;
}

function view(s: RestoreViewState): TemplateResult {
  const blocked = s.preflight.blocking || s.preflight.status === 'failed';
  const canRestore = s.phase === 'setup' && s.target !== null && s.formProblems.length === 0 && s.plan.entries > 0;
  return html`
    <h1>Restore ${s.dump.label}</h1>
    ${s.phase === 'restoring' && s.progress ? progressSection(s.progress) : nothing}
    ${s.phase === 'done' && s.result ? resultSection(s.result) : nothing}
    <div class="columns">
      <div>${targetSection(s)} ${planSection(s.plan, s)}</div>
      <div>${preflightSection(s.preflight, s)} ${optionsSection(s)}</div>
    </div>
    ${s.phase === 'setup' || s.phase === 'confirming'
      ? html`<div class="actions sticky">
          <vscode-button icon="cloud-upload" ?disabled=${!canRestore || s.phase === 'confirming'} @click=${() => ask('restore', null)}>${blocked ? 'Restore Anyway…' : 'Restore…'}</vscode-button>
          <vscode-button icon="list-flat" secondary @click=${() => ask('showList', null)}>Show List</vscode-button>
          ${blocked && s.preflight.status === 'done' ? html`<span class="warning">The pre-flight check found blocking problems: the restore is likely to fail.</span>` : nothing}
        </div>`
      : nothing}
  `;
}

channel.on('state', (next) => {
  state = next;
  render(view(next), app);
});
