import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { historyItemText, type FileState } from '../core/history/historyText';
import type { JobHistory, JobRecord } from '../core/history/jobHistory';
import type { Log } from '../log';
import { oneLine } from '../core/errors';
import { setContext } from '../util/contextKeys';
import { Disposable } from '../util/disposable';

/**
 * The `pgDumpExplorer.history` view: every dump, copy, restore and verification made from the
 * extension, newest first. What an item says comes from the core (historyText); whether its dump
 * file is still there is asked each time the list is read.
 */
export class HistoryView extends Disposable implements vscode.TreeDataProvider<JobRecord> {
  private readonly changed = this.register(new vscode.EventEmitter<JobRecord | undefined>());
  readonly onDidChangeTreeData = this.changed.event;
  readonly view: vscode.TreeView<JobRecord>;
  private files = new Map<string, FileState>();
  private jobs: JobRecord[] = [];
  private readonly listed = this.register(new vscode.EventEmitter<readonly JobRecord[]>());
  /** The view's list was read again (tests wait on it). */
  readonly onDidList = this.listed.event;

  constructor(
    private readonly history: JobHistory,
    private readonly log: Log,
  ) {
    super();
    this.view = this.register(vscode.window.createTreeView('pgDumpExplorer.history', { treeDataProvider: this }));
    // Read at once too: a collapsed view asks for nothing, and the palette's Clear History follows hasHistory.
    this.register(
      history.onDidChange(() => {
        this.refresh();
        void this.read();
      }),
    );
    // "12 min ago" goes stale while the view is hidden: drawn again when it shows.
    this.register(this.view.onDidChangeVisibility((e) => e.visible && this.refresh()));
    void this.items();
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /** The jobs as the view lists them now, newest first, each with its item (read again from the store). */
  async items(): Promise<{ job: JobRecord; item: vscode.TreeItem }[]> {
    const jobs = await this.read();
    return jobs.map((job) => ({ job, item: this.getTreeItem(job) }));
  }

  /** Called by VS Code for the root: the jobs, newest first. */
  async getChildren(job?: JobRecord): Promise<JobRecord[]> {
    if (job) return [];
    return this.read();
  }

  /** Called by VS Code for each job it shows. */
  getTreeItem(job: JobRecord): vscode.TreeItem {
    const text = historyItemText(job, new Date(), this.files.get(job.id));
    const item = new vscode.TreeItem(text.label, vscode.TreeItemCollapsibleState.None);
    item.id = `job:${job.id}`;
    item.description = text.description;
    item.tooltip = text.tooltip;
    item.iconPath = new vscode.ThemeIcon(text.icon.id, new vscode.ThemeColor(text.icon.color));
    item.contextValue = text.contextValue;
    if (job.logPath) item.command = { command: 'pgDumpExplorer.history.openLog', title: 'Open Log', arguments: [job] };
    return item;
  }

  private async read(): Promise<JobRecord[]> {
    let jobs: JobRecord[];
    try {
      jobs = await this.history.list();
    } catch (err) {
      this.log.error(`could not read the job history: ${oneLine(err)}`);
      jobs = [];
    }
    const states = await Promise.all(jobs.map(async (j) => [j.id, j.file ? await fileState(j.file) : undefined] as const));
    this.files = new Map(states);
    this.jobs = jobs;
    setContext('pgDumpExplorer.hasHistory', jobs.length > 0);
    this.listed.fire(jobs);
    return jobs;
  }

  /** The job the view listed last with this id. */
  known(id: string): JobRecord | undefined {
    return this.jobs.find((j) => j.id === id);
  }
}

async function fileState(file: string): Promise<FileState> {
  try {
    await fs.promises.access(file);
    return 'present';
  } catch {
    return 'missing';
  }
}
