import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { PlainIndex } from './indexer';

/**
 * Indexes of big plain dumps kept on disk, so that opening the same dump again costs a file read
 * instead of a pass over gigabytes. One JSON file per dump, named by a hash of the dump's path,
 * holding the dump's size and modification time when it was indexed: a cache whose dump has
 * another size or time, another format version, or that cannot be read or parsed is not used
 * (the caller indexes again and overwrites it).
 */

/** Bump when PlainIndex changes shape: older files are then ignored. */
export const CACHE_FORMAT = 1;

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

interface CacheFile {
  format: number;
  path: string;
  size: number;
  mtimeMs: number;
  index: PlainIndex;
}

export function cacheFileFor(cacheDir: string, dumpPath: string): string {
  return path.join(cacheDir, `${createHash('sha256').update(path.resolve(dumpPath)).digest('hex').slice(0, 32)}.json`);
}

/** The size and modification time of a dump now. */
export async function stampOf(dumpPath: string): Promise<FileStamp> {
  const st = await fs.stat(dumpPath);
  return { size: st.size, mtimeMs: st.mtimeMs };
}

/** The cached index of the dump when it is still the dump's (same stamp, same format); null otherwise. */
export async function readCachedIndex(cacheDir: string, dumpPath: string, stamp: FileStamp): Promise<PlainIndex | null> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await fs.readFile(cacheFileFor(cacheDir, dumpPath), 'utf8'));
  } catch {
    return null;
  }
  const c = parsed as Partial<CacheFile> | null;
  if (!c || c.format !== CACHE_FORMAT || c.path !== path.resolve(dumpPath) || c.size !== stamp.size || c.mtimeMs !== stamp.mtimeMs) return null;
  const index = c.index;
  if (!index || !Array.isArray(index.entries) || typeof index.size !== 'number' || !index.entries.every(isEntry)) return null;
  return { ...index, path: dumpPath };
}

function isEntry(e: unknown): boolean {
  const x = e as Record<string, unknown>;
  return typeof x === 'object' && x !== null && typeof x.desc === 'string' && typeof x.tag === 'string' && typeof x.offset === 'number' && typeof x.length === 'number';
}

/** Stores the index of a dump as of `stamp` (written aside, then renamed: a reader never sees half a file). */
export async function writeCachedIndex(cacheDir: string, dumpPath: string, stamp: FileStamp, index: PlainIndex): Promise<void> {
  await fs.mkdir(cacheDir, { recursive: true });
  const file = cacheFileFor(cacheDir, dumpPath);
  const body: CacheFile = { format: CACHE_FORMAT, path: path.resolve(dumpPath), size: stamp.size, mtimeMs: stamp.mtimeMs, index };
  const part = `${file}.${process.pid}.part`;
  await fs.writeFile(part, JSON.stringify(body));
  await fs.rename(part, file);
}
