import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { ResolvedConnection } from '../core/connections/resolve';
import { DumpError, oneLine } from '../core/errors';
import { planDump } from '../core/dump/planDump';
import { runDump } from '../core/dump/runDump';
import { selectionForPicks } from '../core/dump/picks';
import type { DumpOptions, DumpPlanView, DumpResult } from '../core/dump/types';
import type { LiveDatabase } from '../core/server/liveObjects';
import type { Selection } from '../core/plan/selection';
import { describeCandidate } from '../core/tools/findTools';
import { formatBytes, formatCount } from '../core/units';
import type { Config } from '../config';
import type { JobHistory } from '../core/history/jobHistory';
import { outcomeOf } from '../core/history/jobHistory';
import { JobRun } from '../core/history/jobRun';
import type { Log } from '../log';
import type { DumpForm, DumpViewState, SchemaRow } from '../protocol/dump';
import { toAbortSignal } from '../util/cancellation';
import { Disposable } from '../util/disposable';

export const DEFAULT_DUMP_FORM: DumpForm = { format: 'custom', compress: '', jobs: 1, content: 'all', noOwner: false, noPrivileges: false, statistics: '', excludeTableData: '' };

/** Where a dump comes from. */
export interface DumpSource {
  /** The connection's name in the Connections view. */
  name: string;
  database: string;
  connection: ResolvedConnection;
}

/** The form as pg_dump's options, and the picks as its selection switches (undefined: nothing picked). */
export function dumpOptionsOf(form: DumpForm, schemas: readonly SchemaRow[]): DumpOptions | undefined {
  const selection = selectionForPicks(schemas.map((s) => ({ name: s.name, picked: s.picked !== 'none', tables: s.tables })));
  if (!selection) return undefined;
  const excluded = form.excludeTableData
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  return {
    ...selection,
    format: form.format,
    ...(form.compress.trim() ? { compress: form.compress.trim() } : {}),
    ...(form.format === 'directory' && form.jobs > 1 ? { jobs: form.jobs } : {}),
    content: form.content,
    noOwner: form.noOwner,
    noPrivileges: form.noPrivileges,
    ...(form.statistics ? { statistics: form.statistics } : {}),
    ...(excluded.length > 0 ? { excludeTableData: excluded } : {}),
  };
}

/**
 * One dump of one database, as the dump panel shows it: what is picked in the live database, the
 * options, the plan for them (the pg_dump that will run, and why; the command line), progress
 * with Cancel, the result. The panel renders `state()` and calls the methods.
 */
export class DumpSession extends Disposable {
  private readonly changed = this.register(new vscode.EventEmitter<DumpViewState>());
  readonly onDidChange = this.changed.event;
  private form: DumpForm = { ...DEFAULT_DUMP_FORM };
  private schemas: SchemaRow[];
  private path: string;
  private plan: DumpPlanView | undefined;
  private planError: string | undefined;
  private planning = false;
  private planTimer: ReturnType<typeof setTimeout> | undefined;
  private planned: Promise<void> = Promise.resolve();
  private phase: DumpViewState['phase'] = 'setup';
  private progress: DumpViewState['progress'];
  private result: DumpViewState['result'];
  private running: vscode.CancellationTokenSource | undefined;

  constructor(
    readonly source: DumpSource,
    private readonly live: LiveDatabase,
    defaultPath: string,
    private readonly services: { log: Log; config: Config; openDump(path: string): Promise<void>; history?: JobHistory },
  ) {
    super();
    this.path = defaultPath;
    // Everything picked at first: a dump of the whole database, as pg_dump makes by default.
    this.schemas = live.schemas.map((s) => ({
      name: s.name,
      bytes: s.bytes,
      picked: 'all',
      tables: s.tables.map((t) => ({ key: `${s.name}.${t.name}`, name: t.name, kind: t.kind, bytes: t.bytes, ...(t.partitionOf ? { partitionOf: t.partitionOf } : {}), picked: true })),
    }));
    this.register({ dispose: () => clearTimeout(this.planTimer) });
    this.replan();
  }

