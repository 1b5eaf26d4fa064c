/**
 * Output that appears under its name only once it is complete: it is written under a temporary
 * name beside the target (the same folder, so that the last step is a rename on one file system),
 * moved into place on success and removed after a failure or a cancel. A dump that did not finish
 * never leaves something that looks like a good dump.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { DumpError } from '../errors';

/** `.NAME.partial-1a2b3c4d` beside `target`: hidden, and never taken for the dump itself. */
export function temporaryNameBeside(target: string, what = 'partial'): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${what}-${randomBytes(4).toString('hex')}`);
}

async function statOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Throws one line before anything starts when `target` cannot be written: its folder is missing,
 * or something is there already and may not be replaced (or is a file where a folder goes, or
 * the other way round).
 */
export async function checkTarget(target: string, kind: 'file' | 'folder', overwrite: boolean): Promise<void> {
  const parent = path.dirname(path.resolve(target));
  const parentStat = await statOrUndefined(parent);
  if (!parentStat?.isDirectory()) throw new DumpError('usage', `the folder ${parent} does not exist: create it first, or choose another place`);
  const existing = await statOrUndefined(target);
  if (!existing) return;
  const isFolder = existing.isDirectory();
  if (isFolder !== (kind === 'folder')) throw new DumpError('usage', `${target} is a ${isFolder ? 'folder' : 'file'}, and a ${kind} would be written there: choose another name`);
  if (!overwrite) throw new DumpError('usage', `${target} exists already: choose another name, or allow replacing it (it is replaced only once the new dump is complete)`);
}

/**
 * Moves the finished temporary file or folder to `target`. A file replaces the old one in one
 * rename; a folder cannot be renamed over a non-empty one, so the old folder is moved aside first
 * and removed afterwards (put back when the second rename fails).
 */
export async function moveIntoPlace(temporary: string, target: string, overwrite: boolean): Promise<void> {
  const existing = await statOrUndefined(target);
  if (existing && !overwrite) throw new DumpError('usage', `${target} appeared while the dump ran: the new dump was not put there`);
  if (!existing || !existing.isDirectory()) {
    await fs.rename(temporary, target);
    return;
  }
  const aside = temporaryNameBeside(target, 'old');
  await fs.rename(target, aside);
  try {
    await fs.rename(temporary, target);
  } catch (err) {
    await fs.rename(aside, target).catch(() => undefined);
    throw err;
  }
  await removeQuietly(aside);
}

/** Removes a temporary file or folder; one already gone is fine. */
export async function removeQuietly(p: string): Promise<void> {
  await fs.rm(p, { recursive: true, force: true }).catch(() => undefined);
}
