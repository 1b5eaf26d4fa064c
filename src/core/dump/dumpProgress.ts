/**
 * Progress of a running pg_dump: which table it dumps, from its `--verbose` lines, and how much
 * it has written, from the output's size (asked once a second, never per line).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DumpProgress } from './types';

const STARTED = /^pg_dump: dumping contents of table "(.*)"$/;
/** With --jobs the leader says when a worker finished an item. */
const FINISHED = /^pg_dump: finished item \d+ TABLE DATA /;

export class DumpProgressTracker {
  private started = 0;
  private finished = 0;
  private current = '';
  private bytes = 0;
  private done = false;

  constructor(
    private readonly tablesTotal: number,
    private bytesExpected: number,
    /** Parallel (--jobs): tables are done when the leader says so, not when the next starts. */
    private readonly parallel = false,
  ) {}

  /** Reads one stderr line; true when it moved the progress. */
  push(line: string): boolean {
    const m = STARTED.exec(line);
    if (m) {
      this.started++;
      this.current = m[1] ?? '';
      return true;
    }
    if (this.parallel && FINISHED.test(line)) {
      this.finished++;
      return true;
    }
    return false;
  }

  setBytes(bytes: number): void {
    this.bytes = bytes;
  }

  /** The tables' sizes came after the start (asked while pg_dump runs). */
  setExpected(bytes: number): void {
    this.bytesExpected = bytes;
  }

  /** pg_dump exited 0: every table is done. */
  finish(): void {
    this.done = true;
    this.current = '';
  }

  snapshot(): DumpProgress {
    const counted = this.done ? this.tablesTotal : this.parallel ? this.finished : Math.max(0, this.started - 1);
    return {
      tablesDone: Math.min(counted, this.tablesTotal),
      tablesTotal: this.tablesTotal,
      current: this.current,
      bytesWritten: this.bytes,
      bytesExpected: this.bytesExpected,
    };
  }
}

/** Bytes of a dump so far: the file, or the files of a directory dump; 0 while there is none. */
export async function outputSize(output: string): Promise<number> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(output);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  let names: string[];
  try {
    names = await fs.promises.readdir(output);
  } catch {
    return 0;
  }
  for (const name of names) {
    total += await fs.promises.stat(path.join(output, name)).then(
      (s) => (s.isFile() ? s.size : 0),
      () => 0,
    );
  }
  return total;
}
