import { createWriteStream } from 'node:fs';
import { chmod, mkdtemp, rm, statfs } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { DumpError, oneLine } from '../errors';
import type { OpenedArchive } from '../archive';
import { membersToRestore } from '../formats/archive/containerArchive';
import type { Archive, TocArchive, TocEntry } from '../model/types';
import { formatBytes } from '../units';

/**
 * pg_restore reads a directory dump only from a folder. For one packed in a tar or zip file, a
 * restore gets a private temporary folder (mode 0700) holding only what it reads: the TOC as the
 * container stores it and the data files of the planned entries. The caller removes it with
 * `remove()` however the restore ends.
 */

export interface UnpackedCopy {
  /** The folder to hand pg_restore. */
  readonly path: string;
  readonly files: number;
  readonly bytes: number;
  remove(): Promise<void>;
}

export interface UnpackPlan {
  files: number;
  bytes: number;
}

export interface UnpackOptions {
  signal?: AbortSignal;
  /** Where the temporary folder is made; os.tmpdir() unless given. */
  parent?: string;
  /** Called when the folder exists and copying starts. */
  onStart?: (dir: string, plan: UnpackPlan) => void;
}

/** A directory-format dump read from inside a tar or zip file, which pg_restore cannot read in place. */
export function isPackedDirectoryDump(archive: Pick<Archive, 'format' | 'container'>): boolean {
  return archive.format === 'directory' && (archive.container === 'tar' || archive.container === 'zip');
}

/** The space files of these sizes take on a file system of `blockSize`-byte blocks: each is rounded up to whole blocks. */
export function bytesOnDisk(sizes: readonly number[], blockSize: number): number {
  const block = blockSize > 0 ? blockSize : 1;
  return sizes.reduce((sum, size) => sum + Math.ceil(size / block) * block, 0);
}

/**
 * Whether `needed` bytes fit into the `free` bytes of the folder `where`: undefined when they do,
 * else the one-line reason, naming both sizes.
 */
export function freeSpaceProblem(needed: number, free: number, where: string, what: string): string | undefined {
  if (needed <= free) return undefined;
  return `not enough free space to unpack ${what} for pg_restore: it needs ${formatBytes(needed)} in ${where}, which has ${formatBytes(free)} free; free some space there, set TMPDIR to a folder with more, or extract the dump and restore the folder`;
}

/**
 * Copies what restoring `entries` reads out of the archive's tar or zip file into a new
 * temporary folder, after checking the folder's file system has room. On any failure (or an
 * abort through `signal`) the folder is removed before the error is thrown.
 */
export async function unpackForRestore(opened: OpenedArchive<TocArchive>, entries: readonly TocEntry[], options: UnpackOptions = {}): Promise<UnpackedCopy> {
  const container = opened.container;
  const label = path.basename(opened.archive.path);
  if (!container) throw new DumpError('usage', `${label}: nothing to unpack, this archive is not held in a container`);
  const members = await membersToRestore(container, opened.archive, entries);
  for (const m of members) {
    // pg_dump names every file of a directory dump without a folder; anything else could write outside the copy.
    if (m.name !== path.basename(m.name) || m.name === '.' || m.name === '..' || m.name.includes('\\')) {
      throw new DumpError('corrupt', `${label}: the member ${JSON.stringify(m.name)} is not a file name a directory dump holds; extract it by hand and check it`);
    }
  }
  options.signal?.throwIfAborted();
  const parent = options.parent ?? os.tmpdir();
  const fsInfo = await statfs(parent);
  const plan = { files: members.length, bytes: members.reduce((sum, m) => sum + m.size, 0) };
  const problem = freeSpaceProblem(bytesOnDisk(members.map((m) => m.size), fsInfo.bsize), fsInfo.bavail * fsInfo.bsize, parent, label);
  if (problem) throw new DumpError('usage', problem);

  const dir = await mkdtemp(path.join(parent, 'pgdx-unpacked-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await chmod(dir, 0o700);
    options.onStart?.(dir, plan);
    for (const m of members) {
      options.signal?.throwIfAborted();
      const target = path.join(dir, m.name);
      try {
        await pipeline(container.openStream(m.name), createWriteStream(target, { flags: 'wx', mode: 0o600 }), { ...(options.signal ? { signal: options.signal } : {}) });
      } catch (err) {
        if (options.signal?.aborted || err instanceof DumpError) throw err;
        // Errors of the folder written to (a full disk) are the user's to fix; others are the file's.
        const writing = ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS'].includes((err as NodeJS.ErrnoException).code ?? '');
        throw new DumpError(writing ? 'usage' : 'corrupt', `could not unpack ${m.name} of ${label} into ${dir}: ${oneLine(err)}`, { cause: err });
      }
    }
  } catch (err) {
    await remove();
    throw err;
  }
  return { path: dir, ...plan, remove };
}
