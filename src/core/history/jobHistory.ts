import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';

/** What the History view lists: every dump, copy, restore and verification made from the extension. */
export type JobKind = 'dump' | 'restore' | 'copy' | 'verify';
export type JobOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface JobRecord {
  id: string;
  kind: JobKind;
  /** ISO time the job started. */
  startedAt: string;
  durationMs: number;
  outcome: JobOutcome;
  /** One line: what happened (the verdict, the error's first line). */
  summary: string;
  /** Where data came from: a connection's description (host:port/db), or a dump file. */
  source?: string;
  /** Where data went: a connection's description, or a dump file. */
  target?: string;
  /** The dump file made, restored or verified. */
  file?: string;
  sizeBytes?: number;
  /** The job's log (what the client programs printed) and its report, when it wrote them. */
  logPath?: string;
  reportPath?: string;
}

export type NewJobRecord = Omit<JobRecord, 'id'>;

/** How many jobs the history keeps; older ones are dropped when a new one is recorded. */
const KEEP = 500;

/**
 * The job history as one JSON-lines file (in the extension's global storage): appended to as jobs
 * end, read newest first. A line that does not parse (a write cut short) is skipped, never fatal.
 */
export class JobHistory {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly file: string) {}

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  async record(job: NewJobRecord): Promise<JobRecord> {
    const full: JobRecord = { id: randomUUID(), ...job };
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    await fs.promises.appendFile(this.file, JSON.stringify(full) + '\n', 'utf8');
    const all = await this.readLines();
    if (all.length > KEEP) await this.rewrite(all.slice(all.length - KEEP));
    for (const l of this.listeners) l();
    return full;
  }

  /** Newest first. */
  async list(): Promise<JobRecord[]> {
    return (await this.readLines()).reverse();
  }

  async remove(id: string): Promise<void> {
    const all = await this.readLines();
    await this.rewrite(all.filter((j) => j.id !== id));
    for (const l of this.listeners) l();
  }

  private async readLines(): Promise<JobRecord[]> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const jobs: JobRecord[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const j = JSON.parse(line) as JobRecord;
        if (typeof j.id === 'string' && typeof j.kind === 'string') jobs.push(j);
      } catch {
        // a line cut short by a crash: skip it
      }
    }
    return jobs;
  }

  /** Writes a new file and renames it over the old one, so a crash never leaves half a history. */
  private async rewrite(jobs: JobRecord[]): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, jobs.map((j) => JSON.stringify(j) + '\n').join(''), 'utf8');
    await fs.promises.rename(tmp, this.file);
  }
}