  state(): DumpViewState {
    const plan = this.plan;
    return {
      source: { name: this.source.name, where: this.live.where, serverVersion: this.live.serverVersion, database: this.source.database },
      form: this.form,
      path: this.path,
      schemas: this.schemas,
      everything: this.schemas.every((s) => s.picked === 'all'),
      ...(plan
        ? {
            plan: {
              tool: describeCandidate(plan.tool),
              toolWhy: plan.toolWhy,
              command: plan.command,
              compressionMethods: plan.compressionMethods,
              tables: plan.tables.length,
              expectedBytes: plan.expectedBytes,
            },
          }
        : {}),
      ...(this.planError ? { planError: this.planError } : {}),
      planning: this.planning,
      phase: this.phase,
      ...(this.progress ? { progress: this.progress } : {}),
      ...(this.result ? { result: this.result } : {}),
    };
  }

  setForm(form: DumpForm): void {
    if (this.phase !== 'setup') return;
    this.form = { ...form };
    this.replan();
  }

  setPath(path: string): void {
    this.path = path;
    this.replan();
  }

  /**
   * The picks as a copy's selection (Copy Selected To…): everything ticked, the whole database;
   * whole schemas; otherwise the ticked tables, each with what belongs to it and what it needs.
   */
  copySelection(): Selection {
    const mode = this.form.content === 'schema-only' ? 'definition-only' : this.form.content === 'data-only' ? 'data-only' : 'definition-and-data';
    const whole = (s: SchemaRow) => s.picked === 'all';
    if (this.schemas.length > 0 && this.schemas.every(whole)) return { sections: ['pre-data', 'data', 'post-data'], mode };
    const schemas = this.schemas.filter(whole).map((s) => s.name);
    const tables = this.schemas.filter((s) => !whole(s)).flatMap((s) => s.tables.filter((t) => t.picked).map((t) => t.key));
    if (schemas.length === 0 && tables.length === 0) throw new DumpError('usage', 'nothing to copy: tick the schemas or tables to copy first');
    return { schemas, tables, mode, withDeps: true };
  }

  /** The form's owner and privilege options, which a copy takes too. */
  copyOptions(): { noOwner: boolean; noPrivileges: boolean } {
    return { noOwner: this.form.noOwner, noPrivileges: this.form.noPrivileges };
  }

  /** Picks or unpicks a table (`schema.table`), a schema (`schema: true`), or everything (`key` null). */
  pick(key: string | null, picked: boolean, schema = false): void {
    if (this.phase !== 'setup') return;
    for (const s of this.schemas) {
      const all = key === null || (schema && s.name === key);
      for (const t of s.tables) {
        // A partitioned table's rows are its partitions': they go with it.
        if (all || t.key === key || (key !== null && t.partitionOf === key)) t.picked = picked;
      }
      if (all) s.picked = picked ? 'all' : 'none';
      else if (s.tables.length > 0) s.picked = s.tables.every((t) => t.picked) ? 'all' : s.tables.some((t) => t.picked) ? 'some' : 'none';
    }
    this.replan();
  }

  /** The plan for the form and picks as they are now (waits for one in progress). */
  async check(): Promise<void> {
    clearTimeout(this.planTimer);
    this.planTimer = undefined;
    this.planned = this.planned.then(() => this.makePlan());
    await this.planned;
  }

  /**
   * Asks where to write when the path exists already (unless `confirmed`), then dumps with progress
   * and Cancel, and opens the new dump in the Dumps view.
   */
  async dump(options: { confirmed?: boolean } = {}): Promise<DumpResult | undefined> {
    if (this.phase !== 'setup') return undefined;
    // The plan the panel shows is the one that runs; a change not planned yet is planned first.
    if (this.planTimer !== undefined || (!this.plan && !this.planError)) await this.check();
    else await this.planned;
    const opts = dumpOptionsOf(this.form, this.schemas);
    if (!opts) throw new DumpError('usage', 'nothing to dump: tick the schemas or tables to dump first');
    if (!this.plan) throw new DumpError('usage', this.planError ?? 'the dump cannot be planned');
    const output = this.plan.outputPath ?? this.path;
    let overwrite = false;
    if (fs.existsSync(output)) {
      if (!options.confirmed) {
        const answer = await vscode.window.showWarningMessage(`${output} exists already. Replace it with the new dump?`, { modal: true, detail: 'It is replaced only once the new dump is complete.' }, 'Replace');
        if (answer !== 'Replace') return undefined;
      }
      overwrite = true;
    }
    return this.run(opts, overwrite);
  }

  cancel(): void {
    this.running?.cancel();
  }

  /** Back to the form after a dump, with the same picks and options. */
  again(): void {
    if (this.phase !== 'done') return;
    this.phase = 'setup';
    this.progress = undefined;
    this.result = undefined;
    this.replan();
  }

