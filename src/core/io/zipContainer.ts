import { basename } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { open as openZip, type Entry, type ZipFile } from 'yauzl';
import { DumpError } from '../errors';
import type { Container, ContainerMember } from './container';
import { normalizeMemberName, selectUnderRoot } from './directoryContainer';

interface ZipMember extends ContainerMember {
  entry: Entry;
}

/**
 * The entries under folder `root` of a zip file that wraps a directory-format dump, named
 * relative to it ('' = top level). The central directory is read once; each stream inflates
 * its entry. `size` is the entry's uncompressed size: the bytes of the file that was zipped.
 */
export async function openZipContainer(path: string, root: string): Promise<Container> {
  const label = basename(path);
  const zip = await new Promise<ZipFile>((resolve, reject) => {
    openZip(path, { lazyEntries: true, autoClose: false }, (err, zipfile) => {
      if (err) reject(zipOpenError(err, path, label));
      else resolve(zipfile);
    });
  });
  try {
    const all = await readCentralDirectory(zip, label);
    return new ZipContainer(path, label, zip, selectUnderRoot(all, root));
  } catch (err) {
    zip.close();
    throw err;
  }
}

function readCentralDirectory(zip: ZipFile, label: string): Promise<ZipMember[]> {
  return new Promise((resolve, reject) => {
    const members: ZipMember[] = [];
    zip.on('entry', (entry: Entry) => {
      const name = normalizeMemberName(entry.fileName);
      if (!name.endsWith('/')) {
        // The local header is at least 30 bytes plus the name; data beyond the end means a cut-off file.
        const dataEnd = entry.relativeOffsetOfLocalHeader + 30 + entry.fileNameLength + entry.compressedSize;
        members.push({ name, size: entry.uncompressedSize, truncated: dataEnd > zip.fileSize, entry });
      }
      zip.readEntry();
    });
    zip.once('end', () => resolve(members));
    zip.on('error', (err: Error) => reject(new DumpError('corrupt', `${label} is a damaged zip file: ${oneLineOf(err)}`, { cause: err })));
    zip.readEntry();
  });
}

class ZipContainer implements Container {
  readonly kind = 'zip' as const;
  private readonly byName: Map<string, ZipMember>;

  constructor(
    readonly path: string,
    private readonly label: string,
    private readonly zip: ZipFile,
    private readonly entries: readonly ZipMember[],
  ) {
    this.byName = new Map(entries.map((m) => [m.name, m]));
  }

  get members(): readonly ContainerMember[] {
    return this.entries.map(({ name, size, truncated }) => ({ name, size, truncated }));
  }

  member(name: string): ContainerMember | undefined {
    const m = this.byName.get(name);
    return m && { name: m.name, size: m.size, truncated: m.truncated };
  }

  async readAll(name: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of this.openStream(name)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  openStream(name: string): Readable {
    const m = this.byName.get(name);
    if (!m) throw new DumpError('missing-data', `${this.label} has no entry ${name}`);
    const out = new PassThrough();
    const fail = (err: Error): void => {
      out.destroy(err instanceof DumpError ? err : new DumpError('corrupt', `${this.label}: cannot read ${name}: ${oneLineOf(err)}`, { cause: err }));
    };
    if (m.entry.isEncrypted()) {
      process.nextTick(() => fail(new DumpError('unsupported', `${this.label}: ${name} is encrypted; extract the zip file first`)));
      return out;
    }
    this.zip.openReadStream(m.entry, (err, stream) => {
      if (err) return fail(err);
      if (out.destroyed) {
        stream.destroy();
        return;
      }
      stream.on('error', fail);
      out.on('close', () => stream.destroy());
      stream.pipe(out);
    });
    return out;
  }

  async close(): Promise<void> {
    if (this.zip.isOpen) this.zip.close();
  }
}

function zipOpenError(err: Error, path: string, label: string): DumpError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DumpError('not-found', `${path} does not exist`, { cause: err });
  // The central directory sits at the end of a zip file: a cut-off zip loses it first.
  if (/end of central directory record signature not found/i.test(err.message)) {
    return new DumpError('truncated', `${label} is not a complete zip file: its central directory (at the end) is missing, so the file is probably cut short`, { cause: err });
  }
  return new DumpError('corrupt', `${label} is not a readable zip file: ${oneLineOf(err)}`, { cause: err });
}

function oneLineOf(err: Error): string {
  return err.message.replace(/\s*\n\s*/g, ' ').trim();
}
