import * as vscode from 'vscode';
import type { ResolvedConnection } from '../core/connections/resolve';
import { rowCounterBeside, type RowCounterProgram } from '../core/data/rowCounterProcess';
import { DumpError, oneLine } from '../core/errors';
import { buildPlan, type RestorePlan } from '../core/plan/closure';
import { writeRestoreList } from '../core/plan/listFile';
import { applyFix, confirmation, DEFAULT_RESTORE_FORM, formProblems, preflightOptions, runOptions, selectionOptions, type RestoreForm } from '../core/restore/restoreForm';
import { optionsFromPreflight, runRestore } from '../core/restore/restoreArchive';
import type { RestoreResult, RestoreRunOptions } from '../core/restore/types';
import { settingParameters } from '../core/plain/slices';
import { formatProgress, formatRestoreError } from '../core/restore/reportText';
import { describePostRestore } from '../core/target/postRestore';
import { preflight, type PreflightOptions, type PreflightReport } from '../core/target/preflight';
import { createDatabase } from '../core/server/server';
import { findPgRestoreFor, findTool } from '../core/tools/findTools';
import { formatBytes, plural } from '../core/units';
import type { OpenDump } from '../dumps/openDumps';
import type { PreflightView, ProgressView, RestoreViewState, ResultView } from '../protocol/restore';
import type { Services } from '../services';

/** What a restore needs of the services made at activation. */
export type RestoreServices = Pick<Services, 'context' | 'log' | 'config' | 'dumps' | 'dumpCommands' | 'connections'> & Partial<Pick<Services, 'history'>>;
import { JobRun } from '../core/history/jobRun';
import { outcomeOf } from '../core/history/jobHistory';
import type { LogSink } from '../core/history/jobLog';
import { toAbortSignal } from '../util/cancellation';
import { Disposable } from '../util/disposable';
import { planView, preflightView, progressView, resultView } from './restoreViews';

/** Where a restore goes: a connection resolved to one database. */
export interface RestoreTarget {
  /** The connection's name as the user knows it. */
  name: string;
  database: string;
  connection: ResolvedConnection;
}

const CHECK_DELAY_MS = 300;

/**
 * One restore of one dump, from the form to the result: the plan (remade when the picks or the
 * form change), the pre-flight check (run again after a change, stale answers dropped), the
 * confirmation, the run with progress and cancel, the log, and the result. The panel shows its
 * state; the extension-host tests drive it through the same methods.
 */
export class RestoreSession extends Disposable {
  private form: RestoreForm = { ...DEFAULT_RESTORE_FORM, createRoles: [] };
  private plan: RestorePlan;
  private report: PreflightReport | undefined;
  private preflightState: PreflightView = { status: 'idle', findings: [], blocking: false };
  private phase: RestoreViewState['phase'] = 'setup';
  private progress: ProgressView | undefined;
  private result: ResultView | undefined;
  private lastRun: RestoreResult | undefined;
  private checkGeneration = 0;
  private checkTimer: NodeJS.Timeout | undefined;
  private fireTimer: NodeJS.Timeout | undefined;
  private running: vscode.CancellationTokenSource | undefined;
  private readonly changed = this.register(new vscode.EventEmitter<RestoreViewState>());
  /** The state changed (the panel re-renders). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly services: RestoreServices,
    readonly dump: OpenDump,
    private target: RestoreTarget | null,
  ) {
    super();
    this.plan = this.makePlan();
    this.register(
      services.dumps.onDidChangePicks((d) => {
        if (d !== dump || this.phase !== 'setup') return;
        this.replan();
      }),
    );
    this.scheduleCheck(0);
  }

  /**
   * What *Restore Selected…* run from a menu hands back to VS Code's UI, which gets a command's
   * result as JSON: the dump and the phase, not the session with its plan and services.
   */
  toJSON(): { dump: string; phase: RestoreViewState['phase'] } {
    return { dump: this.dump.label, phase: this.phase };
  }

  state(): RestoreViewState {
    const archive = this.dump.opened.archive;
    return {
      dump: { label: this.dump.label, format: archive.format, entries: archive.entries.length },
      target: this.target ? { name: this.target.name, where: this.where(), database: this.target.database } : null,
      form: this.form,
      parallelPossible: formProblems({ ...this.form, atomic: false, jobs: 2 }, archive).length === 0,
      cleanPossible: formProblems({ ...this.form, clean: true, mode: 'definition-and-data', disableTriggers: false }, archive).length === 0,
      formProblems: formProblems(this.form, archive),
      plan: planView(archive, this.plan, this.dump.picks.count),
      preflight: this.preflightState,
      phase: this.phase,
      ...(this.progress ? { progress: this.progress } : {}),
      ...(this.result ? { result: this.result } : {}),
    };
  }

