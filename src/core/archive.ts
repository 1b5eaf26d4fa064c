import { basename } from 'node:path';
import { DumpError } from './errors';
import { openContainerArchive } from './formats/archive/containerArchive';
import { openCustomArchive } from './formats/archive/customArchive';
import type { OpenedArchive } from './formats/archive/openedArchive';
import { detectDump } from './formats/detect';
import { openDirectoryContainer } from './io/directoryContainer';
import { openTarContainer } from './io/tarContainer';
import { openZipContainer } from './io/zipContainer';

export type { OpenedArchive, LargeObject } from './formats/archive/openedArchive';

/** Opens any pg_dump archive (custom, directory, tar, or a directory dump inside tar/zip). */
export async function openArchive(path: string): Promise<OpenedArchive> {
  const detected = await detectDump(path);
  const label = basename(path);
  switch (detected.kind) {
    case 'custom':
      return openCustomArchive(path);
    case 'directory':
      return openContainerArchive(await openDirectoryContainer(path), 'directory', label);
    case 'tar':
      return openContainerArchive(await openTarContainer(path, ''), 'tar', label);
    case 'wrapped-directory': {
      const container = detected.wrapper === 'tar' ? await openTarContainer(path, detected.root) : await openZipContainer(path, detected.root);
      return openContainerArchive(container, 'directory', label);
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

/** Opens an archive for the length of `fn` and closes it afterwards, however `fn` ends. */
export async function withArchive<T>(path: string, fn: (opened: OpenedArchive) => Promise<T>): Promise<T> {
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
