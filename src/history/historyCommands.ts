import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { DumpError } from '../core/errors';
import type { JobHistory, JobRecord } from '../core/history/jobHistory';
import { plural } from '../core/units';
import type { HistoryView } from './historyView';

/** The command another feature registers to verify a dump (restore it into a scratch database and check it). */
export const VERIFY_COMMAND = 'pgDumpExplorer.dumps.verify';

/**
 * The History view's actions: a job's log and report, its dump opened again or verified again,
 * a job forgotten, the history cleared. Each takes the view's item (a job), or a job's id.
 */
export class HistoryCommands {
  constructor(
    private readonly history: JobHistory,
    private readonly view: HistoryView,
  ) {}

  async openLog(target: unknown): Promise<vscode.TextEditor> {
    const job = await this.jobOf(target);
    if (!job.logPath) throw new DumpError('usage', 'this job kept no log');
    return this.openText(job.logPath, 'log', 'log');
  }

  async openReport(target: unknown): Promise<vscode.TextEditor> {
    const job = await this.jobOf(target);
    if (!job.reportPath) throw new DumpError('usage', 'this job wrote no report');
    return this.openText(job.reportPath, 'report', undefined);
  }

  /** Opens the job's dump in PG Dump Explorer (the Dumps view, and an archive's summary). */
  async openDump(target: unknown): Promise<unknown> {
    const file = await this.fileOf(target, 'open');
    return vscode.commands.executeCommand('pgDumpExplorer.open', vscode.Uri.file(file));
  }

  /** Verifies the job's dump again, through Verify Dump…. */
  async verifyAgain(target: unknown): Promise<unknown> {
    const file = await this.fileOf(target, 'verify');
    return vscode.commands.executeCommand(VERIFY_COMMAND, vscode.Uri.file(file));
  }

  async remove(target: unknown): Promise<void> {
    const job = await this.jobOf(target);
    await this.history.remove(job.id);
  }

  /** Forgets every job (and their logs) after asking; `{ confirmed: true }` skips the question (tests). */
  async clear(options?: unknown): Promise<boolean> {
    const jobs = await this.history.list();
    if (jobs.length === 0) return false;
    if ((options as { confirmed?: unknown } | undefined)?.confirmed !== true) {
      const answer = await vscode.window.showWarningMessage(
        `Clear the history of ${plural(jobs.length, 'job')}?`,
        { modal: true, detail: 'Their logs are deleted too. Dumps and reports stay where they are.' },
        'Clear History',
      );
      if (answer !== 'Clear History') return false;
    }
    await this.history.clear();
    return true;
  }

  refresh(): void {
    this.view.refresh();
  }

  /** The job an action was run on: the view's item, or an id. */
  private async jobOf(target: unknown): Promise<JobRecord> {
    const id = typeof target === 'string' ? target : (target as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'string') throw new DumpError('usage', 'run this on a job in the History view');
    const job = (await this.history.get(id)) ?? this.view.known(id);
    if (!job) throw new DumpError('not-found', 'this job is no longer in the history');
    return job;
  }

  private async fileOf(target: unknown, what: string): Promise<string> {
    const job = await this.jobOf(target);
    if (!job.file) throw new DumpError('usage', `this job has no dump file to ${what}`);
    if (!fs.existsSync(job.file)) {
      this.view.refresh();
      throw new DumpError('not-found', `${job.file} is no longer there: it was moved or deleted since the job ran`);
    }
    return job.file;
  }

  private async openText(file: string, what: string, language: string | undefined): Promise<vscode.TextEditor> {
    if (!fs.existsSync(file)) throw new DumpError('not-found', `the ${what} ${file} is no longer there`);
    let doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    if (language && doc.languageId === 'plaintext') doc = await vscode.languages.setTextDocumentLanguage(doc, language).then((d) => d, () => doc);
    return vscode.window.showTextDocument(doc, { preview: true });
  }
}