  /** The plan the restore would run now. */
  currentPlan(): RestorePlan {
    return this.plan;
  }

  /** The pg_restore -L list of the last run, or of the plan. */
  restoreList(): string {
    return this.lastRun?.restoreList ?? writeRestoreList(this.dump.opened.archive, this.plan);
  }

  setForm(form: RestoreForm): void {
    if (this.phase !== 'setup') return;
    this.form = { ...form, createRoles: [...form.createRoles] };
    this.replan();
  }

  setTarget(target: RestoreTarget): void {
    this.target = target;
    this.report = undefined;
    this.preflightState = { status: 'idle', findings: [], blocking: false };
    this.scheduleCheck(0);
  }

  /** Runs the pre-flight check now; resolves when it has answered (or was overtaken by another). */
  async check(): Promise<void> {
    clearTimeout(this.checkTimer);
    const target = this.target;
    if (!target || this.phase !== 'setup') return;
    const generation = ++this.checkGeneration;
    this.preflightState = { ...this.preflightState, status: 'checking' };
    this.fire();
    try {
      const report = await preflight(this.dump.opened.archive, this.plan, target.connection, await this.preflightOptions());
      if (generation !== this.checkGeneration) return;
      this.report = report;
      this.preflightState = preflightView(report, this.form);
    } catch (err) {
      if (generation !== this.checkGeneration) return;
      this.report = undefined;
      this.preflightState = { status: 'failed', error: oneLine(err), findings: [], blocking: true };
    }
    this.fire();
  }

  /** Applies fix `fixIndex` of finding `findingIndex` of the last report. */
  async applyFix(findingIndex: number, fixIndex: number): Promise<void> {
    const fix = this.report?.findings[findingIndex]?.fixes[fixIndex];
    if (!fix || this.phase !== 'setup') return;
    const { form, action } = applyFix(this.form, fix);
    this.form = form;
    if (action?.kind === 'create-database') await this.createDatabase(action.name);
    else if (action?.kind === 'use-other-tool') {
      const choice = await vscode.window.showInformationMessage(
        `This archive needs pg_restore ${action.major} or newer. Install the PostgreSQL ${action.major} client tools, or set "pgDumpExplorer.pgRestorePath" to one you have.`,
        'Open Settings',
      );
      if (choice) await vscode.commands.executeCommand('workbench.action.openSettings', 'pgDumpExplorer.pgRestorePath');
    }
    this.replan();
  }

  /**
   * Asks for confirmation (naming host, port and database), then restores with progress and
   * Cancel. `confirmed: true` skips the question: only for callers that asked it themselves.
   */
  async restore(options: { confirmed?: boolean } = {}): Promise<RestoreResult | undefined> {
    const target = this.target;
    if (!target) throw new DumpError('usage', 'choose where to restore first');
    if (this.phase !== 'setup') return undefined;
    const problems = formProblems(this.form, this.dump.opened.archive);
    if (problems.length > 0) throw new DumpError('usage', problems[0]!);
    if (this.plan.entries.length === 0) throw new DumpError('usage', 'nothing to restore: tick objects in the Dumps view first');
    if (this.checkTimer || this.preflightState.status === 'checking' || this.preflightState.status === 'idle') await this.check();

    if (!options.confirmed) {
      this.phase = 'confirming';
      this.fire();
      const c = confirmation({ dumpLabel: this.dump.label, where: this.where(), plan: this.plan, form: this.form, ...(this.report ? { report: this.report } : {}) });
      const answer = await vscode.window.showWarningMessage(c.message, { modal: true, detail: c.detail.join('\n') }, c.button);
      this.phase = 'setup';
      if (answer !== c.button) {
        this.fire();
        return undefined;
      }
    }
    return this.run(target);
  }

  cancel(): void {
    this.running?.cancel();
  }

  /** Back to the form after a run, with the same target and choices. */
  restoreAgain(): void {
    if (this.phase !== 'done') return;
    this.phase = 'setup';
    this.progress = undefined;
    this.result = undefined;
    this.replan();
  }

