import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { DumpError } from '../errors';
import type { Container, ContainerMember } from './container';

/**
 * Files that archivers and file managers add next to real content: macOS AppleDouble files
 * (`._name`), the `__MACOSX/` folder zip adds on a Mac, and Finder's `.DS_Store`. They are
 * never part of a dump, and an AppleDouble `._toc.dat` must not be taken for the TOC.
 */
export function isJunkName(name: string): boolean {
  const parts = name.split('/').filter((p) => p !== '');
  const last = parts[parts.length - 1];
  if (last === undefined) return false;
  if (last.startsWith('._') || last === '.DS_Store') return true;
  return parts.includes('__MACOSX');
}

/** A member name as a tar or zip stores it, in the form containers use: `/`, no leading `./`. */
export function normalizeMemberName(name: string): string {
  let n = name.replace(/\\/g, '/');
  while (n.startsWith('./')) n = n.slice(2);
  while (n.includes('//')) n = n.replace('//', '/');
  return n;
}

/**
 * The members of `all` below folder `root` ('' for everything), renamed relative to it, junk
 * left out. When a name occurs twice (a tar appended to), the later copy wins, as `tar x` does.
 */
export function selectUnderRoot<T extends { name: string }>(all: readonly T[], root: string): T[] {
  const prefix = root === '' ? '' : `${root.replace(/\/+$/, '')}/`;
  const byName = new Map<string, T>();
  for (const m of all) {
    if (isJunkName(m.name) || !m.name.startsWith(prefix)) continue;
    const rel = m.name.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) continue;
    byName.set(rel, { ...m, name: rel });
  }
  return [...byName.values()];
}

/** The files of a directory-format dump: the folder's regular files (no recursion). */
export async function openDirectoryContainer(dirPath: string): Promise<Container> {
  const label = basename(dirPath);
  let names: string[];
  try {
    const info = await stat(dirPath);
    if (!info.isDirectory()) throw new DumpError('not-a-dump', `${label} is a file, not a folder holding a directory-format dump`);
    names = (await readdir(dirPath)).sort();
  } catch (err) {
    if (err instanceof DumpError) throw err;
    throw fsError(err, dirPath);
  }
  const members: ContainerMember[] = [];
  for (const name of names) {
    if (isJunkName(name)) continue;
    let info;
    try {
      info = await stat(join(dirPath, name));
    } catch {
      continue; // a dangling link or a file removed meanwhile: not a member
    }
    if (!info.isFile()) continue;
    members.push({ name, size: info.size, truncated: false });
  }
  return new DirectoryContainer(dirPath, label, members);
}

class DirectoryContainer implements Container {
  readonly kind = 'directory' as const;
  private readonly byName: Map<string, ContainerMember>;

  constructor(
    readonly path: string,
    private readonly label: string,
    readonly members: readonly ContainerMember[],
  ) {
    this.byName = new Map(members.map((m) => [m.name, m]));
  }

  member(name: string): ContainerMember | undefined {
    return this.byName.get(name);
  }

  async readAll(name: string): Promise<Buffer> {
    this.require(name);
    try {
      return await readFile(join(this.path, name));
    } catch (err) {
      throw fsError(err, join(this.path, name));
    }
  }

  openStream(name: string): Readable {
    this.require(name);
    return createReadStream(join(this.path, name));
  }

  async close(): Promise<void> {
    // Nothing stays open: every read opens its own file.
  }

  private require(name: string): ContainerMember {
    const m = this.byName.get(name);
    if (!m) throw new DumpError('missing-data', `${this.label} has no file ${name}`);
    return m;
  }
}

function fsError(err: unknown, path: string): DumpError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new DumpError('not-found', `${path} does not exist`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new DumpError('usage', `${path} cannot be read: permission denied`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new DumpError('corrupt', `${path} cannot be read: ${message.replace(/\s*\n\s*/g, ' ')}`, { cause: err });
}
