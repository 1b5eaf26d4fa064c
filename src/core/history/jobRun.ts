import { oneLine } from '../errors';
import { outputSize } from '../dump/dumpProgress';
import type { JobHistory, JobKind, JobOutcome, JobRecord, NewJobRecord } from './jobHistory';
import { JobLog, type LogSink } from './jobLog';

/** What is known of a job when it starts; `finish` may add or change any of it. */
export interface JobStart {
  kind: JobKind;
  source?: string;
  target?: string;
  file?: string;
}

export interface JobEnd {
  outcome: JobOutcome;
  summary: string;
  /** The dump file, when known only at the end (a dump's final path). */
  file?: string;
  /** Where the data went, when known better at the end (the server a drill ran on). */
  target?: string;
  /** Measured from `file` (a file, or the files of a directory) when not given. */
  sizeBytes?: number;
  reportPath?: string;
}

/**
 * One job made from the extension, from start to its line in the history: its log (passed on to
 * the extension's log, and kept for the job's log file), the time it took, and how it ended.
 * Recording never fails the job: a history that cannot be written is said in the log.
 */
export class JobRun {
  readonly log: JobLog;
  private readonly started = Date.now();
  private recorded: Promise<JobRecord | undefined> | undefined;

  constructor(
    private readonly history: JobHistory | undefined,
    private readonly start: JobStart,
    forward?: LogSink,
  ) {
    this.log = new JobLog(forward);
  }

  /** Records the job once (a second call returns the first record). */
  finish(end: JobEnd): Promise<JobRecord | undefined> {
    this.recorded ??= this.write(end);
    return this.recorded;
  }

  /** Records a job that ended with an error before it had a result. */
  failed(err: unknown): Promise<JobRecord | undefined> {
    return this.finish({ outcome: 'failed', summary: oneLine(err) });
  }

  private async write(end: JobEnd): Promise<JobRecord | undefined> {
    if (!this.history) return undefined;
    const file = end.file ?? this.start.file;
    const sizeBytes = end.sizeBytes ?? (file ? await outputSize(file) : undefined);
    const job: NewJobRecord = {
      kind: this.start.kind,
      startedAt: new Date(this.started).toISOString(),
      durationMs: Date.now() - this.started,
      outcome: end.outcome,
      summary: end.summary,
      ...(this.start.source ? { source: this.start.source } : {}),
      ...((end.target ?? this.start.target) ? { target: end.target ?? this.start.target } : {}),
      ...(file ? { file } : {}),
      ...(sizeBytes ? { sizeBytes } : {}),
      ...(end.reportPath ? { reportPath: end.reportPath } : {}),
    };
    this.log.info(`${this.start.kind} ${end.outcome}: ${end.summary}`);
    try {
      return await this.history.record(job, { log: this.log.text() });
    } catch (err) {
      this.log.warn(`could not write the job history: ${oneLine(err)}`);
      return undefined;
    }
  }
}
