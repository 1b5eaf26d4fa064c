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

export interface RecordOptions {
  /**
   * The job's log as text (the command lines run, what the tools printed): written to a file of
   * its own in the history's logs folder, which the record's `logPath` then names.
   */
  log?: string;
}

/** How many jobs the history keeps by default; older ones (and their logs) are dropped when a new one is recorded. */
export const KEEP_JOBS = 500;

/** A job's outcome from a result with the usual `ok` and `cancelled` flags. */
export function outcomeOf(result: { ok: boolean; cancelled: boolean }): JobOutcome {
  return result.cancelled ? 'cancelled' : result.ok ? 'succeeded' : 'failed';
}

/**
 * The job history as one JSON-lines file (in the extension's global storage): appended to as jobs
 * end, read newest first. A line that does not parse (a write cut short) is skipped, never fatal.
 * Each job's log is a file of its own in `logs/` beside it, removed with its record.
 *
 * Changes made through one instance run one after the other (two jobs ending at once both land);
 * appends are single writes of one line, so another window appending to the same file at the
 * same time does not tear a line.
 */
export class JobHistory {
  private readonly listeners = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The folder of the jobs' log files. */
  readonly logsDir: string;

  constructor(
    private readonly file: string,
    private readonly keep = KEEP_JOBS,
  ) {
    this.logsDir = path.join(path.dirname(file), 'logs');
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Adds a job that ended (with its log, written to a file, when given); the oldest beyond the cap go. */
  record(job: NewJobRecord, options: RecordOptions = {}): Promise<JobRecord> {
    return this.change(async () => {
      const id = randomUUID();
      let full: JobRecord = { id, ...job };
      if (options.log !== undefined) {
        const logPath = path.join(this.logsDir, `${id}.log`);
        await fs.promises.mkdir(this.logsDir, { recursive: true });
        await fs.promises.writeFile(logPath, options.log, 'utf8');
        full = { ...full, logPath };
      }
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      // After a line cut short (no newline at the end), the new one starts on a line of its own.
      const lead = (await this.endsWithNewline()) ? '' : '\n';
      await fs.promises.appendFile(this.file, lead + JSON.stringify(full) + '\n', 'utf8');
      const all = await this.readLines();
      if (all.length > this.keep) {
        const dropped = all.slice(0, all.length - this.keep);
        await this.rewrite(all.slice(all.length - this.keep));
        await this.removeLogs(dropped);
      }
      return full;
    });
  }

  /** Newest first. */
  async list(): Promise<JobRecord[]> {
    await this.queue.catch(() => undefined);
    return (await this.readLines()).reverse();
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return (await this.readLines()).find((j) => j.id === id);
  }

  /** Forgets one job, and its log file. */
  remove(id: string): Promise<void> {
    return this.change(async () => {
      const all = await this.readLines();
      await this.rewrite(all.filter((j) => j.id !== id));
      await this.removeLogs(all.filter((j) => j.id === id));
    });
  }

  /** Forgets every job, and their log files. */
  clear(): Promise<void> {
    return this.change(async () => {
      const all = await this.readLines();
      await this.rewrite([]);
      await this.removeLogs(all);
    });
  }

  /** Runs one change after those before it, then tells the listeners (a listener's error is its own). */
  private change<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => undefined).then(work);
    this.queue = next;
    return next.then((value) => {
      for (const l of this.listeners) {
        try {
          l();
        } catch {
          // a view that fails to refresh must not fail the job that recorded
        }
      }
      return value;
    });
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
        if (typeof j.id === 'string' && typeof j.kind === 'string' && typeof j.startedAt === 'string') jobs.push(j);
      } catch {
        // a line cut short by a crash: skip it
      }
    }
    return jobs;
  }

  private async endsWithNewline(): Promise<boolean> {
    let handle: fs.promises.FileHandle;
    try {
      handle = await fs.promises.open(this.file, 'r');
    } catch {
      return true;
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) return true;
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      return last[0] === 0x0a;
    } finally {
      await handle.close();
    }
  }

  /** Only log files the history wrote itself (in its logs folder) are removed. */
  private async removeLogs(jobs: readonly JobRecord[]): Promise<void> {
    for (const j of jobs) {
      if (!j.logPath || path.dirname(path.resolve(j.logPath)) !== path.resolve(this.logsDir)) continue;
      await fs.promises.rm(j.logPath, { force: true });
    }
  }

  /** Writes a new file and renames it over the old one, so a crash never leaves half a history. */
  private async rewrite(jobs: JobRecord[]): Promise<void> {
    await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, jobs.map((j) => JSON.stringify(j) + '\n').join(''), 'utf8');
    await fs.promises.rename(tmp, this.file);
  }
}
