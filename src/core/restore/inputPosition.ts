/**
 * How far pg_restore has read a table's data in the archive, for progress inside a COPY where
 * the target cannot say (copyProgress.ts). pg_restore opens the archive (custom) or the table's
 * data file (directory) itself and reads it front to back: the kernel knows the read position of
 * each open file (Linux: /proc/PID/fd and /proc/PID/fdinfo). Its process group is searched, so
 * that the workers of a parallel restore (`--jobs`) are found too. Elsewhere than Linux, or
 * when /proc cannot be read, there is no reading: progress comes from the items alone.
 *
 * A tar archive is not covered (pg_restore reads it as one stream whose member offsets are not
 * kept here); plain dumps are fed to psql by us, which knows the position itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { OpenedArchive } from '../archive';
import type { TocArchive, TocEntry } from '../model/types';
import type { CopyInProgress } from './copyProgress';

/** Where a table's data lies: a file, and its range in it. */
export interface DataSource {
  table: string;
  /** The file as /proc shows it (resolved path). */
  file: string;
  start: number;
  /** Bytes in the file (as stored), when known. */
  length: number | null;
}

/** The data sources of these TABLE DATA entries of a custom or directory archive read from `dir` (a directory dump's folder, or its unpacked copy). */
export function dataSources(opened: OpenedArchive<TocArchive>, entries: readonly TocEntry[], dir?: string): DataSource[] {
  const archive = opened.archive;
  const real = (p: string) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  const out: DataSource[] = [];
  const archivePath = archive.format === 'custom' ? real(archive.path) : undefined;
  for (const e of entries) {
    if (e.desc !== 'TABLE DATA' || !e.data) continue;
    const table = `${e.namespace ?? ''}.${e.tag ?? ''}`;
    if (e.data.kind === 'offset' && archivePath) out.push({ table, file: archivePath, start: e.data.offset, length: e.dataSize });
    else if (e.data.kind === 'file' && archive.format === 'directory') {
      // toc.dat names the file without the suffix of its compression.
      const base = path.join(dir ?? archive.path, e.data.name);
      const file = ['', '.gz', '.lz4', '.zst'].map((suffix) => base + suffix).find((f) => fs.existsSync(f));
      if (file) out.push({ table, file: real(file), start: 0, length: e.dataSize });
    }
  }
  return out;
}

/**
 * A function that says, each time it is called, how far the processes of group `pgid` have read
 * into each source: for each open file of a source, the source whose range holds its position.
 */
export function readPositions(pgid: number, sources: readonly DataSource[]): () => CopyInProgress[] {
  if (process.platform !== 'linux' || sources.length === 0) return () => [];
  const byFile = new Map<string, DataSource[]>();
  for (const s of sources) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  return () => {
    const out: CopyInProgress[] = [];
    for (const pid of groupMembers(pgid)) {
      let fds: string[];
      try {
        fds = fs.readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const candidates = byFile.get(target);
        if (!candidates) continue;
        const pos = positionOf(pid, fd);
        if (pos === undefined) continue;
        // At the very end of a source's range, its COPY may still be sending its last rows; the
        // caller keeps the tables whose data is being restored now (the file stays open after).
        const source = candidates.find((s) => pos >= s.start && (s.length === null || pos <= s.start + s.length));
        if (!source || out.some((c) => c.table === source.table)) continue;
        out.push({ table: source.table, bytes: pos - source.start, ...(source.length !== null ? { of: source.length } : {}), from: 'input' });
      }
    }
    return out;
  };
}

function positionOf(pid: number, fd: string): number | undefined {
  try {
    const info = fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    const m = /^pos:\s*(\d+)/m.exec(info);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The processes of a process group (the program and its workers). */
function groupMembers(pgid: number): number[] {
  const members = [pgid];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return members;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === pgid) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp …": comm may contain spaces and parentheses; it ends at the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}