  private async run(options: DumpOptions, overwrite: boolean): Promise<DumpResult> {
    const { config } = this.services;
    const plan = this.plan!;
    // The job's own log (kept in the history) gets every line the extension's log gets.
    const job = new JobRun(this.services.history, { kind: 'dump', source: this.live.where, target: this.plan?.outputPath ?? this.path }, this.services.log);
    const log = job.log;
    this.phase = 'dumping';
    this.progress = { tablesDone: 0, tablesTotal: plan.tables.length, current: '', bytesWritten: 0, bytesExpected: plan.expectedBytes };
    this.fire();
    log.info(`dumping ${this.live.where} to ${this.path}: ${plan.command}`);
    const source = new vscode.CancellationTokenSource();
    this.running = source;
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Dumping ${this.live.where}`, cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => source.cancel());
          return runDump(this.source.connection, { path: this.path, overwrite }, options, {
            signal: toAbortSignal(source.token),
            ...(config.pgDumpPath ? { toolPath: config.pgDumpPath } : {}),
            toolSetting: 'pgDumpExplorer.pgDumpPath',
            onEvent: (e) => {
              if (e.kind === 'output') log.tool(e.line);
              else if (e.kind === 'error') log.error(e.message);
              else if (e.kind === 'progress') {
                const p = e.progress;
                this.progress = p;
                progress.report({ message: `table ${formatCount(p.tablesDone)} of ${formatCount(p.tablesTotal)}${p.current ? ` · ${p.current}` : ''} · ${formatBytes(p.bytesWritten)}${p.bytesExpected > 0 ? ` of about ${formatBytes(p.bytesExpected)}` : ''}` });
                this.fire();
              }
            },
          }, plan);
        },
      );
      this.result = {
        outcome: result.cancelled ? 'cancelled' : result.ok ? 'dumped' : 'failed',
        headline: result.cancelled ? `Cancelled: nothing was written to ${result.path}.` : result.ok ? `Dumped ${this.live.where} to ${result.path}.` : `The dump of ${this.live.where} failed.`,
        summary: result.summary,
        path: result.path,
        errors: result.errors,
      };
      log.info(`ran: ${result.command}`);
      log.info(`dump of ${this.live.where}: ${this.result.headline} ${result.summary}`);
      // A failed or cancelled pg_dump leaves no file; one whose check failed leaves it (it is said).
      const kept = result.ok || (!result.cancelled && fs.existsSync(result.path));
      await job.finish({
        outcome: outcomeOf(result),
        summary: [this.result.headline, result.summary, result.ok ? '' : (result.errors[0] ?? '')].filter(Boolean).join(' '),
        ...(kept ? { file: result.path } : {}),
        ...(kept && result.bytes > 0 ? { sizeBytes: result.bytes } : {}),
      });
      if (result.ok) {
        await this.services.openDump(result.path);
        void vscode.window.showInformationMessage(`Dumped ${this.live.where}: ${result.summary}`);
      }
      return result;
    } catch (err) {
      this.result = { outcome: 'failed', headline: `The dump of ${this.live.where} did not start.`, summary: '', path: this.path, errors: [oneLine(err)] };
      log.error(`dump of ${this.live.where}: ${oneLine(err)}`);
      await job.failed(err);
      throw err;
    } finally {
      this.running = undefined;
      source.dispose();
      this.phase = 'done';
      this.fire();
    }
  }

  /** Plans again once the user pauses (a plan asks the server for the tables the options select). */
  private replan(): void {
    this.planning = true;
    this.fire();
    clearTimeout(this.planTimer);
    this.planTimer = setTimeout(() => void this.check(), 300);
  }

  private async makePlan(): Promise<void> {
    const options = dumpOptionsOf(this.form, this.schemas);
    this.planning = true;
    try {
      if (!options) {
        this.plan = undefined;
        this.planError = 'Nothing is ticked: tick the schemas or tables to dump.';
        return;
      }
      this.plan = await planDump(this.source.connection, options, { ...(this.services.config.pgDumpPath ? { toolPath: this.services.config.pgDumpPath } : {}), toolSetting: 'pgDumpExplorer.pgDumpPath' }, { path: this.path });
      this.planError = undefined;
    } catch (err) {
      this.plan = undefined;
      this.planError = oneLine(err);
    } finally {
      this.planning = this.planTimer !== undefined;
      this.fire();
    }
  }

  private fire(): void {
    if (!this.isDisposed) this.changed.fire(this.state());
  }
}
