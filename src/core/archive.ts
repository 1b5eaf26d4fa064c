import { basename } from 'node:path';
import { DumpError } from './errors';
import { openCustomArchive } from './formats/archive/customArchive';
import type { OpenedArchive } from './formats/archive/openedArchive';
import type { TocListener } from './formats/archive/toc';
import { type DetectedDump, detectDump } from './formats/detect';
import type { TocArchive } from './model/types';
import { openPlainDump, type OpenPlainOptions } from './plain/plainDump';
import { openContainerArchive } from './formats/archive/containerArchive';
import { openDirectoryContainer } from './io/directoryContainer';
import { openTarContainer } from './io/tarContainer';
import { openZipContainer } from './io/zipContainer';

export type { OpenedArchive, LargeObject } from './formats/archive/openedArchive';
export type { OpenPlainOptions } from './plain/plainDump';

// Every reader is imported as any module is, not with import() when a dump needs one: a bundler
// defers a module reached through import() by wrapping it, which turns its constants into
// variables that V8 optimises less well, and the TOC reader's loops ran about 5 % slower so.

/** Opens a plain SQL dump (indexed here; `options.index` passes one made before). */
export { openPlainDump };

/** Opens any pg_dump archive (custom, directory, tar, or a directory dump inside tar/zip). */
export async function openArchive(path: string, options: OpenArchiveOptions = {}): Promise<OpenedArchive<TocArchive>> {
  return openDetectedArchive(path, await detectDump(path), options);
}

export interface OpenArchiveOptions {
  /** Told of each TOC entry as it is read (`list` writes its listing in the same pass). */
  tocListener?: TocListener;
}

/** openArchive of a dump detected already (openDump looks once, not twice). */
async function openDetectedArchive(path: string, detected: DetectedDump, options: OpenArchiveOptions): Promise<OpenedArchive<TocArchive>> {
  const label = basename(path);
  const listener = options.tocListener ?? null;
  if (detected.kind === 'custom') return openCustomArchive(path, listener);
  switch (detected.kind) {
    case 'directory': {
      return openContainerArchive(await openDirectoryContainer(path), 'directory', label, listener);
    }
    case 'tar': {
      return openContainerArchive(await openTarContainer(path, ''), 'tar', label, listener);
    }
    case 'wrapped-directory': {
      const container =
        detected.wrapper === 'tar'
          ? await openTarContainer(path, detected.root)
          : await openZipContainer(path, detected.root);
      return openContainerArchive(container, 'directory', label, listener);
    }
    case 'plain':
    case 'cluster':
    case 'globals': {
      const what = detected.kind === 'plain' ? 'a plain SQL dump made by pg_dump' : detected.kind === 'cluster' ? 'a cluster dump made by pg_dumpall' : 'a globals-only dump made by pg_dumpall';
      throw new DumpError('plain-not-archive', `${label} is ${what}, not an archive: it has no table of contents; restore it with psql`);
    }
    default:
      return assertNever(detected);
  }
}

/**
 * Opens any dump of one database: an archive (custom, directory, tar, wrapped) or a plain SQL
 * dump (indexed here; `plainOptions.index` passes one made before). A pg_dumpall script is a
 * DumpError('cluster-dump'): its databases are opened through plain/clusterDump.ts.
 */
export async function openDump(path: string, plainOptions: OpenPlainOptions = {}, archiveOptions: OpenArchiveOptions = {}): Promise<OpenedArchive> {
  const detected = await detectDump(path);
  if (detected.kind === 'plain') return openPlainDump(path, plainOptions);
  if (detected.kind === 'cluster' || detected.kind === 'globals') {
    const what = detected.kind === 'cluster' ? 'roles, tablespaces and databases' : 'roles and tablespaces only';
    throw new DumpError('cluster-dump', `${basename(path)} is a cluster dump made by pg_dumpall (${what}), not the dump of one database: open it as a cluster dump`);
  }
  return openDetectedArchive(path, detected, archiveOptions);
}

/** openDump for the length of `fn`, closed afterwards however `fn` ends. */
export async function withDump<T>(path: string, fn: (opened: OpenedArchive) => Promise<T>, options: OpenArchiveOptions = {}): Promise<T> {
  const opened = await openDump(path, {}, options);
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

/** Opens an archive for the length of `fn` and closes it afterwards, however `fn` ends. */
export async function withArchive<T>(path: string, fn: (opened: OpenedArchive<TocArchive>) => Promise<T>): Promise<T> {
  const opened = await openArchive(path);
  try {
    return await fn(opened);
  } finally {
    await opened.close();
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected dump kind ${JSON.stringify(value)}`);
}