  private async run(target: RestoreTarget): Promise<RestoreResult | undefined> {
    const { config } = this.services;
    const plan = this.plan;
    const form = this.form;
    const where = this.where();
    // The job's own log (kept in the history) gets every line the extension's log gets.
    const job = new JobRun(this.services.history, { kind: 'restore', source: this.dump.label, target: where, file: this.dump.uri.fsPath }, this.services.log);
    const log = job.log;
    this.phase = 'restoring';
    this.result = undefined;
    this.progress = { stage: 'restore', started: 0, finished: 0, total: 0, bytesDone: 0, bytesTotal: 0, current: '' };
    this.fire();
    log.info(`restoring ${plan.entries.length} entries of ${this.dump.uri.fsPath} into ${where} (${form.atomic ? 'one transaction' : `${form.jobs} parallel jobs`})`);
    const source = new vscode.CancellationTokenSource();
    this.running = source;
    let result: RestoreResult | undefined;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Restoring into ${where}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => source.cancel());
          let lastDone = 0;
          return runRestore(this.dump.opened, plan, target.connection, this.runOptions(form), {
            signal: toAbortSignal(source.token),
            ...rowCounterOf(this.services.context),
            ...(config.pgRestorePath ? { toolPath: config.pgRestorePath } : {}),
            ...(config.psqlPath ? { psqlPath: config.psqlPath } : {}),
            onEvent: (e) => {
              if (e.kind === 'output') log.tool(e.line);
              else if (e.kind === 'unpack') {
                const what = `copying ${plural(e.files, 'file')} (${formatBytes(e.bytes)}) out of ${this.dump.label} for pg_restore`;
                log.info(`${what} into ${e.dir} (removed afterwards)`);
                progress.report({ message: `${what}…` });
              }
              else if (e.kind === 'error') log.error(formatRestoreError(e.error));
              else if (e.kind === 'stage' && e.stage === 'post-restore') {
                this.progress = { ...(this.progress ?? progressView('post-restore', emptySnapshot())), stage: 'post-restore', current: 'ANALYZE, sequences, row counts' };
                progress.report({ message: 'checking the restored tables (ANALYZE, sequences, row counts)…' });
                this.fire();
              } else if (e.kind === 'progress') {
                const s = e.snapshot;
                this.progress = progressView('restore', s);
                const done = s.total > 0 ? (100 * s.finished) / s.total : 0;
                progress.report({ message: formatProgress(s), increment: done - lastDone });
                lastDone = done;
                // The panel is redrawn at most every 100 ms (the last change always); the notification on every item.
                this.fireSoon();
              }
            },
          });
        },
      );
    } catch (err) {
      log.error(`restore into ${where}: ${oneLine(err)}`);
      await job.failed(err);
      this.phase = 'setup';
      this.progress = undefined;
      this.fire();
      throw err;
    } finally {
      this.running = undefined;
      source.dispose();
    }
    this.lastRun = result;
    this.phase = 'done';
    this.progress = undefined;
    this.result = resultView(result, form.atomic, where);
    this.logResult(log, result, where);
    const firstError = !result.ok && !result.cancelled && result.errors[0] ? ` First error: ${oneLine(formatRestoreError(result.errors[0]))}` : '';
    await job.finish({ outcome: outcomeOf(result), summary: `${this.result.headline}${this.result.targetState ? ` ${this.result.targetState}` : ''}${firstError}` });
    this.fire();
    void this.announce(this.result);
    return result;
  }

  /**
   * The form's options, and what the pre-flight found: what the target has already, used as it
   * is (left out of the plan), and for a plain dump the settings' parameters the target lacks
   * (their SET is left out).
   */
  private runOptions(form: RestoreForm): RestoreRunOptions {
    return { ...runOptions(form), ...(this.report ? optionsFromPreflight(this.report) : {}), ...(this.services.config.restoreWithCopyFreeze ? {} : { freeze: false }) };
  }

  private logResult(log: LogSink, result: RestoreResult, where: string): void {
    log.info(`ran: ${result.command}`);
    if (result.cancelled) log.warn(`cancelled the restore into ${where}`);
    else if (!result.ok) log.error(`the restore into ${where} failed (${result.errors.length} errors)`);
    else log.info(`restored into ${where} in ${(result.durationMs / 1000).toFixed(1)} s`);
    for (const note of result.notes) log.info(`left out: ${note}`);
    if (result.freezeRefused) log.warn(`the target refused COPY FREEZE (${result.freezeRefused}): the restore was run again without it`);
    for (const p of result.problems) log.warn(p);
    if (result.postRestore) for (const line of describePostRestore(result.postRestore)) log.info(line);
  }

  /** A notification saying how it ended, with the way to its details. */
  private async announce(view: ResultView): Promise<void> {
    const say = view.outcome === 'restored' ? vscode.window.showInformationMessage : view.outcome === 'cancelled' || view.outcome === 'restored-with-differences' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    const answer = await say(`${view.headline}${view.targetState ? ` ${view.targetState}` : ''}`, 'Open Log');
    if (answer === 'Open Log') this.services.log.show();
  }

  private async createDatabase(name: string): Promise<void> {
    const target = this.target;
    if (!target) return;
    const server = `${target.connection.server()} as ${target.connection.user}`;
    const answer = await vscode.window.showWarningMessage(`Create database "${name}" on ${server}?`, { modal: true, detail: 'An empty database (CREATE DATABASE from template0, with the server\'s default encoding and locale).' }, 'Create Database');
    if (answer !== 'Create Database') return;
    await createDatabase(target.connection, name);
    this.services.log.info(`created database ${name} on ${server}`);
  }

  /**
   * The pre-flight's options: the form's, and the client program that will run — the pg_restore
   * for an archive's format version, or for a plain dump the psql that must read its \restrict
   * (and the parameters its settings set, which the target is asked about).
   */
  private async preflightOptions(): Promise<PreflightOptions> {
    const { opened } = this.dump;
    const archive = opened.archive;
    const { config } = this.services;
    if (archive.format === 'plain') {
      const psql = await findTool('psql', config.psqlPath ? { configuredPath: config.psqlPath } : {}).catch(() => undefined);
      const parameters = opened.plain ? settingParameters(opened.plain, this.plan.entries.map((p) => p.entry)) : [];
      return {
        ...preflightOptions(this.form),
        psql: { version: psql?.version ?? null, dumpUsesRestrict: opened.plain?.restrictKey != null },
        ...(parameters.length > 0 ? { settingParameters: parameters } : {}),
      };
    }
    const options = config.pgRestorePath ? { configuredPath: config.pgRestorePath } : {};
    try {
      return preflightOptions(this.form, (await findPgRestoreFor(archive.header.version, options)).version ?? undefined);
    } catch {
      // None can read it: the newest there is makes the pre-flight say which one is needed.
      const newest = await findTool('pg_restore', options).catch(() => undefined);
      if (newest?.version) return preflightOptions(this.form, newest.version);
      throw new DumpError('not-found', 'no pg_restore found: install the PostgreSQL client tools, or set "pgDumpExplorer.pgRestorePath"');
    }
  }

  private where(): string {
    const t = this.target;
    if (!t) return '';
    return this.report?.target.where ?? t.connection.where();
  }

  private makePlan(): RestorePlan {
    return buildPlan(this.dump.opened.archive, this.dump.picks.toSelection(selectionOptions(this.form)));
  }

  private replan(): void {
    this.plan = this.makePlan();
    if (this.report) this.preflightState = { ...preflightView(this.report, this.form), status: 'checking' };
    this.fire();
    this.scheduleCheck(CHECK_DELAY_MS);
  }

  private scheduleCheck(delay: number): void {
    clearTimeout(this.checkTimer);
    if (!this.target) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      void this.check();
    }, delay);
  }

  private fire(): void {
    clearTimeout(this.fireTimer);
    this.fireTimer = undefined;
    if (!this.isDisposed) this.changed.fire(this.state());
  }

  /** Fires within 100 ms, once for any number of changes until then. */
  private fireSoon(): void {
    this.fireTimer ??= setTimeout(() => this.fire(), 100);
  }

  override dispose(): void {
    clearTimeout(this.checkTimer);
    clearTimeout(this.fireTimer);
    this.running?.cancel();
    super.dispose();
  }
}

function emptySnapshot() {
  return { started: 0, finished: 0, total: 0, bytesDone: 0, bytesTotal: 0, running: [], mode: 'serial' as const };
}

/**
 * dist/rowCounter.js of the installed extension, run by the extension host's own executable as
 * Node (VS Code's is Electron's, which ELECTRON_RUN_AS_NODE turns into Node).
 */
function rowCounterOf(context: vscode.ExtensionContext): { rowCounter?: RowCounterProgram } {
  const program = rowCounterBeside(vscode.Uri.joinPath(context.extensionUri, 'dist').fsPath, process.execPath, { ELECTRON_RUN_AS_NODE: '1' });
  return program ? { rowCounter: program } : {};
}
